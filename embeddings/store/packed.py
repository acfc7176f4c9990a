"""Prepared documents as a few flat arrays: what an ingest's workers hand to the main
process, and what a segment is built from.

A worker of ``qa ingest`` prepares a few hundred documents at a time
(:func:`~embeddings.store.analysis.prepare_document`). Handed over one object per
document, chunk and term table, pickling and unpickling them cost as much as a quarter
of the main process's time, and the millions of small objects made the garbage
collector walk them again and again. :class:`PackedDocuments` holds the same content as
a few arrays (the chunks' spans, every chunk's term keys one after the other with their
counts and offsets, the fingerprints' band keys, sizes and signatures) and the
documents, pickled as columns of strings: a part travels as a handful of buffers, and
the main process plans and builds a segment from the arrays as they are
(:meth:`take` gathers the documents a segment keeps; :func:`~embeddings.store.segment.
build_segment` reads the arrays without a per-chunk object).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from corpus.dedupe import NUM_PERM, Fingerprint
from corpus.types import Alternate, CleaningReport, Document, Removal
from embeddings.store.analysis import PreparedDocument, chunk_of
from embeddings.terms import TermCounts

__all__ = ["PackedDocuments", "PackedPrints", "spans_of"]


def spans_of(counts: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Offsets of consecutive runs of ``counts`` items: ``counts.size + 1`` values from 0
    (run ``i`` is ``offsets[i]:offsets[i + 1]``)."""
    out = np.zeros(counts.shape[0] + 1, dtype=np.int64)
    np.cumsum(counts, out=out[1:])
    return out


