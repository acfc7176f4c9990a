"""Merging segments, and the policy that decides when.

A merge writes one new segment holding the live documents and rows of several, in
order, and drops what was deleted from them: postings are merged term block by term
block (:func:`embeddings.postings.merge_postings`), documents are copied from SQLite
to SQLite, vectors row block by row block, so the memory a merge needs does not grow
with the segments' size (the dense index of the merged segment is rebuilt over its
vectors, which for HNSW is the slow part).

:class:`MergePolicy` is a log-structured policy (Lucene's ``LogMergePolicy``): a
segment's level is ``floor(log_factor(rows / min_rows))``; ``factor`` adjacent segments
of one level merge into one of the next, so each row is rewritten about
``log_factor(N / min_rows)`` times over the life of an index of ``N`` rows, and adding a
small batch never rewrites a large segment. A segment with more than ``max_deleted`` of
its rows deleted is rewritten on its own.
"""

from __future__ import annotations

import math
import shutil
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from corpus.normalize import normalize_for_matching
from corpus.types import Document
from embeddings.dense import DenseIndex, dense_factory
from embeddings.postings import merge_postings
from embeddings.store.documents import (
    DOCUMENTS_FILE,
    MemoryDocuments,
    SqliteDocuments,
    write_documents,
)
from embeddings.store.facets import Facets
from embeddings.store.segment import (
    Segment,
    TermTable,
    finish_segment,
    id_hashes,
    new_segment_name,
)
from embeddings.store.snapshot import SegmentState

__all__ = ["MergePolicy", "merge_segments"]

_VECTOR_BLOCK = 65536


@dataclass(frozen=True, slots=True)
class MergePolicy:
    """When segments merge.

    Attributes:
        factor: this many adjacent segments of one level merge into one.
        min_rows: segments smaller than this are all of level 0.
        max_deleted: a segment with a larger share of deleted rows is rewritten.

    Raises:
        ValueError: for a factor below 2, a non-positive ``min_rows`` or a share
            outside (0, 1].
    """

    factor: int = 10
    min_rows: int = 20_000
    max_deleted: float = 0.3

    def __post_init__(self) -> None:
        if self.factor < 2:
            raise ValueError("factor must be at least 2")
        if self.min_rows <= 0:
            raise ValueError("min_rows must be greater than 0")
        if not 0.0 < self.max_deleted <= 1.0:
            raise ValueError("max_deleted must be greater than 0 and at most 1")

    def level(self, rows: int) -> int:
        """The level of a segment of ``rows`` live rows."""
        if rows <= self.min_rows:
            return 0
        return int(math.log(rows / self.min_rows, self.factor))

    def plan(self, states: Sequence[SegmentState]) -> list[tuple[int, int]]:
        """The merges to do now, as ``[start, end)`` ranges of adjacent segments
        (disjoint, in order; empty when nothing is due)."""
        levels = [self.level(st.live_rows) for st in states]
        plans: list[tuple[int, int]] = []
        i = 0
        while i < len(states):
            run = i
            while run < len(states) and levels[run] == levels[i] and run - i < self.factor:
                run += 1
            if run - i >= self.factor:
                plans.append((i, run))
                i = run
                continue
            st = states[i]
            if st.segment.size and st.bm25.count / st.segment.size > self.max_deleted:
                plans.append((i, i + 1))
            i += 1
        return plans


def _live_positions(state: SegmentState) -> npt.NDArray[np.int64]:
    n = state.segment.document_count
    if state.deleted.size == 0:
        return np.arange(n, dtype=np.int64)
    keep = np.ones(n, dtype=np.bool_)
    keep[state.deleted] = False
    return np.flatnonzero(keep)


def _live_documents(states: Sequence[SegmentState]) -> Iterator[Document]:
    for st in states:
        deleted = set(st.deleted.tolist())
        for pos, doc in enumerate(st.segment.documents.iter_documents()):
            if pos not in deleted:
                yield doc


