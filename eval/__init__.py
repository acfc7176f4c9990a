"""Evaluation: question sets, metrics, the batch runner, reports and comparisons.

Typical use (what ``qa eval`` does)::

    from eval import load_jsonl, run_questions, summarize, write_report
    run = run_questions(assistant, load_jsonl("eval/questions/seed.jsonl"))
    write_report(run, summarize(run), "runs/seed")
"""

from __future__ import annotations

from eval.bootstrap import bootstrap_ci, paired_bootstrap_ci
from eval.cmrc import em_score, f1_score
from eval.compare import (
    ComparisonRow,
    QuestionOverlap,
    compare_runs,
    format_comparison,
    load_run,
    question_overlap,
)
from eval.metrics import (
    contains_gold,
    first_relevant_rank,
    hit_at_k,
    mrr_at_k,
    ndcg_at_k,
    recall_at_k,
)
from eval.questions import (
    EvalError,
    Question,
    QuestionSetError,
    load_jsonl,
    load_squad_questions,
    resolve_doc_ids,
)
from eval.report import ReportFiles, write_report
from eval.runner import EvalRun, QuestionResult, run_questions
from eval.squad import BenchmarkQuestion, load_squad
from eval.summary import summarize

__all__ = [
    "BenchmarkQuestion",
    "ComparisonRow",
    "QuestionOverlap",
    "EvalError",
    "EvalRun",
    "Question",
    "QuestionResult",
    "QuestionSetError",
    "ReportFiles",
    "bootstrap_ci",
    "compare_runs",
    "contains_gold",
    "em_score",
    "f1_score",
    "first_relevant_rank",
    "format_comparison",
    "hit_at_k",
    "load_jsonl",
    "load_run",
    "question_overlap",
    "load_squad",
    "load_squad_questions",
    "mrr_at_k",
    "ndcg_at_k",
    "paired_bootstrap_ci",
    "recall_at_k",
    "resolve_doc_ids",
    "run_questions",
    "summarize",
    "write_report",
]
