"""Web pages (``.html``, ``.htm``, ``.shtml``, ``.xhtml``): one article per page.

A page goes through main-content extraction and metadata reading (:mod:`corpus.html`)
before the cleaning every format gets; what extraction dropped is reported per page
(:class:`~corpus.formats.base.PageReport`), and a page with no article (a list page, a
page too large or too malformed) is skipped with its named reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from corpus.formats.base import BytesReader, LoadResult, SkippedFile, SourceFile
from corpus.ids import path_id

__all__ = ["WebPageReader", "load_page"]


@dataclass(frozen=True, slots=True)
class WebPageReader(BytesReader):
    """Reads a saved web page as one article; its id comes from the canonical URL the
    page states, else from its path relative to the folder given."""

    name: str = "web page"
    suffixes: tuple[str, ...] = (".html", ".htm", ".shtml", ".xhtml")
    description: str = "web pages, main content and metadata extracted, list pages skipped"

    def read_bytes(self, data: bytes, file: SourceFile) -> LoadResult:
        """The page's article and its report, or why it gives none."""
        from corpus.formats.documents import page_document

        relative = file.relative
        doc, skip, report = page_document(
            data, source=relative, fallback_id=path_id(relative), where=str(file.path)
        )
        return LoadResult(
            (doc,) if doc is not None else (), (skip,) if skip is not None else (), (report,)
        )


def load_page(
    data: bytes,
    *,
    source: str,
    url: str = "",
    charset: str = "",
    fetched: str = "",
) -> LoadResult:
    """One web page, as :func:`~corpus.loaders.load_documents` loads an HTML file: its
    article as a document, or why it gives none.

    Args:
        data: the page's bytes (any encoding; see :func:`corpus.html.decode_page`).
        source: its name (a file path or URL); the id where the page states no
            canonical URL and ``url`` is "".
        url: the URL it was fetched from, "" for a file.
        charset: a charset declared by the transport, "" for none.
        fetched: when it was fetched (ISO 8601), "" for a file.

    Returns:
        One document, or one skipped entry with its reason; the page's report.
    """
    from corpus.formats.documents import page_document
    from corpus.ids import path_id

    doc, skip, report = page_document(
        data,
        source=source,
        fallback_id=path_id(source),
        url=url,
        charset=charset,
        fetched=fetched,
    )
    if doc is not None and not doc.text:
        doc, skip = None, SkippedFile(source, "no article text left after cleaning", "no-text")
    return LoadResult(
        (doc,) if doc is not None else (), (skip,) if skip is not None else (), (report,)
    )
