"""The main text of a whole web page, through trafilatura (precision settings).

trafilatura finds the article among menus, sidebars, comments and footers; it is run on
an already parsed tree, with comments, images and metadata off, so it never fetches
anything. Its result (an XML body of paragraphs, headings, lists, quotes and tables) is
rendered here as plain text, one block per line, and measured: a "main text" that is
mostly link labels or list items is an index page, not an article.

Rendering:

* A sentence that a line break (``<lb/>``, or a newline of a source-wrapped page) cuts
  inside one block is joined (:func:`corpus.cleaning.linebreaks.continues`); a heading
  or list line before the break stays apart, and two breaks end the paragraph. Where the
  plain-text rule of the cleaning pipeline would take two blocks for one wrapped
  paragraph, an empty line keeps them apart.
* What trafilatura leaves of the page's furniture goes (no rule is keyed to a site):
  widget lines (``分享到：微信 微博 QQ``, ``字号：大 中 小``, ``返回顶部``, breadcrumbs;
  :mod:`corpus.cleaning.widgets`) and widget labels ending a line (``... 收起``); link
  label lines (at least :data:`LINK_LINE_SHARE` of their letters in links) that hold
  two links or more (a navigation bar), stand next to another link label line (a
  headline list) or make up half of a list or more; and a short header right before
  such a list (``相关报道：``). A ``<ref>`` without a target (``<a name=...>``) is no
  link. A paragraph with a link in it stays. Where nothing would be left, the page is
  an index page: its text is kept whole for :mod:`corpus.html.page` to name it.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, replace

from lxml import etree
from lxml.html import HtmlElement

from corpus.cleaning.linebreaks import LineShape, continues, wrapped_continues
from corpus.cleaning.widgets import is_widget_line, widget_tail

__all__ = ["MainText", "extract_main_text"]

logger = logging.getLogger(__name__)

_SPACE = re.compile(r"[ \t\r\f\v\xa0]+")
_BLOCKS = frozenset({"p", "head", "quote", "code", "list", "table", "item", "row", "div"})

LINK_LINE_SHARE = 0.7
"""A line with at least this share of its letters in links is a link label line."""
MAX_LIST_HEADER = 8
"""A line of at most this many letters, without a sentence mark, right before a dropped
list of links is the list's header (``相关报道：``)."""
_SENTENCE_MARK = re.compile(r"[，。！？；,;!?]")


