"""One immutable segment: its documents, chunks, postings, term statistics and vectors.

A segment is written once and never changed: deleting a document marks its rows dead
in a tombstone file of the index (see :mod:`embeddings.store.files`), and merging
writes a new segment. Everything in it is self-contained (its own term dictionary, its
own pair table, its own dense index), so segments can be built independently (in
another process, on another machine) and merged later. Layout::

    segment.json        name, counts, tokenizer, dimension, dense index kind
    documents.sqlite    the documents, by position and by id (text stored once)
    chunks.npy          int32 (chunks, 3): document position, start, end
    doc_rows.npy        int64 (documents + 1): the first row of each document
    postings/           the BM25 postings (embeddings.postings)
    analyzer/           keys.npy, df.npy: char12 document frequencies (only when the
                        BM25 tokenizer is another one; answer matching needs them)
    facets/             document positions by outlet and by date
    bands.npy, band_docs.npy
                        the near-duplicate LSH band keys (each mixed with its band
                        number, all bands in one sorted array) and their documents
    ids.npy, alternate_ids.npy
                        sorted 64-bit hashes of the documents' ids and of their
                        alternates' ids: most look-ups of an id are for documents a
                        segment does not hold, and are answered without SQLite
    vectors.npy         float32 (chunks, dimension), when the dense index does not
                        hold them itself
    dense.faiss         the FAISS index, for an approximate (HNSW, IVF-PQ) search

Chunks are ``documents[doc].text[start:end]``: the text is stored once, in the document.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from corpus.dedupe import BANDS
from corpus.types import Chunk, Document
from embeddings.dense import DenseIndex, dense_factory
from embeddings.errors import IndexCorruptError
from embeddings.mapped import load_array
from embeddings.postings import Postings, PostingsBuilder
from embeddings.store.analysis import PreparedDocument, chunk_of
from embeddings.store.documents import (
    DOCUMENTS_FILE,
    DocumentStore,
    MemoryDocuments,
    SqliteDocuments,
    write_documents,
)
from embeddings.store.facets import Facets
from embeddings.store.packed import PackedDocuments

__all__ = [
    "SEGMENT_FORMAT",
    "Segment",
    "TermTable",
    "band_candidates",
    "band_entries",
    "band_table",
    "build_segment",
    "chunk_table",
    "finish_segment",
    "fsync_dir",
    "id_hash",
    "id_hashes",
    "new_segment_name",
    "open_segment",
    "packed_chunk_table",
    "prepared_bands",
    "write_segment",
]

SEGMENT_FORMAT = 1
_META = "segment.json"


def new_segment_name() -> str:
    """A fresh, unique segment name."""
    return f"seg-{uuid.uuid4().hex[:16]}"


@dataclass(frozen=True, slots=True, eq=False)
class TermTable:
    """Document frequencies of terms (keys ascending)."""

    keys: npt.NDArray[np.uint64]
    df: npt.NDArray[np.int64]

    @classmethod
    def count(cls, rows: Sequence[npt.NDArray[np.uint64]]) -> TermTable:
        """The table of rows given as their distinct keys."""
        if not rows:
            return cls(np.empty(0, np.uint64), np.empty(0, np.int64))
        keys, df = np.unique(np.concatenate(rows), return_counts=True)
        return cls(keys, df.astype(np.int64))

    def lookup(self, keys: npt.NDArray[np.uint64]) -> npt.NDArray[np.int64]:
        """The frequency of each key (0 when absent)."""
        if self.keys.size == 0 or keys.size == 0:
            return np.zeros(keys.shape, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.keys, keys), self.keys.shape[0] - 1)
        return np.where(self.keys[at] == keys, self.df[at], 0)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        np.save(directory / "keys.npy", self.keys)
        np.save(directory / "df.npy", self.df)

    @classmethod
    def count_flat(cls, keys: npt.NDArray[np.uint64]) -> TermTable:
        """The table of rows given as their distinct keys, one row after the other."""
        if keys.size == 0:
            return cls(np.empty(0, np.uint64), np.empty(0, np.int64))
        unique, df = np.unique(keys, return_counts=True)
        return cls(unique, df.astype(np.int64))

    @classmethod
    def load(cls, directory: Path) -> TermTable:
        return cls(
            load_array(directory / "keys.npy"),
            load_array(directory / "df.npy"),
        )


@dataclass(frozen=True, slots=True, eq=False)
class Segment:
    """An immutable segment, in memory or opened from its directory.

    Attributes:
        name: unique name (also its directory's name).
        documents: its documents, by position.
        chunks: int32 (n, 3): each row's document position, start and end.
        doc_rows: int64 (documents + 1): document ``d``'s rows are
            ``doc_rows[d]:doc_rows[d+1]``.
        postings: its BM25 postings.
        analyzer: char12 document frequencies, where the BM25 tokenizer is not char12.
        facets: document positions by outlet and date.
        bands: uint64: LSH band keys mixed with their band number (:func:`band_entries`),
            ascending (empty where documents have no fingerprint).
        band_docs: int32: the document of each entry of ``bands``.
        ids: uint64: hashes of the documents' ids, ascending.
        alternate_ids: uint64: hashes of the ids of the documents' alternates, ascending.
        dense: the dense index over its rows, or None (lexical only).
        directory: where it lives, or None in memory.
    """

    name: str
    documents: DocumentStore
    chunks: npt.NDArray[np.int32]
    doc_rows: npt.NDArray[np.int64]
    postings: Postings
    analyzer: TermTable | None
    facets: Facets
    bands: npt.NDArray[np.uint64]
    band_docs: npt.NDArray[np.int32]
    ids: npt.NDArray[np.uint64]
    alternate_ids: npt.NDArray[np.uint64]
    dense: DenseIndex | None = None
    directory: Path | None = None

    def __post_init__(self) -> None:
        n = self.chunks.shape[0]
        if self.postings.size != n:
            raise ValueError(f"segment {self.name}: {self.postings.size} postings rows, {n} chunks")
        if self.doc_rows.shape != (len(self.documents) + 1,):
            raise ValueError(f"segment {self.name}: doc_rows disagrees with the documents")
        if self.dense is not None and self.dense.size != n:
            raise ValueError(f"segment {self.name}: the dense index has {self.dense.size} rows")

    @property
    def size(self) -> int:
        """Number of rows (chunks)."""
        return int(self.chunks.shape[0])

    @property
    def document_count(self) -> int:
        """Number of documents."""
        return len(self.documents)

    @property
    def vectors(self) -> npt.NDArray[np.float32] | None:
        """The chunk vectors (read-only), or None for a lexical-only segment."""
        return None if self.dense is None else self.dense.vectors

    def chunk(self, row: int, document: Document | None = None) -> Chunk:
        """The chunk at ``row`` (``document`` is its document, where already at hand)."""
        pos, start, end = (int(x) for x in self.chunks[row])
        doc = document if document is not None else self.documents.get(pos)
        return chunk_of(doc, row - int(self.doc_rows[pos]), start, end)

    def document_of(self, row: int) -> Document:
        """The document of the chunk at ``row``."""
        return self.documents.get(int(self.chunks[row, 0]))

    def rows_of(self, positions: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """All rows of the documents at ``positions``."""
        if positions.size == 0:
            return np.empty(0, dtype=np.int64)
        starts = self.doc_rows[positions]
        counts = self.doc_rows[positions + 1] - starts
        offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
        return offsets + np.arange(int(counts.sum()), dtype=np.int64)

    def band_candidates(self, keys: npt.NDArray[np.uint64]) -> npt.NDArray[np.int64]:
        """Positions of documents sharing at least one LSH band key with ``keys`` (one
        key per band)."""
        _, positions = self.band_candidates_many(keys.reshape(1, -1))
        return positions

    def band_candidates_many(
        self, keys: npt.NDArray[np.uint64]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """For several texts' band keys (texts x BANDS), the pairs ``(text, position)``
        of documents sharing a band key with the text (unique, by text then position);
        see :func:`band_candidates`."""
        return band_candidates(self.bands, self.band_docs, self.document_count, keys)

    def positions(self, doc_id: str) -> list[int]:
        """Positions of the documents with this id (deleted ones included)."""
        if not _member(self.ids, id_hash(doc_id)):
            return []
        return self.documents.positions(doc_id)

    def alternate_owners(self, alt_id: str) -> list[int]:
        """Positions of the documents recording ``alt_id`` as an alternate."""
        if not _member(self.alternate_ids, id_hash(alt_id)):
            return []
        return self.documents.alternate_owners(alt_id)

    def close(self) -> None:
        """Release open files."""
        self.documents.close()


_BAND_MIX = np.uint64(0x9E3779B97F4A7C15)


def band_entries(keys: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """Band keys (one per band, in band order, along the last axis) mixed with their band
    number, so all bands share one sorted array (a collision only adds a candidate,
    which is then checked exactly)."""
    band = np.arange(1, keys.shape[-1] + 1, dtype=np.uint64) * _BAND_MIX
    mixed = (keys ^ band) * np.uint64(0xD6E8FEB86659FD93)
    return mixed ^ (mixed >> np.uint64(29))


def band_candidates(
    bands: npt.NDArray[np.uint64],
    band_docs: npt.NDArray[np.int32],
    documents: int,
    keys: npt.NDArray[np.uint64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """For several texts' band keys (texts x BANDS), the pairs ``(text, position)`` of
    the documents of a band table (:func:`band_table`) sharing a band key with the text
    (unique, by text then position).

    One sorted search for all texts: the needles are sorted first, so the binary
    searches walk the band array in order instead of jumping about it.

    Args:
        bands: the table's sorted band entries.
        band_docs: the document position of each entry.
        documents: how many documents the table's owner holds.
        keys: uint64 (texts, BANDS): the texts' band keys.
    """
    empty = np.empty(0, dtype=np.int64)
    if bands.size == 0 or keys.size == 0:
        return empty, empty
    needles = band_entries(keys).ravel()
    owner = np.repeat(np.arange(keys.shape[0]), keys.shape[1])
    order = needles.argsort(kind="stable")
    needles, owner = needles[order], owner[order]
    lo = bands.searchsorted(needles, side="left")
    hi = bands.searchsorted(needles, side="right")
    counts = hi - lo
    if not counts.any():
        return empty, empty
    total = int(counts.sum())
    starts = np.repeat(lo - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
    positions = np.asarray(band_docs)[starts + np.arange(total)].astype(np.int64)
    texts = np.repeat(owner, counts).astype(np.int64)
    pairs = np.unique(texts * (documents + 1) + positions)
    return pairs // (documents + 1), pairs % (documents + 1)


def id_hash(doc_id: str) -> int:
    """A 64-bit hash of a document id (for :attr:`Segment.ids`)."""
    digest = hashlib.blake2b(doc_id.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def id_hashes(ids: Sequence[str]) -> npt.NDArray[np.uint64]:
    """Sorted hashes of ids."""
    return np.sort(np.fromiter((id_hash(i) for i in ids), dtype=np.uint64, count=len(ids)))


def _member(sorted_keys: npt.NDArray[np.uint64], key: int) -> bool:
    if sorted_keys.size == 0:
        return False
    at = int(sorted_keys.searchsorted(np.uint64(key)))
    return at < sorted_keys.shape[0] and int(sorted_keys[at]) == key


def band_table(
    per_doc: npt.NDArray[np.uint64],
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int32]]:
    """The sorted band array of documents' band keys (documents x BANDS), with each
    entry's document."""
    if per_doc.size == 0:
        return np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.int32)
    entries = band_entries(per_doc).ravel()
    owners = np.repeat(np.arange(per_doc.shape[0]), per_doc.shape[1])
    order = np.argsort(entries, kind="stable")
    return entries[order], owners[order].astype(np.int32)


