"""The extractive answerer: the default backend, offline and CPU-only.

For each question: analyse it (answer type, constraints, context around the
interrogative), read the sentences of the top passages, rank them with the trained
sentence ranker, take the best span of the best sentence with the span ranker, and
judge the reading with the confidence model (calibrated: the estimated probability that
the answer is right). The answer is the clause window around the span (up to
``answer_chars`` characters), cited with the whole source sentence; the span itself is
the short answer. When the sentence ranker could hardly tell the best sentence from
the next (a margin below the model's fitted ``second_margin``), the answer quotes the
next sentence's window too, cited ``[2]``.

Abstention: a confidence below the threshold abstains; so does a sentence that
contradicts a constraint the question states (another ordinal, year or period: a near
miss), and then the abstention says what the corpus does state, cited. The messages of
an abstention are in the question's language (:mod:`qa.answering.messages`: English,
traditional or simplified Chinese); the quoted source text is in the question's script.
"""

from __future__ import annotations

from collections.abc import Sequence

from corpus.normalize import Script, detect_script, to_script
from corpus.progress import Progress
from corpus.sentences import clause_spans
from qa.analysis.question import analyze_question, asks_for_year
from qa.analysis.spans import tidy_span
from qa.answering.claims import load_tagger
from qa.answering.extractive.features import CONFIDENCE_FEATURES, SpanCandidate, question_terms
from qa.answering.extractive.model import ReaderModel, default_model
from qa.answering.extractive.reader import Reading, read
from qa.answering.extractive.sentences import Candidate, SentencePool
from qa.answering.messages import ABSTAIN_TEXTS, RELATED_TEXTS, abstain_text, related_text
from qa.answering.terms import TermStatistics
from qa.types import Citation, Draft, Passage, Question

__all__ = [
    "ABSTAIN_TEXT",
    "RELATED_MIN_COVERAGE",
    "RELATED_TEXT",
    "SECOND_JOIN",
    "ExtractiveAnswerer",
    "abstain_text",
    "answer_window",
    "clause_window",
]

ABSTAIN_TEXT = ABSTAIN_TEXTS["zh-Hans"]
"""The plain abstention in simplified Chinese (:func:`abstain_text` gives it in the
question's language: :mod:`qa.answering.messages`)."""
RELATED_TEXT = RELATED_TEXTS["zh-Hans"]
"""The start of an abstention that quotes the sources, in simplified Chinese."""
RELATED_MIN_COVERAGE = 0.25
"""An abstention quotes what the corpus does state only when that sentence covers at
least this share of the question's IDF-weighted terms: a related fact (第六届 for a
question about 第五届: 0.33-0.87 on the near-miss set), not a sentence that merely
contradicts a year of an off-topic question (0.03)."""
_COV = CONFIDENCE_FEATURES.index("cov")
SECOND_JOIN = "；另见："
"""Joins the runner-up sentence's window to the answer, when the answer quotes two."""
_STRIP = "，,：:；;、。！？!?… \u3000"


def clause_window(text: str, start: int, end: int, budget: int) -> tuple[int, int]:
    """The clauses of ``text`` holding ``[start, end)``, grown by whole neighbouring
    clauses (before first, then after) while the window stays within ``budget``
    characters.

    Returns:
        The window's offsets in ``text``.
    """
    clauses = clause_spans(text)
    if not clauses:
        return start, end
    inside = [i for i, (a, b) in enumerate(clauses) if b > start and a < end] or [0]
    lo, hi = inside[0], inside[-1]
    while True:
        grew = False
        if lo > 0 and clauses[hi][1] - clauses[lo - 1][0] <= budget:
            lo -= 1
            grew = True
        if hi + 1 < len(clauses) and clauses[hi + 1][1] - clauses[lo][0] <= budget:
            hi += 1
            grew = True
        if not grew:
            break
    return min(clauses[lo][0], start), max(clauses[hi][1], end)


def answer_window(
    candidate: Candidate, span: SpanCandidate, budget: int, *, year_only: bool = False
) -> tuple[str, str]:
    """The answer text for ``span`` (its clause window of at most ``budget``
    characters, see :func:`clause_window`) and the short answer (the span, its edges
    made whole by :func:`~qa.analysis.spans.tidy_span`), both in the source's own text,
    trimmed of edge punctuation."""
    sentence = candidate.sentence
    original = sentence.folded.original
    start, end = tidy_span(sentence.folded.text, span.start, span.end, year_only=year_only)
    s, e = sentence.folded.span(start, end)
    a, b = clause_window(original, s, e, budget)
    return original[a:b].strip(_STRIP), original[s:e].strip(_STRIP)


