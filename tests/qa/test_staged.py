"""Staged ingest (qa.staged): segments planned in input order, built and written by a
sink into the index's staging area, and committed together: the index plain ingest
writes; a failed segment leaves the index at its previous generation, and the staging
area is removed (after a crash, by start-up recovery). The Ray sink is tested in
tests/qa/test_distributed.py; here the in-process one."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from corpus import loaders
from embeddings.errors import IndexWriteError
from embeddings.store import prepare_document
from embeddings.store.recovery import recover_index
from embeddings.store.staging import STAGING_PREFIX, new_staging, write_staged
from qa import Assistant, AssistantConfig
from qa import ingest as ingest_module
from qa.ingest import ingest_paths
from qa.staged import LocalSink, SegmentJob
from tests.embeddings.corpus_fixture import queries, synthetic_texts

LEXICAL = AssistantConfig(model="", chunk_size=80, chunk_overlap=10)
KEYS = ("documents", "chunks", "deleted_documents", "deleted_chunks")


def _write(path: Path, records: list[dict[str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def _first(n: int) -> list[dict[str, str]]:
    return [
        {"id": f"a{i:04d}", "title": f"第{i}篇", "text": text}
        for i, text in enumerate(synthetic_texts(n, seed=5))
    ]


def _second(first: list[dict[str, str]]) -> list[dict[str, str]]:
    """New articles, changed versions of indexed ones, and longer copies of indexed
    stories under new ids (they replace them: deletions in earlier segments)."""
    fresh = [
        {"id": f"b{i:04d}", "title": f"新{i}篇", "text": text}
        for i, text in enumerate(synthetic_texts(40, seed=9))
    ]
    changed = [dict(r, text=r["text"] + "（更新）今天又有新的进展。") for r in first[10:16]]
    copies = [
        {"id": f"c{i:04d}", "title": r["title"], "text": r["text"] + "（本文来源：中新网）"}
        for i, r in enumerate(first[30:36])
    ]
    return fresh[:15] + changed + copies + fresh[15:]


def _manifest(directory: Path) -> dict[str, object]:
    data = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _shape(directory: Path) -> list[list[int]]:
    segments = _manifest(directory)["segments"]
    assert isinstance(segments, list)
    return [[s[k] for k in KEYS] for s in segments]


def _same_index(a_dir: Path, b_dir: Path, *, same_segments: bool = True) -> None:
    """The same documents and chunks in the same order, bit-equal BM25 scores, the same
    passages; and, unless the merge policy ran at different times, the same segments
    with the same deletions."""
    a, b = Assistant.load(a_dir, LEXICAL), Assistant.load(b_dir, LEXICAL)
    assert list(a.documents) == list(b.documents)
    assert list(a.snapshot.chunks) == list(b.snapshot.chunks)
    if same_segments:
        assert _shape(a_dir) == _shape(b_dir)
    for q in queries(20):
        x, y = a.snapshot.bm25.search(q, 10), b.snapshot.bm25.search(q, 10)
        assert x.indices.tolist() == y.indices.tolist(), q
        assert x.scores.tolist() == y.scores.tolist(), q
        assert [p.chunk.id for p in a.search(q, k=5)] == [p.chunk.id for p in b.search(q, k=5)]


def _leftovers(directory: Path) -> list[str]:
    """Entries of the index's segments/ that its manifest does not name."""
    segments = _manifest(directory)["segments"]
    assert isinstance(segments, list)
    named = {s["name"] for s in segments}
    return sorted(p.name for p in (directory / "segments").iterdir() if p.name not in named)


@pytest.fixture()
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loaders, "STREAM_BYTES", 1000)
    monkeypatch.setattr(loaders, "_PART_LINES", 7)
    monkeypatch.setattr(ingest_module, "_IN_PROCESS_BYTES", 0)


@pytest.mark.usefixtures("small_parts")
def test_a_staged_ingest_writes_the_index_plain_ingest_writes(tmp_path: Path) -> None:
    first = _first(150)
    a = _write(tmp_path / "a.jsonl", first)
    b = _write(tmp_path / "b.jsonl", _second(first))
    _, plain = ingest_paths([a], tmp_path / "plain", LEXICAL, workers=0, segment_rows=60)
    _, staged = ingest_paths(
        [a], tmp_path / "staged", LEXICAL, workers=0, segment_rows=60, sink=LocalSink()
    )
    assert staged.summary == plain.summary and plain.summary.merged > 0
    _same_index(tmp_path / "plain", tmp_path / "staged")
    assert len(_shape(tmp_path / "staged")) > 2
    assert any(s[2] for s in _shape(tmp_path / "staged"))  # copies replaced: tombstones
    # Into an existing index: updates, copies replacing indexed stories, new articles;
    # one commit for the staged ingest, whatever its number of segments.
    generation = _manifest(tmp_path / "staged")["generation"]
    assert isinstance(generation, int)
    _, plain = ingest_paths([b], tmp_path / "plain", LEXICAL, workers=0, segment_rows=30)
    sink = _CountingSink()
    _, staged = ingest_paths(
        [b], tmp_path / "staged", LEXICAL, workers=0, segment_rows=30, sink=sink
    )
    assert staged.summary == plain.summary
    assert plain.summary.updated >= 2 and plain.summary.merged >= 3
    # Plain ingest rewrote a segment that lost over 30% of its rows as soon as it did,
    # then deleted more from the rewritten one; the staged ingest ran the merge policy
    # once, after its commit: other segments, the same index to a reader.
    _same_index(tmp_path / "plain", tmp_path / "staged", same_segments=False)
    # One commit for all its segments (and one for the merges the policy then did).
    committed = _manifest(tmp_path / "staged")["generation"]
    assert isinstance(committed, int) and committed - generation <= 2 < sink.submitted
    assert _leftovers(tmp_path / "staged") == []
    # The same input again changes nothing and commits nothing.
    _, again = ingest_paths([b], tmp_path / "staged", LEXICAL, workers=0, sink=LocalSink())
    assert not again.summary.changed
    assert _manifest(tmp_path / "staged")["generation"] == committed