def chunk_table(
    prepared: Sequence[PreparedDocument],
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int64]]:
    """The rows of a segment over prepared documents (in order): int32 (chunks, 3) of
    each row's document position, start and end, and int64 (documents + 1) of each
    document's first row (:attr:`Segment.chunks`, :attr:`Segment.doc_rows`)."""
    chunk_docs: list[npt.NDArray[np.int32]] = []
    doc_rows = np.zeros(len(prepared) + 1, dtype=np.int64)
    for pos, p in enumerate(prepared):
        chunk_docs.append(np.stack((np.full(p.size, pos, np.int32), p.starts, p.ends), axis=1))
        doc_rows[pos + 1] = doc_rows[pos] + p.size
    chunks = (
        np.concatenate(chunk_docs).astype(np.int32)
        if chunk_docs
        else np.empty((0, 3), dtype=np.int32)
    )
    return chunks, doc_rows


def packed_chunk_table(
    packed: PackedDocuments,
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int64]]:
    """:func:`chunk_table` of packed documents (from their arrays)."""
    doc_rows = packed.doc_rows
    positions = np.repeat(np.arange(len(packed), dtype=np.int32), packed.chunks)
    chunks = np.stack((positions, packed.starts, packed.ends), axis=1).astype(np.int32)
    return chunks.reshape(-1, 3), doc_rows


