"""Write a run's files: per-question JSONL, summary JSON, a Markdown report with charts.

Charts are PNGs drawn with matplotlib's Agg backend (no display needed); their labels are
ASCII so that no CJK font is required.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.runner import EvalRun
from eval.summary import HEADLINE

__all__ = ["ReportFiles", "render_markdown", "write_report"]

_LABELS = {
    "article_hit@1": "article hit@1",
    "article_hit@5": "article hit@5",
    "article_mrr@10": "article MRR@10",
    "article_ndcg@10": "article nDCG@10",
    "chunk_hit@1": "chunk hit@1",
    "chunk_hit@5": "chunk hit@5",
    "chunk_mrr@10": "chunk MRR@10",
    "contains_gold": "answer contains gold",
    "answer_chars": "answer length (characters)",
    "short_f1": "F1 of the short answer (CMRC 2018)",
    "short_em": "EM of the short answer (CMRC 2018)",
    "f1": "F1 (CMRC 2018)",
    "em": "EM (CMRC 2018)",
    "citation_precision": "citation precision",
    "citation_valid": "citations valid",
    "cited_sentence_share": "sentences with a citation",
    "abstained_unanswerable": "abstention on unanswerable",
    "false_abstention": "false abstention on answerable",
}
_CATEGORY_METRICS = (
    "article_hit@1",
    "contains_gold",
    "short_f1",
    "short_em",
    "abstained_unanswerable",
)


@dataclass(frozen=True, slots=True)
class ReportFiles:
    """Paths of the files a report wrote."""

    questions: Path
    summary: Path
    markdown: Path
    charts: tuple[Path, ...]


def write_report(run: EvalRun, summary: Mapping[str, Any], out_dir: str | Path) -> ReportFiles:
    """Write ``questions.jsonl``, ``summary.json``, ``report.md`` and ``charts/*.png``.

    Args:
        run: the run (for the per-question records).
        summary: its summary (:func:`eval.summary.summarize`).
        out_dir: the folder (created when missing; files in it are replaced).

    Returns:
        The paths written.
    """
    out = Path(out_dir)
    (out / "charts").mkdir(parents=True, exist_ok=True)
    questions = out / "questions.jsonl"
    with questions.open("w", encoding="utf-8") as fh:
        for r in run.results:
            fh.write(json.dumps(r.to_record(), ensure_ascii=False) + "\n")
    summary_path = out / "summary.json"
    summary_path.write_text(
        json.dumps(summary, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    charts = _charts(run, summary, out / "charts")
    failures = _failures(run)
    markdown = out / "report.md"
    markdown.write_text(
        render_markdown(summary, [p.relative_to(out).as_posix() for p in charts], failures),
        encoding="utf-8",
    )
    return ReportFiles(questions, summary_path, markdown, tuple(charts))


# -- Markdown -----------------------------------------------------------------------------


def _fmt(x: object, digits: int = 3) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:.{digits}f}"
    return str(x)


def _ci(entry: Mapping[str, Any]) -> str:
    lo, hi = entry.get("ci95") or (None, None)
    return f"[{_fmt(lo)}, {_fmt(hi)}]"


def _generation_lines(gen: Mapping[str, Any] | None) -> list[str]:
    """The report's lines on a language model's answers (none without one)."""
    if not gen:
        return []
    reasons = ", ".join(f"{k} {v}" for k, v in gen.get("fallback_reasons", {}).items())
    return [
        "",
        "## Generated answers",
        "",
        f"- generator: {gen['generator']} ({gen['questions']} questions)",
        f"- sentences written: {gen['sentences']}; dropped by verification: "
        f"{gen['sentences_dropped']} ({_fmt(gen['sentences_dropped_share'])})",
        f"- fallback to the extractive answer: {_fmt(gen['fallback_rate'])}"
        + (f" ({reasons})" if reasons else ""),
    ]


def _warm_up_note(warm_up_ms: float | None) -> str:
    if warm_up_ms is None:
        return "."
    return (
        f", after a warm-up of {warm_up_ms:.0f} ms (models loaded, one throw-away question) "
        "before the clock started."
    )


def render_markdown(
    summary: Mapping[str, Any],
    charts: Sequence[str] = (),
    failures: Sequence[Mapping[str, Any]] = (),
) -> str:
    """The Markdown report of a summary.

    Args:
        summary: the summary dict.
        charts: chart paths relative to the report.
        failures: per-question records to list as failures.
    """
    meta = summary.get("meta", {})
    counts = summary["questions"]
    metrics = summary["metrics"]
    lat = summary["latency"]
    cfg = meta.get("config", {})
    lines = ["# Evaluation report", ""]
    if meta.get("command"):
        lines += ["```", str(meta["command"]), "```", ""]
    lines += [
        f"- questions: {counts['total']} ({counts['answerable']} answerable, "
        f"{counts['unanswerable']} unanswerable)",
        f"- corpus: {meta.get('documents', '?')} documents, {meta.get('chunks', '?')} chunks; "
        f"retrieval: {meta.get('retrieval', '?')}, depth {meta.get('depth', '?')}",
        "- configuration: "
        + ", ".join(f"{k}={v!r}" for k, v in cfg.items())
        + (f"; set: {meta['set']}" if meta.get("set") else ""),
        "",
        "## Headline figures",
        "",
        "Means over the questions each applies to, with percentile-bootstrap 95% intervals "
        f"({summary.get('bootstrap', {}).get('resamples', '?')} resamples).",
        "",
        "| metric | value | 95% CI | n |",
        "|---|---|---|---|",
    ]
    for name in HEADLINE:
        if name in metrics:
            e = metrics[name]
            lines.append(f"| {_LABELS.get(name, name)} | {_fmt(e['mean'])} | {_ci(e)} | {e['n']} |")
    lines += [
        "",
        f"Latency per question: p50 {lat['p50_ms']:.1f} ms, p95 {lat['p95_ms']:.1f} ms; "
        f"throughput {lat['throughput_qps']:.1f} questions/s over {lat['wall_s']:.1f} s"
        + _warm_up_note(lat.get("warm_up_ms")),
        *_generation_lines(summary.get("generation")),
        "",
        "## All metrics",
        "",
        "| metric | value | 95% CI | n |",
        "|---|---|---|---|",
    ]
    for name, e in metrics.items():
        lines.append(f"| {name} | {_fmt(e['mean'])} | {_ci(e)} | {e['n']} |")
    cats = summary.get("categories", {})
    if cats:
        cols = [c for c in _CATEGORY_METRICS if c in metrics]
        lines += ["", "## Per category", ""]
        lines.append("| category | questions | " + " | ".join(cols) + " |")
        lines.append("|---|---|" + "---|" * len(cols))
        for cat, row in cats.items():
            vals = " | ".join(_fmt(row.get(c)) for c in cols)
            lines.append(f"| {cat} | {row['questions']} | {vals} |")
    outcomes = summary.get("outcomes", {})
    if any(outcomes.values()):
        total = sum(outcomes.values())
        lines += [
            "",
            "## What happened",
            "",
            "Answerable questions: `correct` (short answer F1 >= 0.5), `wrong_span` (the "
            "answer holds a gold answer, the short answer does not), `trimmed_away` (the "
            "cited sentence holds it, the answer text does not), `wrong_sentence`, "
            "`wrong_passage` (no gold article among the passages read), "
            "`false_abstention`; questions the corpus cannot answer: `abstained`, "
            "`answered`.",
            "",
            "| outcome | questions | share |",
            "|---|---|---|",
        ]
        for name, n in outcomes.items():
            if n:
                lines.append(f"| {name} | {n} | {n / total:.3f} |")
    types = summary.get("answer_types", {})
    if types:
        lines += [
            "",
            "## Per answer type",
            "",
            "| type | questions | contains gold | short F1 | short EM | false abstention "
            "| abstention (unanswerable) | outcomes |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for kind, row in types.items():
            outs = ", ".join(f"{k} {v}" for k, v in row.get("outcomes", {}).items())
            lines.append(
                f"| {kind} | {row['questions']} | {_fmt(row.get('contains_gold'))} | "
                f"{_fmt(row.get('short_f1'))} | {_fmt(row.get('short_em'))} | "
                f"{_fmt(row.get('false_abstention'))} | "
                f"{_fmt(row.get('abstained_unanswerable'))} | {outs} |"
            )
    rel = summary.get("reliability")
    if rel and rel.get("answered"):
        lines += [
            "",
            "## Reliability of the confidence",
            "",
            f"Answered questions by confidence bin, with the share whose answer holds a gold "
            f"answer (an answered question the corpus cannot answer counts as wrong). "
            f"Expected calibration error: {_fmt(rel.get('ece'))} over {rel['answered']} "
            "answers.",
            "",
            "| confidence | answers | mean confidence | share right |",
            "|---|---|---|---|",
        ]
        for b in rel["bins"]:
            if b["n"]:
                lines.append(
                    f"| {b['low']:.1f}-{b['high']:.1f} | {b['n']} | {_fmt(b['confidence'])} | "
                    f"{_fmt(b['accuracy'])} |"
                )
    curve = summary.get("abstention_curve", [])
    if curve:
        lines += [
            "",
            "## Abstention threshold",
            "",
            f"Current threshold: {cfg.get('abstain_threshold', '?')}. Rates had the threshold "
            "been t (the assistant abstains when its confidence is below t):",
            "",
            "| t | false abstention (answerable) | abstention (unanswerable) |",
            "|---|---|---|",
        ]
        for row in curve:
            if 0.05 <= row["threshold"] <= 0.9:
                lines.append(
                    f"| {row['threshold']:.2f} | {_fmt(row['false_abstention'])} | "
                    f"{_fmt(row['abstained_unanswerable'])} |"
                )
    if charts:
        lines += ["", "## Charts", ""]
        lines += [f"![{Path(c).stem}]({c})" for c in charts]
    if failures:
        lines += [
            "",
            f"## Failures (first {len(failures)})",
            "",
            "| id | category | question | gold | answer |",
            "|---|---|---|---|---|",
        ]
        for f in failures:
            lines.append(
                "| "
                + " | ".join(
                    _cell(x)
                    for x in (
                        f["id"],
                        f["category"],
                        f["question"],
                        " / ".join(f["answers"]) or "(unanswerable)",
                        f["answer"],
                    )
                )
                + " |"
            )
    return "\n".join(lines) + "\n"


def _cell(text: object, limit: int = 80) -> str:
    s = str(text).replace("|", "\\|").replace("\n", " ")
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _failures(run: EvalRun, limit: int = 50) -> list[dict[str, Any]]:
    """Answerable questions without a gold answer, then unanswerable ones answered."""
    out = []
    for r in run.results:
        m = r.metrics
        if (r.question.answerable and m.get("contains_gold") == 0.0) or (
            not r.question.answerable and not r.answer.abstained
        ):
            out.append(r.to_record())
    return out[:limit]


# -- charts -------------------------------------------------------------------------------


def _charts(run: EvalRun, summary: Mapping[str, Any], folder: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths: list[Path] = []

    curve = summary.get("hit_curve", {})
    if any(v is not None for level in curve.values() for v in level.values()):
        fig, ax = plt.subplots(figsize=(6, 4))
        for level, points in curve.items():
            ks = [int(k) for k, v in points.items() if v is not None]
            vs = [v for v in points.values() if v is not None]
            if ks:
                ax.plot(ks, vs, marker="o", label=level)
        ax.set_xlabel("k")
        ax.set_ylabel("hit@k")
        ax.set_ylim(0, 1.02)
        ax.set_title("Retrieval hit@k")
        ax.grid(alpha=0.3)
        ax.legend()
        paths.append(_save(fig, folder / "hit_at_k.png"))

    lat = [r.latency_ms for r in run.results]
    if lat:
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.hist(lat, bins=min(40, max(5, len(lat) // 5)), color="#4C72B0")
        lc = summary["latency"]
        for q, style in (("p50_ms", "--"), ("p95_ms", ":")):
            ax.axvline(lc[q], color="k", linestyle=style, label=f"{q[:3]} {lc[q]:.1f} ms")
        ax.set_xlabel("latency per question (ms)")
        ax.set_ylabel("questions")
        ax.set_title("Latency")
        ax.legend()
        paths.append(_save(fig, folder / "latency.png"))

    cats = summary.get("categories", {})
    cols = [c for c in _CATEGORY_METRICS if c in summary.get("metrics", {})]
    if cats and cols:
        names = list(cats)
        fig, ax = plt.subplots(figsize=(max(6.0, 0.9 * len(names) * len(cols) / 2), 4.5))
        width = 0.8 / len(cols)
        for i, col in enumerate(cols):
            vals = [cats[n].get(col) for n in names]
            xs = [j + i * width for j, v in enumerate(vals) if v is not None]
            ax.bar(xs, [v for v in vals if v is not None], width=width, label=col)
        ax.set_xticks([j + width * (len(cols) - 1) / 2 for j in range(len(names))])
        # Category names may be Chinese: label the bars with their index, ASCII only.
        ax.set_xticklabels([_ascii(n, j) for j, n in enumerate(names)], rotation=30, ha="right")
        ax.set_ylim(0, 1.05)
        ax.set_title("Per category")
        ax.legend(fontsize=8)
        paths.append(_save(fig, folder / "categories.png"))

    ab = summary.get("abstention_curve", [])
    if ab:
        fig, ax = plt.subplots(figsize=(6, 4))
        ts = [row["threshold"] for row in ab]
        for key, label in (
            ("false_abstention", "false abstention (answerable)"),
            ("abstained_unanswerable", "abstention (unanswerable)"),
        ):
            pts = [(t, row[key]) for t, row in zip(ts, ab, strict=True) if row[key] is not None]
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker=".", label=label)
        threshold = summary.get("meta", {}).get("config", {}).get("abstain_threshold")
        if threshold is not None:
            ax.axvline(threshold, color="k", linestyle="--", label=f"threshold {threshold}")
        ax.set_xlabel("abstention threshold")
        ax.set_ylabel("rate")
        ax.set_ylim(0, 1.02)
        ax.set_title("Abstention trade-off")
        ax.legend(fontsize=8)
        paths.append(_save(fig, folder / "abstention.png"))

    rel = summary.get("reliability")
    if rel and rel.get("answered"):
        bins = [b for b in rel["bins"] if b["n"]]
        fig, ax = plt.subplots(figsize=(5, 5))
        ax.plot([0, 1], [0, 1], color="grey", linestyle="--", label="perfect calibration")
        ax.plot(
            [b["confidence"] for b in bins],
            [b["accuracy"] for b in bins],
            marker="o",
            label=f"answers (ECE {rel['ece']:.3f})",
        )
        for b in bins:
            ax.annotate(
                str(b["n"]),
                (b["confidence"], b["accuracy"]),
                fontsize=7,
                xytext=(3, -10),
                textcoords="offset points",
            )
        ax.set_xlabel("confidence")
        ax.set_ylabel("share of answers holding a gold answer")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.set_title("Reliability diagram")
        ax.legend(fontsize=8, loc="upper left")
        paths.append(_save(fig, folder / "reliability.png"))
    return paths


def _ascii(name: str, index: int) -> str:
    return name if name.isascii() else f"cat{index + 1}"


def _save(fig: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
