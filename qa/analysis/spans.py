"""Typed spans in text: dates and times, numbers and quantities, ordinals, periods, quoted
and book-titled names.

All patterns run on text folded by :func:`corpus.normalize.normalize_for_matching`
(simplified script, half-width digits and punctuation, lower case); offsets are offsets
into that folded text. Every pattern is a single pass with bounded repetition, so
:func:`typed_spans` runs in linear time.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from qa.analysis.required_literals import live_scanner, stored_index, write_index
from qa.lexicon import CHINESE_NUMERALS, DYNASTIES, UNITS

__all__ = ["KINDS", "TypedSpan", "chinese_number", "tidy_span", "typed_spans"]

_CN_DIGITS = CHINESE_NUMERALS
_NUM = rf"(?:\d+(?:[.,]\d+)*|[{_CN_DIGITS}]+)"
_UNITS = "|".join(UNITS)
_MIDDLE = r"中(?![\u4e00-\u9fff])|中(?=[期叶旬后])"
"""The middle of a year or century (``1969年中,``, ``20世纪中后期``), not the 中 of a name
after it (``1996年中华民国``, ``2014年中山市``, ``20世纪中国``)."""
_PATTERNS: tuple[tuple[str, str], ...] = (
    ("date", r"(?:公元前?)?\d{1,4}年\d{1,2}月(?:\d{1,2}[日号])?"),
    ("date", rf"[{_CN_DIGITS}]{{2,4}}年[{_CN_DIGITS}]{{1,3}}月(?:[{_CN_DIGITS}]{{1,3}}[日号])?"),
    ("date", r"\d{1,2}月\d{1,2}[日号]"),
    (
        "year",
        rf"(?:公元前?)?\d{{2,4}}年(?:代|度)?(?:初(?!步|次)|{_MIDDLE}|末|底|以前|以后|前后|左右)?",
    ),
    ("year", rf"[{_CN_DIGITS}]{{4}}年"),
    (
        "era",
        rf"(?:公元前?)?(?:\d{{1,2}}|[{_CN_DIGITS}]{{1,3}})世纪(?:初期|初|中叶|中期|{_MIDDLE}|末期|末)?",
    ),
    ("era", rf"[{DYNASTIES}][朝代](?:初期|中期|末期|初年|末年|时期)?"),
    ("time", r"\d{1,2}[:：]\d{2}|\d{1,2}[时点](?:\d{1,2}分|半)?"),
    (
        "period",
        r"全年|前[一二三1-3]季度|第?[一二三四1-4]季度|上半年|下半年|前\d{1,2}个?月|\d{1,2}[-至到~]\d{1,2}月",
    ),
    ("ordinal", rf"第{_NUM}(?:{_UNITS})?|首[届批次期轮任位个]"),
    ("percent", rf"{_NUM}(?:%|％|个百分点)|百分之[{_CN_DIGITS}\d.点]+|{_NUM}分之{_NUM}"),
    ("quantity", rf"{_NUM}(?:多|余|几)?(?:万|亿|千|百)?(?:{_UNITS})"),
    ("number", r"\d+(?:[.,]\d+)*"),
    ("quote", r"“[^“”\n]{1,40}”|「[^「」\n]{1,40}」|『[^『』\n]{1,40}』|\"[^\"\n]{1,40}\""),
    ("title", r"《[^《》\n]{1,40}》|〈[^〈〉\n]{1,40}〉"),
)
_COMPILED = tuple((kind, re.compile(pattern)) for kind, pattern in _PATTERNS)

# Which patterns may match a text, from the strings every match of each holds (derived
# from the patterns themselves: 年 for a date, one of the units for a quantity, ...): most
# sentences hold those of a few patterns only, and the others are not run. A pattern not
# run would have found nothing, so the spans are the same. The number pattern requires no
# literal and always runs.
_STORED_LITERALS = Path(__file__).with_name("span_literals.json")
"""The literal index of the patterns, derived once and stored (deriving it costs about 5 ms
of each process's start); written by ``python -m qa.analysis.spans --write-literals``,
and used only while the patterns' fingerprint matches (else derived again; a test keeps
the file current)."""
_LIVE = live_scanner(stored_index([pattern for _, pattern in _COMPILED], _STORED_LITERALS))
_RUNS = tuple((1 << i, kind, pattern.finditer) for i, (kind, pattern) in enumerate(_COMPILED))

KINDS: tuple[str, ...] = tuple(dict.fromkeys(kind for kind, _ in _PATTERNS))
"""The kinds :func:`typed_spans` finds."""

TIME_KINDS = frozenset({"date", "year", "era", "time", "period"})
NUMBER_KINDS = frozenset({"quantity", "number", "percent", "ordinal"})
NAME_KINDS = frozenset({"quote", "title"})


@dataclass(frozen=True, slots=True)
class TypedSpan:
    """A span of folded text of a known kind.

    Attributes:
        start: start offset in the folded text.
        end: end offset (exclusive).
        kind: one of :data:`KINDS`.
        text: the span's text.
    """

    start: int
    end: int
    kind: str
    text: str


def typed_spans(folded: str) -> list[TypedSpan]:
    """The typed spans of a folded text, longest first where two kinds overlap.

    Args:
        folded: text folded by ``normalize_for_matching``.

    Returns:
        Non-overlapping spans in text order; where matches of different kinds overlap,
        the one found first in :data:`KINDS` order wins, then the longer.
    """
    found: list[TypedSpan] = []
    taken = bytearray(len(folded))
    live = _LIVE(folded)
    for bit, kind, finditer in _RUNS:
        if not live & bit:
            continue
        for m in finditer(folded):
            s, e = m.span()
            if e > s and not any(taken[s:e]):
                found.append(TypedSpan(s, e, kind, m.group()))
                taken[s:e] = b"\x01" * (e - s)
    found.sort(key=lambda t: t.start)
    return found


_CN_VALUE = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_CN_VALUE.update({"七": 7, "八": 8, "九": 9})
_CN_UNIT = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 10_000, "亿": 100_000_000}


def chinese_number(text: str) -> int | None:
    """The value of a number written in digits or Chinese numerals, or None.

    ``"23"`` -> 23, ``"五"`` -> 5, ``"十二"`` -> 12, ``"二十"`` -> 20, ``"一百零五"`` -> 105,
    ``"二〇二四"`` -> 2024 (digit by digit where no unit character appears).
    """
    if not text:
        return None
    if text.isdigit():
        return int(text)
    if any(c not in _CN_VALUE and c not in _CN_UNIT and c not in _CN_BIG for c in text):
        return None
    if not any(c in _CN_UNIT or c in _CN_BIG for c in text):
        return int("".join(str(_CN_VALUE[c]) for c in text))
    total = section = digit = 0
    for c in text:
        if c in _CN_VALUE:
            digit = _CN_VALUE[c]
        elif c in _CN_UNIT:
            section += (digit or 1) * _CN_UNIT[c]
            digit = 0
        else:
            total += (section + digit) * _CN_BIG[c]
            section = digit = 0
    return total + section + digit


_DIGIT_RUN = re.compile(r"\d[\d.]*$")
_NUMERAL_RUN = re.compile(rf"[{CHINESE_NUMERALS}]+$")


def _number_start(folded: str, start: int) -> int:
    """The start of the number a span starting at ``start`` begins inside of (``178万多人``
    for a span ``万多人``, ``2.64元`` for ``64元``), else ``start``."""
    if start <= 0 or start >= len(folded):
        return start
    ch, before = folded[start], folded[:start]
    if ch.isdigit() or (ch in "十百千万亿" and before[-1:].isdigit()):
        m = _DIGIT_RUN.search(before)
        if m is not None:
            return m.start()
    if ch in CHINESE_NUMERALS and (m := _NUMERAL_RUN.search(before)):
        return m.start()
    return start


_PAIRS = {"《": "》", "「": "」", "『": "』", "“": "”", "(": ")", "[": "]", "〈": "〉"}
_PAIR_REACH = 40
_YEAR_OF_DATE = re.compile(r"(?:公元前?)?\d{1,4}年(?=\d{1,2}月)")


def _unpaired(piece: str, opener: str, closer: str) -> tuple[bool, bool]:
    """Whether ``piece`` leaves an ``opener`` open at its end, and whether it closes a
    ``closer`` it did not open (``医学启源》三卷、《珍珠``: both)."""
    depth = 0
    closed_first = False
    for ch in piece:
        if ch == opener:
            depth += 1
        elif ch == closer:
            if depth:
                depth -= 1
            else:
                closed_first = True
    return depth > 0, closed_first


def tidy_span(folded: str, start: int, end: int, *, year_only: bool = False) -> tuple[int, int]:
    """A short answer's span with its edges made whole.

    Annotated answers never leave a bracket or quote open (none of the 6,740 CMRC 2018
    and DRCD dev answers does), and hold a book title with its marks (184 of the 192
    titles answered whole: ``《碧血黄花》``). So:

    * a mark the span opens (or closes) and does not close (or open) is matched by
      extending the span to its partner, within 40 characters (``东日本旅客铁道(jr东日本``
      → ``…(jr东日本)``);
    * a span that is exactly the inside of ``《…》`` takes the marks;
    * a span that starts inside a number takes the whole number (``万多人`` →
      ``178万多人``, ``64元`` → ``2.64元``);
    * with ``year_only`` (the question asks which year), a span that starts with a full
      date keeps its year (``1953年8月15日`` → ``1953年``; all 399 benchmark answers to
      a 哪一年 question that are a year in digits are the year alone).

    Args:
        folded: the folded sentence text.
        start: the span's start offset in ``folded``.
        end: its end offset (exclusive), ``start <= end <= len(folded)``.
        year_only: the question asks for a year.

    Returns:
        ``(start, end)``, within ``folded``: the span grown at its edges, or with
        ``year_only`` cut to the year at its start.
    """
    start = _number_start(folded, start)
    if year_only and (m := _YEAR_OF_DATE.match(folded, start, end)) is not None:
        end = m.end()
    for opener, closer in _PAIRS.items():
        open_at_end, closed_first = _unpaired(folded[start:end], opener, closer)
        if closed_first:
            found = folded.rfind(opener, max(0, start - _PAIR_REACH), start)
            start = found if found >= 0 else start
        if open_at_end:
            found = folded.find(closer, end, end + _PAIR_REACH)
            end = found + 1 if found >= 0 else end
    if 0 < start <= end < len(folded) and folded[start - 1] == "《" and folded[end] == "》":
        start, end = start - 1, end + 1
    return start, end


if __name__ == "__main__":
    if sys.argv[1:] != ["--write-literals"]:
        raise SystemExit("usage: python -m qa.analysis.spans --write-literals")
    write_index([pattern for _, pattern in _COMPILED], _STORED_LITERALS)
    print(f"wrote {_STORED_LITERALS}")
