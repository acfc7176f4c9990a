"""The `qa` command line, through typer's runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qa.cli import app
from tests.qa.conftest import ARTICLES

runner = CliRunner()
LEX = ["--model", ""]


@pytest.fixture()
def index(tmp_path: Path) -> Path:
    result = runner.invoke(app, ["ingest", str(ARTICLES), "--index", str(tmp_path / "idx"), *LEX])
    assert result.exit_code == 0, result.output
    assert "2 documents" in result.output and "2 added" in result.output
    return tmp_path / "idx"


def test_ask_prints_answer_and_citation(index: Path) -> None:
    q = "长三角国资百企联盟创新子联盟由哪些企业牵头组建?"
    result = runner.invoke(app, ["ask", q, "--index", str(index), *LEX])
    assert result.exit_code == 0, result.output
    assert "由浙江省能源集团等4家企业牵头组建 [1]" in result.output
    assert "[1] " in result.output and "中新網" in result.output and "11月1日" in result.output
    assert "由浙江省能源集團等4家企業牽頭組建。" in result.output  # the quote, verbatim


def test_ask_json_is_the_whole_answer(index: Path) -> None:
    q = "長三角國資百企聯盟創新子聯盟由哪些企業牽頭組建?"
    result = runner.invoke(app, ["ask", q, "--index", str(index), "--json", *LEX])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["abstained"] is False
    assert "浙江省能源集團" in data["answer"]
    cite = data["citations"][0]
    assert {"marker", "doc_id", "chunk_id", "start", "end", "quote", "title", "outlet"} <= set(cite)
    assert data["passages"] and set(data["timings"]) >= {"retrieve_ms", "total_ms"}


def test_search_lists_passages(index: Path) -> None:
    result = runner.invoke(app, ["search", "白马湖实验室", "--index", str(index), "-k", "2", *LEX])
    assert result.exit_code == 0, result.output
    assert "1." in result.output and "bm25=" in result.output


def test_reingest_unchanged_changes_nothing(index: Path) -> None:
    before = (index / "manifest.json").read_text(encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(ARTICLES), "--index", str(index), *LEX])
    assert result.exit_code == 0, result.output
    assert "0 added, 0 updated, 2 unchanged" in result.output
    assert (index / "manifest.json").read_text(encoding="utf-8") == before


def test_ingest_report_shows_removals(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["ingest", str(ARTICLES), "--index", str(tmp_path / "i"), "--report", *LEX]
    )
    assert result.exit_code == 0, result.output
    assert "pinyin" in result.output and "boilerplate" in result.output
    assert "outlet: 中新網" in result.output


def test_mismatched_settings_fail_with_a_message(index: Path) -> None:
    result = runner.invoke(
        app, ["ask", "白马湖", "--index", str(index), "--chunk-size", "120", *LEX]
    )
    assert result.exit_code == 1
    assert "qa ingest" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["ask", "   "], "empty"),
        (["ask", "长" * 5000], "limit"),
        (["ingest", "/no/such/path"], "/no/such/path"),
        (["ask", "x", "--chunk-size", "0"], "chunk_size"),
    ],
)
def test_errors_are_one_line_and_nonzero(tmp_path: Path, args: list[str], needle: str) -> None:
    result = runner.invoke(app, [*args, "--index", str(tmp_path / "idx"), *LEX])
    assert result.exit_code != 0
    assert needle in result.output
    assert "Traceback" not in result.output


def test_first_ask_builds_the_index(tmp_path: Path) -> None:
    directory = tmp_path / "fresh"
    result = runner.invoke(
        app, ["ask", "白马湖实验室是哪家企业牵头共建的?", "--index", str(directory), *LEX]
    )
    assert result.exit_code == 0, result.output
    assert (directory / "manifest.json").exists()
    assert "浙江省能源集团" in result.output
