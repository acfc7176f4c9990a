"""Benchmark sweeps on SQuAD-format files: retrieval, answers, abstention per setting.

Run ``python -m eval.benchmark FILE... [--tokenizers char12,jieba] [--chunk-sizes 300]
[--limit N] [--holdout 0.5] [--out FILE]``; it prints the Markdown tables of
docs/benchmarks.md and can write the summaries as JSON.

A thin driver: every run goes through the one runner (:func:`eval.runner.run_questions`)
and the one summary (:func:`eval.summary.summarize`) that ``qa eval`` uses; this module
only sweeps settings and lays the figures out as tables.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from eval.driver import run, sample, squad_assistant
from eval.questions import Question
from eval.summary import summarize
from qa import AssistantConfig

__all__ = ["answer_row", "retrieval_row", "table"]

RETRIEVAL_COLUMNS = (
    "set",
    "tokenizer",
    "chunk_size",
    "chunks",
    "chunk_hit@1",
    "chunk_hit@5",
    "chunk_hit@10",
    "chunk_mrr@10",
    "article_hit@1",
    "article_hit@5",
    "article_hit@10",
    "article_mrr@10",
)
ANSWER_COLUMNS = (
    "set",
    "tokenizer",
    "chunk_size",
    "contains_gold",
    "contains_gold_when_answered",
    "f1",
    "em",
    "abstained",
    "answer_chars",
    "p50_ms",
    "p95_ms",
)
ABSTENTION_COLUMNS = ("threshold", "false_abstention", "abstained_unanswerable")


def _means(summary: Mapping[str, Any], category: str | None) -> dict[str, Any]:
    """Metric means of the whole run (``category`` None) or of one category."""
    if category is None:
        return {name: m["mean"] for name, m in summary["metrics"].items()}
    return dict(summary["categories"][category])


def retrieval_row(summary: Mapping[str, Any], category: str | None = None) -> dict[str, Any]:
    """The retrieval figures of a summary (pooled, or one category)."""
    means = _means(summary, category)
    return {c: means.get(c) for c in RETRIEVAL_COLUMNS if c in means}


def answer_row(summary: Mapping[str, Any], category: str | None = None) -> dict[str, Any]:
    """The answer figures of a summary; ``contains_gold_when_answered`` excludes
    abstentions (an abstention scores 0 in ``contains_gold``)."""
    means = _means(summary, category)
    row = {c: means.get(c) for c in ANSWER_COLUMNS if c in means}
    abstained = means.get("false_abstention")
    gold = means.get("contains_gold")
    if gold is not None and abstained is not None and abstained < 1:
        row["contains_gold_when_answered"] = gold / (1 - abstained)
    row["abstained"] = abstained
    if category is None:
        row["p50_ms"] = summary["latency"]["p50_ms"]
        row["p95_ms"] = summary["latency"]["p95_ms"]
    return row


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """A Markdown table of ``rows`` (floats to three places, missing cells blank)."""

    def fmt(v: object) -> str:
        if v is None:
            return ""
        return f"{v:.3f}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(fmt(r.get(c)) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


def _per_file_sample(questions: Sequence[Question], limit: int, seed: int) -> list[Question]:
    picked: list[Question] = []
    for category in dict.fromkeys(q.category for q in questions):
        picked += sample([q for q in questions if q.category == category], limit, seed)
    return picked


def main(
    files: Annotated[list[Path], typer.Argument(help="SQuAD-format files, pooled.")],
    tokenizers: Annotated[str, typer.Option(help="Comma-separated BM25 tokenizers.")] = (
        "char12,jieba,jieba+char2"
    ),
    chunk_sizes: Annotated[str, typer.Option(help="Comma-separated chunk sizes.")] = "300",
    limit: Annotated[int, typer.Option(help="Ask at most N questions per file (0: all).")] = 0,
    holdout: Annotated[
        float, typer.Option(help="Share of articles held out for the abstention study (0: off).")
    ] = 0.5,
    depth: Annotated[int, typer.Option(help="Passages retrieved per question.")] = 30,
    seed: Annotated[int, typer.Option(help="Random seed for sampling.")] = 13,
    out: Annotated[Path | None, typer.Option(help="Write the summaries as JSON here.")] = None,
) -> None:
    """Measure retrieval, answers and abstention on a pooled SQuAD corpus."""
    from rich.console import Console
    from rich.progress import Progress

    console = Console(stderr=True)
    report: dict[str, Any] = {"files": [str(f) for f in files], "runs": []}
    retrieval: list[dict[str, Any]] = []
    answers: list[dict[str, Any]] = []
    with Progress(console=console, transient=True) as bar:
        for size in [int(s) for s in chunk_sizes.split(",")]:
            for tok in tokenizers.split(","):
                config = AssistantConfig(model="", tokenizer=tok, chunk_size=size)
                t0 = time.perf_counter()
                assistant, questions = squad_assistant(files, config)
                build_s = time.perf_counter() - t0
                picked = _per_file_sample(questions, limit, seed)
                task = bar.add_task(f"{tok} / {size}", total=len(picked))
                result = run(
                    assistant,
                    picked,
                    meta={"tokenizer": tok, "chunk_size": size},
                    depth=depth,
                    progress=lambda _s, d, t, task=task: bar.update(task, completed=d, total=t),
                )
                summary = summarize(result)
                report["runs"].append(summary)
                head = {"tokenizer": tok, "chunk_size": size, "chunks": assistant.snapshot.size}
                for category in [None, *summary["categories"]]:
                    label = {"set": category or "pooled", **head, "build_s": round(build_s, 1)}
                    retrieval.append({**label, **retrieval_row(summary, category)})
                    answers.append({**label, **answer_row(summary, category)})
    console.print(f"{len(picked)} questions per setting")
    print("\n## Retrieval (chunk level / article level)\n")
    print(table(retrieval, RETRIEVAL_COLUMNS))
    print("\n## Answers\n")
    print(table(answers, ANSWER_COLUMNS))
    if holdout > 0:
        tok = tokenizers.split(",")[0]
        size = int(chunk_sizes.split(",")[0])
        config = AssistantConfig(model="", tokenizer=tok, chunk_size=size)
        assistant, questions = squad_assistant(files, config, holdout=holdout, seed=seed)
        picked = _per_file_sample(questions, limit, seed)
        summary = summarize(run(assistant, picked, meta={"holdout": holdout}, depth=depth))
        curve = [r for r in summary["abstention_curve"] if 0.2 <= r["threshold"] <= 0.8]
        report["abstention"] = summary
        counts = summary["questions"]
        print(
            f"\n## Abstention ({counts['answerable']} answerable, "
            f"{counts['unanswerable']} unanswerable; {tok}, {size})\n"
        )
        print(table(curve, ABSTENTION_COLUMNS))
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    typer.run(main)
