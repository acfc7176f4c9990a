"""One web page in, its article (text and metadata) out, or the reason it has none.

A whole page (it has ``<html>``/``<head>``/``<body>``, or menus, sidebars and footers, or
is mostly links) goes through trafilatura's main-content extraction
(:mod:`corpus.html.extract`); a bare fragment (the article's own markup and nothing
else) is kept whole (:mod:`corpus.html.fragment`). Metadata comes from the page's
structured data and its byline (:mod:`corpus.html.metadata`).

A page is skipped, with a named reason, when it is not HTML, too large or too deeply
nested to extract in bounded time, or has no article (an index or list page).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from lxml import etree
from lxml.html import HtmlElement, HTMLParser, document_fromstring
from lxml.html.defs import tags as html_tags

from corpus.html.authors import poster
from corpus.html.extract import MainText, extract_main_text
from corpus.html.fragment import html_to_text
from corpus.html.hidden import reveal_hidden_bodies
from corpus.html.layout import INVISIBLE, Block, page_blocks, region_of
from corpus.html.metadata import PageMetadata, byline_span, page_metadata
from corpus.html.posts import first_post

__all__ = [
    "MAX_DEPTH",
    "MAX_ELEMENTS",
    "MAX_TEXT_CHARS",
    "DroppedRegion",
    "PageExtraction",
    "SkipReason",
    "extract_page",
    "is_fragment",
    "parse_html",
]

MAX_TEXT_CHARS = 500_000
"""Pages with more visible text than this are skipped (news articles hold a few thousand
characters; docs/ingestion.md has the timings)."""
MAX_ELEMENTS = 30_000
"""Pages with more elements than this (scripts and styles not counted) are skipped:
trafilatura's time grows faster than linearly with the element count (a few seconds at
this limit on a 2-core machine; news article pages have a few thousand elements)."""
MAX_DEPTH = 512
"""Pages nested deeper than this are malformed (the parser gives up at 2,048 and loses
everything after)."""

MIN_SENTENCELESS_CHARS = 50
"""A main text without a sentence end (。！？!?) must be at least this long to count."""
MAX_LINK_SHARE = 0.3
"""A main text with at least this share of link labels is an index page, unless it has a
body (:data:`MIN_BODY_CHARS`)."""
MIN_BODY_CHARS = 200
"""A main text whose blocks of prose (sentences, mostly not link labels) hold at least
this many characters is an article, however many related links surround it."""
MAX_PROSE_LINK_SHARE = 0.5
"""A block with at least this share of link labels is not prose."""
MAX_ITEM_SHARE = 0.6
"""A main text with at least this share in (five or more) list items is a list page."""

METADATA_REGION = "title/byline"
"""The region label of the title and byline blocks: read as metadata, not article text."""

_PAGE_TAGS = re.compile(r"<(?:html|head|body)[\s>/]", re.I)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
# A page saved inside a container element of a crawl or dataset format (``<text id=URL
# encoding=gb2312><html>…</html></text>``, ``<doc>``, ``<record>``): the first tag is not
# an HTML element and an ``<html>`` or ``<head>`` follows it.
_WRAPPER = re.compile(r"^\s*(?:<!--.*?-->\s*)*<(?P<tag>[A-Za-z][\w:.-]*)\b[^>]*>", re.S)
_WRAPPER_URL = re.compile(
    r"""\b(?:id|url|href|src|uri)\s*=\s*["']?(?P<url>https?://[^\s"'<>]+)""", re.I
)
_PAGE_START = re.compile(r"<(?:!doctype|html|head)\b", re.I)
_SENTENCE_END = re.compile(r"[。！？!?]")
_COMMA = re.compile(r"[，,；;]")
_FURNITURE = frozenset({"navigation", "sidebar", "footer", "comments", "breadcrumb", "header"})
_SPACE = re.compile(r"[\s\u3000\xa0]+")


