"""Training the reader: feature rows from questions with known answers, and the fit.

Training data comes from the same pipeline users run: each question is retrieved with
the assistant's own searcher, its candidate sentences are the ones the reader would
read, and labels come from the gold answers:

* a sentence is relevant when it holds a gold answer (script-folded) and belongs to a
  gold document (or any document, where the question names none);
* a span is graded 0-4 by the character-overlap F1 of its text with the best gold.

:func:`fit` trains the sentence ranker and the span ranker (LightGBM lambdarank; spans
are ranked within their sentence, as the reader uses them), then reads every question
with rankers trained without its group (out-of-fold) to train the confidence model on
what the reader really picks, calibrates that model with isotonic regression on its own
out-of-fold outputs, and sets the abstention threshold. Every split is grouped by
article: no question is scored by a model that saw its article.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from corpus.normalize import normalize_for_matching
from qa.analysis.question import analyze_question
from qa.answering.extractive.features import (
    CONFIDENCE_FEATURES,
    SENTENCE_FEATURES,
    SPAN_FEATURES,
    QuestionTerms,
    question_terms,
    sentence_features,
    span_candidates,
    span_features,
)
from qa.answering.extractive.model import ReaderModel
from qa.answering.extractive.reader import answer_span, read
from qa.answering.extractive.sentences import Candidate, SentencePool
from qa.answering.terms import TermStatistics
from qa.types import Passage

__all__ = [
    "ReaderData",
    "TrainingQuestion",
    "char_f1",
    "collect",
    "fit",
    "fit_rankers",
    "judge",
    "youden_threshold",
]

logger = logging.getLogger(__name__)

SearchFunction = Callable[[str, int], Sequence[Passage]]

_COMMON: dict[str, Any] = {
    "learning_rate": 0.05,
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
RANK_ROUNDS = 400
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
    """

    question: str
    answers: tuple[str, ...]
    doc_ids: tuple[str, ...] = ()
    group: str = ""


@dataclass(frozen=True, slots=True)
class QuestionRows:
    """What :func:`collect` kept of one question (for refitting and calibration)."""

    item: TrainingQuestion
    terms: QuestionTerms
    candidates: tuple[Candidate, ...]
    golds: tuple[str, ...]


