"""Merging segments, and the policy that decides when.

A merge writes one new segment holding the live documents and rows of several, in
order, and drops what was deleted from them: postings are merged term block by term
block (:func:`embeddings.postings.merge_postings`), documents are copied from SQLite
to SQLite, vectors row block by row block, so the memory a merge needs does not grow
with the segments' size (the dense index of the merged segment is rebuilt over its
vectors, which for HNSW is the slow part).

:class:`MergePolicy` is a log-structured policy (Lucene's ``LogMergePolicy``): a
segment's level is 0 up to ``min_rows`` rows, else ``1 + floor(log_factor(rows /
min_rows))``; ``factor`` adjacent segments of one level merge into one of the next, so
each row is rewritten about ``1 + log_factor(N / min_rows)`` times over the life of an
index of ``N`` rows, and adding a small batch never rewrites a large segment (nor one
between ``min_rows`` and ``factor`` times as many: sharing level 0 with it, nine
one-article adds would rewrite a segment of 100,000 rows, seconds for one add).
Within level 0, where sizes differ without bound, a merge leaves out a segment holding
more than half of its rows (:func:`_balanced`). A segment with more than ``max_deleted`` of
its rows deleted is rewritten on its own. With ``max_rows``, no merge writes a segment
of more rows (Lucene's ``TieredMergePolicy`` has ``maxMergedSegmentMB`` for this): a run
of segments due to merge is merged in consecutive groups of at most ``max_rows`` rows, and
a segment that has no neighbour to share a group with stays as it is; an index kept in
segments of about that size can be partitioned over shards (``qa serve --shards``).

:func:`rewrite_segments` rewrites an index's live content as segments of at most a given
number of rows (``qa index optimize --max-segment-rows``): it can split a segment, which
merging never does.
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
from embeddings.terms import char12_keys

__all__ = ["MergePolicy", "merge_segments", "rewrite_needed", "rewrite_segments"]

_VECTOR_BLOCK = 65536
_DOCUMENT_BLOCK = 1024
"""Documents read from a segment at a time when a rewrite takes some of them."""


@dataclass(frozen=True, slots=True)
class MergePolicy:
    """When segments merge.

    Attributes:
        factor: this many adjacent segments of one level merge into one.
        min_rows: segments of at most this many rows are all of level 0.
        max_deleted: a segment with a larger share of deleted rows is rewritten.
        max_rows: no merge writes a segment of more live rows than this (None: no
            limit); a run due to merge is merged in consecutive groups that fit.

    Raises:
        ValueError: for a factor below 2, a non-positive ``min_rows`` or ``max_rows``,
            or a share outside (0, 1].
    """

    factor: int = 10
    min_rows: int = 20_000
    max_deleted: float = 0.3
    max_rows: int | None = None

    def __post_init__(self) -> None:
        if self.factor < 2:
            raise ValueError("factor must be at least 2")
        if self.min_rows <= 0:
            raise ValueError("min_rows must be greater than 0")
        if not 0.0 < self.max_deleted <= 1.0:
            raise ValueError("max_deleted must be greater than 0 and at most 1")
        if self.max_rows is not None and self.max_rows <= 0:
            raise ValueError("max_rows must be greater than 0")

    def level(self, rows: int) -> int:
        """The level of a segment of ``rows`` live rows: 0 up to ``min_rows``, then 1 up to
        ``min_rows * factor``, 2 up to ``min_rows * factor**2``, ..."""
        if rows <= self.min_rows:
            return 0
        return int(math.log(rows / self.min_rows, self.factor)) + 1

    def plan(self, states: Sequence[SegmentState]) -> list[tuple[int, int]]:
        """The merges to do now, as ``[start, end)`` ranges of adjacent segments
        (disjoint, in order; empty when nothing is due)."""
        rows = [st.live_rows for st in states]
        levels = [self.level(r) for r in rows]
        plans: list[tuple[int, int]] = []
        i = 0
        while i < len(states):
            run = i
            while run < len(states) and levels[run] == levels[i] and run - i < self.factor:
                run += 1
            if run - i >= self.factor:
                groups = self._fitting(rows, i, run)
                if levels[i] == 0:
                    groups = [part for a, b in groups for part in _balanced(rows, a, b)]
                if groups:
                    plans.extend(groups)
                    i = run
                    continue
            st = states[i]
            if st.segment.size and st.bm25.count / st.segment.size > self.max_deleted:
                plans.append((i, i + 1))
            i += 1
        return plans

    def _fitting(self, rows: Sequence[int], start: int, end: int) -> list[tuple[int, int]]:
        """The run ``[start, end)`` as consecutive groups of at least two segments whose
        rows fit in ``max_rows`` (the whole run without a maximum)."""
        if self.max_rows is None:
            return [(start, end)]
        groups: list[tuple[int, int]] = []
        first, total = start, 0
        for j in range(start, end):
            if total + rows[j] > self.max_rows and j > first:
                if j - first >= 2:
                    groups.append((first, j))
                first, total = j, 0
            total += rows[j]
        if end - first >= 2 and total <= self.max_rows:
            groups.append((first, end))
        return groups


def _balanced(rows: Sequence[int], start: int, end: int) -> list[tuple[int, int]]:
    """The group ``[start, end)`` of level-0 segments without those that hold more than
    half of the rows of what is left of it (split where one lies inside), as groups of
    at least two.

    Level 0 holds every segment up to ``min_rows``: merged as they come, nine small adds
    beside a segment of some thousands of rows would rewrite it each time. Left out
    until the others together are as large, a segment is rewritten each time the rows
    merged with it double: about ``log2(min_rows)`` times in all within level 0.
    """
    if end - start < 2:
        return []
    largest = max(range(start, end), key=lambda j: rows[j])
    if 2 * rows[largest] <= sum(rows[start:end]):
        return [(start, end)]
    return _balanced(rows, start, largest) + _balanced(rows, largest + 1, end)


def _live_positions(state: SegmentState) -> npt.NDArray[np.int64]:
    n = state.segment.document_count
    if state.deleted.size == 0:
        return np.arange(n, dtype=np.int64)
    keep = np.ones(n, dtype=np.bool_)
    keep[state.deleted] = False
    return np.flatnonzero(keep)


@dataclass(frozen=True, slots=True, eq=False)
class _Part:
    """The documents of one segment a merge keeps: ``positions`` (live ones, ascending);
    ``whole`` when they are all its live documents."""

    state: SegmentState
    positions: npt.NDArray[np.int64]
    whole: bool


def _whole(state: SegmentState) -> _Part:
    return _Part(state, _live_positions(state), True)


def _part_documents(part: _Part) -> Iterator[Document]:
    documents = part.state.segment.documents
    if part.whole:
        deleted = set(part.state.deleted.tolist())
        for pos, doc in enumerate(documents.iter_documents()):
            if pos not in deleted:
                yield doc
        return
    positions = part.positions.tolist()
    for lo in range(0, len(positions), _DOCUMENT_BLOCK):
        yield from documents.get_many(positions[lo : lo + _DOCUMENT_BLOCK])


def _row_mask(part: _Part, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_] | None:
    """The rows of the part's segment it keeps (None: all of them)."""
    st = part.state
    if part.whole:
        if not st.bm25.count:
            return None
        mask = np.ones(st.segment.size, dtype=np.bool_)
        mask[st.bm25.rows] = False
        return mask
    mask = np.zeros(st.segment.size, dtype=np.bool_)
    mask[rows] = True
    return mask


