"""Run a question set through an :class:`~qa.Assistant` and score every question.

The library part: no printing; progress goes to an optional ``progress(done, total)``
callback (the ``qa eval`` command draws a bar with it).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from eval.citations import answer_sentences, score_citations
from eval.metrics import (
    answer_em,
    answer_f1,
    contains_gold,
    first_relevant_rank,
    ndcg_at_k,
    recall_at_k,
    reciprocal_rank,
)
from eval.questions import Question, resolve_doc_ids
from qa import (
    Assistant,
    Chunk,
    Passage,
    analyze_question,
    normalize_for_matching,
    strip_markers,
)
from qa.types import Answer

__all__ = [
    "KS",
    "OUTCOMES",
    "WARM_UP_QUESTION",
    "EvalRun",
    "QuestionResult",
    "generation_metrics",
    "outcome",
    "run_questions",
]

OUTCOMES: tuple[str, ...] = (
    "correct",
    "wrong_span",
    "trimmed_away",
    "wrong_sentence",
    "wrong_passage",
    "false_abstention",
    "abstained",
    "answered",
)
"""What can happen to a question, best first for answerable ones (the last two are for
questions the corpus cannot answer)."""

KS: tuple[int, ...] = (1, 3, 5, 10)
"""The cut-offs of hit@k and recall@k."""

ProgressCallback = Callable[[int, int], None]

WARM_UP_QUESTION = "这批新闻里有哪些机构发布了新成果?"
"""The throw-away question asked before the clock starts (not in any question set): the
first question of a run would otherwise pay for loading the reader model, jieba's
dictionaries and the index's first pages (seconds, against milliseconds per question)."""


@dataclass(frozen=True, slots=True)
class QuestionResult:
    """One question's answer and scores.

    Attributes:
        question: the question (gold ids resolved to the index's ids).
        answer: what the assistant answered.
        latency_ms: wall time of ``Assistant.ask``.
        metrics: metric name -> value; None where the metric does not apply (retrieval
            metrics for an unanswerable question, citation metrics for an abstention).
        relevant_chunks: ids of the index's chunks that hold a gold answer.
        answer_type: the kind of answer the question asks for (question analysis).
        outcome: what happened (see :func:`outcome`): ``correct``, ``wrong_span``,
            ``trimmed_away``, ``wrong_sentence``, ``wrong_passage``, ``false_abstention``
            for answerable questions; ``abstained`` or ``answered`` for the others.
    """

    question: Question
    answer: Answer
    latency_ms: float
    metrics: Mapping[str, float | None]
    relevant_chunks: tuple[str, ...] = ()
    answer_type: str = ""
    outcome: str = ""

    def to_record(self) -> dict[str, Any]:
        """The per-question JSONL record (also loadable by RAGAS)."""
        q, a = self.question, self.answer
        relevant = set(self.relevant_chunks)
        gold = set(q.doc_ids)
        return {
            "id": q.id,
            "question": q.question,
            "category": q.category,
            "answerable": q.answerable,
            "answers": list(q.answers),
            "doc_ids": list(q.doc_ids),
            "answer": a.text,
            "query": a.query,
            "generator": a.generator,
            "dropped": a.dropped,
            "fallback": a.fallback,
            "abstained": a.abstained,
            "confidence": a.confidence,
            "citations": [c.to_dict() for c in a.citations],
            "retrieved": [
                {
                    "rank": p.rank,
                    "chunk_id": p.chunk.id,
                    "doc_id": p.chunk.doc_id,
                    "title": p.document.display_title,
                    "score": p.score,
                    "scores": dict(p.scores),
                    "gold_article": p.chunk.doc_id in gold,
                    "gold_chunk": p.chunk.id in relevant,
                }
                for p in a.passages
            ],
            "short_answer": a.short_answer,
            "answer_type": self.answer_type,
            "outcome": self.outcome,
            "metrics": dict(self.metrics),
            "latency_ms": round(self.latency_ms, 3),
            # RAGAS field names
            "user_input": q.question,
            "response": strip_markers(a.text) if not a.abstained else "",
            "retrieved_contexts": [p.chunk.text for p in a.passages],
            "retrieved_context_ids": [p.chunk.doc_id for p in a.passages],
            "reference": q.answers[0] if q.answers else "",
            "reference_context_ids": list(q.doc_ids),
        }


@dataclass(frozen=True, slots=True)
class EvalRun:
    """A whole run: per-question results, wall time and what was run.

    Attributes:
        results: one per question, in set order.
        wall_s: seconds for the whole run (asking and scoring), after the warm-up.
        meta: what was evaluated (configuration, files, corpus size).
        warm_up_ms: what the warm-up before the clock started took (loading the models,
            one throw-away question); None when there was none.
    """

    results: tuple[QuestionResult, ...]
    wall_s: float
    meta: Mapping[str, Any] = field(default_factory=dict)
    warm_up_ms: float | None = None


