"""Evaluation runs end to end: build the corpus of a SQuAD set, ask, score, report.

What ``qa eval`` and the benchmark command (:mod:`eval.benchmark`) share, on top of the
one runner (:mod:`eval.runner`) and the one summary (:mod:`eval.summary`).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from eval.questions import Question, load_squad_questions
from eval.report import ReportFiles, write_report
from eval.runner import EvalRun, run_questions
from eval.summary import summarize
from qa import Assistant, AssistantConfig, Progress

__all__ = ["ASKING", "run_and_report", "sample", "squad_assistant"]

ASKING = "Asking questions"
"""The progress stage of asking the questions."""


def squad_assistant(
    files: Sequence[str | Path],
    config: AssistantConfig,
    *,
    holdout: float = 0.0,
    seed: int = 13,
    progress: Progress | None = None,
) -> tuple[Assistant, tuple[Question, ...]]:
    """An in-memory assistant over the pooled paragraphs of SQuAD-format files, and
    their questions (see :func:`eval.questions.load_squad_questions`).

    Raises:
        QuestionSetError: when a file is missing or not SQuAD format.
    """
    documents, questions = load_squad_questions(files, holdout=holdout, seed=seed)
    return Assistant.from_documents(documents, config, progress=progress), questions


def sample(questions: Sequence[Question], limit: int, seed: int) -> tuple[Question, ...]:
    """A seeded random ``limit`` of the questions (all of them for 0 or more than there are)."""
    if limit and limit < len(questions):
        return tuple(random.Random(seed).sample(list(questions), limit))
    return tuple(questions)


def run(
    assistant: Assistant,
    questions: Sequence[Question],
    *,
    meta: Mapping[str, Any],
    depth: int = 10,
    limit: int = 0,
    seed: int = 13,
    progress: Progress | None = None,
) -> EvalRun:
    """Ask (a sample of) the questions and score them."""

    def asked(done: int, total: int) -> None:
        if progress is not None:
            progress(ASKING, done, total)

    return run_questions(
        assistant, sample(questions, limit, seed), depth=depth, meta=meta, progress=asked
    )


def run_and_report(
    assistant: Assistant,
    questions: Sequence[Question],
    *,
    out_dir: str | Path,
    meta: Mapping[str, Any],
    depth: int = 10,
    limit: int = 0,
    seed: int = 13,
    progress: Progress | None = None,
) -> tuple[dict[str, Any], ReportFiles]:
    """Ask, score and summarise, and write the report to ``out_dir``.

    Returns:
        The summary and the files written.
    """
    result = run(
        assistant, questions, meta=meta, depth=depth, limit=limit, seed=seed, progress=progress
    )
    summary = summarize(result)
    return summary, write_report(result, summary, out_dir)
