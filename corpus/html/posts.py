"""Pages that hold a series of posts: a blog's front page, a column's archive.

Such a page shows several articles one after another, each under its own headline and
date line (``昨天去金矿玩 (图)`` / ``2005-03-21 01:20:44`` / the post / ``[打印]`` / ...).
Extracted whole, the posts run together into one text under the blog's name. The page's
article is its first post: the text is cut where the second post's header starts, and
the first post's headline is the page's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from corpus.html.layout import Block

__all__ = ["FirstPost", "first_post"]

MIN_POSTS = 3
_MAX_HEADLINE = 60
# A line that is nothing but a date and maybe a time of day.
_DATE_LINE = re.compile(
    r"^\s*(?:\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?"
    r"|\d{1,2}/\d{1,2}/\d{4})"
    r"(?:\s*(?:[上下]午)?\s*\d{1,2}[:：]\d{2}(?:[:：]\d{2})?(?:\s*[AaPp][Mm])?)?\s*$"
)
_SENTENCE_END = re.compile(r"[。！？!?；;]$")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class FirstPost:
    """The first post of a series: its headline and the text cut before the second."""

    headline: str
    text: str
    posts: int
    blocks: range  # the first post's blocks, header to the second post's header


def _is_header(blocks: Sequence[Block], i: int) -> bool:
    """A short headline line followed by a line that is only a date."""
    if i + 1 >= len(blocks):
        return False
    head, date = blocks[i], blocks[i + 1]
    text = head.text.strip()
    return (
        0 < len(text) <= _MAX_HEADLINE
        and not _SENTENCE_END.search(text)
        and not _DATE_LINE.match(text)
        and head.link_chars < 0.5 * len(text)
        and bool(_DATE_LINE.match(date.text))
    )


def _norm(text: str) -> str:
    return _SPACE.sub("", text)


def first_post(blocks: Sequence[Block], main: str, start: int, end: int) -> FirstPost | None:
    """The first post where the article's blocks are a series of at least three posts
    whose first header stands just above the body (None otherwise).

    Args:
        blocks: the page's visible blocks.
        main: the extracted main text.
        start: the body's first block.
        end: the index after the body's last block.
    """
    if start < 0:
        return None
    headers = [i for i in range(max(0, start - 2), end) if _is_header(blocks, i)]
    if len(headers) < MIN_POSTS or headers[0] > start:
        return None
    second = headers[1]
    title, date = _norm(blocks[second].text), _norm(blocks[second + 1].text)
    lines = main.split("\n")
    body_key = _norm(blocks[start].text)[:20]
    begun = False
    for k, line in enumerate(lines):
        norm = _norm(line)
        if not begun:
            begun = bool(body_key) and body_key in norm
            continue
        following = _norm(lines[k + 1]) if k + 1 < len(lines) else ""
        if norm == date or norm.startswith(title + date) or (norm == title and following == date):
            text = "\n".join(lines[:k]).rstrip()
            if text:
                return FirstPost(
                    blocks[headers[0]].text.strip(), text, len(headers), range(headers[0], second)
                )
            return None
    return None
