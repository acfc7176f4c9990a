"""Join a sentence that a line break cuts in two: ``...新冠感染症状中\\n包括...`` ->
``...新冠感染症状中包括...``.

A hard-wrapped text file, or a ``<br>`` inside a web page's paragraph, puts a line break
in the middle of a sentence; sentence splitting and chunking then cut there and an answer
quotes half a sentence. A break is a sentence break unless all of these hold:

* the line ends mid-sentence: with a common ideograph, an ASCII letter or digit, or a
  comma, enumeration comma or colon (``，、,：:``); never with sentence-final
  punctuation (``。！？!?…；;``), a closing quote or bracket, or a dash;
* the next line goes on: it starts with a common ideograph, an ASCII letter or digit or an
  opening quote (``“‘「『《``), and not with a list or heading marker (``一、``, ``1.``,
  ``第二章``, ``问：``; brackets and bullets such as ``（二）`` or ``●`` never join) or
  the dateline that opens a news story (``本报讯``, ``新华社北京3月5日电``);
* the line is running text, not a heading or label: it is at least :data:`MIN_WIDTH`
  columns wide (an ideograph counts two), and, where it is at most
  :data:`HEADING_WIDTH` wide, it has a comma, colon or sentence mark in it and no
  space between two ideographs (``广汽回应合资内幕 全面合作即将展开`` is a headline);
* in plain text (:func:`join_broken_lines`), where nothing else says that the lines
  belong to one paragraph, the line must look like a hard-wrapped one: at least
  :data:`WRAP_WIDTH` wide (text is wrapped at 60 to 80 columns; a list item, caption or
  label is shorter) and at least :data:`FULL_RATIO` of the next line's width (a wrapped
  line is full, while a headline is shorter than the paragraph that follows it).

An empty line (two line breaks) always separates paragraphs. "The line" is the whole line
joined so far, and of the next line only its start and its width count (in a second
pass that width can only have grown, which can only keep a break), so joining is
idempotent. Only common
ideographs join, so that a join never glues together the halves of a garbled run (see
:mod:`corpus.cleaning.garbled`). Ideographs join without a space; ASCII letters or
digits on both sides join with one.

:func:`join_broken_lines` is the cleaning rule (plain text); :func:`continues` is the
decision inside one paragraph, used by :mod:`corpus.html.extract` for ``<lb/>``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from corpus.charsets import is_common_cjk
from corpus.cleaning.base import Edit, RuleResult, split_lines
from corpus.cleaning.metadata import parse_dateline
from corpus.types import Removal

__all__ = [
    "FULL_RATIO",
    "HEADING_WIDTH",
    "MIN_WIDTH",
    "RULE",
    "WRAP_WIDTH",
    "LineShape",
    "continues",
    "join_broken_lines",
    "wrapped_continues",
]

RULE = "line_break"

MIN_WIDTH = 24
"""A line narrower than this (in display columns: 12 ideographs, 24 letters) is a
heading, label or list line, never the first half of a sentence."""
HEADING_WIDTH = 60
"""Up to this width (30 ideographs), a line without a comma, colon or sentence mark, or
with a space between two ideographs, is a heading or label."""
WRAP_WIDTH = 50
"""In plain text, a line narrower than this (25 ideographs) is not a wrapped line: text
files are wrapped at 60 to 80 columns, and shorter lines are list items, captions,
labels or the last line of a paragraph."""
FULL_RATIO = 0.8
"""In plain text, a line joins the next only where it is at least this share of the next
line's width (a wrapped line is full; word wrap leaves lines a little ragged)."""

# Whitespace at the edges of a line (as tidy_whitespace strips it).
_EDGE_SPACE = " \t\u3000\u00a0\f\v"
_MID_SENTENCE_PUNCT = frozenset("，、,：:")
_OPENING_QUOTES = frozenset("“‘「『《")
# Marks that show a line is running text: commas, colons, sentence ends.
_RUNNING_TEXT_MARKS = frozenset("，、,；;：:。！？!?…")
_MARKER = re.compile(
    r"(?:[一二三四五六七八九十百千]+\s*[、.．]"
    r"|第[一二三四五六七八九十百千万零〇\d]+[章节節条條款部篇回卷集期]"
    r"|\d+\s*(?:[、．]|\.(?!\d)|[)）])"
    r"|[A-Za-z]\s*[.)、](?![A-Za-z0-9])"
    r"|(?:问|問|答|Q|A)\s*[:：]"
    r"|(?:本报|本報|本刊|本网|本網|本台)(?:讯|訊|电|電|记者|記者|特约|特約|通讯员|通訊員))"
)
_CJK_GAP = re.compile(r"[\u3400-\u9fff\uf900-\ufaff][ \t\u3000\u00a0]+[\u3400-\u9fff\uf900-\ufaff]")


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _is_ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


