"""Markdown articles as plain text: heading marks, emphasis, links and lists removed."""

from __future__ import annotations

import re
from dataclasses import dataclass

from corpus.cleaning.whitespace import normalize_newlines

__all__ = ["markdown_to_text"]

# Every pattern here runs in time linear in the line: none is retried from many starts
# with a long scan each (which made ``[[[[...``, ``*a *a *a ...`` or ``# ####...x``
# quadratic). Emphasis, links and heading ends are found by the scanners below, which
# give exactly what the plain regular expressions in their docstrings give.
_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*)$")
_MD_QUOTE = re.compile(r"^\s{0,3}>\s?")
_MD_LIST = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_MD_RULE = re.compile(r"^\s{0,3}([-*_])(?:\s*\1){2,}\s*$")
_MD_CODE = re.compile(r"`([^`]+)`")
_MD_FENCE = re.compile(r"^\s{0,3}(```|~~~)")


@dataclass(frozen=True, slots=True)
class _Emphasis:
    """A delimited span ``pattern`` (group 1 or 2 its text), with zero-width patterns for
    where it can open and close (group ``d``: the delimiter) and the least distance from
    an opening to a closing delimiter."""

    pattern: re.Pattern[str]
    opener: re.Pattern[str]
    closer: re.Pattern[str]
    gap: int
    group: int


# (\*\*|__)(?=\S)(.+?)(?<=\S)\1
_MD_STRONG = _Emphasis(
    re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"),
    re.compile(r"(?=(?P<d>\*\*|__)\S)"),
    re.compile(r"(?<=\S)(?=(?P<d>\*\*|__))"),
    gap=3,
    group=2,
)
# (?<![*\\])\*(?=\S)(.+?)(?<=\S)\*(?!\*)
_MD_EM_STAR = _Emphasis(
    re.compile(r"(?<![*\\])\*(?=\S)(.+?)(?<=\S)\*(?!\*)"),
    re.compile(r"(?<![*\\])(?=(?P<d>\*)\S)"),
    re.compile(r"(?<=\S)(?=(?P<d>\*)(?!\*))"),
    gap=2,
    group=1,
)
# (?<![A-Za-z0-9_])_(?=\S)(.+?)(?<=\S)_(?![A-Za-z0-9_])
_MD_EM_UNDERSCORE = _Emphasis(
    re.compile(r"(?<![A-Za-z0-9_])_(?=\S)(.+?)(?<=\S)_(?![A-Za-z0-9_])"),
    re.compile(r"(?<![A-Za-z0-9_])(?=(?P<d>_)\S)"),
    re.compile(r"(?<=\S)(?=(?P<d>_)(?![A-Za-z0-9_]))"),
    gap=2,
    group=1,
)


def markdown_to_text(raw: str) -> tuple[str, str]:
    """Plain text of a Markdown article, and its title.

    Args:
        raw: Markdown source.

    Returns:
        ``(title, text)``: the title is a leading level-1 heading (``# ...``), else "";
        the text has heading marks, emphasis, links, images, quotes and list markers
        removed.
    """
    lines = normalize_newlines(raw).split("\n")
    title = ""
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None:
        m = _MD_HEADING.match(lines[first])
        if m and m.group(1) == "#":
            title = _md_inline(_heading_text(m.group(2))).strip()
            lines = lines[:first] + lines[first + 1 :]
    out: list[str] = []
    in_fence = False
    for line in lines:
        if _MD_FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            out.append(line)
            continue
        if _MD_RULE.match(line):
            out.append("")
            continue
        m = _MD_HEADING.match(line)
        if m:
            line = _heading_text(m.group(2))
        line = _MD_LIST.sub("", _MD_QUOTE.sub("", line))
        out.append(_md_inline(line))
    return title, "\n".join(out)


def _md_inline(line: str) -> str:
    line = _sub_links(line, "![", 0, keep_text=False)
    line = _sub_links(line, "[", 1, keep_text=True)
    line = _MD_CODE.sub(r"\1", line)
    line = _sub_emphasis(line, _MD_STRONG)
    line = _sub_emphasis(line, _MD_EM_STAR)
    return _sub_emphasis(line, _MD_EM_UNDERSCORE)


def _heading_text(rest: str) -> str:
    """A heading's text without its closing hashes: what ``(.*?)\\s*#*\\s*$`` keeps of
    ``rest`` (the shortest text whose remainder is spaces, hashes, spaces)."""
    return rest.rstrip().rstrip("#").rstrip()


def _sub_links(line: str, prefix: str, least: int, *, keep_text: bool) -> str:
    """Replace links (``prefix`` ``[``) by their text, or images (``![``) by nothing.

    The same as ``re.sub(r"\\[([^\\]]+)\\]\\([^)]*\\)", r"\\1", line)`` for links
    (``least=1``) and ``re.sub(r"!\\[([^\\]]*)\\]\\([^)]*\\)", "", line)`` for images
    (``least=0``), in linear time: a match at a start is decided by the next ``]`` and
    the next ``)``, found once and reused while later starts come before them.
    """
    out: list[str] = []
    pos = 0
    bracket: int | None = None  # the next "]" at or after the last place asked (-1: none)
    paren: int | None = None
    i = line.find(prefix)
    while i >= 0:
        text_start = i + len(prefix)
        if bracket is None or 0 <= bracket < text_start:
            bracket = line.find("]", text_start)
        if bracket < 0:
            break  # no "]" after this start, nor after any later one
        if bracket - text_start < least or not line.startswith("(", bracket + 1):
            i = line.find(prefix, i + 1)
            continue
        if paren is None or 0 <= paren < bracket + 2:
            paren = line.find(")", bracket + 2)
        if paren < 0:
            break  # no ")" after this "](", nor after any later one
        out.append(line[pos:i])
        if keep_text:
            out.append(line[text_start:bracket])
        pos = paren + 1
        i = line.find(prefix, pos)
    out.append(line[pos:])
    return "".join(out)


def _sub_emphasis(line: str, rule: _Emphasis) -> str:
    """``rule.pattern.sub`` (keeping the text group), in linear time.

    A start opens a span exactly when a closing delimiter of its kind comes at least
    ``rule.gap`` characters later (``.+?`` takes anything up to the first one), so
    starts after the last closing delimiter are not tried: each of those scanned to the
    end of the line in vain, which made the plain ``sub`` quadratic.
    """
    last: dict[str, int] = {}
    for closing in rule.closer.finditer(line):
        last[closing.group("d")] = closing.start()
    if not last:
        return line
    out: list[str] = []
    pos = 0
    for opening in rule.opener.finditer(line):
        i = opening.start()
        if i < pos:
            continue
        if i + rule.gap > last.get(opening.group("d"), -1):
            continue
        span = rule.pattern.match(line, i)
        if span is None:
            continue
        out.append(line[pos:i])
        out.append(span.group(rule.group))
        pos = span.end()
    out.append(line[pos:])
    return "".join(out)
