"""Compare two evaluation runs, so that a change can be judged.

Each side is a ``summary.json`` or the run folder holding it. From summaries alone the
comparison shows both figures with their 95% intervals and flags a difference whose
intervals do not overlap. When both sides are run folders with ``questions.jsonl`` over
the same question ids, it also gives a paired bootstrap interval for the difference (the
same questions resampled on both sides), which is the sharper test.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.bootstrap import paired_bootstrap_ci
from eval.questions import EvalError
from eval.summary import HEADLINE

__all__ = ["ComparisonRow", "compare_runs", "format_comparison", "latency_line", "load_run"]


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
            excludes 0, or else the two intervals do not overlap), ``~`` otherwise.
    """

    metric: str
    a: float | None
    b: float | None
    a_ci: tuple[float | None, float | None]
    b_ci: tuple[float | None, float | None]
    delta: float | None
    delta_ci: tuple[float, float] | None
    verdict: str


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


def compare_runs(
    a: str | Path,
    b: str | Path,
    *,
    metrics: Sequence[str] | None = None,
    resamples: int = 1000,
    seed: int = 0,
) -> list[ComparisonRow]:
    """Compare run ``a`` (before) with run ``b`` (after).

    Args:
        a: summary file or run folder of the baseline.
        b: summary file or run folder of the candidate.
        metrics: which metrics (default: the headline ones present in either run).
        resamples: bootstrap resamples for the paired intervals.
        seed: bootstrap seed.

    Raises:
        EvalError: when a side has no readable summary.
    """
    sa, qa_ = load_run(a)
    sb, qb = load_run(b)
    ma, mb = sa["metrics"], sb["metrics"]
    names = list(metrics or [m for m in HEADLINE if m in ma or m in mb])
    common = sorted(set(qa_) & set(qb)) if qa_ is not None and qb is not None else []
    rows = []
    for name in names:
        ea, eb = ma.get(name, {}), mb.get(name, {})
        va, vb = ea.get("mean"), eb.get("mean")
        delta = vb - va if va is not None and vb is not None else None
        delta_ci = None
        if common and qa_ is not None and qb is not None:
            before: list[float] = []
            after: list[float] = []
            for i in common:
                x, y = qa_[i].get(name), qb[i].get(name)
                if x is not None and y is not None:
                    before.append(float(x))
                    after.append(float(y))
            if before:
                delta_ci = paired_bootstrap_ci(before, after, resamples=resamples, seed=seed)
        a_ci = tuple(ea.get("ci95") or (None, None))
        b_ci = tuple(eb.get("ci95") or (None, None))
        rows.append(
            ComparisonRow(
                metric=name,
                a=va,
                b=vb,
                a_ci=(a_ci[0], a_ci[1]),
                b_ci=(b_ci[0], b_ci[1]),
                delta=delta,
                delta_ci=delta_ci,
                verdict=_verdict(name, delta, delta_ci, (a_ci[0], a_ci[1]), (b_ci[0], b_ci[1])),
            )
        )
    return rows


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
