"""Load articles from files and folders, in every format of :data:`corpus.formats.FORMATS`.

Each file goes to the reader its name picks (:func:`corpus.formats.reader_for`: plain
text, Markdown, web pages, JSON Lines, web-crawl archives); every reader ends in
:func:`document_from_text`, so all text goes through the same cleaning. A web page first
goes through main-content extraction and metadata reading (:mod:`corpus.html`); what it
dropped is reported per page in :attr:`LoadResult.pages`. Ids come from canonical URLs or
paths relative to the given folder (:mod:`corpus.ids`).

Files, lines and records that give no article (empty, binary, undecodable, unknown
format, list pages, non-HTML archive records, ...) are skipped with a named reason, logged
and listed in :attr:`LoadResult.skipped`; the rest loads.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from pathlib import Path

from corpus.errors import PathNotFoundError
from corpus.formats import FORMATS, FormatRegistry, WebPageReader
from corpus.formats.base import (
    LoadResult,
    LoadTask,
    PageReport,
    PartLimits,
    SkippedFile,
    SourceFile,
    whole_file,
)
from corpus.formats.documents import document_from_text, with_headline
from corpus.formats.web import load_page
from corpus.html import html_to_text
from corpus.markdown import markdown_to_text
from corpus.progress import Progress
from corpus.types import Document

__all__ = [
    "HTML_SUFFIXES",
    "STREAM_BYTES",
    "SUPPORTED_SUFFIXES",
    "LoadResult",
    "LoadTask",
    "PageReport",
    "SkippedFile",
    "document_from_text",
    "html_to_text",
    "load_documents",
    "load_page",
    "with_headline",
    "markdown_to_text",
    "plan_load",
    "run_load_task",
]

logger = logging.getLogger(__name__)

HTML_SUFFIXES: tuple[str, ...] = WebPageReader().suffixes
"""The suffixes of web pages (from :class:`corpus.formats.WebPageReader`)."""
SUPPORTED_SUFFIXES: tuple[str, ...] = FORMATS.suffixes
"""Every suffix :data:`corpus.formats.FORMATS` reads."""

STREAM_BYTES = 1 << 20
"""JSONL files larger than this are read line by line, in parts (they must be UTF-8);
archives are read in parts of records declaring about this many bytes (one record at
least)."""
_PART_LINES = 256


def _limits() -> PartLimits:
    # Read at each call: tests and benchmarks set the module's values.
    return PartLimits(STREAM_BYTES, _PART_LINES)


# --- loading --------------------------------------------------------------------------


def _expand(paths: Iterable[str | Path]) -> list[SourceFile]:
    files: list[SourceFile] = []
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
                files.append(SourceFile(f, path if path.is_dir() else None))
    return files


def _bad_name(file: SourceFile) -> SkippedFile | None:
    """A skip for a path that is not valid Unicode (a file name in another encoding than
    the file system's, which Python keeps as lone surrogates), else None."""
    name = str(file.path)
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        shown = name.encode("utf-8", "backslashreplace").decode("utf-8")
        return SkippedFile(shown, "the file name is not valid UTF-8; rename the file", "unreadable")
    return None


def _read_file(file: SourceFile, task: LoadTask, formats: FormatRegistry) -> Iterator[LoadResult]:
    """What one file (or the part of it ``task`` names) gives: one result per page, from
    the reader its name picks. A document's source is the file's path relative to what
    was loaded (:attr:`SourceFile.relative`), never the path as given: a document shows no
    server path; skips and page reports name the path as given."""
    bad_name = _bad_name(file)
    if bad_name is not None:
        yield LoadResult(skipped=(bad_name,))
        return
    reader = formats.reader_for(file.path)
    if reader is None:
        reason = formats.unsupported(file.path)
        yield LoadResult(skipped=(SkippedFile(str(file.path), reason, "unsupported"),))
        return
    yield from reader.read(file, task)


def _size(file: SourceFile) -> int:
    try:
        return file.path.stat().st_size
    except OSError:
        return 0


# --- loading in parts (for a streaming, parallel ingest) ------------------------------------


def plan_load(
    paths: Iterable[str | Path], *, formats: FormatRegistry = FORMATS
) -> Iterator[LoadTask]:
    """The parts of loading ``paths``, in the order :func:`load_documents` reads them;
    produced lazily (a large JSONL file is read, and an archive's record headers, as the
    parts are consumed), so that whoever runs them holds a few parts at a time, whatever
    the input's size.

    Args:
        paths: files and/or directories.
        formats: the readers (default :data:`corpus.formats.FORMATS`); each file's reader
            plans its parts (:data:`STREAM_BYTES`: when a file is streamed).

    Raises:
        PathNotFoundError: a given path does not exist.
    """
    for file in _expand(paths):
        size = _size(file)
        reader = formats.reader_for(file.path)
        if reader is None or _bad_name(file) is not None:
            yield whole_file(file, size)  # skipped, with its reason, when it runs
        else:
            yield from reader.plan(file, size, _limits())


def run_load_task(task: LoadTask, *, formats: FormatRegistry = FORMATS) -> LoadResult:
    """Load one part (see :func:`plan_load`): its documents, skips and page reports, in
    order. Articles with no text left are skipped here; an article replaced by a later
    one with the same id is the caller's to find (it may be in another part).

    Args:
        task: the part.
        formats: the readers (the registry that planned the task).
    """
    documents: list[Document] = []
    skipped: list[SkippedFile] = []
    pages: list[PageReport] = []
    for result in _read_file(SourceFile.of(task), task, formats):
        documents.extend(result.documents)
        skipped.extend(result.skipped)
        pages.extend(result.pages)
    kept: list[Document] = []
    for doc in documents:
        if doc.text:
            kept.append(doc)
        else:
            skipped.append(
                SkippedFile(doc.source, "no article text left after cleaning", "no-text")
            )
    return LoadResult(tuple(kept), tuple(skipped), tuple(pages))


def load_documents(
    paths: Iterable[str | Path],
    *,
    progress: Progress | None = None,
    formats: FormatRegistry = FORMATS,
) -> LoadResult:
    """Load and clean articles from files and directories.

    Directories are searched recursively in sorted order; hidden files and folders are
    ignored. Each file is read by the reader of ``formats`` its name picks: ``.txt``,
    ``.md`` and web-page files hold one article each, ``.jsonl`` files one per line
    (fields ``text`` and optionally ``id``, ``title``, ``url``, ``published``,
    ``source``), WARC archives one per HTML response (see :mod:`corpus.formats`).

    An article's id comes from its canonical URL where it has one, else from its path
    relative to the directory given (its file name for a file given directly), so the
    same collection loaded from another place gives the same ids (:mod:`corpus.ids`).

    Args:
        paths: files and/or directories.
        progress: called as ``progress("load", done, total)`` after each page (a file,
            or a page record of an archive).
        formats: the readers (default :data:`corpus.formats.FORMATS`).

    Returns:
        The loaded documents, the skipped files, lines and records with their reasons
        (empty, binary, undecodable, unknown type, bad JSONL lines, pages without an
        article, archive records that are not pages, articles with no text left after
        cleaning, and articles replaced by a later one with the same id), and a report
        per web page. An empty result is not an error here; callers that need articles
        raise :class:`~corpus.errors.EmptyCorpusError`.

    Raises:
        PathNotFoundError: a given path does not exist.
    """
    files = _expand(paths)
    total = len(files)
    if progress is not None:
        total = sum(_pages(file, formats) for file in files)
    done = 0

    def tick() -> None:
        nonlocal done, total
        done += 1
        total = max(total, done)
        if progress is not None:
            progress("load", done, total)

    # A later article with the id of an earlier one replaces it (as an update does in the
    # index); it keeps the earlier one's place in the order.
    documents: dict[str, Document] = {}
    skipped: list[SkippedFile] = []
    pages: list[PageReport] = []
    for file in files:
        loaded: list[Document] = []
        skips: list[SkippedFile] = []
        for result in _read_file(file, whole_file(file, 0), formats):
            loaded.extend(result.documents)
            skips.extend(result.skipped)
            pages.extend(result.pages)
            tick()
        for doc in loaded:
            if not doc.text:
                skips.append(
                    SkippedFile(doc.source, "no article text left after cleaning", "no-text")
                )
                continue
            earlier = documents.get(doc.id)
            if earlier is not None:
                skips.append(
                    SkippedFile(
                        earlier.source,
                        f"replaced by {doc.source}, a later article with the same id {doc.id!r}",
                        "replaced",
                    )
                )
            documents[doc.id] = doc
        for skip in skips:
            if skip.code in ("not-html", "http-error"):
                logger.debug("skipped %s: %s", skip.path, skip.reason)
            else:
                logger.warning("skipped %s: %s", skip.path, skip.reason)
        skipped.extend(skips)
    return LoadResult(tuple(documents.values()), tuple(skipped), tuple(pages))


def _pages(file: SourceFile, formats: FormatRegistry) -> int:
    """The pages of a file, for progress: one, or what its reader counts (an archive's
    page records)."""
    reader = formats.reader_for(file.path)
    return 1 if reader is None else reader.count_pages(file)
