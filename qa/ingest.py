"""Ingest articles into an index directory: streamed, in parallel, in bounded memory.

What ``qa ingest`` runs. The input is read in parts (:func:`corpus.loaders.plan_load`:
whole files, or a few hundred lines of a large JSONL file at a time); worker processes
load, clean, chunk, tokenize and fingerprint each part
(:func:`embeddings.store.prepare_document`), a bounded number of parts ahead of the main
process, and hand it over packed: a few flat arrays and the documents as columns of
strings (:class:`~embeddings.store.packed.PackedDocuments`), not an object per chunk.
The main process decides what is new, changed or a copy, with the candidates planned in
arrays (:func:`qa.updates.plan_packed`), embeds new chunks when the index has a model, and
writes a segment whenever ``segment_rows`` chunks are pending, committing it to the
index at once (segments are merged by the merge policy as they accumulate). Every write
goes through the index's :class:`~qa.writing.IndexWriter`; the :class:`~qa.Assistant`
returned is made once, over the last snapshot it published. Memory holds
one pending segment and the parts in flight, whatever the input's size.

A new index (or ``rebuild=True``) is built in a temporary directory beside the target,
holding the index's write lock throughout, and put in place when complete: moved to
the name where there is no index (manifest last), else written into the existing index as its next
generation (one atomic manifest replacement), so an interrupted ingest leaves the
previous index as it was. An ingest into an existing index commits each segment as it
goes, each under the write lock on the newest generation (another process may write
between two of them), so an interruption keeps what was committed. An interrupted
write found at the start is recovered first
(:func:`embeddings.store.recovery.recover_index`).
"""

from __future__ import annotations

import logging
import os
import shutil
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from corpus.chunking import ChunkingConfig
from corpus.loaders import LoadResult, LoadTask, PageReport, SkippedFile, plan_load, run_load_task
from corpus.progress import Progress
from corpus.types import Document
from embeddings.errors import IndexWriteError
from embeddings.store import prepare_document
from embeddings.store.files import MANIFEST, holds_no_index, move_index
from embeddings.store.lock import DEFAULT_LOCK_TIMEOUT, index_lock
from embeddings.store.packed import PackedDocuments
from embeddings.store.recovery import recover_index
from embeddings.tokenize import Tokenizer, get_tokenizer
from qa.assistant import Assistant
from qa.config import AssistantConfig
from qa.staged import SegmentSink, StagedIngest
from qa.updates import IngestSummary, Merge, WrittenPrints
from qa.writing import IndexWriter

__all__ = [
    "DEFAULT_SEGMENT_ROWS",
    "IngestResult",
    "PartRunner",
    "PreparedPart",
    "PrepareSettings",
    "ingest_paths",
    "prepare_part",
]

logger = logging.getLogger(__name__)

