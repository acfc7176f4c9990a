"""Build an index snapshot in memory from documents and chunks."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from corpus.errors import EmptyCorpusError
from corpus.progress import Progress
from corpus.types import Chunk, Document
from embeddings.dense import DenseIndex
from embeddings.encoder import Encoder
from embeddings.sparse import BM25Index
from embeddings.store.settings import IndexSettings
from embeddings.store.snapshot import IndexSnapshot
from embeddings.store.vectors import embed_chunks

__all__ = ["build_snapshot", "now"]

logger = logging.getLogger(__name__)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def build_snapshot(
    documents: Sequence[Document],
    chunks: Sequence[Chunk],
    settings: IndexSettings,
    *,
    encoder: Encoder | None,
    previous: IndexSnapshot | None = None,
    progress: Progress | None = None,
    dense_factory: str = "Flat",
) -> IndexSnapshot:
    """Build a complete index in memory.

    Chunks whose text was embedded in ``previous`` (built with compatible settings)
    reuse that vector; only new or changed chunk texts are encoded, in batches. BM25 is
    rebuilt over all chunks (its statistics depend on the whole corpus).

    Args:
        documents: all documents of the new index.
        chunks: all their chunks, in row order.
        settings: the settings; ``settings.model`` must be ``encoder.model`` (or "" with
            no encoder); a ``dimension`` of 0 is filled in from the encoder.
        encoder: the encoder, or None for a lexical-only index.
        previous: the current index, whose vectors may be reused.
        progress: called as ``progress("embed" | "bm25", done, total)``.
        dense_factory: FAISS ``index_factory`` string of the dense index.

    Returns:
        The new snapshot.

    Raises:
        EmptyCorpusError: when there are no chunks.
        ValueError: when settings and encoder disagree, or documents/chunks are
            inconsistent (duplicate ids, chunks of absent documents).
        ModelUnavailableError: when the encoder's model cannot be loaded.
    """
    if not chunks:
        raise EmptyCorpusError(
            "nothing to index: the documents produced no chunks (are the articles empty?)"
        )
    if encoder is None and settings.model:
        raise ValueError(
            f"settings name model {settings.model!r} but no encoder was given; pass an "
            "Encoder, or use model='' for a lexical-only index"
        )
    if encoder is not None:
        if not settings.model:
            raise ValueError("an encoder was given but settings.model is '' (lexical only)")
        if encoder.model != settings.model:
            raise ValueError(
                f"settings.model is {settings.model!r} but the encoder loads {encoder.model!r}"
            )
        dimension = encoder.dimension
        if settings.dimension and settings.dimension != dimension:
            raise ValueError(
                f"settings.dimension is {settings.dimension} but model {encoder.model!r} "
                f"produces {dimension}"
            )
        settings = replace(settings, dimension=dimension)

    docs = tuple(documents)
    rows = tuple(chunks)
    texts = [c.text for c in rows]
    tokenizer = (
        previous.bm25.tokenizer
        if previous is not None and previous.bm25.tokenizer_name == settings.tokenizer
        else settings.tokenizer
    )
    # Validate ids before the expensive steps.
    doc_ids = {d.id for d in docs}
    if len(doc_ids) != len(docs):
        raise ValueError("documents have duplicate ids")
    for c in rows:
        if c.doc_id not in doc_ids:
            raise ValueError(f"chunk {c.id!r} refers to document {c.doc_id!r}, which is absent")

    vectors: npt.NDArray[np.float32] | None = None
    dense: DenseIndex | None = None
    if encoder is not None:
        vectors = embed_chunks(texts, settings, encoder, previous, progress)
        dense = DenseIndex.build(vectors, dense_factory)
    bm25 = BM25Index.build(texts, tokenizer, progress=progress)
    return IndexSnapshot(
        settings=settings,
        documents=docs,
        chunks=rows,
        bm25=bm25,
        dense=dense,
        vectors=vectors,
        created_at=now(),
    )
