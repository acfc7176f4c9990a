"""What a generated sentence claims, and how much of it a source text states.

Pure functions over text, for citation verification (:mod:`qa.answering.verify`). Every
comparison is made on text folded by :func:`corpus.normalize.normalize_for_matching`
(traditional to simplified, full-width to half-width, case), so a simplified answer is
checked against traditional sources and the reverse.

* :func:`claim_facts`: the numbers, dates and named entities a text states. A claim's
  facts must all appear in the text it cites (:meth:`Facts.missing_from`).
* :func:`content_overlap`: the share of a claim's words (CJK character bigrams, and whole
  words of other scripts) that the source contains.
* :func:`chinese_number`: the value of a Chinese numeral (``二十三``, ``一百零五``,
  ``二〇二四``), so ``四家`` and ``4家`` state the same number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from corpus.charsets import CJK_CLASS
from corpus.normalize import normalize_for_matching
from qa.answering.segmentation import Segmenter, default_segmenter

__all__ = [
    "Facts",
    "chinese_number",
    "claim_facts",
    "content_overlap",
    "content_tokens",
    "folded_facts",
    "load_tagger",
    "names_a_person",
    "tagged_words",
    "words",
]

_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_DIGITS.update({"六": 6, "七": 7, "八": 8, "九": 9})
_UNITS = {"十": 10, "百": 100, "千": 1000}
_BIG = {"万": 10**4, "亿": 10**8}
_NUMERAL_CHARS = "".join([*_DIGITS, *_UNITS, *_BIG])

# A numeral run of one character states a number only before a measure word or unit
# (四家, 两名, 三年); 一 before 个/种/些 is mostly an article ("一个联盟").
_MEASURE = set("个家名位项次年月日号岁人元件种条座所倍届期批支台辆天周时分秒米吨度场轮栋间")
_ARTICLE_LIKE = set("个种些样")
# Numeral runs that are words, not numbers.
_NOT_NUMBERS = frozenset({"千万", "万万", "万一", "一一", "十分", "一万"})

_ARABIC = re.compile(r"(\d+(?:,\d{3})*(?:\.\d+)?)\s*([万亿]*)")
_PERCENT_CN = re.compile(rf"百分之([\d.{_NUMERAL_CHARS}]+)")
_HALF = re.compile(r"一半|半数")
_FRACTION = re.compile(rf"([\d{_NUMERAL_CHARS}]+)分之([\d{_NUMERAL_CHARS}]+)")
_CN_RUN = re.compile(f"[{_NUMERAL_CHARS}]+")
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_DATE_PART = re.compile(
    r"(?<![\d.])(\d{2,4}|[〇零一二三四五六七八九]{2,4})\s*(年)"
    r"|(?<![\d.])(\d{1,2}|[一二三四五六七八九十]{1,3})\s*(月|日|号)"
)
_BOOK_TITLE = re.compile(r"《([^《》]{1,40})》")
_CJK_RUN = re.compile(f"[{CJK_CLASS}]+")
_WORD = re.compile(r"\d+(?:\.\d+)+|[^\W_]+")

# jieba's tags of person, place, organisation and other proper names, and foreign words.
_ENTITY_TAGS = ("nr", "ns", "nt", "nz", "eng")


def chinese_number(text: str) -> int | None:
    """The value of a Chinese numeral, or None when ``text`` is not one.

    Reads place-value numerals (``十五`` 15, ``二十三`` 23, ``一百零五`` 105, ``三万五千``
    35000, ``一亿二千万`` 120000000) and digit-by-digit ones of three digits or more, or
    with a zero (``二〇二四`` 2024, ``一九九八`` 1998).

    Args:
        text: a run of numeral characters (〇零一二两三四五六七八九十百千万亿).

    Returns:
        The integer, or None for an empty or ill-formed run (``三五`` has no single value).
    """
    if not text or any(c not in _DIGITS and c not in _UNITS and c not in _BIG for c in text):
        return None
    if all(c in _DIGITS for c in text):
        if len(text) == 1:
            return _DIGITS[text]
        # Digit by digit (二〇二四, 一九九八); two digits (三五, 七八) are a range.
        if "两" in text or len(text) < 3 and "〇" not in text and "零" not in text:
            return None
        return int("".join(str(_DIGITS[c]) for c in text))
    result = 0  # completed 亿 groups
    wan = 0  # the completed 万 group below them
    section = 0  # below 万
    digit: int | None = None
    last_unit = 10**9
    for c in text:
        if c in _DIGITS:
            if digit:  # two non-zero digits in a row (三五) have no single value
                return None
            digit = _DIGITS[c]
        elif c in _UNITS:
            unit = _UNITS[c]
            if unit >= last_unit:
                return None
            section += (1 if digit is None else digit) * unit
            digit, last_unit = None, unit
        else:
            big = _BIG[c]
            group = section + (digit or 0)
            if big == 10**4:
                if wan or not group:
                    return None
                wan = group * big
            else:
                if not (group or wan):
                    return None
                result = (result + wan + group) * big
                wan = 0
            section, digit, last_unit = 0, None, 10**9
    return result + wan + section + (digit or 0)


def _canonical(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _arabic_value(number: str, multipliers: str) -> str | None:
    try:
        value = Decimal(number.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        return None
    for m in multipliers:
        value *= _BIG[m]
    return _canonical(value)


def _numeral_value(text: str) -> str | None:
    """A number written in digits or in Chinese numerals, canonical; None otherwise."""
    match = _ARABIC.fullmatch(text)
    if match:
        return _arabic_value(match.group(1), match.group(2))
    number = chinese_number(text)
    return None if number is None else str(number)


def _numbers(folded: str) -> frozenset[str]:
    found: set[str] = {"1/2"} if _HALF.search(folded) else set()
    # Percentages and fractions first; blank them so their parts are not read again.
    for pattern in (_PERCENT_CN, _FRACTION):
        kept: list[str] = []
        pos = 0
        for m in pattern.finditer(folded):
            if pattern is _PERCENT_CN:
                percent = _numeral_value(m.group(1))
                if percent is not None:
                    found.add(percent)
            else:
                a, b = _numeral_value(m.group(1)), _numeral_value(m.group(2))
                if a is not None and b is not None:
                    found.add(f"{b}/{a}")
            kept.append(folded[pos : m.start()] + " " * (m.end() - m.start()))
            pos = m.end()
        kept.append(folded[pos:])
        folded = "".join(kept)
    for m in _ARABIC.finditer(folded):
        arabic = _arabic_value(m.group(1), m.group(2))
        if arabic is not None:
            found.add(arabic)
    for m in _CN_RUN.finditer(folded):
        run = m.group()
        if run in _NOT_NUMBERS or all(c in _BIG for c in run):
            continue
        before = folded[m.start() - 1] if m.start() else ""
        after = folded[m.end()] if m.end() < len(folded) else ""
        if before.isdigit():
            continue
        if len(run) == 1 and (after not in _MEASURE or (run == "一" and after in _ARTICLE_LIKE)):
            continue
        value = chinese_number(run)
        if value is not None:
            found.add(str(value))
    return frozenset(found)


def _date_value(text: str) -> str | None:
    if text.isdigit():
        return str(int(text))
    value = chinese_number(text)
    return None if value is None else str(value)


def _dates(folded: str) -> frozenset[str]:
    found: set[str] = set()
    for m in _ISO_DATE.finditer(folded):
        found.update((f"{int(m.group(1))}年", f"{int(m.group(2))}月", f"{int(m.group(3))}日"))
    for m in _DATE_PART.finditer(folded):
        number, unit = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        value = _date_value(number)
        if value is not None:
            found.add(f"{value}{'日' if unit == '号' else unit}")
    return frozenset(found)


def _pos_tokenizer() -> Segmenter:
    """jieba's dictionary and part-of-speech tagger, opened once per process (a bucketed
    cache beside jieba's: milliseconds; see :mod:`qa.answering.segmentation`)."""
    return default_segmenter()


