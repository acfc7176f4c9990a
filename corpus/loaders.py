"""Load articles from files: ``.txt``, ``.md``, ``.html``/``.htm`` and ``.jsonl``.

Every format ends in :func:`document_from_text`, so all text goes through the same
cleaning. Files that cannot be read (empty, binary, undecodable, unknown format) are
skipped with a logged warning and listed in :attr:`LoadResult.skipped`; the rest loads.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from corpus.cleaning import clean_article
from corpus.cleaning.whitespace import normalize_newlines, tidy_whitespace
from corpus.encoding import decode_bytes
from corpus.errors import CorpusError, PathNotFoundError
from corpus.progress import Progress
from corpus.types import CleaningReport, Document, content_hash, stable_id

__all__ = [
    "SUPPORTED_SUFFIXES",
    "LoadResult",
    "SkippedFile",
    "document_from_text",
    "html_to_text",
    "load_documents",
    "markdown_to_text",
]

logger = logging.getLogger(__name__)

SUPPORTED_SUFFIXES: tuple[str, ...] = (".txt", ".md", ".html", ".htm", ".jsonl")


@dataclass(frozen=True, slots=True)
class SkippedFile:
    """A file (or a JSONL line, ``path:line``) that was not loaded, and why."""

    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What :func:`load_documents` loaded and what it skipped."""

    documents: tuple[Document, ...] = ()
    skipped: tuple[SkippedFile, ...] = ()


def document_from_text(
    raw: str,
    *,
    source: str,
    title: str = "",
    url: str = "",
    published: str = "",
    outlet: str = "",
    doc_id: str | None = None,
    clean: bool = True,
) -> Document:
    """Build a :class:`Document` from one article's text.

    Args:
        raw: the article text as decoded.
        source: where it came from (file path, URL, ``file:line``); the id derives from it.
        title: the title where the caller knows it (wins over an extracted one).
        url: the article's URL.
        published: ISO 8601 publish time where the caller knows it (wins).
        outlet: the outlet where the caller knows it (wins).
        doc_id: an explicit id; default ``stable_id(source)``.
        clean: run :func:`clean_article`; when False only newlines and whitespace are
            tidied and nothing is extracted.

    Returns:
        The document; ``content_hash`` is the sha256 of ``raw``.
    """
    if clean:
        cleaned = clean_article(raw)
        text, report, meta = cleaned.text, cleaned.report, cleaned.meta
        found_title, found_published = cleaned.title, cleaned.published
        found_outlet, reporter, place = cleaned.outlet, cleaned.reporter, cleaned.place
    else:
        text, report, meta = tidy_whitespace(normalize_newlines(raw)), CleaningReport(), ()
        found_title = found_published = found_outlet = reporter = place = ""
    return Document(
        id=doc_id or stable_id(source),
        title=title.strip() or found_title,
        text=text,
        source=source,
        url=url,
        published=published.strip() or found_published,
        outlet=outlet.strip() or found_outlet,
        reporter=reporter,
        place=place,
        content_hash=content_hash(raw),
        meta=tuple(sorted(meta)),
        report=report,
    )


# --- markdown -------------------------------------------------------------------------

_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_QUOTE = re.compile(r"^\s{0,3}>\s?")
_MD_LIST = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_MD_RULE = re.compile(r"^\s{0,3}([-*_])(?:\s*\1){2,}\s*$")
_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_MD_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_MD_EM_STAR = re.compile(r"(?<![*\\])\*(?=\S)(.+?)(?<=\S)\*(?!\*)")
_MD_EM_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9_])_(?=\S)(.+?)(?<=\S)_(?![A-Za-z0-9_])")
_MD_CODE = re.compile(r"`([^`]+)`")
_MD_FENCE = re.compile(r"^\s{0,3}(```|~~~)")


def markdown_to_text(raw: str) -> tuple[str, str]:
    """Plain text of a Markdown article, and its title.

    Args:
        raw: Markdown source.

    Returns:
        ``(title, text)``: the title is a leading level-1 heading (``# ...``), else "";
        the text has heading marks, emphasis, links, images, quotes and list markers
        removed.
    """
    lines = normalize_newlines(raw).split("\n")
    title = ""
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None:
        m = _MD_HEADING.match(lines[first])
        if m and m.group(1) == "#":
            title = _md_inline(m.group(2)).strip()
            lines = lines[:first] + lines[first + 1 :]
    out: list[str] = []
    in_fence = False
    for line in lines:
        if _MD_FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            out.append(line)
            continue
        if _MD_RULE.match(line):
            out.append("")
            continue
        m = _MD_HEADING.match(line)
        if m:
            line = m.group(2)
        line = _MD_LIST.sub("", _MD_QUOTE.sub("", line))
        out.append(_md_inline(line))
    return title, "\n".join(out)