@dataclass(frozen=True, slots=True)
class MainText:
    """What trafilatura took for the page's main text.

    Attributes:
        text: the text, one block (paragraph, heading, list item, table row) per line,
            sentences broken inside a block joined, widgets and link lists left out;
            an empty line between two blocks where one ends mid-sentence and is as
            wide as the next (so that cleaning does not join them).
        chars: the length without whitespace of trafilatura's whole result (widgets and
            link lists included: the measures judge the page, not the kept text).
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


def _letters(text: str) -> int:
    return sum(1 for c in text if unicodedata.category(c).startswith("L"))


@dataclass(frozen=True, slots=True)
class _Line:
    """One line of the rendered body: its pieces of text (each with the number of the
    link it lies in, -1 outside links), and whether a paragraph break (a new block, an
    empty line) or a single ``<lb/>`` comes before it."""

    pieces: tuple[tuple[str, int], ...]
    paragraph: bool
    list_id: int = -1

    @property
    def text(self) -> str:
        return _squash("".join(text for text, _ in self.pieces))

    def cut(self, keep: int) -> _Line:
        """The line with the first ``keep`` characters of its joined pieces."""
        out: list[tuple[str, int]] = []
        for text, link in self.pieces:
            if keep <= 0:
                break
            out.append((text[:keep], link))
            keep -= len(text)
        return replace(self, pieces=tuple(out))

    def link_stats(self) -> tuple[int, int, int]:
        """Letters, letters in links, and the number of links with letters."""
        letters = in_links = 0
        links: set[int] = set()
        for text, link in self.pieces:
            n = _letters(text)
            letters += n
            if link >= 0 and n:
                in_links += n
                links.add(link)
        return letters, in_links, len(links)


class _Builder:
    """Collects the lines of trafilatura's body, block by block."""

    def __init__(self) -> None:
        self.lines: list[_Line] = []
        self._pieces: list[tuple[str, int]] = []
        self._seen = False  # whether the pieces hold more than whitespace
        self._paragraph = True
        self._links = 0
        self.list_id = -1

    def new_link(self) -> int:
        self._links += 1
        return self._links

    def text(self, text: str | None, link: int = -1) -> None:
        """A run of text; a newline in it (the page's source was wrapped) breaks the
        line as an ``<lb/>`` does, but empty lines there are only whitespace."""
        if not text:
            return
        first, *rest = text.split("\n")
        self._add(first, link)
        for part in rest:
            if self._seen:
                self._flush()
                self._paragraph = False
            self._add(part, link)

    def _add(self, text: str, link: int) -> None:
        if text:
            self._pieces.append((text, link))
            self._seen = self._seen or not text.isspace()

    def line_break(self) -> None:
        """An ``<lb/>``: the line ends; an empty line (two breaks) ends the paragraph."""
        if self._seen:
            self._flush()
            self._paragraph = False
        else:
            self._pieces = []
            self._paragraph = True

    def end_block(self) -> None:
        self._flush()
        self._paragraph = True

    def _flush(self) -> None:
        if self._seen:
            self.lines.append(_Line(tuple(self._pieces), self._paragraph, self.list_id))
        self._pieces = []
        self._seen = False


def _inline(element: etree._Element, out: _Builder, link: int = -1) -> None:
    """The text of an inline run, ``<lb/>`` as a line break, links numbered."""
    out.text(element.text, link)
    for child in element:
        if child.tag == "lb":
            out.line_break()
        else:
            # A <ref> without a target (an <a> without href: an anchor) is no link.
            is_link = child.tag == "ref" and bool(child.get("target", "").strip())
            _inline(child, out, out.new_link() if is_link else link)
        out.text(child.tail, link)


def _render(element: etree._Element, out: _Builder) -> None:
    """Append the lines of a block element of trafilatura's output."""
    tag = element.tag
    if tag in ("list", "table", "div", "body", "doc", "main", "main_text") or (
        tag not in _BLOCKS and any(child.tag in _BLOCKS for child in element)
    ):
        outer = out.list_id
        if tag == "list":
            out.list_id = id(element)
        if element.text and element.text.strip():
            out.text(element.text)
            out.end_block()
        for child in element:
            _render(child, out)
            if child.tail and child.tail.strip():
                out.text(child.tail)
                out.end_block()
        out.list_id = outer
        return
    if tag == "row":
        for i, cell in enumerate(element):
            if i:
                out.text(" ")
            _inline(cell, out)
        out.end_block()
        return
    _inline(element, out)
    out.end_block()


def _is_link_line(line: _Line) -> bool:
    letters, in_links, _ = line.link_stats()
    return in_links > 0 and in_links >= LINK_LINE_SHARE * letters


def _is_list_header(line: _Line) -> bool:
    text = line.text
    return _letters(text) <= MAX_LIST_HEADER and _SENTENCE_MARK.search(text) is None


