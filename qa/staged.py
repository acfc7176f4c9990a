"""An ingest whose segments are built and written elsewhere, in parallel, and published
by one commit (what ``qa ingest --ray`` runs).

Plain ingest (:func:`qa.ingest.ingest_paths`) decides what each batch of prepared
documents changes (new, changed, unchanged, a copy of an indexed story:
:func:`qa.updates.plan_changes`), builds the batch's segment, writes it and commits it,
then goes on with the next batch. Here this process (the driver) still decides, batch
by batch and in input order, with the same code and against the same documents: the
index as it was, minus what this ingest deleted, plus the segments it planned before
(:class:`StagedIngest` answers the look-ups, reading a segment not written yet from
its :class:`~embeddings.store.staging.PlannedSegment`). Each batch's segment then goes
to a :class:`SegmentSink`, which builds and writes it into the index's staging area
(:mod:`embeddings.store.staging`) while the driver plans the next ones: on Ray actors
with :class:`qa.distributed.writers.RaySegmentSink`, in this process with
:class:`LocalSink`. The last segment is built and written by the driver itself, which
has nothing else left to do then (so an ingest of one segment sends none). Deletions of
documents of planned segments are kept as positions and applied at the end.

When every segment is written, :meth:`StagedIngest.commit` moves them into the index,
applies the deletions and commits one manifest naming the new segments in input order
(then the merge policy runs, as after any commit): the index's
:class:`~qa.writing.IndexWriter` commits and publishes it. Until then nothing is visible;
a segment that fails leaves the index at its previous generation and the staging area is
removed (after a crash, by start-up recovery). The caller holds the index's write lock
from the moment the writer read the index until the commit, so no other write comes
between.

The result is the index plain ingest writes from the same batches: the same documents,
chunks and deletions in the same segments, so the same BM25 statistics and scores.
Only the merges differ: plain ingest runs the merge policy after each segment, this
after the one commit.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from corpus.progress import Progress
from corpus.types import Document
from embeddings.errors import IndexWriteError
from embeddings.store import PreparedDocument, Segment, SegmentState
from embeddings.store.packed import PackedDocuments
from embeddings.store.segment import new_segment_name, open_segment
from embeddings.store.space import write_errors
from embeddings.store.staging import (
    PlannedSegment,
    discard_staging,
    new_staging,
    publish_staged,
    write_staged,
)
from qa.updates import (
    IndexDuplicates,
    IngestSummary,
    WrittenPrints,
    plan_changes,
    plan_packed,
)
from qa.writing import IndexWriter, SegmentRows

__all__ = ["LocalSink", "SegmentJob", "SegmentSink", "StagedIngest"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, eq=False)
class SegmentJob:
    """One segment to build and write.

    Attributes:
        staging: the staging directory to write it into.
        name: its name (``staging/<name>``).
        documents: its documents, in order, with their chunks, terms, band keys and
            vectors, packed to travel to another process.
        dense_kind: the dense index type (see :func:`embeddings.dense.dense_factory`).
    """

    staging: Path
    name: str
    documents: PackedDocuments
    dense_kind: str

    @property
    def rows(self) -> int:
        """The segment's rows (chunks)."""
        return self.documents.rows

    def run(self) -> int:
        """Build and write the segment (:func:`~embeddings.store.staging.write_staged`);
        returns its rows."""
        packed = self.documents
        return write_staged(
            packed,
            self.staging,
            self.name,
            vectors=packed.vectors,
            bands=packed.bands,
            dense_kind=self.dense_kind,
        )


class SegmentSink(Protocol):
    """Builds and writes segments, elsewhere and in parallel, while the driver plans the
    next ones."""

    def submit(self, job: SegmentJob) -> None:
        """Start building and writing a segment (without waiting for it)."""
        ...

    def poll(self) -> list[str]:
        """The names of the segments written since the last call, without waiting.

        Raises:
            IndexWriteError: when a segment could not be written.
        """
        ...

    def drain(self) -> list[str]:
        """Wait for every segment submitted; the names of those written since the last
        call.

        Raises:
            IndexWriteError: when a segment could not be written.
        """
        ...

    def close(self) -> None:
        """Stop the writers (segments still being written are abandoned)."""
        ...


def _write_here(job: SegmentJob) -> None:
    with write_errors(
        f"cannot write segment {job.name}", where=job.staging, outcome="nothing was committed"
    ):
        job.run()


