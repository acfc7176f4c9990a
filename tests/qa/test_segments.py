"""Writes as segments: an update costs the documents it changes; ingest streams its
input through worker processes into segments and gives the index a one-shot build gives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corpus import loaders
from qa import Assistant, AssistantConfig, Document
from qa import ingest as ingest_module
from qa.index import optimize_index
from qa.ingest import ingest_paths
from qa.writing import IndexWriter
from tests.embeddings.corpus_fixture import queries, synthetic_texts
from tests.qa.conftest import ARTICLES

LEXICAL = AssistantConfig(model="", chunk_size=80, chunk_overlap=10)


def _articles(folder: Path, n: int, seed: int = 3) -> Path:
    """A JSONL file of ``n`` synthetic articles."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "articles.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for i, text in enumerate(synthetic_texts(n, seed=seed)):
            record = {"id": f"a{i:04d}", "title": f"第{i}篇", "text": text}
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def _scores(assistant: Assistant, query: str) -> dict[str, float]:
    snap = assistant.snapshot
    hits = snap.bm25.search(query, snap.size)
    return {snap.chunk(int(r)).id: float(s) for r, s in zip(hits.indices, hits.scores, strict=True)}


def _same(a: Assistant, b: Assistant) -> None:
    """The same documents and chunks with the same BM25 scores (their order may differ
    where a longer copy replaced an earlier one in another segment)."""
    assert sorted(a.documents, key=lambda d: d.id) == sorted(b.documents, key=lambda d: d.id)
    assert sorted(a.snapshot.chunks, key=lambda c: c.id) == sorted(
        b.snapshot.chunks, key=lambda c: c.id
    )
    for q in queries(15):
        assert _scores(a, q) == _scores(b, q), q


def _names(folder: Path) -> list[str]:
    """What ``folder`` holds, but the indexes' lock files (kept: see
    embeddings.store.lock)."""
    return sorted(p.name for p in folder.iterdir() if not p.name.endswith(".lock"))


def _segments(directory: Path) -> list[str]:
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    return [s["name"] for s in manifest["segments"]]


@pytest.mark.parametrize("workers", [0, 2])
def test_streamed_ingest_equals_a_build_in_memory(
    workers: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _articles(tmp_path / "in", 120)
    # Small parts and segments, and workers even for this small input.
    monkeypatch.setattr(loaders, "STREAM_BYTES", 1000)
    monkeypatch.setattr(loaders, "_PART_LINES", 7)
    monkeypatch.setattr(ingest_module, "_IN_PROCESS_BYTES", 0)
    assistant, result = ingest_paths(
        [path], tmp_path / "idx", LEXICAL, workers=workers, segment_rows=60
    )
    assert assistant is not None
    memory = Assistant.from_paths([path], LEXICAL)
    summary = result.summary
    assert result.loaded == summary.added + summary.merged
    assert summary.added == len(memory.documents) > 60 and summary.merged > 0
    _same(assistant, memory)
    _same(Assistant.load(tmp_path / "idx", LEXICAL), memory)
    assert len(_segments(tmp_path / "idx")) > 1
    # Merging every segment changes nothing a reader sees.
    manifest = json.loads((tmp_path / "idx" / "manifest.json").read_text(encoding="utf-8"))
    deleted = manifest["counts"]["deleted_documents"]  # copies replaced by longer ones
    before, dropped = optimize_index(tmp_path / "idx")
    assert before > 1 and dropped == deleted and len(_segments(tmp_path / "idx")) == 1
    _same(Assistant.load(tmp_path / "idx", LEXICAL), memory)


def test_updates_write_new_segments_and_tombstones(tmp_path: Path) -> None:
    path = _articles(tmp_path / "in", 40)
    assistant, _ = ingest_paths([path], tmp_path / "idx", LEXICAL, workers=0)
    assert assistant is not None
    count = len(assistant.documents)
    ids = [d.id for d in assistant.documents]
    first = _segments(tmp_path / "idx")
    # Unchanged: nothing written.
    again, result = ingest_paths([path], tmp_path / "idx", LEXICAL, workers=0)
    assert result.summary.unchanged == result.loaded >= count and not result.summary.changed
    assert _segments(tmp_path / "idx") == first
    # One changed article: one new segment, the old version marked deleted.
    changed = Document(id=ids[3], title="改", text="长三角新闻：今天发布新规。", source="x")
    loaded = Assistant.load(tmp_path / "idx", LEXICAL)
    summary = loaded.add_documents([changed])
    assert summary.updated == 1
    loaded.save(tmp_path / "idx")
    manifest = json.loads((tmp_path / "idx" / "manifest.json").read_text(encoding="utf-8"))
    assert [s["name"] for s in manifest["segments"]][: len(first)] == first
    assert len(manifest["segments"]) == len(first) + 1
    assert manifest["segments"][0]["deleted_documents"] == 1
    reopened = Assistant.load(tmp_path / "idx", LEXICAL)
    assert reopened.get_document(ids[3]) == changed
    assert len(reopened.documents) == count
    # A delete: a tombstone only.
    assert reopened.remove_documents([ids[10]]) == 1
    reopened.save(tmp_path / "idx")
    assert _segments(tmp_path / "idx")[: len(first)] == first
    fresh = Assistant.load(tmp_path / "idx", LEXICAL)
    assert fresh.get_document(ids[10]) is None and len(fresh.documents) == count - 1
    # Another process's assistant sees the writes after a refresh, cheaply.
    assert loaded.refresh() is True
    assert loaded.get_document(ids[10]) is None
    assert loaded.refresh() is False


def test_a_copy_of_an_indexed_story_is_merged_across_segments(tmp_path: Path) -> None:
    config = AssistantConfig(model="")
    assistant, _ = ingest_paths([ARTICLES], tmp_path / "idx", config, workers=0)
    assert assistant is not None
    text = (ARTICLES / "003_89db59789a0dcd3a.txt").read_text(encoding="utf-8")
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "elsewhere.txt").write_text(text + "\n（本文来源：中新网）", encoding="utf-8")
    again, result = ingest_paths([copy], tmp_path / "idx", config, workers=0)
    assert again is not None
    assert result.summary.merged == 1 and result.summary.added == 0
    kept = again.get_document(result.summary.merges[0].kept)
    assert kept is not None and "elsewhere.txt" in {Path(a.source).name for a in kept.alternates}