def load_tagger() -> None:
    """Open jieba's dictionary and part-of-speech tagger now rather than on the first
    text that needs them (milliseconds once the cache exists; its first writing, once per
    jieba installation, takes a few seconds)."""
    _pos_tokenizer()


def names_a_person(folded: str) -> bool:
    """Whether jieba tags a person's name (``nr``, ``nrt``, ``nrfg``; two characters or
    more) in a folded text."""
    return any(
        flag.startswith("nr") and len(word.strip()) >= 2
        for word, flag in _pos_tokenizer().tagged(folded)
    )


def words(folded: str) -> list[str]:
    """jieba's words of a folded text (the private dictionary of :func:`names_a_person`)."""
    return _pos_tokenizer().words(folded)


def tagged_words(folded: str) -> list[tuple[str, str]]:
    """jieba's words of a folded text with their part-of-speech tags, from the dictionary
    alone: without jieba's HMM for unknown words, which tags nine times slower (0.18 ms
    against 1.7 ms for a 41-character benchmark sentence) and, for the span ranker's
    word features, bought CMRC 2018 short F1 0.605 against 0.601 cross-validated."""
    return _pos_tokenizer().tagged(folded, hmm=False)


def _entities(folded: str) -> frozenset[str]:
    found = {m.group(1).strip() for m in _BOOK_TITLE.finditer(folded)}
    for raw, tag in _pos_tokenizer().tagged(folded):
        word = raw.strip()
        if tag.startswith(_ENTITY_TAGS) and len(word) >= 2 and not word.isdigit():
            found.add(word)
    return frozenset(w for w in found if w)