class LocalSink:
    """A :class:`SegmentSink` that writes each segment in this process when it is
    submitted (no parallelism: the reference the parallel sinks are tested against)."""

    def __init__(self) -> None:
        self._done: list[str] = []

    def submit(self, job: SegmentJob) -> None:
        _write_here(job)
        self._done.append(job.name)

    def poll(self) -> list[str]:
        done, self._done = self._done, []
        return done

    def drain(self) -> list[str]:
        return self.poll()

    def close(self) -> None:
        self._done = []


@dataclass(slots=True, eq=False)
class _Pending:
    """A segment this ingest planned: in memory until written, then opened from the
    staging area; with the positions of its documents deleted since."""

    segment: PlannedSegment | Segment
    deleted: set[int] = field(default_factory=set)

    def live(self, positions: Sequence[int]) -> int | None:
        return next((p for p in positions if p not in self.deleted), None)


class StagedIngest:
    """Plans an ingest's segments in this process and has ``sink`` build and write them
    (see the module docstring).

    Args:
        writer: the writer of the index to write, bound to its directory
            (:meth:`IndexWriter.open`, or a new index saved there); the caller holds the
            index's write lock from before it read the index until :meth:`commit`.
        sink: what builds and writes the segments.

    Raises:
        ValueError: when the writer is not bound to an index directory.
        OSError: when the staging directory cannot be made.
    """

    def __init__(self, writer: IndexWriter, sink: SegmentSink) -> None:
        if writer.directory is None:
            raise ValueError("a staged ingest needs an index directory: save the index first")
        self._writer = writer
        self._sink = sink
        self._base = writer.snapshot
        self._base_changed = False
        self._pending: list[_Pending] = []
        self._staging = new_staging(writer.directory)
        self._by_name: dict[str, int] = {}

    @property
    def staging(self) -> Path:
        """The staging directory the segments are written into."""
        return self._staging

    # -- the documents planning sees: the index, minus deletions, plus planned segments --

    def _find(self, doc_id: str) -> tuple[int, Segment | PlannedSegment, int] | None:
        """``(planned segment, segment, position)`` of the live document with this id,
        the newest first as :meth:`IndexSnapshot.find` (planned segment ``-1``: the
        index as it was)."""
        for i in range(len(self._pending) - 1, -1, -1):
            pending = self._pending[i]
            pos = pending.live(pending.segment.positions(doc_id))
            if pos is not None:
                return i, pending.segment, pos
        hit = self._base.find(doc_id)
        return None if hit is None else (-1, self._base.states[hit[0]].segment, hit[1])

    def locate(self, doc_id: str) -> tuple[SegmentRows, int] | None:
        """The segment and position of the live document with this id."""
        hit = self._find(doc_id)
        return None if hit is None else (hit[1], hit[2])

    def get(self, doc_id: str) -> Document | None:
        """The live document with this id, or None (a :class:`qa.updates.DocumentLookup`)."""
        hit = self._find(doc_id)
        return None if hit is None else hit[1].documents.get(hit[2])

    def alternate_owner(self, alt_id: str) -> Document | None:
        """The live document recording ``alt_id`` as an alternate, or None."""
        for pending in reversed(self._pending):
            pos = pending.live(pending.segment.alternate_owners(alt_id))
            if pos is not None:
                return pending.segment.documents.get(pos)
        return self._base.alternate_owner(alt_id)

    def duplicate_candidates(self, bands: npt.NDArray[np.uint64]) -> list[Document]:
        """Live documents sharing an LSH band key with ``bands`` (one key per band)."""
        return self.duplicate_candidates_many(bands.reshape(1, -1))[0]

    def duplicate_candidates_many(self, bands: npt.NDArray[np.uint64]) -> list[list[Document]]:
        """As :meth:`IndexSnapshot.duplicate_candidates_many`, over the index and the
        planned segments."""
        found = self._base.duplicate_candidates_many(bands)
        for pending in self._pending:
            texts, positions = pending.segment.band_candidates_many(bands)
            for text, pos in zip(texts.tolist(), positions.tolist(), strict=True):
                if pos not in pending.deleted:
                    found[text].append(pending.segment.documents.get(pos))
        return found

    # -- planning ------------------------------------------------------------------------

    def add(
        self,
        batch: Sequence[PreparedDocument] | PackedDocuments,
        progress: Progress | None = None,
        *,
        last: bool = False,
        written: WrittenPrints | None = None,
    ) -> IngestSummary:
        """Plan a batch as :meth:`IndexWriter.add` applies it, and submit its
        segment (the next in input order) to the sink; the ``last`` batch's segment is
        built and written here (nothing is left to plan meanwhile, and an ingest of one
        segment then sends none).

        Raises:
            IndexWriteError: when a segment submitted earlier could not be written.
            ModelUnavailableError: when the index has vectors and a chunk needs one that
                neither the batch nor the index holds, and the model is not loaded.
        """
        writer = self._writer
        threshold = writer.config.duplicate_threshold
        prepared: dict[str, PreparedDocument] | PackedDocuments
        if isinstance(batch, PackedDocuments):
            prepared = batch
            changes = plan_packed(self, self, batch, threshold, written)
        else:
            prepared = {p.document.id: p for p in batch}
            docs = [p.document for p in batch]
            prints = {i: p.fingerprint for i, p in prepared.items() if p.fingerprint is not None}
            duplicates = IndexDuplicates(self, threshold) if threshold else None
            if duplicates is not None and prints:
                duplicates.prefetch(prints)
            changes = plan_changes(self, docs, duplicates=duplicates, fingerprints=prints)
        if changes.summary.changed:
            ready, vectors = writer.plan_segment(changes, prepared, self.locate, progress=progress)
            self._remove(changes.removals)
            if ready:
                name = new_segment_name()
                self._by_name[name] = len(self._pending)
                self._pending.append(_Pending(PlannedSegment.of(name, ready, vectors)))
                packed = (
                    ready.with_vectors(vectors)
                    if isinstance(ready, PackedDocuments)
                    else PackedDocuments.pack(ready, vectors)
                )
                job = SegmentJob(self._staging, name, packed, writer.config.dense_index)
                if last:
                    _write_here(job)
                    self._opened([name])
                else:
                    self._sink.submit(job)
        self._opened(self._sink.poll())
        return changes.summary

    def _remove(self, doc_ids: Sequence[str]) -> None:
        from_index: list[str] = []
        for doc_id in doc_ids:
            hit = self._find(doc_id)
            if hit is None:
                continue
            where, _, pos = hit
            if where < 0:
                from_index.append(doc_id)
            else:
                self._pending[where].deleted.add(pos)
        if from_index:
            self._base = self._base.without(from_index)
            self._base_changed = True

    def _opened(self, names: Sequence[str]) -> None:
        """Read the segments written since from the staging area (the planned ones, and
        their documents, leave memory)."""
        for name in names:
            pending = self._pending[self._by_name[name]]
            pending.segment = open_segment(self._staging / name)

    # -- the end -------------------------------------------------------------------------

    def commit(self) -> bool:
        """Wait for every segment, move them into the index and commit one manifest
        naming them (after the index's own segments, in input order) with this ingest's
        deletions; the writer publishes it (segments merged by its merge policy).

        Returns:
            Whether anything was committed (False: the ingest changed nothing).

        Raises:
            IndexWriteError: when a segment or the manifest could not be written (the
                index is at its previous generation; the staging area is removed).
        """
        try:
            self._opened(self._sink.drain())
            if not self._pending and not self._base_changed:
                return False
            names = [p.segment.name for p in self._pending]
            for pending in self._pending:
                if isinstance(pending.segment, Segment):
                    pending.segment.close()
            directory = self._writer.directory
            assert directory is not None
            try:
                segments = publish_staged(directory, self._staging, names)
            except OSError as err:
                raise IndexWriteError(
                    f"cannot move the new segments into {directory}: {err}; nothing was "
                    "committed: the index is as it was"
                ) from err
            base = self._base
            snapshot = base.with_states([*base.states, *(SegmentState(s) for s in segments)])
            positions = [np.empty(0, dtype=np.int64) for _ in base.states] + [
                np.array(sorted(p.deleted), dtype=np.int64) for p in self._pending
            ]
            self._writer.commit(snapshot.without_positions(positions))
            return True
        finally:
            self.close()

    def close(self) -> None:
        """Stop the sink and remove the staging area (what a failed ingest leaves)."""
        self._sink.close()
        for pending in self._pending:
            if isinstance(pending.segment, Segment):
                pending.segment.close()
        discard_staging(self._staging)
