"""Question analysis: what a question asks for, about what, and under which constraints.

Works on the folded question (``normalize_for_matching``: simplified script, half-width,
lower case), so simplified and traditional questions analyse alike:

* the interrogative (``谁``, ``哪个``, ``多少``, ...) and the **answer type** it asks for,
  refined by the noun after it (``哪个城市`` -> place, ``什么时候`` -> time,
  ``第几`` -> number);
* the **left and right context**: the question text before and after the interrogative,
  which a sentence that answers tends to repeat around the answer
  (``…由[哪些企业]牵头组建`` / ``…由[浙江省能源集团等4家企业]牵头组建``);
* the **constraints** a right answer must respect: ordinals (``第五届``), years
  (``2024年``), dates, periods (``全年``, ``前三季度``), and stated numbers;
* the **attribute** asked about: the noun right before the interrogative's verb
  (``…的秘书长是谁`` -> ``秘书长``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from corpus.normalize import normalize_for_matching
from qa.analysis.spans import TypedSpan, chinese_number, typed_spans
from qa.lexicon import (
    ATTRIBUTE_VERBS,
    CHINESE_NUMERALS,
    DESCRIBE_WORDS,
    HEAD_NOUNS,
    NOT_HEAD_NOUNS,
    PERIOD_VALUES,
    QUESTION_MEASURE_WORDS,
    WH_TYPES,
    interrogative_pattern,
)

__all__ = [
    "CONSTRAINT_KINDS",
    "Constraint",
    "QuestionAnalysis",
    "analyze_question",
    "asks_for_year",
    "compatible",
    "constraint_of",
]

CONSTRAINT_KINDS = frozenset({"ordinal", "year", "date", "period", "era", "quantity", "percent"})
"""Typed spans of a question that a supporting sentence must not contradict."""

_WH_TYPE = dict(WH_TYPES)
_WH = interrogative_pattern()

_HEADS: tuple[tuple[str, str], ...] = tuple(
    (head, kind) for kind, heads in HEAD_NOUNS for head in heads
)
_HEADS_SORTED = sorted(_HEADS, key=lambda h: len(h[0]), reverse=True)
_MEASURE = re.compile(rf"[一]?(?:{'|'.join(QUESTION_MEASURE_WORDS)})?")
_PARTICLES = "?？!！。,，;；:：、 \t\n\u3000呢吗啊呀么"
_TIME_AFTER_JI = re.compile(r"(?:月|号|日|点|时|年)")
_LEADING_DESCRIBE = re.compile(rf"^(?:请)?(?:{'|'.join(DESCRIBE_WORDS)})")
_ATTRIBUTE_END = re.compile(rf"(?:{'|'.join(ATTRIBUTE_VERBS)})$")


@dataclass(frozen=True, slots=True)
class Constraint:
    """A value the question states that a supporting sentence must not contradict.

    Attributes:
        kind: ``ordinal``, ``year``, ``date``, ``period``, ``era``, ``quantity`` or
            ``percent``.
        text: the folded surface form (``第五届``). Not compared: two constraints are
            equal when they state the same value (``第一届`` and ``首届``, ``十部`` and
            ``10部``).
        value: a canonical, comparable form (``5|届``, ``2024``, ``q1-3``,
            ``2003-1-24``, ``13c``, ``清``).
    """

    kind: str
    text: str = field(compare=False)
    value: str


@dataclass(frozen=True, slots=True)
class QuestionAnalysis:
    """What a question asks for.

    Attributes:
        text: the question as given.
        folded: ``normalize_for_matching(text)``.
        answer_type: one of :data:`qa.lexicon.ANSWER_TYPES`.
        wh: the interrogative found ("" when the question has none).
        wh_start: start of ``wh`` in ``folded`` (-1 when none).
        wh_end: end of ``wh`` (and of the head noun after it) in ``folded``.
        head: the noun after the interrogative naming the answer's category (``城市``),
            "" when none.
        left: the folded text before the interrogative (punctuation and particles
            stripped).
        right: the folded text after the interrogative and its head noun.
        content: the folded question with every interrogative blanked out.
        constraints: the question's stated ordinals, years, dates, periods and numbers.
        attribute: the noun asked about (``秘书长`` in ``…的秘书长是谁``), "" when none.
    """

    text: str
    folded: str
    answer_type: str
    wh: str = ""
    wh_start: int = -1
    wh_end: int = -1
    head: str = ""
    left: str = ""
    right: str = ""
    content: str = ""
    constraints: tuple[Constraint, ...] = ()
    attribute: str = ""


def constraint_of(span: TypedSpan) -> Constraint | None:
    """The constraint a typed span states, or None for kinds that constrain nothing."""
    if span.kind not in CONSTRAINT_KINDS:
        return None
    text = span.text
    value = text
    if span.kind == "ordinal":
        m = re.match(rf"第(.+?)([^\d{CHINESE_NUMERALS}.,]*)$", text)
        if m:
            number = chinese_number(m.group(1).replace(",", ""))
            value = f"{number if number is not None else m.group(1)}|{m.group(2)}"
        elif text.startswith("首"):
            value = f"1|{text[1:]}"
    elif span.kind == "year":
        digits = re.match(r"(?:公元(前)?)?(\d+)", text)
        if digits:
            bc = "bc" if digits.group(1) else ""
            value = bc + digits.group(2) + ("s" if "年代" in text else "")
        elif (number := chinese_number(text.split("年", 1)[0])) is not None:
            value = str(number)
    elif span.kind == "date":
        value = _date_value(text) or text
    elif span.kind == "era":
        value = _era_value(text) or text
    elif span.kind == "period":
        value = PERIOD_VALUES.get(text, text)
        m = re.match(r"第?([一二三四1-4])季度$", text)
        if m:
            value = f"q{chinese_number(m.group(1))}"
    elif span.kind in ("quantity", "percent"):
        m = re.match(r"(\d+(?:[.,]\d+)*)(.*)$", text)
        if m is not None:
            value = f"{m.group(1).replace(',', '')}|{m.group(2)}"
        else:
            numeral = _numeral_quantity(text) if span.kind == "quantity" else None
            if numeral is None:
                return None
            value = numeral
    return Constraint(span.kind, text, value)


_DATE = re.compile(r"(?:公元(前)?)?(?:([^年月]+)年)?(?:([^年月]+)月)?(?:([^年月日号]+)[日号])?")


def _date_value(text: str) -> str | None:
    """``2003-1-24`` for ``2003年1月24号``, ``2003-1-`` for ``2003年1月``, ``-6-2`` for
    ``6月2日`` (the fields a date does not state are left empty; a year BC is written
    ``bc221``); None when a field is no number."""
    m = _DATE.fullmatch(text)
    if m is None:
        return None
    fields = []
    for part in m.group(2, 3, 4):
        number = chinese_number(part) if part else None
        if part and number is None:
            return None
        fields.append("" if number is None else str(number))
    if m.group(1) and fields[0]:
        fields[0] = f"bc{fields[0]}"
    return "-".join(fields)


_CENTURY = re.compile(r"(?:公元(前)?)?(\d+|[零〇一二两三四五六七八九十]+)世纪")


def _era_value(text: str) -> str | None:
    """``13c`` for ``13世纪``, ``13世纪初`` and ``公元13世纪`` (``bc5c`` BC); ``清`` for
    ``清朝``, ``清代`` and ``清朝末期``. The part of the era (初, 中叶, 末期, 时期) is left
    out: a sentence about the early 13th century does not contradict a question about
    the 13th."""
    m = _CENTURY.match(text)
    if m is not None:
        number = chinese_number(m.group(2))
        if number is None:
            return None
        return f"{'bc' if m.group(1) else ''}{number}c"
    if len(text) >= 2 and text[1] in "朝代":
        return text[0]
    return None


def _date_fields(value: str) -> list[str] | None:
    """The year, month and day fields of a date constraint's value (None: not parsed)."""
    fields = value.split("-")
    return fields if len(fields) == 3 else None