@dataclass(frozen=True, slots=True)
class Facts:
    """The checkable facts of a text, folded for matching.

    Attributes:
        numbers: numbers in canonical form (``4``, ``23.2``, ``23200000000000`` for
            23.2万亿, ``1/4`` for 四分之一, ``1/2`` for 一半), whether written in digits
            or numerals.
        dates: date parts (``2024年``, ``11月``, ``1日``).
        entities: named entities (people, places, organisations, titles, foreign words).
    """

    numbers: frozenset[str] = frozenset()
    dates: frozenset[str] = frozenset()
    entities: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.numbers or self.dates or self.entities)

    def missing_from(self, source: Facts, source_folded: str) -> Facts:
        """The facts of this claim that ``source`` does not state.

        Args:
            source: the facts of the source text.
            source_folded: the source text, folded (entities are looked up in it).

        Returns:
            What is missing (empty, and so false, when the source states them all).
        """
        return Facts(
            self.numbers - source.numbers,
            self.dates - source.dates,
            frozenset(e for e in self.entities if e not in source_folded),
        )


@lru_cache(maxsize=4096)
def folded_facts(folded: str, *, entities: bool = True) -> Facts:
    """The facts of a text already folded by ``normalize_for_matching`` (cached).

    Args:
        folded: the folded text.
        entities: also tag named entities (sources skip it: a claim's entities are
            looked up in the source's text).
    """
    return Facts(_numbers(folded), _dates(folded), _entities(folded) if entities else frozenset())


def claim_facts(text: str) -> Facts:
    """The numbers, dates and named entities ``text`` states.

    Args:
        text: any text, in either script.

    Returns:
        Its facts, folded for matching.
    """
    return folded_facts(normalize_for_matching(text))


def content_tokens(folded: str) -> frozenset[str]:
    """The words of a folded text that content overlap counts.

    CJK character bigrams (a lone CJK character counts as itself) and whole words or
    numbers of other scripts; punctuation and spaces are left out.
    """
    tokens: set[str] = set()
    pos = 0
    for m in _CJK_RUN.finditer(folded):
        tokens.update(_WORD.findall(folded, pos, m.start()))
        run = m.group()
        if len(run) == 1:
            tokens.add(run)
        tokens.update(run[i : i + 2] for i in range(len(run) - 1))
        pos = m.end()
    tokens.update(_WORD.findall(folded, pos))
    return frozenset(tokens)


def content_overlap(claim: str, source: str) -> float:
    """The share of the claim's words (see :func:`content_tokens`) the source contains.

    Args:
        claim: the claim, any script.
        source: the source text, any script.

    Returns:
        0 to 1; 0 for a claim without words.
    """
    words = content_tokens(normalize_for_matching(claim))
    if not words:
        return 0.0
    return len(words & content_tokens(normalize_for_matching(source))) / len(words)
