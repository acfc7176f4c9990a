"""The index writer (qa.writing): it commits each change, publishes it as a snapshot
that readers (an Assistant) then serve, keeps to one lock protocol, and is what ingest
writes through (no searcher or answerer is made per commit)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from embeddings.errors import IndexBusyError, IndexWriteError
from embeddings.store import IndexSnapshot, MergePolicy, open_snapshot
from embeddings.store.lock import index_lock
from qa import Assistant, AssistantConfig, Document
from qa.ingest import ingest_paths
from qa.writing import IndexWriter

CONFIG = AssistantConfig(model="", chunk_size=80, chunk_overlap=10, duplicate_threshold=0)


def news(i: int, tag: str = "n") -> Document:
    digits = "".join("零一二三四五六七八九"[int(c)] for c in f"{i:04d}")
    text = f"{tag}社第{digits}号消息：{digits}市今天举行{tag}{digits}号活动，{i}名市民参加。"
    return Document(id=f"{tag}{i}", title=f"{tag}{i}", text=text, source=f"{tag}/{i}.txt")


def ids(snapshot: IndexSnapshot) -> set[str]:
    return {d.id for d in snapshot.documents}


def on_disk(directory: Path) -> set[str]:
    return ids(open_snapshot(directory))


@pytest.fixture
def index(tmp_path: Path) -> Path:
    IndexWriter.build([news(i, "b") for i in range(6)], CONFIG).save(tmp_path / "index")
    return tmp_path / "index"


@contextmanager
def held_elsewhere(directory: Path) -> Iterator[None]:
    """The index's write lock held by another thread (as another process would)."""
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with index_lock(directory):
            held.set()
            release.wait(60)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert held.wait(20)
        yield
    finally:
        release.set()
        thread.join(20)


def test_a_commit_is_published_as_a_new_snapshot_a_reader_serves(index: Path) -> None:
    writer = IndexWriter.open(index, CONFIG)
    assistant = Assistant.from_writer(writer)
    before = writer.snapshot
    summary = writer.add([news(1)])
    assert summary.added == 1
    after = writer.snapshot
    assert after is not before and after.generation == before.generation + 1
    # On disk before it is published; the reader serves what was published.
    assert on_disk(index) == ids(after) == {f"b{i}" for i in range(6)} | {"n1"}
    assert assistant.snapshot is after and assistant.get_document("n1") is not None
    assert assistant.search("n社第零零零一号消息")[0].document.id == "n1"
    # A snapshot is immutable: one a question still holds is the index as it was.
    assert "n1" not in ids(before)


def test_a_removal_is_committed_then_published(index: Path) -> None:
    writer = IndexWriter.open(index, CONFIG)
    generation = writer.snapshot.generation
    assert writer.remove(["b0", "b1", "unknown"]) == 2
    # Committed (then merged: a third of the segment is deleted), then published.
    generation, published = writer.snapshot.generation, generation
    assert generation > published and open_snapshot(index).generation == generation
    assert "b0" not in on_disk(index) and "b0" not in ids(writer.snapshot)
    assert writer.remove(["unknown"]) == 0
    assert writer.snapshot.generation == generation  # nothing committed


def test_an_in_memory_writer_commits_where_it_is_told_and_is_bound_there(tmp_path: Path) -> None:
    writer = IndexWriter.build([news(i, "m") for i in range(3)], CONFIG)
    assert writer.directory is None and writer.snapshot.directory is None
    writer.add([news(1)])
    assert "n1" in ids(writer.snapshot) and not (tmp_path / "other").exists()
    writer.add([news(2)], commit_to=tmp_path / "other")
    assert writer.directory == tmp_path / "other"
    assert on_disk(tmp_path / "other") == {"m0", "m1", "m2", "n1", "n2"}


def test_a_write_commits_on_the_newest_generation_and_refresh_follows(index: Path) -> None:
    first, second = IndexWriter.open(index, CONFIG), IndexWriter.open(index, CONFIG)
    reader = Assistant.from_writer(second)
    first.add([news(1)])
    assert reader.get_document("n1") is None
    assert second.refresh() is True and reader.get_document("n1") is not None
    assert second.refresh() is False
    first.add([news(2)])
    second.add([news(3)])  # re-opens first's generation under the lock: nothing is lost
    assert on_disk(index) == ids(second.snapshot) >= {"n1", "n2", "n3"}
    assert reader.get_document("n2") is not None


