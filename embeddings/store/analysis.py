"""Everything an index needs of one document, computed once: chunks, terms, fingerprint.

:func:`prepare_document` is the CPU-bound part of ingest (chunking, folding, tokenizing,
near-duplicate fingerprints). It depends only on the document and the settings, so
:mod:`qa.ingest` runs it in worker processes; the results are small arrays that pickle
cheaply.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from corpus.chunking import ChunkingConfig, chunk_document
from corpus.dedupe import Fingerprint, fingerprint
from corpus.normalize import normalize_for_matching
from corpus.types import Chunk, Document
from embeddings.terms import TermCounts, analyze, char12_keys, count_terms
from embeddings.tokenize import Tokenizer

__all__ = ["ANALYZER", "PreparedDocument", "chunk_of", "prepare_document"]

ANALYZER = "char12"
"""The terms answer matching counts (see qa.answering.terms); an index with another BM25
tokenizer keeps their document frequencies beside its postings."""


def chunk_of(document: Document, index: int, start: int, end: int) -> Chunk:
    """The :class:`Chunk` at ``start:end`` of ``document`` (its ``index``-th)."""
    return Chunk(
        id=f"{document.id}-{index:04d}",
        doc_id=document.id,
        index=index,
        text=document.text[start:end],
        start=start,
        end=end,
    )


@dataclass(frozen=True, slots=True, eq=False)
class PreparedDocument:
    """A document with its chunks' spans and terms.

    Attributes:
        document: the document.
        starts: each chunk's start offset in ``document.text``.
        ends: each chunk's end offset.
        terms: each chunk's BM25 terms.
        analyzer: each chunk's distinct ``char12`` keys, where the BM25 tokenizer is
            another one (None otherwise: the BM25 terms are those).
        fingerprint: the near-duplicate fingerprint, where asked for.
        vectors: each chunk's dense vector (float32, one row per chunk), where they were
            computed with the index's model beside the preparing (``qa ingest --ray``
            encodes on Ray actors); None: the index encodes the chunks it needs.
    """

    document: Document
    starts: npt.NDArray[np.int32]
    ends: npt.NDArray[np.int32]
    terms: tuple[TermCounts, ...]
    analyzer: tuple[npt.NDArray[np.uint64], ...] | None = None
    fingerprint: Fingerprint | None = None
    vectors: npt.NDArray[np.float32] | None = None

    def __post_init__(self) -> None:
        if self.vectors is not None and (
            self.vectors.ndim != 2 or self.vectors.shape[0] != self.starts.shape[0]
        ):
            raise ValueError(
                f"vectors of shape {self.vectors.shape} do not match the document's "
                f"{self.starts.shape[0]} chunks (one row per chunk)"
            )

    @property
    def size(self) -> int:
        """Number of chunks."""
        return int(self.starts.shape[0])

    @property
    def chunks(self) -> tuple[Chunk, ...]:
        """The chunks."""
        return tuple(
            chunk_of(self.document, i, int(s), int(e))
            for i, (s, e) in enumerate(zip(self.starts.tolist(), self.ends.tolist(), strict=True))
        )

    def light(self) -> PreparedDocument:
        """The same with a light fingerprint (no grams: a few hundred bytes to send to
        another process instead of several kilobytes)."""
        if self.fingerprint is None:
            return self
        return replace(self, fingerprint=self.fingerprint.light())

    def with_document(self, document: Document) -> PreparedDocument:
        """The same chunks and terms for another record of the same text (new
        alternates)."""
        if document.text != self.document.text:
            raise ValueError("the document's text differs from the prepared one")
        return replace(self, document=document)

    def with_vectors(self, vectors: npt.NDArray[np.float32] | None) -> PreparedDocument:
        """The same with its chunks' vectors (one row per chunk; None: none).

        Raises:
            ValueError: when ``vectors`` does not have one row per chunk.
        """
        return replace(self, vectors=vectors)


def prepare_document(
    document: Document,
    chunking: ChunkingConfig,
    tokenizer: Tokenizer,
    *,
    with_fingerprint: bool = True,
    chunks: Sequence[Chunk] | None = None,
) -> PreparedDocument:
    """Chunk a document and count its chunks' terms.

    Args:
        document: the cleaned document.
        chunking: how to cut it.
        tokenizer: the index's BM25 tokenizer.
        with_fingerprint: compute the near-duplicate fingerprint too.
        chunks: its chunks where already cut (else cut here).

    Returns:
        The prepared document (chunk texts are ``document.text[start:end]``).
    """
    cut = tuple(chunks) if chunks is not None else chunk_document(document, chunking)
    terms: list[TermCounts] = []
    analyzer: list[npt.NDArray[np.uint64]] | None = None if tokenizer.name == ANALYZER else []
    for chunk in cut:
        folded = normalize_for_matching(chunk.text)
        terms.append(count_terms(analyze(tokenizer, folded)))
        if analyzer is not None:
            analyzer.append(np.unique(char12_keys(folded)))
    return PreparedDocument(
        document=document,
        starts=np.fromiter((c.start for c in cut), dtype=np.int32, count=len(cut)),
        ends=np.fromiter((c.end for c in cut), dtype=np.int32, count=len(cut)),
        terms=tuple(terms),
        analyzer=None if analyzer is None else tuple(analyzer),
        fingerprint=fingerprint(document.body) if with_fingerprint else None,
    )
