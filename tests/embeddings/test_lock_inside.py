"""The write lock lives inside the index directory: nothing is left beside the index, the
lock works before the directory exists (it is created, and removed again when nothing
was written there), across processes, and a new index is moved into the locked
directory, manifest last, finished by start-up recovery where that was interrupted."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from pathlib import Path

import pytest

from corpus.chunking import ChunkingConfig
from embeddings.errors import IndexBusyError
from embeddings.store import (
    IndexSettings,
    IndexSnapshot,
    SegmentState,
    build_segment,
    open_snapshot,
    prepare_document,
    save_snapshot,
)
from embeddings.store.files import MANIFEST, SEGMENTS, holds_no_index, move_index
from embeddings.store.lock import LOCK_FILE, holds_lock, index_lock, lock_path
from embeddings.store.recovery import index_leftovers, recover_index
from embeddings.tokenize import get_tokenizer

from .corpus_fixture import synthetic_texts
from .helpers import make_document

SETTINGS = IndexSettings(chunking=ChunkingConfig(chunk_size=60, chunk_overlap=10))


def _snapshot(count: int = 8, *, segments: int = 1) -> IndexSnapshot:
    tok = get_tokenizer(SETTINGS.tokenizer)
    texts = synthetic_texts(count * segments, seed=3)
    states = []
    for s in range(segments):
        docs = [
            make_document(t, f"news/{s}-{i}.txt")
            for i, t in enumerate(texts[s * count : (s + 1) * count])
        ]
        segment = build_segment([prepare_document(d, SETTINGS.chunking, tok) for d in docs])
        states.append(SegmentState(segment))
    return IndexSnapshot(SETTINGS, states)


def _ids(snapshot: IndexSnapshot) -> list[str]:
    return sorted(d.id for d in snapshot.documents)


def test_the_lock_file_is_inside_the_index_and_nothing_is_left_beside_it(
    tmp_path: Path,
) -> None:
    target = tmp_path / "idx"
    assert lock_path(target) == target / LOCK_FILE
    with index_lock(target) as path:  # before the index exists: its directory is made
        assert path == target / LOCK_FILE and path.is_file() and target.is_dir()
        saved = save_snapshot(_snapshot(), target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["idx"]
    assert not (target / LOCK_FILE).exists()  # present only while a writer works
    assert _ids(open_snapshot(target)) == _ids(saved)


def test_a_lock_on_a_directory_that_stays_empty_leaves_nothing(tmp_path: Path) -> None:
    with index_lock(tmp_path / "new" / "idx"):
        pass
    assert not (tmp_path / "new" / "idx").exists()
    (tmp_path / "mine").mkdir()  # made by someone else: kept
    with index_lock(tmp_path / "mine"):
        pass
    assert (tmp_path / "mine").is_dir() and not any((tmp_path / "mine").iterdir())


def test_a_writer_that_waited_on_a_deleted_lock_file_takes_the_new_one(tmp_path: Path) -> None:
    target = tmp_path / "idx"
    inside = threading.Event()
    order: list[str] = []

    def second() -> None:
        inside.wait(10)
        with index_lock(target, timeout=10) as path:
            order.append("second")
            # The first writer deleted the file it waited on: this one holds a new one,
            # which is the file at the path, so a third writer cannot get in.
            assert path.is_file() and holds_lock(target)
            with pytest.raises(IndexBusyError):
                _other_thread_lock(target)

    thread = threading.Thread(target=second)
    thread.start()
    with index_lock(target):
        inside.set()
        time.sleep(0.3)  # the second writer opens the file and waits
        order.append("first")
    thread.join(20)
    assert order == ["first", "second"]


def _other_thread_lock(target: Path) -> None:
    errors: list[BaseException] = []

    def take() -> None:
        try:
            with index_lock(target, timeout=0.1):
                pass
        except BaseException as exc:  # noqa: BLE001 - reported to the caller
            errors.append(exc)

    thread = threading.Thread(target=take)
    thread.start()
    thread.join(10)
    if errors:
        raise errors[0]


def _count_under_lock(target: str, counter: str, times: int) -> None:
    for _ in range(times):
        with index_lock(target, timeout=60):
            value = int(Path(counter).read_text(encoding="utf-8"))
            time.sleep(0.001)
            Path(counter).write_text(str(value + 1), encoding="utf-8")


def test_processes_take_turns_on_a_directory_that_comes_and_goes(tmp_path: Path) -> None:
    target = tmp_path / "idx"  # does not exist: each writer creates it, and removes it
    counter = tmp_path / "count.txt"
    counter.write_text("0", encoding="utf-8")
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_count_under_lock, args=(str(target), str(counter), 25))
        for _ in range(4)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
        assert w.exitcode == 0
    assert counter.read_text(encoding="utf-8") == "100"  # no two writers at once
    # No lock file is left (the directory too, unless the last writer found it made).
    assert not target.exists() or not any(target.iterdir())


def test_a_new_index_goes_into_the_locked_directory_manifest_last(tmp_path: Path) -> None:
    source = tmp_path / ".idx.tmp-1"
    written = save_snapshot(_snapshot(segments=2), source)
    target = tmp_path / "idx"
    with index_lock(target):
        assert holds_no_index(target)  # the lock file only
        inode = os.stat(target).st_ino
        move_index(source, target)
        assert os.stat(target).st_ino == inode  # the same directory: its lock holds
        assert (target / LOCK_FILE).is_file()
    assert _ids(open_snapshot(target)) == _ids(written)


def test_a_failed_move_puts_back_what_it_moved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / ".idx.tmp-1"
    written = save_snapshot(_snapshot(segments=2), source)
    target = tmp_path / "idx"
    real = os.replace

    def fail_on_the_manifest(src: object, dst: object) -> None:
        if str(dst).endswith(MANIFEST):
            raise OSError(28, "No space left on device")
        real(src, dst)  # type: ignore[arg-type]

    with index_lock(target):
        monkeypatch.setattr(os, "replace", fail_on_the_manifest)
        with pytest.raises(OSError, match="No space"):
            move_index(source, target)
        monkeypatch.setattr(os, "replace", real)
        assert holds_no_index(target)
    assert _ids(open_snapshot(source)) == _ids(written)  # complete as it was


@pytest.mark.parametrize("kind", ["tmp", "building"])
def test_start_up_finishes_a_move_that_was_killed(tmp_path: Path, kind: str) -> None:
    sibling = tmp_path / f".idx.{kind}-0123abcd"
    source = sibling / "index" if kind == "building" else sibling
    written = save_snapshot(_snapshot(segments=2), source)
    target = tmp_path / "idx"
    # Killed after the first segment was moved: the name holds no index, the source is
    # incomplete.
    (target / SEGMENTS).mkdir(parents=True)
    first = sorted((source / SEGMENTS).iterdir())[0]
    os.replace(first, target / SEGMENTS / first.name)
    (target / LOCK_FILE).touch()  # the killed writer's
    assert index_leftovers(target)  # not a place for a fresh index
    done = recover_index(target)
    assert done.restored == sibling
    assert _ids(open_snapshot(target)) == _ids(written)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["idx"]


def test_a_lock_file_left_by_a_killed_writer_is_no_index_and_no_leftover(
    tmp_path: Path,
) -> None:
    target = tmp_path / "idx"
    target.mkdir()
    (target / LOCK_FILE).touch()
    assert holds_no_index(target) and index_leftovers(target) == []
    with index_lock(target, timeout=1):  # taken over
        save_snapshot(_snapshot(), target)
    assert sorted(p.name for p in target.iterdir()) == sorted([MANIFEST, "deletes", SEGMENTS])


def test_an_old_lock_file_beside_the_index_is_ignored(tmp_path: Path) -> None:
    (tmp_path / ".idx.lock").touch()  # an older version's
    target = tmp_path / "idx"
    with index_lock(target):
        save_snapshot(_snapshot(), target)
    assert recover_index(target).removed == ()
    assert (tmp_path / ".idx.lock").exists() and open_snapshot(target).size > 0