def run_questions(
    assistant: Assistant,
    questions: Sequence[Question],
    *,
    depth: int = 10,
    progress: ProgressCallback | None = None,
    meta: Mapping[str, Any] | None = None,
    warm_up: bool = True,
) -> EvalRun:
    """Ask every question and score retrieval, answer, citations and abstention.

    Before the clock starts, the assistant is warmed up (``warm_up``): its models are
    loaded (:meth:`~qa.Assistant.warm_up`) and :data:`WARM_UP_QUESTION` is asked and
    thrown away, so that no question's latency includes loading what every question
    uses. The warm-up's own time is recorded apart (:attr:`EvalRun.warm_up_ms`).

    Args:
        assistant: the assistant under test.
        questions: the set; gold ids are resolved against the assistant's documents
            first (by id, then by source file name).
        depth: passages retrieved per question (ranking metrics are cut off at 10); the
            answer is drawn from the top ``answer_passages`` whatever the depth.
        progress: called with ``(done, total)`` after each question.
        meta: extra facts to record in the run (files, options).
        warm_up: warm the assistant up first (False: the first question pays for it).

    Raises:
        QuestionSetError: for a gold id that matches no indexed document.
        ValueError: for ``depth < 1``.
    """
    if depth < 1:
        raise ValueError("depth must be at least 1")
    questions = resolve_doc_ids(questions, assistant.documents)
    by_doc: dict[str, list[Chunk]] = {}
    for chunk in assistant.snapshot.chunks:
        by_doc.setdefault(chunk.doc_id, []).append(chunk)
    texts = {d.id: d.text for d in assistant.documents}
    top_k = max(depth, assistant.config.top_k)
    generative = assistant.config.generator != "extractive"
    results = []
    warm_up_ms = None
    if warm_up and questions:
        t0 = time.perf_counter()
        assistant.warm_up()
        assistant.ask(WARM_UP_QUESTION, top_k=top_k)
        warm_up_ms = (time.perf_counter() - t0) * 1000
    t_start = time.perf_counter()
    for done, q in enumerate(questions, start=1):
        t0 = time.perf_counter()
        answer = assistant.ask(q.question, top_k=top_k)
        ms = (time.perf_counter() - t0) * 1000
        relevant = _relevant_chunks(q, by_doc)
        metrics = score_answer(q, answer, relevant, texts.get)
        if generative:
            metrics.update(generation_metrics(answer))
        metrics["latency_ms"] = ms
        kind = analyze_question(q.question).answer_type
        reads = answer.passages[: assistant.config.answer_passages]
        results.append(
            QuestionResult(
                q, answer, ms, metrics, relevant, kind, outcome(q, answer, reads, metrics)
            )
        )
        if progress is not None:
            progress(done, len(questions))
    wall_s = time.perf_counter() - t_start
    cfg = assistant.config
    info: dict[str, Any] = {
        "documents": len(assistant.documents),
        "chunks": len(assistant.snapshot.chunks),
        "retrieval": "bm25+dense" if assistant.dense_enabled else "bm25",
        "depth": top_k,
        "config": {
            "model": cfg.model if assistant.dense_enabled else "",
            "tokenizer": cfg.tokenizer,
            "chunk_size": cfg.chunk_size,
            "chunk_overlap": cfg.chunk_overlap,
            "top_k": cfg.top_k,
            "answer_passages": cfg.answer_passages,
            "answer_chars": cfg.answer_chars,
            "generator": cfg.generator,
            "abstain_threshold": assistant.abstain_threshold,
            **({"llm_model": cfg.llm_model} if generative else {}),
        },
    }
    info.update(meta or {})
    return EvalRun(tuple(results), wall_s, info, warm_up_ms)


def generation_metrics(answer: Answer) -> dict[str, float | None]:
    """What verification did to a generated answer.

    ``generated_sentences``: the model's sentences with content (kept plus dropped);
    ``dropped_sentences``: those verification removed; ``dropped_share``: their share
    (None without sentences); ``fallback``: 1 when the answer is the fallback's.
    """
    fell_back = bool(answer.fallback)
    kept = 0 if fell_back else len(answer_sentences(answer.text))
    generated = kept + answer.dropped
    return {
        "generated_sentences": float(generated),
        "dropped_sentences": float(answer.dropped),
        "dropped_share": answer.dropped / generated if generated else None,
        "fallback": float(fell_back),
    }


