"""The `qa` command line, through typer's runner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qa.cli import app
from tests.fakes import ScriptedAnswerer
from tests.qa.conftest import ARTICLES

runner = CliRunner()
LEX = ["--model", ""]
ROOT = Path(__file__).resolve().parents[2]
SEED = "长三角国资百企联盟创新子联盟由哪些企业牵头组建?"
SEED_TRADITIONAL = "長三角國資百企聯盟創新子聯盟由哪些企業牽頭組建?"


@pytest.fixture()
def index(tmp_path: Path) -> Path:
    result = runner.invoke(app, ["ingest", str(ARTICLES), "--index", str(tmp_path / "idx"), *LEX])
    assert result.exit_code == 0, result.output
    assert "2 documents" in result.output and "2 added" in result.output
    return tmp_path / "idx"


@pytest.fixture()
def scripted(monkeypatch: pytest.MonkeyPatch) -> None:
    """`qa ask` answers through the scripted answerer: these tests test the CLI's
    printing, whatever the reader would say (its wording is tested with the reader)."""
    answerer = ScriptedAnswerer({SEED: "4家企業牽頭組建", SEED_TRADITIONAL: "4家企業牽頭組建"})
    monkeypatch.setattr("qa.assistant.make_answerer", lambda *args: answerer)


@pytest.mark.usefixtures("scripted")
def test_ask_prints_answer_and_citation(index: Path) -> None:
    result = runner.invoke(app, ["ask", SEED, "--index", str(index), *LEX])
    assert result.exit_code == 0, result.output
    assert "由浙江省能源集團等4家企業牽頭組建。 [1]" in result.output
    assert "[1] " in result.output and "中新網" in result.output and "11月1日" in result.output
    assert "由浙江省能源集團等4家企業牽頭組建。" in result.output  # the quote, verbatim


@pytest.mark.usefixtures("scripted")
def test_ask_json_is_the_whole_answer(index: Path) -> None:
    result = runner.invoke(app, ["ask", SEED_TRADITIONAL, "--index", str(index), "--json", *LEX])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["abstained"] is False
    assert "浙江省能源集團" in data["answer"]
    cite = data["citations"][0]
    assert {"marker", "doc_id", "chunk_id", "start", "end", "quote", "title", "outlet"} <= set(cite)
    assert data["passages"] and set(data["timings"]) >= {"retrieve_ms", "total_ms"}


def test_the_reader_answers_through_the_cli(index: Path) -> None:
    # One end-to-end check with the real reader.
    result = runner.invoke(app, ["ask", SEED, "--index", str(index), "--json", *LEX])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["abstained"] is False


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


def test_empty_ingest_into_an_existing_index_fails(index: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    before = (index / "manifest.json").read_text(encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(empty), "--index", str(index), *LEX])
    assert result.exit_code == 1
    assert "no article was loaded" in result.output and "unchanged" in result.output
    assert (index / "manifest.json").read_text(encoding="utf-8") == before


def test_skipped_files_are_reported_once(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "good.txt").write_text("白马湖实验室今天发布了无人智能清舱装备。", encoding="utf-8")
    (folder / "blank.txt").write_text("   \n", encoding="utf-8")
    result = _run_qa(["ingest", str(folder), "--index", str(tmp_path / "idx"), "--model", ""])
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("blank.txt") == 1, result.stderr
    assert "1 skipped" in result.stdout


def _run_qa(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    """``qa ARGS`` in a fresh interpreter; prints which heavy modules it imported."""
    code = (
        "import sys\n"
        "from qa.cli import main\n"
        f"sys.argv = ['qa', *{args!r}]\n"
        "try:\n    main()\n"
        "finally:\n"
        "    heavy = sorted({m.split('.')[0] for m in sys.modules} & "
        "{'torch', 'sentence_transformers', 'transformers'})\n"
        "    print('IMPORTED:' + ','.join(heavy), file=sys.stderr)\n"
    )
    environ = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    environ.update(PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1", **env)
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=environ,
        cwd=ROOT,
        timeout=120,
    )


def test_repeat_ask_on_a_lexical_index_is_quiet_and_never_imports_torch(tmp_path: Path) -> None:
    # The default model is not available here (offline, not cached): the first run builds a
    # lexical-only index and warns once; later runs neither retry the model nor warn.
    env = {"QA_INDEX_DIR": str(tmp_path / "idx"), "QA_OFFLINE": "1"}
    question = "白马湖实验室是哪家企业牵头共建的?"
    first = _run_qa(["ask", question], **env)
    assert first.returncode == 0, first.stderr
    assert first.stderr.count("Serving lexical (BM25) retrieval only") == 1, first.stderr
    assert "--rebuild" in first.stderr
    for command in (["ask", question], ["search", "白马湖实验室"]):
        again = _run_qa(command, **env)
        assert again.returncode == 0, again.stderr
        assert "浙江省能源集" in again.stdout
        assert "WARNING" not in again.stderr and "warning" not in again.stderr
        assert "IMPORTED:\n" in again.stderr, again.stderr  # no torch, no sentence-transformers


def test_index_info_and_optimize(index: Path) -> None:
    info = runner.invoke(app, ["index", "info", "--index", str(index), *LEX])
    assert info.exit_code == 0, info.output
    data = json.loads(info.output)
    assert data["format_version"] >= 4 and data["counts"]["segments"] >= 1
    assert data["bytes_on_disk"] > 0
    done = runner.invoke(app, ["index", "optimize", "--index", str(index), *LEX])
    assert done.exit_code == 0, done.output
    assert "nothing to do" in done.output or "merged" in done.output
    missing = runner.invoke(app, ["index", "info", "--index", str(index / "nope"), *LEX])
    assert missing.exit_code == 1 and "qa ingest" in missing.output


def test_optimize_with_max_segment_rows_keeps_several_segments_and_the_scores(
    tmp_path: Path,
) -> None:
    from qa import Assistant, AssistantConfig
    from tests.embeddings.corpus_fixture import queries, synthetic_texts

    source = tmp_path / "articles.jsonl"
    with source.open("w", encoding="utf-8") as fh:
        for i, text in enumerate(synthetic_texts(80, seed=4)):
            fh.write(json.dumps({"id": f"a{i}", "text": text}, ensure_ascii=False) + "\n")
    index = tmp_path / "idx"
    config = ["--index", str(index), *LEX, "--chunk-size", "80", "--chunk-overlap", "10"]
    done = runner.invoke(app, ["ingest", str(source), *config])
    assert done.exit_code == 0, done.output
    lexical = AssistantConfig(model="", chunk_size=80, chunk_overlap=10)

    def scores() -> list[tuple[list[int], list[float]]]:
        snap = Assistant.load(index, lexical).snapshot
        found = [snap.bm25.search(q, snap.size) for q in queries(15)]
        return [(h.indices.tolist(), h.scores.tolist()) for h in found]

    def segments() -> list[dict[str, int]]:
        manifest = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
        return list(manifest["segments"])

    assert len(segments()) == 1
    before = scores()
    chunks = sum(s["chunks"] for s in segments())
    cut = runner.invoke(app, ["index", "optimize", *config, "--max-segment-rows", "40"])
    assert cut.exit_code == 0, cut.output
    assert "rewrote 1 segments as" in cut.output and "at most 40 chunks each" in cut.output
    # The one segment was split into several of at most 40 chunks: rows and bit-equal
    # BM25 scores of the index as it was.
    after = segments()
    assert len(after) >= chunks // 40 >= 3
    assert all(s["chunks"] <= 40 for s in after)
    assert scores() == before
    info = json.loads(runner.invoke(app, ["index", "info", *config]).output)
    assert info["max_segment_rows"] == 40  # recorded: later merges keep to it
    again = runner.invoke(app, ["index", "optimize", *config, "--max-segment-rows", "40"])
    assert again.exit_code == 0 and "nothing to do" in again.output
    # Without the option: one segment again.
    one = runner.invoke(app, ["index", "optimize", *config])
    assert one.exit_code == 0 and f"merged {len(after)} segments into one" in one.output
    assert len(segments()) == 1 and scores() == before
    bad = runner.invoke(app, ["index", "optimize", *config, "--max-segment-rows", "0"])
    assert bad.exit_code != 0


def test_serve_on_more_shards_than_segments_says_how_to_cut_the_index(index: Path) -> None:
    # The bundled articles: an index of one segment. The shards were sized for 4: an
    # error before anything starts, with the command that cuts it.
    pytest.importorskip("ray", reason="the ray extra is not installed")
    result = runner.invoke(app, ["serve", "--shards", "4", "--index", str(index), *LEX])
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert "has 1 segment(s), fewer than the 4 shards" in text
    assert "qa index optimize --index" in text and "--max-segment-rows" in text


def test_ingest_skips_text_that_is_not_unicode(tmp_path: Path) -> None:
    # A lone surrogate in a .jsonl line, and a file name that is not UTF-8, are skipped
    # with a warning; the rest is indexed (they used to abort the whole ingest).
    src = tmp_path / "in"
    src.mkdir()
    good = "成都5月8日电 四川省气象台今天发布暴雨蓝色预警，提醒沿江地区做好防汛准备。"
    (src / "feed.jsonl").write_text(
        r'{"text": "bad \ud800 line"}' + "\n" + json.dumps({"text": good}) + "\n",
        encoding="utf-8",
    )
    with open(os.fsencode(src) + b"/\xff.txt", "wb") as fh:
        fh.write("重庆3月1日电 一篇文件名不是UTF-8的文章。".encode())
    result = runner.invoke(app, ["ingest", str(src), "--index", str(tmp_path / "idx"), *LEX])
    assert result.exit_code == 0, result.output
    assert "1 documents" in result.output or "1 document" in result.output
    assert "2 skipped" in result.output
    assert "Traceback" not in result.output


def test_ingest_leaves_nothing_beside_the_index(tmp_path: Path) -> None:
    # The write lock is a file inside the index directory, there only while a write runs
    # (an untracked .idx.lock beside idx/ was left before).
    out = tmp_path / "out"
    out.mkdir()
    index = out / "idx"
    result = runner.invoke(app, ["ingest", str(ARTICLES), "--index", str(index), *LEX])
    assert result.exit_code == 0, result.output
    assert [p.name for p in out.iterdir()] == ["idx"]
    assert sorted(p.name for p in index.iterdir()) == ["deletes", "manifest.json", "segments"]
    empty = tmp_path / "empty"
    empty.mkdir()
    failed = runner.invoke(app, ["ingest", str(empty), "--index", str(out / "none"), *LEX])
    assert failed.exit_code == 1
    assert [p.name for p in out.iterdir()] == ["idx"]  # no index, no directory, no lock
