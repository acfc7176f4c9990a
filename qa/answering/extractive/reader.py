"""Reading passages for one question: rank sentences, find the answer span, judge it.

:func:`read` is the whole decision, shared by the answerer (:mod:`.answerer`) and by
training (:mod:`.training`, which fits the confidence model on what :func:`read`
picks), so the models are measured on exactly what users get. It runs the stages of
:mod:`.stages` in order:

question terms -> shortlist -> sentence ranking -> span candidates -> span ranking ->
confidence features,

then judges the chosen sentence (and a runner-up) with the checks of
:data:`~qa.answering.checks.CHECKS`.
"""

from __future__ import annotations

import math
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from qa.analysis.question import QuestionAnalysis
from qa.answering.checks import CHECKS, Check, Evidence, first_failure
from qa.answering.extractive.model import ReaderModel
from qa.answering.extractive.sentences import Candidate
from qa.answering.extractive.stages.confidence import (
    confidence_features,
    contrast_levels,
    folded_document,
    measure_level,
    variant_level,
)
from qa.answering.extractive.stages.question import QuestionTerms
from qa.answering.extractive.stages.sentence_features import sentence_features
from qa.answering.extractive.stages.shortlist import chunk_terms, shortlist
from qa.answering.extractive.stages.span_candidates import SpanCandidate, span_candidates
from qa.answering.extractive.stages.span_features import span_features
from qa.answering.terms import TermStatistics

__all__ = ["Reading", "evidence_of", "read"]


@dataclass(frozen=True, slots=True)
class Reading:
    """What the reader made of one question's passages.

    Attributes:
        terms: the question's analysis and weighted terms.
        candidates: the candidate sentences.
        best: the chosen span (None when there is no candidate).
        features: the reading's row of confidence features (empty without a span).
        conflict: the name of the first check (:data:`~qa.answering.checks.CHECKS`)
            that fires on the chosen sentence: what the question states that it does
            not support (another ordinal, year, period or quantity, another currency, a
            near miss of a quoted name, an unfilled role, ...); "" when none.
        runner_up: the best span of the second-ranked sentence, when the sentence
            ranker preferred the chosen one by less than the model's ``second_margin``
            and that sentence supports the question's constraints (None otherwise).
        margin: the sentence ranker's score of the chosen sentence minus that of the
            next other sentence (``inf`` when there is none).
    """

    terms: QuestionTerms
    candidates: tuple[Candidate, ...]
    best: SpanCandidate | None
    features: npt.NDArray[np.float32]
    conflict: str
    runner_up: SpanCandidate | None = None
    margin: float = math.inf

    @property
    def analysis(self) -> QuestionAnalysis:
        """The question analysis."""
        return self.terms.analysis

    def evidence(self) -> Evidence | None:
        """What the checks read of this reading: the chosen sentence, the one before
        it, their document and the short answer (None without a chosen span)."""
        if self.best is None:
            return None
        return evidence_of(self.candidates[self.best.sentence], self.best)


def evidence_of(candidate: Candidate, span: SpanCandidate) -> Evidence:
    """The evidence of ``span`` in ``candidate``'s sentence for the checks."""
    short = candidate.sentence.folded.text[span.start : span.end]
    return Evidence(candidate.sentence, candidate.previous, candidate.passage.document, short)


def read(
    terms: QuestionTerms,
    candidates: Sequence[Candidate],
    stats: TermStatistics,
    model: ReaderModel,
    documents: Mapping[str, Container[str]] | None = None,
    checks: Sequence[Check] = CHECKS,
) -> Reading:
    """Pick the best sentence, then the best span in it, and judge it.

    Args:
        terms: the analysed question's terms.
        candidates: the sentences of the retrieved passages.
        stats: the index's term statistics.
        model: the trained reader.
        documents: the matching terms of the candidates' documents (sets, or
            containers that answer membership as the sets would).
        checks: the checks the chosen sentence and the runner-up must pass.

    Returns:
        The reading; ``candidates`` are the shortlisted sentences the rankers saw;
        ``best`` is None when there is no candidate or no question term.
    """
    if not candidates or not terms.weights:
        return Reading(terms, tuple(candidates), None, np.zeros(0, np.float32), "")
    cands = tuple(candidates[i] for i in shortlist(terms, candidates))
    # The terms of the shortlisted sentences' chunks (every sentence of each counts).
    wanted = {c.passage.chunk.id for c in cands}
    chunks = chunk_terms([c for c in candidates if c.passage.chunk.id in wanted])
    sx = sentence_features(terms, cands, stats, chunks, documents)
    scores = model.sentence_score(sx)
    top = int(np.argmax(scores))
    spans, px, span_scores = _ranked_spans(terms, cands, top, stats, model)
    best = int(np.argmax(span_scores))
    chosen_sentence = cands[top]
    before = chosen_sentence.previous.folded.text if chosen_sentence.previous else ""
    text = before + chosen_sentence.sentence.folded.text
    contrast = contrast_levels(
        terms.analysis.folded,
        text,
        None if documents is None else documents.get(chosen_sentence.sentence.doc_id),
    )
    document = chosen_sentence.passage.document

    def whole() -> str:
        return folded_document(document.text, document.title)

    stated = (
        measure_level(terms.analysis, text, whole),
        variant_level(terms.analysis.folded, text, whole),
    )
    features = confidence_features(sx, scores, top, px, span_scores, best, contrast, stated)
    chosen = spans[best]
    conflict = first_failure(terms.analysis, evidence_of(cands[top], chosen), checks)
    second = _second(cands, scores, top)
    margin = math.inf if second is None else float(scores[top] - scores[second])
    runner_up = None
    if second is not None and model.second_margin is not None and margin < model.second_margin:
        runner_up = _best_span(terms, cands, second, stats, model)
        if first_failure(terms.analysis, evidence_of(cands[second], runner_up), checks):
            runner_up = None
    return Reading(terms, cands, chosen, features, conflict, runner_up, margin)


def _second(cands: Sequence[Candidate], scores: npt.NDArray[np.float32], top: int) -> int | None:
    """The best-scored candidate after ``top`` that is another sentence (a sentence in
    two overlapping chunks is a candidate twice)."""
    chosen = cands[top].sentence
    best: int | None = None
    for i, c in enumerate(cands):
        same = c.sentence.doc_id == chosen.doc_id and c.sentence.start == chosen.start
        if i != top and not same and (best is None or scores[i] > scores[best]):
            best = i
    return best


def _best_span(
    terms: QuestionTerms,
    cands: Sequence[Candidate],
    sentence: int,
    stats: TermStatistics,
    model: ReaderModel,
) -> SpanCandidate:
    """The span ranker's best span in one sentence."""
    spans, _, scores = _ranked_spans(terms, cands, sentence, stats, model)
    return spans[int(np.argmax(scores))]


def _ranked_spans(
    terms: QuestionTerms,
    cands: Sequence[Candidate],
    sentence: int,
    stats: TermStatistics,
    model: ReaderModel,
) -> tuple[list[SpanCandidate], npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """One sentence's candidate spans (the whole sentence when it has none), their
    feature rows and the span ranker's scores."""
    spans = span_candidates(terms, cands, [sentence])
    if not spans:
        text = cands[sentence].sentence.folded.text
        spans = [SpanCandidate(sentence, 0, len(text), frozenset({"sentence"}))]
    px = span_features(terms, cands, spans, stats, model.tables)
    return spans, px, model.span_score(px)
