"""The retriever contract: a normalised query in, the best rows of the index out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from corpus.normalize import normalize_for_matching
from embeddings.types import Hits

__all__ = ["Query", "Retriever", "RowMask"]

RowMask = npt.NDArray[np.bool_]
"""A boolean array over the index's chunk rows; only rows where it is True can hit."""


@dataclass(frozen=True, slots=True)
class Query:
    """A search query, folded once for every retriever that reads it.

    Attributes:
        text: the query as given (any script).
        normalized: ``normalize_for_matching(text)``.
    """

    text: str
    normalized: str

    @classmethod
    def of(cls, text: str) -> Query:
        """The query for ``text`` (folded here)."""
        return cls(text, normalize_for_matching(text))


class Retriever(Protocol):
    """Finds the chunk rows that best match a query.

    Implementations: :class:`~qa.retrieval.bm25.BM25Retriever`,
    :class:`~qa.retrieval.dense.DenseRetriever`. Scores of different retrievers are on
    different scales; :mod:`qa.retrieval.fusion` combines their rankings.
    """

    @property
    def name(self) -> str:
        """The key of this retriever's score in :attr:`qa.types.Passage.scores`."""
        ...

    def search(self, query: Query, k: int, rows: RowMask | None = None) -> Hits:
        """The ``k`` best rows for ``query``, best first.

        Args:
            query: the folded query.
            k: the most hits to return.
            rows: optional mask; only rows where it is True can hit.

        Returns:
            Row indices and scores (fewer than ``k`` where fewer match).
        """
        ...