@dataclass(frozen=True, slots=True)
class SkipReason:
    """Why a page gave no article.

    Attributes:
        code: a short name (``not-html``, ``too-large``, ``malformed-html``,
            ``no-article-text``, ``list-page``).
        message: what happened and what to do.
    """

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class DroppedRegion:
    """What extraction left out of one kind of page region.

    Attributes:
        region: ``navigation``, ``breadcrumb``, ``header``, ``sidebar``, ``related``,
            ``comments``, ``share``, ``advertising``, ``footer``, ``other`` (unlabelled
            blocks), ``scripts/styles``, or ``title/byline`` (the title and the lines
            under it, read as metadata).
        blocks: how many text blocks (elements, for scripts and styles).
        chars: how many characters.
        examples: up to three of its blocks, shortened.
    """

    region: str
    blocks: int
    chars: int
    examples: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PageExtraction:
    """The article of one page, or why there is none.

    Attributes:
        text: the article's text, one block per line ("" when skipped): sentences
            broken inside a block are joined, widget labels and link lists are left
            out, and an empty line may separate blocks.
        metadata: what the page states about the article.
        mode: ``page`` (trafilatura), ``fragment`` (kept whole) or "" (skipped).
        kept_blocks: visible blocks of the page that are in the text.
        dropped: what was left out, by region (largest first).
        skip: why the page gave no article, or None.
    """

    text: str = ""
    metadata: PageMetadata = field(default_factory=PageMetadata)
    mode: str = ""
    kept_blocks: int = 0
    dropped: tuple[DroppedRegion, ...] = ()
    skip: SkipReason | None = None


def parse_html(text: str) -> HtmlElement:
    """Parse a page with lxml, leniently (malformed markup is repaired), without limits
    on text node sizes (a multi-megabyte inline script must not cut the page short).

    Raises:
        ValueError: when there is nothing to parse.
    """
    text = unwrap_page(_XML_DECLARATION.sub("", text, count=1))
    parser = HTMLParser(huge_tree=True, remove_comments=True, remove_pis=True)
    try:
        return document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise ValueError(f"cannot be parsed as HTML ({exc})") from exc


def wrapper_url(text: str) -> str:
    """The page's address as the container it was saved in states it (``<text
    id="http://…">``; "" where it is not wrapped or states none)."""
    m = _WRAPPER.match(text)
    if m is None or m["tag"].lower() in html_tags:
        return ""
    found = _WRAPPER_URL.search(m.group(0))
    return found["url"] if found else ""


def unwrap_page(text: str) -> str:
    """A page without the container element it was saved in, if any.

    Datasets and crawl dumps wrap each page in an element of their own (``<text id=URL
    title=… encoding=gb2312>``). Parsed as it is, the wrapper opens the body, so the
    page's ``<head>`` (its title, meta tags and JSON-LD) is lost inside it. A first tag
    that HTML does not know, followed by the page's ``<!DOCTYPE>``, ``<html>`` or
    ``<head>``, is such a wrapper: it and its closing tag at the end are removed.
    """
    m = _WRAPPER.match(text)
    if m is None or m["tag"].lower() in html_tags:
        return text
    rest = text[m.end() :]
    start = _PAGE_START.search(rest, 0, 4096)
    if start is None:
        return text
    rest = rest[start.start() :]
    return re.sub(rf"</{re.escape(m['tag'])}\s*>\s*$", "", rest, flags=re.I)


def _measure(tree: HtmlElement) -> tuple[int, int, int, tuple[int, int]]:
    """Elements and visible characters (scripts and styles apart), nesting depth, and the
    number and size of scripts and styles, walking the tree iteratively."""
    elements = chars = depth = deepest = hidden = hidden_chars = 0
    walker = etree.iterwalk(tree, events=("start", "end"))
    for event, el in walker:
        if event == "start":
            depth += 1
            deepest = max(deepest, depth)
            if el.tag in INVISIBLE:
                hidden += 1
                hidden_chars += sum(len(t) for t in el.itertext())
                walker.skip_subtree()
                continue
            elements += 1
            chars += len(el.text or "") if isinstance(el.tag, str) else 0
        else:
            depth -= 1
            chars += len(el.tail or "")
    return elements, chars, deepest, (hidden, hidden_chars)


def is_fragment(text: str, tree: HtmlElement, blocks: Sequence[Block]) -> bool:
    """Whether HTML is a bare article fragment rather than a whole page.

    A fragment has no ``<html>``, ``<head>`` or ``<body>`` tag, no element that names a
    menu, sidebar, header, footer, breadcrumb or comment region, and less than half of
    its text in links.
    """
    if _PAGE_TAGS.search(text):
        return False
    for el in tree.iter():
        if isinstance(el.tag, str) and region_of(el) in _FURNITURE:
            return False
    chars = sum(len(b.text) for b in blocks)
    links = sum(b.link_chars for b in blocks)
    return not chars or links / chars < 0.5


