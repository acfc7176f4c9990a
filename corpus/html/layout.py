"""A page as the reader sees it: its visible text blocks in document order.

Used to find what lies between an article's title and its first paragraph (the byline:
date, author, source) and to summarise what main-content extraction left out (menus,
sidebars, comments, footers), by the kind of page region each block sits in. Regions are
only labels for reports; extraction itself is trafilatura's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from lxml import etree
from lxml.html import HtmlElement

__all__ = ["INVISIBLE", "Block", "page_blocks", "region_of"]

INVISIBLE = frozenset(
    {"script", "style", "noscript", "template", "svg", "math", "iframe", "object", "embed"}
)
"""Elements whose content a reader never sees as text."""

_SKIP = INVISIBLE | {"head", "title", "meta", "link", "textarea", "select", "option", "input"}
_BLOCK = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "br", "center", "dd", "details",
        "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form",
        "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p",
        "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
        "ul",
    }
)  # fmt: skip
_HEADING = frozenset({"h1", "h2", "h3"})
_SPACE = re.compile(r"[\s\u3000\xa0]+")

# (label, tags, class/id pattern): the first match on an element names its region.
_REGIONS: tuple[tuple[str, frozenset[str], re.Pattern[str]], ...] = (
    ("comments", frozenset(), re.compile(r"comment|pinglun|reply|discuss|disqus|\bpl\b", re.I)),
    ("share", frozenset(), re.compile(r"share|fenxiang|social|\bqr\b|erweima", re.I)),
    (
        "related",
        frozenset(),
        re.compile(r"relat|xgxw|xiangguan|extend|tuijian|recommend|\bmore\b|fanye|prev|next", re.I),
    ),
    ("advertising", frozenset(), re.compile(r"\bads?\b|advert|guanggao|banner|sponsor", re.I)),
    ("breadcrumb", frozenset(), re.compile(r"crumb|mianbao|weizhi|location|position", re.I)),
    (
        "navigation",
        frozenset({"nav"}),
        re.compile(r"nav|menu|daohang|topbar|top-bar|channel", re.I),
    ),
    (
        "sidebar",
        frozenset({"aside"}),
        re.compile(r"side|right|hot|rank|paihang|widget", re.I),
    ),
    ("footer", frozenset({"footer"}), re.compile(r"foot|bottom|copyright|beian", re.I)),
    ("header", frozenset({"header"}), re.compile(r"header|masthead|\blogo\b|search", re.I)),
)


def region_of(element: HtmlElement) -> str:
    """The region label an element itself names (by tag, class or id), or ""."""
    tag = element.tag if isinstance(element.tag, str) else ""
    names = f"{element.get('class', '')} {element.get('id', '')}"
    for label, tags, pattern in _REGIONS:
        if tag in tags or pattern.search(names):
            return label
    return ""


@dataclass(frozen=True, slots=True)
class Block:
    """One visible block of text.

    Attributes:
        text: its text, whitespace runs squashed to one space.
        region: the innermost labelled region it lies in (``navigation``, ``sidebar``,
            ``comments``, ``footer``, ...; "" for none).
        link_chars: how many of its characters are link text.
        times: the ``datetime`` attributes of ``<time>`` elements in it.
        heading: whether it is an ``<h1>``-``<h3>`` heading.
        plain: its text outside links (link labels left out), whitespace squashed.
    """

    text: str
    region: str = ""
    link_chars: int = 0
    times: tuple[str, ...] = ()
    heading: bool = False
    plain: str = ""


class _Builder:
    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.parts: list[str] = []
        self.plain: list[str] = []
        self.link_chars = 0
        self.times: list[str] = []
        self.region = ""
        self.heading = False

    def text(self, value: str | None, in_link: bool) -> None:
        if value:
            self.parts.append(value)
            if in_link:
                self.link_chars += len(value.strip())
                self.plain.append(" ")
            else:
                self.plain.append(value)

    def close(self) -> None:
        text = _SPACE.sub(" ", "".join(self.parts)).strip()
        if text:
            self.blocks.append(
                Block(
                    text,
                    self.region,
                    min(self.link_chars, len(text)),
                    tuple(self.times),
                    self.heading,
                    _SPACE.sub(" ", "".join(self.plain)).strip(),
                )
            )
        elif self.times and self.blocks:  # a <time> with no text: give it to the block before
            last = self.blocks[-1]
            self.blocks[-1] = replace(last, times=last.times + tuple(self.times))
        self.parts, self.plain, self.link_chars, self.times = [], [], 0, []
        self.heading = False


def page_blocks(tree: HtmlElement) -> tuple[Block, ...]:
    """The visible text blocks of a parsed page, in document order.

    Walks the tree iteratively (no recursion, so deeply nested malformed pages are
    safe); scripts, styles, forms' inputs and the head are skipped.

    Args:
        tree: the page, parsed by ``lxml.html``.

    Returns:
        The blocks.
    """
    body = tree.find(".//body")
    root = body if body is not None else tree
    out = _Builder()
    regions: list[str] = []
    links = 0
    walker = etree.iterwalk(root, events=("start", "end"))
    for event, el in walker:
        tag = el.tag if isinstance(el.tag, str) else ""
        if event == "start":
            if not tag or tag in _SKIP:
                walker.skip_subtree()
                continue
            if tag in _BLOCK:
                out.close()
            own = region_of(el)
            regions.append(own or (regions[-1] if regions else ""))
            out.region = regions[-1]
            if tag in _HEADING:
                out.heading = True
            if tag == "a":
                links += 1
            if tag == "time" and el.get("datetime"):
                out.times.append(el.get("datetime", ""))
            out.text(el.text, links > 0)
        else:
            if tag and tag not in _SKIP:
                if tag == "a":
                    links -= 1
                if tag in _BLOCK:
                    out.close()
                regions.pop()
                out.region = regions[-1] if regions else ""
            out.text(el.tail, links > 0)
    out.close()
    return tuple(out.blocks)