def compatible(asked: Constraint, stated: Constraint) -> bool:
    """Whether a value a sentence states agrees with a constraint of the question.

    The same value agrees (whatever its wording). A date agrees with another that states
    no other year, month or day and shares at least one of them (``2003年1月`` with
    ``2003年1月24号``, ``2009年6月2日`` with ``6月2日``), and a year with a date in it.
    """
    if asked.kind == "year" and stated.kind == "date":
        fields = _date_fields(stated.value)
        return fields is not None and fields[0] == asked.value
    if asked.kind != stated.kind:
        return False
    if asked.value == stated.value:
        return True
    if asked.kind != "date":
        return False
    a, b = _date_fields(asked.value), _date_fields(stated.value)
    if a is None or b is None:
        return False
    shared = [(x, y) for x, y in zip(a, b, strict=True) if x and y]
    return bool(shared) and all(x == y for x, y in shared)


_CN_QUANTITY = re.compile(rf"([{CHINESE_NUMERALS}]+)(.*)$")


def _numeral_quantity(text: str) -> str | None:
    """``4|批`` for ``四批``: a quantity in Chinese numerals, where it states one.

    A lone ``一`` is mostly an article or "whole" (一家亲, 一体化, 一市) and two digits
    in a row (三五家) a range: neither states a value. Values then compare with those
    written in digits (``4批``).
    """
    m = _CN_QUANTITY.match(text)
    if m is None or m.group(1) == "一":
        return None
    numeral = m.group(1)
    if len(numeral) > 1 and not any(c in "十百千万亿" for c in numeral):
        return None
    number = chinese_number(numeral)
    return None if number is None else f"{number}|{m.group(2)}"


