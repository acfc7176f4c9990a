"""The publication date a page states in its visible text.

Where a page has no date in its meta tags or structured data, the date is read from the
text a reader sees, by where it stands relative to the article, in this order:

1. the **byline**: the lines between the headline and the article's first paragraph
   (``2005-04-05 06:40更新 来源：…``, ``BUSINESS.SOHU.COM 2005年3月11日12:12``);
2. a **dated line just before the article** (the headline is not always found: up to
   :data:`MAX_LINES_BEFORE` lines above the first paragraph);
3. a **labelled date** anywhere outside the page's furniture (``发布时间``, ``发表于``,
   ``本贴由…于2005年8月12日…发表``, ``…楼主``), the first in reading order: the post,
   not its replies;
4. the **article's own first and last lines**: a dateline, or a source note
   (``——《北京之春》1998年3月号``, ``（2022年02月13日 02版）``), which may state a
   month only;
5. the **post's footer** right under the article (``发表于2005年09月07日 11:57 AM``).

Where the text states none, the page's address may (:func:`date_in_url`:
``…/2005/09/07/543698.aspx``).

A date never comes from menus, sidebars, related-article lists, comments, footers or
link labels (their dates belong to other pages), nor from copyright lines; a date after
the fetch date is not a publication date. Nothing is guessed: no date is better than a
wrong one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from corpus.html.layout import Block

__all__ = ["MAX_LINES_BEFORE", "StatedDate", "date_in_url", "find_dates", "page_date"]

MAX_LINES_BEFORE = 8
"""How many lines above the article's first paragraph a dated line may stand."""

_FURNITURE = frozenset(
    {"navigation", "sidebar", "footer", "comments", "related", "advertising", "breadcrumb",
     "share", "header"}
)  # fmt: skip
_MAX_LINE = 200  # a dated line longer than this is article text, not a byline
_MAX_LABELLED = 100
_YMD = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*(?:[-/.]|年)\s*(?P<m>\d{1,2})\s*(?:[-/.]|月)\s*"
    r"(?P<d>\d{1,2})(?!\d)\s*日?"
    r"(?:\s*T?\s*(?P<H>\d{1,2})\s*[:：時时点點]\s*(?P<M>\d{2})(?:\s*[:：分]\s*(?P<S>\d{2}))?)?"
)
# 7/5/2005 9:23:57 PM, 17/09/2004: month and day order by the values (a day over 12, or
# an AM/PM clock, which marks the US order).
_DMY = re.compile(
    r"(?<![\d/])(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>(?:19|20)\d{2})(?![\d/])"
    r"(?:\s+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?(?:\s*(?P<ampm>[AaPp][Mm]))?)?"
)
_YM = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*年\s*(?P<m>\d{1,2})\s*月(?!\s*\d{1,2}\s*日)")
_LABEL = re.compile(
    r"发布|發布|发表|發表|更新|时间|時間|日期|发帖|發帖|楼主|樓主|posted|published|date", re.I
)
_COPYRIGHT = re.compile(r"copyright|©|\(c\)|版权所有|版權所有|all rights reserved", re.I)
_SOURCE_NOTE = re.compile(r"^\s*(?:[—－-]{1,2}|[（(])")
_MAX_NOTE = 40
_BRACKET_DATELINE = re.compile(r"^\s*[【\[（(][^】\]）)]{0,40}[】\]）)]")
_ONLY_DATE = re.compile(r"^\s*(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*$")
_SENTENCE = re.compile(r"[。！？!?]")
# ``/2005/09/07/``, ``/2005-09-07/``, ``/20050907/``, ``/200509/07/`` in a URL's path.
_URL_DATE = re.compile(
    r"/(?P<y>(?:19|20)\d{2})(?:[/_-]?)(?P<m>0[1-9]|1[0-2])(?:[/_-]?)(?P<d>0[1-9]|[12]\d|3[01])(?=[/_.-]|$)"
    r"|/(?P<y2>(?:19|20)\d{2})/(?P<m2>[1-9]|1[0-2])/(?P<d2>[1-9]|[12]\d|3[01])/"
)
# A post's own footer, right under it: ``发表于2005年09月07日 11:57 AM``.
_POSTED_AT = re.compile(r"发表于|發表於|发布于|發佈於|posted\s+(?:at|on)", re.I)


@dataclass(frozen=True, slots=True)
class StatedDate:
    """A date stated in a line: ISO 8601 (``2005-04-05T06:40:00``, ``2005-04-05``, or
    ``1998-03`` where only the month is stated) and where it stands in the line."""

    value: str
    start: int
    end: int


def _iso(y: int, mo: int, d: int, hh: str | None, mm: str | None, ss: str | None) -> str:
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return ""
    day = f"{y:04d}-{mo:02d}-{d:02d}"
    if hh is None or mm is None:
        return day
    h, m, s = int(hh), int(mm), int(ss or 0)
    if h > 23 or m > 59 or s > 59:
        return day
    return f"{day}T{h:02d}:{m:02d}:{s:02d}"


