"""Web pages: main content, metadata and what was left out.

:func:`extract_page` takes a page's HTML (decoded with :func:`decode_page`) and returns
its article's text and metadata, a summary of the boilerplate it dropped, or the named
reason the page has no article (a list page, a page too large or too malformed to
extract in bounded time).
"""

from __future__ import annotations

from corpus.html.decode import declared_charset, decode_page
from corpus.html.fragment import html_to_text
from corpus.html.metadata import PageMetadata, split_title
from corpus.html.page import (
    DroppedRegion,
    PageExtraction,
    SkipReason,
    extract_page,
    is_fragment,
    parse_html,
)

__all__ = [
    "DroppedRegion",
    "PageExtraction",
    "PageMetadata",
    "SkipReason",
    "declared_charset",
    "decode_page",
    "extract_page",
    "html_to_text",
    "is_fragment",
    "parse_html",
    "split_title",
]