class ExtractiveAnswerer:
    """Cited answers from the source text, by a trained reader.

    Args:
        terms: the index's term statistics.
        model: the trained reader (default: the one shipped with the package).
        abstain_threshold: abstain below this confidence (default: the model's own,
            chosen when it was trained).
        answer_passages: how many top passages are read.
        answer_chars: the answer text's budget in characters (whole clauses around the
            short answer).

    Raises:
        ValueError: for ``answer_passages < 1``, ``answer_chars < 1`` or a threshold
            outside 0..1.
    """

    def __init__(
        self,
        terms: TermStatistics,
        *,
        model: ReaderModel | None = None,
        abstain_threshold: float | None = None,
        answer_passages: int = 5,
        answer_chars: int = 80,
    ) -> None:
        if answer_passages <= 0:
            raise ValueError("answer_passages must be greater than 0")
        if answer_chars <= 0:
            raise ValueError("answer_chars must be greater than 0")
        if abstain_threshold is not None and not 0.0 <= abstain_threshold <= 1.0:
            raise ValueError("abstain_threshold must be between 0 and 1")
        self._terms = terms
        self._model = model  # the shipped model loads on first use
        self._threshold = abstain_threshold
        self.answer_passages = answer_passages
        self.answer_chars = answer_chars
        self._pool = SentencePool(terms)

    @property
    def name(self) -> str:
        """``"extractive"``."""
        return "extractive"

    @property
    def model(self) -> ReaderModel:
        """The trained reader in use (the shipped one is read on first use).

        Raises:
            ValueError: when the shipped model file does not fit this version.
        """
        if self._model is None:
            self._model = default_model()
        return self._model

    def warm_up(self, progress: Progress | None = None) -> None:
        """Load the reader model and jieba's tagger now rather than on the first
        question (tens of milliseconds; jieba's cache is written once, a few seconds)."""
        del progress  # nothing here reports progress
        self.model.build_boosters()
        load_tagger()

    @property
    def abstain_threshold(self) -> float:
        """The confidence below which the answerer abstains."""
        return self.model.threshold if self._threshold is None else self._threshold

    def read(self, question: Question, passages: Sequence[Passage]) -> Reading:
        """The reader's decision for ``question`` (before rendering and abstention)."""
        analysis = analyze_question(question.query)
        terms = question_terms(analysis, self._terms)
        read_passages = passages[: self.answer_passages]
        candidates = self._pool.candidates(read_passages)
        documents = {p.document.id: self._pool.document_terms(p.document) for p in read_passages}
        return read(terms, candidates, self._terms, self.model, documents)

    def answer(self, question: Question, passages: Sequence[Passage]) -> Draft:
        """The cited answer, or an abstention.

        A follow-up is read as its resolved, standalone form (``question.query``).

        Args:
            question: the question.
            passages: the retrieved passages, best first.

        Returns:
            The draft; ``confidence`` is the calibrated probability that the answer is
            right, ``short_answer`` the bare answer span.
        """
        reading = self.read(question, passages)
        script = detect_script(question.text)
        if reading.best is None:
            return Draft(abstain_text(question.text), abstained=True, generator=self.name)
        confidence = self.model.confidence(reading.features)
        candidate = reading.candidates[reading.best.sentence]
        if reading.conflict:
            if reading.features[_COV] >= RELATED_MIN_COVERAGE:
                return self._related(question.text, candidate, script)
            # Off the subject: what the corpus states is not worth citing.
            return Draft(
                abstain_text(question.text), confidence=0.0, abstained=True, generator=self.name
            )
        if confidence < self.abstain_threshold:
            return Draft(
                abstain_text(question.text),
                confidence=confidence,
                abstained=True,
                generator=self.name,
            )
        year_only = asks_for_year(reading.analysis)
        body, short = answer_window(candidate, reading.best, self.answer_chars, year_only=year_only)
        text = f"{to_script(body, script)} [1]"
        citations = [_citation(candidate, 1)]
        if reading.runner_up is not None:
            # The ranker could hardly tell two sentences apart: quote both, each cited.
            other = reading.candidates[reading.runner_up.sentence]
            more, _ = answer_window(other, reading.runner_up, self.answer_chars)
            text += f"{to_script(SECOND_JOIN, script)}{to_script(more, script)} [2]"
            citations.append(_citation(other, 2))
        return Draft(
            text=text,
            citations=tuple(citations),
            confidence=confidence,
            abstained=False,
            short_answer=to_script(short, script),
            generator=self.name,
        )

    def _related(self, question: str, candidate: Candidate, script: Script) -> Draft:
        """An abstention that says what the corpus does state: the question asks about
        one ordinal, year or period and the best sentence is about another."""
        sentence = candidate.sentence
        original = sentence.folded.original
        stated = original.strip(_STRIP)
        if len(stated) > self.answer_chars:
            stated = stated[: self.answer_chars].rstrip(_STRIP) + "…"
        text = related_text(question) + f"{to_script(stated, script)} [1]"
        return Draft(
            text=text,
            citations=(_citation(candidate, 1),),
            # The best reading contradicts the question: no answer is believed right.
            confidence=0.0,
            abstained=True,
            generator=self.name,
        )


def _citation(candidate: Candidate, marker: int) -> Citation:
    doc = candidate.passage.document
    sentence = candidate.sentence
    return Citation(
        marker=marker,
        doc_id=doc.id,
        chunk_id=candidate.passage.chunk.id,
        start=sentence.start,
        end=sentence.end,
        quote=doc.text[sentence.start : sentence.end],
        title=doc.display_title,
        outlet=doc.outlet,
        date=doc.published or doc.get_meta("dateline_date"),
        url=doc.url,
    )