def _gather(offsets: npt.NDArray[np.int64], picked: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The item indices of runs ``picked`` (in that order), runs given by ``offsets``."""
    starts = offsets[picked]
    counts = offsets[picked + 1] - starts
    total = int(counts.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64)
    shift = np.repeat(starts - spans_of(counts)[:-1], counts)
    return shift + np.arange(total, dtype=np.int64)


@dataclass(frozen=True, slots=True, eq=False)
class PackedPrints:
    """The light fingerprints (:meth:`corpus.dedupe.Fingerprint.light`) of packed
    documents, as arrays.

    Attributes:
        sizes: int64 (documents,): each text's number of distinct 5-grams.
        signatures: uint32 (documents, NUM_PERM): the MinHash signatures.
        numbers: each text's numbers, with repeats, joined by spaces (a number holds
            none).
    """

    sizes: npt.NDArray[np.int64]
    signatures: npt.NDArray[np.uint32]
    numbers: tuple[str, ...]

    @classmethod
    def of(cls, prints: Sequence[Fingerprint]) -> PackedPrints:
        """The packed form of fingerprints."""
        return cls(
            sizes=np.fromiter((f.size for f in prints), dtype=np.int64, count=len(prints)),
            signatures=(
                np.stack([f.signature for f in prints]).astype(np.uint32, copy=False)
                if prints
                else np.empty((0, NUM_PERM), dtype=np.uint32)
            ),
            numbers=tuple(" ".join(f.numbers.elements()) for f in prints),
        )

    def take(self, picked: npt.NDArray[np.int64]) -> PackedPrints:
        """Those of the documents at ``picked``, in that order."""
        return PackedPrints(
            self.sizes[picked], self.signatures[picked], tuple(self.numbers[i] for i in picked)
        )

    @classmethod
    def concat(cls, parts: Sequence[PackedPrints]) -> PackedPrints:
        """Those of several packs, one after the other."""
        return cls(
            np.concatenate([p.sizes for p in parts]),
            np.concatenate([p.signatures for p in parts]),
            tuple(n for p in parts for n in p.numbers),
        )


@dataclass(frozen=True, slots=True, eq=False)
class PackedDocuments:
    """Prepared documents (in order) as a few flat arrays: pickling tens of thousands
    of small per-chunk arrays costs as much as building the segment; a few large ones
    cost a copy.

    Attributes:
        documents: the documents, in order (pickled as columns of their fields).
        chunks: int64 (documents,): each document's number of chunks.
        starts: int32 (rows,): each chunk's start offset.
        ends: int32 (rows,): each chunk's end offset.
        lengths: int64 (rows,): each chunk's BM25 token count.
        term_counts: int64 (rows,): each chunk's number of distinct terms.
        keys: uint64: every chunk's term keys (ascending within a chunk), one chunk
            after the other.
        tf: uint32: their counts.
        analyzer_counts: int64 (rows,): each chunk's number of char12 keys, or None.
        analyzer_keys: uint64: every chunk's char12 keys, or None.
        bands: uint64 (documents, BANDS): their LSH band keys, or None (a document
            without a fingerprint: the segment has no band table, as
            :func:`~embeddings.store.segment.prepared_bands` says).
        vectors: float32 (rows, dimension), or None (lexical only).
        prints: the rest of the documents' light fingerprints (with :attr:`bands`), or
            None where they have none.
    """

    documents: tuple[Document, ...]
    chunks: npt.NDArray[np.int64]
    starts: npt.NDArray[np.int32]
    ends: npt.NDArray[np.int32]
    lengths: npt.NDArray[np.int64]
    term_counts: npt.NDArray[np.int64]
    keys: npt.NDArray[np.uint64]
    tf: npt.NDArray[np.uint32]
    analyzer_counts: npt.NDArray[np.int64] | None
    analyzer_keys: npt.NDArray[np.uint64] | None
    bands: npt.NDArray[np.uint64] | None
    vectors: npt.NDArray[np.float32] | None
    prints: PackedPrints | None = None

    @classmethod
    def pack(
        cls,
        prepared: Sequence[PreparedDocument],
        vectors: npt.NDArray[np.float32] | None = None,
    ) -> PackedDocuments:
        """Pack ``prepared`` (in order) with their chunks' vectors (row order; default:
        those the documents carry, where every one does)."""
        terms = [t for p in prepared for t in p.terms]
        with_analyzer = bool(prepared) and prepared[0].analyzer is not None
        analyzer = [a for p in prepared for a in (p.analyzer or ())] if with_analyzer else []
        if with_analyzer and any(p.analyzer is None for p in prepared):
            raise ValueError("all prepared documents of a segment need the same analysis")
        prints = [p.fingerprint for p in prepared]
        complete = bool(prepared) and all(f is not None for f in prints)
        fingerprints = [f for f in prints if f is not None] if complete else []
        if vectors is None and prepared and all(p.vectors is not None for p in prepared):
            vectors = np.concatenate([p.vectors for p in prepared if p.vectors is not None])
        return cls(
            documents=tuple(p.document for p in prepared),
            chunks=np.fromiter((p.size for p in prepared), dtype=np.int64, count=len(prepared)),
            starts=_concat([p.starts for p in prepared], np.int32),
            ends=_concat([p.ends for p in prepared], np.int32),
            lengths=np.fromiter((t.length for t in terms), dtype=np.int64, count=len(terms)),
            term_counts=np.fromiter(
                (t.keys.shape[0] for t in terms), dtype=np.int64, count=len(terms)
            ),
            keys=_concat([t.keys for t in terms], np.uint64),
            tf=_concat([t.tf for t in terms], np.uint32),
            analyzer_counts=(
                np.fromiter((a.shape[0] for a in analyzer), dtype=np.int64, count=len(analyzer))
                if with_analyzer
                else None
            ),
            analyzer_keys=_concat(analyzer, np.uint64) if with_analyzer else None,
            bands=np.stack([f.bands for f in fingerprints]) if complete else None,
            vectors=vectors,
            prints=PackedPrints.of(fingerprints) if complete else None,
        )

    @classmethod
    def concat(cls, parts: Sequence[PackedDocuments]) -> PackedDocuments:
        """Several packs as one, one after the other (they must agree in what they hold:
        analysis, fingerprints, vectors; a pack without documents agrees with any).

        Raises:
            ValueError: when they do not agree.
        """
        parts = [p for p in parts if p.documents] or list(parts[:1])
        if not parts:
            return cls.pack([])
        if len(parts) == 1:
            return parts[0]
        first = parts[0]
        for p in parts[1:]:
            if (
                (p.analyzer_keys is None) != (first.analyzer_keys is None)
                or (p.prints is None) != (first.prints is None)
                or (p.vectors is None) != (first.vectors is None)
            ):
                raise ValueError("packs of one segment must hold the same kinds of data")
        with_analyzer = first.analyzer_keys is not None
        with_prints = first.prints is not None
        return cls(
            documents=tuple(d for p in parts for d in p.documents),
            chunks=np.concatenate([p.chunks for p in parts]),
            starts=np.concatenate([p.starts for p in parts]),
            ends=np.concatenate([p.ends for p in parts]),
            lengths=np.concatenate([p.lengths for p in parts]),
            term_counts=np.concatenate([p.term_counts for p in parts]),
            keys=np.concatenate([p.keys for p in parts]),
            tf=np.concatenate([p.tf for p in parts]),
            analyzer_counts=(
                np.concatenate([_must(p.analyzer_counts) for p in parts]) if with_analyzer else None
            ),
            analyzer_keys=(
                np.concatenate([_must(p.analyzer_keys) for p in parts]) if with_analyzer else None
            ),
            bands=np.concatenate([_must(p.bands) for p in parts]) if with_prints else None,
            vectors=(
                np.concatenate([_must(p.vectors) for p in parts])
                if first.vectors is not None
                else None
            ),
            prints=PackedPrints.concat([_must(p.prints) for p in parts]) if with_prints else None,
        )

    def __len__(self) -> int:
        return len(self.documents)

    @property
    def rows(self) -> int:
        """Number of chunks."""
        return int(self.starts.shape[0])

    @property
    def doc_rows(self) -> npt.NDArray[np.int64]:
        """int64 (documents + 1): each document's first row (and the end)."""
        return spans_of(self.chunks)

    def fingerprint(self, position: int) -> Fingerprint | None:
        """The light fingerprint of the document at ``position`` (None: not
        fingerprinted)."""
        prints = self.prints
        if prints is None or self.bands is None:
            return None
        return Fingerprint(
            None,
            Counter(prints.numbers[position].split()),
            prints.signatures[position],
            self.bands[position],
            int(prints.sizes[position]),
        )

    def take(self, positions: Sequence[int] | npt.NDArray[np.int64]) -> PackedDocuments:
        """The documents at ``positions`` (in that order), with their chunks, terms,
        fingerprints and vectors."""
        picked = np.asarray(positions, dtype=np.int64).reshape(-1)
        doc_rows = self.doc_rows
        rows = _gather(doc_rows, picked)
        terms = _gather(spans_of(self.term_counts), rows)
        analyzer_counts = analyzer_keys = None
        if self.analyzer_counts is not None and self.analyzer_keys is not None:
            analyzer_counts = self.analyzer_counts[rows]
            analyzer_keys = self.analyzer_keys[_gather(spans_of(self.analyzer_counts), rows)]
        return PackedDocuments(
            documents=tuple(self.documents[i] for i in picked.tolist()),
            chunks=self.chunks[picked],
            starts=self.starts[rows],
            ends=self.ends[rows],
            lengths=self.lengths[rows],
            term_counts=self.term_counts[rows],
            keys=self.keys[terms],
            tf=self.tf[terms],
            analyzer_counts=analyzer_counts,
            analyzer_keys=analyzer_keys,
            bands=None if self.bands is None else self.bands[picked],
            vectors=None if self.vectors is None else self.vectors[rows],
            prints=None if self.prints is None else self.prints.take(picked),
        )

    def with_documents(self, documents: Sequence[Document]) -> PackedDocuments:
        """The same chunks and terms for other records of the same texts (one per
        document, in order: new alternates).

        Raises:
            ValueError: when the number of documents or a text differs.
        """
        docs = tuple(documents)
        if len(docs) != len(self.documents):
            raise ValueError(f"{len(docs)} documents for a pack of {len(self.documents)}")
        for old, new in zip(self.documents, docs, strict=True):
            if old is not new and old.text != new.text:
                raise ValueError(f"the text of {new.id!r} differs from the prepared one")
        return replace(self, documents=docs)

    def with_vectors(self, vectors: npt.NDArray[np.float32] | None) -> PackedDocuments:
        """The same with the chunks' vectors (one row per chunk; None: none).

        Raises:
            ValueError: when ``vectors`` does not have one row per chunk.
        """
        if vectors is not None and (vectors.ndim != 2 or vectors.shape[0] != self.rows):
            raise ValueError(f"vectors of shape {vectors.shape} for {self.rows} chunks")
        return replace(self, vectors=vectors)

    def chunk_texts(self) -> list[str]:
        """Every chunk's text, in row order."""
        out: list[str] = []
        starts, ends = self.starts.tolist(), self.ends.tolist()
        row = 0
        for doc, n in zip(self.documents, self.chunks.tolist(), strict=True):
            text = doc.text
            pairs = zip(starts[row : row + n], ends[row : row + n], strict=True)
            out.extend(text[s:e] for s, e in pairs)
            row += n
        return out

    def unpack(self) -> list[PreparedDocument]:
        """The prepared documents again (views of the arrays; light fingerprints)."""
        rows = self.doc_rows
        terms_at = spans_of(self.term_counts)
        analyzer_at = spans_of(self.analyzer_counts) if self.analyzer_counts is not None else None
        lengths = self.lengths.tolist()
        out: list[PreparedDocument] = []
        for i, doc in enumerate(self.documents):
            first, last = int(rows[i]), int(rows[i + 1])
            terms = tuple(
                TermCounts(
                    self.keys[terms_at[r] : terms_at[r + 1]],
                    self.tf[terms_at[r] : terms_at[r + 1]],
                    int(lengths[r]),
                )
                for r in range(first, last)
            )
            analyzer = None
            if analyzer_at is not None and self.analyzer_keys is not None:
                keys = self.analyzer_keys
                analyzer = tuple(
                    keys[analyzer_at[r] : analyzer_at[r + 1]] for r in range(first, last)
                )
            out.append(
                PreparedDocument(
                    document=doc,
                    starts=self.starts[first:last],
                    ends=self.ends[first:last],
                    terms=terms,
                    analyzer=analyzer,
                    fingerprint=self.fingerprint(i),
                    vectors=None if self.vectors is None else self.vectors[first:last],
                )
            )
        return out

    def prepared(self, position: int) -> PreparedDocument:
        """The prepared document at ``position``."""
        return self.take([position]).unpack()[0]

    def chunk_text(self, row: int) -> str:
        """The text of the chunk at ``row``."""
        doc = int(np.searchsorted(self.doc_rows, row, side="right")) - 1
        document = self.documents[doc]
        first = int(self.doc_rows[doc])
        return chunk_of(document, row - first, int(self.starts[row]), int(self.ends[row])).text

    # -- pickling: the documents as columns ------------------------------------------------

    def __reduce__(self) -> tuple[Any, ...]:
        arrays = {
            name: getattr(self, name)
            for name in (
                "chunks",
                "starts",
                "ends",
                "lengths",
                "term_counts",
                "keys",
                "tf",
                "analyzer_counts",
                "analyzer_keys",
                "bands",
                "vectors",
            )
        }
        return (_unpickle, (_columns(self.documents), arrays, self.prints))


