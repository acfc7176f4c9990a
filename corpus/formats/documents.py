"""Where every format ends: one article's text as a :class:`~corpus.types.Document`.

:func:`document_from_text` runs the cleaning (:func:`corpus.cleaning.clean_article`), so
all text goes through the same rules whatever file it came from. :func:`decode_text`
decodes a text file's bytes, or names why they give no text. :func:`page_document` is
the one way a web page (a file, or a record of an archive) becomes a document: main
content extraction and metadata reading (:mod:`corpus.html`), then the same cleaning.

The format readers import this module when they first read a file, not when the
registry is built.
"""

from __future__ import annotations

import re
import time
from dataclasses import replace
from datetime import date

from corpus.cleaning import clean_article
from corpus.cleaning.metadata import parse_datetime
from corpus.cleaning.whitespace import normalize_newlines, tidy_whitespace
from corpus.encoding import decode_bytes
from corpus.errors import CorpusError
from corpus.formats.base import PageReport, SkippedFile
from corpus.html import decode_page, extract_page
from corpus.html.authors import leading_names
from corpus.ids import canonical_url, path_id, url_id
from corpus.types import CleaningReport, Document, content_hash

__all__ = [
    "decode_code",
    "decode_text",
    "document_from_text",
    "page_document",
    "with_headline",
]

_SPACES = re.compile(r"[\s\u3000]+")


def with_headline(text: str, title: str) -> str:
    """The text with its headline as its first line, so that the headline is text that
    answers can quote and cite like any sentence: unchanged where there is no title or
    the text already starts with it (whitespace aside).

    Args:
        text: the cleaned body.
        title: the article's title ("" for none).

    Returns:
        ``title + "\n" + text``, or ``text``.
    """
    title = title.strip()
    if not title or not text.strip():
        return text
    head = _SPACES.sub("", text[: len(title) * 2 + 8])
    if head.startswith(_SPACES.sub("", title)):
        return text
    return f"{title}\n{text}"


def document_from_text(
    raw: str,
    *,
    source: str,
    title: str = "",
    url: str = "",
    published: str = "",
    outlet: str = "",
    reporter: str = "",
    doc_id: str | None = None,
    clean: bool = True,
) -> Document:
    """Build a :class:`Document` from one article's text.

    Args:
        raw: the article text as decoded.
        source: where it came from (file path, URL, ``file:line``).
        title: the title where the caller knows it (wins over an extracted one).
        url: the article's URL.
        published: ISO 8601 publish time where the caller knows it (wins).
        outlet: the outlet where the caller knows it (wins).
        reporter: the reporter or author where the caller knows it (wins).
        doc_id: an explicit id; default the id of ``url`` where it is an absolute
            http(s) URL, else of ``source`` as a relative path (see :mod:`corpus.ids`).
        clean: run :func:`clean_article`; when False only newlines and whitespace are
            tidied and nothing is extracted.

    Returns:
        The document; ``content_hash`` is the sha256 of ``raw``.
    """
    if clean:
        cleaned = clean_article(raw)
        text, report, meta = cleaned.text, cleaned.report, cleaned.meta
        found_title, found_published = cleaned.title, cleaned.published
        found_outlet, found_reporter, place = cleaned.outlet, cleaned.reporter, cleaned.place
    else:
        text, report, meta = tidy_whitespace(normalize_newlines(raw)), CleaningReport(), ()
        found_title = found_published = found_outlet = found_reporter = place = ""
    final_title = title.strip() or found_title
    return Document(
        id=doc_id or (url_id(url) if canonical_url(url) else path_id(source)),
        title=final_title,
        text=with_headline(text, final_title) if clean else text,
        source=source,
        url=url,
        published=published.strip() or found_published,
        outlet=outlet.strip() or found_outlet,
        reporter=reporter.strip() or found_reporter,
        place=place,
        content_hash=content_hash(raw),
        meta=tuple(sorted(meta)),
        report=report,
    )