def _analyzer_table(
    part: _Part, rows: npt.NDArray[np.int64]
) -> tuple[list[npt.NDArray[np.uint64]], list[npt.NDArray[np.int64]]]:
    """The char12 document frequencies of the rows a part keeps, as key and count
    arrays to sum: the segment's table less its deleted rows' for a whole part, else
    counted again from the kept rows' text (as :func:`prepare_document` counts them)."""
    seg = part.state.segment
    assert seg.analyzer is not None
    if part.whole:
        keys = [np.asarray(seg.analyzer.keys)]
        dfs = [np.asarray(seg.analyzer.df)]
        if part.state.analyzer is not None:
            keys.append(np.asarray(part.state.analyzer.keys))
            dfs.append(-np.asarray(part.state.analyzer.df))
        return keys, dfs
    table = TermTable.count(
        [
            np.unique(char12_keys(normalize_for_matching(seg.chunk(int(row)).text)))
            for row in rows.tolist()
        ]
    )
    return [np.asarray(table.keys)], [np.asarray(table.df)]


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
    return _merge_parts([_whole(st) for st in states], parent, dense_kind, name)


def rewrite_segments(
    states: Sequence[SegmentState],
    max_rows: int,
    *,
    parent: str | Path | None = None,
    dense_kind: str = "auto",
) -> list[Segment]:
    """The live content of ``states``, in order, as segments of at most ``max_rows``
    rows each: filled in order and cut between documents (a document of more rows is a
    segment of its own). Unlike :func:`merge_segments` it splits segments too: an index
    of one large segment becomes several (to be partitioned over shards).

    Args:
        states: the segments, with their deletions.
        max_rows: the most rows of a segment written.
        parent: the index's segments directory to write the segments into; None builds
            them in memory.
        dense_kind: the dense index type of the results.

    Returns:
        The new segments, in order (none when there is no live row).

    Raises:
        ValueError: for a non-positive ``max_rows``, or segments with and without
            vectors.
        OSError, sqlite3.Error: when the files cannot be written (those written
            already are left for the next commit to collect).
    """
    return [
        _merge_parts(parts, parent, dense_kind, None) for parts in _plan_rewrite(states, max_rows)
    ]


