"""Compare two evaluation runs, so that a change can be judged.

Each side is a ``summary.json`` or the run folder holding it. From summaries alone the
comparison shows both figures with their 95% intervals and flags a difference whose
intervals do not overlap. When both sides are run folders with ``questions.jsonl`` over
the same question ids, it also gives a paired bootstrap interval for the difference (the
same questions resampled on both sides), which is the sharper test. A metric that
applies to some answers only (``answer_chars``: answered questions) may apply to other
questions in each run; the paired interval then resamples every question either run has
a value for, and takes each run's mean over its own values, as the figures do, so that
the interval is for the difference the table shows.

Runs over different questions (another set, another ``--limit`` sample) cannot be judged
by their means: :func:`question_overlap` says how they differ, and :func:`compare_runs`
then compares the shared questions only (both figures and the verdict are over them), or
gives no verdict where the per-question records needed for that are missing.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.bootstrap import bootstrap_ci, paired_bootstrap_ci
from eval.questions import EvalError
from eval.summary import HEADLINE

__all__ = [
    "ComparisonRow",
    "QuestionOverlap",
    "compare_runs",
    "format_comparison",
    "latency_line",
    "load_run",
    "question_overlap",
]


@dataclass(frozen=True, slots=True)
class ComparisonRow:
    """One metric in both runs.

    Attributes:
        metric: the metric name.
        a: mean in run A (None when absent).
        b: mean in run B.
        a_ci: A's 95% interval.
        b_ci: B's 95% interval.
        delta: ``b - a``.
        delta_ci: paired bootstrap 95% interval of the difference, where computable.
        verdict: ``better``/``worse`` when the difference is clear (the paired interval
            excludes 0, or else the two intervals do not overlap), ``~`` otherwise, and
            ``n/a`` when the runs are over different questions that cannot be paired.
        scope: ``all`` (the runs' own figures, same questions), ``shared`` (the runs are
            over different questions: every figure is over the shared ones only) or
            ``none`` (different questions, no per-question records: no verdict).
    """

    metric: str
    a: float | None
    b: float | None
    a_ci: tuple[float | None, float | None]
    b_ci: tuple[float | None, float | None]
    delta: float | None
    delta_ci: tuple[float, float] | None
    verdict: str
    scope: str = "all"


@dataclass(frozen=True, slots=True)
class QuestionOverlap:
    """Which questions two runs share.

    Attributes:
        set_a: the question set run A names (its ``meta.set``; "" where it names none).
        set_b: the question set run B names.
        total_a: questions asked in run A.
        total_b: questions asked in run B.
        shared: question ids in both runs; None when a side has no ``questions.jsonl``.
    """

    set_a: str
    set_b: str
    total_a: int
    total_b: int
    shared: int | None

    @property
    def same(self) -> bool:
        """Whether both runs asked the same questions (by id where known, else by set
        name and count)."""
        if self.shared is not None:
            return self.shared == self.total_a == self.total_b
        return self.set_a == self.set_b and self.total_a == self.total_b

    def warning(self) -> str | None:
        """What differs and what the comparison does about it; None for the same questions."""
        if self.same:
            return None
        sets = (
            f"question sets differ (A: {self.set_a or '?'}, B: {self.set_b or '?'}); "
            if self.set_a != self.set_b
            else ""
        )
        counts = f"A asked {self.total_a} questions, B {self.total_b}"
        if self.shared is None:
            return (
                f"the runs are over different questions: {sets}{counts}, and without both "
                "run folders (questions.jsonl) they cannot be paired: no verdicts. Compare "
                "runs of the same set, or give both run folders."
            )
        if self.shared == 0:
            return (
                f"the runs are over different questions: {sets}{counts}, none shared: no "
                "verdicts. Compare runs of the same question set."
            )
        return (
            f"the runs are over different questions: {sets}{counts}, {self.shared} shared. "
            f"Every figure and verdict below is over the {self.shared} shared questions only."
        )


_LOWER_IS_BETTER = {"false_abstention", "latency_ms", "answer_chars"}


def load_run(path: str | Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]] | None]:
    """A summary, and the per-question metrics by id where the run folder has them.

    Raises:
        EvalError: when there is no readable summary at ``path``.
    """
    path = Path(path)
    summary_path = path / "summary.json" if path.is_dir() else path
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise EvalError(f"{summary_path}: not a readable eval summary ({exc})") from exc
    if not isinstance(summary, dict) or "metrics" not in summary:
        raise EvalError(f"{summary_path}: not an eval summary (no 'metrics')")
    per_q = None
    records = summary_path.parent / "questions.jsonl"
    if records.is_file():
        per_q = {}
        for line in records.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rec = json.loads(line)
                per_q[str(rec["id"])] = rec.get("metrics", {})
    return summary, per_q


def question_overlap(a: str | Path, b: str | Path) -> QuestionOverlap:
    """Which questions runs ``a`` and ``b`` share (see :class:`QuestionOverlap`).

    Raises:
        EvalError: when a side has no readable summary.
    """
    return _overlap(load_run(a), load_run(b))


def _overlap(
    run_a: tuple[dict[str, Any], dict[str, dict[str, Any]] | None],
    run_b: tuple[dict[str, Any], dict[str, dict[str, Any]] | None],
) -> QuestionOverlap:
    (sa, qa_), (sb, qb) = run_a, run_b

    def total(summary: Mapping[str, Any], per_q: Mapping[str, Any] | None) -> int:
        if per_q is not None:
            return len(per_q)
        return int(summary.get("questions", {}).get("total", 0))

    shared = len(set(qa_) & set(qb)) if qa_ is not None and qb is not None else None
    return QuestionOverlap(
        set_a=str(sa.get("meta", {}).get("set", "")),
        set_b=str(sb.get("meta", {}).get("set", "")),
        total_a=total(sa, qa_),
        total_b=total(sb, qb),
        shared=shared,
    )


def compare_runs(
    a: str | Path,
    b: str | Path,
    *,
    metrics: Sequence[str] | None = None,
    resamples: int = 1000,
    seed: int = 0,
) -> list[ComparisonRow]:
    """Compare run ``a`` (before) with run ``b`` (after).

    Over the same questions, each side's figures are its summary's, and the verdict
    comes from the paired interval where both run folders have per-question records.
    Over different questions (see :func:`question_overlap`), the figures, intervals and
    verdicts are computed over the shared questions only (``scope="shared"``), or there
    is no verdict at all when they cannot be paired (``scope="none"``).

    Args:
        a: summary file or run folder of the baseline.
        b: summary file or run folder of the candidate.
        metrics: which metrics (default: the headline ones present in either run).
        resamples: bootstrap resamples for the intervals.
        seed: bootstrap seed.

    Raises:
        EvalError: when a side has no readable summary.
    """
    run_a, run_b = load_run(a), load_run(b)
    overlap = _overlap(run_a, run_b)
    (sa, qa_), (sb, qb) = run_a, run_b
    ma, mb = sa["metrics"], sb["metrics"]
    names = list(metrics or [m for m in HEADLINE if m in ma or m in mb])
    common = sorted(set(qa_) & set(qb)) if qa_ is not None and qb is not None else []
    scope = "all" if overlap.same else ("shared" if common else "none")
    rows = []
    for name in names:
        # Per shared question, each run's value; None where the metric does not apply to
        # that run's answer (answer_chars of an abstention), which may differ by run.
        before: list[float | None] = []
        after: list[float | None] = []
        if qa_ is not None and qb is not None:
            for i in common:
                x, y = qa_[i].get(name), qb[i].get(name)
                if x is not None or y is not None:
                    before.append(None if x is None else float(x))
                    after.append(None if y is None else float(y))
        values_a = [x for x in before if x is not None]
        values_b = [y for y in after if y is not None]
        if scope == "shared":
            va, vb = _mean(values_a), _mean(values_b)
            a_ci = _ci(values_a, resamples, seed)
            b_ci = _ci(values_b, resamples, seed)
        else:
            ea, eb = ma.get(name, {}), mb.get(name, {})
            va, vb = ea.get("mean"), eb.get("mean")
            ca = tuple(ea.get("ci95") or (None, None))
            cb = tuple(eb.get("ci95") or (None, None))
            a_ci, b_ci = (ca[0], ca[1]), (cb[0], cb[1])
        delta = vb - va if va is not None and vb is not None else None
        delta_ci = None
        if values_a and values_b and scope != "none":
            # The same means as va and vb (over every question each applies to), so the
            # interval is for the difference shown.
            lo, hi = paired_bootstrap_ci(before, after, resamples=resamples, seed=seed)
            if not (math.isnan(lo) or math.isnan(hi)):
                delta_ci = (lo, hi)
        verdict = "n/a" if scope == "none" else _verdict(name, delta, delta_ci, a_ci, b_ci)
        rows.append(
            ComparisonRow(
                metric=name,
                a=va,
                b=vb,
                a_ci=a_ci,
                b_ci=b_ci,
                delta=delta,
                delta_ci=delta_ci,
                verdict=verdict,
                scope=scope,
            )
        )
    return rows


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _ci(values: Sequence[float], resamples: int, seed: int) -> tuple[float | None, float | None]:
    if not values:
        return (None, None)
    lo, hi = bootstrap_ci(values, resamples=resamples, seed=seed)
    return (lo, hi)


def _verdict(
    name: str,
    delta: float | None,
    delta_ci: tuple[float, float] | None,
    a_ci: tuple[float | None, float | None],
    b_ci: tuple[float | None, float | None],
) -> str:
    if delta is None or delta == 0:
        return "~"
    if delta_ci is not None:
        clear = delta_ci[0] > 0 or delta_ci[1] < 0
    elif None not in a_ci and None not in b_ci:
        clear = b_ci[0] > a_ci[1] or b_ci[1] < a_ci[0]  # type: ignore[operator]
    else:
        clear = False
    if not clear:
        return "~"
    up = delta > 0
    return "better" if up != (name in _LOWER_IS_BETTER) else "worse"


def format_comparison(rows: Sequence[ComparisonRow], a: str = "A", b: str = "B") -> str:
    """A Markdown table of the comparison."""

    def f(x: float | None) -> str:
        return "–" if x is None else f"{x:.3f}"

    def ci(c: tuple[float | None, float | None] | None) -> str:
        return "" if c is None or None in c else f"[{f(c[0])}, {f(c[1])}]"

    lines = [
        f"| metric | {a} | 95% CI | {b} | 95% CI | Δ (B−A) | paired 95% CI of Δ | verdict |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        d = "–" if r.delta is None else f"{r.delta:+.3f}"
        lines.append(
            f"| {r.metric} | {f(r.a)} | {ci(r.a_ci)} | {f(r.b)} | {ci(r.b_ci)} | {d} | "
            f"{ci(r.delta_ci)} | {r.verdict} |"
        )
    return "\n".join(lines)


def latency_line(a: Mapping[str, Any], b: Mapping[str, Any]) -> str:
    """One line comparing the latency figures of two summaries."""
    la, lb = a.get("latency", {}), b.get("latency", {})
    return (
        f"latency p50 {la.get('p50_ms', 0):.1f} -> {lb.get('p50_ms', 0):.1f} ms, "
        f"p95 {la.get('p95_ms', 0):.1f} -> {lb.get('p95_ms', 0):.1f} ms, "
        f"throughput {la.get('throughput_qps', 0):.1f} -> {lb.get('throughput_qps', 0):.1f} q/s"
    )
