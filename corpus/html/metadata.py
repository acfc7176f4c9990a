"""What a web page states about its article: title, date, author, source, site, URL.

Nothing is guessed: a field stays "" unless the page states it.

* **Structured** evidence first: meta tags, Open Graph and JSON-LD (trafilatura's
  metadata reader and htmldate, run on the page's head and JSON-LD only). htmldate is run
  without the page URL (no dates read from URL paths), without its free-text search (no
  copyright years, no ``2024-06`` turned into June 1st, no relative dates) and with the
  fetch date as the latest possible date.
* **The byline**: the visible lines between the article's title and its first paragraph
  (``2024-07-01 17:35 来源：澎湃新闻 记者：姚似璐``), never the sidebars, comments or
  footers, whose dates belong to other articles.
* The article text's own statements (datelines, ``发布时间:`` lines) are read later by the
  cleaning rules (:mod:`corpus.cleaning.metadata`).
"""

from __future__ import annotations

import copy
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlsplit

from lxml.html import HtmlElement, document_fromstring

from corpus.cleaning.metadata import parse_datetime
from corpus.html.authors import is_names, page_author, page_editor, page_issuer
from corpus.html.dates import date_in_url, page_date
from corpus.html.layout import Block
from corpus.ids import canonical_url

__all__ = [
    "Byline",
    "PageMetadata",
    "byline_span",
    "page_metadata",
    "parse_byline",
    "split_title",
]

logger = logging.getLogger(__name__)

_CJK_NAME = r"[\u3400-\u9fff][\u3400-\u9fff·•]{1,3}"
_NAMES = rf"{_CJK_NAME}(?:\s*[、，,]\s*{_CJK_NAME})*"
# Byline fields often run together (``来源：澎湃新闻记者：姚似璐``): a value ends at the
# next label.
_NEXT_LABEL = (
    r"记者|記者|作者|编辑|編輯|责任|責任|责编|責編|浏览|瀏覽|阅读|閱讀|点击|點擊|时间|時間"
    r"|发布|發布|日期|字号|字號|分享"
)
_SOURCE_CHAR = rf"(?:(?!{_NEXT_LABEL})[^\s|｜丨/／　:：\d])"
_SOURCE = re.compile(rf"(?:来源|來源|出处|出處|稿源)\s*[:：]\s*(?P<v>{_SOURCE_CHAR}{{2,24}})")
_AUTHOR = re.compile(rf"(?:作者|撰文|撰稿|文)\s*[:：/／|｜丨]\s*(?P<v>{_NAMES})")
_REPORTER = re.compile(
    rf"(?:本报|本報|本网|本網|特约|特約|见习|見習|首席)?(?:记者|記者)\s*[:：]?\s*(?P<v>{_NAMES})"
)
_NOT_NAMES = frozenset(
    "来源 來源 编辑 編輯 责编 責編 时间 時間 日期 发布 發布 报道 報導 综合 綜合 通讯 通訊".split()
)
_WORD = re.compile(r"\w")
_TITLE_SEP = re.compile(r"\s*(?:-{2,}|(?<![A-Za-z0-9])-(?![A-Za-z0-9])|_|\||｜|\s[–—]\s)\s*")
_MAX_BYLINE_BLOCKS = 6
_MAX_BYLINE_CHARS = 300
_NOT_BYLINE = frozenset({"navigation", "comments", "footer", "advertising"})
_DATE_META = (
    "article:published_time",
    "og:published_time",
    "og:release_date",
    "datepublished",
    "publishdate",
    "publish_date",
    "pubdate",
    "publishtime",
    "dc.date.issued",
    "dc.date",
)
_LD_DATE = re.compile(r'"datePublished"\s*:\s*"([^"]{8,40})"')


@dataclass(frozen=True, slots=True)
class Byline:
    """What the lines between a page's title and its text state."""

    published: str = ""
    author: str = ""
    source: str = ""


@dataclass(frozen=True, slots=True)
class PageMetadata:
    """What a page states about its article ("" where it states nothing).

    Attributes:
        title: the article's title (the ``<h1>`` matching the page title, else
            ``og:title``/JSON-LD headline, else ``<title>`` without its site suffix).
        published: publication date (``2024-07-01``) or date-time
            (``2024-07-01T17:35:13``, local time as stated).
        author: the author or reporter.
        source: the outlet the page names as the article's source (``来源：新华社``).
        site_name: the publishing site (``og:site_name``, JSON-LD publisher, or the
            suffix of ``<title>``).
        url: the canonical URL (``<link rel=canonical>``, else ``og:url``), normalised.
        evidence: ``(field, where)`` pairs saying where each value was found
            (``("published", "meta")``, ``("author", "byline")``, ...).
    """

    title: str = ""
    published: str = ""
    author: str = ""
    source: str = ""
    site_name: str = ""
    url: str = ""
    evidence: tuple[tuple[str, str], ...] = ()