def _relevant_chunks(q: Question, by_doc: Mapping[str, Sequence[Chunk]]) -> tuple[str, ...]:
    """Chunks of the gold articles that hold a gold answer.

    With answer offsets (SQuAD) a chunk must cover the span (or, where the span straddles
    two chunks, overlap it); otherwise a chunk must contain a gold answer as text,
    compared script-normalised.
    """
    if not q.answerable:
        return ()
    if q.answer_spans:
        found: list[str] = []
        for doc_id, start, end in q.answer_spans:
            chunks = by_doc.get(doc_id, ())
            covering = [c.id for c in chunks if c.start <= start and end <= c.end]
            found += covering or [c.id for c in chunks if c.start < end and start < c.end]
        return tuple(dict.fromkeys(found))
    golds = [normalize_for_matching(a) for a in q.answers]
    return tuple(
        c.id
        for doc_id in q.doc_ids
        for c in by_doc.get(doc_id, ())
        if any(g in normalize_for_matching(c.text) for g in golds)
    )


def score_answer(
    q: Question,
    answer: Answer,
    relevant_chunks: Sequence[str],
    document_text: Callable[[str], str | None],
) -> dict[str, float | None]:
    """Every per-question metric (None where it does not apply).

    Args:
        q: the question, gold ids resolved.
        answer: the assistant's answer.
        relevant_chunks: chunk ids that hold a gold answer.
        document_text: the cleaned text of a document by id.

    Returns:
        metric name -> value.
    """
    m: dict[str, float | None] = {}
    retrieval = q.answerable and bool(q.doc_ids)
    chunk_ids = [p.chunk.id for p in answer.passages]
    doc_ids = list(dict.fromkeys(p.chunk.doc_id for p in answer.passages))
    for level, ranked, gold in (
        ("article", doc_ids, set(q.doc_ids)),
        ("chunk", chunk_ids, set(relevant_chunks)),
    ):
        ok = retrieval and bool(gold)
        rank = first_relevant_rank(ranked, gold) if ok else 0
        for k in KS:
            m[f"{level}_hit@{k}"] = float(0 < rank <= k) if ok else None
        for k in KS:
            m[f"{level}_recall@{k}"] = recall_at_k(ranked, gold, k) if ok else None
        m[f"{level}_mrr@10"] = reciprocal_rank(rank, 10) if ok else None
        m[f"{level}_ndcg@10"] = ndcg_at_k(ranked, gold, 10) if ok else None
        m[f"{level}_rank"] = float(rank) if ok else None
    scored = q.answerable and bool(q.answers)
    response = "" if answer.abstained else answer.text
    m["contains_gold"] = float(contains_gold(response, q.answers)) if scored else None
    m["em"] = answer_em(response, q.answers) if scored else None
    m["f1"] = answer_f1(response, q.answers) if scored else None
    # The short answer (the bare span) where the answerer gives one, else the text.
    short = "" if answer.abstained else (answer.short_answer or response)
    m["short_em"] = answer_em(short, q.answers) if scored else None
    m["short_f1"] = answer_f1(short, q.answers) if scored else None
    m["answer_chars"] = None if answer.abstained else float(len(strip_markers(answer.text)))
    if answer.abstained:
        m["citation_precision"] = m["citation_valid"] = m["cited_sentence_share"] = None
    else:
        cs = score_citations(
            answer,
            gold_answers=q.answers,
            gold_doc_ids=set(q.doc_ids),
            document_text=document_text,
        )
        m["citation_precision"] = cs.precision if q.answerable else None
        m["citation_valid"] = float(cs.valid)
        m["cited_sentence_share"] = cs.sentence_coverage
    m["abstained"] = float(answer.abstained)
    m["abstained_unanswerable"] = None if q.answerable else float(answer.abstained)
    m["false_abstention"] = float(answer.abstained) if q.answerable else None
    m["confidence"] = answer.confidence
    return m


def outcome(
    q: Question,
    answer: Answer,
    read_passages: Sequence[Passage],
    metrics: Mapping[str, float | None],
) -> str:
    """What happened to one question.

    For an answerable question: ``false_abstention``; ``wrong_passage`` (no gold article
    among the passages the answer was read from); ``wrong_sentence`` (the cited sentence
    holds no gold answer); ``trimmed_away`` (it does, the answer text does not);
    ``wrong_span`` (the answer text holds it, the short answer's F1 is below 0.5);
    ``correct``. For a question the corpus cannot answer: ``abstained`` or ``answered``.
    """
    if not q.answerable:
        return "abstained" if answer.abstained else "answered"
    if answer.abstained:
        return "false_abstention"
    gold = set(q.doc_ids)
    if gold and not any(p.chunk.doc_id in gold for p in read_passages):
        return "wrong_passage"
    golds = [normalize_for_matching(g) for g in q.answers if g.strip()]
    quotes = normalize_for_matching(" ".join(c.quote for c in answer.citations))
    if not any(g in quotes for g in golds):
        return "wrong_sentence"
    if not metrics.get("contains_gold"):
        return "trimmed_away"
    short_f1 = metrics.get("short_f1")
    if short_f1 is not None and short_f1 < 0.5:
        return "wrong_span"
    return "correct"
