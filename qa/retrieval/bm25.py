"""Lexical retrieval: BM25 over the index's tokens."""

from __future__ import annotations

from embeddings.sparse import BM25Index
from embeddings.types import Hits
from qa.retrieval.base import Query, RowMask

__all__ = ["BM25Retriever"]


class BM25Retriever:
    """A :class:`~qa.retrieval.base.Retriever` over a :class:`~embeddings.BM25Index`.

    Args:
        index: the sparse index of the snapshot.
    """

    def __init__(self, index: BM25Index) -> None:
        self._index = index

    @property
    def name(self) -> str:
        """``"bm25"``."""
        return "bm25"

    def search(self, query: Query, k: int, rows: RowMask | None = None) -> Hits:
        """The ``k`` best rows by BM25 (only rows sharing a token with the query)."""
        return self._index.search_normalized(query.normalized, k, rows)
