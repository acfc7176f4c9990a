"""The index as a reader sees it: segments, minus deleted documents, numbered as one.

An :class:`IndexSnapshot` never changes. Rows (chunks) and document positions run over
the *live* rows and documents of the first segment, then of the second, and so on; a
write (:meth:`IndexSnapshot.with_segment`, :meth:`IndexSnapshot.without`) returns a new
snapshot that shares every unchanged segment with this one, so it costs the new data
only. Documents, chunks and vectors are read from the segments on demand: nothing
proportional to the corpus is copied into Python objects when a snapshot opens.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from corpus.normalize import normalize_for_matching
from corpus.types import Chunk, Document
from embeddings.sparse import BM25Index, BM25Part, Deletions
from embeddings.store.analysis import ANALYZER
from embeddings.store.segment import Segment, TermTable
from embeddings.store.settings import IndexSettings
from embeddings.terms import analyze, char12_keys, count_terms, term_keys
from embeddings.tokenize import Tokenizer, get_tokenizer
from embeddings.types import Hits

__all__ = ["IndexSnapshot", "SegmentState", "SegmentedDense"]


@dataclass(frozen=True, slots=True, eq=False)
class SegmentState:
    """A segment and what has been deleted from it.

    Attributes:
        segment: the segment.
        deleted: positions of its deleted documents (ascending).
        bm25: its deleted rows and the BM25 statistics they held.
        analyzer: the char12 document frequencies of its deleted rows (where the
            segment keeps char12 statistics).
        deletes_file: where ``deleted`` is saved, relative to the index directory
            ("" while unsaved or when nothing is deleted).
    """

    segment: Segment
    deleted: npt.NDArray[np.int64] = field(default_factory=lambda: np.empty(0, np.int64))
    bm25: Deletions = field(default_factory=Deletions.none)
    analyzer: TermTable | None = None
    deletes_file: str = ""

    @property
    def live_documents(self) -> int:
        """Documents not deleted."""
        return self.segment.document_count - int(self.deleted.shape[0])

    @property
    def live_rows(self) -> int:
        """Rows not deleted."""
        return self.segment.size - self.bm25.count


class _Layout:
    """Where each segment's live documents and rows fall in the global numbering."""

    def __init__(self, states: Sequence[SegmentState]) -> None:
        self.doc_base = np.zeros(len(states) + 1, dtype=np.int64)
        self.row_base = np.zeros(len(states) + 1, dtype=np.int64)
        self.live_docs: list[npt.NDArray[np.int64] | None] = []
        self.live_rows: list[npt.NDArray[np.int64] | None] = []
        for i, st in enumerate(states):
            self.doc_base[i + 1] = self.doc_base[i] + st.live_documents
            self.row_base[i + 1] = self.row_base[i] + st.live_rows
            if st.deleted.size:
                keep = np.ones(st.segment.document_count, dtype=np.bool_)
                keep[st.deleted] = False
                self.live_docs.append(np.flatnonzero(keep))
                alive = np.ones(st.segment.size, dtype=np.bool_)
                alive[st.bm25.rows] = False
                self.live_rows.append(np.flatnonzero(alive))
            else:
                self.live_docs.append(None)
                self.live_rows.append(None)

    def locate_doc(self, position: int) -> tuple[int, int]:
        i = int(np.searchsorted(self.doc_base, position, side="right")) - 1
        local = position - int(self.doc_base[i])
        live = self.live_docs[i]
        return i, int(live[local]) if live is not None else local

    def locate_row(self, row: int) -> tuple[int, int]:
        i = int(np.searchsorted(self.row_base, row, side="right")) - 1
        local = row - int(self.row_base[i])
        live = self.live_rows[i]
        return i, int(live[local]) if live is not None else local

    def global_doc(self, i: int, local: int) -> int:
        live = self.live_docs[i]
        rank = local if live is None else int(np.searchsorted(live, local))
        return int(self.doc_base[i]) + rank

    def global_rows(self, i: int, local: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        live = self.live_rows[i]
        rank = local if live is None else np.searchsorted(live, local)
        return rank + self.row_base[i]

    def local_mask(self, i: int, mask: npt.NDArray[np.bool_], size: int) -> npt.NDArray[np.bool_]:
        part = mask[self.row_base[i] : self.row_base[i + 1]]
        live = self.live_rows[i]
        if live is None:
            return part
        out = np.zeros(size, dtype=np.bool_)
        out[live] = part
        return out


class SegmentedDense:
    """Dense search over the live rows of every segment (one index per segment)."""

    def __init__(self, snapshot: IndexSnapshot) -> None:
        self._snapshot = snapshot
        self._dimension = int(snapshot.settings.dimension)

    @property
    def dimension(self) -> int:
        """Vector dimension."""
        return self._dimension

    @property
    def size(self) -> int:
        """Number of (live) rows."""
        return self._snapshot.size

    @property
    def kinds(self) -> tuple[str, ...]:
        """Each segment's index kind (``flat``, ``hnsw``, ``ivfpq``)."""
        return tuple(
            st.segment.dense.kind for st in self._snapshot.states if st.segment.dense is not None
        )

    def search(
        self, query_vector: npt.ArrayLike, k: int, mask: npt.NDArray[np.bool_] | None = None
    ) -> Hits:
        """The ``k`` live rows with the largest inner product (see
        :meth:`embeddings.dense.DenseIndex.search`)."""
        if k <= 0:
            raise ValueError("k must be greater than 0")
        snap = self._snapshot
        if mask is not None:
            mask = np.asarray(mask)
            if mask.dtype != np.bool_ or mask.shape != (snap.size,):
                raise ValueError(
                    f"mask must be a boolean array of shape ({snap.size},), got "
                    f"{mask.dtype} {mask.shape}"
                )
        layout = snap.layout
        rows: list[npt.NDArray[np.int64]] = []
        scores: list[npt.NDArray[np.float32]] = []
        for i, st in enumerate(snap.states):
            dense = st.segment.dense
            if dense is None or st.live_rows == 0:
                continue
            local: npt.NDArray[np.bool_] | None = None
            if mask is not None:
                local = layout.local_mask(i, mask, st.segment.size)
            elif layout.live_rows[i] is not None:
                local = np.zeros(st.segment.size, dtype=np.bool_)
                local[layout.live_rows[i]] = True
            if local is not None and not local.any():
                continue
            hits = dense.search(query_vector, k, local)
            rows.append(layout.global_rows(i, hits.indices))
            scores.append(hits.scores)
        if not rows:
            return Hits.empty()
        all_rows, all_scores = np.concatenate(rows), np.concatenate(scores)
        order = np.lexsort((all_rows, -all_scores))[:k]
        return Hits(all_rows[order].astype(np.int64), all_scores[order].astype(np.float32))


class _LiveDocuments(Sequence[Document]):
    def __init__(self, snapshot: IndexSnapshot) -> None:
        self._snap = snapshot

    def __len__(self) -> int:
        return self._snap.document_count

    @overload
    def __getitem__(self, index: int) -> Document: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Document, ...]: ...

    def __getitem__(self, index: int | slice) -> Document | tuple[Document, ...]:
        if isinstance(index, slice):
            return tuple(self._snap.document_at(i) for i in range(*index.indices(len(self))))
        n = len(self)
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError("document position out of range")
        return self._snap.document_at(index)

    def __iter__(self) -> Iterator[Document]:
        for st in self._snap.states:
            deleted = set(st.deleted.tolist())
            for pos, doc in enumerate(st.segment.documents.iter_documents()):
                if pos not in deleted:
                    yield doc

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return len(self) == len(other) and all(
                a == b for a, b in zip(self, other, strict=False)
            )
        return NotImplemented

    def __hash__(self) -> int:  # pragma: no cover - sequences of a snapshot are not keys
        return id(self)