@dataclass(frozen=True, slots=True)
class LineShape:
    """What the join decision needs to know of a (joined) line, kept up to date in
    constant time per joined piece so that long wrapped paragraphs cost linear time.

    Attributes:
        width: display width (an ideograph counts two columns).
        last: the last character ("" for an empty line).
        marked: whether the line has a comma, colon or sentence mark.
        gap: whether the line has a space between two ideographs.
    """

    width: int = 0
    last: str = ""
    marked: bool = False
    gap: bool = False

    @classmethod
    def of(cls, line: str) -> LineShape:
        """The shape of one line (edge whitespace stripped)."""
        line = line.strip(_EDGE_SPACE)
        return cls(
            width=_width(line),
            last=line[-1:],
            marked=any(c in _RUNNING_TEXT_MARKS for c in line),
            gap=_CJK_GAP.search(line) is not None,
        )

    def joined(self, separator: str, following: LineShape) -> LineShape:
        """The shape of this line joined to ``following`` with ``separator`` ("" or " ",
        which never makes a gap: a space joins ASCII only)."""
        return LineShape(
            width=self.width + len(separator) + following.width,
            last=following.last or self.last,
            marked=self.marked or following.marked,
            gap=self.gap or following.gap,
        )

    @property
    def heading_like(self) -> bool:
        """Whether the line reads as a heading or label rather than running text."""
        if self.width < MIN_WIDTH:
            return True
        return self.width <= HEADING_WIDTH and (self.gap or not self.marked)


def _ends_mid_sentence(last: str) -> bool:
    return is_common_cjk(last) or _is_ascii_alnum(last) or last in _MID_SENTENCE_PUNCT


def _goes_on(following: str) -> bool:
    first = following[:1]
    if not (is_common_cjk(first) or _is_ascii_alnum(first) or first in _OPENING_QUOTES):
        return False
    return _MARKER.match(following) is None and parse_dateline(following) is None


def continues(line: LineShape, following: str) -> str | None:
    """Whether a line break inside one paragraph cuts a sentence, and how to join it.

    Args:
        line: the shape of the line before the break (the whole line joined so far).
        following: the line after the break (edge whitespace stripped).

    Returns:
        The separator that joins the two lines ("" between ideographs, " " between ASCII
        letters or digits), or None where the break ends a sentence, a heading or a list
        item.
    """
    if not following or not _ends_mid_sentence(line.last) or not _goes_on(following):
        return None
    if line.heading_like:
        return None
    first = following[0]
    ascii_before = _is_ascii_alnum(line.last) or line.last in ",:"
    return " " if ascii_before and _is_ascii_alnum(first) else ""


def wrapped_continues(line: LineShape, following: str) -> str | None:
    """:func:`continues` for plain text, where a break may as well end a paragraph: the
    line must also be at least :data:`WRAP_WIDTH` wide and at least :data:`FULL_RATIO`
    of the next line's width.

    Args:
        line: the shape of the line before the break (the whole line joined so far).
        following: the next line (edge whitespace stripped; only its first line).

    Returns:
        The separator, or None where the break stays.
    """
    separator = continues(line, following)
    if separator is None or line.width < max(WRAP_WIDTH, FULL_RATIO * _width(following)):
        return None
    return separator


def join_broken_lines(text: str) -> RuleResult:
    """Join the lines of plain text that a line break cuts in the middle of a sentence.

    Args:
        text: article text with ``\\n`` newlines.

    Returns:
        The text with those breaks (and the spaces around them) replaced by "" or " ",
        one removal per joined break (the break and the spaces around it).
    """
    lines = split_lines(text)
    edits: list[Edit] = []
    removals: list[Removal] = []
    pos = 0
    shape: LineShape | None = None  # the joined line so far; None after an empty line
    end_of_content = 0  # offset just after the last visible character of that line
    for line in lines:
        stripped = line.strip(_EDGE_SPACE)
        if not stripped:
            shape = None
        else:
            start_of_content = pos + (len(line) - len(line.lstrip(_EDGE_SPACE)))
            separator = wrapped_continues(shape, stripped) if shape is not None else None
            here = LineShape.of(stripped)
            if shape is not None and separator is not None:
                span = text[end_of_content:start_of_content]
                edits.append(Edit(end_of_content, start_of_content, separator))
                removals.append(Removal(RULE, span, end_of_content, start_of_content))
                shape = shape.joined(separator, here)
            else:
                shape = here
            end_of_content = start_of_content + len(stripped)
        pos += len(line) + 1
    return RuleResult.of(text, edits, removals)
