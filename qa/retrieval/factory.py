"""Pick the retrievers for a snapshot: BM25 always, dense where the index has vectors and
an encoder is available."""

from __future__ import annotations

from embeddings.encoder import Encoder
from embeddings.store import IndexSnapshot
from qa.retrieval.base import Retriever
from qa.retrieval.bm25 import BM25Retriever
from qa.retrieval.dense import DenseRetriever

__all__ = ["make_retrievers"]


def make_retrievers(snapshot: IndexSnapshot, encoder: Encoder | None) -> list[Retriever]:
    """The retrievers that can run over ``snapshot``.

    Args:
        snapshot: the index.
        encoder: the query encoder, or None (lexical retrieval only).

    Returns:
        ``[BM25Retriever]``, plus a ``DenseRetriever`` when the index holds vectors and
        an encoder is given.
    """
    retrievers: list[Retriever] = [BM25Retriever(snapshot.bm25)]
    if encoder is not None and snapshot.dense is not None:
        retrievers.append(DenseRetriever(snapshot.dense, encoder))
    return retrievers