def split_title(title: str, site_name: str = "") -> tuple[str, str]:
    """Split ``标题_频道_网站`` into the title and the site name.

    Args:
        title: a page's ``<title>``.
        site_name: the site's name where known.

    Returns:
        ``(title, site)``: the first of the separated parts and the last; ``(title, "")``
        where the title has no separated suffix (or its parts do not look like one: a
        suffix is the known site name, or parts of at most 20 characters after a title
        of at least 4).
    """
    title = title.strip()
    parts = [p.strip() for p in _TITLE_SEP.split(title) if p.strip()]
    if len(parts) < 2:
        return title, ""
    if (site_name and parts[-1] == site_name) or (
        len(parts[0]) >= 4 and all(len(p) <= 20 for p in parts[1:])
    ):
        return parts[0], parts[-1]
    return title, ""


def _names(value: str) -> str:
    names = [n.strip() for n in re.split(r"[、，,]", value) if n.strip()]
    kept = [n for n in names if n not in _NOT_NAMES]
    return "、".join(kept)


def parse_byline(lines: Sequence[str], times: Sequence[str] = ()) -> Byline:
    """Read a byline: the date, the author and the stated source.

    Args:
        lines: the visible lines between a title and the article text.
        times: ``datetime`` attributes of ``<time>`` elements among them.

    Returns:
        The fields found ("" where none).
    """
    published = next((p for p in map(parse_datetime, times) if p), "")
    author = source = ""
    for line in lines:
        if not published:
            published = parse_datetime(line)
        if not source:
            m = _SOURCE.search(line)
            if m:
                source = m["v"]
        if not author:
            m = _AUTHOR.search(line) or _REPORTER.search(line)
            if m:
                author = _names(m["v"])
    return Byline(published, author, source)


def _norm(text: str) -> str:
    return re.sub(r"[\s\u3000\xa0]+", "", text)


def byline_span(blocks: Sequence[Block], title: str, first_text: int) -> tuple[int, range]:
    """Where a page's title and byline are: the index of the title block (-1 where not
    found) and the range of blocks between it and the article's first text block (at
    most six; the three before the text where the title is not found)."""
    if first_text <= 0:
        return -1, range(0)
    key = _norm(title)
    start = -1

    def holds_title(text: str) -> bool:
        return key in text or (len(text) >= 0.6 * len(key) and text in key)

    if key:
        # The nearest block that is the headline (with at most as much again around it)
        # first: a sentence that quotes the headline, such as a citation line
        # (``文章引用：赵培. 淘宝网物流配送…[J]. …``), is not where it stands.
        near = (
            i for i in range(first_text - 1, -1, -1)
            if len(text := _norm(blocks[i].text)) <= 2 * len(key) and holds_title(text)
        )  # fmt: skip
        start = next(near, -1)
        if start < 0:
            start = next(
                (i for i in range(first_text - 1, -1, -1) if holds_title(_norm(blocks[i].text))),
                -1,
            )
    lo = start + 1 if start >= 0 else max(0, first_text - 3)
    return start, range(max(lo, first_text - _MAX_BYLINE_BLOCKS), first_text)


def _byline_blocks(blocks: Sequence[Block], title: str, first_text: int) -> list[Block]:
    _, span = byline_span(blocks, title, first_text)
    return [
        blocks[i]
        for i in span
        if len(blocks[i].text) <= _MAX_BYLINE_CHARS and blocks[i].region not in _NOT_BYLINE
    ]


def _head_only(tree: HtmlElement) -> HtmlElement:
    """A copy of the page's head and JSON-LD scripts, in an empty page."""
    mini = document_fromstring("<html><head></head><body></body></html>")
    head = mini.find("head")
    assert head is not None
    page_head = tree.find(".//head")
    if page_head is not None:
        for el in page_head:
            head.append(copy.deepcopy(el))
    body = tree.find(".//body")
    if body is not None:
        for script in body.iterfind(".//script[@type='application/ld+json']"):
            head.append(copy.deepcopy(script))
    return mini