class _LiveChunks(Sequence[Chunk]):
    def __init__(self, snapshot: IndexSnapshot) -> None:
        self._snap = snapshot

    def __len__(self) -> int:
        return self._snap.size

    @overload
    def __getitem__(self, index: int) -> Chunk: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Chunk, ...]: ...

    def __getitem__(self, index: int | slice) -> Chunk | tuple[Chunk, ...]:
        if isinstance(index, slice):
            return tuple(self._snap.chunk(i) for i in range(*index.indices(len(self))))
        n = len(self)
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError("row out of range")
        return self._snap.chunk(index)

    def __iter__(self) -> Iterator[Chunk]:
        for i, st in enumerate(self._snap.states):
            seg = st.segment
            live = self._snap.layout.live_docs[i]
            positions = range(seg.document_count) if live is None else live.tolist()
            for pos in positions:
                doc = seg.documents.get(int(pos))
                for row in range(int(seg.doc_rows[pos]), int(seg.doc_rows[pos + 1])):
                    yield seg.chunk(row, doc)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return len(self) == len(other) and all(
                a == b for a, b in zip(self, other, strict=False)
            )
        return NotImplemented

    def __hash__(self) -> int:  # pragma: no cover
        return id(self)


class _ById(Mapping[str, Document]):
    def __init__(self, snapshot: IndexSnapshot) -> None:
        self._snap = snapshot

    def __getitem__(self, doc_id: str) -> Document:
        found = self._snap.find(doc_id)
        if found is None:
            raise KeyError(doc_id)
        i, pos = found
        return self._snap.states[i].segment.documents.get(pos)

    def __contains__(self, doc_id: object) -> bool:
        return isinstance(doc_id, str) and self._snap.find(doc_id) is not None

    def __len__(self) -> int:
        return self._snap.document_count

    def __iter__(self) -> Iterator[str]:
        return (d.id for d in self._snap.documents)


