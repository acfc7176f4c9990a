"""Fusion of the rankings of several retrievers into one.

* ``rrf``: reciprocal-rank fusion (Cormack et al. 2009): a row scores
  ``sum over retrievers of 1 / (k + rank)``; only ranks count, so scales never clash.
* ``weighted``: each retriever's scores are min-max scaled to [0, 1] over its own hits
  and summed with per-retriever weights (a row a retriever did not return adds 0).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from embeddings.types import Hits

__all__ = ["FUSION_METHODS", "Fusion", "fuse", "rrf_fuse", "weighted_fuse"]

FUSION_METHODS: tuple[str, ...] = ("rrf", "weighted")


@dataclass(frozen=True, slots=True)
class Fusion:
    """How rankings are combined.

    Attributes:
        method: ``"rrf"`` or ``"weighted"``.
        rrf_k: the RRF constant.
        weights: ``(retriever name, weight)`` pairs for ``weighted``; a retriever not
            named weighs 1.

    Raises:
        ValueError: for an unknown method, a non-positive ``rrf_k`` or a negative weight.
    """

    method: str = "rrf"
    rrf_k: int = 60
    weights: tuple[tuple[str, float], ...] = field(default=())

    def __post_init__(self) -> None:
        if self.method not in FUSION_METHODS:
            raise ValueError(
                f"unknown fusion method {self.method!r}: choose one of {', '.join(FUSION_METHODS)}"
            )
        if self.rrf_k <= 0:
            raise ValueError("rrf_k must be greater than 0")
        if any(w < 0 for _, w in self.weights):
            raise ValueError("fusion weights must be at least 0")


def rrf_fuse(rankings: Mapping[str, npt.NDArray[np.int64]], k: int) -> list[tuple[int, float]]:
    """Reciprocal-rank fusion of several rankings of row indices.

    Args:
        rankings: retriever name -> row indices, best first.
        k: the RRF constant (60 in Cormack et al. 2009).

    Returns:
        (row, fused score) pairs, best first; ties keep first-seen order.
    """
    fused: dict[int, float] = {}
    for rows in rankings.values():
        for rank, row in enumerate(rows.tolist(), start=1):
            fused[row] = fused.get(row, 0.0) + 1.0 / (k + rank)
    return sorted(fused.items(), key=lambda item: -item[1])


def weighted_fuse(
    hits: Mapping[str, Hits], weights: Mapping[str, float]
) -> list[tuple[int, float]]:
    """Weighted sum of min-max scaled scores.

    Args:
        hits: retriever name -> its hits.
        weights: retriever name -> weight (missing: 1).

    Returns:
        (row, fused score) pairs, best first; ties keep first-seen order.
    """
    fused: dict[int, float] = {}
    for name, h in hits.items():
        if h.size == 0:
            continue
        scores = h.scores.astype(np.float64)
        lo, hi = float(scores.min()), float(scores.max())
        scaled = (scores - lo) / (hi - lo) if hi > lo else np.ones_like(scores)
        w = weights.get(name, 1.0)
        for row, value in zip(h.indices.tolist(), scaled.tolist(), strict=True):
            fused[row] = fused.get(row, 0.0) + w * value
    return sorted(fused.items(), key=lambda item: -item[1])


def fuse(hits: Mapping[str, Hits], fusion: Fusion) -> list[tuple[int, float]]:
    """The fused ranking of ``hits`` (retriever name -> hits) by ``fusion``."""
    if fusion.method == "weighted":
        return weighted_fuse(hits, dict(fusion.weights))
    return rrf_fuse({name: h.indices for name, h in hits.items()}, fusion.rrf_k)
