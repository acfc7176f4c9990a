"""The main text of a whole web page, through trafilatura (precision settings).

trafilatura finds the article among menus, sidebars, comments and footers; it is run on
an already parsed tree, with comments, images and metadata off, so it never fetches
anything. Its result (an XML body of paragraphs, headings, lists, quotes and tables) is
rendered here as plain text, one block per line, and measured: a "main text" that is
mostly link labels or list items is an index page, not an article.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from lxml import etree
from lxml.html import HtmlElement

__all__ = ["MainText", "extract_main_text"]

logger = logging.getLogger(__name__)

_SPACE = re.compile(r"[ \t\r\f\v\xa0]+")
_BLOCKS = frozenset({"p", "head", "quote", "code", "list", "table", "item", "row", "div"})


@dataclass(frozen=True, slots=True)
class MainText:
    """What trafilatura took for the page's main text.

    Attributes:
        text: the text, one block (paragraph, heading, list item, table row) per line.
        chars: its length without whitespace.
        link_chars: how many of those characters are link labels.
        items: how many list items it has.
        item_chars: how many characters lie in list items.
    """

    text: str
    chars: int
    link_chars: int
    items: int
    item_chars: int

    @property
    def link_share(self) -> float:
        """Share of the text that is link labels."""
        return self.link_chars / self.chars if self.chars else 0.0

    @property
    def item_share(self) -> float:
        """Share of the text that lies in list items."""
        return self.item_chars / self.chars if self.chars else 0.0


def _squash(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def _inline(element: etree._Element) -> str:
    """The text of an inline run, ``<lb/>`` as a line break."""
    parts: list[str] = [element.text or ""]
    for child in element:
        if child.tag == "lb":
            parts.append("\n")
        else:
            parts.append(_inline(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _render(element: etree._Element, lines: list[str]) -> None:
    """Append the lines of a block element of trafilatura's output."""
    tag = element.tag
    if tag in ("list", "table", "div", "body", "doc", "main", "main_text") or (
        tag not in _BLOCKS and any(child.tag in _BLOCKS for child in element)
    ):
        if element.text and element.text.strip():
            lines.append(_squash(element.text))
        for child in element:
            _render(child, lines)
            if child.tail and child.tail.strip():
                lines.append(_squash(child.tail))
        return
    if tag == "row":
        cells = [_squash(_inline(cell)) for cell in element]
        lines.append(" ".join(c for c in cells if c))
        return
    for line in _inline(element).split("\n"):
        lines.append(_squash(line))


def _chars(element: etree._Element) -> int:
    return sum(len(re.sub(r"\s+", "", t)) for t in element.itertext())


def extract_main_text(tree: HtmlElement) -> MainText | None:
    """The main text of a parsed page.

    Args:
        tree: the page, parsed by ``lxml.html`` (not modified).

    Returns:
        The main text, or None where trafilatura finds none.
    """
    import trafilatura

    document = trafilatura.bare_extraction(
        tree,
        favor_precision=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=True,
        with_metadata=False,
        deduplicate=False,
    )
    body = getattr(document, "body", None)
    if body is None:
        return None
    lines: list[str] = []
    _render(body, lines)
    text = "\n".join(line for line in lines if line)
    items = [el for el in body.iter("item")]
    return MainText(
        text=text,
        chars=_chars(body),
        link_chars=sum(_chars(ref) for ref in body.iter("ref")),
        items=len(items),
        item_chars=sum(_chars(item) for item in items),
    )