def _meta_content(tree: HtmlElement, names: Sequence[str]) -> list[str]:
    wanted = set(names)
    found = []
    for el in tree.iterfind(".//meta[@content]"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").lower()
        if key in wanted and el.get("content", "").strip():
            found.append(el.get("content", "").strip())
    return found


def _canonical(tree: HtmlElement, base: str) -> str:
    base_el = tree.find(".//head/base[@href]")
    if base_el is not None:
        base = canonical_url(base_el.get("href", ""), base) or base
    candidates = [
        el.get("href", "")
        for el in tree.iterfind(".//link[@href]")
        if "canonical" in (el.get("rel") or "").lower().split()
    ]
    candidates += _meta_content(tree, ["og:url"])
    for candidate in candidates:
        url = canonical_url(candidate, base)
        # A canonical link to the site's home page is a misconfigured template, not the
        # article's address.
        if url and urlsplit(url).path not in ("", "/"):
            return url
    return ""


def _structured_date(mini: HtmlElement, latest: date) -> str:
    from htmldate import find_date

    try:
        found = find_date(
            mini,
            extensive_search=False,
            original_date=True,
            url="",
            max_date=latest.isoformat(),
        )
    except (ValueError, TypeError) as exc:  # htmldate on odd markup
        logger.debug("htmldate failed: %s", exc)
        found = None
    if not found:
        return ""
    # Where a structured value states the time of that day too, keep it.
    raw = _meta_content(mini, _DATE_META)
    for script in mini.iterfind(".//script[@type='application/ld+json']"):
        raw += _LD_DATE.findall(script.text or "")
    for value in raw:
        stamp = parse_datetime(value)
        if stamp.startswith(found) and len(stamp) > len(found):
            return stamp
    return str(found)


def _structured(mini: HtmlElement) -> tuple[str, str, str]:
    """Title, author and site name from meta tags, Open Graph and JSON-LD (``mini``: the
    page's head and JSON-LD, see :func:`_head_only`)."""
    from trafilatura.metadata import extract_metadata

    try:
        found = extract_metadata(mini, extensive=False)
    except Exception as exc:  # noqa: BLE001 - trafilatura on odd markup: no metadata
        logger.debug("trafilatura metadata failed: %s", exc)
        return "", "", ""
    title = (found.title or "").strip()
    author = (found.author or "").strip()
    site = (found.sitename or "").strip()
    # trafilatura falls back to the host name for the site: that is not a stated name.
    host = (urlsplit(found.url or "").hostname or "").lower()
    if site and (site.lower() == host or "." in site and site.lower() in host):
        site = ""
    if not author:
        # trafilatura keeps only multi-word meta authors; Chinese names have no spaces.
        metas = _meta_content(mini, ["author", "article:author", "byl"])
        author = next((a for a in metas if "://" not in a and len(a) <= 40), "")
    return title, author, site


def _ld_headline(tree: HtmlElement) -> str:
    for script in tree.iterfind(".//script[@type='application/ld+json']"):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        for item in data if isinstance(data, list) else [data]:
            if isinstance(item, dict) and isinstance(item.get("headline"), str):
                return str(item["headline"]).strip()
    return ""


def _placeholder(title: str) -> bool:
    """``1``, ``显示``: fewer than three letters or characters is not a headline."""
    return len(_WORD.findall(title)) < 3


_CENTERED = re.compile(r"text-align\s*:\s*center", re.I)
# A line that is a date and nothing else (a blog's day or month heading).
_DATE_ONLY = re.compile(
    r"(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s*)?"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s*(?:\d{1,2},?\s*)?\d{4}"
    r"|(?:19|20)\d{2}\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?)?",
    re.I,
)


def _styled_headline(tree: HtmlElement) -> str:
    """The first centred line set in bold, where a page has no other headline
    (``<p align=center><strong>路是人走出来的(下)</strong></p>``: how pages made before
    ``<h1>`` came into use set their headline); "" where there is none."""
    for el in tree.iterfind(".//body//*"):
        if el.tag not in ("p", "div", "td", "center"):
            continue
        centered = (
            el.tag == "center"
            or (el.get("align") or "").lower() == "center"
            or bool(_CENTERED.search(el.get("style") or ""))
        )
        text = re.sub(r"\s+", " ", el.text_content()).strip()
        if not centered or not 4 <= len(text) <= 60 or text[-1] in "。！？!?；;，,：:":
            continue
        if _DATE_ONLY.fullmatch(text) or parse_datetime(text):
            continue
        bold = [
            re.sub(r"\s+", " ", b.text_content()).strip()
            for b in el.iterfind(".//*")
            if b.tag in ("strong", "b")
        ]
        if text in bold:
            return text
    return ""


def _choose_title(tree: HtmlElement, structured: str, site: str) -> tuple[str, str, str]:
    """The title, where it came from, and a site name read off the ``<title>`` suffix."""
    head_title = re.sub(r"\s+", " ", (tree.findtext(".//head/title") or "")).strip()
    h1s = [
        re.sub(r"\s+", " ", h.text_content()).strip()
        for h in tree.iterfind(".//body//h1")
        if h.text_content().strip()
    ]
    og = _meta_content(tree, ["og:title"])
    references = [t for t in (head_title, *og, _ld_headline(tree)) if t]
    for h1 in h1s:
        if any(_norm(h1) in _norm(ref) for ref in references):
            suffix_site = split_title(head_title, site)[1] if head_title else ""
            return h1, "h1", suffix_site
    for candidate, where in ((og[0] if og else "", "og:title"), (_ld_headline(tree), "json-ld")):
        if candidate:
            title, suffix_site = split_title(candidate, site)
            return title, where, split_title(head_title, site)[1] or suffix_site
    # One <h1> that is not the site's name (a logo) is the headline.
    suffix_site = split_title(head_title, site)[1] if head_title else ""
    if len(h1s) == 1 and h1s[0] not in (site, suffix_site) and len(h1s[0]) >= 4:
        return h1s[0], "h1", suffix_site
    if head_title:
        title, suffix_site = split_title(head_title, site)
        if not _placeholder(title):
            return title, "title", suffix_site
    if structured and not _placeholder(structured):
        return structured, "meta", ""
    if h1s and not _placeholder(h1s[0]):
        return h1s[0], "h1", ""
    styled = _styled_headline(tree)
    if styled and not _placeholder(styled):
        return styled, "styled", ""
    return "", "", ""


def page_metadata(
    tree: HtmlElement,
    blocks: Sequence[Block],
    first_text: int,
    *,
    base_url: str = "",
    latest: date | None = None,
    body_end: int = -1,
) -> PageMetadata:
    """What the page states about its article.

    Args:
        tree: the parsed page (not modified).
        blocks: its visible blocks (:func:`~corpus.html.layout.page_blocks`).
        first_text: index in ``blocks`` of the article's first text block (-1 where
            unknown: no byline is read).
        base_url: the page's own URL, to resolve a relative canonical link ("" if
            unknown).
        latest: the latest possible publication date (the fetch date; default today).
        body_end: index in ``blocks`` after the article's last block (-1: unknown, the
            article's end is not read for a date).

    Returns:
        The metadata.
    """
    latest = latest or date.today()
    evidence: list[tuple[str, str]] = []
    # trafilatura and htmldate read only the head and JSON-LD: the body's dates and names
    # belong to sidebars as often as to the article.
    mini = _head_only(tree)
    structured_title, meta_author, site = _structured(mini)
    title, title_from, suffix_site = _choose_title(tree, structured_title, site)
    if title:
        evidence.append(("title", title_from))
    if site:
        evidence.append(("site_name", "meta"))
    elif suffix_site:
        site = suffix_site
        evidence.append(("site_name", "title"))

    # One day of slack: a page dated in its local time can be a day ahead of a UTC fetch.
    published = _structured_date(mini, latest + timedelta(days=1))
    if published:
        evidence.append(("published", "meta"))

    zone = _byline_blocks(blocks, title, first_text)
    byline = parse_byline([b.text for b in zone], [t for b in zone for t in b.times])
    if byline.published and byline.published[:10] <= (latest + timedelta(days=1)).isoformat():
        if not published:
            published = byline.published
            evidence.append(("published", "byline"))
        elif byline.published.startswith(published) and len(byline.published) > len(published):
            published = byline.published  # the byline adds the time of day
    # Where the headline and the article's body lie among the blocks, for the date and
    # the author stated around them.
    title_at, _ = byline_span(blocks, title, first_text)
    end = body_end if body_end >= 0 else first_text + 1
    if not published:
        published, where = page_date(
            blocks,
            title_at=title_at,
            body_start=first_text,
            body_end=end,
            latest=(latest + timedelta(days=1)).isoformat(),
        )
        if published:
            evidence.append(("published", where))
    # The names the page shows its readers first; a meta author only where it is a name
    # (meta tags often carry the site, the CMS or an account id).
    author, where = page_author(blocks, title_at=title_at, body_start=first_text, body_end=end)
    # The byline's author as its text outside links states it (``作者：<a>专栏</a>`` names
    # nobody); a name linked to its author's page is read by page_author.
    stated = parse_byline([b.plain or b.text for b in zone]).author
    if not author and stated:
        author, where = stated, "byline"
    if not author and meta_author and is_names(meta_author):
        author, where = meta_author, "meta"
    if not author:
        author, where = page_issuer(blocks), "issuer"
    if not author:
        author = page_editor(blocks, title_at=title_at, body_start=first_text, body_end=end)
        where = "editor"
    if author and author in (site, byline.source):
        author = ""  # a site or outlet given as the author
    if author:
        evidence.append(("author", where))
    source = byline.source
    if source:
        evidence.append(("source", "byline"))

    url = _canonical(tree, base_url)
    if url:
        evidence.append(("url", "canonical"))
    if not published:
        published = date_in_url(url or base_url, (latest + timedelta(days=1)).isoformat())
        if published:
            evidence.append(("published", "url"))
    return PageMetadata(
        title=title,
        published=published,
        author=author,
        source=source,
        site_name=site,
        url=url,
        evidence=tuple(evidence),
    )
