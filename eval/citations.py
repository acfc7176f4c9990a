"""Citation metrics: precision, validity and sentence coverage of one answer."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from qa import MARKER, marker_numbers, normalize_for_matching
from qa.types import Answer

__all__ = ["CitationScores", "answer_sentences", "score_citations"]

# A sentence ends at 。！？!?；; or a line break, together with the markers right after it.
_SENTENCE = re.compile(rf"[^。！？!?；;\n]+[。！？!?；;]*(?:{MARKER.pattern})*[。！？!?；;]*")


@dataclass(frozen=True, slots=True)
class CitationScores:
    """How well one answer cites its sources.

    Attributes:
        citations: how many citations the answer returned.
        precision: share of citations whose passage contains a gold answer or belongs to a
            gold article (None without citations, or without gold to judge by).
        markers_valid: every ``[n]`` in the text names a returned citation.
        quotes_valid: every quote equals its document's text at ``[start:end]``.
        sentence_coverage: share of answer sentences carrying a marker (None for an
            answer without sentences).
    """

    citations: int
    precision: float | None
    markers_valid: bool
    quotes_valid: bool
    sentence_coverage: float | None

    @property
    def valid(self) -> bool:
        """Markers and quotes both valid."""
        return self.markers_valid and self.quotes_valid


def answer_sentences(text: str) -> list[str]:
    """The sentences of an answer text, each with the markers that follow it."""
    found = (m.group(0) for m in _SENTENCE.finditer(text))
    return [s.strip() for s in found if MARKER.sub("", s).strip(" 。；;")]


def score_citations(
    answer: Answer,
    *,
    gold_answers: Sequence[str],
    gold_doc_ids: Collection[str],
    document_text: Callable[[str], str | None],
) -> CitationScores:
    """Score the citations of ``answer``.

    Args:
        answer: the answer to judge.
        gold_answers: acceptable answers (any script).
        gold_doc_ids: the gold articles.
        document_text: the cleaned text of a document by id (None for an unknown id).

    Returns:
        The scores.
    """
    citations = answer.citations
    numbers = {c.marker for c in citations}
    used = set(marker_numbers(answer.text))
    markers_valid = used <= numbers
    quotes_valid = True
    for c in citations:
        text = document_text(c.doc_id)
        if text is None or text[c.start : c.end] != c.quote:
            quotes_valid = False
    precision: float | None = None
    golds = [normalize_for_matching(g) for g in gold_answers if g.strip()]
    if citations and (golds or gold_doc_ids):
        chunks = {p.chunk.id: p.chunk.text for p in answer.passages}
        good = 0
        for c in citations:
            passage = normalize_for_matching(chunks.get(c.chunk_id, c.quote))
            if c.doc_id in gold_doc_ids or any(g in passage for g in golds):
                good += 1
        precision = good / len(citations)
    sentences = answer_sentences(answer.text) if not answer.abstained else []
    coverage = sum(1 for s in sentences if MARKER.search(s)) / len(sentences) if sentences else None
    return CitationScores(
        citations=len(citations),
        precision=precision,
        markers_valid=markers_valid,
        quotes_valid=quotes_valid,
        sentence_coverage=coverage,
    )
