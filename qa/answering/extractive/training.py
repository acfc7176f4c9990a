"""Training the reader: feature rows from questions with known answers, and the fit.

Training data comes from the same pipeline users run: each question is retrieved with
the assistant's own searcher, its candidate sentences are the ones the reader would
read, and labels come from the gold answers:

* a sentence is relevant when it holds a gold answer (script-folded) and belongs to a
  gold document (or any document, where the question names none);
* a span is graded 0 to :data:`SPAN_GRADES` by the character-overlap F1 of its text with
  the best gold.

:func:`fit` trains the sentence ranker and the span ranker (LightGBM lambdarank; spans
are ranked within their sentence, as the reader uses them), then reads every question
with rankers trained without its group (out-of-fold) to train the confidence model on
what the reader really picks, calibrates that model with isotonic regression on its own
out-of-fold outputs, and sets the abstention threshold. Every split is grouped by
article: no question is scored by a model that saw its article.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from corpus.normalize import normalize_for_matching
from qa.analysis.question import analyze_question
from qa.answering.extractive.answerer import (
    SECOND_JOIN,
    SECOND_MARGIN,
    first_window,
    second_window,
)
from qa.answering.extractive.model import ReaderModel
from qa.answering.extractive.reader import read
from qa.answering.extractive.sentences import Candidate, SentencePool
from qa.answering.extractive.stages.confidence import CONFIDENCE_FEATURES
from qa.answering.extractive.stages.question import QuestionTerms, question_terms
from qa.answering.extractive.stages.sentence_features import (
    SENTENCE_FEATURES,
    sentence_features,
)
from qa.answering.extractive.stages.shortlist import chunk_terms, shortlist
from qa.answering.extractive.stages.span_candidates import span_candidates
from qa.answering.extractive.stages.span_features import SPAN_FEATURES, CharTables, span_features
from qa.answering.terms import TermStatistics
from qa.types import Passage

__all__ = [
    "AnswerFit",
    "MEAN_ANSWER_CHARS",
    "ReaderData",
    "TrainingQuestion",
    "OutOfFold",
    "char_f1",
    "collect",
    "concat",
    "fit",
    "fit_confidence",
    "fit_second_margin",
    "out_of_fold",
    "without_features",
    "fit_char_tables",
    "fit_rankers",
    "judge",
    "false_abstention_threshold",
]

logger = logging.getLogger(__name__)

SearchFunction = Callable[[str, int], Sequence[Passage]]

_COMMON: dict[str, Any] = {
    "learning_rate": 0.08,
    "num_leaves": 31,
    "min_data_in_leaf": 40,
    "feature_fraction": 0.9,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "verbose": -1,
    "seed": 13,
    "num_threads": 2,
}
RANK_PARAMS: dict[str, Any] = {
    **_COMMON,
    "objective": "lambdarank",
    "lambdarank_truncation_level": 10,
}
CONFIDENCE_PARAMS: dict[str, Any] = {
    **_COMMON,
    "objective": "binary",
    "num_leaves": 15,
    "min_data_in_leaf": 30,
}

SPAN_GRADES = 10
"""The span ranker's top grade: a span's label is its character F1 with the best gold,
rounded to tenths (out of fold, 0-10 gave short F1 0.724 against 0.716 with 0-4:
``docs/scripts/span_given_sentence.py --grades``)."""

ORIGIN_WEIGHTS: Mapping[str, float] = {"generated near miss": 4.0, "held-out": 2.0}
"""The weight of a training row in the confidence model, by where the question comes
from (others 1): the generated near misses (a year, an entity, an attribute the article
does not give: 1,502 rows beside 6,743 answerable ones) and the questions whose article
is left out of the corpus. Measured out of fold with ``docs/scripts/
confidence_variants.py``: the generated near misses of the dev part abstain 0.874 at 5%
false abstention against 0.800 unweighted, the held-out questions 0.879 against 0.881
(docs/decisions.md)."""

RANK_ROUNDS = 250
ANSWER_CHARS = 80
"""The answer budget the confidence model's labels assume (AssistantConfig's default)."""
CONFIDENCE_ROUNDS = 200


@dataclass(frozen=True, slots=True)
class TrainingQuestion:
    """A question with its gold answers, for training.

    Attributes:
        question: the question text.
        answers: acceptable answers (any script); empty when the corpus cannot answer.
        doc_ids: the gold documents (empty: any document holding an answer counts).
        group: the cross-validation group (the article), so that questions of one
            article never sit on both sides of a split.
        confidence_only: the question trains the confidence model only (generated near
            misses): the rankers and their character tables never see it, so they are
            fitted on the same rows with or without near misses.
    """

    question: str
    answers: tuple[str, ...]
    doc_ids: tuple[str, ...] = ()
    group: str = ""
    confidence_only: bool = False


@dataclass(frozen=True, slots=True)
class QuestionRows:
    """What :func:`collect` kept of one question (for refitting and calibration)."""

    item: TrainingQuestion
    terms: QuestionTerms
    candidates: tuple[Candidate, ...]
    golds: tuple[str, ...]
    documents: Mapping[str, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class ReaderData:
    """Feature rows of many questions.

    Attributes:
        questions: one entry per question.
        sentence_x: rows of :data:`SENTENCE_FEATURES`.
        sentence_y: 1 where the sentence holds a gold answer.
        sentence_q: the question index of each sentence row.
        span_x: rows of :data:`SPAN_FEATURES`.
        span_y: the graded relevance of each span (0 to :data:`SPAN_GRADES`, from
            :func:`char_f1`).
        span_q: the question index of each span row.
        span_sentence: the sentence row each span belongs to.
        groups: the cross-validation group of each question.
        span_first: the first character of each span (for the character tables).
        span_last: the last character of each span.
    """

    questions: tuple[QuestionRows, ...]
    sentence_x: npt.NDArray[np.float32]
    sentence_y: npt.NDArray[np.int8]
    sentence_q: npt.NDArray[np.int64]
    span_x: npt.NDArray[np.float32]
    span_y: npt.NDArray[np.int8]
    span_q: npt.NDArray[np.int64]
    span_sentence: npt.NDArray[np.int64]
    groups: tuple[str, ...] = field(default=())
    span_first: tuple[str, ...] = field(default=())
    span_last: tuple[str, ...] = field(default=())


def char_f1(prediction: str, golds: Sequence[str]) -> float:
    """Best character-overlap F1 of ``prediction`` against folded ``golds`` (bags of
    characters, punctuation and spaces ignored)."""
    pred = Counter(c for c in normalize_for_matching(prediction) if c.isalnum())
    if not pred:
        return 0.0
    best = 0.0
    for gold in golds:
        ref = Counter(c for c in gold if c.isalnum())
        common = sum((pred & ref).values())
        if common:
            p = common / sum(pred.values())
            r = common / sum(ref.values())
            best = max(best, 2 * p * r / (p + r))
    return best


def _holds(text: str, golds: Sequence[str]) -> bool:
    return any(g and g in text for g in golds)


def collect(
    questions: Iterable[TrainingQuestion],
    search: SearchFunction,
    stats: TermStatistics,
    *,
    passages: int = 5,
    span_sentences: int = 4,
    progress: Callable[[int], None] | None = None,
) -> ReaderData:
    """Feature rows for ``questions``.

    Args:
        questions: the training questions.
        search: ``search(question, k)`` -> passages, best first (the assistant's own).
        stats: the index's term statistics.
        passages: passages read per question (as the answerer reads them).
        span_sentences: span candidates are taken from this many sentences with the
            highest term coverage, plus every sentence holding a gold answer.
        progress: called with the number of questions done.

    Returns:
        The rows.
    """
    pool = SentencePool(stats)
    kept: list[QuestionRows] = []
    s_x: list[npt.NDArray[np.float32]] = []
    s_y: list[int] = []
    s_q: list[int] = []
    p_x: list[npt.NDArray[np.float32]] = []
    p_y: list[int] = []
    p_q: list[int] = []
    p_s: list[int] = []
    p_first: list[str] = []
    p_last: list[str] = []
    for done, item in enumerate(questions, start=1):
        analysis = analyze_question(item.question)
        terms = question_terms(analysis, stats)
        retrieved = search(item.question, passages)
        cands = tuple(pool.candidates(retrieved))
        if progress is not None:
            progress(done)
        if not cands or not terms.weights:
            continue
        golds = tuple(normalize_for_matching(g) for g in item.answers if g.strip())
        q = len(kept)
        documents = {p.document.id: pool.document_terms(p.document) for p in retrieved}
        kept.append(QuestionRows(item, terms, cands, golds, documents))
        # The rankers see the shortlist the reader will give them.
        chunks = chunk_terms(cands)
        cands = tuple(cands[i] for i in shortlist(terms, cands))
        x = sentence_features(terms, cands, stats, chunks, documents)
        gold_docs = set(item.doc_ids)
        labels = [
            int(
                bool(golds)
                and _holds(c.sentence.folded.text, golds)
                and (not gold_docs or c.sentence.doc_id in gold_docs)
            )
            for c in cands
        ]
        base = len(s_y)
        s_x.append(x)
        s_y.extend(labels)
        s_q.extend([q] * len(cands))
        cov = x[:, SENTENCE_FEATURES.index("cov")]
        chosen = [int(i) for i in np.argsort(-cov, kind="stable")[:span_sentences]]
        chosen += [i for i, y in enumerate(labels) if y and i not in chosen]
        spans = span_candidates(terms, cands, chosen)
        if not spans:
            continue
        p_x.append(span_features(terms, cands, spans, stats))
        for span in spans:
            text = cands[span.sentence].sentence.folded.text[span.start : span.end]
            p_y.append(round(SPAN_GRADES * char_f1(text, golds)) if golds else 0)
            p_first.append(text[:1])
            p_last.append(text[-1:])
            p_q.append(q)
            p_s.append(base + span.sentence)
    width_s, width_p = len(SENTENCE_FEATURES), len(SPAN_FEATURES)
    return ReaderData(
        questions=tuple(kept),
        sentence_x=np.vstack(s_x) if s_x else np.zeros((0, width_s), np.float32),
        sentence_y=np.asarray(s_y, dtype=np.int8),
        sentence_q=np.asarray(s_q, dtype=np.int64),
        span_x=np.vstack(p_x) if p_x else np.zeros((0, width_p), np.float32),
        span_y=np.asarray(p_y, dtype=np.int8),
        span_q=np.asarray(p_q, dtype=np.int64),
        span_sentence=np.asarray(p_s, dtype=np.int64),
        groups=tuple(r.item.group for r in kept),
        span_first=tuple(p_first),
        span_last=tuple(p_last),
    )


def _ranker(
    x: npt.NDArray[np.float32], y: npt.NDArray[np.int8], query: npt.NDArray[np.int64]
) -> Any:
    """A lambdarank model over rows grouped by ``query`` (queries without a relevant row
    are left out: they teach a ranker nothing)."""
    try:
        import lightgbm
    except ImportError as err:
        raise _needs_train_extra("lightgbm") from err

    keep = np.zeros(len(y), dtype=bool)
    for q in np.unique(query[y > 0]):
        keep |= query == q
    idx = np.flatnonzero(keep)
    idx = idx[np.argsort(query[idx], kind="stable")]
    _, sizes = np.unique(query[idx], return_counts=True)
    dataset = lightgbm.Dataset(x[idx], label=y[idx], group=sizes)
    return lightgbm.train(RANK_PARAMS, dataset, num_boost_round=RANK_ROUNDS)


def _needs_train_extra(package: str) -> ImportError:
    """The error for a training package that is not installed (answering needs none)."""
    return ImportError(
        f'training the reader needs {package} - install the "train" extra '
        "(pip install 'zhnews-qa[train]') to enable it"
    )


def _folds(groups: Sequence[str], k: int, seed: int) -> npt.NDArray[np.int64]:
    """A fold number per question, grouped: every question of one group in one fold."""
    names = sorted(set(groups))
    rng = np.random.default_rng(seed)
    rng.shuffle(names)
    fold_of = {g: i % k for i, g in enumerate(names)}
    return np.array([fold_of[g] for g in groups], dtype=np.int64)


def fit_char_tables(
    data: ReaderData, questions: npt.NDArray[np.bool_], *, smoothing: float = 1.0
) -> CharTables:
    """First/last-character log-odds of gold answers against candidate spans, per
    answer type, from the gold answers of ``questions`` (characters seen at least three
    times among the golds of a type)."""
    gold_first: dict[str, Counter[str]] = {}
    gold_last: dict[str, Counter[str]] = {}
    for q in np.flatnonzero(questions):
        rows = data.questions[q]
        kind = rows.terms.analysis.answer_type
        for gold in rows.golds[:1]:
            chars = [c for c in gold if c.isalnum()]
            if chars:
                gold_first.setdefault(kind, Counter())[chars[0]] += 1
                gold_last.setdefault(kind, Counter())[chars[-1]] += 1
    rows_mask = questions[data.span_q]
    background_first = Counter(
        f for f, keep in zip(data.span_first, rows_mask, strict=True) if keep
    )
    background_last = Counter(c for c, keep in zip(data.span_last, rows_mask, strict=True) if keep)

    def table(gold: Counter[str], background: Counter[str]) -> dict[str, float]:
        vocabulary = len(background) + 1
        g_total = sum(gold.values()) + smoothing * vocabulary
        b_total = sum(background.values()) + smoothing * vocabulary
        return {
            ch: round(
                math.log((n + smoothing) / g_total)
                - math.log((background.get(ch, 0) + smoothing) / b_total),
                4,
            )
            for ch, n in gold.items()
            if n >= 3
        }

    return CharTables(
        {k: table(c, background_first) for k, c in gold_first.items()},
        {k: table(c, background_last) for k, c in gold_last.items()},
    )


def _with_char_scores(data: ReaderData, tables: CharTables) -> npt.NDArray[np.float32]:
    """The span rows with the character-table columns filled from ``tables``."""
    x = data.span_x.copy()
    first_col = SPAN_FEATURES.index("first_char_score")
    last_col = SPAN_FEATURES.index("last_char_score")
    kinds = [rows.terms.analysis.answer_type for rows in data.questions]
    for i, (q, first, last) in enumerate(
        zip(data.span_q.tolist(), data.span_first, data.span_last, strict=True)
    ):
        x[i, first_col], x[i, last_col] = tables.score(kinds[q], first, last)
    return x


def fit_rankers(data: ReaderData, questions: npt.NDArray[np.bool_]) -> tuple[str, str, CharTables]:
    """The sentence and span rankers trained on ``questions`` (as LightGBM text), and the
    character tables their span features use (questions marked ``confidence_only`` left
    out)."""
    questions = questions & ~np.array([r.item.confidence_only for r in data.questions], dtype=bool)
    rows = questions[data.sentence_q]
    sentence = _ranker(data.sentence_x[rows], data.sentence_y[rows], data.sentence_q[rows])
    tables = fit_char_tables(data, questions)
    # The span ranker trains on character scores from tables that did not see the
    # question's own gold (out of fold), as it will meet them on new questions.
    span_x = data.span_x.copy()
    fold = _folds(data.groups, 5, 7)
    for k in range(5):
        part = questions & (fold == k)
        if part.any():
            rows = part[data.span_q]
            scored = _with_char_scores(data, fit_char_tables(data, questions & (fold != k)))
            span_x[rows] = scored[rows]
    rows = questions[data.span_q]
    span = _ranker(span_x[rows], data.span_y[rows], data.span_sentence[rows])
    return sentence.model_to_string(), span.model_to_string(), tables


@dataclass(frozen=True, slots=True)
class Judged:
    """One question read by out-of-fold rankers: its confidence features and whether
    the answer text holds a gold answer.

    Attributes:
        question: the question's index.
        features: the reading's row of confidence features.
        right: the answer text of the chosen sentence alone holds a gold answer (and
            the sentence supports the question).
        conflict: the chosen sentence contradicts the question (a hard abstention).
        answerable: the question has gold answers.
        margin: the sentence ranker's margin over the next other sentence.
        chars: characters of the answer text (the chosen sentence's window).
        second_chars: characters the runner-up sentence's window would add (with its
            joint); 0 when there is no usable runner-up.
        second_right: that window holds a gold answer.
    """

    question: int
    features: npt.NDArray[np.float32]
    right: bool
    conflict: bool
    answerable: bool
    margin: float = math.inf
    chars: int = 0
    second_chars: int = 0
    second_right: bool = False

    def right_with(self, second_margin: float | None) -> bool:
        """Whether the answer holds a gold answer when runner-ups are quoted below
        ``second_margin``."""
        widened = second_margin is not None and self.second_chars and self.margin < second_margin
        return self.right or (bool(widened) and self.second_right and not self.conflict)


def judge(
    rows: QuestionRows,
    stats: TermStatistics,
    model: ReaderModel,
    index: int,
    answer_chars: int = ANSWER_CHARS,
) -> Judged:
    """Read one collected question with ``model`` and say whether the answer is right,
    and whether quoting the runner-up sentence would make it right.

    The answer is composed by the answerer's own functions
    (:func:`~qa.answering.extractive.answerer.first_window` and
    :func:`~qa.answering.extractive.answerer.second_window`: the clause window within
    the budgets of the question's answer type, the runner-up's within
    :data:`~qa.answering.extractive.answerer.SECOND_CHARS`), so the labels are those of
    the answers users get. The runner-up is recorded where the model's
    ``second_margin`` admits one: :func:`out_of_fold` reads with an infinite one, so
    every reading has its runner-up, and :meth:`Judged.right_with` applies the margin
    fitted afterwards."""
    reading = read(rows.terms, rows.candidates, stats, model, rows.documents)
    answerable = bool(rows.golds)
    if reading.best is None:
        return Judged(
            index, np.zeros(len(CONFIDENCE_FEATURES), np.float32), False, False, answerable
        )
    text, _ = first_window(reading, answer_chars)
    right = answerable and not reading.conflict and _holds(normalize_for_matching(text), rows.golds)
    second_chars, second_right = 0, False
    if reading.runner_up is not None:
        more = second_window(reading, answer_chars)
        second_chars = len(SECOND_JOIN) + len(more)
        second_right = answerable and _holds(normalize_for_matching(more), rows.golds)
    return Judged(
        index,
        reading.features,
        right,
        bool(reading.conflict),
        answerable,
        reading.margin,
        len(text),
        second_chars,
        second_right,
    )


MEAN_ANSWER_CHARS = 58
"""The mean answer length (answerable out-of-fold readings, runner-ups included) that
the runner-up margin may not take the answers past: the product allows 60 characters,
2 are kept back for the spread between folds. Since the answerer quotes a runner-up
only below :data:`~qa.answering.extractive.answerer.SECOND_MARGIN` as well
(docs/decisions.md, "Answers quote the clause", 2026-12-07), this budget bounds the
fitted margin from below that cap; with the clause windows it is seldom reached."""


def fit_second_margin(
    judged: Sequence[Judged],
    budget: float = MEAN_ANSWER_CHARS,
    cap: float = SECOND_MARGIN,
) -> float | None:
    """The sentence-ranker margin below which the runner-up sentence is quoted: the
    largest margin, at most ``cap``, that keeps the mean answer length of the
    answerable readings within ``budget`` characters (None: no runner-up fits, or there
    is nothing to widen).

    Readings are widened in order of their margin (the least decided first), which is
    the order :func:`read` applies at answer time. ``cap`` is the answerer's own limit
    (:data:`~qa.answering.extractive.answerer.SECOND_MARGIN`): the answerer never quotes
    a runner-up at or above it, so neither do the labels
    (:meth:`Judged.right_with`), and the margin stored in the model is the one the
    answers really use.
    """
    rows = [j for j in judged if j.answerable and j.chars and not j.conflict]
    if not rows:
        return None
    total = float(sum(j.chars for j in rows))
    limit = budget * len(rows)
    if total > limit:
        return None
    widened = sorted((j for j in rows if j.second_chars and j.margin < cap), key=lambda j: j.margin)
    best: float | None = None
    for j in widened:
        if total + j.second_chars > limit:
            # Just above the last margin taken: ``read`` widens when
            # ``margin < second_margin``.
            return None if best is None else float(np.nextafter(best, np.inf))
        total += j.second_chars
        best = j.margin
    if best is None:
        return None
    # Every runner-up below the cap fits: the cap itself (just above the last margin
    # without one).
    return float(cap) if math.isfinite(cap) else float(np.nextafter(best, np.inf))


def _confidence_model(
    x: npt.NDArray[np.float32],
    y: npt.NDArray[np.int8],
    weight: npt.NDArray[np.float64] | None = None,
) -> Any:
    try:
        import lightgbm
    except ImportError as err:
        raise _needs_train_extra("lightgbm") from err

    dataset = lightgbm.Dataset(x, label=y, weight=weight)
    return lightgbm.train(CONFIDENCE_PARAMS, dataset, num_boost_round=CONFIDENCE_ROUNDS)


def _isotonic(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.int8]
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    try:
        from sklearn.isotonic import IsotonicRegression
    except ImportError as err:
        raise _needs_train_extra("scikit-learn") from err

    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
    iso.fit(x, y.astype(np.float64))
    return (
        tuple(float(v) for v in iso.X_thresholds_),
        tuple(float(v) for v in iso.y_thresholds_),
    )


def concat(parts: Sequence[ReaderData]) -> ReaderData:
    """One :class:`ReaderData` of several (question and row indices renumbered)."""
    questions: list[QuestionRows] = []
    sx, sy, sq, px, py, pq, ps = [], [], [], [], [], [], []
    first: list[str] = []
    last: list[str] = []
    q_base = s_base = 0
    for part in parts:
        questions += part.questions
        sx.append(part.sentence_x)
        sy.append(part.sentence_y)
        sq.append(part.sentence_q + q_base)
        px.append(part.span_x)
        py.append(part.span_y)
        pq.append(part.span_q + q_base)
        ps.append(part.span_sentence + s_base)
        first += part.span_first
        last += part.span_last
        q_base += len(part.questions)
        s_base += len(part.sentence_y)
    return ReaderData(
        questions=tuple(questions),
        sentence_x=np.vstack(sx),
        sentence_y=np.concatenate(sy),
        sentence_q=np.concatenate(sq),
        span_x=np.vstack(px),
        span_y=np.concatenate(py),
        span_q=np.concatenate(pq),
        span_sentence=np.concatenate(ps),
        groups=tuple(q.item.group for q in questions),
        span_first=tuple(first),
        span_last=tuple(last),
    )


@dataclass(frozen=True)
class OutOfFold:
    """Every question read by rankers trained without its fold.

    Attributes:
        fold: the fold of each question.
        rankers: per fold, ``(sentence model, span model, tables)`` trained on the other
            folds.
        judged: one judgement per question, in question order.
    """

    fold: npt.NDArray[np.int64]
    rankers: tuple[tuple[str, str, CharTables], ...]
    judged: tuple[Judged, ...]


def out_of_fold(
    data: ReaderData,
    stats: Sequence[TermStatistics],
    *,
    folds: int = 5,
    seed: int = 13,
    progress: Callable[[str], None] | None = None,
) -> OutOfFold:
    """Train rankers on every ``folds - 1`` folds and read the held-out fold with them.

    Args:
        data: the collected rows.
        stats: the term statistics of each question's corpus.
        folds: number of folds (grouped by ``data.groups``).
        seed: seed of the fold assignment.
        progress: called with a short description of each step.
    """
    say = progress or (lambda _step: None)
    fold = _folds(data.groups, folds, seed)
    rankers: list[tuple[str, str, CharTables]] = []
    judged: dict[int, Judged] = {}
    for k in range(folds):
        say(f"fold {k + 1} of {folds}: training the rankers, reading the held-out fold")
        s_text, p_text, tables = fit_rankers(data, fold != k)
        rankers.append((s_text, p_text, tables))
        inner = ReaderModel(s_text, p_text, tables=tables, second_margin=math.inf)
        for q in np.flatnonzero(fold == k):
            judged[int(q)] = judge(data.questions[q], stats[int(q)], inner, int(q))
    return OutOfFold(fold, tuple(rankers), tuple(judged[q] for q in range(len(data.questions))))


def without_features(oof: OutOfFold, names: Sequence[str]) -> OutOfFold:
    """The out-of-fold readings with the confidence features ``names`` set to 0 (a
    constant column, which no tree splits on): the readings as a confidence model
    without those features sees them, for ablations.

    Raises:
        ValueError: for a name not in :data:`CONFIDENCE_FEATURES`.
    """
    unknown = [n for n in names if n not in CONFIDENCE_FEATURES]
    if unknown:
        raise ValueError(f"not confidence features: {unknown}; see CONFIDENCE_FEATURES")
    columns = [CONFIDENCE_FEATURES.index(n) for n in names]
    judged = []
    for j in oof.judged:
        features = j.features.copy()
        if len(features):
            features[columns] = 0.0
        judged.append(replace(j, features=features))
    return OutOfFold(oof.fold, oof.rankers, tuple(judged))


MAX_FALSE_ABSTENTION = 0.05
"""The share of answerable questions the product may turn away."""

THRESHOLD_BUDGET = 0.045
"""The share the threshold is fitted to turn away on the out-of-fold readings: a margin
below :data:`MAX_FALSE_ABSTENTION`, as the model users get (trained on every question)
is not the one that read them (a retrain fitted at 0.05 turned away 0.050 of the
cross-validated answers)."""


def false_abstention_threshold(
    confidence: npt.NDArray[np.float64],
    answerable: npt.NDArray[np.bool_],
    budget: float = MAX_FALSE_ABSTENTION,
) -> float:
    """The highest threshold at which at most ``budget`` of the answerable questions
    abstain (abstain when ``confidence < threshold``)."""
    scores = np.sort(confidence[answerable])
    if len(scores) == 0:
        return 0.0
    allowed = int(np.floor(budget * len(scores)))
    return float(scores[allowed]) if allowed < len(scores) else float(scores[-1])


@dataclass(frozen=True, slots=True)
class AnswerFit:
    """What :func:`fit_confidence` fits on out-of-fold readings.

    Attributes:
        confidence_model: LightGBM text model of P(answer right).
        calibration: its isotonic calibration points.
        threshold: the abstention threshold.
        second_margin: the sentence-ranker margin below which the runner-up sentence
            is quoted too (None: never).
    """

    confidence_model: str
    calibration: tuple[tuple[float, ...], tuple[float, ...]]
    threshold: float
    second_margin: float | None


def fit_confidence(
    judged: Sequence[Judged],
    groups: Sequence[str],
    *,
    folds: int = 5,
    seed: int = 13,
    max_false_abstention: float = THRESHOLD_BUDGET,
    mean_answer_chars: float = MEAN_ANSWER_CHARS,
    weights: Sequence[float] | None = None,
) -> AnswerFit:
    """The runner-up margin, the confidence model, its isotonic calibration and the
    abstention threshold.

    The margin comes first (:func:`fit_second_margin`, capped at the answerer's
    :data:`~qa.answering.extractive.answerer.SECOND_MARGIN`), so that the confidence
    model learns P(answer right) of the answers users get, runner-ups included; it is
    calibrated on its own out-of-fold outputs (grouped); the threshold is the highest
    at which at most ``max_false_abstention`` of the answerable judgements would
    abstain. ``weights`` (one per judgement) weigh the rows of the confidence model
    (default: all alike); the calibration and the threshold count every row once.
    """
    second_margin = fit_second_margin(judged, mean_answer_chars)
    x = np.vstack([j.features for j in judged])
    y = np.array([j.right_with(second_margin) for j in judged], dtype=np.int8)
    w = None if weights is None else np.asarray(weights, dtype=np.float64)
    model = _confidence_model(x, y, w).model_to_string()
    raw = np.zeros(len(judged))
    fold = _folds(list(groups), folds, seed + 1)
    for k in range(folds):
        train, test = fold != k, fold == k
        if train.any() and test.any() and len(set(y[train].tolist())) > 1:
            part = None if w is None else w[train]
            raw[test] = _confidence_model(x[train], y[train], part).predict(x[test], num_threads=2)
    calibration = _isotonic(raw, y)
    calibrated = np.interp(raw, *calibration)
    answerable = np.array([j.answerable for j in judged])
    threshold = false_abstention_threshold(calibrated, answerable, max_false_abstention)
    return AnswerFit(model, calibration, threshold, second_margin)


def fit(
    data: ReaderData,
    stats: Sequence[TermStatistics],
    *,
    folds: int = 5,
    seed: int = 13,
    meta: dict[str, Any] | None = None,
    oof: OutOfFold | None = None,
    progress: Callable[[str], None] | None = None,
    weights: Sequence[float] | None = None,
) -> ReaderModel:
    """Train the reader on all collected questions.

    Args:
        data: the collected rows (answerable and unanswerable questions).
        stats: the term statistics of each question's corpus.
        folds: folds of the out-of-fold readings the confidence model learns from.
        seed: seed of the fold assignment.
        meta: facts recorded in the model file.
        oof: out-of-fold readings computed already (by :func:`out_of_fold` with the
            same folds), to reuse.
        progress: called with a short description of each step.
        weights: the weight of each question's row in the confidence model (default:
            all alike; see :data:`ORIGIN_WEIGHTS`).

    Returns:
        The model.
    """
    say = progress or (lambda _step: None)
    oof = oof or out_of_fold(data, stats, folds=folds, seed=seed, progress=progress)
    say("training the rankers on every question")
    everything = np.ones(len(data.questions), dtype=bool)
    sentence_text, span_text, tables = fit_rankers(data, everything)
    say("training and calibrating the confidence model")
    groups = [data.groups[j.question] for j in oof.judged]
    row_weights = None if weights is None else [weights[j.question] for j in oof.judged]
    answers = fit_confidence(oof.judged, groups, folds=folds, seed=seed, weights=row_weights)
    right = np.array([j.right_with(answers.second_margin) for j in oof.judged])
    answerable = np.array([j.answerable for j in oof.judged])
    info = dict(meta or {})
    info.update(
        {
            "questions": len(data.questions),
            "answerable": int(answerable.sum()),
            "folds": folds,
            "seed": seed,
            "oof_answer_right": float(right[answerable].mean()) if answerable.any() else 0.0,
            "threshold_rule": (
                f"at most {THRESHOLD_BUDGET:.1%} of answerable out-of-fold readings abstain "
                f"(a margin below the {MAX_FALSE_ABSTENTION:.0%} budget)"
            ),
            "second_margin_rule": (
                f"the largest sentence-ranker margin, at most {SECOND_MARGIN} (the "
                "answerer's cap), below which quoting the runner-up keeps the mean "
                f"out-of-fold answer within {MEAN_ANSWER_CHARS} characters"
            ),
        }
    )
    return ReaderModel(
        sentence_text,
        span_text,
        answers.confidence_model,
        answers.calibration,
        answers.threshold,
        info,
        tables,
        answers.second_margin,
    )