def _norm(text: str) -> str:
    return _SPACE.sub("", text)


def _kept(blocks: Sequence[Block], main: str) -> tuple[list[bool], int]:
    """Which blocks made it into the main text, and the index of the first one."""
    body = _norm(main)
    lines = {_norm(line) for line in main.split("\n") if line.strip()}
    first_line = _norm(next((line for line in main.split("\n") if line.strip()), ""))
    key = first_line[:20]
    kept: list[bool] = []
    first = -1
    for i, block in enumerate(blocks):
        text = _norm(block.text)
        inside = bool(text) and (text in lines or (len(text) >= 4 and text in body))
        kept.append(inside)
        if first < 0 and key and (key in text or (len(text) >= 10 and text in first_line)):
            first = i
    return kept, first


def _dropped(
    blocks: Sequence[Block],
    kept: Sequence[bool],
    invisible: tuple[int, int],
    metadata_blocks: set[int],
) -> tuple[DroppedRegion, ...]:
    groups: dict[str, list[Block]] = {}
    for i, (block, inside) in enumerate(zip(blocks, kept, strict=True)):
        if i in metadata_blocks:
            groups.setdefault(METADATA_REGION, []).append(block)
        elif not inside:
            groups.setdefault(block.region or "other", []).append(block)
    regions = [
        DroppedRegion(
            region,
            len(group),
            sum(len(b.text) for b in group),
            tuple(b.text if len(b.text) <= 30 else b.text[:30] + "…" for b in group[:3]),
        )
        for region, group in groups.items()
    ]
    regions.sort(key=lambda r: -r.chars)
    if invisible[0]:
        regions.append(DroppedRegion("scripts/styles", invisible[0], invisible[1]))
    return tuple(regions)


def _is_prose(block: Block) -> bool:
    """A block that holds a sentence (a sentence end, or 80 characters of running text
    with a comma and no link) and is mostly not link labels."""
    n = len(block.text)
    if not n or block.link_chars >= MAX_PROSE_LINK_SHARE * n:
        return False
    if _SENTENCE_END.search(block.text):
        return True
    return n >= 80 and not block.link_chars and bool(_COMMA.search(block.text))


def body_chars(blocks: Sequence[Block], kept: Sequence[bool]) -> int:
    """Characters of the longest run of prose (see :func:`_is_prose`) in the main text: a
    run is broken by a block that is mostly link labels, so a list page's teasers between
    its headline links do not add up to a body, while an article's paragraphs do."""
    best = run = 0
    for b, inside in zip(blocks, kept, strict=True):
        if not inside:
            continue
        if _is_prose(b):
            run += len(b.text) - b.link_chars
            best = max(best, run)
        elif b.link_chars >= MAX_PROSE_LINK_SHARE * len(b.text):
            run = 0
    return best


def _body_range(blocks: Sequence[Block], kept: Sequence[bool], first: int) -> tuple[int, int]:
    """Where the article's body lies among the blocks: its first prose block kept in the
    main text (else ``first``) and the index after its last kept block."""
    prose = [
        i for i, (b, inside) in enumerate(zip(blocks, kept, strict=True)) if inside and _is_prose(b)
    ]
    if not prose:
        return first, first + 1 if first >= 0 else -1
    last = max(i for i, inside in enumerate(kept) if inside)
    return prose[0], last + 1


def _article_check(main: MainText | None, body: int) -> SkipReason | None:
    if main is None or not main.text.strip():
        return SkipReason(
            "no-article-text",
            "no article text found on the page (an index, list or empty page?); nothing "
            "was ingested from it",
        )
    if body >= MIN_BODY_CHARS:
        return None  # a body of sentences: an article, whatever links surround it
    if main.link_share >= MAX_LINK_SHARE:
        return SkipReason(
            "list-page",
            f"its main text is {main.link_share:.0%} link labels: an index or list page, "
            "not an article",
        )
    if main.items >= 5 and main.item_share >= MAX_ITEM_SHARE:
        return SkipReason(
            "list-page",
            f"its main text is a list of {main.items} items ({main.item_share:.0%} of it): "
            "an index or list page, not an article",
        )
    if main.chars < MIN_SENTENCELESS_CHARS and not _SENTENCE_END.search(main.text):
        return SkipReason(
            "no-article-text",
            f"its main text is {main.chars} characters without a sentence "
            f"({main.text[:30]!r}): a heading or label, not an article",
        )
    return None


