"""Latency is timed after a warm-up, and the paired interval of ``qa eval --compare`` is
for the difference it shows, also for metrics that apply to some answers only."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eval import compare_runs, load_jsonl, run_questions, summarize
from eval.bootstrap import paired_bootstrap_ci
from eval.report import render_markdown
from eval.runner import WARM_UP_QUESTION
from qa import Assistant
from tests.eval.conftest import SEED

SLOW_FIRST_S = 0.4


@pytest.fixture
def slow_first_ask(seed_assistant: Assistant, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The assistant's first question pays SLOW_FIRST_S, as if it loaded a model."""
    asked: list[str] = []
    real = Assistant.ask

    def ask(self: Assistant, question: str, **kwargs: Any) -> Any:
        if not asked:
            time.sleep(SLOW_FIRST_S)
        asked.append(question)
        return real(self, question, **kwargs)

    monkeypatch.setattr(Assistant, "ask", ask)
    return asked


def test_no_question_is_timed_with_the_warm_up(
    seed_assistant: Assistant, slow_first_ask: list[str]
) -> None:
    questions = load_jsonl(SEED)[:4]
    run = run_questions(seed_assistant, questions)
    assert slow_first_ask[0] == WARM_UP_QUESTION
    assert WARM_UP_QUESTION not in {q.question for q in questions}
    assert [r.question.id for r in run.results] == [q.id for q in questions]
    assert max(r.latency_ms for r in run.results) < SLOW_FIRST_S * 1000
    assert run.warm_up_ms is not None and run.warm_up_ms >= SLOW_FIRST_S * 1000
    summary = summarize(run, resamples=50)
    assert summary["latency"]["warm_up_ms"] == run.warm_up_ms
    assert summary["latency"]["p95_ms"] < SLOW_FIRST_S * 1000
    assert "after a warm-up of" in render_markdown(summary)


def test_without_the_warm_up_the_first_question_pays(
    seed_assistant: Assistant, slow_first_ask: list[str]
) -> None:
    run = run_questions(seed_assistant, load_jsonl(SEED)[:2], warm_up=False)
    assert run.warm_up_ms is None and WARM_UP_QUESTION not in slow_first_ask
    assert run.results[0].latency_ms >= SLOW_FIRST_S * 1000
    assert "warm_up_ms" in summarize(run, resamples=50)["latency"]


# -- the paired interval -------------------------------------------------------------------


def _means(values: list[float | None]) -> float:
    present = [v for v in values if v is not None]
    return sum(present) / len(present)


def test_answer_length_when_the_runs_abstain_on_other_questions() -> None:
    # The case: where both answered, the answers are the same; B abstains on
    # the questions with the longest answers, so its mean length is lower. Pairing only
    # the questions both answered gave [0.000, 0.000] for a difference of -14.
    a: list[float | None] = [40.0] * 30 + [60.0] * 10
    b: list[float | None] = [40.0] * 30 + [None] * 10
    delta = _means(b) - _means(a)
    assert delta == pytest.approx(-5.0)
    lo, hi = paired_bootstrap_ci(a, b)
    assert lo <= delta <= hi and lo < 0
    assert (lo, hi) != (0.0, 0.0)


def test_complete_pairs_are_resampled_as_before() -> None:
    before = [0.0] * 50 + [1.0] * 50
    after = [1.0] * 100
    assert paired_bootstrap_ci(before, after) == paired_bootstrap_ci(
        [*before], [float(x) for x in after]
    )
    assert paired_bootstrap_ci(before, before) == (0.0, 0.0)


def test_a_side_without_values_has_no_interval() -> None:
    assert all(math.isnan(x) for x in paired_bootstrap_ci([None, None], [1.0, 2.0]))
    assert all(math.isnan(x) for x in paired_bootstrap_ci([], []))


lengths = st.one_of(st.none(), st.integers(min_value=1, max_value=300).map(float))


@settings(max_examples=200, deadline=None)
@given(
    pairs=st.lists(st.tuples(lengths, lengths), min_size=1, max_size=60).filter(
        lambda ps: any(a is not None for a, _ in ps) and any(b is not None for _, b in ps)
    ),
    seed=st.integers(min_value=0, max_value=2**16),
)
def test_the_paired_interval_contains_the_observed_difference(
    pairs: list[tuple[float | None, float | None]], seed: int
) -> None:
    before = [a for a, _ in pairs]
    after = [b for _, b in pairs]
    lo, hi = paired_bootstrap_ci(before, after, resamples=400, seed=seed)
    # Both sides have values: some of 400 resamples have values on both sides.
    assert not (math.isnan(lo) or math.isnan(hi))
    delta = _means(after) - _means(before)
    slack = 1e-9 * max(1.0, abs(delta))
    assert lo - slack <= delta <= hi + slack


def _run_folder(folder: Path, per_question: dict[str, float | None]) -> Path:
    folder.mkdir(parents=True)
    values = [v for v in per_question.values() if v is not None]
    mean = sum(values) / len(values)
    summary = {
        "meta": {"set": "seed"},
        "questions": {"total": len(per_question)},
        "metrics": {"answer_chars": {"mean": mean, "n": len(values), "ci95": [mean, mean]}},
        "latency": {"p50_ms": 1.0, "p95_ms": 2.0, "throughput_qps": 100.0},
    }
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    lines = [
        json.dumps({"id": qid, "metrics": {"answer_chars": v}}) for qid, v in per_question.items()
    ]
    (folder / "questions.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_compare_gives_an_interval_that_contains_the_difference(tmp_path: Path) -> None:
    ids = [f"q{i}" for i in range(40)]
    a = _run_folder(tmp_path / "a", {q: (40.0 if i < 30 else 96.0) for i, q in enumerate(ids)})
    b = _run_folder(tmp_path / "b", {q: (40.0 if i < 30 else None) for i, q in enumerate(ids)})
    (row,) = compare_runs(a, b, metrics=["answer_chars"])
    assert row.scope == "all" and row.delta == pytest.approx(-14.0)
    assert row.delta_ci is not None
    lo, hi = row.delta_ci
    assert lo <= row.delta <= hi and hi < 0
    assert row.verdict == "better"  # shorter answers (lower is better for answer_chars)
