"""Stage 2, the shortlist: the candidate sentences the rankers see.

Of the sentences of the top passages, the :data:`SHORTLIST` with the highest
IDF-weighted coverage of the question's terms (98% of the sentences that hold a gold
answer are in it). :func:`coverage` is the measure, also a sentence feature.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from qa.answering.extractive.sentences import Candidate
from qa.answering.extractive.stages.question import QuestionTerms

__all__ = ["SHORTLIST", "chunk_terms", "coverage", "shortlist"]


def coverage(terms: QuestionTerms, present: frozenset[str], only: str = "") -> float:
    """IDF-weighted share of the question's terms (``only``: ``uni``/``bi`` terms) found
    in ``present``."""
    items: Iterable[tuple[str, float]]
    if only == "uni":
        items = terms.unigram_items
    elif only == "bi":
        items = terms.bigram_items
    else:
        items = terms.weights.items()
    total = found = 0.0
    for t, w in items:
        total += w
        if t in present:
            found += w
    return found / total if total > 0 else 0.0


SHORTLIST = 15
"""Sentences the rankers see: the best by IDF-weighted coverage of the question."""


def shortlist(
    terms: QuestionTerms, candidates: Sequence[Candidate], k: int = SHORTLIST
) -> list[int]:
    """Indices of the ``k`` candidates with the highest coverage of the question's terms
    (ties: passage order), best first."""
    covs = [coverage(terms, c.sentence.terms) for c in candidates]
    return sorted(range(len(candidates)), key=lambda i: -covs[i])[:k]


def chunk_terms(candidates: Sequence[Candidate]) -> dict[str, frozenset[str]]:
    """The matching terms of each candidate's chunk (the union of its sentences')."""
    out: dict[str, set[str]] = {}
    for c in candidates:
        out.setdefault(c.passage.chunk.id, set()).update(c.sentence.terms)
    return {k: frozenset(v) for k, v in out.items()}