def prepared_bands(prepared: Sequence[PreparedDocument]) -> npt.NDArray[np.uint64]:
    """uint64 (documents, BANDS): the prepared documents' LSH band keys (empty unless
    every document has a fingerprint)."""
    prints = [p.fingerprint for p in prepared]
    if prints and all(f is not None for f in prints):
        return np.stack([f.bands for f in prints if f is not None])
    return np.empty((0, BANDS), dtype=np.uint64)


def build_segment(
    prepared: Sequence[PreparedDocument] | PackedDocuments,
    *,
    vectors: npt.NDArray[np.float32] | None = None,
    bands: npt.NDArray[np.uint64] | None = None,
    dense_kind: str = "auto",
    name: str | None = None,
) -> Segment:
    """A segment in memory over prepared documents (in order).

    Args:
        prepared: the documents with their chunks and terms, one by one or packed
            (:class:`~embeddings.store.packed.PackedDocuments`: built from the arrays
            as they are).
        vectors: the chunk vectors in row order, or None (lexical only; the vectors a
            pack or a prepared document carries are not used).
        bands: uint64 (documents, BANDS) band keys, or None (taken from the prepared
            documents' fingerprints; none where they have none).
        dense_kind: see :func:`embeddings.dense.dense_factory`.
        name: the segment's name (default a fresh one).

    Returns:
        The segment.
    """
    packed = prepared if isinstance(prepared, PackedDocuments) else PackedDocuments.pack(prepared)
    builder = PostingsBuilder()
    builder.add_many(packed.keys, packed.tf, packed.term_counts, packed.lengths)
    analyzer = None
    if packed.analyzer_keys is not None and packed.analyzer_counts is not None:
        analyzer = TermTable.count_flat(packed.analyzer_keys)
    chunks, doc_rows = packed_chunk_table(packed)
    if bands is None:
        bands = packed.bands if packed.bands is not None else np.empty((0, BANDS), np.uint64)
    band_keys, band_docs = band_table(bands)
    documents = packed.documents
    dense = None
    if vectors is not None:
        if vectors.shape[0] != chunks.shape[0]:
            raise ValueError(f"{vectors.shape[0]} vectors for {chunks.shape[0]} chunks")
        dense = DenseIndex.build(
            vectors, dense_factory(vectors.shape[0], vectors.shape[1], dense_kind)
        )
    return Segment(
        name=name or new_segment_name(),
        documents=MemoryDocuments(documents),
        chunks=chunks,
        doc_rows=doc_rows,
        postings=builder.build(),
        analyzer=analyzer,
        facets=Facets.build(documents),
        bands=band_keys,
        band_docs=band_docs,
        ids=id_hashes([d.id for d in documents]),
        alternate_ids=id_hashes([a.id for d in documents for a in d.alternates]),
        dense=dense,
    )


