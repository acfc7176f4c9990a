"""Aggregate a run into the summary: means with bootstrap intervals, curves, categories."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from eval.bootstrap import bootstrap_ci
from eval.metrics import percentile
from eval.runner import KS, OUTCOMES, EvalRun, QuestionResult

__all__ = [
    "HEADLINE",
    "SUMMARY_VERSION",
    "abstention_curve",
    "breakdown",
    "metric_names",
    "reliability",
    "summarize",
]

SUMMARY_VERSION = 1

HEADLINE: tuple[str, ...] = (
    "article_hit@1",
    "article_hit@5",
    "article_mrr@10",
    "article_ndcg@10",
    "chunk_hit@1",
    "chunk_hit@5",
    "chunk_mrr@10",
    "contains_gold",
    "answer_chars",
    "short_f1",
    "short_em",
    "f1",
    "em",
    "citation_precision",
    "citation_valid",
    "cited_sentence_share",
    "abstained_unanswerable",
    "false_abstention",
)
"""The figures the report leads with (each with a bootstrap 95% interval)."""

_NOT_AVERAGED = {"article_rank", "chunk_rank"}


def metric_names(results: Sequence[QuestionResult]) -> list[str]:
    """Every averaged metric, in first-seen order."""
    names: dict[str, None] = {}
    for r in results:
        names.update((k, None) for k in r.metrics if k not in _NOT_AVERAGED)
    return list(names)


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _values(results: Sequence[QuestionResult], name: str) -> list[float]:
    return [v for r in results if (v := r.metrics.get(name)) is not None]


def abstention_curve(
    results: Sequence[QuestionResult], thresholds: Sequence[float] | None = None
) -> list[dict[str, float | None]]:
    """Abstention rates had the threshold been ``t``, from the recorded confidences.

    The assistant abstains exactly when ``confidence < threshold``, so these rates are
    what a run at each threshold would measure.
    """
    if thresholds is None:
        thresholds = [round(0.05 * i, 2) for i in range(0, 21)]
    ans = [r.answer.confidence for r in results if r.question.answerable]
    una = [r.answer.confidence for r in results if not r.question.answerable]
    return [
        {
            "threshold": t,
            "false_abstention": _mean([float(c < t) for c in ans]),
            "abstained_unanswerable": _mean([float(c < t) for c in una]),
        }
        for t in thresholds
    ]


def reliability(results: Sequence[QuestionResult], bins: int = 10) -> dict[str, Any]:
    """Reliability of the confidence: answered questions binned by confidence, with the
    share whose answer holds a gold answer in each bin, and the expected calibration error
    (ECE: the bin-size-weighted mean of |accuracy - mean confidence|). An answered
    question the corpus cannot answer counts as wrong.
    """
    answered = [r for r in results if not r.answer.abstained]
    rows: list[dict[str, float | int | None]] = []
    ece = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        inside = [
            r
            for r in answered
            if lo <= r.answer.confidence < hi or (b == bins - 1 and r.answer.confidence == 1.0)
        ]
        if not inside:
            rows.append({"low": lo, "high": hi, "n": 0, "confidence": None, "accuracy": None})
            continue
        conf = sum(r.answer.confidence for r in inside) / len(inside)
        acc = sum(bool(r.metrics.get("contains_gold")) for r in inside) / len(inside)
        ece += len(inside) / len(answered) * abs(acc - conf)
        rows.append({"low": lo, "high": hi, "n": len(inside), "confidence": conf, "accuracy": acc})
    return {"bins": rows, "ece": ece if answered else None, "answered": len(answered)}


_BREAKDOWN_METRICS = (
    "article_hit@1",
    "contains_gold",
    "short_f1",
    "short_em",
    "false_abstention",
    "abstained_unanswerable",
)


def breakdown(results: Sequence[QuestionResult]) -> dict[str, dict[str, Any]]:
    """Per answer type (question analysis): counts, outcome shares and metric means."""
    out: dict[str, dict[str, Any]] = {}
    for kind in sorted({r.answer_type or "(none)" for r in results}):
        subset = [r for r in results if (r.answer_type or "(none)") == kind]
        row: dict[str, Any] = {"questions": len(subset)}
        for name in _BREAKDOWN_METRICS:
            row[name] = _mean(_values(subset, name))
        row["outcomes"] = {
            o: sum(r.outcome == o for r in subset)
            for o in OUTCOMES
            if any(r.outcome == o for r in subset)
        }
        out[kind] = row
    return out


def summarize(run: EvalRun, *, resamples: int = 1000, seed: int = 0) -> dict[str, Any]:
    """The summary of a run (a JSON-serialisable dict).

    Keys: ``meta``; ``questions`` (counts); ``metrics`` (name -> ``mean``, ``n``,
    ``ci95``); ``latency`` (per question, timed after the warm-up, whose own time is
    ``warm_up_ms``); ``hit_curve`` (article and chunk hit@k for k = 1..depth);
    ``abstention_curve``; ``categories`` (per category: counts and metric means).

    Args:
        run: the run.
        resamples: bootstrap resamples for the intervals.
        seed: bootstrap seed (the intervals are reproducible).
    """
    results = run.results
    names = metric_names(results)
    metrics: dict[str, dict[str, Any]] = {}
    for name in names:
        vals = _values(results, name)
        if not vals:
            continue
        lo, hi = bootstrap_ci(vals, resamples=resamples, seed=seed)
        metrics[name] = {
            "mean": _mean(vals),
            "n": len(vals),
            "ci95": [_finite(lo), _finite(hi)],
        }
    lat = [r.latency_ms for r in results]
    depth = int(run.meta.get("depth", 10))
    curve: dict[str, dict[str, float | None]] = {}
    for level in ("article", "chunk"):
        ranks = _values(results, f"{level}_rank")
        curve[level] = {
            str(k): (sum(1 for r in ranks if 0 < r <= k) / len(ranks) if ranks else None)
            for k in range(1, depth + 1)
        }
    categories: dict[str, dict[str, Any]] = {}
    for cat in dict.fromkeys(r.question.category or "(none)" for r in results):
        subset = [r for r in results if (r.question.category or "(none)") == cat]
        row: dict[str, Any] = {
            "questions": len(subset),
            "answerable": sum(r.question.answerable for r in subset),
        }
        for name in names:
            row[name] = _mean(_values(subset, name))
        categories[cat] = row
    summary: dict[str, Any] = {
        "version": SUMMARY_VERSION,
        "meta": dict(run.meta),
        "questions": {
            "total": len(results),
            "answerable": sum(r.question.answerable for r in results),
            "unanswerable": sum(not r.question.answerable for r in results),
        },
        "metrics": metrics,
        "latency": {
            "p50_ms": percentile(lat, 50),
            "p95_ms": percentile(lat, 95),
            "mean_ms": _mean(lat) or 0.0,
            "wall_s": run.wall_s,
            "throughput_qps": len(results) / run.wall_s if run.wall_s > 0 else 0.0,
            "warm_up_ms": run.warm_up_ms,
        },
        "hit_curve": curve,
        "outcomes": {o: sum(r.outcome == o for r in results) for o in OUTCOMES},
        "answer_types": breakdown(results),
        "reliability": reliability(results),
        "abstention_curve": abstention_curve(results),
        "categories": categories,
        "bootstrap": {"resamples": resamples, "seed": seed, "confidence": 0.95},
        "ks": list(KS),
    }
    generation = _generation(results)
    if generation:
        summary["generation"] = generation
    return summary


def _generation(results: Sequence[QuestionResult]) -> dict[str, Any] | None:
    """Pooled figures of verification over a run with a language model (None without)."""
    rows = [r for r in results if r.metrics.get("fallback") is not None]
    if not rows:
        return None
    generated = sum(r.metrics.get("generated_sentences") or 0.0 for r in rows)
    dropped = sum(r.metrics.get("dropped_sentences") or 0.0 for r in rows)
    reasons: dict[str, int] = {}
    for r in rows:
        if r.answer.fallback:
            key = _fallback_kind(r.answer.fallback)
            reasons[key] = reasons.get(key, 0) + 1
    generators: dict[str, int] = {}
    for r in rows:
        generators[r.answer.generator] = generators.get(r.answer.generator, 0) + 1
    named = [g for g in generators if g != "extractive"]
    # A fallback note starts with the configured generator's name: "openai:m: why; ...".
    noted = [r.answer.fallback.split(": ", 1)[0] for r in rows if r.answer.fallback]
    return {
        "generator": (named or noted or [""])[0],
        "questions": len(rows),
        "sentences": int(generated),
        "sentences_dropped": int(dropped),
        "sentences_dropped_share": dropped / generated if generated else 0.0,
        "fallback_rate": sum(1 for r in rows if r.answer.fallback) / len(rows),
        "fallback_reasons": reasons,
        "answered_by": generators,
    }


def _fallback_kind(note: str) -> str:
    for key, marker in (
        ("all sentences dropped", "verification dropped all"),
        ("model found no answer", "found no answer"),
        ("model wrote nothing", "wrote no answer"),
        ("model failed", "could not answer"),
        ("no passages", "no passage"),
    ):
        if marker in note:
            return key
    return "other"


def _finite(x: float) -> float | None:
    return None if math.isnan(x) else x
