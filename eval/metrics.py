"""Ranking, answer and latency metrics (pure functions, no model, no I/O).

Ranks are 1-based; 0 means "not retrieved".
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence

from eval.cmrc import em_score, f1_score
from qa import normalize_for_matching, strip_markers, to_script

__all__ = [
    "answer_em",
    "answer_f1",
    "contains_gold",
    "first_relevant_rank",
    "hit_at_k",
    "mrr_at_k",
    "ndcg_at_k",
    "percentile",
    "recall_at_k",
    "reciprocal_rank",
]

# -- ranking ------------------------------------------------------------------------------


def first_relevant_rank(ranked: Iterable[str], relevant: Collection[str]) -> int:
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
    return sum(reciprocal_rank(r, k) for r in ranks) / len(ranks)


def reciprocal_rank(rank: int, k: int = 10) -> float:
    """``1 / rank`` when ``0 < rank <= k``, else 0 (one question's MRR@k term)."""
    return 1.0 / rank if 0 < rank <= k else 0.0


def recall_at_k(ranked: Sequence[str], relevant: Collection[str], k: int) -> float:
    """Share of the relevant ids found in the top ``k`` of ``ranked``.

    Raises:
        ValueError: when ``relevant`` is empty (recall is undefined).
    """
    if not relevant:
        raise ValueError("recall needs at least one relevant id")
    found = {item for item in ranked[:k] if item in relevant}
    return len(found) / len(set(relevant))


def ndcg_at_k(ranked: Sequence[str], relevant: Collection[str], k: int = 10) -> float:
    """Normalised discounted cumulative gain with binary relevance.

    DCG = sum over relevant ranks r <= k of 1/log2(r + 1); the ideal puts all relevant
    ids first (``min(len(relevant), k)`` of them). Repeated ids count once, at their
    first rank.

    Raises:
        ValueError: when ``relevant`` is empty (nDCG is undefined).
    """
    if not relevant:
        raise ValueError("nDCG needs at least one relevant id")
    seen: set[str] = set()
    dcg = 0.0
    for rank, item in enumerate(ranked[:k], start=1):
        if item in relevant and item not in seen:
            seen.add(item)
            dcg += 1.0 / math.log2(rank + 1)
    ideal = sum(1.0 / math.log2(r + 1) for r in range(1, min(len(set(relevant)), k) + 1))
    return dcg / ideal


# -- answers ------------------------------------------------------------------------------


_EDGE_PUNCT = "，,。．.、；;：:！!？?…\u3000 \t\n"
"""Sentence punctuation a gold answer may carry at its ends (``…卡皮蒂岛上。``) that an
answer quoting the same words need not: answers end their quote at the clause, before
the citation marker, without the full stop."""


def contains_gold(answer_text: str, golds: Sequence[str]) -> bool:
    """Whether a gold answer occurs in the answer text, compared script-normalised.

    Both sides go through :func:`qa.normalize_for_matching` (traditional -> simplified,
    full-width -> half-width, case folded); citation markers are ignored, and so is
    sentence punctuation at the gold's ends (:data:`_EDGE_PUNCT`: a gold ``…岛上。``
    is in ``…岛上 [1]``). Punctuation inside the gold must match.
    """
    text = normalize_for_matching(strip_markers(answer_text))
    wanted = (g.strip(_EDGE_PUNCT) for g in golds)
    return any(g and normalize_for_matching(g) in text for g in wanted)


def answer_em(answer_text: str, golds: Sequence[str]) -> float:
    """CMRC 2018 exact match of the answer (markers removed, both sides in simplified)."""
    return em_score([_simplified(g) for g in golds], _simplified(strip_markers(answer_text)))


def answer_f1(answer_text: str, golds: Sequence[str]) -> float:
    """CMRC 2018 F1 of the answer (markers removed, both sides in simplified)."""
    return f1_score([_simplified(g) for g in golds], _simplified(strip_markers(answer_text)))


def _simplified(text: str) -> str:
    # Script only: the CMRC script's punctuation handling must see the original marks.
    return to_script(text, "simplified")


# -- latency ------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) with linear interpolation; 0.0 for no values."""
    if not values:
        return 0.0
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)