class _CountingSink(LocalSink):
    def __init__(self) -> None:
        super().__init__()
        self.submitted = 0

    def submit(self, job: SegmentJob) -> None:
        self.submitted += 1
        super().submit(job)


class _FailingSink(LocalSink):
    """Writes the first segments, then fails (a disk full, a writer that died)."""

    def __init__(self, fail_at: int) -> None:
        super().__init__()
        self.fail_at = fail_at
        self.submitted: list[SegmentJob] = []
        self.seen: list[int] = []

    def submit(self, job: SegmentJob) -> None:
        self.submitted.append(job)
        manifest = json.loads(
            (job.staging.parent.parent / "manifest.json").read_text(encoding="utf-8")
        )
        self.seen.append(int(manifest["generation"]))  # what a reader sees meanwhile
        if len(self.submitted) == self.fail_at:
            raise IndexWriteError(f"cannot write segment {job.name}: no space left (test)")
        super().submit(job)


@pytest.mark.usefixtures("small_parts")
def test_a_failed_segment_leaves_the_index_at_its_previous_generation(tmp_path: Path) -> None:
    first = _first(60)
    a = _write(tmp_path / "a.jsonl", first)
    b = _write(tmp_path / "b.jsonl", _second(first))
    ingest_paths([a], tmp_path / "idx", LEXICAL, workers=0, segment_rows=60)
    before = _manifest(tmp_path / "idx")
    documents = list(Assistant.load(tmp_path / "idx", LEXICAL).documents)
    sink = _FailingSink(fail_at=3)
    with pytest.raises(IndexWriteError, match="no space left"):
        ingest_paths([b], tmp_path / "idx", LEXICAL, workers=0, segment_rows=20, sink=sink)
    assert len(sink.submitted) == 3  # two segments were written before the failure
    assert sink.seen == [before["generation"]] * 3  # nothing was visible meanwhile
    assert _manifest(tmp_path / "idx") == before
    assert list(Assistant.load(tmp_path / "idx", LEXICAL).documents) == documents
    assert _leftovers(tmp_path / "idx") == []  # the staging area went with it
    # A new index that fails is not written at all.
    with pytest.raises(IndexWriteError):
        ingest_paths(
            [b], tmp_path / "new", LEXICAL, workers=0, segment_rows=20, sink=_FailingSink(2)
        )
    assert not (tmp_path / "new").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "a.jsonl",
        "b.jsonl",
        "idx",
    ]


def test_recovery_removes_a_staging_area_left_by_a_crash(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.jsonl", _first(30))
    assistant, _ = ingest_paths([path], tmp_path / "idx", LEXICAL, workers=0)
    assert assistant is not None
    before = _manifest(tmp_path / "idx")
    # A writer wrote a segment into a staging area, then the driver died.
    staging = new_staging(tmp_path / "idx")
    tokenizer = assistant.snapshot.bm25.tokenizer
    prepared = [
        prepare_document(d, LEXICAL.chunking, tokenizer) for d in list(assistant.documents)[:3]
    ]
    assert write_staged(prepared, staging, "seg-orphan") > 0
    assert staging.name.startswith(STAGING_PREFIX) and (staging / "seg-orphan").is_dir()
    # Readers never look there; recovery (at the next load or ingest) removes it.
    reader = Assistant.load(tmp_path / "idx", LEXICAL, commit=False)
    assert len(reader.documents) == len(assistant.documents)
    recover_index(tmp_path / "idx")
    assert not staging.exists() and _leftovers(tmp_path / "idx") == []
    assert _manifest(tmp_path / "idx") == before


@pytest.mark.usefixtures("small_parts")
def test_deleting_by_position_is_deleting_by_id(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.jsonl", _first(40))
    assistant, _ = ingest_paths([path], tmp_path / "idx", LEXICAL, workers=0, segment_rows=40)
    assert assistant is not None
    snapshot = assistant.snapshot
    assert len(snapshot.states) > 1
    ids = [snapshot.documents[i].id for i in (0, 5, len(snapshot.documents) - 1)]
    by_id = snapshot.without(ids)
    positions: list[list[int]] = [[] for _ in snapshot.states]
    for doc_id in ids:
        hit = snapshot.find(doc_id)
        assert hit is not None
        positions[hit[0]].append(hit[1])
    arrays = [np.array(p, dtype=np.int64) for p in positions]
    by_position = snapshot.without_positions(arrays)
    # Twice the same positions: deleted once.
    twice = by_position.without_positions(arrays)
    for snap in (by_position, twice):
        assert list(snap.documents) == list(by_id.documents)
        for a, b in zip(snap.states, by_id.states, strict=True):
            assert a.deleted.tolist() == b.deleted.tolist()
            assert a.bm25.count == b.bm25.count and a.bm25.length == b.bm25.length
            assert a.bm25.terms.tolist() == b.bm25.terms.tolist()
            assert a.bm25.counts.tolist() == b.bm25.counts.tolist()
    with pytest.raises(ValueError, match="position arrays"):
        snapshot.without_positions(arrays[:1])
