"""Crash safety of saves and commits: a write interrupted between any two of its
filesystem operations leaves the old complete index or the new complete one under the
name, never a missing, damaged or empty one; start-up recovery restores what an older
version's interrupted swap left; the next write succeeds and collects the leftovers."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from corpus.chunking import ChunkingConfig
from embeddings.errors import IndexBusyError, IndexNotFoundError, IndexWriteError
from embeddings.store import (
    IndexSettings,
    IndexSnapshot,
    SegmentState,
    build_segment,
    open_snapshot,
    prepare_document,
    save_snapshot,
)
from embeddings.store import files as files_module
from embeddings.store import recovery as recovery_module
from embeddings.store.files import DELETES, MANIFEST, SEGMENTS
from embeddings.store.lock import holds_lock, index_lock, lock_path
from embeddings.store.recovery import index_leftovers, recover_index
from embeddings.tokenize import get_tokenizer

from .corpus_fixture import synthetic_texts
from .faults import Crash, FaultInjector, inject
from .helpers import make_document

SETTINGS = IndexSettings(chunking=ChunkingConfig(chunk_size=60, chunk_overlap=10))

Signature = tuple[tuple[str, str], ...]


@pytest.fixture(autouse=True)
def _no_sync(monkeypatch: pytest.MonkeyPatch) -> None:
    """Syncs are counted as operations but not made: what is checked is the order of
    operations, not durability against power loss, and each write runs once per
    operation it has."""
    monkeypatch.setattr(os, "fsync", lambda fd: None)


def _segment(first: int, count: int, tag: str = "a"):  # type: ignore[no-untyped-def]
    tok = get_tokenizer(SETTINGS.tokenizer)
    texts = synthetic_texts(first + count, seed=5)[first:]
    docs = [make_document(t, f"news/{tag}-{first + i}.txt") for i, t in enumerate(texts)]
    return build_segment([prepare_document(d, SETTINGS.chunking, tok) for d in docs])


def _memory(*segments) -> IndexSnapshot:  # type: ignore[no-untyped-def]
    return IndexSnapshot(SETTINGS, [SegmentState(s) for s in segments])


def signature(snapshot: IndexSnapshot) -> Signature:
    """What a reader sees: the live documents, by id and content."""
    return tuple(sorted((d.id, d.content_hash) for d in snapshot.documents))


def assert_clean(target: Path) -> None:
    """No leftover of a write: no temporary sibling, nothing inside the index that its
    manifest does not name."""
    siblings = [
        p.name
        for p in target.parent.iterdir()
        if p.name.startswith(f".{target.name}.") and p != lock_path(target)
    ]
    assert siblings == []
    manifest = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    assert sorted(p.name for p in target.iterdir()) == sorted([MANIFEST, SEGMENTS, DELETES])
    named = {s["name"] for s in manifest["segments"]}
    assert {p.name for p in (target / SEGMENTS).iterdir()} == named
    deletes = {Path(s["deletes"]).name for s in manifest["segments"] if s["deletes"]}
    assert {p.name for p in (target / DELETES).iterdir()} == deletes


@dataclass
class Scenario:
    """A write over a prepared directory: ``old`` is what the index holds before it
    (None: nothing), ``new`` what it holds after."""

    name: str
    prepare: Callable[[Path], None]
    write: Callable[[Path], object]
    old: Signature | None
    new: Signature


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Scenario]:
    root = tmp_path_factory.mktemp("templates")
    base = _memory(_segment(0, 12))
    template = root / "base"
    save_snapshot(base, template)
    loaded = open_snapshot(template)
    other = _memory(_segment(20, 9, "b"))
    other_dir = root / "other"
    other_on_disk = save_snapshot(other, other_dir)
    extra = _segment(40, 5, "c")
    gone = [d.id for d in loaded.documents][:3]

    def copy(target: Path) -> None:
        shutil.copytree(template, target)

    def nothing(target: Path) -> None:
        pass

    def save_over(target: Path) -> object:
        return save_snapshot(other, target)

    def save_from_disk(target: Path) -> object:
        return save_snapshot(other_on_disk, target)

    def first_save(target: Path) -> object:
        return save_snapshot(base, target)

    def add_segment(target: Path) -> object:
        return save_snapshot(open_snapshot(target).with_segment(extra), target)

    def delete(target: Path) -> object:
        return save_snapshot(open_snapshot(target).without(gone), target)

    old = signature(loaded)
    return {
        s.name: s
        for s in (
            Scenario("save over an index", copy, save_over, old, signature(other)),
            Scenario(
                "save another directory's index over an index",
                copy,
                save_from_disk,
                old,
                signature(other),
            ),
            Scenario("first save", nothing, first_save, None, old),
            Scenario(
                "commit of an added segment",
                copy,
                add_segment,
                old,
                signature(loaded.with_segment(extra)),
            ),
            Scenario("commit of a delete", copy, delete, old, signature(loaded.without(gone))),
        )
    }


def _reopen(target: Path) -> Signature | None:
    """What start-up finds at ``target``: recovery, then the index (None: none)."""
    recover_index(target)
    try:
        return signature(open_snapshot(target))
    except IndexNotFoundError:
        return None


def _count(scenario: Scenario, folder: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The filesystem operations of the write, in order (a first pass without faults)."""
    target = folder / "index"
    scenario.prepare(target)
    with index_lock(target), inject(monkeypatch, FaultInjector()) as counter:
        scenario.write(target)
    assert _reopen(target) == scenario.new
    return counter.names