def _answer_type(wh: str, after: str, folded: str, start: int) -> tuple[str, str]:
    """The answer type of interrogative ``wh`` followed by ``after``, and the head noun."""
    kind = _WH_TYPE.get(wh, "entity")
    if wh == "几":
        # ``几几年``: the doubled 几 asks for the year.
        unit = after.lstrip("几")
        if _TIME_AFTER_JI.match(unit):
            return "time", unit[:1]
        return "number", ""
    if wh in ("什么", "甚么", "啥", "哪个", "哪一", "哪", "何种", "哪家", "哪些"):
        measure = _MEASURE.match(after)
        rest = after[measure.end() :] if measure else after
        if measure and measure.group().endswith(("位", "名")) and wh != "哪些":
            return "person", ""
        for head, head_kind in _HEADS_SORTED:
            if rest.startswith(head) and not rest.startswith(NOT_HEAD_NOUNS):
                if wh == "哪些" and head_kind in ("person", "place", "organization"):
                    return "list", head
                return head_kind, head
        if wh == "哪家":
            return "organization", ""
    if kind == "entity" and start > 0 and folded[start - 1] == "第":
        return "number", ""
    return kind, ""


class _Match:
    """An interrogative found in a question (a stand-in for ``re.Match``)."""

    __slots__ = ("_end", "_start", "_word")

    def __init__(self, word: str, start: int) -> None:
        self._word, self._start, self._end = word, start, start + len(word)

    def group(self) -> str:
        return self._word

    def start(self) -> int:
        return self._start

    def end(self) -> int:
        return self._end


_NOT_ASKING_JI = re.compile(r"[\d十百千万]")
_NAMED = re.compile(r"[名称叫作成改意]$")
# ``称…为什么``, ``把…定为什么``: 为 belongs to the verb, 什么 asks for the name.
_CALLED = re.compile(r"(?:称|叫|译|列|视|定|改|封|评|选|命名|认定)[^,，。?？]{0,20}$")
_EMBEDDED_YESNO = frozenset({"是否", "是不是", "有没有", "吗", "呢"})
_ENDS_ASKING_WHAT = re.compile(r"(?:是|为)[?？]?\s*$")