def _drop_furniture(lines: list[_Line]) -> list[_Line]:
    """The lines without widget labels, link lists and navigation bars."""
    kept: list[_Line] = []
    broken = False  # a dropped line lies between the last kept line and the next
    for line in lines:
        text = line.text
        cut = widget_tail(text)
        if cut < len(text):
            # The pieces hold the unsquashed text: cut where the squashed text is cut.
            line = line.cut(_raw_offset(line, cut))
        if not line.text or is_widget_line(line.text):
            broken = True
            continue
        if broken:
            line = replace(line, paragraph=True)
            broken = False
        kept.append(line)
    link = [_is_link_line(line) for line in kept]
    drop = [False] * len(kept)
    for i, line in enumerate(kept):
        if link[i] and line.link_stats()[2] >= 2:
            drop[i] = True  # a navigation bar or a list of links on one line
    for i in range(len(kept)):
        if link[i] and ((i > 0 and link[i - 1]) or (i + 1 < len(kept) and link[i + 1])):
            drop[i] = True  # a run of link labels: a headline list
    lists: dict[int, list[int]] = {}
    for i, line in enumerate(kept):
        if line.list_id != -1:
            lists.setdefault(line.list_id, []).append(i)
    for members in lists.values():
        if sum(link[i] for i in members) * 2 >= len(members):
            for i in members:
                drop[i] = drop[i] or link[i]  # the links of a list of mostly links
    for i in range(1, len(kept)):
        if drop[i] and not drop[i - 1] and _is_list_header(kept[i - 1]):
            drop[i - 1] = True  # the header of a dropped list: 相关报道：, ■相关链接
    out: list[_Line] = []
    broken = False
    for line, dropped in zip(kept, drop, strict=True):
        if dropped:
            broken = True
            continue
        if broken:
            line = replace(line, paragraph=True)
            broken = False
        out.append(line)
    return out


def _raw_offset(line: _Line, squashed: int) -> int:
    """The offset in the joined pieces of ``line`` that ``squashed`` is in its squashed
    text (squashing changes only whitespace: count the other characters)."""
    wanted = sum(1 for c in line.text[:squashed] if not c.isspace())
    if not wanted:
        return 0
    seen = 0
    for i, c in enumerate("".join(text for text, _ in line.pieces)):
        if not c.isspace():
            seen += 1
            if seen == wanted:
                return i + 1
    return sum(len(text) for text, _ in line.pieces)


def _text(lines: list[_Line]) -> str:
    """The body as text: a line broken inside a sentence is joined; paragraphs stay one
    per line, with an empty line between two where the plain-text rule would otherwise
    take them for one wrapped paragraph."""
    out: list[str] = []
    shape: LineShape | None = None
    for line in lines:
        text = line.text
        if shape is not None and not line.paragraph:
            separator = continues(shape, text)
            if separator is not None:
                out.append(separator + text)
                shape = shape.joined(separator, LineShape.of(text))
                continue
        if shape is not None:
            # Keep a paragraph break a paragraph break in the cleaning pipeline.
            out.append("\n\n" if wrapped_continues(shape, text) is not None else "\n")
        out.append(text)
        shape = LineShape.of(text)
    return "".join(out)


def _chars(element: etree._Element) -> int:
    return sum(len(re.sub(r"\s+", "", t)) for t in element.itertext())


def extract_main_text(tree: HtmlElement, *, favor_recall: bool = False) -> MainText | None:
    """The main text of a parsed page.

    Args:
        tree: the page, parsed by ``lxml.html`` (not modified).
        favor_recall: run trafilatura for recall instead of precision (for a page whose
            body the precise run missed).

    Returns:
        The main text, or None where trafilatura finds none.
    """
    import trafilatura

    document = trafilatura.bare_extraction(
        tree,
        favor_precision=not favor_recall,
        favor_recall=favor_recall,
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
    builder = _Builder()
    _render(body, builder)
    text = _text(_drop_furniture(builder.lines))
    if not text:
        # Nothing but links and widgets: an index page, which the page-level check
        # recognises by its link and list shares (see corpus.html.page); give it all.
        text = _text(builder.lines)
    items = [el for el in body.iter("item")]
    return MainText(
        text=text,
        chars=_chars(body),
        link_chars=sum(_chars(ref) for ref in body.iter("ref")),
        items=len(items),
        item_chars=sum(_chars(item) for item in items),
    )
