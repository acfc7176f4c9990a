"""Measure the support threshold of citation verification on SQuAD-format benchmarks.

Verification keeps a generated sentence when its cited source sentences state its facts,
contain at least a threshold share of its words, and at least a second threshold share
of its new words, those the question does not have (:func:`qa.support_score`). To choose
the two thresholds from data, each benchmark question becomes one supported claim and up
to two unsupported ones:

* the **claim**: the question with its interrogative replaced by the gold answer
  (``创新子联盟由哪些企业牵头组建`` + ``浙江省能源集团等4家企业`` ->
  ``创新子联盟由浙江省能源集团等4家企业牵头组建``);
* **supported**: the claim against the sentence(s) holding the gold answer span;
* **wrong sentence**: the claim against the sentences of the same paragraph that do not
  hold the answer (a citation of the wrong place);
* **wrong answer**: the claim made with another question's answer (from another
  article) against the gold sentence(s) (an invented answer in the right context).

As in verification, a claim may draw on up to three consecutive sentences
(:data:`qa.MAX_QUOTE_SENTENCES`), and a pair is kept at given thresholds when some such
window (around the gold sentence for the first and last kinds, away from it for the
second) states the claim's facts and passes both.

Thresholds are chosen by balanced accuracy (the mean of the supported claims kept and
the unsupported ones dropped) and cross-validated with folds grouped by article, so no
article's questions are on both sides of a split. ``qa eval --squad FILES
--support-threshold`` runs it.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from typing import Any

from eval.squad import BenchmarkQuestion, load_squad
from qa import (
    MAX_QUOTE_SENTENCES,
    NOVEL_THRESHOLD,
    SUPPORT_THRESHOLD,
    interrogative_pattern,
    normalize_for_matching,
    sentence_spans,
    support_score,
)

__all__ = [
    "KINDS",
    "Fold",
    "Pair",
    "ThresholdStudy",
    "claim_for",
    "cross_validate",
    "support_pairs",
    "threshold_study",
]

KINDS: tuple[str, ...] = ("supported", "wrong sentence", "wrong answer")
"""The kinds of pairs: one supported and two unsupported."""

_GRID = tuple(round(0.05 * i, 2) for i in range(1, 20))
_NOVEL_GRID = tuple(round(0.1 * i, 1) for i in range(0, 10))
_TRAILING = "?？!！。 \t"


@dataclass(frozen=True, slots=True)
class Pair:
    """A claim and the source sentences it is checked against.

    Attributes:
        kind: one of :data:`KINDS`.
        article: the article the question belongs to (the cross-validation group).
        claim: the claim.
        scores: ``(overlap, novel overlap)`` of each window of source sentences that
            states the claim's facts (empty when none does).
    """

    kind: str
    article: str
    claim: str
    scores: tuple[tuple[float, float], ...]

    @property
    def supported(self) -> bool:
        """The true label."""
        return self.kind == "supported"

    def kept(self, threshold: float, novel_threshold: float) -> bool:
        """Whether verification at these thresholds keeps the claim."""
        return any(o > 0 and o >= threshold and n >= novel_threshold for o, n in self.scores)


def claim_for(question: str, answer: str) -> str:
    """The question turned into a statement of ``answer``.

    The first interrogative is replaced by the answer (a word after it that the answer
    ends with is not repeated: 几级 + 15级 is 15级); a question without one gets the
    answer appended. Particles and question marks go.
    """
    text = question.strip().rstrip(_TRAILING)
    folded = normalize_for_matching(text)
    pattern = interrogative_pattern()
    match = pattern.search(folded) if len(folded) == len(text) else None
    if match is None:
        return f"{text}，{answer}"
    rest = pattern.sub("", text[match.end() :])
    # A word after the interrogative that the answer ends with is not repeated:
    # 哪些企业 + 4家企业 -> 4家企业, 几级 + 15级 -> 15级.
    shared = max((k for k in range(1, 5) if rest[:k] and answer.endswith(rest[:k])), default=0)
    rest = rest[shared:]
    return f"{text[: match.start()]}{answer}{rest}".rstrip(_TRAILING)


def _windows(count: int, inside: tuple[int, int] | None, avoid: set[int]) -> list[range]:
    """Runs of 1..MAX_QUOTE_SENTENCES sentence indices: covering ``inside`` when given,
    touching none of ``avoid``."""
    runs = []
    for size in range(1, MAX_QUOTE_SENTENCES + 1):
        for start in range(count - size + 1):
            run = range(start, start + size)
            if inside is not None and not (run.start <= inside[0] and inside[1] < run.stop):
                continue
            if avoid & set(run):
                continue
            runs.append(run)
    return runs


def _pair(kind: str, q: BenchmarkQuestion, claim: str, texts: list[str], runs: list[range]) -> Pair:
    scores = []
    for run in runs:
        score = support_score(claim, [texts[i] for i in run], given=q.question)
        if score.facts:
            scores.append((score.overlap, score.novel))
    return Pair(kind, q.article, claim, tuple(scores))


def support_pairs(
    paths: Sequence[str | Path], *, seed: int = 13, limit: int = 0
) -> tuple[Pair, ...]:
    """The labelled pairs of the questions of SQuAD-format files (see the module).

    Args:
        paths: CMRC 2018 / DRCD style files.
        seed: seed of the sample and of the wrong answers.
        limit: use a random ``limit`` of the questions (0: all).

    Raises:
        CorpusError: when a file is not SQuAD format.
    """
    documents, questions = load_squad(paths)
    texts = {d.id: d.text for d in documents}
    rng = random.Random(seed)
    pool = list(questions)
    if limit and limit < len(pool):
        pool = rng.sample(pool, limit)
    pairs: list[Pair] = []
    for q in pool:
        pairs.extend(_pairs_of(q, texts[q.doc_id], questions, rng))
    return tuple(pairs)


def _pairs_of(
    q: BenchmarkQuestion,
    text: str,
    questions: Sequence[BenchmarkQuestion],
    rng: random.Random,
) -> list[Pair]:
    answer = q.answers[0]
    start = q.answer_start
    if start < 0 or text[start : start + len(answer)] != answer:
        start = text.find(answer)
    if start < 0 or not answer.strip():
        return []
    spans = sentence_spans(text)
    texts = [text[s:e] for s, e in spans]
    gold = [i for i, (s, e) in enumerate(spans) if s < start + len(answer) and start < e]
    if not gold:
        return []
    inside = (gold[0], gold[-1])
    folded_answer = normalize_for_matching(answer)
    holding = {i for i, t in enumerate(texts) if folded_answer in normalize_for_matching(t)}
    claim = claim_for(q.question, answer)
    count = len(texts)
    pairs = [_pair("supported", q, claim, texts, _windows(count, inside, set()))]
    away = _windows(count, None, holding | set(gold))
    if away:
        pairs.append(_pair("wrong sentence", q, claim, texts, away))
    gold_text = normalize_for_matching("".join(texts[gold[0] : gold[-1] + 1]))
    for _ in range(10):
        other = questions[rng.randrange(len(questions))]
        wrong = other.answers[0]
        if other.article != q.article and normalize_for_matching(wrong) not in gold_text:
            wrong_claim = claim_for(q.question, wrong)
            near = _windows(count, inside, set())
            pairs.append(_pair("wrong answer", q, wrong_claim, texts, near))
            break
    return pairs


Thresholds = tuple[float, float]


def _balanced_accuracy(pairs: Sequence[Pair], t: Thresholds) -> float:
    pos = [p for p in pairs if p.supported]
    neg = [p for p in pairs if not p.supported]
    if not pos or not neg:
        return 0.0
    tpr = sum(p.kept(*t) for p in pos) / len(pos)
    tnr = sum(not p.kept(*t) for p in neg) / len(neg)
    return (tpr + tnr) / 2


def _best_thresholds(pairs: Sequence[Pair]) -> Thresholds:
    grid = [(t, n) for t in _GRID for n in _NOVEL_GRID]
    return max(grid, key=lambda g: (round(_balanced_accuracy(pairs, g), 6), -g[0], -g[1]))


def _rates(pairs: Sequence[Pair], t: Thresholds) -> dict[str, float | None]:
    """Per kind: the share kept (supported) or dropped (unsupported) at ``t``."""
    out: dict[str, float | None] = {}
    for kind in KINDS:
        subset = [p for p in pairs if p.kind == kind]
        out[kind] = sum(p.kept(*t) == p.supported for p in subset) / len(subset) if subset else None
    out["balanced_accuracy"] = _balanced_accuracy(pairs, t)
    return out


@dataclass(frozen=True, slots=True)
class Fold:
    """One cross-validation fold.

    Attributes:
        threshold: the overlap threshold chosen on the other folds.
        novel_threshold: the novel-overlap threshold chosen with it.
        held_out: on this fold's pairs at those thresholds: the share of supported
            claims kept, of each unsupported kind dropped, and the balanced accuracy.
        pairs: this fold's pairs.
    """

    threshold: float
    novel_threshold: float
    held_out: dict[str, float | None]
    pairs: int


def cross_validate(pairs: Sequence[Pair], *, folds: int = 5) -> tuple[Fold, ...]:
    """Choose the threshold on all folds but one, score it on that one, for each fold.

    Folds are grouped by article (scikit-learn's ``GroupKFold``).

    Raises:
        ValueError: for fewer than two folds or fewer articles than folds.
    """
    try:
        from sklearn.model_selection import GroupKFold
    except ImportError as err:
        raise ImportError(
            'the support-threshold study needs scikit-learn - install the "train" extra '
            "(pip install 'zhnews-qa[train]') to enable it"
        ) from err

    if folds < 2:
        raise ValueError("folds must be at least 2")
    groups = [p.article for p in pairs]
    if len(set(groups)) < folds:
        raise ValueError(f"{len(set(groups))} article(s) cannot make {folds} folds")
    out = []
    for train, test in GroupKFold(n_splits=folds).split(list(pairs), groups=groups):
        chosen = _best_thresholds([pairs[i] for i in train])
        held = [pairs[i] for i in test]
        out.append(Fold(chosen[0], chosen[1], _rates(held, chosen), len(held)))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class ThresholdStudy:
    """The measurement: folds, the thresholds they agree on, and the rates at them.

    Attributes:
        pairs: how many pairs of each kind.
        folds: the cross-validation folds.
        threshold: the median of the folds' overlap thresholds.
        novel_threshold: the median of the folds' novel-overlap thresholds.
        current: :data:`qa.SUPPORT_THRESHOLD` and :data:`qa.NOVEL_THRESHOLD` (in use).
        at_current: the rates over all pairs at the thresholds in use.
        overlap_only: the rates over all pairs at the best overlap threshold with no
            novel-overlap requirement (what the second threshold adds).
    """

    pairs: dict[str, int]
    folds: tuple[Fold, ...]
    threshold: float
    novel_threshold: float
    current: Thresholds
    at_current: dict[str, float | None]
    overlap_only: tuple[float, dict[str, float | None]]

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "pairs": self.pairs,
            "threshold": self.threshold,
            "novel_threshold": self.novel_threshold,
            "current": list(self.current),
            "at_current": self.at_current,
            "overlap_only": {"threshold": self.overlap_only[0], **self.overlap_only[1]},
            "folds": [
                {
                    "threshold": f.threshold,
                    "novel_threshold": f.novel_threshold,
                    "pairs": f.pairs,
                    "held_out": f.held_out,
                }
                for f in self.folds
            ],
        }


def threshold_study(pairs: Sequence[Pair], *, folds: int = 5) -> ThresholdStudy:
    """Cross-validate the thresholds and describe the result (see :class:`ThresholdStudy`)."""
    result = cross_validate(pairs, folds=folds)
    current = (SUPPORT_THRESHOLD, NOVEL_THRESHOLD)
    alone = max(_GRID, key=lambda t: (round(_balanced_accuracy(pairs, (t, 0.0)), 6), -t))
    return ThresholdStudy(
        pairs={k: sum(1 for p in pairs if p.kind == k) for k in KINDS},
        folds=result,
        threshold=float(median(f.threshold for f in result)),
        novel_threshold=float(median(f.novel_threshold for f in result)),
        current=current,
        at_current=_rates(pairs, current),
        overlap_only=(alone, _rates(pairs, (alone, 0.0))),
    )