def fsync_dir(path: str | Path) -> None:
    """Flush a directory's entries (new and renamed names) to disk; a no-op where
    directories cannot be opened (Windows) or synced."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            with open(os.path.join(dirpath, name), "rb") as fh:
                os.fsync(fh.fileno())
        fsync_dir(dirpath)


def write_segment(
    segment: Segment, parent: str | Path, *, documents: Sequence[Document] | None = None
) -> Segment:
    """Write ``segment`` as ``parent/<name>`` (complete and synced before it gets that
    name) and return it opened from there.

    Args:
        segment: the segment (in memory, or another index's).
        parent: the index's segments directory.
        documents: its documents where the caller has them in order (saves reading).

    Raises:
        OSError, sqlite3.Error: when the files cannot be written.
    """
    root = Path(parent)
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".{segment.name}.tmp-{uuid.uuid4().hex[:8]}"
    try:
        tmp.mkdir()
        if segment.directory is not None and (segment.directory / DOCUMENTS_FILE).is_file():
            shutil.copyfile(segment.directory / DOCUMENTS_FILE, tmp / DOCUMENTS_FILE)
        else:
            docs = documents if documents is not None else list(segment.documents.iter_documents())
            write_documents(tmp / DOCUMENTS_FILE, docs)
        segment.postings.save(tmp / "postings")
        return finish_segment(segment, tmp, root / segment.name)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def finish_segment(segment: Segment, tmp: Path, target: Path) -> Segment:
    """Write the rest of ``segment``'s files into ``tmp`` (which already holds its
    documents, its postings and, where written by the caller, ``vectors.npy``), sync
    it, rename it to ``target`` and open it from there."""
    np.save(tmp / "chunks.npy", np.ascontiguousarray(segment.chunks))
    np.save(tmp / "doc_rows.npy", np.ascontiguousarray(segment.doc_rows))
    if segment.analyzer is not None:
        segment.analyzer.save(tmp / "analyzer")
    (tmp / "facets").mkdir(exist_ok=True)
    segment.facets.save(tmp / "facets")
    np.save(tmp / "bands.npy", np.ascontiguousarray(segment.bands))
    np.save(tmp / "band_docs.npy", np.ascontiguousarray(segment.band_docs))
    np.save(tmp / "ids.npy", np.ascontiguousarray(segment.ids))
    np.save(tmp / "alternate_ids.npy", np.ascontiguousarray(segment.alternate_ids))
    dense: dict[str, Any] | None = None
    if segment.dense is not None:
        dense = {"kind": segment.dense.kind, "dimension": segment.dense.dimension}
        if not segment.dense.exact:
            segment.dense.save(tmp / "dense.faiss")
        if segment.dense.holds_vectors:
            (tmp / "vectors.npy").unlink(missing_ok=True)
        elif not (tmp / "vectors.npy").is_file():
            assert segment.dense.vectors is not None
            np.save(tmp / "vectors.npy", np.ascontiguousarray(segment.dense.vectors))
    meta = {
        "format": SEGMENT_FORMAT,
        "name": segment.name,
        "documents": segment.document_count,
        "chunks": segment.size,
        "postings": int(segment.postings.rows.shape[0]),
        "dense": dense,
    }
    (tmp / _META).write_text(json.dumps(meta, indent=2), encoding="utf-8")
    _fsync_tree(tmp)
    os.replace(tmp, target)
    return open_segment(target)


def open_segment(directory: str | Path) -> Segment:
    """Open a segment written by :func:`write_segment` (arrays memory-mapped, documents
    read on demand).

    Raises:
        IndexCorruptError: when a file is missing, unreadable or inconsistent.
    """
    path = Path(directory)
    try:
        meta = json.loads((path / _META).read_text(encoding="utf-8"))
        if int(meta["format"]) != SEGMENT_FORMAT:
            raise ValueError(
                f"segment format {meta['format']}, this version reads {SEGMENT_FORMAT}"
            )
        documents = SqliteDocuments(path / DOCUMENTS_FILE)
        chunks = load_array(path / "chunks.npy")
        doc_rows = load_array(path / "doc_rows.npy")
        postings = Postings.load(path / "postings")
        analyzer = TermTable.load(path / "analyzer") if (path / "analyzer").is_dir() else None
        facets = Facets.load(path / "facets")
        bands = load_array(path / "bands.npy")
        band_docs = load_array(path / "band_docs.npy")
        ids = load_array(path / "ids.npy")
        alternate_ids = load_array(path / "alternate_ids.npy")
        dense = None
        if meta.get("dense"):
            vectors = load_array(path / "vectors.npy") if (path / "vectors.npy").is_file() else None
            if (path / "dense.faiss").is_file():
                dense = DenseIndex.load(path / "dense.faiss", vectors)
            elif vectors is not None:
                dense = DenseIndex(None, vectors)
            else:
                raise ValueError("the segment names a dense index but has no vectors")
        segment = Segment(
            name=str(meta["name"]),
            documents=documents,
            chunks=chunks,
            doc_rows=doc_rows,
            postings=postings,
            analyzer=analyzer,
            facets=facets,
            bands=bands,
            band_docs=band_docs,
            ids=ids,
            alternate_ids=alternate_ids,
            dense=dense,
            directory=path,
        )
        if segment.document_count != int(meta["documents"]) or segment.size != int(meta["chunks"]):
            raise ValueError("the counts disagree with segment.json")
        return segment
    except IndexCorruptError:
        raise
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise IndexCorruptError(f"the segment at {path} is unreadable: {err}") from err
