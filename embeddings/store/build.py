"""Build an index snapshot in memory from documents and chunks."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from corpus.errors import EmptyCorpusError
from corpus.progress import Progress
from corpus.types import Chunk, Document
from embeddings.encoder import Encoder
from embeddings.store.analysis import prepare_document
from embeddings.store.segment import build_segment
from embeddings.store.settings import IndexSettings, settings_compatible
from embeddings.store.snapshot import IndexSnapshot, SegmentState
from embeddings.store.vectors import embed_texts
from embeddings.tokenize import Tokenizer, get_tokenizer

__all__ = ["build_snapshot", "check_encoder", "now"]

logger = logging.getLogger(__name__)
_PROGRESS_EVERY = 200


def now() -> str:
    """The current time, ISO 8601 in UTC, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def check_encoder(settings: IndexSettings, encoder: Encoder | None) -> IndexSettings:
    """``settings`` with the dimension filled in from ``encoder``, after checking they agree.

    Raises:
        ValueError: when settings and encoder disagree.
        ModelUnavailableError: when the encoder's model cannot be loaded.
    """
    if encoder is None and settings.model:
        raise ValueError(
            f"settings name model {settings.model!r} but no encoder was given; pass an "
            "Encoder, or use model='' for a lexical-only index"
        )
    if encoder is None:
        return settings
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
    return replace(settings, dimension=dimension)


def build_snapshot(
    documents: Sequence[Document],
    chunks: Sequence[Chunk],
    settings: IndexSettings,
    *,
    encoder: Encoder | None,
    previous: IndexSnapshot | None = None,
    progress: Progress | None = None,
    dense_kind: str = "auto",
    tokenizer: Tokenizer | None = None,
) -> IndexSnapshot:
    """Build a complete one-segment index in memory.

    Chunks whose text was embedded in ``previous`` (built with compatible settings)
    reuse that vector; only new or changed chunk texts are encoded, in batches.

    Args:
        documents: all documents of the new index.
        chunks: all their chunks, in row order (grouped by document, in document order).
        settings: the settings; ``settings.model`` must be ``encoder.model`` (or "" with
            no encoder); a ``dimension`` of 0 is filled in from the encoder.
        encoder: the encoder, or None for a lexical-only index.
        previous: an index whose vectors may be reused.
        progress: called as ``progress("embed" | "bm25", done, total)``.
        dense_kind: the dense index type (see :func:`embeddings.dense.dense_factory`).
        tokenizer: a tokenizer object to share (default a new one of the settings').

    Returns:
        The new snapshot.

    Raises:
        EmptyCorpusError: when there are no chunks.
        ValueError: when settings and encoder disagree, or documents/chunks are
            inconsistent (duplicate ids, chunks of absent documents, chunks out of
            document order).
        ModelUnavailableError: when the encoder's model cannot be loaded.
    """
    if not chunks:
        raise EmptyCorpusError(
            "nothing to index: the documents produced no chunks (are the articles empty?)"
        )
    settings = check_encoder(settings, encoder)
    docs = tuple(documents)
    doc_ids = {d.id for d in docs}
    if len(doc_ids) != len(docs):
        raise ValueError("documents have duplicate ids")
    by_doc: dict[str, list[Chunk]] = {}
    for c in chunks:
        if c.doc_id not in doc_ids:
            raise ValueError(f"chunk {c.id!r} refers to document {c.doc_id!r}, which is absent")
        by_doc.setdefault(c.doc_id, []).append(c)
    order = [c.doc_id for c in chunks]
    expected = [d.id for d in docs for _ in by_doc.get(d.id, ())]
    if order != expected:
        raise ValueError("chunks must be grouped by document, in document order")
    tok = tokenizer if tokenizer is not None and tokenizer.name == settings.tokenizer else None
    tok = tok or get_tokenizer(settings.tokenizer)
    prepared = []
    for i, doc in enumerate(docs, 1):
        prepared.append(
            prepare_document(doc, settings.chunking, tok, chunks=by_doc.get(doc.id, []))
        )
        if progress is not None and (i % _PROGRESS_EVERY == 0 or i == len(docs)):
            progress("bm25", i, len(docs))
    vectors: npt.NDArray[np.float32] | None = None
    if encoder is not None:
        reuse = None
        if (
            previous is not None
            and not previous.lexical_only
            and settings_compatible(previous.settings, settings) is None
        ):
            reuse = _reusable(previous)
        vectors = embed_texts([c.text for c in chunks], encoder, reuse=reuse, progress=progress)
    segment = build_segment(prepared, vectors=vectors, dense_kind=dense_kind)
    return IndexSnapshot(settings, [SegmentState(segment)], created_at=now(), tokenizer=tok)


def _reusable(previous: IndexSnapshot) -> dict[str, Callable[[], npt.NDArray[np.float32]]]:
    """Every chunk text of ``previous`` with a way to get its vector."""
    found: dict[str, Callable[[], npt.NDArray[np.float32]]] = {}
    for st in previous.states:
        vectors = st.segment.vectors
        if vectors is None:
            continue
        for row in range(st.segment.size):
            found.setdefault(st.segment.chunk(row).text, _getter(vectors, row))
    return found


def _getter(vectors: npt.NDArray[np.float32], row: int) -> Callable[[], npt.NDArray[np.float32]]:
    return lambda: np.asarray(vectors[row])
