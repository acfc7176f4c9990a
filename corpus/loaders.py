"""Load articles from files: ``.txt``, ``.md``, web pages (``.html``, ``.htm``,
``.shtml``, ``.xhtml``), ``.jsonl`` and web-crawl archives (``.warc``, ``.warc.gz``).

Every format ends in :func:`document_from_text`, so all text goes through the same
cleaning. A web page first goes through main-content extraction and metadata reading
(:mod:`corpus.html`); what it dropped is reported per page in :attr:`LoadResult.pages`.
Ids come from canonical URLs or paths relative to the given folder (:mod:`corpus.ids`).

Files, lines and records that give no article (empty, binary, undecodable, unknown
format, list pages, non-HTML archive records, ...) are skipped with a named reason, logged
and listed in :attr:`LoadResult.skipped`; the rest loads.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from corpus.cleaning import clean_article
from corpus.cleaning.metadata import parse_datetime
from corpus.cleaning.whitespace import normalize_newlines, tidy_whitespace
from corpus.encoding import decode_bytes
from corpus.errors import CorpusError, PathNotFoundError
from corpus.html import DroppedRegion, decode_page, extract_page, html_to_text
from corpus.html.authors import leading_names
from corpus.ids import canonical_url, path_id, relative_name, url_id
from corpus.markdown import markdown_to_text
from corpus.progress import Progress
from corpus.types import CleaningReport, Document, content_hash
from corpus.warc import WarcPage, count_warc_pages, is_warc, read_warc, warc_parts

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

HTML_SUFFIXES: tuple[str, ...] = (".html", ".htm", ".shtml", ".xhtml")
SUPPORTED_SUFFIXES: tuple[str, ...] = (
    ".txt",
    ".md",
    *HTML_SUFFIXES,
    ".jsonl",
    ".warc",
    ".warc.gz",
)


@dataclass(frozen=True, slots=True)
class SkippedFile:
    """A file, a JSONL line (``path:line``) or an archive record (its URL) that gave no
    article, and why.

    Attributes:
        path: what was skipped.
        reason: what happened and what to do.
        code: the reason's short name (``empty``, ``binary``, ``undecodable``,
            ``unsupported``, ``unreadable``, ``bad-line``, ``no-text``, ``replaced``,
            ``not-html``, ``too-large``, ``malformed-html``, ``no-article-text``,
            ``list-page``, ``http-error``, ``truncated``, ``damaged``).
    """

    path: str
    reason: str
    code: str = ""


@dataclass(frozen=True, slots=True)
class PageReport:
    """What extraction did with one web page (a file or an archive record).

    Attributes:
        source: the file path, or the record's URL.
        doc_id: the id of the document it gave ("" when skipped).
        mode: ``page`` (main-content extraction), ``fragment`` (kept whole) or ""
            (skipped).
        kept_blocks: visible text blocks of the page that are in the article.
        dropped: what was left out, by page region.
        evidence: ``(field, where)``: where each metadata value was found.
        skip_code: the skip reason's name, "" where the page gave an article.
        seconds: time taken to decode and extract the page.
        notes: anything else worth knowing (a crawler-truncated record).
    """

    source: str
    doc_id: str = ""
    mode: str = ""
    kept_blocks: int = 0
    dropped: tuple[DroppedRegion, ...] = ()
    evidence: tuple[tuple[str, str], ...] = ()
    skip_code: str = ""
    seconds: float = 0.0
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What :func:`load_documents` loaded and what it skipped."""

    documents: tuple[Document, ...] = ()
    skipped: tuple[SkippedFile, ...] = ()
    pages: tuple[PageReport, ...] = ()


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


# --- web pages --------------------------------------------------------------------------


def _fetch_date(fetched: str) -> date | None:
    stamp = parse_datetime(fetched)
    return date.fromisoformat(stamp[:10]) if stamp else None