def _unpickle(
    columns: tuple[Any, ...], arrays: dict[str, Any], prints: PackedPrints | None
) -> PackedDocuments:
    return PackedDocuments(documents=_from_columns(columns), prints=prints, **arrays)


_FIELDS = (
    "id",
    "title",
    "text",
    "source",
    "url",
    "published",
    "outlet",
    "reporter",
    "place",
    "content_hash",
)


def _columns(documents: Sequence[Document]) -> tuple[Any, ...]:
    """The documents as columns: one list of strings per plain field, and the rare
    nested fields (metadata, cleaning report, alternates) as tuples, by position."""
    plain = [[getattr(d, name) for d in documents] for name in _FIELDS]
    meta = {i: d.meta for i, d in enumerate(documents) if d.meta}
    report = {
        i: tuple((r.rule, r.text, r.start, r.end) for r in d.report.removals)
        for i, d in enumerate(documents)
        if d.report.removals
    }
    alternates = {
        i: tuple(
            (a.id, a.source, a.url, a.title, a.outlet, a.published, a.content_hash, a.similarity)
            for a in d.alternates
        )
        for i, d in enumerate(documents)
        if d.alternates
    }
    return (plain, meta, report, alternates)


def _from_columns(columns: tuple[Any, ...]) -> tuple[Document, ...]:
    plain, meta, report, alternates = columns
    empty = CleaningReport()
    out = []
    for i, values in enumerate(zip(*plain, strict=True)):
        removals = report.get(i)
        alts = alternates.get(i)
        out.append(
            Document(  # the plain fields, in the order of _FIELDS
                *values,  # type: ignore[misc]
                meta=meta.get(i, ()),
                report=empty
                if removals is None
                else CleaningReport(tuple(Removal(*r) for r in removals)),
                alternates=() if alts is None else tuple(Alternate(*a) for a in alts),
            )
        )
    return tuple(out)


def _must(value: Any) -> Any:
    if value is None:  # pragma: no cover - checked by the caller
        raise ValueError("packs of one segment must hold the same kinds of data")
    return value


def _concat(arrays: Sequence[npt.NDArray[Any]], dtype: type[np.generic]) -> npt.NDArray[Any]:
    return np.concatenate(arrays).astype(dtype, copy=False) if arrays else np.empty(0, dtype)