def _points(names: list[str], every: int) -> list[int]:
    """The operations to fail (1-based): every ``every``-th, and each rename with the
    operations on either side of it (the commit points)."""
    picked = set(range(1, len(names) + 1, every))
    for k, name in enumerate(names, 1):
        if name in ("replace", "rename"):
            picked.update({k - 1, k, k + 1})
    return sorted(k for k in picked if 1 <= k <= len(names))


def _next_write(scenario: Scenario, target: Path, found: Signature | None) -> Signature:
    """A write after the interrupted one (a save of what is there, or the scenario's
    write where there is nothing); what it leaves."""
    with index_lock(target):
        if found is None:
            scenario.write(target)
            return scenario.new
        save_snapshot(open_snapshot(target), target)
        return found


NAMES = [
    "save over an index",
    "save another directory's index over an index",
    "first save",
    "commit of an added segment",
    "commit of a delete",
]
SWEEPS = [
    pytest.param("crash", 5, id="crash-sampled"),
    pytest.param("crash", 1, id="crash-every-operation", marks=pytest.mark.slow),
    pytest.param("error", 1, id="error-every-operation", marks=pytest.mark.slow),
]


@pytest.mark.parametrize(("mode", "every"), SWEEPS)
@pytest.mark.parametrize("name", NAMES)
def test_a_write_interrupted_at_any_operation_leaves_the_old_or_the_new_index(
    name: str,
    mode: str,
    every: int,
    scenarios: dict[str, Scenario],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``crash``: the process dies at operation k (nothing after it reaches the disk);
    ``error``: operation k fails (the write's own error handling runs). Either way,
    start-up finds the old index or the new one; a write that raised left the old one,
    and one that returned, the new one. The next write succeeds and leaves nothing
    behind."""
    scenario = scenarios[name]
    names = _count(scenario, tmp_path / "count", monkeypatch)
    assert len(names) >= 8  # the write was seen
    outcomes = {"old": 0, "new": 0}
    for k in _points(names, every):
        target = tmp_path / f"k{k}" / "index"
        scenario.prepare(target)
        raised = True
        with index_lock(target), inject(monkeypatch, FaultInjector(k, mode)):
            try:
                scenario.write(target)
                raised = False
            except Crash:
                assert mode == "crash"
            except (IndexWriteError, OSError):
                assert mode == "error"
        assert raised or mode == "error", f"no crash at operation {k} ({names[k - 1]})"
        found = _reopen(target)
        where = f"{mode} at operation {k} of {len(names)} ({names[k - 1]})"
        if mode == "error":
            assert found == (scenario.old if raised else scenario.new), where
        assert found in (scenario.old, scenario.new), where
        outcomes["new" if found == scenario.new else "old"] += 1
        if found is None:
            # Nothing was there and nothing complete is: a fresh build may go there.
            assert index_leftovers(target) == [], where
        expected = _next_write(scenario, target, found)
        assert _reopen(target) == expected, where
        assert_clean(target)
        shutil.rmtree(target.parent)
    # The commit point is one operation: before it the old index, after it the new one.
    assert outcomes["old"] >= 1 and outcomes["new"] >= 1


def _old_version_swap(tmp_path: Path, crash_after: str) -> tuple[Path, Signature, Signature]:
    """The state an older version's two-rename swap left when it died: the index moved
    to ``.index.old-<tag>``, the new one complete in ``.index.tmp-<tag>`` (and, with
    ``crash_after="second"``, a stray half-written temporary directory too)."""
    target = tmp_path / "index"
    old = _memory(_segment(0, 10))
    new = _memory(_segment(0, 10), _segment(30, 4, "n"))
    save_snapshot(old, target)
    save_snapshot(new, tmp_path / "staging")
    os.replace(target, tmp_path / ".index.old-abc123")
    os.replace(tmp_path / "staging", tmp_path / ".index.tmp-abc123")
    if crash_after == "second":
        (tmp_path / ".index.tmp-def456" / SEGMENTS).mkdir(parents=True)
    return target, signature(old), signature(new)


@pytest.mark.parametrize("crash_after", ["first", "second"])
def test_start_up_restores_the_newest_complete_index_an_old_swap_left(
    crash_after: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    target, _, new = _old_version_swap(tmp_path, crash_after)
    assert not target.exists()
    with caplog.at_level("WARNING", logger="embeddings.store.recovery"):
        done = recover_index(target)
    assert done.restored == tmp_path / ".index.tmp-abc123"
    assert "restored the index" in caplog.text
    assert signature(open_snapshot(target)) == new
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index"]
    assert recover_index(target).restored is None  # nothing left to do


def test_only_the_old_index_left_is_restored(tmp_path: Path) -> None:
    target, old, _ = _old_version_swap(tmp_path, "first")
    shutil.rmtree(tmp_path / ".index.tmp-abc123" / SEGMENTS)  # the new one incomplete
    recover_index(target)
    assert signature(open_snapshot(target)) == old


def test_a_damaged_index_moved_aside_stays_until_a_build_discards_it(tmp_path: Path) -> None:
    target = tmp_path / "index"
    (tmp_path / ".index.old-abc123" / SEGMENTS).mkdir(parents=True)
    (tmp_path / ".index.tmp-abc123" / SEGMENTS).mkdir(parents=True)  # a save that died
    assert recover_index(target).restored is None
    assert index_leftovers(target) == [tmp_path / ".index.old-abc123"]
    recover_index(target, discard_incomplete=True)
    assert index_leftovers(target) == []


def test_a_save_never_writes_into_a_directory_that_is_not_an_index(tmp_path: Path) -> None:
    (tmp_path / "index").mkdir()
    (tmp_path / "index" / "notes.txt").write_text("keep", encoding="utf-8")
    with pytest.raises(IndexWriteError, match="not an index"):
        save_snapshot(_memory(_segment(0, 3)), tmp_path / "index")
    assert [p.name for p in (tmp_path / "index").iterdir()] == ["notes.txt"]


def test_the_lock_is_exclusive_reentrant_in_a_thread_and_times_out(tmp_path: Path) -> None:
    import threading

    target = tmp_path / "index"
    errors: list[BaseException] = []

    def other() -> None:
        try:
            with index_lock(target, timeout=0.2):
                pass
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            errors.append(exc)

    with index_lock(target) as path:
        assert path == target / "write.lock" and path.is_file() and holds_lock(target)
        with index_lock(target):  # the same thread: nested
            assert holds_lock(target)
        thread = threading.Thread(target=other)
        thread.start()
        thread.join(10)
    assert not holds_lock(target)
    assert len(errors) == 1 and isinstance(errors[0], IndexBusyError)
    assert str(target) in str(errors[0]) and "0.2 s" in str(errors[0])
    other()  # free again
    assert len(errors) == 1


# -- start-up recovery leaves exactly what the manifest names (issue 30, item 4) ----------


def _index_with_a_delete(target: Path) -> IndexSnapshot:
    """An index of two segments, one with a tombstone file."""
    save_snapshot(_memory(_segment(0, 6), _segment(10, 4, "b")), target)
    opened = open_snapshot(target)
    return save_snapshot(opened.without([opened.documents[0].id]), target)


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_start_up_removes_what_the_manifest_does_not_name_and_nothing_else(
    tmp_path: Path,
) -> None:
    target = tmp_path / "index"
    saved = _index_with_a_delete(target)
    named = _files(target)
    segments, deletes = target / SEGMENTS, target / DELETES
    # What killed writes leave: a whole segment and a tombstone file the manifest no
    # longer names (a commit killed before it deleted them), temporary files of writes
    # that died, and an ingest's build directory beside the index.
    live = next(p for p in segments.iterdir())
    orphans = [segments / "seg-0123456789abcdef", deletes / "seg-0123456789abcdef-1.npz"]
    shutil.copytree(live, orphans[0])
    orphans[1].write_bytes(b"old tombstones")
    temporary = [
        segments / ".seg-feedfacefeedface.tmp-1a2b3c4d",
        segments / ".staging-0a1b2c3d4e5f",
        deletes / ".seg-x-2.npz.tmp-1a2b3c4d",
        target / f".{MANIFEST}.tmp-1a2b3c4d",
    ]
    temporary[0].mkdir()
    (temporary[0] / "chunks.npy").write_bytes(b"partial")
    temporary[1].mkdir()
    temporary[2].write_bytes(b"partial")
    temporary[3].write_text("{", encoding="utf-8")
    build = tmp_path / ".index.building-0a1b2c3d4e5f"
    (build / "index" / SEGMENTS).mkdir(parents=True)
    notes = target / "notes.txt"  # not the index's: left alone
    notes.write_text("mine", encoding="utf-8")

    # A manifest this version cannot read: only temporary files go, nothing it might name.
    manifest = (target / MANIFEST).read_text(encoding="utf-8")
    (target / MANIFEST).write_text(
        json.dumps({**json.loads(manifest), "format_version": 0}), encoding="utf-8"
    )
    done = recover_index(target)
    assert set(done.removed) == {*temporary, build}
    assert all(p.exists() for p in orphans)
    (target / MANIFEST).write_text(manifest, encoding="utf-8")

    done = recover_index(target)
    assert set(done.removed) == set(orphans)
    notes.unlink()
    assert_clean(target)
    assert _files(target) == named  # what the manifest names, byte for byte
    assert signature(open_snapshot(target)) == signature(saved)
    assert recover_index(target) == recovery_module.Recovery()  # nothing left to do


def test_a_rebuild_killed_after_its_commit_leaves_no_previous_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "index"
    save_snapshot(_memory(_segment(0, 12)), target)
    before = {p.name for p in (target / SEGMENTS).iterdir()}
    rebuilt = _memory(_segment(20, 9, "b"))
    with monkeypatch.context() as m:  # killed between the manifest and the collection
        m.setattr(files_module, "_collect", lambda root, states: None)
        save_snapshot(rebuilt, target)
    assert before <= {p.name for p in (target / SEGMENTS).iterdir()}  # the whole old index
    recover_index(target)  # what Assistant.load, qa ingest and qa serve start with
    assert signature(open_snapshot(target)) == signature(rebuilt)
    assert_clean(target)
    assert not before & {p.name for p in (target / SEGMENTS).iterdir()}


def test_recovery_leaves_the_files_of_a_write_under_way(tmp_path: Path) -> None:
    """A segment not named yet may be a write's that holds the lock (it is moved into
    ``segments/`` before its manifest is committed): recovery waits for no writer and
    removes nothing then; the next start-up, with the lock free, does."""
    import threading

    target = tmp_path / "index"
    _index_with_a_delete(target)
    pending = target / SEGMENTS / "seg-0123456789abcdef"
    pending.mkdir()
    held, release = threading.Event(), threading.Event()

    def writer() -> None:
        with index_lock(target):
            held.set()
            release.wait(20)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert held.wait(20)
        assert recover_index(target).removed == ()
        assert pending.exists()
    finally:
        release.set()
        thread.join(20)
    assert recover_index(target).removed == (pending,)
