"""Bare article fragments: HTML that is the article and nothing else.

A fragment (no ``<html>``/``<head>``/``<body>``, no menus or sidebars, few links) is
kept whole: scripts, styles, navigation, headers and footers are dropped and block
elements become line breaks. Whole pages go through main-content extraction instead
(:mod:`corpus.html.page`).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from corpus.cleaning.whitespace import tidy_whitespace

__all__ = ["html_to_text"]

_HTML_SKIP = frozenset({"script", "style", "nav", "footer", "header", "noscript", "template"})
_HTML_BLOCK = frozenset(
    {
        "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td",
        "th", "table", "section", "article", "figure", "figcaption", "blockquote", "pre",
        "hr", "dd", "dt", "main", "aside", "body",
    }
)  # fmt: skip


class _ArticleParser(HTMLParser):
    """Collects body text by block, the first ``<h1>`` and the ``<title>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.h1: list[str] = []
        self.title: list[str] = []
        self._skip = 0
        self._h1_depth = 0
        self._h1_done = False
        self._in_title = False
        self._in_code = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HTML_SKIP:
            self._skip += 1
        elif tag == "title":
            self._in_title = True
        elif tag == "h1":
            self._h1_depth += 1
        if tag in _HTML_BLOCK:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HTML_BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HTML_SKIP and self._skip:
            self._skip -= 1
        elif tag == "title":
            self._in_title = False
        elif tag == "h1" and self._h1_depth:
            self._h1_depth -= 1
            if not self._h1_depth and "".join(self.h1).strip():
                self._h1_done = True
        if tag in _HTML_BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title.append(data)
        elif self._h1_depth:
            # The title heading is kept out of the body, even inside a dropped <header>.
            if not self._h1_done:
                self.h1.append(data)
            elif not self._skip:
                self.parts.append(data)
        elif not self._skip:
            self.parts.append(data)


def html_to_text(raw: str) -> tuple[str, str]:
    """Plain text of an HTML article, and its title.

    Scripts, styles, navigation, headers and footers are dropped; block elements become
    line breaks.

    Args:
        raw: HTML source.

    Returns:
        ``(title, text)``: the title is the first ``<h1>``, else ``<title>``, else "".
    """
    parser = _ArticleParser()
    parser.feed(raw)
    parser.close()
    squash = re.compile(r"[ \t\r\n\f\v]+")
    title = (
        squash.sub(" ", "".join(parser.h1)).strip()
        or squash.sub(" ", "".join(parser.title)).strip()
    )
    lines = (re.sub(r"[ \t\f\v\r\xa0]+", " ", line) for line in "".join(parser.parts).split("\n"))
    return title, tidy_whitespace("\n".join(lines))
