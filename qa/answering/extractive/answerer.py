"""The extractive answerer: the default backend, offline and CPU-only.

For each question: analyse it (answer type, constraints, context around the
interrogative), read the sentences of the top passages, rank them with the trained
sentence ranker, take the best span of the best sentence with the span ranker, and
judge the reading with the confidence model (calibrated: the estimated probability that
the answer is right). The answer is the clause window around the span (whole clauses,
within the budgets of its answer type, :data:`WINDOWS`: a number's own clause, up to
``answer_chars`` characters for most types, more for an entity or a reason), cited with
the whole source sentence, which gives the clause its context; the span itself is the
short answer, fitted to the question (:mod:`.spans`: a whole enumeration for 哪些, the
name beside the role for 谁). When the sentence ranker could hardly tell the best
sentence from the next (a margin below both the model's fitted ``second_margin`` and
:data:`SECOND_MARGIN`), the answer quotes the next sentence's window too (at most
:data:`SECOND_CHARS`), cited ``[2]``.

A question about the article itself (its reporter, publication date or outlet) is
answered from the dateline, byline and loaded metadata instead
(:mod:`qa.answering.metadata`).

Abstention: a confidence below the threshold abstains; so does a sentence that
contradicts a constraint the question states (another ordinal, year or period: a near
miss), and then the abstention says what the corpus does state, cited. The messages of
an abstention are in the question's language (:mod:`qa.answering.messages`: English,
traditional or simplified Chinese); the quoted source text is in the question's script.
"""

from __future__ import annotations

from collections.abc import Sequence

from corpus.normalize import Script, detect_script, load_converters, to_script
from corpus.progress import Progress
from corpus.sentences import clause_spans
from qa.analysis.question import QuestionAnalysis, analyze_question, asks_for_year
from qa.analysis.spans import tidy_span
from qa.answering.claims import load_tagger
from qa.answering.extractive.model import ReaderModel, default_model
from qa.answering.extractive.reader import Reading, read
from qa.answering.extractive.sentences import DEFAULT_POOL_BYTES, Candidate, SentencePool
from qa.answering.extractive.spans import refine_span
from qa.answering.extractive.stages.confidence import CONFIDENCE_FEATURES
from qa.answering.extractive.stages.question import question_terms
from qa.answering.extractive.stages.span_candidates import SpanCandidate
from qa.answering.messages import ABSTAIN_TEXTS, RELATED_TEXTS, abstain_text, related_text
from qa.answering.metadata import answer_metadata, metadata_field
from qa.answering.terms import TermStatistics
from qa.lexicon import CHINESE_NUMERALS
from qa.types import Citation, Draft, Passage, Question

