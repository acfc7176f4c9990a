"""The runner, the report files, `qa eval` and `qa eval --compare`, end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eval import compare_runs, format_comparison, load_jsonl, run_questions, summarize, write_report
from eval.summary import HEADLINE
from qa import Assistant
from qa.cli import app
from tests.eval.conftest import SEED, write_jsonl

RAGAS_FIELDS = ("user_input", "response", "retrieved_contexts", "reference")


@pytest.fixture(scope="module")
def seed_run(seed_assistant: Assistant):  # type: ignore[no-untyped-def]
    calls: list[tuple[int, int]] = []
    run = run_questions(
        seed_assistant, load_jsonl(SEED), progress=lambda d, t: calls.append((d, t))
    )
    return run, calls


def test_seed_set_runs_end_to_end(seed_run) -> None:  # type: ignore[no-untyped-def]
    run, calls = seed_run
    n = len(run.results)
    assert calls[-1] == (n, n) and len(calls) == n
    summary = summarize(run)
    m = summary["metrics"]
    for name in HEADLINE:
        assert name in m, name
        lo, hi = m[name]["ci95"]
        assert lo <= m[name]["mean"] <= hi
    assert summary["questions"]["unanswerable"] >= 6
    # retrieval metrics only for answerable questions, abstention split by answerability
    assert m["article_hit@1"]["n"] == summary["questions"]["answerable"]
    assert m["abstained_unanswerable"]["n"] == summary["questions"]["unanswerable"]
    assert m["article_hit@10"]["mean"] > 0.9  # two articles: the gold one is always found
    assert m["citation_valid"]["mean"] == 1.0  # the assistant's quotes are verbatim
    assert set(summary["categories"]) >= {"list", "number", "unanswerable", "follow-up"}
    assert summary["latency"]["p50_ms"] > 0 and summary["latency"]["throughput_qps"] > 0
    curve = summary["hit_curve"]["article"]
    assert list(curve) == [str(k) for k in range(1, 11)]


def test_report_files(seed_run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run, _ = seed_run
    summary = summarize(run)
    files = write_report(run, summary, tmp_path / "out")
    records = [json.loads(x) for x in files.questions.read_text(encoding="utf-8").splitlines()]
    assert len(records) == len(run.results)
    rec = records[0]
    for key in ("id", "question", "answer", "citations", "retrieved", "metrics", *RAGAS_FIELDS):
        assert key in rec
    assert isinstance(rec["retrieved_contexts"], list) and rec["retrieved_contexts"]
    assert {"rank", "chunk_id", "doc_id", "score"} <= set(rec["retrieved"][0])
    assert json.loads(files.summary.read_text(encoding="utf-8"))["metrics"] == summary["metrics"]
    md = files.markdown.read_text(encoding="utf-8")
    assert "## Headline figures" in md and "95% CI" in md and "## Per category" in md
    names = {p.name for p in files.charts}
    assert names == {
        "hit_at_k.png",
        "latency.png",
        "categories.png",
        "abstention.png",
        "reliability.png",
    }
    for p in files.charts:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"charts/{p.name}" in md


def test_cli_eval_jsonl_with_index(tmp_path: Path) -> None:
    qs = write_jsonl(
        tmp_path / "few.jsonl",
        [
            {
                "id": "1",
                "question": "第六屆長三角地區國資國企聯席會議在哪裡召開?",
                "answers": ["杭州"],
                "doc_ids": ["003_89db59789a0dcd3a.txt"],
            },
            {"id": "2", "question": "低空经济报的微信号是多少?", "answers": [], "doc_ids": []},
        ],
    )
    out = tmp_path / "run"
    result = CliRunner().invoke(
        app,
        ["eval", str(qs), "--model", "", "--index", str(tmp_path / "idx"), "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert "contains_gold" in result.output and "Report:" in result.output
    assert {p.name for p in out.iterdir()} >= {"questions.jsonl", "summary.json", "report.md"}


def test_cli_eval_squad_and_compare(squad_file: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    a, b = tmp_path / "a", tmp_path / "b"
    base = ["eval", "--squad", str(squad_file), "--model", ""]
    r1 = runner.invoke(app, [*base, "--out", str(a)])
    assert r1.exit_code == 0, r1.output
    summary = json.loads((a / "summary.json").read_text(encoding="utf-8"))
    assert summary["questions"]["total"] == 4
    assert summary["metrics"]["article_hit@5"]["mean"] == 1.0
    r2 = runner.invoke(app, [*base, "--abstain-threshold", "1.0", "--out", str(b)])
    assert r2.exit_code == 0, r2.output
    r3 = runner.invoke(app, ["eval", "--compare", str(a), str(b / "summary.json")])
    assert r3.exit_code == 0, r3.output
    assert "false_abstention" in r3.output and "Δ" in r3.output and "latency" in r3.output
    rows = {r.metric: r for r in compare_runs(a, b)}
    fa = rows["false_abstention"]
    # Every answer under the highest confidence abstains (the calibration's top step is
    # 1.0, so a reading there still answers at a threshold of 1.0).
    rows_b = [json.loads(line) for line in (b / "questions.jsonl").read_text().splitlines()]
    assert all(r["abstained"] or r["confidence"] == 1.0 for r in rows_b)
    assert fa.b == sum(r["abstained"] for r in rows_b) / len(rows_b) > 0
    assert fa.delta is not None and fa.delta > 0
    assert fa.delta_ci is not None  # both are run folders: a paired interval
    assert "| false_abstention |" in format_comparison(list(rows.values()))


def test_cli_eval_bad_input_is_one_clear_error(tmp_path: Path) -> None:
    runner = CliRunner()
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"id": "1", "question": "x", "answers": ["y"]}])
    r = runner.invoke(app, ["eval", str(bad), "--model", "", "--index", str(tmp_path / "i")])
    assert r.exit_code == 1
    assert "bad.jsonl:1: missing field 'doc_ids'" in r.output
    unknown = write_jsonl(
        tmp_path / "unknown.jsonl",
        [{"id": "1", "question": "谁?", "answers": ["y"], "doc_ids": ["nope.txt"]}],
    )
    r = runner.invoke(app, ["eval", str(unknown), "--model", "", "--index", str(tmp_path / "i")])
    assert r.exit_code == 1 and "unknown.jsonl:1: unknown gold article 'nope.txt'" in r.output
    r = runner.invoke(app, ["eval"])
    assert r.exit_code == 2
    r = runner.invoke(app, ["eval", "--compare", str(tmp_path / "x"), str(tmp_path / "y")])
    assert r.exit_code == 1 and "not a readable eval summary" in r.output


def test_unanswerable_questions_get_no_retrieval_scores(
    seed_assistant: Assistant, tmp_path: Path
) -> None:
    assistant = seed_assistant
    qs = write_jsonl(
        tmp_path / "u.jsonl",
        [{"id": "u", "question": "杭州明天的天气怎么样?", "answers": [], "doc_ids": []}],
    )
    (r,) = run_questions(assistant, load_jsonl(qs)).results
    assert r.metrics["article_hit@1"] is None and r.metrics["contains_gold"] is None
    assert r.metrics["abstained_unanswerable"] in (0.0, 1.0)
    assert r.metrics["false_abstention"] is None