@dataclass(frozen=True)
class ReaderData:
    """Feature rows of many questions.

    Attributes:
        questions: one entry per question.
        sentence_x: rows of :data:`SENTENCE_FEATURES`.
        sentence_y: 1 where the sentence holds a gold answer.
        sentence_q: the question index of each sentence row.
        span_x: rows of :data:`SPAN_FEATURES`.
        span_y: the graded relevance of each span (0 to 4, from :func:`char_f1`).
        span_q: the question index of each span row.
        span_sentence: the sentence row each span belongs to.
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
        kept.append(QuestionRows(item, terms, cands, golds))
        x = sentence_features(terms, cands, stats)
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
            p_y.append(round(4 * char_f1(text, golds)) if golds else 0)
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
    )


def _ranker(
    x: npt.NDArray[np.float32], y: npt.NDArray[np.int8], query: npt.NDArray[np.int64]
) -> Any:
    """A lambdarank model over rows grouped by ``query`` (queries without a relevant row
    are left out: they teach a ranker nothing)."""
    import lightgbm

    keep = np.zeros(len(y), dtype=bool)
    for q in np.unique(query[y > 0]):
        keep |= query == q
    idx = np.flatnonzero(keep)
    idx = idx[np.argsort(query[idx], kind="stable")]
    _, sizes = np.unique(query[idx], return_counts=True)
    dataset = lightgbm.Dataset(x[idx], label=y[idx], group=sizes)
    return lightgbm.train(RANK_PARAMS, dataset, num_boost_round=RANK_ROUNDS)


def _folds(groups: Sequence[str], k: int, seed: int) -> npt.NDArray[np.int64]:
    """A fold number per question, grouped: every question of one group in one fold."""
    names = sorted(set(groups))
    rng = np.random.default_rng(seed)
    rng.shuffle(names)
    fold_of = {g: i % k for i, g in enumerate(names)}
    return np.array([fold_of[g] for g in groups], dtype=np.int64)


def fit_rankers(data: ReaderData, questions: npt.NDArray[np.bool_]) -> tuple[str, str]:
    """The sentence and span rankers trained on ``questions``, as LightGBM text."""
    rows = questions[data.sentence_q]
    sentence = _ranker(data.sentence_x[rows], data.sentence_y[rows], data.sentence_q[rows])
    rows = questions[data.span_q]
    span = _ranker(data.span_x[rows], data.span_y[rows], data.span_sentence[rows])
    return sentence.model_to_string(), span.model_to_string()


@dataclass(frozen=True, slots=True)
class Judged:
    """One question read by out-of-fold rankers: its confidence features and whether
    the answer text holds a gold answer."""

    question: int
    features: npt.NDArray[np.float32]
    right: bool
    conflict: bool
    answerable: bool


def judge(rows: QuestionRows, stats: TermStatistics, model: ReaderModel, index: int) -> Judged:
    """Read one collected question with ``model`` and say whether the answer is right."""
    reading = read(rows.terms, rows.candidates, stats, model)
    answerable = bool(rows.golds)
    if reading.best is None:
        return Judged(
            index, np.zeros(len(CONFIDENCE_FEATURES), np.float32), False, False, answerable
        )
    cand = reading.candidates[reading.best.sentence]
    a, b, _, _ = answer_span(cand, reading.best)
    text = normalize_for_matching(cand.passage.document.text[a:b])
    right = answerable and _holds(text, rows.golds)
    return Judged(index, reading.features, right, reading.conflict, answerable)


def _confidence_model(x: npt.NDArray[np.float32], y: npt.NDArray[np.int8]) -> Any:
    import lightgbm

    dataset = lightgbm.Dataset(x, label=y)
    return lightgbm.train(CONFIDENCE_PARAMS, dataset, num_boost_round=CONFIDENCE_ROUNDS)


def _isotonic(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.int8]
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    from sklearn.isotonic import IsotonicRegression

    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
    iso.fit(x, y.astype(np.float64))
    return (
        tuple(float(v) for v in iso.X_thresholds_),
        tuple(float(v) for v in iso.y_thresholds_),
    )


def youden_threshold(
    confidence: npt.NDArray[np.float64], answerable: npt.NDArray[np.bool_]
) -> float:
    """The threshold that maximises Youden's J: abstention on unanswerable questions minus
    abstention on answerable ones (abstain when ``confidence < threshold``)."""
    if answerable.all() or not answerable.any():
        return 0.0
    best, best_j = 0.0, -1.0
    for t in np.unique(confidence):
        j = float(np.mean(confidence[~answerable] < t) - np.mean(confidence[answerable] < t))
        if j > best_j:
            best, best_j = float(t), j
    return best


def fit(
    data: ReaderData,
    stats: TermStatistics | Sequence[TermStatistics],
    *,
    questions: npt.NDArray[np.bool_] | None = None,
    folds: int = 5,
    seed: int = 13,
    meta: dict[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[ReaderModel, list[Judged]]:
    """Train a reader on (a subset of) the collected questions.

    Args:
        data: the collected rows.
        stats: the term statistics the questions were collected with (one for all, or
            one per question).
        questions: which questions to train on (default all).
        folds: folds of the out-of-fold readings.
        seed: seed of the fold assignment.
        meta: facts recorded in the model file.
        progress: called with a short description of each step.

    Returns:
        The model, and the out-of-fold judgements of the training questions (their
        ``features`` are what the confidence model was trained on).
    """
    say = progress or (lambda _step: None)
    if questions is None:
        questions = np.ones(len(data.questions), dtype=bool)
    per_question = list(stats) if isinstance(stats, Sequence) else [stats] * len(data.questions)
    say("training the sentence and span rankers")
    sentence_text, span_text = fit_rankers(data, questions)
    fold = _folds(data.groups, folds, seed)
    judged: list[Judged] = []
    for k in range(folds):
        train_q = questions & (fold != k)
        test_q = np.flatnonzero(questions & (fold == k))
        if not train_q.any() or len(test_q) == 0:
            continue
        say(f"out-of-fold readings, fold {k + 1} of {folds}")
        inner = ReaderModel(*fit_rankers(data, train_q))
        judged += [judge(data.questions[q], per_question[q], inner, int(q)) for q in test_q]
    say("training and calibrating the confidence model")
    x = np.vstack([j.features for j in judged])
    y = np.array([j.right for j in judged], dtype=np.int8)
    confidence = _confidence_model(x, y).model_to_string()
    # Calibrate on out-of-fold outputs of the confidence model itself.
    raw = np.zeros(len(judged))
    jf = _folds([data.groups[j.question] for j in judged], folds, seed + 1)
    for k in range(folds):
        train, test = jf != k, jf == k
        if train.any() and test.any() and len(set(y[train].tolist())) > 1:
            raw[test] = _confidence_model(x[train], y[train]).predict(x[test], num_threads=2)
    calibration = _isotonic(raw, y)
    model = ReaderModel(sentence_text, span_text, confidence, calibration, 0.0, dict(meta or {}))
    calibrated = np.interp(raw, *calibration)
    answerable = np.array([j.answerable for j in judged])
    threshold = youden_threshold(calibrated, answerable)
    info = dict(model.meta)
    info.update(
        {
            "questions": int(questions.sum()),
            "answerable": int(answerable.sum()),
            "folds": folds,
            "seed": seed,
            "oof_answer_right": float(y[answerable].mean()) if answerable.any() else 0.0,
            "threshold": threshold,
            "threshold_rule": "Youden's J on out-of-fold readings (answerable vs not)",
        }
    )
    return (
        ReaderModel(sentence_text, span_text, confidence, calibration, threshold, info),
        judged,
    )