class IndexSnapshot:
    """An immutable view of the index: its settings and its segments' live content.

    Row ``i`` of :attr:`bm25`, :attr:`dense` and :attr:`vectors` is ``chunks[i]``.

    Args:
        settings: what the index was built with (dimension filled in).
        states: the segments, with their deletions, in order.
        created_at: when the index was first built (ISO 8601, UTC).
        generation: the manifest generation it was read from or written as (0 in
            memory).
        directory: the index directory it belongs to, or None (in memory).
        tokenizer: the BM25 tokenizer object to share (jieba loads its dictionary once).
        bm25_params: ``k1``, ``b`` and ``method``.
        max_segment_rows: the most rows a merge may write into one segment, recorded in
            the index so that every writer's merges keep to it (set by ``qa index
            optimize --max-segment-rows``; None: no limit).

    Raises:
        ValueError: when the parts disagree (vectors without a model, a segment of
            another dimension, different analyses).
    """

    def __init__(
        self,
        settings: IndexSettings,
        states: Sequence[SegmentState],
        *,
        created_at: str = "",
        generation: int = 0,
        directory: Path | None = None,
        tokenizer: Tokenizer | None = None,
        bm25_params: Mapping[str, Any] | None = None,
        max_segment_rows: int | None = None,
    ) -> None:
        self.settings = settings
        self.states = tuple(states)
        self.created_at = created_at
        self.generation = generation
        self.directory = directory
        for st in self.states:
            seg = st.segment
            if settings.lexical_only and seg.dense is not None:
                raise ValueError("a lexical-only index (settings.model empty) has no vectors")
            if not settings.lexical_only:
                if seg.dense is None:
                    raise ValueError(f"an index with model {settings.model!r} needs vectors")
                if seg.dense.dimension != settings.dimension:
                    raise ValueError("a segment's dense index disagrees with the settings")
        tok = tokenizer if tokenizer is not None and tokenizer.name == settings.tokenizer else None
        self._tokenizer = tok or get_tokenizer(settings.tokenizer)
        self.bm25_params = dict(bm25_params or {"k1": 1.2, "b": 0.75, "method": "lucene"})
        if max_segment_rows is not None and max_segment_rows <= 0:
            raise ValueError("max_segment_rows must be greater than 0")
        self.max_segment_rows = max_segment_rows
        self.layout = _Layout(self.states)
        self.bm25 = BM25Index(
            [BM25Part(st.segment.postings, st.bm25) for st in self.states],
            self._tokenizer,
            k1=float(self.bm25_params["k1"]),
            b=float(self.bm25_params["b"]),
            method=str(self.bm25_params["method"]),
        )
        self.dense: SegmentedDense | None = None if settings.lexical_only else SegmentedDense(self)
        self._chunk_documents: npt.NDArray[np.int64] | None = None

    # -- sizes -------------------------------------------------------------------------------

    @property
    def size(self) -> int:
        """Number of (live) chunks, the rows of every index."""
        return int(self.layout.row_base[-1])

    @property
    def document_count(self) -> int:
        """Number of (live) documents."""
        return int(self.layout.doc_base[-1])

    @property
    def lexical_only(self) -> bool:
        """Whether the index has no dense vectors."""
        return self.dense is None

    @property
    def segments(self) -> tuple[Segment, ...]:
        """The segments, in order."""
        return tuple(st.segment for st in self.states)

    @property
    def deleted_documents(self) -> int:
        """Documents deleted but still held by their segments (until a merge)."""
        return sum(int(st.deleted.shape[0]) for st in self.states)

    # -- documents and chunks ----------------------------------------------------------------

    @property
    def documents(self) -> Sequence[Document]:
        """The live documents, in order (read from the segments on demand)."""
        return _LiveDocuments(self)

    @property
    def chunks(self) -> Sequence[Chunk]:
        """The live chunks, in row order (made from their documents on demand)."""
        return _LiveChunks(self)

    @property
    def doc_by_id(self) -> Mapping[str, Document]:
        """Live documents by id (read-only, looked up on demand)."""
        return _ById(self)

    def document_at(self, position: int) -> Document:
        """The live document at ``position``."""
        i, local = self.layout.locate_doc(position)
        return self.states[i].segment.documents.get(local)

    def chunk(self, row: int) -> Chunk:
        """The chunk at ``row``."""
        i, local = self.layout.locate_row(row)
        return self.states[i].segment.chunk(local)

    def chunk_with_document(self, row: int) -> tuple[Chunk, Document]:
        """The chunk at ``row`` and its document (one look-up for both)."""
        i, local = self.layout.locate_row(row)
        segment = self.states[i].segment
        document = segment.document_of(local)
        return segment.chunk(local, document), document

    def find(self, doc_id: str) -> tuple[int, int] | None:
        """``(segment index, local position)`` of the live document with this id."""
        for i in range(len(self.states) - 1, -1, -1):
            st = self.states[i]
            for pos in st.segment.positions(doc_id):
                if not _contains(st.deleted, pos):
                    return i, pos
        return None

    def document(self, doc_id: str) -> Document:
        """The document with this id.

        Raises:
            KeyError: when there is none.
        """
        return self.doc_by_id[doc_id]

    def document_position(self, doc_id: str) -> int | None:
        """The position of the document with this id in :attr:`documents`, or None."""
        found = self.find(doc_id)
        return None if found is None else self.layout.global_doc(*found)

    def document_of(self, row: int) -> Document:
        """The document that chunk row ``row`` belongs to."""
        i, local = self.layout.locate_row(row)
        return self.states[i].segment.document_of(local)

    def row_of(self, chunk_id: str) -> int:
        """The row of the chunk with this id.

        Raises:
            KeyError: when there is none.
        """
        doc_id, _, index = chunk_id.rpartition("-")
        found = self.find(doc_id) if index.isdigit() else None
        if found is None:
            raise KeyError(chunk_id)
        i, pos = found
        seg = self.states[i].segment
        row = int(seg.doc_rows[pos]) + int(index)
        if row >= int(seg.doc_rows[pos + 1]):
            raise KeyError(chunk_id)
        return int(self.layout.global_rows(i, np.array([row]))[0])

    @property
    def chunk_documents(self) -> npt.NDArray[np.int64]:
        """For each row, the position of its document in :attr:`documents` (read-only;
        built on first use)."""
        if self._chunk_documents is None:
            parts = []
            for i, st in enumerate(self.states):
                seg = st.segment
                doc_of_row = np.asarray(seg.chunks[:, 0], dtype=np.int64)
                live_rows = self.layout.live_rows[i]
                live_docs = self.layout.live_docs[i]
                if live_rows is not None and live_docs is not None:
                    doc_of_row = np.searchsorted(live_docs, doc_of_row[live_rows])
                parts.append(doc_of_row + self.layout.doc_base[i])
            out = np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
            out.flags.writeable = False
            self._chunk_documents = out
        return self._chunk_documents

    def document_mask(self, doc_ids: Iterable[str]) -> npt.NDArray[np.bool_]:
        """A row mask selecting the chunks of the given documents (unknown ids ignored)."""
        return self.rows_mask(self._positions_by_id(doc_ids))

    # -- vectors ------------------------------------------------------------------------------

    @property
    def vectors(self) -> npt.NDArray[np.float32] | None:
        """The live chunks' vectors in row order (a copy, read-only), or None for a
        lexical-only index."""
        if self.lexical_only:
            return None
        parts = []
        for i, st in enumerate(self.states):
            vectors = st.segment.vectors
            assert vectors is not None
            live = self.layout.live_rows[i]
            parts.append(np.asarray(vectors if live is None else vectors[live]))
        dim = self.settings.dimension
        out = np.concatenate(parts) if parts else np.empty((0, dim), dtype=np.float32)
        out.flags.writeable = False
        return out

    # -- filters ------------------------------------------------------------------------------

    def _positions_by_id(self, doc_ids: Iterable[str]) -> list[npt.NDArray[np.int64]]:
        found: list[list[int]] = [[] for _ in self.states]
        for doc_id in set(doc_ids):
            hit = self.find(doc_id)
            if hit is not None:
                found[hit[0]].append(hit[1])
        return [np.array(sorted(f), dtype=np.int64) for f in found]

    def rows_mask(self, positions: Sequence[npt.NDArray[np.int64]]) -> npt.NDArray[np.bool_]:
        """A row mask of the chunks of documents given by per-segment local positions
        (deleted ones ignored)."""
        mask = np.zeros(self.size, dtype=np.bool_)
        for i, (st, pos) in enumerate(zip(self.states, positions, strict=True)):
            if pos.size == 0:
                continue
            if st.deleted.size:
                pos = pos[~np.isin(pos, st.deleted)]
            rows = st.segment.rows_of(pos)
            mask[self.layout.global_rows(i, rows)] = True
        return mask

    def filter_mask(
        self,
        *,
        doc_ids: Sequence[str] = (),
        outlets: Sequence[str] = (),
        published_from: str = "",
        published_to: str = "",
    ) -> npt.NDArray[np.bool_] | None:
        """A row mask for metadata filters (None when nothing is filtered).

        Each filter is a precomputed set of document positions per segment (ids through
        the document stores, outlets and dates through :class:`~embeddings.store.facets.
        Facets`), so the cost grows with the documents that match, not the corpus.

        Args:
            doc_ids: only these documents.
            outlets: only documents of these outlets (any script or width).
            published_from: only documents published at or after this ISO 8601 time.
            published_to: only documents published at or before it (on its length).
        """
        if not (doc_ids or outlets or published_from or published_to):
            return None
        by_id = self._positions_by_id(doc_ids) if doc_ids else None
        folded = [normalize_for_matching(o) for o in outlets]
        selected: list[npt.NDArray[np.int64]] = []
        for i, st in enumerate(self.states):
            facets = st.segment.facets
            sets: list[npt.NDArray[np.int64]] = []
            if by_id is not None:
                sets.append(by_id[i])
            if outlets:
                sets.append(facets.outlet_positions(folded))
            if published_from or published_to:
                sets.append(facets.date_positions(published_from, published_to))
            chosen = sets[0]
            for other in sets[1:]:
                chosen = np.intersect1d(chosen, other, assume_unique=True)
            selected.append(chosen)
        return self.rows_mask(selected)

    # -- term statistics ----------------------------------------------------------------------

    def analyzer_idf(self, tokens: Sequence[str]) -> npt.NDArray[np.float32]:
        """BM25 IDF of ``char12`` tokens over the live chunks, whatever the BM25
        tokenizer: ``ln(1 + (N - df + 0.5) / (df + 0.5))``.

        For a ``char12`` index these are the BM25 statistics themselves; otherwise each
        segment's char12 document frequencies (minus those of deleted rows) are summed.
        """
        if self.settings.tokenizer == ANALYZER:
            return self.bm25.idf(tokens)
        keys = term_keys(tokens) if tokens else np.empty(0, dtype=np.uint64)
        df = np.zeros(keys.shape, dtype=np.float64)
        for st in self.states:
            table = st.segment.analyzer
            if table is None:
                raise ValueError(f"segment {st.segment.name} has no char12 statistics")
            df += table.lookup(keys)
            if st.analyzer is not None:
                df -= st.analyzer.lookup(keys)
        n = float(self.size)
        return np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)

    # -- near-duplicates ----------------------------------------------------------------------

    def duplicate_candidates(self, bands: npt.NDArray[np.uint64]) -> list[Document]:
        """Live documents sharing an LSH band key with ``bands`` (see
        :mod:`corpus.dedupe`)."""
        return self.duplicate_candidates_many(bands.reshape(1, -1))[0]

    def duplicate_candidates_many(self, bands: npt.NDArray[np.uint64]) -> list[list[Document]]:
        """:meth:`duplicate_candidates` of several texts (texts x BANDS) at once: one
        search per segment for all of them."""
        found: list[list[Document]] = [[] for _ in range(bands.shape[0])]
        for st in self.states:
            texts, positions = st.segment.band_candidates_many(bands)
            if st.deleted.size:
                live = ~np.isin(positions, st.deleted)
                texts, positions = texts[live], positions[live]
            for text, pos in zip(texts.tolist(), positions.tolist(), strict=True):
                found[text].append(st.segment.documents.get(pos))
        return found

    def alternate_owner(self, alt_id: str) -> Document | None:
        """The live document that records ``alt_id`` as an alternate, or None."""
        for i in range(len(self.states) - 1, -1, -1):
            st = self.states[i]
            for pos in st.segment.alternate_owners(alt_id):
                if not _contains(st.deleted, pos):
                    return st.segment.documents.get(pos)
        return None

    # -- writes (new snapshots) ---------------------------------------------------------------

    def _derive(self, states: Sequence[SegmentState]) -> IndexSnapshot:
        return IndexSnapshot(
            self.settings,
            states,
            created_at=self.created_at,
            generation=self.generation,
            directory=self.directory,
            tokenizer=self._tokenizer,
            bm25_params=self.bm25_params,
            max_segment_rows=self.max_segment_rows,
        )

    def with_max_segment_rows(self, rows: int | None) -> IndexSnapshot:
        """This index recording another maximum segment size for merges (None: none)."""
        derived = self._derive(self.states)
        if rows is not None and rows <= 0:
            raise ValueError("max_segment_rows must be greater than 0")
        derived.max_segment_rows = rows
        return derived

    def with_segment(self, segment: Segment) -> IndexSnapshot:
        """This index with one more segment (appended)."""
        return self._derive((*self.states, SegmentState(segment)))

    def with_states(self, states: Sequence[SegmentState]) -> IndexSnapshot:
        """This index with other segments (after a merge)."""
        return self._derive(states)

    def without(self, doc_ids: Iterable[str]) -> IndexSnapshot:
        """This index with the given documents deleted (unknown ids ignored).

        Costs the deleted documents only: their chunks are tokenized again to take
        their terms out of the collection statistics.
        """
        return self.without_positions(self._positions_by_id(doc_ids))

    def without_positions(self, positions: Sequence[npt.NDArray[np.int64]]) -> IndexSnapshot:
        """This index with documents deleted by their local positions, one array per
        segment (positions already deleted are ignored): what :meth:`without` does once
        it has found the ids, for a writer that knows where each document is (a
        segment may hold an older version of an id that a later one replaced).

        Raises:
            ValueError: when there is not one array per segment, or a position is out of
                its segment's range.
        """
        if len(positions) != len(self.states):
            raise ValueError(f"{len(positions)} position arrays for {len(self.states)} segments")
        fresh: list[npt.NDArray[np.int64]] = []
        for st, given in zip(self.states, positions, strict=True):
            pos = np.unique(np.asarray(given, dtype=np.int64))
            if pos.size and (pos[0] < 0 or pos[-1] >= st.segment.document_count):
                raise ValueError(f"a position out of the range of segment {st.segment.name}")
            fresh.append(np.setdiff1d(pos, st.deleted, assume_unique=True))
        positions = fresh
        if not any(p.size for p in positions):
            return self
        states = list(self.states)
        for i, pos in enumerate(positions):
            if pos.size == 0:
                continue
            st = states[i]
            seg = st.segment
            rows = seg.rows_of(pos)
            keys: list[npt.NDArray[np.uint64]] = []
            analyzer_rows: list[npt.NDArray[np.uint64]] = []
            for row in rows.tolist():
                folded = normalize_for_matching(seg.chunk(int(row)).text)
                keys.append(count_terms(analyze(self._tokenizer, folded)).keys)
                if seg.analyzer is not None:
                    analyzer_rows.append(np.unique(char12_keys(folded)))
            bm25 = st.bm25.plus(seg.postings, rows, keys)
            analyzer = st.analyzer
            if seg.analyzer is not None:
                table = TermTable.count(analyzer_rows)
                analyzer = table if analyzer is None else _add_tables(analyzer, table)
            states[i] = SegmentState(
                seg, np.union1d(st.deleted, pos).astype(np.int64), bm25, analyzer, ""
            )
        return self._derive(states)

    def close(self) -> None:
        """Release the segments' open files."""
        for st in self.states:
            st.segment.close()


def _contains(sorted_array: npt.NDArray[np.int64], value: int) -> bool:
    if sorted_array.size == 0:
        return False
    at = int(np.searchsorted(sorted_array, value))
    return at < sorted_array.shape[0] and int(sorted_array[at]) == value


def _add_tables(a: TermTable, b: TermTable) -> TermTable:
    keys = np.concatenate((np.asarray(a.keys), np.asarray(b.keys)))
    df = np.concatenate((np.asarray(a.df), np.asarray(b.df)))
    unique, inverse = np.unique(keys, return_inverse=True)
    return TermTable(unique, np.bincount(inverse, weights=df).astype(np.int64))
