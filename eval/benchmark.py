"""Open-corpus benchmark on SQuAD-format files: retrieval, answers, abstention.

Run ``python -m eval.benchmark FILE... [--tokenizers char12,jieba] [--limit N]``; it prints
Markdown tables (the ones in docs/benchmarks.md) and can write the raw figures as JSON.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Annotated

import typer

from eval.metrics import contains_gold, first_relevant_rank, hit_at_k, mrr_at_k
from eval.squad import BenchmarkQuestion, load_squad
from qa import Answer, Assistant, AssistantConfig, Document

__all__ = ["QuestionResult", "abstention_tradeoff", "evaluate", "summarize"]

_MARKER = re.compile(r"\s*\[\d+\]")
Tick = Callable[[], None]


@dataclass(frozen=True, slots=True)
class QuestionResult:
    """What one question scored."""

    id: str
    source: str
    chunk_rank: int
    doc_rank: int
    contains_answer: bool
    answer_chars: int
    confidence: float
    abstained: bool
    ms: float


def _answer_span(q: BenchmarkQuestion, doc: Document) -> tuple[int, int]:
    gold = q.answers[0]
    start = q.answer_start
    if not (0 <= start and doc.text[start : start + len(gold)] == gold):
        start = doc.text.find(gold)
    return start, start + len(gold)


def score_question(
    q: BenchmarkQuestion, doc: Document, answer: Answer, ms: float
) -> QuestionResult:
    """Ranks of the gold chunk and paragraph, and whether the answer holds a gold answer."""
    a_start, a_end = _answer_span(q, doc)
    gold_chunks = {
        p.chunk.id
        for p in answer.passages
        if p.chunk.doc_id == q.doc_id and p.chunk.start <= a_start and a_end <= p.chunk.end
    }
    chunk_rank = first_relevant_rank((p.chunk.id for p in answer.passages), gold_chunks)
    doc_order = list(dict.fromkeys(p.chunk.doc_id for p in answer.passages))
    doc_rank = first_relevant_rank(doc_order, {q.doc_id})
    return QuestionResult(
        id=q.id,
        source=q.source,
        chunk_rank=chunk_rank,
        doc_rank=doc_rank,
        contains_answer=(not answer.abstained) and contains_gold(answer.text, q.answers),
        answer_chars=len(_MARKER.sub("", answer.text)) if not answer.abstained else 0,
        confidence=answer.confidence,
        abstained=answer.abstained,
        ms=ms,
    )


def evaluate(
    assistant: Assistant,
    questions: Sequence[BenchmarkQuestion],
    documents: dict[str, Document],
    *,
    depth: int = 30,
    tick: Tick | None = None,
) -> list[QuestionResult]:
    """Ask every question; rank gold chunks and paragraphs within the top ``depth`` chunks."""
    results = []
    for q in questions:
        t0 = time.perf_counter()
        answer = assistant.ask(q.question, top_k=depth)
        ms = (time.perf_counter() - t0) * 1000
        results.append(score_question(q, documents[q.doc_id], answer, ms))
        if tick:
            tick()
    return results


def summarize(results: Sequence[QuestionResult]) -> dict[str, float]:
    """Headline figures of a run."""
    chunk = [r.chunk_rank for r in results]
    doc = [r.doc_rank for r in results]
    answered = [r for r in results if not r.abstained]
    ms = sorted(r.ms for r in results)
    return {
        "questions": len(results),
        "chunk_hit@1": hit_at_k(chunk, 1),
        "chunk_hit@5": hit_at_k(chunk, 5),
        "chunk_hit@10": hit_at_k(chunk, 10),
        "chunk_mrr@10": mrr_at_k(chunk, 10),
        "doc_hit@1": hit_at_k(doc, 1),
        "doc_hit@5": hit_at_k(doc, 5),
        "doc_hit@10": hit_at_k(doc, 10),
        "doc_mrr@10": mrr_at_k(doc, 10),
        "answer_contains_gold": sum(r.contains_answer for r in results) / max(1, len(results)),
        "answer_contains_gold_when_answered": sum(r.contains_answer for r in answered)
        / max(1, len(answered)),
        "abstained": sum(r.abstained for r in results) / max(1, len(results)),
        "answer_chars_mean": sum(r.answer_chars for r in answered) / max(1, len(answered)),
        "ms_p50": ms[len(ms) // 2] if ms else 0.0,
        "ms_p95": ms[int(len(ms) * 0.95)] if ms else 0.0,
    }


def abstention_tradeoff(
    answerable: Sequence[float], unanswerable: Sequence[float], thresholds: Sequence[float]
) -> list[dict[str, float]]:
    """For each threshold: false abstention on answerable, abstention on unanswerable."""
    rows = []
    for t in thresholds:
        fa = sum(c < t for c in answerable) / max(1, len(answerable))
        ab = sum(c < t for c in unanswerable) / max(1, len(unanswerable))
        rows.append({"threshold": t, "false_abstention": fa, "abstention_unanswerable": ab})
    return rows


def _table(rows: list[dict[str, object]], columns: Sequence[str]) -> str:
    def fmt(v: object) -> str:
        return f"{v:.3f}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(fmt(r.get(c, "")) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


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
    seed: Annotated[int, typer.Option(help="Random seed for sampling.")] = 13,
    out: Annotated[Path | None, typer.Option(help="Write raw figures as JSON here.")] = None,
) -> None:
    """Measure retrieval, answer containment and abstention on a pooled SQuAD corpus."""
    from rich.console import Console
    from rich.progress import Progress

    console = Console(stderr=True)
    documents, questions = load_squad(files)
    by_id = {d.id: d for d in documents}
    rng = random.Random(seed)
    if limit:
        picked: list[BenchmarkQuestion] = []
        for src in dict.fromkeys(q.source for q in questions):
            pool = [q for q in questions if q.source == src]
            picked += rng.sample(pool, min(limit, len(pool)))
        questions = tuple(picked)
    console.print(f"{len(documents)} paragraphs, {len(questions)} questions")
    report: dict[str, object] = {"files": [str(f) for f in files], "runs": []}
    rows: list[dict[str, object]] = []
    with Progress(console=console, transient=True) as bar:
        for size in [int(s) for s in chunk_sizes.split(",")]:
            for tok in tokenizers.split(","):
                config = AssistantConfig(model="", tokenizer=tok, chunk_size=size)
                t0 = time.perf_counter()
                assistant = Assistant.from_documents(documents, config)
                build_s = time.perf_counter() - t0
                task = bar.add_task(f"{tok} / {size}", total=len(questions))
                results = evaluate(assistant, questions, by_id, tick=partial(bar.advance, task))
                sets: list[str | None] = [None, *dict.fromkeys(q.source for q in questions)]
                for part in sets:
                    subset = [r for r in results if part is None or r.source == part]
                    row: dict[str, object] = {
                        "tokenizer": tok,
                        "chunk_size": size,
                        "set": part or "pooled",
                        "chunks": len(assistant.snapshot.chunks),
                        "build_s": round(build_s, 1),
                        **summarize(subset),
                    }
                    rows.append(row)
                report["runs"] = rows
    console.print("\n## Retrieval (chunk level / article level)\n")
    print(
        _table(
            rows,
            [
                "set",
                "tokenizer",
                "chunk_size",
                "chunks",
                "chunk_hit@1",
                "chunk_hit@5",
                "chunk_hit@10",
                "chunk_mrr@10",
                "doc_hit@1",
                "doc_hit@5",
                "doc_hit@10",
                "doc_mrr@10",
            ],
        )
    )
    print()
    print(
        _table(
            rows,
            [
                "set",
                "tokenizer",
                "chunk_size",
                "answer_contains_gold",
                "answer_contains_gold_when_answered",
                "abstained",
                "answer_chars_mean",
                "ms_p50",
                "ms_p95",
            ],
        )
    )
    if holdout > 0:
        tok = tokenizers.split(",")[0]
        size = int(chunk_sizes.split(",")[0])
        articles = sorted({d.get_meta("article") for d in documents})
        held = set(rng.sample(articles, int(len(articles) * holdout)))
        kept_docs = [d for d in documents if d.get_meta("article") not in held]
        assistant = Assistant.from_documents(
            kept_docs, AssistantConfig(model="", tokenizer=tok, chunk_size=size)
        )
        answerable: list[float] = []
        unanswerable: list[float] = []
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task("abstention", total=len(questions))
            for q in questions:
                conf = assistant.ask(q.question).confidence
                (unanswerable if q.article in held else answerable).append(conf)
                bar.advance(task)
        trade = abstention_tradeoff(
            answerable, unanswerable, [round(0.05 * i, 2) for i in range(4, 17)]
        )
        report["abstention"] = {
            "tokenizer": tok,
            "chunk_size": size,
            "rows": trade,
            "answerable": len(answerable),
            "unanswerable": len(unanswerable),
        }
        print(f"\nAbstention ({len(answerable)} answerable, {len(unanswerable)} unanswerable):\n")
        print(_table(trade, ["threshold", "false_abstention", "abstention_unanswerable"]))  # type: ignore[arg-type]
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    typer.run(main)
