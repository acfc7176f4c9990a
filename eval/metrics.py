"""Ranking metrics over 1-based ranks (0 = not retrieved)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = ["first_relevant_rank", "hit_at_k", "mrr_at_k"]


def first_relevant_rank(ranked: Iterable[str], relevant: set[str] | frozenset[str]) -> int:
    """1-based rank of the first relevant id in ``ranked``; 0 when none is relevant."""
    for rank, item in enumerate(ranked, start=1):
        if item in relevant:
            return rank
    return 0


def hit_at_k(ranks: Sequence[int], k: int) -> float:
    """Share of questions whose first relevant result is within the top ``k``."""
    if not ranks:
        return 0.0
    return sum(1 for r in ranks if 0 < r <= k) / len(ranks)


def mrr_at_k(ranks: Sequence[int], k: int = 10) -> float:
    """Mean reciprocal rank, counting only ranks within the top ``k``."""
    if not ranks:
        return 0.0
    return sum(1.0 / r for r in ranks if 0 < r <= k) / len(ranks)
