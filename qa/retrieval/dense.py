"""Dense retrieval: the query's embedding against the chunk vectors in FAISS."""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt

from embeddings.encoder import Encoder
from embeddings.types import Hits
from qa.retrieval.base import Query, RowMask

__all__ = ["DenseRetriever", "VectorSearch"]


class VectorSearch(Protocol):
    """What dense retrieval searches: :class:`~embeddings.DenseIndex`, or an index
    snapshot's :attr:`~embeddings.store.IndexSnapshot.dense` over its segments."""

    @property
    def dimension(self) -> int: ...

    def search(
        self, query_vector: npt.ArrayLike, k: int, mask: npt.NDArray[np.bool_] | None = None
    ) -> Hits: ...


class DenseRetriever:
    """A :class:`~qa.retrieval.base.Retriever` over dense vectors.

    Args:
        index: the dense index of the snapshot.
        encoder: the encoder of the model the chunks were embedded with.

    Raises:
        ValueError: when the encoder's dimension differs from the index's.
    """

    def __init__(self, index: VectorSearch, encoder: Encoder) -> None:
        if encoder.loaded and encoder.dimension != index.dimension:
            raise ValueError(
                f"the encoder produces {encoder.dimension} dimensions, the index holds "
                f"{index.dimension}"
            )
        self._index = index
        self._encoder = encoder

    @property
    def name(self) -> str:
        """``"dense"``."""
        return "dense"

    def search(self, query: Query, k: int, rows: RowMask | None = None) -> Hits:
        """The ``k`` rows whose vectors have the largest inner product with the query's."""
        return self._index.search(self._encoder.encode_query(query.text), k, rows)