def _interrogatives(folded: str) -> list[_Match]:
    """The interrogatives of a question, skipping look-alikes: ``几`` after a number
    (``20几所``, ``十几个``) asks nothing, ``名为什么`` is ``名为`` + ``什么``, and a
    number interrogative that another follows is mostly part of a word (``多伦多大学``)."""
    out: list[_Match] = []
    for m in _WH.finditer(folded):
        word, start = m.group(), m.start()
        if word == "几" and start > 0 and _NOT_ASKING_JI.match(folded[start - 1]):
            continue
        if (
            word == "为什么"
            and (_NAMED.search(folded[:start]) or _CALLED.search(folded[:start]))
            and not folded[m.end() :].strip(_PARTICLES)
        ):
            out.append(_Match("什么", start + 1))
            continue
        out.append(_Match(word, start))
    # ``多伦多大学``, ``许多高校``, ``几乎``, ``几内亚``, ``几经``: a number interrogative
    # (多X, 几) that another interrogative follows is most often part of a word; the
    # later one asks. ``几月几日`` and ``几天几夜`` ask together, so 几 before 几 stays.
    while (
        len(out) > 1
        and (out[0].group().startswith("多") or out[0].group() == "几")
        and not (out[0].group() == "几" and out[1].group() == "几")
    ):
        out = out[1:]
    # ``…是否有高血压的方法是?``: an embedded yes/no phrase does not make a yes/no
    # question when the question ends asking for what something is.
    if out and out[0].group() in _EMBEDDED_YESNO and _ENDS_ASKING_WHAT.search(folded):
        out = out[1:]
    return out


def _attribute(left: str) -> str:
    """The noun asked about: the last word of the left context after ``的``."""
    stem = _ATTRIBUTE_END.sub("", left.rstrip(_PARTICLES))
    if "的" in stem:
        tail = stem.rsplit("的", 1)[1]
        if 1 < len(tail) <= 6:
            return tail
    return ""


def analyze_question(text: str) -> QuestionAnalysis:
    """Analyse one question.

    Args:
        text: the question, in either script.

    Returns:
        The analysis; a question without an interrogative (``…的作者是?``) asks for an
        ``entity``, one that asks to describe (``简述…``) for a ``manner``.
    """
    folded = normalize_for_matching(text)
    spans = typed_spans(folded)
    found = _interrogatives(folded)
    m = found[0] if found else None
    content = folded
    for w in reversed(found):
        content = content[: w.start()] + " " + content[w.end() :]
    if m is not None:  # 哪一年, 几个: parts of the interrogative constrain nothing
        spans = [s for s in spans if s.end <= m.start() or s.start >= m.end() + 1]
    constraints = tuple(c for s in spans if (c := constraint_of(s)) is not None)
    if m is None:
        kind = "manner" if _LEADING_DESCRIBE.match(folded) else "entity"
        left = _LEADING_DESCRIBE.sub("", folded).strip(_PARTICLES)
        return QuestionAnalysis(
            text=text,
            folded=folded,
            answer_type=kind,
            left=left,
            content=content,
            constraints=constraints,
            attribute=_attribute(left),
        )
    wh = m.group()
    after = folded[m.end() :]
    kind, head = _answer_type(wh, after, folded, m.start())
    wh_end = m.end()
    if head:
        wh_end = folded.find(head, m.end()) + len(head)
    elif wh in ("哪个", "哪一", "哪", "哪些", "什么", "几"):
        measure = _MEASURE.match(after)
        if measure and measure.group() and kind in ("person", "number", "entity"):
            wh_end += measure.end()
    left = folded[: m.start()].strip(_PARTICLES)
    if left.endswith("第") and kind == "number":
        left = left[:-1]
    right = folded[wh_end:].strip(_PARTICLES)
    return QuestionAnalysis(
        text=text,
        folded=folded,
        answer_type=kind,
        wh=wh,
        wh_start=m.start(),
        wh_end=wh_end,
        head=head,
        left=left,
        right=right,
        content=content,
        constraints=constraints,
        attribute=_attribute(left),
    )


def asks_for_year(analysis: QuestionAnalysis) -> bool:
    """Whether the question asks which year (``哪一年``, ``哪年``, ``什么年份``), not a
    fuller date (``哪年哪月``)."""
    if analysis.answer_type != "time" or analysis.right.startswith(("哪月", "几月", "月")):
        return False
    return analysis.wh == "哪年" or analysis.head in ("年", "年份", "年度")