def test_the_lock_refuses_a_second_writer_and_nests_in_one_thread(index: Path) -> None:
    writer = IndexWriter.open(index, CONFIG, lock_timeout=0.1)
    generation = writer.snapshot.generation
    with held_elsewhere(index), pytest.raises(IndexBusyError) as busy:
        writer.add([news(1)])
    assert str(index) in str(busy.value)
    assert writer.snapshot.generation == generation and "n1" not in on_disk(index)
    # Another writer of the same directory in this process, in another thread, waits too.
    other = IndexWriter.open(index, CONFIG, lock_timeout=0.1)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with other.locked(index):
            held.set()
            release.wait(60)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert held.wait(20)
        with pytest.raises(IndexBusyError):
            writer.remove(["b0"])
    finally:
        release.set()
        thread.join(20)
    # A thread that holds the lock may write under it (a staged ingest, a build).
    with writer.locked(index):
        writer.add([news(1)])
    assert "n1" in on_disk(index)


def test_a_commit_prepared_on_an_older_generation_is_refused(index: Path) -> None:
    writer = IndexWriter.open(index, CONFIG)
    stale = writer.snapshot.without(["b0"])
    IndexWriter.open(index, CONFIG).add([news(1)])  # another writer commits meanwhile
    with pytest.raises(IndexWriteError, match="changed"):
        writer.commit(stale)
    assert "b0" in on_disk(index) and "n1" in on_disk(index)
    with pytest.raises(ValueError, match="in memory"):
        IndexWriter.build([news(1)], CONFIG).commit(stale)


def test_a_hook_that_fails_leaves_the_published_snapshot(index: Path) -> None:
    writer = IndexWriter.open(index, CONFIG)
    seen: list[int] = []
    writer.subscribe(lambda snapshot: seen.append(snapshot.generation))
    writer.add([news(1)])
    assert seen == [writer.snapshot.generation]

    failing = [True]

    def fail(snapshot: IndexSnapshot) -> None:
        if failing[0]:
            raise RuntimeError("the reader cannot serve it")

    writer.subscribe(fail)
    before = writer.snapshot
    with pytest.raises(RuntimeError):
        writer.add([news(2)])
    assert writer.snapshot is before  # not published; committed on disk
    assert "n2" in on_disk(index)
    failing[0] = False
    writer.add([news(3)])  # re-reads the generation it did not publish
    assert {"n2", "n3"} <= ids(writer.snapshot)


def test_optimize_merges_and_records_or_clears_the_maximum_segment_size(index: Path) -> None:
    writer = IndexWriter.open(index, CONFIG)
    writer.merge_policy = MergePolicy(factor=100)
    for i in range(3):
        writer.add([news(i)])
    writer.remove(["b0"])
    assert len(writer.snapshot.states) == 4
    assert writer.optimize(max_rows=2) == (4, 1)
    assert writer.snapshot.max_segment_rows == 2 and len(writer.snapshot.states) > 1
    count = len(writer.snapshot.states)
    assert writer.optimize() == (count, 0)
    assert len(writer.snapshot.states) == 1 and writer.snapshot.max_segment_rows is None
    assert open_snapshot(index).max_segment_rows is None
    # Nothing left to do: nothing is committed.
    generation = writer.snapshot.generation
    assert writer.optimize() == (1, 0) and writer.snapshot.generation == generation


def test_an_ingest_writes_through_a_writer_and_makes_the_assistant_once(
    index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "in"
    source.mkdir()
    for i in range(12):  # a file is a part: a segment is written after each
        (source / f"j{i:02d}.txt").write_text(news(i, "j").text, encoding="utf-8")
    made: list[int] = []
    original = Assistant._make_state

    def counted(self: Assistant, snapshot: IndexSnapshot) -> object:
        made.append(snapshot.generation)
        return original(self, snapshot)

    monkeypatch.setattr(Assistant, "_make_state", counted)
    generation = open_snapshot(index).generation
    assistant, result = ingest_paths([source], index, CONFIG, workers=0, segment_rows=2)
    assert assistant is not None and result.summary.added == 12
    # A commit per segment of two chunks; one searcher and answerer, at the end.
    assert assistant.snapshot.generation >= generation + 6
    assert made == [assistant.snapshot.generation]
    assert assistant.directory == index
    assert len(assistant.documents) == 6 + 12
