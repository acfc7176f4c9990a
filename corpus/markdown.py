"""Markdown articles as plain text: heading marks, emphasis, links and lists removed."""

from __future__ import annotations

import re

from corpus.cleaning.whitespace import normalize_newlines

__all__ = ["markdown_to_text"]

_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_QUOTE = re.compile(r"^\s{0,3}>\s?")
_MD_LIST = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_MD_RULE = re.compile(r"^\s{0,3}([-*_])(?:\s*\1){2,}\s*$")
_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_MD_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_MD_EM_STAR = re.compile(r"(?<![*\\])\*(?=\S)(.+?)(?<=\S)\*(?!\*)")
_MD_EM_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9_])_(?=\S)(.+?)(?<=\S)_(?![A-Za-z0-9_])")
_MD_CODE = re.compile(r"`([^`]+)`")
_MD_FENCE = re.compile(r"^\s{0,3}(```|~~~)")


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
            title = _md_inline(m.group(2)).strip()
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
            line = m.group(2)
        line = _MD_LIST.sub("", _MD_QUOTE.sub("", line))
        out.append(_md_inline(line))
    return title, "\n".join(out)


def _md_inline(line: str) -> str:
    line = _MD_IMAGE.sub("", line)
    line = _MD_LINK.sub(r"\1", line)
    line = _MD_CODE.sub(r"\1", line)
    line = _MD_STRONG.sub(r"\2", line)
    line = _MD_EM_STAR.sub(r"\1", line)
    return _MD_EM_UNDERSCORE.sub(r"\1", line)
