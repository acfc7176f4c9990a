"""The reader contract: what a file format's reader is, what it gets and what it gives.

A :class:`FormatReader` names its format, claims file-name suffixes and reads one file
(or one part of a large file) into a :class:`LoadResult` per page. The types a load
reports (:class:`SkippedFile`, :class:`PageReport`, :class:`LoadResult`) and the unit of
a streamed load (:class:`LoadTask`) live here so that readers need nothing of
:mod:`corpus.loaders`, which dispatches to them through :mod:`corpus.formats`.

Only the standard library is imported here: the registry, and with it the help text of
``qa ingest``, costs no parser or cleaning rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from corpus.ids import relative_name

if TYPE_CHECKING:
    from corpus.html import DroppedRegion
    from corpus.types import Document

__all__ = [
    "BytesReader",
    "FormatReader",
    "LoadResult",
    "LoadTask",
    "PageReport",
    "PartLimits",
    "SkippedFile",
    "SourceFile",
    "whole_file",
]


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
    """What :func:`~corpus.loaders.load_documents` loaded and what it skipped."""

    documents: tuple[Document, ...] = ()
    skipped: tuple[SkippedFile, ...] = ()
    pages: tuple[PageReport, ...] = ()


@dataclass(frozen=True, slots=True)
class LoadTask:
    """One part of a load: a whole file, some lines of a large JSONL file, or a run of
    records of an archive.

    Picklable, so a pool of worker processes can run
    :func:`~corpus.loaders.run_load_task` on it.

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


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file to read and the folder its ids are relative to.

    Attributes:
        path: the file, as found (a given path, or a file under a given folder).
        root: the folder given (None: the file was given itself).
    """

    path: Path
    root: Path | None = None

    @property
    def relative(self) -> str:
        """The file's name relative to the folder given (its name for a file argument):
        the source its documents name, so that no server path is stored."""
        return relative_name(self.path, self.root)

    @classmethod
    def of(cls, task: LoadTask) -> SourceFile:
        """The file a task reads."""
        return cls(Path(task.path), None if task.root is None else Path(task.root))


@dataclass(frozen=True, slots=True)
class PartLimits:
    """How large the parts of a streamed load are.

    Attributes:
        stream_bytes: a file larger than this is read in parts where its format can be
            (a JSONL file line by line; an archive in runs of records declaring about
            this many bytes).
        part_lines: the lines in one part of a large JSONL file.
    """

    stream_bytes: int
    part_lines: int


def whole_file(file: SourceFile, size: int) -> LoadTask:
    """The task that loads ``file`` whole (``size``: its bytes, for progress)."""
    return LoadTask(str(file.path), None if file.root is None else str(file.root), None, size)


@runtime_checkable
class FormatReader(Protocol):
    """Reads the files of one format into documents: a seam of :mod:`corpus.loaders`,
    which picks the reader by file name from a :class:`~corpus.formats.FormatRegistry`."""

    @property
    def name(self) -> str:
        """A short name for the format (``jsonl``)."""
        ...

    @property
    def suffixes(self) -> tuple[str, ...]:
        """The file-name endings it reads, lower-case, with the dot (``.warc.gz``)."""
        ...

    @property
    def description(self) -> str:
        """What its files hold, for help text (``web-crawl archives``)."""
        ...

    def plan(self, file: SourceFile, size: int, limits: PartLimits) -> Iterator[LoadTask]:
        """The parts to load ``file`` in (one whole-file task, unless it streams).

        Args:
            file: the file.
            size: its size in bytes (0 where it could not be read).
            limits: how large a part may be.

        Returns:
            The tasks, produced lazily: whoever runs them holds a few at a time.
        """
        ...

    def read(self, file: SourceFile, task: LoadTask) -> Iterator[LoadResult]:
        """Read ``file``, or the part of it ``task`` names: one result per page (one for
        a file of one article or one list of them; one per record of an archive), with
        what gave no article as named skips. Never raises for a file's content.

        Args:
            file: the file (its name is known to be valid Unicode).
            task: the part to read (:func:`whole_file` for all of it).
        """
        ...

    def count_pages(self, file: SourceFile) -> int:
        """The results :meth:`read` gives for the whole file, for progress (1 unless it
        counts them)."""
        ...


class BytesReader:
    """A base for readers of files that hold one page, read whole: :meth:`read` reads the
    file's bytes (a file that cannot be read is skipped as ``unreadable``) and gives
    them to :meth:`read_bytes`. Subclasses give ``name``, ``suffixes`` and
    ``description`` (the fields of a frozen dataclass) and implement :meth:`read_bytes`."""

    __slots__ = ()

    def plan(self, file: SourceFile, size: int, limits: PartLimits) -> Iterator[LoadTask]:
        """One task: the whole file."""
        yield whole_file(file, size)

    def read(self, file: SourceFile, task: LoadTask) -> Iterator[LoadResult]:
        """The file's bytes, read by :meth:`read_bytes`; one result."""
        try:
            data = file.path.read_bytes()
        except OSError as exc:
            reason = f"cannot read the file: {exc.strerror or exc}"
            yield LoadResult(skipped=(SkippedFile(str(file.path), reason, "unreadable"),))
            return
        yield self.read_bytes(data, file)

    def read_bytes(self, data: bytes, file: SourceFile) -> LoadResult:
        """One file's content as documents, or why it gives none.

        Args:
            data: the file's bytes.
            file: where they came from: documents name :attr:`SourceFile.relative`,
                skips the path as given.
        """
        raise NotImplementedError

    def count_pages(self, file: SourceFile) -> int:
        """One page."""
        return 1