def find_dates(line: str, *, months: bool = False) -> list[StatedDate]:
    """The full dates a line states, in order (``months``: year-and-month statements such
    as ``1998年3月`` too).

    Args:
        line: one line of text.
        months: also return dates stated to the month only.

    Returns:
        The dates found, each in ISO 8601.
    """
    found: list[StatedDate] = []
    taken: list[tuple[int, int]] = []
    for m in _YMD.finditer(line):
        value = _iso(int(m["y"]), int(m["m"]), int(m["d"]), m["H"], m["M"], m["S"])
        if value:
            found.append(StatedDate(value, m.start(), m.end()))
            taken.append(m.span())
    for m in _DMY.finditer(line):
        a, b, hh = int(m["a"]), int(m["b"]), m["H"]
        if m["ampm"] and hh is not None:
            h = int(hh) % 12 + (12 if m["ampm"].lower() == "pm" else 0)
            hh = str(h)
        if a > 12 or (b <= 12 and not m["ampm"]):
            if a <= 12:
                continue  # 05/07/2005 without a clock: either order; nothing is guessed
            day, month = a, b
        else:
            month, day = a, b
        value = _iso(int(m["y"]), month, day, hh, m["M"], m["S"])
        if value:
            found.append(StatedDate(value, m.start(), m.end()))
            taken.append(m.span())
    if months:
        for m in _YM.finditer(line):
            if any(s <= m.start() < e for s, e in taken) or not 1 <= int(m["m"]) <= 12:
                continue
            found.append(StatedDate(f"{int(m['y']):04d}-{int(m['m']):02d}", m.start(), m.end()))
    found.sort(key=lambda d: d.start)
    return found


def date_in_url(url: str, latest: str) -> str:
    """The day a URL's path states (``…/archive/2005/09/07/543698.aspx`` ->
    ``2005-09-07``; "" where it states none or one after ``latest``)."""
    path = url.split("?", 1)[0].split("#", 1)[0]
    path = path[path.find("/", path.find("//") + 2) :] if "//" in path else path
    for m in _URL_DATE.finditer(path):
        y, mo, d = (m["y"], m["m"], m["d"]) if m["y"] else (m["y2"], m["m2"], m["d2"])
        value = _iso(int(y), int(mo), int(d), None, None, None)
        if value and value <= latest:
            return value
    return ""


def _usable(block: Block) -> bool:
    return (
        block.region not in _FURNITURE
        and len(block.text) <= _MAX_LINE
        and not _COPYRIGHT.search(block.text)
    )


def _first(
    blocks: Sequence[Block], indices: Sequence[int], latest: str, *, months: bool = False
) -> str:
    """The first date stated outside link labels in the given blocks (``months``: a line
    that is only a year and month counts too)."""
    for i in indices:
        block = blocks[i]
        if not _usable(block):
            continue
        text = block.plain
        for stated in find_dates(text, months=True):
            if len(stated.value) == 7 and not (months or _ONLY_DATE.match(text)):
                continue
            if stated.value[:10] <= latest:
                return stated.value
    return ""


def page_date(
    blocks: Sequence[Block],
    *,
    title_at: int,
    body_start: int,
    body_end: int,
    latest: str,
) -> tuple[str, str]:
    """The publication date a page states in its visible text, and where it was found.

    Args:
        blocks: the page's visible blocks (:func:`~corpus.html.layout.page_blocks`).
        title_at: the index of the headline's block (-1 where not found).
        body_start: the index of the article's first paragraph (-1 where unknown).
        body_end: the index after the article's last block.
        latest: the latest possible date (``YYYY-MM-DD``).

    Returns:
        ``(date, where)``: the date in ISO 8601 (``""`` where the page states none) and
        ``byline``, ``before-text``, ``labelled`` or ``article``.
    """
    if body_start < 0:
        return "", ""
    if title_at >= 0 and title_at < body_start:
        found = _first(blocks, range(title_at + 1, body_start), latest)
        if found:
            return found, "byline"
    before = range(body_start - 1, max(-1, body_start - 1 - MAX_LINES_BEFORE), -1)
    found = _first(blocks, before, latest)
    if found:
        return found, "before-text"
    # A labelled line is a short line, not a sentence of text ("报名日期为…。").
    labelled = [
        i
        for i, b in enumerate(blocks)
        if len(b.text) <= _MAX_LABELLED and _LABEL.search(b.plain) and not _SENTENCE.search(b.text)
    ]
    found = _first(blocks, labelled, latest)
    if found:
        return found, "labelled"
    ends = [
        i
        for i in (body_start, body_start + 1, body_end - 1, body_end - 2)
        if body_start <= i < body_end
    ]
    for i in dict.fromkeys(ends):
        block = blocks[i]
        if not _usable(block):
            continue
        text = block.plain
        note = len(text) <= _MAX_NOTE and not _SENTENCE.search(text)
        if not note and not _SOURCE_NOTE.match(text):
            # A sentence of the article states events, not its own date; only a note
            # (a short line, a source citation) or a bracketed dateline at the start does.
            m = _BRACKET_DATELINE.match(text)
            if not m:
                continue
            text = m.group(0)
        for stated in find_dates(text, months=True):
            if stated.value[:10] <= latest:
                return stated.value, "article"
    # The post's own footer, in the two lines under it (a footer region to the layout).
    for i in range(body_end, min(len(blocks), body_end + 2)):
        block = blocks[i]
        text = block.plain
        if (
            len(block.text) <= _MAX_LABELLED
            and _POSTED_AT.search(text)
            and not _COPYRIGHT.search(block.text)
        ):
            for stated in find_dates(text):
                if stated.value[:10] <= latest:
                    return stated.value, "post-footer"
    return "", ""