__all__ = [
    "ABSTAIN_TEXT",
    "RELATED_MIN_COVERAGE",
    "RELATED_TEXT",
    "SECOND_JOIN",
    "SECOND_CHARS",
    "SECOND_MARGIN",
    "WINDOWS",
    "ExtractiveAnswerer",
    "abstain_text",
    "answer_offsets",
    "answer_window",
    "clause_window",
    "first_window",
    "quotes_second",
    "second_window",
    "window_budget",
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
_TIME_UNITS = frozenset("年月日时分秒末初底")


WINDOWS: dict[str, tuple[int, int]] = {
    "number": (10, 30),
    "list": (10, 80),
    "entity": (80, 100),
    "reason": (80, 120),
}
"""The answer window per answer type, as (characters before the span's clause, the whole
window), for an ``answer_chars`` of 80 (scaled with it); other types take
(``answer_chars``, ``answer_chars``). A number is answered by its own clause (longer
windows held no more gold answers: 0.958 of 72 in-sample benchmark numbers at 30 and at
80 characters); an entity or a reason is often a phrase longer than the span the ranker
picks, so its window is wider (measured on samples of the pooled benchmark: see
docs/decisions.md)."""
SECOND_MARGIN = 1.0
"""The runner-up sentence is quoted only when the sentence ranker's margin is below both
this and the model's fitted ``second_margin`` (1.60 in the shipped model): the two
sentences are about as likely to answer. On 3,000 pooled benchmark questions the
margins from 1.0 to 1.6 quoted a runner-up in about one answer in ten for 0.003 of
contains-gold and 4 characters of mean answer length."""
SECOND_CHARS = 50
"""The runner-up's window at most (both of its budgets), for an ``answer_chars`` of 80."""


def clause_window(
    text: str, start: int, end: int, budget: int, before: int | None = None
) -> tuple[int, int]:
    """The clauses of ``text`` holding ``[start, end)``, grown by whole neighbouring
    clauses (before first, then after) while the window stays within ``budget``
    characters and what it takes before the span's own clause within ``before``.

    Args:
        text: the sentence.
        start: the span's start in ``text``.
        end: the span's end (exclusive).
        budget: the window's length at most (the span's clauses are always whole).
        before: characters at most taken before the span's first clause (default:
            ``budget``).

    Returns:
        The window's offsets in ``text``; ``text[a:b]`` always holds ``text[start:end]``.
    """
    clauses = clause_spans(text)
    if not clauses:
        return start, end
    before = budget if before is None else before
    inside = [i for i, (a, b) in enumerate(clauses) if b > start and a < end] or [0]
    lo, hi = inside[0], inside[-1]
    first = clauses[lo][0]
    while True:
        grew = False
        if (
            lo > 0
            and clauses[hi][1] - clauses[lo - 1][0] <= budget
            and first - clauses[lo - 1][0] <= before
        ):
            lo -= 1
            grew = True
        if hi + 1 < len(clauses) and clauses[hi + 1][1] - clauses[lo][0] <= budget:
            hi += 1
            grew = True
        if not grew:
            break
    return min(clauses[lo][0], start), max(clauses[hi][1], end)


def window_budget(answer_type: str, answer_chars: int) -> tuple[int, int]:
    """The (before, whole) budgets of :func:`clause_window` for an answer type
    (:data:`WINDOWS`, scaled to ``answer_chars``)."""
    if answer_type not in WINDOWS:
        return answer_chars, answer_chars
    before, whole = WINDOWS[answer_type]
    return max(1, before * answer_chars // 80), max(1, whole * answer_chars // 80)


def answer_offsets(
    candidate: Candidate,
    span: SpanCandidate,
    budget: int,
    *,
    year_only: bool = False,
    answer_type: str = "",
    analysis: QuestionAnalysis | None = None,
    limit: int | None = None,
) -> tuple[tuple[int, int], tuple[int, int]]:
    """Offsets, in the sentence's original text, of the answer window and of the short
    answer (see :func:`answer_window`), before edge punctuation is trimmed."""
    sentence = candidate.sentence
    folded = sentence.folded.text
    start, end = tidy_span(folded, span.start, span.end, year_only=year_only)
    if analysis is not None:
        start, end = refine_span(analysis, folded, start, end)
    s, e = sentence.folded.span(start, end)
    if answer_type == "number" and not _is_quantity(folded[start:end]):
        answer_type = "entity"  # no quantity in the span: likely wrong, so more context
    before, whole = window_budget(answer_type, budget) if answer_type else (budget, budget)
    if limit is not None:
        before, whole = min(before, limit), min(whole, limit)
    a, b = clause_window(sentence.folded.original, s, e, whole, before)
    return (a, b), (s, e)


def _is_quantity(span: str) -> bool:
    """Whether a span states a number and no date or time (``14个``, not ``10月末``)."""
    number = any(ch.isdigit() or ch in CHINESE_NUMERALS for ch in span)
    return number and not any(ch in _TIME_UNITS for ch in span)


def answer_window(
    candidate: Candidate,
    span: SpanCandidate,
    budget: int,
    *,
    year_only: bool = False,
    answer_type: str = "",
    analysis: QuestionAnalysis | None = None,
    limit: int | None = None,
) -> tuple[str, str]:
    """The answer text for ``span`` and the short answer, both in the source's own text,
    trimmed of edge punctuation.

    The answer text is the span's clause window (:func:`clause_window`): with
    ``answer_type``, within that type's budgets (:func:`window_budget`), else within
    ``budget`` characters either way; ``limit`` caps both budgets (a runner-up's window).
    The short answer is the span with its edges made
    whole by :func:`~qa.analysis.spans.tidy_span` and, given the question's
    ``analysis``, refined by :func:`~qa.answering.extractive.spans.refine_span` (a
    list's whole enumeration, the name beside the role asked about)."""
    original = candidate.sentence.folded.original
    (a, b), (s, e) = answer_offsets(
        candidate,
        span,
        budget,
        year_only=year_only,
        answer_type=answer_type,
        analysis=analysis,
        limit=limit,
    )
    return original[a:b].strip(_STRIP), original[s:e].strip(_STRIP)


def first_window(reading: Reading, answer_chars: int) -> tuple[str, str]:
    """The answer text and the short answer of a reading's chosen span, composed as
    the answerer composes them: the clause window within the budgets of the question's
    answer type (:func:`window_budget`), the short answer refined by the question's
    analysis, only the year where the question asks for one. Training
    (:func:`~qa.answering.extractive.training.judge`) labels readings with it.

    Raises:
        ValueError: for a reading without a chosen span.
    """
    if reading.best is None:
        raise ValueError("the reading has no chosen span: nothing to compose")
    analysis = reading.analysis
    return answer_window(
        reading.candidates[reading.best.sentence],
        reading.best,
        answer_chars,
        year_only=asks_for_year(analysis),
        answer_type=analysis.answer_type,
        analysis=analysis,
    )


def second_window(reading: Reading, answer_chars: int) -> str:
    """The runner-up's quotation, as the answerer appends it after :data:`SECOND_JOIN`:
    its clause window within the answer type's budgets, both capped at
    :data:`SECOND_CHARS` (scaled to ``answer_chars``). Whether it is quoted at all is
    :func:`quotes_second`.

    Raises:
        ValueError: for a reading without a runner-up.
    """
    if reading.runner_up is None:
        raise ValueError("the reading has no runner-up: nothing to compose")
    more, _ = answer_window(
        reading.candidates[reading.runner_up.sentence],
        reading.runner_up,
        answer_chars,
        answer_type=reading.analysis.answer_type,
        limit=max(1, SECOND_CHARS * answer_chars // 80),
    )
    return more


def quotes_second(reading: Reading) -> bool:
    """Whether the answer quotes the runner-up too: :func:`read` found one (its margin
    below the model's ``second_margin`` and its sentence passing the checks) and the
    margin is below :data:`SECOND_MARGIN` as well."""
    return reading.runner_up is not None and reading.margin < SECOND_MARGIN


class ExtractiveAnswerer:
    """Cited answers from the source text, by a trained reader.

    Args:
        terms: the index's term statistics.
        model: the trained reader (default: the one shipped with the package).
        abstain_threshold: abstain below this confidence (default: the model's own,
            chosen when it was trained).
        answer_passages: how many top passages are read.
        answer_chars: the answer text's budget in characters (whole clauses around the
            short answer; the per-type budgets of :data:`WINDOWS` scale with it).
        pool_bytes: memory for prepared sentences of recently read passages (see
            :class:`~qa.answering.extractive.sentences.SentencePool`).

    Raises:
        ValueError: for ``answer_passages < 1``, ``answer_chars < 1``, a threshold
            outside 0..1 or a negative ``pool_bytes``.
    """

    def __init__(
        self,
        terms: TermStatistics,
        *,
        model: ReaderModel | None = None,
        abstain_threshold: float | None = None,
        answer_passages: int = 5,
        answer_chars: int = 80,
        pool_bytes: int = DEFAULT_POOL_BYTES,
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
        self._pool = SentencePool(terms, pool_bytes)

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
        """Load the reader model, jieba's tagger and the script converters now rather than
        on the first question (tens of milliseconds; jieba's cache is written once, a few
        seconds)."""
        del progress  # nothing here reports progress
        self.model.build_boosters()
        load_tagger()
        load_converters()

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
        documents = {p.document.id: self._pool.document_term_set(p.document) for p in read_passages}
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
        field = metadata_field(question.text)
        if field is not None:
            # About the article itself (its reporter, date, outlet): its dateline,
            # byline and loaded metadata answer, not the reader (qa.answering.metadata).
            return answer_metadata(question.text, field, passages[: self.answer_passages])
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
        body, short = first_window(reading, self.answer_chars)
        text = f"{to_script(body, script)} [1]"
        citations = [_citation(candidate, 1)]
        if quotes_second(reading) and reading.runner_up is not None:
            # The ranker could hardly tell two sentences apart: quote both, each cited.
            other = reading.candidates[reading.runner_up.sentence]
            more = second_window(reading, self.answer_chars)
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
