"""`qa eval --compare` over runs of different questions: a clear warning, overlap counts,
and verdicts over the shared questions only (or none)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eval import compare_runs, question_overlap
from qa.cli import app
from tests.eval.conftest import SEED, tiny_squad

runner = CliRunner()


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, squad_file_module: Path) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("runs")
    made = {}
    for name, args in {
        "all": ["--squad", str(squad_file_module)],
        "all_strict": ["--squad", str(squad_file_module), "--abstain-threshold", "1.0"],
        "half": ["--squad", str(squad_file_module), "--limit", "2", "--abstain-threshold", "1.0"],
        "seed": [str(SEED), "--index", str(root / "idx")],
    }.items():
        out = root / name
        result = runner.invoke(app, ["eval", *args, "--model", "", "--out", str(out)])
        assert result.exit_code == 0, result.output
        made[name] = out
    return made


@pytest.fixture(scope="module")
def squad_file_module(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("squad") / "tiny_squad.json"
    path.write_text(json.dumps(tiny_squad(), ensure_ascii=False), encoding="utf-8")
    return path


def test_same_questions_compare_as_before(runs: dict[str, Path]) -> None:
    overlap = question_overlap(runs["all"], runs["all_strict"])
    assert overlap.same and overlap.warning() is None
    assert (overlap.total_a, overlap.total_b, overlap.shared) == (4, 4, 4)
    rows = {r.metric: r for r in compare_runs(runs["all"], runs["all_strict"])}
    assert rows["false_abstention"].scope == "all"
    assert rows["false_abstention"].verdict in {"worse", "~"}


def test_a_sample_is_compared_on_the_shared_questions_only(runs: dict[str, Path]) -> None:
    overlap = question_overlap(runs["all"], runs["half"])
    assert not overlap.same
    assert (overlap.total_a, overlap.total_b, overlap.shared) == (4, 2, 2)
    warning = overlap.warning()
    assert warning is not None and "2 shared" in warning and "A asked 4 questions, B 2" in warning
    rows = {r.metric: r for r in compare_runs(runs["all"], runs["half"])}
    fa = rows["false_abstention"]
    assert fa.scope == "shared"
    # Over the two shared questions: no false abstention in A; in B (a threshold of 1.0,
    # which a confidence of exactly 1.0 still passes) the share its own answers show.
    lines = (runs["half"] / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    abstained = [json.loads(line)["abstained"] for line in lines]
    assert len(abstained) == 2 and any(abstained)
    assert fa.a == 0.0 and fa.b == sum(abstained) / 2 and fa.delta == fa.b


def test_different_sets_get_no_verdict(runs: dict[str, Path]) -> None:
    overlap = question_overlap(runs["all"], runs["seed"])
    assert overlap.shared == 0 and overlap.set_a != overlap.set_b
    assert "none shared" in (overlap.warning() or "")
    rows = compare_runs(runs["all"], runs["seed"])
    assert rows and {r.verdict for r in rows} == {"n/a"} and {r.scope for r in rows} == {"none"}


def test_summaries_alone_over_different_questions_get_no_verdict(
    runs: dict[str, Path], tmp_path: Path
) -> None:
    lone = tmp_path / "summary.json"
    shutil.copy(runs["half"] / "summary.json", lone)
    overlap = question_overlap(runs["all"], lone)
    assert overlap.shared is None and not overlap.same
    assert "cannot be paired" in (overlap.warning() or "")
    assert {r.verdict for r in compare_runs(runs["all"], lone)} == {"n/a"}


def test_cli_warns_and_shows_the_overlap(runs: dict[str, Path]) -> None:
    result = runner.invoke(app, ["eval", "--compare", str(runs["all"]), str(runs["half"])])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "warning:" in text and "different questions" in text
    assert "A asked 4 questions, B 2, 2 shared" in text
    same = runner.invoke(app, ["eval", "--compare", str(runs["all"]), str(runs["all_strict"])])
    assert same.exit_code == 0 and "warning" not in same.output