def rewrite_needed(states: Sequence[SegmentState], max_rows: int) -> bool:
    """Whether :func:`rewrite_segments` would change ``states``: False when each new
    segment would be one of them as it is (nothing deleted)."""
    return any(
        len(parts) != 1 or not parts[0].whole or parts[0].state.deleted.size
        for parts in _plan_rewrite(states, max_rows)
    ) or any(st.live_rows == 0 for st in states)


def _plan_rewrite(states: Sequence[SegmentState], max_rows: int) -> list[list[_Part]]:
    """How :func:`rewrite_segments` cuts ``states``: per new segment, the documents it
    takes from each old one."""
    if max_rows <= 0:
        raise ValueError("max_rows must be greater than 0")
    groups: list[list[_Part]] = []
    current: list[_Part] = []
    used = 0
    for st in states:
        positions = _live_positions(st)
        doc_rows = np.asarray(st.segment.doc_rows, dtype=np.int64)
        ends = np.cumsum(doc_rows[positions + 1] - doc_rows[positions])
        n = positions.shape[0]
        start = 0
        while start < n:
            base = int(ends[start - 1]) if start else 0
            stop = int(np.searchsorted(ends, base + max_rows - used, side="right"))
            if stop <= start:
                if used:  # the next document does not fit: a new segment
                    groups.append(current)
                    current, used = [], 0
                    continue
                stop = start + 1  # a document longer than max_rows, alone
            whole = start == 0 and stop == n
            current.append(_Part(st, positions[start:stop], whole))
            used += int(ends[stop - 1]) - base
            start = stop
            if used >= max_rows or start < n:
                groups.append(current)
                current, used = [], 0
    if current:
        groups.append(current)
    return groups


def _merge_parts(
    parts: Sequence[_Part], parent: str | Path | None, dense_kind: str, name: str | None
) -> Segment:
    name = name or new_segment_name()
    tmp: Path | None = None
    if parent is not None:
        root = Path(parent)
        root.mkdir(parents=True, exist_ok=True)
        tmp = root / f".{name}.tmp-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
    try:
        return _merge(parts, tmp, dense_kind, name)
    finally:
        if tmp is not None and tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _merge(parts: Sequence[_Part], tmp: Path | None, dense_kind: str, name: str) -> Segment:
    # Rows and documents kept, with their new numbers.
    chunk_parts: list[npt.NDArray[np.int32]] = []
    doc_rows_parts: list[npt.NDArray[np.int64]] = [np.zeros(1, dtype=np.int64)]
    band_parts: list[npt.NDArray[np.uint64]] = []
    band_doc_parts: list[npt.NDArray[np.int64]] = []
    row_masks: list[npt.NDArray[np.bool_] | None] = []
    kept_rows: list[npt.NDArray[np.int64]] = []
    doc_base = 0
    row_base = 0
    for part in parts:
        st, positions = part.state, part.positions
        seg = st.segment
        rows = seg.rows_of(positions)
        kept_rows.append(rows)
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
            every = part.whole and not st.deleted.size
            keep = np.ones(owners.size, bool) if every else np.isin(owners, positions)
            band_parts.append(np.asarray(seg.bands)[keep])
            band_doc_parts.append(np.searchsorted(positions, owners[keep]) + doc_base)
        row_masks.append(_row_mask(part, rows))
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
        for part in parts:
            for doc in _part_documents(part):
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
        [(part.state.segment.postings, mask) for part, mask in zip(parts, row_masks, strict=True)],
        None if tmp is None else tmp / "postings",
    )

    analyzer: TermTable | None = None
    if all(part.state.segment.analyzer is not None for part in parts):
        keys: list[npt.NDArray[np.uint64]] = []
        dfs: list[npt.NDArray[np.int64]] = []
        for part, rows in zip(parts, kept_rows, strict=True):
            part_keys, part_dfs = _analyzer_table(part, rows)
            keys.extend(part_keys)
            dfs.extend(part_dfs)
        unique, inverse = np.unique(np.concatenate(keys), return_inverse=True)
        summed = np.bincount(inverse, weights=np.concatenate(dfs)).astype(np.int64)
        analyzer = TermTable(unique[summed > 0], summed[summed > 0])

    states = [part.state for part in parts]
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