def extract_page(
    text: str,
    *,
    url: str = "",
    fetched: date | None = None,
    max_text_chars: int = MAX_TEXT_CHARS,
    max_elements: int = MAX_ELEMENTS,
    max_depth: int = MAX_DEPTH,
) -> PageExtraction:
    """The article of one page: main text, metadata and what was left out.

    Never touches the network: trafilatura and htmldate work on the parsed tree.

    Args:
        text: the page's HTML, decoded (see :func:`corpus.html.decode.decode_page`).
        url: the page's own URL where known (a WARC record's target URI), to resolve a
            relative canonical link.
        fetched: when the page was fetched; no publication date after it (plus a day) is
            accepted. Default today.
        max_text_chars: larger pages are skipped (``too-large``).
        max_elements: pages with more elements are skipped (``too-large``).
        max_depth: pages nested deeper are skipped (``malformed-html``).

    Returns:
        The extraction; ``skip`` says why there is no article.
    """
    try:
        tree = parse_html(text)
    except ValueError as exc:
        return PageExtraction(skip=SkipReason("not-html", f"the file {exc}; remove it"))
    elements, chars, depth, invisible = _measure(tree)
    if depth > max_depth:
        return PageExtraction(
            skip=SkipReason(
                "malformed-html",
                f"its elements are nested {depth} deep (more than {max_depth}): malformed "
                "markup whose text the parser cannot recover; repair or remove the page",
            )
        )
    if chars > max_text_chars or elements > max_elements:
        return PageExtraction(
            skip=SkipReason(
                "too-large",
                f"it holds {chars:,} characters of text in {elements:,} elements (the "
                f"limits are {max_text_chars:,} and {max_elements:,}): not a news "
                "article; split it, or raise the limits",
            )
        )
    url = url or wrapper_url(text)
    blocks = page_blocks(tree)
    if is_fragment(text, tree, blocks):
        title, body = html_to_text(text)
        return PageExtraction(
            text=body,
            metadata=PageMetadata(title=title, evidence=(("title", "h1"),) if title else ()),
            mode="fragment",
            kept_blocks=len(blocks),
        )
    reveal_hidden_bodies(tree)
    main = extract_main_text(tree)
    kept, first = _kept(blocks, main.text if main is not None else "")
    # Where the precise extraction missed a body the page visibly has (a run of prose
    # outside its menus, sidebars and footers), extract again for recall and keep the
    # extraction with the larger body.
    prose = body_chars(blocks, kept)
    visible = body_chars(blocks, [b.region not in _FURNITURE for b in blocks])
    if prose < MIN_BODY_CHARS and visible >= 2 * max(prose, MIN_BODY_CHARS // 2):
        again = extract_main_text(tree, favor_recall=True)
        if again is not None:
            kept_again, first_again = _kept(blocks, again.text)
            if body_chars(blocks, kept_again) > prose:
                main, kept, first = again, kept_again, first_again
    skip = _article_check(main, body_chars(blocks, kept))
    start, end = _body_range(blocks, kept, first)
    # A series of posts (a blog's front page): its article is the first post.
    post = first_post(blocks, main.text, start, end) if main is not None else None
    if post is not None:
        end = post.blocks.stop
    metadata = page_metadata(tree, blocks, start, base_url=url, latest=fetched, body_end=end)
    if skip is not None or main is None:
        dropped = _dropped(blocks, kept, invisible, set())
        return PageExtraction(metadata=metadata, dropped=dropped, skip=skip)
    text = main.text
    if post is not None:
        text = post.text
        metadata = replace(metadata, title=post.headline)
        if not metadata.author:
            author = next(filter(None, (poster(blocks[i].text) for i in post.blocks)), "")
            if author:
                metadata = replace(
                    metadata, author=author, evidence=(*metadata.evidence, ("author", "post"))
                )
    title_at, byline = byline_span(blocks, metadata.title, start)
    read = {i for i in (title_at, *byline) if i >= 0 and not kept[i]}
    dropped = _dropped(blocks, kept, invisible, read)
    return PageExtraction(
        text=text,
        metadata=metadata,
        mode="page",
        kept_blocks=sum(kept),
        dropped=dropped,
    )