def _page_document(
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
    """
    where = where or source
    start = time.perf_counter()
    try:
        text = decode_page(data, where, charset)
    except CorpusError as exc:
        reason = str(exc).removeprefix(f"{where}: ")
        code = _decode_code(reason)
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


def load_page(
    data: bytes,
    *,
    source: str,
    url: str = "",
    charset: str = "",
    fetched: str = "",
) -> LoadResult:
    """One web page, as :func:`load_documents` loads an HTML file: its article as a
    document, or why it gives none.

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
    doc, skip, report = _page_document(
        data, source=source, fallback_id=path_id(source), url=url, charset=charset,
        fetched=fetched,
    )
    if doc is not None and not doc.text:
        doc, skip = None, SkippedFile(source, "no article text left after cleaning", "no-text")
    return LoadResult(
        (doc,) if doc is not None else (), (skip,) if skip is not None else (), (report,)
    )


def _decode_code(reason: str) -> str:
    if "empty" in reason:
        return "empty"
    if "binary" in reason:
        return "binary"
    return "undecodable"


# --- loading --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Input:
    """A file to load and the folder its id is relative to (None: a file argument)."""

    path: Path
    root: Path | None

    @property
    def relative(self) -> str:
        return relative_name(self.path, self.root)


def _expand(paths: Iterable[str | Path]) -> list[_Input]:
    files: list[_Input] = []
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
                files.append(_Input(f, path if path.is_dir() else None))
    return files


def _jsonl_documents(
    text: str, path: str, relative: str
) -> Iterator[tuple[Document | None, SkippedFile | None]]:
    lines = enumerate(normalize_newlines(text).split("\n"), start=1)
    return _jsonl_lines(lines, path, relative)


def _jsonl_lines(
    lines: Iterable[tuple[int, str]], path: str, relative: str
) -> Iterator[tuple[Document | None, SkippedFile | None]]:
    for lineno, line in lines:
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield (
                None,
                SkippedFile(where, f"invalid JSON ({exc.msg}); fix or remove the line", "bad-line"),
            )
            continue
        if not isinstance(record, dict):
            yield (
                None,
                SkippedFile(where, "not a JSON object; each line must be one article", "bad-line"),
            )
            continue
        body = record.get("text")
        if not isinstance(body, str) or not body.strip():
            yield None, SkippedFile(where, 'no "text" field with the article text', "bad-line")
            continue
        fields = {k: record.get(k) for k in ("id", "title", "url", "published", "source")}
        bad = [k for k, v in fields.items() if v is not None and not isinstance(v, str)]
        if bad:
            yield None, SkippedFile(where, f"field(s) {', '.join(bad)} must be strings", "bad-line")
            continue
        unencodable = _unencodable({"text": body, **fields})
        if unencodable:
            yield None, SkippedFile(where, unencodable, "bad-line")
            continue
        url = canonical_url(fields["url"] or "")
        # The line's own id, else its URL, else its stated source, else its place.
        doc_id = fields["id"] or (
            url_id(url) if url else path_id(fields["source"] or f"{relative}:{lineno}")
        )
        yield (
            document_from_text(
                body,
                source=fields["source"] or fields["url"] or f"{relative}:{lineno}",
                title=fields["title"] or "",
                url=url or fields["url"] or "",
                published=fields["published"] or "",
                doc_id=doc_id,
            ),
            None,
        )


def _unencodable(fields: dict[str, str | None]) -> str | None:
    """Why the first field that is not valid Unicode text cannot be used (a JSON escape
    such as ``\\ud800`` decodes to a lone surrogate, which no encoder accepts), else None."""
    for name, value in fields.items():
        if value is None:
            continue
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            char = value[exc.start]
            return (
                f'field "{name}" holds a lone surrogate (U+{ord(char):04X}) at character '
                f"{exc.start}, which is not valid Unicode text; fix the \\u escape (a "
                "surrogate pair, or the character itself) or remove the line"
            )
    return None


@dataclass
class _Loaded:
    """What one file gave."""

    documents: list[Document]
    skipped: list[SkippedFile]
    pages: list[PageReport]


def _read(path: Path) -> bytes | SkippedFile:
    try:
        return path.read_bytes()
    except OSError as exc:
        return SkippedFile(str(path), f"cannot read the file: {exc.strerror or exc}", "unreadable")


def _load_warc(
    item: _Input, tick: Callable[[], None], start: int = 0, records: int | None = None
) -> _Loaded:
    """The pages of an archive, or of the part of it from byte ``start`` on (``records``
    records; None: to the end), read one record at a time."""
    out = _Loaded([], [], [])
    name = str(item.path)
    try:
        for entry in read_warc(item.path, start=start, records=records):
            if not isinstance(entry, WarcPage):
                out.skipped.append(SkippedFile(entry.where, entry.message, entry.code))
                out.pages.append(PageReport(entry.where, skip_code=entry.code))
                tick()
                continue
            offset = entry.where.rsplit("@", 1)[-1]
            doc, skip, report = _page_document(
                entry.data,
                source=entry.uri or f"{item.relative}@{offset}",
                fallback_id=path_id(f"{item.relative}@{offset}"),
                url=entry.uri,
                charset=entry.charset,
                fetched=entry.fetched,
                where=entry.uri or entry.where,
            )
            if entry.truncated:
                note = (
                    f"the crawler truncated this record ({entry.truncated}): "
                    "the page may be incomplete"
                )
                report = replace(report, notes=(note,))
            out.pages.append(report)
            if doc is not None:
                out.documents.append(doc)
            if skip is not None:
                out.skipped.append(skip)
            tick()
    except OSError as exc:
        out.skipped.append(
            SkippedFile(name, f"cannot read the archive: {exc.strerror or exc}", "unreadable")
        )
    return out


def _bad_name(item: _Input) -> SkippedFile | None:
    """A skip for a path that is not valid Unicode (a file name in another encoding than
    the file system's, which Python keeps as lone surrogates), else None."""
    name = str(item.path)
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        shown = name.encode("utf-8", "backslashreplace").decode("utf-8")
        return SkippedFile(shown, "the file name is not valid UTF-8; rename the file", "unreadable")
    return None


def _load_file(
    item: _Input, tick: Callable[[], None], start: int = 0, records: int | None = None
) -> _Loaded:
    """What one file gives (of an archive: the part from byte ``start`` on, ``records``
    records of it; None: to the end). A document's source is the file's path relative to
    what was loaded (:attr:`_Input.relative`), never the path as given: a document
    shows no server path; skips and page reports name the path as given."""
    path = item.path
    name = str(path)
    bad_name = _bad_name(item)
    if bad_name is not None:
        return _Loaded([], [bad_name], [])
    if is_warc(path):
        return _load_warc(item, tick, start, records)
    suffix = path.suffix.lower()
    out = _Loaded([], [], [])
    if suffix not in SUPPORTED_SUFFIXES:
        supported = ", ".join(SUPPORTED_SUFFIXES)
        out.skipped.append(
            SkippedFile(
                name, f"unsupported file type {suffix!r} (supported: {supported})", "unsupported"
            )
        )
        return out
    data = _read(path)
    if isinstance(data, SkippedFile):
        out.skipped.append(data)
        return out
    if suffix in HTML_SUFFIXES:
        doc, skip, report = _page_document(
            data, source=item.relative, fallback_id=path_id(item.relative), where=name
        )
        out.pages.append(report)
        out.documents.extend([doc] if doc is not None else [])
        out.skipped.extend([skip] if skip is not None else [])
        return out
    try:
        text = decode_bytes(data, name)
    except CorpusError as exc:
        reason = str(exc).removeprefix(f"{name}: ")
        out.skipped.append(SkippedFile(name, reason, _decode_code(reason)))
        return out
    if suffix == ".jsonl":
        for doc, skip in _jsonl_documents(text, name, item.relative):
            out.documents.extend([doc] if doc is not None else [])
            out.skipped.extend([skip] if skip is not None else [])
        return out
    title = ""
    if suffix == ".md":
        title, text = markdown_to_text(text)
    out.documents.append(
        document_from_text(text, source=item.relative, title=title, doc_id=path_id(item.relative))
    )
    return out


def _total(files: list[_Input]) -> int:
    """Pages to load: one per file, or per page record of an archive."""
    total = 0
    for item in files:
        if is_warc(item.path):
            try:
                total += count_warc_pages(item.path)
            except OSError:
                total += 1
        else:
            total += 1
    return total


# --- loading in parts (for a streaming, parallel ingest) ------------------------------------

STREAM_BYTES = 1 << 20
"""JSONL files larger than this are read line by line, in parts (they must be UTF-8);
archives are read in parts of records declaring about this many bytes (one record at
least)."""
_PART_LINES = 256


@dataclass(frozen=True, slots=True)
class LoadTask:
    """One part of a load: a whole file, some lines of a large JSONL file, or a run of
    records of an archive.

    Picklable, so a pool of worker processes can run :func:`run_load_task` on it.

    Attributes:
        path: the file.
        root: the folder its id is relative to (None: a file argument).
        lines: for a part of a large JSONL file, its ``(line number, text)`` pairs.
        size: the bytes of input it covers (for progress).
        start: for a part of an archive, the byte offset of its first record.
        records: for a part of an archive, how many records it holds (None: to the end).
    """

    path: str
    root: str | None
    lines: tuple[tuple[int, str | None], ...] | None = None
    size: int = 0
    start: int = 0
    records: int | None = None


def _stream_jsonl(item: _Input) -> Iterator[LoadTask]:
    """A large JSONL file in parts of :data:`_PART_LINES` lines, decoded as UTF-8."""
    path, root = str(item.path), None if item.root is None else str(item.root)
    part: list[tuple[int, str | None]] = []
    size = 0
    with item.path.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            size += len(raw)
            try:
                line: str | None = raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError:
                line = None  # reported as a bad line
            part.append((lineno, line))
            if len(part) >= _PART_LINES:
                yield LoadTask(path, root, tuple(part), size)
                part, size = [], 0
    if part:
        yield LoadTask(path, root, tuple(part), size)


def _archive_parts(item: _Input, size: int) -> Iterator[LoadTask]:
    """An archive in parts of records declaring about :data:`STREAM_BYTES` together."""
    path, root = str(item.path), None if item.root is None else str(item.root)
    end = 0
    try:
        for part in warc_parts(item.path, part_bytes=STREAM_BYTES):
            yield LoadTask(path, root, None, part.size, part.start, part.records)
            end = part.start + part.size
    except OSError:  # cannot be read on: the rest as one part, which reports it
        yield LoadTask(path, root, None, max(size - end, 0), end)


def plan_load(paths: Iterable[str | Path]) -> Iterator[LoadTask]:
    """The parts of loading ``paths``, in the order :func:`load_documents` reads them;
    produced lazily (a large JSONL file is read, and an archive's record headers, as the
    parts are consumed), so that whoever runs them holds a few parts at a time, whatever
    the input's size.

    Raises:
        PathNotFoundError: a given path does not exist.
    """
    for item in _expand(paths):
        root = None if item.root is None else str(item.root)
        try:
            size = item.path.stat().st_size
        except OSError:
            size = 0
        if item.path.suffix.lower() == ".jsonl" and size > STREAM_BYTES:
            yield from _stream_jsonl(item)
        elif is_warc(item.path) and _bad_name(item) is None:
            yield from _archive_parts(item, size)
        else:
            yield LoadTask(str(item.path), root, None, size)


def run_load_task(task: LoadTask) -> LoadResult:
    """Load one part (see :func:`plan_load`): its documents, skips and page reports, in
    order. Articles with no text left are skipped here; an article replaced by a later
    one with the same id is the caller's to find (it may be in another part)."""
    item = _Input(Path(task.path), None if task.root is None else Path(task.root))
    bad_name = _bad_name(item)
    if task.lines is not None and bad_name is not None:
        return LoadResult((), (bad_name,), ())
    if task.lines is not None:
        docs: list[Document] = []
        skips: list[SkippedFile] = []
        good = [(n, line) for n, line in task.lines if line is not None]
        skips.extend(
            SkippedFile(
                f"{task.path}:{n}",
                "not UTF-8; a JSONL file this large is read as UTF-8: re-save it as UTF-8",
                "bad-line",
            )
            for n, line in task.lines
            if line is None
        )
        for doc, skip in _jsonl_lines(good, task.path, item.relative):
            docs.extend([doc] if doc is not None else [])
            skips.extend([skip] if skip is not None else [])
        loaded = _Loaded(docs, skips, [])
    else:
        loaded = _load_file(item, lambda: None, task.start, task.records)
    kept: list[Document] = []
    for doc in loaded.documents:
        if doc.text:
            kept.append(doc)
        else:
            loaded.skipped.append(
                SkippedFile(doc.source, "no article text left after cleaning", "no-text")
            )
    return LoadResult(tuple(kept), tuple(loaded.skipped), tuple(loaded.pages))


def load_documents(paths: Iterable[str | Path], *, progress: Progress | None = None) -> LoadResult:
    """Load and clean articles from files and directories.

    Directories are searched recursively in sorted order; hidden files and folders are
    ignored. ``.txt``/``.md``/web-page files hold one article each, ``.jsonl`` files one
    per line (fields ``text`` and optionally ``id``, ``title``, ``url``, ``published``,
    ``source``), WARC archives one per HTML response.

    An article's id comes from its canonical URL where it has one, else from its path
    relative to the directory given (its file name for a file given directly), so the
    same collection loaded from another place gives the same ids (:mod:`corpus.ids`).

    Args:
        paths: files and/or directories.
        progress: called as ``progress("load", done, total)`` after each page (a file,
            or a page record of an archive).

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
    warcs = progress is not None and any(is_warc(f.path) for f in files)
    total = _total(files) if warcs else len(files)
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
    for item in files:
        loaded = _load_file(item, tick)
        skips = loaded.skipped
        for doc in loaded.documents:
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
        pages.extend(loaded.pages)
        if not is_warc(item.path):
            tick()
    return LoadResult(tuple(documents.values()), tuple(skipped), tuple(pages))
