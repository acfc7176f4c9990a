"""Writes of an assistant bound to an index directory: committed to disk before they
are served (a failed commit changes nothing, and the same write tried again is applied);
one writer across processes, each on the newest generation; start-up recovery; never a
build from articles over what is left of an index."""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from embeddings.store import MergePolicy, open_snapshot
from embeddings.store.lock import index_lock
from qa import (
    Assistant,
    AssistantConfig,
    Document,
    IndexBusyError,
    IndexCorruptError,
    IndexWriteError,
    open_or_build,
)
from qa.cli import app
from qa.index import optimize_index
from qa.ingest import ingest_paths
from qa.updates import latest_by_id
from qa.writing import writer as writer_module
from tests.embeddings.faults import Crash, FaultInjector, inject
from tests.qa.conftest import ARTICLES

CONFIG = AssistantConfig(model="", chunk_size=80, chunk_overlap=10, duplicate_threshold=0)


def news(i: int, tag: str = "n") -> Document:
    """A short article of its own (distinct text, id ``<tag><i>``)."""
    digits = "".join("零一二三四五六七八九"[int(c)] for c in f"{i:04d}")
    text = f"{tag}社第{digits}号消息：{digits}市今天举行{tag}{digits}号活动，{i}名市民参加。"
    return Document(id=f"{tag}{i}", title=f"{tag}{i}", text=text, source=f"{tag}/{i}.txt")


def ids_on_disk(directory: Path) -> set[str]:
    return {d.id for d in open_snapshot(directory).documents}


def served_ids(assistant: Assistant) -> set[str]:
    return {d.id for d in assistant.documents}


def on_disk(directory: Path) -> set[tuple[str, str]]:
    """The documents of the index at ``directory``, by id and content."""
    return {(d.id, d.text) for d in open_snapshot(directory).documents}


def served(assistant: Assistant) -> set[tuple[str, str]]:
    return {(d.id, d.text) for d in assistant.documents}


@pytest.fixture
def index(tmp_path: Path) -> Path:
    built = Assistant.from_documents([news(i, "b") for i in range(8)], CONFIG)
    built.save(tmp_path / "index")
    return tmp_path / "index"


def _broken_save(*args: object, **kwargs: object) -> object:
    raise IndexWriteError("cannot write the index to /secret/path: [Errno 28] No space left")