DEFAULT_SEGMENT_ROWS = 25_000
"""Chunks per written segment (the memory an ingest holds grows with this, not with the
input; docs/performance.md measures it)."""
_PARTS_AHEAD = 16
"""Parts each worker may have prepared ahead of the main process: a part is handed over
packed (about 2 MB for 450 chunks), so the workers go on preparing while the main
process writes a segment or merges."""
_IN_PROCESS_BYTES = 4 << 20
"""Inputs smaller than this are loaded in the main process (starting workers costs more)."""


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What an ingest read and did.

    Attributes:
        summary: what changed in the index.
        skipped: files, lines and records that gave no article, with the reason.
        pages: a report per web page.
        documents: the loaded documents, when asked for (``keep_documents``).
        loaded: how many documents were loaded.
        seconds: wall time.
    """

    summary: IngestSummary
    skipped: tuple[SkippedFile, ...] = ()
    pages: tuple[PageReport, ...] = ()
    documents: tuple[Document, ...] = ()
    loaded: int = 0
    seconds: float = 0.0

    @property
    def load_result(self) -> LoadResult:
        """What was loaded, as :func:`corpus.loaders.load_documents` reports it."""
        return LoadResult(self.documents, self.skipped, self.pages)


# -- worker processes ----------------------------------------------------------------------

PrepareSettings = tuple[int, int, str, bool]
"""What preparing a part needs: chunk size, chunk overlap, tokenizer name, and whether to
fingerprint documents (for duplicate detection)."""
PreparedPart = tuple[PackedDocuments, LoadResult]
"""A part's prepared documents, packed (a few flat arrays, :class:`~embeddings.store.
packed.PackedDocuments`), and what loading it skipped (its documents left out)."""
PartRunner = Callable[
    [Iterable[LoadTask], PrepareSettings], Iterator[tuple[LoadTask, PreparedPart]]
]
"""Runs :func:`prepare_part` over parts and yields each part with its result, in the
order of the parts (:mod:`qa.distributed` runs it on a Ray cluster)."""

_worker: dict[str, object] = {}


def prepare_part(
    task: LoadTask, chunking: ChunkingConfig, tokenizer: Tokenizer, fingerprints: bool
) -> PreparedPart:
    """Load one part and prepare its documents (what each worker of an ingest does).

    Args:
        task: the part (from :func:`corpus.loaders.plan_load`).
        chunking: how documents are cut into chunks.
        tokenizer: the index's tokenizer.
        fingerprints: whether to fingerprint documents (duplicate detection is on).

    Returns:
        The prepared documents, packed as a few flat arrays (light fingerprints: without
        their grams, see :meth:`corpus.dedupe.Fingerprint.light`), and what loading
        skipped.
    """
    loaded = run_load_task(task)
    prepared = [
        prepare_document(doc, chunking, tokenizer, with_fingerprint=fingerprints)
        for doc in loaded.documents
    ]
    return PackedDocuments.pack(prepared), LoadResult((), loaded.skipped, loaded.pages)


def _init_worker(chunk_size: int, chunk_overlap: int, tokenizer: str, fingerprints: bool) -> None:
    _worker["chunking"] = ChunkingConfig(chunk_size, chunk_overlap)
    _worker["tokenizer"] = get_tokenizer(tokenizer)
    _worker["fingerprints"] = fingerprints


def _work(task: LoadTask) -> PreparedPart:
    """Load one part and prepare its documents (in a worker process)."""
    chunking = _worker["chunking"]
    assert isinstance(chunking, ChunkingConfig)
    return prepare_part(
        task,
        chunking,
        _worker["tokenizer"],  # type: ignore[arg-type]
        bool(_worker["fingerprints"]),
    )


def _ordered(
    tasks: Iterable[LoadTask], workers: int, initargs: PrepareSettings
) -> Iterator[tuple[LoadTask, PreparedPart]]:
    """The results of :func:`_work` over ``tasks``, in order, at most a few parts ahead."""
    if workers <= 0:
        _init_worker(*initargs)
        for task in tasks:
            yield task, _work(task)
        return
    import multiprocessing

    # fork where the platform has it: the workers start at once with what is imported,
    # and a script that calls this needs no ``if __name__ == "__main__"`` guard. The
    # pool starts before any model (and its threads) is loaded.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    window = _PARTS_AHEAD * workers
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_init_worker, initargs=initargs
    ) as pool:
        it = iter(tasks)
        pending: deque[tuple[LoadTask, Future[PreparedPart]]] = deque(
            (t, pool.submit(_work, t)) for t in islice(it, window)
        )
        while pending:
            task, future = pending.popleft()
            result = future.result()
            for nxt in islice(it, 1):
                pending.append((nxt, pool.submit(_work, nxt)))
            yield task, result


# -- the main process ----------------------------------------------------------------------


@dataclass
class _Totals:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    merges: list[Merge] = field(default_factory=list)

    def add(self, summary: IngestSummary) -> None:
        self.added += summary.added
        self.updated += summary.updated
        self.unchanged += summary.unchanged
        self.removed += summary.removed
        self.merges.extend(summary.merges)

    def summary(self) -> IngestSummary:
        return IngestSummary(
            added=self.added,
            updated=self.updated,
            unchanged=self.unchanged,
            removed=self.removed,
            merged=len(self.merges),
            merges=tuple(self.merges),
        )


def _default_workers() -> int:
    return max(1, min(8, os.cpu_count() or 1))


def ingest_paths(
    paths: Sequence[str | Path],
    directory: str | Path,
    config: AssistantConfig,
    *,
    rebuild: bool = False,
    workers: int | None = None,
    segment_rows: int = DEFAULT_SEGMENT_ROWS,
    progress: Progress | None = None,
    keep_documents: bool = False,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    runner: PartRunner | None = None,
    sink: SegmentSink | None = None,
) -> tuple[Assistant | None, IngestResult]:
    """Load, clean and index the articles under ``paths`` into the index at ``directory``.

    Args:
        paths: files and folders (see :func:`corpus.loaders.load_documents`).
        directory: the index directory (created when absent).
        config: the configuration; an existing index must have been built with
            compatible settings.
        rebuild: build a new index even where one exists (replacing it when done).
        workers: worker processes that load and prepare articles (default: one per CPU
            core, at most 8; 0 works in this process). Small inputs are always
            prepared in this process.
        segment_rows: chunks per written segment (bounds memory).
        progress: called as ``progress("read", bytes done, bytes total)`` and with the
            stages of :meth:`IndexWriter.add`.
        keep_documents: keep the loaded documents in the result (for a report; costs
            memory in proportion to the input).
        lock_timeout: seconds to wait for another writer of the index (each segment
            is committed under the index's write lock; a new index or a rebuild holds
            it throughout).
        runner: what loads and prepares the parts (default: ``workers`` processes on
            this machine); :func:`qa.distributed.ray_ingest` runs them on Ray. Whoever
            runs them, everything after (what is new, changed or a copy; embedding;
            segments) is the same, so the index is too.
        sink: builds and writes the segments elsewhere (:class:`qa.staged.SegmentSink`;
            :func:`qa.distributed.ray_ingest` writes them on Ray actors, in parallel)
            while this process goes on deciding what the next ones hold; they are
            committed together at the end, in one generation (:mod:`qa.staged`), and
            the index's write lock is held throughout (an existing index too). None:
            each segment is built, written and committed here in turn. The sink is
            closed when the ingest ends.

    Returns:
        The assistant over the written index (None when nothing was loaded and there is
        no index), and what the ingest did.

    Raises:
        PathNotFoundError: when a path does not exist.
        IndexMismatchError, IndexCorruptError: when an existing index cannot be updated.
        IndexWriteError: when the index cannot be written.
        IndexBusyError: when another writer holds the index too long.
    """
    if segment_rows <= 0:
        raise ValueError("segment_rows must be greater than 0")
    start = time.perf_counter()
    target = Path(directory)
    recover_index(target, discard_incomplete=True, timeout=lock_timeout)
    if not (target / MANIFEST).is_file() and not holds_no_index(target):
        raise IndexWriteError(
            f"{target} exists and is not an index; choose a new or empty directory for --index"
        )
    writer: IndexWriter | None = None
    stack = ExitStack()
    if sink is not None:
        stack.callback(sink.close)
    if (target / MANIFEST).exists() and not rebuild:
        if sink is not None:
            # The segments are planned on the generation read now and committed at the
            # end: no other write may come between.
            stack.enter_context(index_lock(target, lock_timeout))
        # Bound: each flush commits there, under the lock.
        writer = IndexWriter.open(target, config, lock_timeout=lock_timeout)
    else:
        # Another writer's update during the build would be lost when the new index
        # replaces the old one: it waits instead.
        stack.enter_context(index_lock(target, lock_timeout))
    sizes = _input_bytes(paths)
    count = workers if workers is not None else _default_workers()
    if sizes < _IN_PROCESS_BYTES:
        count = 0
    tokenizer_name = config.tokenizer
    initargs: PrepareSettings = (
        config.chunk_size,
        config.chunk_overlap,
        tokenizer_name,
        bool(config.duplicate_threshold),
    )
    totals = _Totals()
    skipped: list[SkippedFile] = []
    pages: list[PageReport] = []
    kept: list[Document] = []
    seen: dict[str, str] = {}
    batch: list[PackedDocuments] = []
    pending_rows = 0
    loaded = 0
    done_bytes = 0
    building: Path | None = None
    staged: StagedIngest | None = None
    # What near-duplicate checks need of what this ingest wrote (compact).
    written = WrittenPrints()

    def flush(last: bool = False) -> None:
        nonlocal writer, batch, pending_rows, building, staged
        if not batch:
            return
        packed = PackedDocuments.concat(batch)
        batch, pending_rows = [], 0
        if writer is None:
            writer, building = _new_index(target, config, packed)
        if sink is None:
            # Committed (to the building directory or the index) before it returns.
            totals.add(writer.add(packed, progress=progress, written=written))
        else:
            if staged is None:
                staged = stack.enter_context(_staging(writer, sink))
            # Submitted to the sink; committed with the others at the end.
            totals.add(staged.add(packed, progress, last=last, written=written))
        written.record(packed)

    with stack:
        try:
            parts = (
                runner(plan_load(paths), initargs)
                if runner is not None
                else _ordered(plan_load(paths), count, initargs)
            )
            for task, (prepared, part) in parts:
                done_bytes += task.size
                if progress is not None:
                    progress("read", min(done_bytes, sizes), sizes)
                skipped.extend(part.skipped)
                pages.extend(part.pages)
                for doc in prepared.documents:
                    loaded += 1
                    earlier = seen.get(doc.id)
                    if earlier is not None:
                        skipped.append(
                            SkippedFile(
                                earlier,
                                f"replaced by {doc.source}, a later article with the same id "
                                f"{doc.id!r}",
                                "replaced",
                            )
                        )
                    seen[doc.id] = doc.source
                    if keep_documents:
                        kept.append(doc)
                if len(prepared):
                    batch.append(prepared)
                    pending_rows += prepared.rows
                for skip in part.skipped:
                    level = (
                        logging.DEBUG
                        if skip.code in ("not-html", "http-error")
                        else logging.WARNING
                    )
                    logger.log(level, "skipped %s: %s", skip.path, skip.reason)
                if pending_rows >= segment_rows:
                    flush()
            flush(last=True)
            if staged is not None:
                staged.commit()
            if building is not None:
                assert writer is not None
                _put_in_place(writer, building, target)
        finally:
            if building is not None:
                shutil.rmtree(building.parent, ignore_errors=True)
    outcome = IngestResult(
        summary=totals.summary(),
        skipped=tuple(skipped),
        pages=tuple(pages),
        documents=tuple(kept),
        loaded=loaded,
        seconds=time.perf_counter() - start,
    )
    # Made once, over what the writer published last (the writes made none).
    return (Assistant.from_writer(writer) if writer is not None else None), outcome


@contextmanager
def _staging(writer: IndexWriter, sink: SegmentSink) -> Iterator[StagedIngest]:
    """A staged ingest into the writer's index, its staging area removed at the end
    whatever happens."""
    staged = StagedIngest(writer, sink)
    try:
        yield staged
    finally:
        staged.close()


def _input_bytes(paths: Sequence[str | Path]) -> int:
    total = 0
    for given in paths:
        path = Path(given)
        if path.is_file():
            total += path.stat().st_size
        elif path.is_dir():
            total += sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return total


def _new_index(
    target: Path, config: AssistantConfig, first: PackedDocuments
) -> tuple[IndexWriter, Path]:
    """An empty index in a temporary directory beside ``target`` (``index`` in
    ``.<name>.building-<tag>``), with the encoder the first batch's chunks call for."""
    writer = IndexWriter.empty(config, first)
    building = target.parent / f".{target.name}.building-{uuid.uuid4().hex[:12]}" / "index"
    writer.save(building)
    return writer, building


def _put_in_place(writer: IndexWriter, building: Path, target: Path) -> None:
    """Put the index built at ``building`` in ``target``'s place: moved there where
    there is none (into the directory that holds the write lock, manifest last:
    :func:`~embeddings.store.files.move_index`), else written into the index there as
    its next generation (the caller holds ``target``'s write lock). The writer is bound
    to ``target``."""
    if (target / MANIFEST).is_file():
        writer.save(target)
        return
    try:
        move_index(building, target)
    except OSError as err:
        raise IndexWriteError(
            f"cannot move the new index into {target}: {err}; nothing was written there"
        ) from err
    writer.refresh(target)
