"""Result types shared by the sparse and dense indexes."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

__all__ = ["Hits"]


class Hits(NamedTuple):
    """Search results of one query, best first.

    Attributes:
        indices: row numbers (chunk rows) of the hits, ``int64``.
        scores: their scores, ``float32``, in descending order.
    """

    indices: npt.NDArray[np.int64]
    scores: npt.NDArray[np.float32]

    @classmethod
    def empty(cls) -> Hits:
        """Results with no hit."""
        return cls(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32))

    @property
    def size(self) -> int:
        """Number of hits."""
        return int(self.indices.shape[0])