def test_a_write_that_cannot_be_committed_is_not_served_and_a_retry_stores_it(
    index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assistant = Assistant.load(index, CONFIG)
    assert assistant.directory == index
    before = served_ids(assistant)
    with monkeypatch.context() as m:
        m.setattr(writer_module, "save_snapshot", _broken_save)
        with pytest.raises(IndexWriteError):
            assistant.add_documents([news(1)])
        assert served_ids(assistant) == before and assistant.get_document("n1") is None
        with pytest.raises(IndexWriteError):
            assistant.remove_documents(["b0"])
        assert assistant.get_document("b0") is not None
    assert ids_on_disk(index) == before
    # Fixed: the same writes are applied (not "unchanged"), on disk before they are served.
    summary = assistant.add_documents([news(1)])
    assert summary.added == 1 and summary.unchanged == 0
    assert assistant.remove_documents(["b0"]) == 1
    assert ids_on_disk(index) == served_ids(assistant) == (before | {"n1"}) - {"b0"}
    assert served_ids(Assistant.load(index, CONFIG)) == served_ids(assistant)


def test_a_write_commits_on_the_newest_generation_another_writer_left(index: Path) -> None:
    first = Assistant.load(index, CONFIG)
    second = Assistant.load(index, CONFIG)
    first.add_documents([news(1)])
    second.add_documents([news(2)])  # re-opens first's generation under the lock
    first.remove_documents(["b3"])
    expected = {f"b{i}" for i in range(8) if i != 3} | {"n1", "n2"}
    assert ids_on_disk(index) == expected == served_ids(first)
    assert second.refresh() is True and served_ids(second) == expected


def test_an_assistant_loaded_without_commit_keeps_writes_in_memory(index: Path) -> None:
    assistant = Assistant.load(index, CONFIG, commit=False)
    assert assistant.directory is None
    assistant.add_documents([news(1)])
    assert assistant.get_document("n1") is not None and "n1" not in ids_on_disk(index)
    # An in-memory assistant commits where it is told to, and is bound there afterwards.
    memory = Assistant.from_documents([news(i, "m") for i in range(3)], CONFIG)
    memory.add_documents([news(9)], commit_to=index.parent / "other")
    assert memory.directory == index.parent / "other"
    assert ids_on_disk(index.parent / "other") == {"m0", "m1", "m2", "n9"}


@contextlib.contextmanager
def held_by_another_thread(directory: Path) -> Iterator[None]:
    """The index's write lock held by another thread (a thread may nest its own)."""
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


def test_a_write_waits_for_another_writer_and_names_the_index(index: Path) -> None:
    assistant = Assistant.load(index, CONFIG, lock_timeout=0.2)
    with held_by_another_thread(index), pytest.raises(IndexBusyError) as busy:
        assistant.add_documents([news(1)])
    assert str(index) in str(busy.value) and "0.2 s" in str(busy.value)
    assert assistant.get_document("n1") is None
    assistant.add_documents([news(1)])
    assert "n1" in ids_on_disk(index)


def test_ingest_and_optimize_wait_for_another_writer(index: Path, tmp_path: Path) -> None:
    source = tmp_path / "new.jsonl"
    source.write_text(
        "".join(f'{{"id": "j{i}", "text": "{news(i, "j").text}"}}\n' for i in range(3)),
        encoding="utf-8",
    )
    Assistant.load(index, CONFIG).add_documents([news(1)])  # a second segment
    with held_by_another_thread(index):
        for rebuild in (False, True):
            with pytest.raises(IndexBusyError, match="another writer"):
                ingest_paths([source], index, CONFIG, workers=0, rebuild=rebuild, lock_timeout=0.1)
        with pytest.raises(IndexBusyError):
            optimize_index(index, lock_timeout=0.1)
    assert "j0" not in ids_on_disk(index)
    assert optimize_index(index, lock_timeout=0.1) == (2, 0)
    ingest_paths([source], index, CONFIG, workers=0, lock_timeout=0.1)
    assert {"j0", "j1", "j2", "n1"} <= ids_on_disk(index)


def _writer(directory: str, tag: str, count: int, start: object) -> None:
    assistant = Assistant.load(directory, CONFIG)
    start.wait(30)  # type: ignore[attr-defined]
    for i in range(count):
        assistant.add_documents([news(i, tag)])


def test_two_processes_writing_one_index_lose_nothing(index: Path) -> None:
    context = multiprocessing.get_context("fork")
    start = context.Event()
    procs = [
        context.Process(target=_writer, args=(str(index), tag, 8, start)) for tag in ("p", "q")
    ]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    expected = {f"b{i}" for i in range(8)} | {f"{t}{i}" for t in "pq" for i in range(8)}
    assert ids_on_disk(index) == expected
    assert served_ids(Assistant.load(index, CONFIG)) == expected


# -- fault injection through the assistant ------------------------------------------------


def _sweep_points(total: int, every: int, names: list[str]) -> list[int]:
    picked = set(range(1, total + 1, every))
    for k, name in enumerate(names, 1):
        if name in ("replace", "rename"):
            picked.update({k - 1, k, k + 1})
    return sorted(k for k in picked if 1 <= k <= total)


WRITES = {
    "add with a merge": lambda a: a.add_documents([news(1), news(2)]),
    "update": lambda a: a.add_documents([dataclasses.replace(news(3, "u"), id="b3")]),
    "delete": lambda a: a.remove_documents(["b1", "b2"]),
}


@pytest.mark.parametrize(
    ("mode", "every"),
    [
        pytest.param("error", 10, id="error-sampled"),
        pytest.param("error", 1, id="error-every-operation", marks=pytest.mark.slow),
        pytest.param("crash", 1, id="crash-every-operation", marks=pytest.mark.slow),
    ],
)
@pytest.mark.parametrize("write", list(WRITES))
def test_a_failed_write_serves_what_is_on_disk(
    write: str,
    mode: str,
    every: int,
    index: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """At every filesystem operation of an update (lock, commit, merge, collection): an
    update that failed is neither on disk nor served; one that returned is both; after
    a crash start-up finds the old index or the new one."""
    monkeypatch.setattr(os, "fsync", lambda fd: None)  # see tests/embeddings
    policy = MergePolicy(factor=2)  # two small segments merge: the write commits twice
    apply = WRITES[write]

    def fresh(name: str) -> Assistant:
        shutil.copytree(index, tmp_path / name / "index")
        assistant = Assistant.load(tmp_path / name / "index", CONFIG)
        assistant.merge_policy = policy
        return assistant

    probe = fresh("probe")
    old = served(probe)
    with inject(monkeypatch, FaultInjector()) as counter:
        apply(probe)
    new = served(probe)
    assert new != old and on_disk(tmp_path / "probe" / "index") == new
    for k in _sweep_points(counter.count, every, counter.names):
        assistant = fresh(f"k{k}")
        directory = tmp_path / f"k{k}" / "index"
        where = f"{mode} at operation {k} of {counter.count} ({counter.names[k - 1]})"
        with inject(monkeypatch, FaultInjector(k, mode)):
            try:
                apply(assistant)
                failed = False
            except Crash:
                failed = True
            except IndexWriteError:
                failed = mode == "error"
        if mode == "error":
            assert on_disk(directory) == served(assistant), where
            assert served(assistant) == (old if failed else new), where
        reloaded = Assistant.load(directory, CONFIG)
        assert served(reloaded) in (old, new), where
        # The write tried again (or another) succeeds.
        reloaded.merge_policy = policy
        apply(reloaded)
        assert on_disk(directory) == served(reloaded) == new, where
        shutil.rmtree(directory.parent)


# -- start-up -----------------------------------------------------------------------------


def test_start_up_restores_an_index_an_old_swap_left_instead_of_building_one(
    index: Path,
) -> None:
    expected = ids_on_disk(index)
    os.replace(index, index.parent / ".index.old-0123abcd")  # died between two renames
    assistant = open_or_build(index, CONFIG, [ARTICLES])
    assert served_ids(assistant) == expected and assistant.directory == index
    assert not (index.parent / ".index.old-0123abcd").exists()


@pytest.mark.parametrize("leftover", ["files", "damaged old index"])
def test_no_build_from_articles_over_what_is_left_of_an_index(leftover: str, index: Path) -> None:
    if leftover == "files":
        (index / "manifest.json").unlink()  # segments/ and deletes/ stay
    else:
        os.replace(index, index.parent / ".index.old-0123abcd")
        (index.parent / ".index.old-0123abcd" / "manifest.json").write_text("{", "utf-8")
    for persist in (True, False):
        with pytest.raises(IndexCorruptError, match="Not building a new index from"):
            open_or_build(index, CONFIG, [ARTICLES], persist=persist)
    result = CliRunner().invoke(app, ["ask", "什么?", "--index", str(index), "--model", ""])
    assert result.exit_code != 0 and "Not building" in result.output
    if leftover == "files":
        assert (index / "segments").is_dir()  # nothing was removed
    # An explicit ingest may build there (it discards leftovers of no index).
    shutil.rmtree(index) if leftover == "files" else None
    built, _ = ingest_paths([ARTICLES], index, CONFIG, workers=0)
    assert built is not None and len(built.documents) == 2


def test_an_ingest_over_an_old_swap_adds_to_the_restored_index(index: Path) -> None:
    expected = ids_on_disk(index)
    os.replace(index, index.parent / ".index.old-0123abcd")
    assistant, result = ingest_paths([ARTICLES], index, CONFIG, workers=0)
    assert assistant is not None and result.summary.added == 2
    assert expected < ids_on_disk(index) and len(ids_on_disk(index)) == len(expected) + 2


def test_a_rebuild_replaces_the_index_without_a_gap(index: Path) -> None:
    assistant, _ = ingest_paths([ARTICLES], index, CONFIG, workers=0, rebuild=True)
    assert assistant is not None and assistant.directory == index
    docs = latest_by_id(Assistant.from_paths([ARTICLES], CONFIG).documents)
    assert ids_on_disk(index) == {d.id for d in docs}
    assert sorted(p.name for p in index.parent.iterdir()) == ["index"]  # the lock is inside
