"""Questions over ingested news pages: nothing from sidebars, never two copies of a text;
copies merged at ingest and on later updates; ids that survive moving a collection."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from corpus import Document, document_from_text, load_documents
from corpus.dedupe import DuplicateIndex, containment, shingles
from corpus.normalize import normalize_for_matching
from qa import Assistant, AssistantConfig, Searcher, make_retrievers
from qa.cli import app
from qa.updates import merge_documents
from tests.corpus.fixtures.newspages import PAGES, SIDEBAR_QUESTIONS
from tests.qa.conftest import ARTICLES

runner = CliRunner()
LEX = ["--model", ""]


@pytest.fixture(scope="module")
def page_assistant() -> Assistant:
    return Assistant.from_paths([PAGES, ARTICLES], AssistantConfig(model=""))


def _fold(text: str) -> str:
    return normalize_for_matching(text).replace(" ", "")


@pytest.mark.parametrize(("question", "fact"), SIDEBAR_QUESTIONS)
def test_sidebar_facts_are_not_answered(
    page_assistant: Assistant, question: str, fact: str
) -> None:
    answer = page_assistant.ask(question)
    quoted = _fold(answer.text + "".join(c.quote for c in answer.citations))
    assert answer.abstained or _fold(fact) not in quoted, (answer.text, fact)


def test_article_facts_are_answered_from_the_pages(page_assistant: Assistant) -> None:
    answer = page_assistant.ask("长三角国资百企联盟创新子联盟由哪些企业牵头组建?")
    assert not answer.abstained
    assert any("浙江省能源集團" in c.quote for c in answer.citations)
    answer = page_assistant.ask("关岛秧鸡于什么时期从关岛南部消失?")
    assert not answer.abstained and "1970年代初期" in answer.text


def test_copies_are_indexed_once(page_assistant: Assistant) -> None:
    # Seed 003 appears on three sites and as a text file: one document, three alternates.
    holders = [d for d in page_assistant.documents if "浙江省能源集團等4家企業牽頭組建" in d.text]
    assert len(holders) == 1
    assert len(holders[0].alternates) == 3
    names = {Path(a.source).name for a in holders[0].alternates}
    assert "003_89db59789a0dcd3a.txt" in names


def test_answers_never_cite_two_copies(page_assistant: Assistant) -> None:
    seed = Path(__file__).resolve().parents[2] / "eval" / "questions" / "seed.jsonl"
    for line in seed.read_text(encoding="utf-8").splitlines():
        question = json.loads(line)["question"]
        answer = page_assistant.ask(question)
        quotes = [_fold(c.quote) for c in answer.citations]
        for i, a in enumerate(quotes):
            for b in quotes[i + 1 :]:
                assert a not in b and b not in a, question
        texts = [_fold(p.chunk.text) for p in answer.passages]
        assert len(set(texts)) == len(texts), question


def test_search_leaves_out_copies_that_escaped_ingest() -> None:
    # With duplicate detection off at ingest both copies are indexed ...
    text = (ARTICLES / "003_89db59789a0dcd3a.txt").read_text(encoding="utf-8")
    docs = [
        document_from_text(text, source="a.txt"),
        document_from_text(text.replace("中新網", "本網"), source="b.txt"),
    ]
    assistant = Assistant.from_documents(docs, AssistantConfig(model="", duplicate_threshold=0))
    assert len(assistant.documents) == 2
    query = "长三角国资百企联盟创新子联盟由哪些企业牵头组建?"
    both = {p.chunk.doc_id for p in assistant.search(query, k=2)}
    assert len(both) == 2
    # ... and a searcher that leaves out copied passages returns one of them.
    snap = assistant.snapshot
    searcher = Searcher(snap, make_retrievers(snap, None), duplicate_threshold=0.8)
    passages = searcher.search(query, 5)
    assert len({_fold(p.chunk.text) for p in passages}) == len(passages)
    top_texts = [p.chunk.text for p in passages if "浙江省能源集團等4家企業" in p.chunk.text]
    assert len(top_texts) == 1
    assert [p.rank for p in passages] == list(range(1, len(passages) + 1))


def test_a_brief_inside_a_longer_story_is_not_passed_twice(page_assistant: Assistant) -> None:
    # The two-sentence brief is the opening of the Neto article: too short a part of it
    # to be merged at ingest, it must still not come back beside the passage holding it.
    passages = page_assistant.search("莱昂德罗·内托是哪国的足球运动员？", k=5)
    grams = [(p.chunk.doc_id, shingles(p.chunk.text)) for p in passages]
    for i, (doc_a, a) in enumerate(grams):
        for doc_b, b in grams[i + 1 :]:
            assert doc_a == doc_b or containment(a, b) < 0.8
    assert [p.rank for p in passages] == list(range(1, len(passages) + 1))
    assert "巴西足球运动员" in passages[0].chunk.text


# -- merging ------------------------------------------------------------------------------


def _doc(text: str, source: str) -> Document:
    return document_from_text(text, source=source)


STORY = "".join(f"第{i}段：长三角国资国企联席会议在杭州召开，会议发布倡议书。" for i in range(12))


def test_merge_records_copies_and_recognises_them_later() -> None:
    first = _doc(STORY, "site-a.html")
    copy = _doc(STORY + "（来源：中新网）", "site-b.html")
    index = DuplicateIndex()
    merged, summary = merge_documents((), [first, copy], duplicates=index)
    assert [d.id for d in merged] == [first.id]
    assert summary.added == 1 and summary.merged == 1
    assert merged[0].alternates[0].id == copy.id and summary.merges[0].kept == first.id
    # The same copy again: unchanged, nothing to do.
    again, summary = merge_documents(merged, [copy], duplicates=index)
    assert summary.unchanged == 1 and not summary.changed and again == merged
    # A new version of the kept article keeps its alternates.
    edited = _doc(STORY + "会后举行了签约仪式。", "site-a.html")
    updated, summary = merge_documents(merged, [edited], duplicates=index)
    assert summary.updated == 1 and updated[0].alternates == merged[0].alternates


def test_a_longer_copy_replaces_the_kept_one() -> None:
    short = _doc(STORY[: len(STORY) // 2], "brief.html")
    full = _doc(STORY, "full.html")
    merged, summary = merge_documents((), [short, full], duplicates=DuplicateIndex())
    assert [d.id for d in merged] == [full.id]
    assert merged[0].alternates[0].id == short.id and summary.merges[0].replaced


def test_a_changed_copy_that_is_no_longer_a_copy_is_added() -> None:
    first = _doc(STORY, "site-a.html")
    copy = _doc(STORY, "site-b.html")
    merged, _ = merge_documents((), [first, copy], duplicates=DuplicateIndex())
    other = _doc("完全不同的一篇报道：台风登陆广东，气象台发布暴雨红色预警。" * 5, "site-b.html")
    now, summary = merge_documents(merged, [other], duplicates=DuplicateIndex(merged))
    assert summary.added == 1 and len(now) == 2
    assert now[0].alternates == ()  # the stale record is gone


def test_add_documents_merges_copies_of_indexed_stories(tmp_path: Path) -> None:
    assistant = Assistant.from_paths([ARTICLES], AssistantConfig(model=""))
    page = PAGES / "huadong" / "2024" / "1101" / "c1002-20241101.html"
    summary = assistant.add_documents(load_documents([page]).documents)
    assert summary.merged == 1 and summary.added == 0 and len(assistant.documents) == 2
    kept = assistant.get_document(summary.merges[0].kept)
    assert kept is not None and kept.alternates[0].url.startswith("https://www.huadong-news")
    # Alternates are stored with the index, and the index on disk knows the copy again.
    assistant.save(tmp_path / "idx")
    loaded = Assistant.load(tmp_path / "idx", AssistantConfig(model=""))
    assert loaded.get_document(kept.id) == kept
    again = loaded.add_documents(load_documents([page]).documents)
    assert (again.unchanged, again.merged, again.changed) == (1, 0, False)


# -- ids ----------------------------------------------------------------------------------


def test_moving_a_collection_does_not_duplicate_it(tmp_path: Path) -> None:
    index = str(tmp_path / "idx")
    first = runner.invoke(app, ["ingest", str(ARTICLES), "--index", index, *LEX])
    assert first.exit_code == 0 and "2 added" in first.output
    moved = tmp_path / "moved" / "articles"
    shutil.copytree(ARTICLES, moved)
    again = runner.invoke(app, ["ingest", str(moved), "--index", index, *LEX])
    assert again.exit_code == 0, again.output
    assert "2 documents" in again.output and "0 added, 0 updated, 2 unchanged" in again.output
    single = runner.invoke(
        app, ["ingest", str(moved / "003_89db59789a0dcd3a.txt"), "--index", index, *LEX]
    )
    assert "0 added, 0 updated, 1 unchanged" in single.output


def test_an_index_with_the_old_ids_asks_to_be_rebuilt(tmp_path: Path) -> None:
    index = tmp_path / "idx"
    assert runner.invoke(app, ["ingest", str(ARTICLES), "--index", str(index), *LEX]).exit_code == 0
    manifest = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
    manifest["format_version"] = 2
    (index / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(ARTICLES), "--index", str(index), *LEX])
    assert result.exit_code == 1 and "--rebuild" in result.output
    rebuilt = runner.invoke(
        app, ["ingest", str(ARTICLES), "--index", str(index), "--rebuild", *LEX]
    )
    assert rebuilt.exit_code == 0 and "2 added" in rebuilt.output


def test_ingest_report_lists_pages_merges_and_skips(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["ingest", str(PAGES), "--index", str(tmp_path / "i"), "--report", *LEX]
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert "extraction: kept" in out and "sidebar:" in out and "comments:" in out
    assert "merged as a copy of" in out and "Copies merged: 4" in out
    assert "list-page: its main text is" in out and "Skipped: 2" in out
    assert "[pinyin " in out and "published: 2024-07-01T17:35:13  (meta)" in out
    summary = runner.invoke(app, ["ingest", str(PAGES), "--index", str(tmp_path / "j"), *LEX])
    assert "4 merged as copies, 2 skipped" in summary.output
    assert "Skipped: list-page 1, no-article-text 1" in summary.output


def test_replace_keeps_type() -> None:
    d = _doc(STORY, "x.html")
    assert replace(d, alternates=()).alternates == ()