def test_an_interrupted_build_leaves_the_previous_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _articles(tmp_path / "in", 60)
    monkeypatch.setattr(loaders, "STREAM_BYTES", 1000)
    monkeypatch.setattr(loaders, "_PART_LINES", 7)
    ingest_paths([path], tmp_path / "idx", LEXICAL, workers=0)
    before = _segments(tmp_path / "idx")
    calls = {"n": 0}
    original = IndexWriter.add

    def crash(self: IndexWriter, *args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("simulated crash")
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(IndexWriter, "add", crash)
    with pytest.raises(RuntimeError, match="simulated"):
        ingest_paths([path], tmp_path / "idx", LEXICAL, workers=0, rebuild=True, segment_rows=30)
    assert _segments(tmp_path / "idx") == before
    assert _names(tmp_path) == ["idx", "in"]
    calls["n"] = 0
    with pytest.raises(RuntimeError, match="simulated"):
        ingest_paths([path], tmp_path / "new", LEXICAL, workers=0, segment_rows=30)
    assert not (tmp_path / "new").exists()
    assert _names(tmp_path) == ["idx", "in"]


def test_large_jsonl_lines_that_are_not_utf8_are_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _articles(tmp_path / "in", 5)
    with path.open("ab") as fh:
        fh.write('{"text": "乱码"}\n'.encode("gbk"))
    monkeypatch.setattr(loaders, "STREAM_BYTES", 10)
    assistant, result = ingest_paths([path], tmp_path / "idx", LEXICAL, workers=0)
    assert assistant is not None and result.loaded == 5
    assert [s.code for s in result.skipped] == ["bad-line"]
    assert "UTF-8" in result.skipped[0].reason


def test_prefetched_candidates_find_what_lookups_one_by_one_find(tmp_path: Path) -> None:
    from corpus.dedupe import fingerprint
    from qa.updates import IndexDuplicates

    assistant, _ = ingest_paths([_articles(tmp_path, 30)], tmp_path / "idx", LEXICAL, workers=0)
    assert assistant is not None
    indexed = sorted(assistant.documents, key=lambda d: d.id)
    incoming = [
        Document(id=f"copy-{i}", title="", text=d.text + "（本文来源：中新网）", source="x")
        for i, d in enumerate(indexed[:5])
    ]
    incoming.append(
        Document(id="fresh", title="", text="与任何文章都不相干的一句话。" * 4, source="y")
    )
    prints = {d.id: fingerprint(d.text).light() for d in incoming}
    snapshot = assistant.snapshot
    eager = IndexDuplicates(snapshot, 0.8)
    eager.prefetch(prints)
    lazy = IndexDuplicates(snapshot, 0.8)
    found = [eager.find(d, prints[d.id]) for d in incoming]
    assert found == [lazy.find(d) for d in incoming]
    assert [m.doc_id if m else None for m in found] == [d.id for d in indexed[:5]] + [None]


def test_an_index_cut_with_a_maximum_keeps_to_it_in_later_merges(tmp_path: Path) -> None:
    from embeddings.store import MergePolicy

    path = _articles(tmp_path / "in", 60)
    ingest_paths([path], tmp_path / "idx", LEXICAL, workers=0)
    optimize_index(tmp_path / "idx", max_rows=40)
    manifest = json.loads((tmp_path / "idx" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["max_segment_rows"] == 40 and len(manifest["segments"]) > 2
    # A policy that merges any two neighbours of a level: without the index's maximum
    # it would fold the 40-row segments together.
    assistant = Assistant.load(tmp_path / "idx", LEXICAL)
    assistant.merge_policy = MergePolicy(factor=2, min_rows=1)
    for i in range(8):
        text = f"第{i}条快讯：长三角地区今天发布新的产业政策，涉及{i + 3}个城市。"
        assistant.add_documents([Document(id=f"n{i}", title=f"快讯{i}", text=text, source="n")])
    after = json.loads((tmp_path / "idx" / "manifest.json").read_text(encoding="utf-8"))
    assert after["max_segment_rows"] == 40
    sizes = [s["chunks"] for s in after["segments"]]
    assert max(sizes) <= 40
    assert len(sizes) < len(manifest["segments"]) + 8  # the new ones were merged
    # An optimize without a maximum: one segment, and the maximum is forgotten.
    optimize_index(tmp_path / "idx")
    last = json.loads((tmp_path / "idx" / "manifest.json").read_text(encoding="utf-8"))
    assert last["max_segment_rows"] is None and len(last["segments"]) == 1