def decode_code(reason: str) -> str:
    """The skip code of a decoding failure's reason: ``empty``, ``binary`` or
    ``undecodable``."""
    if "empty" in reason:
        return "empty"
    if "binary" in reason:
        return "binary"
    return "undecodable"


def decode_text(data: bytes, name: str) -> str | SkippedFile:
    """A text file's bytes decoded (UTF-8, GB18030 or Big5; see
    :func:`corpus.encoding.decode_bytes`), or the skip that says why they give no text.

    Args:
        data: the bytes.
        name: the file's path as given (what the skip names).
    """
    try:
        return decode_bytes(data, name)
    except CorpusError as exc:
        reason = str(exc).removeprefix(f"{name}: ")
        return SkippedFile(name, reason, decode_code(reason))


def _fetch_date(fetched: str) -> date | None:
    stamp = parse_datetime(fetched)
    return date.fromisoformat(stamp[:10]) if stamp else None


def page_document(
    data: bytes,
    *,
    source: str,
    fallback_id: str,
    url: str = "",
    charset: str = "",
    fetched: str = "",
    where: str = "",
) -> tuple[Document | None, SkippedFile | None, PageReport]:
    """One web page as a document, or the reason it gives none.

    Args:
        data: the page's bytes.
        source: the document's source: the file's path relative to what was loaded,
            or the record's URL.
        fallback_id: the id where the page states no canonical URL and ``url`` is "".
        url: the URL the page was fetched from ("" for a file).
        charset: a charset declared by the transport.
        fetched: when it was fetched (ISO 8601), "" for a file.
        where: the name the skip and the page report give (the path as given, for
            whoever runs the load); default ``source``.

    Returns:
        ``(document, None, report)``, or ``(None, skip, report)``.
    """
    where = where or source
    start = time.perf_counter()
    try:
        text = decode_page(data, where, charset)
    except CorpusError as exc:
        reason = str(exc).removeprefix(f"{where}: ")
        code = decode_code(reason)
        report = PageReport(where, skip_code=code, seconds=time.perf_counter() - start)
        return None, SkippedFile(where, reason, code), report
    extraction = extract_page(text, url=url, fetched=_fetch_date(fetched))
    seconds = time.perf_counter() - start
    md = extraction.metadata
    if extraction.skip is not None:
        skip = SkippedFile(where, extraction.skip.message, extraction.skip.code)
        report = PageReport(
            where,
            dropped=extraction.dropped,
            evidence=md.evidence,
            skip_code=extraction.skip.code,
            seconds=seconds,
        )
        return None, skip, report
    page_url = md.url or canonical_url(url)
    doc_id = url_id(page_url) if page_url else fallback_id
    doc = document_from_text(
        extraction.text,
        source=source,
        title=md.title,
        url=page_url,
        published=md.published,
        outlet=md.source,
        reporter=md.author,
        doc_id=doc_id,
    )
    if not md.author and doc.reporter:
        # A byline field that cleaning read from the page's text runs to the end of its
        # line, where page widgets follow the names ("郭励弘 我来说两句(0)").
        doc = replace(doc, reporter=leading_names(doc.reporter))
    meta = dict.fromkeys(doc.meta)
    if md.site_name:
        meta[("site_name", md.site_name)] = None
    if fetched:
        meta[("fetched", fetched)] = None
    # The page's extracted text and what it states about itself identify a version: a
    # new sidebar or view count on a re-crawl is not a change of the article.
    stated = (extraction.text, md.title, md.published, md.author, md.source, md.site_name)
    doc = replace(
        doc,
        outlet=doc.outlet or md.site_name,
        meta=tuple(sorted(meta)),
        content_hash=content_hash("\x00".join((*stated, page_url))),
    )
    report = PageReport(
        where,
        doc_id=doc.id,
        mode=extraction.mode,
        kept_blocks=extraction.kept_blocks,
        dropped=extraction.dropped,
        evidence=md.evidence,
        seconds=seconds,
    )
    return doc, None, report