def _md_inline(line: str) -> str:
    line = _MD_IMAGE.sub("", line)
    line = _MD_LINK.sub(r"\1", line)
    line = _MD_CODE.sub(r"\1", line)
    line = _MD_STRONG.sub(r"\2", line)
    line = _MD_EM_STAR.sub(r"\1", line)
    return _MD_EM_UNDERSCORE.sub(r"\1", line)


# --- html -----------------------------------------------------------------------------

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


# --- loading --------------------------------------------------------------------------


def _expand(paths: Iterable[str | Path]) -> list[Path]:
    files: list[Path] = []
    seen: set[Path] = set()
    for given in paths:
        path = Path(given)
        if not path.exists():
            raise PathNotFoundError(
                f"{path}: no such file or directory; check the path to the articles"
            )
        found = (
            sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            if path.is_dir()
            else [path]
        )
        for f in found:
            key = f.resolve()
            if key not in seen:
                seen.add(key)
                files.append(f)
    return files


def _jsonl_documents(text: str, path: str) -> Iterator[tuple[Document | None, SkippedFile | None]]:
    for lineno, line in enumerate(normalize_newlines(text).split("\n"), start=1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield None, SkippedFile(where, f"invalid JSON ({exc.msg}); fix or remove the line")
            continue
        if not isinstance(record, dict):
            yield None, SkippedFile(where, "not a JSON object; each line must be one article")
            continue
        body = record.get("text")
        if not isinstance(body, str) or not body.strip():
            yield None, SkippedFile(where, 'no "text" field with the article text')
            continue
        fields = {k: record.get(k) for k in ("id", "title", "url", "published", "source")}
        bad = [k for k, v in fields.items() if v is not None and not isinstance(v, str)]
        if bad:
            yield None, SkippedFile(where, f"field(s) {', '.join(bad)} must be strings")
            continue
        url = fields["url"] or ""
        yield (
            document_from_text(
                body,
                source=fields["source"] or url or where,
                title=fields["title"] or "",
                url=url,
                published=fields["published"] or "",
                doc_id=fields["id"] or None,
            ),
            None,
        )


def _load_file(path: Path) -> tuple[list[Document], list[SkippedFile]]:
    name = str(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        supported = ", ".join(SUPPORTED_SUFFIXES)
        return [], [SkippedFile(name, f"unsupported file type {suffix!r} (supported: {supported})")]
    try:
        text = decode_bytes(path.read_bytes(), name)
    except OSError as exc:
        return [], [SkippedFile(name, f"cannot read the file: {exc.strerror or exc}")]
    except CorpusError as exc:
        reason = str(exc).removeprefix(f"{name}: ")
        return [], [SkippedFile(name, reason)]
    if suffix == ".jsonl":
        docs: list[Document] = []
        skipped: list[SkippedFile] = []
        for doc, skip in _jsonl_documents(text, name):
            if doc is not None:
                docs.append(doc)
            if skip is not None:
                skipped.append(skip)
        return docs, skipped
    title = ""
    if suffix == ".md":
        title, text = markdown_to_text(text)
    elif suffix in (".html", ".htm"):
        title, text = html_to_text(text)
    return [document_from_text(text, source=name, title=title)], []


def load_documents(paths: Iterable[str | Path], *, progress: Progress | None = None) -> LoadResult:
    """Load and clean articles from files and directories.

    Directories are searched recursively in sorted order; hidden files and folders are
    ignored. ``.txt``/``.md``/``.html``/``.htm`` files hold one article each, ``.jsonl``
    files one per line (fields ``text`` and optionally ``id``, ``title``, ``url``,
    ``published``, ``source``).

    Args:
        paths: files and/or directories.
        progress: called as ``progress("load", done, total)`` after each file.

    Returns:
        The loaded documents and the skipped files (empty, binary, undecodable, unknown
        type, bad JSONL lines, articles with no text left after cleaning, and articles
        replaced by a later one with the same id).
        An empty result is not an error here; callers that need articles raise
        :class:`~corpus.errors.EmptyCorpusError`.

    Raises:
        PathNotFoundError: a given path does not exist.
    """
    files = _expand(paths)
    # A later article with the id of an earlier one replaces it (as an update does in the
    # index); it keeps the earlier one's place in the order.
    documents: dict[str, Document] = {}
    skipped: list[SkippedFile] = []
    for done, path in enumerate(files, start=1):
        docs, skips = _load_file(path)
        for doc in docs:
            if not doc.text:
                skips.append(SkippedFile(doc.source, "no article text left after cleaning"))
                continue
            earlier = documents.get(doc.id)
            if earlier is not None:
                skips.append(
                    SkippedFile(
                        earlier.source,
                        f"replaced by {doc.source}, a later article with the same id {doc.id!r}",
                    )
                )
            documents[doc.id] = doc
        for skip in skips:
            logger.warning("skipped %s: %s", skip.path, skip.reason)
        skipped.extend(skips)
        if progress is not None:
            progress("load", done, len(files))
    return LoadResult(tuple(documents.values()), tuple(skipped))