def merge_segments(
    states: Sequence[SegmentState],
    *,
    parent: str | Path | None = None,
    dense_kind: str = "auto",
    name: str | None = None,
) -> Segment:
    """One segment with the live content of ``states``, in order.

    Args:
        states: the segments to merge, with their deletions.
        parent: the index's segments directory to write the new segment into; None
            builds it in memory.
        dense_kind: the dense index type of the result (see
            :func:`embeddings.dense.dense_factory`).
        name: its name (default a fresh one).

    Returns:
        The merged segment (opened from ``parent/<name>`` when written).

    Raises:
        ValueError: for no segment, or segments with and without vectors.
        OSError, sqlite3.Error: when the files cannot be written.
    """
    if not states:
        raise ValueError("nothing to merge")
    name = name or new_segment_name()
    tmp: Path | None = None
    if parent is not None:
        root = Path(parent)
        root.mkdir(parents=True, exist_ok=True)
        tmp = root / f".{name}.tmp-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
    try:
        return _merge(states, tmp, dense_kind, name)
    finally:
        if tmp is not None and tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _merge(states: Sequence[SegmentState], tmp: Path | None, dense_kind: str, name: str) -> Segment:
    # Rows and documents kept, with their new numbers.
    chunk_parts: list[npt.NDArray[np.int32]] = []
    doc_rows_parts: list[npt.NDArray[np.int64]] = [np.zeros(1, dtype=np.int64)]
    band_parts: list[npt.NDArray[np.uint64]] = []
    band_doc_parts: list[npt.NDArray[np.int64]] = []
    row_masks: list[npt.NDArray[np.bool_] | None] = []
    doc_base = 0
    row_base = 0
    for st in states:
        seg = st.segment
        positions = _live_positions(st)
        rows = seg.rows_of(positions)
        old = np.asarray(seg.chunks)[rows]
        counts = np.asarray(seg.doc_rows)[positions + 1] - np.asarray(seg.doc_rows)[positions]
        renumbered = np.repeat(np.arange(positions.shape[0], dtype=np.int64) + doc_base, counts)
        chunk_parts.append(
            np.stack((renumbered, old[:, 1], old[:, 2]), axis=1).astype(np.int32)
            if rows.size
            else np.empty((0, 3), dtype=np.int32)
        )
        doc_rows_parts.append(np.cumsum(counts) + row_base)
        if seg.bands.size:
            owners = np.asarray(seg.band_docs, dtype=np.int64)
            keep = np.isin(owners, positions) if st.deleted.size else np.ones(owners.size, bool)
            band_parts.append(np.asarray(seg.bands)[keep])
            band_doc_parts.append(np.searchsorted(positions, owners[keep]) + doc_base)
        if st.bm25.count:
            mask = np.ones(seg.size, dtype=np.bool_)
            mask[st.bm25.rows] = False
            row_masks.append(mask)
        else:
            row_masks.append(None)
        doc_base += int(positions.shape[0])
        row_base += int(rows.shape[0])
    chunks = np.concatenate(chunk_parts) if chunk_parts else np.empty((0, 3), np.int32)
    doc_rows = np.concatenate(doc_rows_parts).astype(np.int64)
    if band_parts:
        entries = np.concatenate(band_parts)
        order = np.argsort(entries, kind="stable")
        band_keys = entries[order]
        band_docs = np.concatenate(band_doc_parts)[order].astype(np.int32)
    else:
        band_keys, band_docs = np.empty(0, np.uint64), np.empty(0, np.int32)

    # Documents, streamed; their outlets and dates for the facets on the way.
    outlets: list[str] = []
    published: list[str] = []
    ids: list[str] = []
    alternate_ids: list[str] = []

    def documents() -> Iterator[Document]:
        for doc in _live_documents(states):
            outlets.append(normalize_for_matching(doc.outlet))
            published.append(doc.published)
            ids.append(doc.id)
            alternate_ids.extend(a.id for a in doc.alternates)
            yield doc

    if tmp is not None:
        write_documents(tmp / DOCUMENTS_FILE, documents())
        store: MemoryDocuments | SqliteDocuments = SqliteDocuments(tmp / DOCUMENTS_FILE)
    else:
        store = MemoryDocuments(list(documents()))
    facets = Facets.from_values(outlets, published)

    postings = merge_postings(
        [(st.segment.postings, mask) for st, mask in zip(states, row_masks, strict=True)],
        None if tmp is None else tmp / "postings",
    )

    analyzer: TermTable | None = None
    if all(st.segment.analyzer is not None for st in states):
        keys = [np.asarray(st.segment.analyzer.keys) for st in states if st.segment.analyzer]
        dfs = [np.asarray(st.segment.analyzer.df) for st in states if st.segment.analyzer]
        for st in states:
            if st.analyzer is not None:
                keys.append(np.asarray(st.analyzer.keys))
                dfs.append(-np.asarray(st.analyzer.df))
        unique, inverse = np.unique(np.concatenate(keys), return_inverse=True)
        summed = np.bincount(inverse, weights=np.concatenate(dfs)).astype(np.int64)
        analyzer = TermTable(unique[summed > 0], summed[summed > 0])

    dense = _merged_dense(states, row_masks, tmp, dense_kind, int(chunks.shape[0]))
    segment = Segment(
        name=name,
        documents=store,
        chunks=chunks,
        doc_rows=doc_rows,
        postings=postings,
        analyzer=analyzer,
        facets=facets,
        bands=band_keys,
        band_docs=band_docs,
        ids=id_hashes(ids),
        alternate_ids=id_hashes(alternate_ids),
        dense=dense,
    )
    if tmp is None:
        return segment
    store.close()
    return finish_segment(segment, tmp, tmp.parent / name)


def _merged_dense(
    states: Sequence[SegmentState],
    masks: Sequence[npt.NDArray[np.bool_] | None],
    tmp: Path | None,
    dense_kind: str,
    rows: int,
) -> DenseIndex | None:
    with_vectors = [st.segment.vectors is not None for st in states]
    if not any(with_vectors):
        return None
    if not all(with_vectors):
        raise ValueError("cannot merge segments with and without vectors")
    first = states[0].segment.vectors
    assert first is not None
    dim = int(first.shape[1])
    if tmp is not None:
        out: npt.NDArray[np.float32] = np.lib.format.open_memmap(
            tmp / "vectors.npy", mode="w+", dtype=np.float32, shape=(rows, dim)
        )
    else:
        out = np.empty((rows, dim), dtype=np.float32)
    at = 0
    for st, mask in zip(states, masks, strict=True):
        vectors = st.segment.vectors
        assert vectors is not None
        for lo in range(0, st.segment.size, _VECTOR_BLOCK):
            block = np.asarray(vectors[lo : lo + _VECTOR_BLOCK])
            if mask is not None:
                block = block[mask[lo : lo + _VECTOR_BLOCK]]
            out[at : at + block.shape[0]] = block
            at += block.shape[0]
    assert at == rows
    if tmp is not None:
        out.flush()  # type: ignore[attr-defined]
    return DenseIndex.build(out, dense_factory(rows, dim, dense_kind))
