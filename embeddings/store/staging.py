"""Segments built elsewhere and published by one commit: the staging area of an index.

A writer that has its segments built in other processes (``qa ingest --ray``: Ray
actors, possibly on other machines) has them written into a staging directory inside
the index, ``segments/.staging-<tag>/<name>/``, each with the store's own functions
(:func:`write_staged`: :func:`~embeddings.store.segment.build_segment`, then
:func:`~embeddings.store.segment.write_segment`). Nothing there is visible: readers open
what the manifest names, and a dot-name is what every clean-up removes (a commit under
the index's write lock, and start-up recovery after a crash,
:func:`embeddings.store.recovery.recover_index`). When every segment is written, the
writer moves them to ``segments/<name>`` (:func:`publish_staged`; still named by no
manifest, so still invisible, and collected by the next commit if the writer dies
there) and commits one manifest naming them (:func:`~embeddings.store.files.
commit_snapshot`). A segment that fails leaves the index as it was.

While the segments are being written, the writer still decides what later documents
are (new, changed, copies of ones already planned): :class:`PlannedSegment` is what it
reads of a segment it has planned but not yet written.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from corpus.dedupe import BANDS
from corpus.types import Chunk, Document
from embeddings.store.analysis import PreparedDocument, chunk_of
from embeddings.store.documents import MemoryDocuments
from embeddings.store.files import SEGMENTS
from embeddings.store.packed import PackedDocuments
from embeddings.store.segment import (
    Segment,
    band_candidates,
    band_table,
    build_segment,
    chunk_table,
    fsync_dir,
    open_segment,
    packed_chunk_table,
    prepared_bands,
    write_segment,
)

__all__ = [
    "STAGING_PREFIX",
    "PackedDocuments",
    "PlannedSegment",
    "discard_staging",
    "new_staging",
    "publish_staged",
    "write_staged",
]

STAGING_PREFIX = ".staging-"
"""Name prefix of a staging directory in an index's ``segments/``."""


@dataclass(frozen=True, slots=True, eq=False)
class PlannedSegment:
    """A segment decided but not written yet: its documents, rows, band keys and
    vectors, for the look-ups that plan the documents after it (ids, alternates,
    near-duplicate candidates, the vectors of a document it replaces). It has no
    postings: it is never searched.

    Attributes:
        name: the segment's name.
        documents: its documents, by position.
        chunks: int32 (n, 3): each row's document position, start and end.
        doc_rows: int64 (documents + 1): each document's first row.
        bands: its sorted LSH band entries (:func:`~embeddings.store.segment.band_table`).
        band_docs: the document of each entry.
        vectors: float32 (n, dimension), or None (lexical only).
    """

    name: str
    documents: MemoryDocuments
    chunks: npt.NDArray[np.int32]
    doc_rows: npt.NDArray[np.int64]
    bands: npt.NDArray[np.uint64]
    band_docs: npt.NDArray[np.int32]
    vectors: npt.NDArray[np.float32] | None = None

    @classmethod
    def of(
        cls,
        name: str,
        prepared: Sequence[PreparedDocument] | PackedDocuments,
        vectors: npt.NDArray[np.float32] | None = None,
    ) -> PlannedSegment:
        """The planned segment of ``prepared`` (in order, one by one or packed), with
        their chunks' vectors."""
        if isinstance(prepared, PackedDocuments):
            chunks, doc_rows = packed_chunk_table(prepared)
            per_doc = prepared.bands if prepared.bands is not None else np.empty((0, BANDS))
            docs: Sequence[Document] = prepared.documents
        else:
            chunks, doc_rows = chunk_table(prepared)
            per_doc = prepared_bands(prepared)
            docs = [p.document for p in prepared]
        if vectors is not None and vectors.shape[0] != chunks.shape[0]:
            raise ValueError(f"{vectors.shape[0]} vectors for {chunks.shape[0]} chunks")
        bands, band_docs = band_table(per_doc.astype(np.uint64, copy=False))
        documents = MemoryDocuments(docs)
        return cls(name, documents, chunks, doc_rows, bands, band_docs, vectors)

    @property
    def size(self) -> int:
        """Number of rows (chunks)."""
        return int(self.chunks.shape[0])

    @property
    def document_count(self) -> int:
        """Number of documents."""
        return len(self.documents)

    def positions(self, doc_id: str) -> list[int]:
        """Positions of the documents with this id."""
        return self.documents.positions(doc_id)

    def alternate_owners(self, alt_id: str) -> list[int]:
        """Positions of the documents recording ``alt_id`` as an alternate."""
        return self.documents.alternate_owners(alt_id)

    def band_candidates_many(
        self, keys: npt.NDArray[np.uint64]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """As :meth:`Segment.band_candidates_many`."""
        return band_candidates(self.bands, self.band_docs, self.document_count, keys)

    def chunk(self, row: int) -> Chunk:
        """The chunk at ``row``."""
        pos, start, end = (int(x) for x in self.chunks[row])
        return chunk_of(self.documents.get(pos), row - int(self.doc_rows[pos]), start, end)


def new_staging(index: str | Path) -> Path:
    """A new, empty staging directory in the index at ``index`` (its ``segments/``)."""
    staging = Path(index) / SEGMENTS / f"{STAGING_PREFIX}{uuid.uuid4().hex[:12]}"
    staging.mkdir(parents=True)
    return staging


def write_staged(
    prepared: Sequence[PreparedDocument] | PackedDocuments,
    staging: str | Path,
    name: str,
    *,
    vectors: npt.NDArray[np.float32] | None = None,
    bands: npt.NDArray[np.uint64] | None = None,
    dense_kind: str = "auto",
) -> int:
    """Build the segment of ``prepared`` (in order) and write it as ``staging/<name>``,
    complete and synced (what each parallel writer does).

    Args:
        prepared: the segment's documents, with their chunks and terms (one by one or
            packed).
        staging: the staging directory (:func:`new_staging`).
        name: the segment's name (decided by the planner).
        vectors: the chunks' vectors in row order, or None (lexical only).
        bands: the documents' LSH band keys (default: from their fingerprints).
        dense_kind: see :func:`embeddings.dense.dense_factory`.

    Returns:
        The segment's rows.

    Raises:
        OSError, sqlite3.Error: when the files cannot be written.
        ValueError: when the vectors do not match the chunks.
    """
    segment = build_segment(
        prepared, vectors=vectors, bands=bands, dense_kind=dense_kind, name=name
    )
    documents = (
        prepared.documents
        if isinstance(prepared, PackedDocuments)
        else [p.document for p in prepared]
    )
    written = write_segment(segment, staging, documents=documents)
    written.close()
    return segment.size


def publish_staged(index: str | Path, staging: str | Path, names: Sequence[str]) -> list[Segment]:
    """Move the staged segments ``names`` into the index's ``segments/`` and open them
    from there (no manifest names them yet: the caller commits one that does). The
    staging directory is removed.

    Raises:
        OSError: when a segment cannot be moved (those moved already are collected by
            the next commit, the rest by recovery).
        IndexCorruptError: when a moved segment cannot be opened.
    """
    segments = Path(index) / SEGMENTS
    for name in names:
        (Path(staging) / name).replace(segments / name)
    fsync_dir(segments)
    discard_staging(staging)
    return [open_segment(segments / name) for name in names]


def discard_staging(staging: str | Path) -> None:
    """Remove a staging directory and what it holds (a no-op when it is gone)."""
    shutil.rmtree(staging, ignore_errors=True)
