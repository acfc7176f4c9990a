"""The index directory on disk: segments, tombstones, and the manifest that names them.

Layout of an index directory::

    manifest.json            settings, BM25 parameters, generation, counts, the most
                             rows a merge may write into a segment (null: no limit),
                             and the live segments in order, each with its tombstone
                             file
    segments/<name>/         one immutable segment each (embeddings.store.segment)
    deletes/<name>-<gen>.npz the documents deleted from segment <name> as of generation
                             <gen>, with the BM25 and char12 statistics their rows held
    write.lock               while a writer works: its lock (embeddings.store.lock)

**Commits.** A write adds files and never changes one: new segments are written to a
temporary directory, synced and renamed into place; a tombstone file gets a new name
per generation; then ``manifest.json`` is replaced in one atomic rename (written to a
temporary file and synced first). The manifest is the commit point: a crash leaves the
previous manifest naming complete files only, and leftovers of an unfinished write are
removed by the next commit. Files no longer named by the manifest (merged segments, old
tombstones) are deleted after the commit; a reader that opened them keeps reading them
(POSIX keeps unlinked files alive while open or mapped). Saving another snapshot over an
index is a commit too (its segments written into the index, a manifest naming only
them): the name never lacks a complete index; a directory is renamed only onto nothing
(a new index goes into the directory its writer holds the lock of: :func:`move_index`).

**Readers.** Opening an index reads the manifest, memory-maps each segment's arrays and
opens its SQLite file read-only (immutable, no locks): cheap, and the operating system
shares the mapped pages between every process that serves the index. Re-opening a newer
generation (:func:`open_snapshot` with ``previous``) reuses the segments already open
and opens only the new ones.

Writers hold the index's write lock across processes
(:func:`embeddings.store.lock.index_lock`) and commit on the newest generation (the
callers, :class:`qa.Assistant` and ``qa ingest``/``qa index optimize``, do both); under
the lock a commit removes every leftover of an unfinished write at once, without it only
those older than an hour. Start-up recovery after an interrupted write is
:mod:`embeddings.store.recovery`.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.errors import (
    IndexCorruptError,
    IndexError_,
    IndexMismatchError,
    IndexNotFoundError,
    IndexWriteError,
    is_disk_full,
)
from embeddings.sparse import Deletions
from embeddings.store.build import now
from embeddings.store.lock import LOCK_FILE, holds_lock
from embeddings.store.segment import (
    Segment,
    TermTable,
    fsync_dir,
    open_segment,
    write_segment,
)
from embeddings.store.settings import FORMAT_VERSION, IndexSettings, settings_compatible
from embeddings.store.snapshot import IndexSnapshot, SegmentState
from embeddings.store.space import segment_bytes, write_error
from embeddings.tokenize import Tokenizer

__all__ = [
    "DELETES",
    "MANIFEST",
    "SEGMENTS",
    "commit_snapshot",
    "holds_no_index",
    "load_snapshot",
    "move_index",
    "open_snapshot",
    "read_manifest",
    "save_snapshot",
]

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
SEGMENTS = "segments"
DELETES = "deletes"
_STALE_SECONDS = 3600
"""Temporary files of an unfinished write older than this are removed by a commit."""


def _ingest_hint(directory: str | Path) -> str:
    return f"qa ingest PATH... --index {directory} --rebuild"


def _corrupt(directory: Path, what: str) -> IndexCorruptError:
    return IndexCorruptError(
        f"the index at {directory} is damaged ({what}); delete it and re-ingest: "
        f"{_ingest_hint(directory)}"
    )


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    fsync_dir(path.parent)


# -- tombstones -------------------------------------------------------------------------------


def _write_deletes(path: Path, state: SegmentState) -> None:
    arrays: dict[str, Any] = {
        "deleted": state.deleted,
        "rows": state.bm25.rows,
        "terms": state.bm25.terms,
        "counts": state.bm25.counts,
        "length": np.array(state.bm25.length, dtype=np.int64),
    }
    if state.analyzer is not None:
        arrays["analyzer_keys"] = np.asarray(state.analyzer.keys)
        arrays["analyzer_df"] = np.asarray(state.analyzer.df)
    tmp = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _read_deletes(path: Path, segment: Segment) -> SegmentState:
    with np.load(path, allow_pickle=False) as data:
        deleted = np.asarray(data["deleted"], dtype=np.int64)
        bm25 = Deletions(
            np.asarray(data["rows"], dtype=np.int64),
            np.asarray(data["terms"], dtype=np.int64),
            np.asarray(data["counts"], dtype=np.int64),
            int(data["length"]),
        )
        analyzer = (
            TermTable(np.asarray(data["analyzer_keys"]), np.asarray(data["analyzer_df"]))
            if "analyzer_keys" in data
            else None
        )
    if deleted.size and int(deleted.max()) >= segment.document_count:
        raise ValueError(f"{path.name} deletes documents that segment {segment.name} lacks")
    return SegmentState(segment, deleted, bm25, analyzer, "")


# -- manifest ---------------------------------------------------------------------------------


def read_manifest(directory: str | Path) -> dict[str, Any]:
    """The manifest of the index at ``directory``, its format version checked.

    Raises:
        IndexNotFoundError: when there is no index there.
        IndexCorruptError: when the manifest is unreadable.
        IndexMismatchError: when it was written in another format version.
    """
    root = Path(directory)
    path = root / MANIFEST
    if not path.is_file():
        where = "does not exist" if not root.exists() else "has no manifest.json"
        raise IndexNotFoundError(
            f"no index at {root} (the directory {where}); build one with "
            f"`qa ingest PATH --index {root}`"
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        version = int(manifest["format_version"])
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise _corrupt(root, f"unreadable manifest.json: {err}") from err
    if version != FORMAT_VERSION:
        raise IndexMismatchError(
            f"the index at {root} has format version {version}, this version reads "
            f"{FORMAT_VERSION}; re-ingest to rebuild it: {_ingest_hint(root)}"
        )
    if not isinstance(manifest, dict):
        raise _corrupt(root, "manifest.json is not an object")
    return manifest


def _manifest(
    snapshot: IndexSnapshot, states: list[SegmentState], generation: int
) -> dict[str, Any]:
    data = snapshot.settings.to_dict()
    data.update(
        {
            "bm25": snapshot.bm25_params,
            "max_segment_rows": snapshot.max_segment_rows,
            "generation": generation,
            "created_at": snapshot.created_at or now(),
            "updated_at": now(),
            "counts": {
                "documents": sum(st.live_documents for st in states),
                "chunks": sum(st.live_rows for st in states),
                "segments": len(states),
                "deleted_documents": sum(int(st.deleted.shape[0]) for st in states),
            },
            "segments": [
                {
                    "name": st.segment.name,
                    "documents": st.segment.document_count,
                    "chunks": st.segment.size,
                    "deleted_documents": int(st.deleted.shape[0]),
                    "deleted_chunks": st.bm25.count,
                    "deletes": st.deletes_file or None,
                }
                for st in states
            ],
        }
    )
    return data


# -- reading ----------------------------------------------------------------------------------


def open_snapshot(
    directory: str | Path,
    expected: IndexSettings | None = None,
    *,
    previous: IndexSnapshot | None = None,
    tokenizer: Tokenizer | None = None,
) -> IndexSnapshot:
    """Open the index at ``directory`` as of its current manifest (see
    :func:`_open_snapshot`); when a commit in another process replaced the manifest and
    removed a segment while this one was opening, it opens the newer generation."""
    root = Path(directory)
    for attempt in range(3):
        generation = _generation(root)
        try:
            return _open_snapshot(root, expected, previous=previous, tokenizer=tokenizer)
        except IndexCorruptError:
            if attempt == 2 or _generation(root) in (None, generation):
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _generation(root: Path) -> int | None:
    try:
        return int(read_manifest(root)["generation"])
    except (IndexError_, KeyError, TypeError, ValueError):
        return None


def _open_snapshot(
    directory: str | Path,
    expected: IndexSettings | None = None,
    *,
    previous: IndexSnapshot | None = None,
    tokenizer: Tokenizer | None = None,
) -> IndexSnapshot:
    """Open the index at ``directory`` as of its current manifest.

    Only the index's own files are read (no raw article, no model), and only the
    manifest and small arrays at once: documents, postings and vectors are mapped and
    read on demand.

    Args:
        directory: the index directory.
        expected: the settings the caller needs; any difference (see
            :func:`settings_compatible`) raises. None accepts any settings.
        previous: an open snapshot of the same directory whose segments are reused
            (re-opening a newer generation opens only the new segments).
        tokenizer: a tokenizer object to share.

    Returns:
        The snapshot.

    Raises:
        IndexNotFoundError: when the directory or its manifest does not exist.
        IndexCorruptError: when files are missing, unreadable or inconsistent.
        IndexMismatchError: when the index was written in another format version or
            with settings other than ``expected``.
    """
    root = Path(directory)
    manifest = read_manifest(root)
    try:
        settings = IndexSettings.from_dict(manifest)
        entries = list(manifest["segments"])
        generation = int(manifest["generation"])
        params = dict(manifest["bm25"])
        limit = manifest.get("max_segment_rows")
        max_segment_rows = None if limit is None else int(limit)
        counts = manifest["counts"]
        n_docs, n_chunks = int(counts["documents"]), int(counts["chunks"])
    except (ValueError, KeyError, TypeError) as err:
        raise _corrupt(root, f"invalid manifest.json: {err}") from err
    if expected is not None:
        reason = settings_compatible(settings, expected)
        if reason is not None:
            raise IndexMismatchError(
                f"the index at {root} was built with other settings: {reason}; "
                f"re-ingest to rebuild it: {_ingest_hint(root)}"
            )
    known: dict[str, Segment] = {}
    if previous is not None and previous.directory is not None:
        if previous.directory.resolve() == root.resolve():
            known = {st.segment.name: st.segment for st in previous.states}
        tokenizer = tokenizer or previous.bm25.tokenizer
    states: list[SegmentState] = []
    try:
        for entry in entries:
            name = str(entry["name"])
            segment = known.get(name) or open_segment(root / SEGMENTS / name)
            if segment.document_count != int(entry["documents"]) or segment.size != int(
                entry["chunks"]
            ):
                raise ValueError(f"segment {name} disagrees with the manifest's counts")
            deletes = entry.get("deletes")
            if deletes:
                state = _read_deletes(root / str(deletes), segment)
                state = SegmentState(
                    segment, state.deleted, state.bm25, state.analyzer, str(deletes)
                )
                if int(state.deleted.shape[0]) != int(entry["deleted_documents"]):
                    raise ValueError(f"{deletes} disagrees with the manifest")
            else:
                state = SegmentState(segment)
            states.append(state)
    except IndexCorruptError as err:
        raise _corrupt(root, str(err)) from err
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise _corrupt(root, f"cannot read the segments: {err}") from err
    if (
        sum(st.live_documents for st in states) != n_docs
        or sum(st.live_rows for st in states) != n_chunks
    ):
        raise _corrupt(root, "the segments disagree with the manifest's counts")
    try:
        return IndexSnapshot(
            settings,
            states,
            created_at=str(manifest.get("created_at", "")),
            generation=generation,
            directory=root,
            tokenizer=tokenizer,
            bm25_params=params,
            max_segment_rows=max_segment_rows,
        )
    except ValueError as err:
        raise _corrupt(root, str(err)) from err


def load_snapshot(directory: str | Path, expected: IndexSettings | None = None) -> IndexSnapshot:
    """Read an index written by :func:`save_snapshot` (see :func:`open_snapshot`).

    Raises:
        IndexNotFoundError, IndexCorruptError, IndexMismatchError: as
            :func:`open_snapshot`.
    """
    return open_snapshot(directory, expected)


# -- writing ----------------------------------------------------------------------------------


def _same(a: Path | None, b: Path) -> bool:
    return a is not None and a.resolve() == b.resolve()


def _commit_into(root: Path, snapshot: IndexSnapshot, generation: int) -> IndexSnapshot:
    """Write what ``snapshot`` has that ``root`` lacks, then its manifest."""
    segments_dir = root / SEGMENTS
    deletes_dir = root / DELETES
    segments_dir.mkdir(parents=True, exist_ok=True)
    deletes_dir.mkdir(exist_ok=True)
    own = _same(snapshot.directory, root)
    states: list[SegmentState] = []
    for st in snapshot.states:
        segment = st.segment
        if not _same(segment.directory.parent if segment.directory else None, segments_dir):
            there = segments_dir / segment.name
            # Segments are immutable and named at random: one of that name is this one
            # (written by an earlier save of the same snapshot, e.g. one interrupted).
            segment = (
                open_segment(there)
                if (there / "segment.json").is_file()
                else write_segment(segment, segments_dir)
            )
        deletes = st.deletes_file if own else ""
        if st.deleted.size and not deletes:
            deletes = f"{DELETES}/{segment.name}-{generation}.npz"
            _write_deletes(root / deletes, st)
        states.append(SegmentState(segment, st.deleted, st.bm25, st.analyzer, deletes))
    fsync_dir(segments_dir)
    fsync_dir(deletes_dir)
    manifest = _manifest(snapshot, states, generation)
    _write_atomic(
        root / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
    )
    _collect(root, states)
    return IndexSnapshot(
        snapshot.settings,
        states,
        created_at=str(manifest["created_at"]),
        generation=generation,
        directory=root,
        tokenizer=snapshot.bm25.tokenizer,
        bm25_params=snapshot.bm25_params,
        max_segment_rows=snapshot.max_segment_rows,
    )


def _collect(root: Path, states: list[SegmentState]) -> None:
    """Delete segments and tombstones the manifest no longer names, and leftovers of
    unfinished writes: all of them when this thread holds the index's write lock (no
    other writer can be at work), else those older than an hour.

    A failure here is logged, never raised: the commit is done, and the next one
    collects what this one left.
    """
    names = {st.segment.name for st in states}
    files = {Path(st.deletes_file).name for st in states if st.deletes_file}
    cutoff = time.time() + 1 if holds_lock(root) else time.time() - _STALE_SECONDS
    try:
        for path in (root / SEGMENTS).iterdir():
            if path.name.startswith("."):
                if path.lstat().st_mtime <= cutoff:
                    _remove(path)
            elif path.name not in names:
                _remove(path)
        for path in (root / DELETES).iterdir():
            if path.name.startswith("."):
                if path.lstat().st_mtime <= cutoff:
                    _remove(path)
            elif path.name not in files:
                _remove(path)
        for path in root.iterdir():
            if path.name.startswith(f".{MANIFEST}.tmp-") and path.lstat().st_mtime <= cutoff:
                _remove(path)
    except OSError as err:
        logger.warning("could not remove old files of the index at %s: %s", root, err)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


_WRITE_ERRORS = (OSError, sqlite3.Error, IndexCorruptError)
"""What a failed write raises (a file just written that cannot be read back is one; a
FAISS write on a full disk raises a RuntimeError, see :func:`_failed`)."""


def _failed(err: Exception) -> bool:
    """Whether ``err`` is a failed write (else a bug, raised as it is)."""
    return isinstance(err, _WRITE_ERRORS) or is_disk_full(err)


def _needed(snapshot: IndexSnapshot, root: Path) -> int | None:
    """About how many bytes writing ``snapshot`` into ``root`` takes: the segments not
    there yet, their tombstones and the manifest."""
    try:
        there = root / SEGMENTS
        total = sum(
            segment_bytes(st.segment)
            for st in snapshot.states
            if not (there / st.segment.name / "segment.json").is_file()
        )
        tombstones = sum(4096 + int(st.deleted.nbytes) * 8 for st in snapshot.states)
        return total + tombstones + 4096  # and the manifest
    except Exception:  # noqa: BLE001 - only the message's figure is lost
        return None


def _write_failure(
    err: Exception, snapshot: IndexSnapshot, root: Path, outcome: str
) -> IndexWriteError:
    return write_error(
        f"cannot write the index to {root}",
        err,
        where=root,
        outcome=outcome,
        needed=_needed(snapshot, root) if is_disk_full(err) else None,
    )


def _raw_generation(root: Path) -> int:
    """The generation the manifest at ``root`` records, or 0 where it cannot be read."""
    try:
        return int(json.loads((root / MANIFEST).read_text(encoding="utf-8"))["generation"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0


def commit_snapshot(snapshot: IndexSnapshot, directory: str | Path) -> IndexSnapshot:
    """Commit ``snapshot`` to the index it was opened from, writing only what is new.

    The caller holds the index's write lock (:func:`embeddings.store.lock.index_lock`)
    and made ``snapshot`` from the index's newest generation: the new manifest names
    ``snapshot``'s segments only.

    Args:
        snapshot: a snapshot of the index at ``directory`` with writes on top.
        directory: that index's directory.

    Returns:
        The committed snapshot, opened from the directory.

    Raises:
        IndexWriteError: when the files cannot be written (the index stays as it was).
        ValueError: when ``snapshot`` does not belong to ``directory``.
    """
    root = Path(directory)
    if not _same(snapshot.directory, root):
        raise ValueError(f"the snapshot was not opened from {root}; use save_snapshot")
    generation = int(read_manifest(root)["generation"]) + 1
    try:
        return _commit_into(root, snapshot, generation)
    except Exception as err:
        if not _failed(err):
            raise
        raise _write_failure(err, snapshot, root, "the index there is unchanged") from err


def save_snapshot(snapshot: IndexSnapshot, directory: str | Path) -> IndexSnapshot:
    """Write ``snapshot`` to ``directory``, replacing any index there.

    There is never a moment without a complete index under the name:

    * over an index (the one the snapshot was opened from or any other), the snapshot's
      segments and tombstones that are not there yet are written into it and a new
      manifest (the next generation) naming only them is committed atomically; the old
      files are deleted after the commit (:func:`commit_snapshot` for the snapshot's own
      index);
    * where there is nothing (no directory, or one holding nothing but the write lock's
      file: :func:`holds_no_index`), the whole index is written into a temporary sibling
      directory, synced, and moved into place (:func:`move_index`).

    If anything fails, the index at ``directory`` stays as it was. The caller holds the
    index's write lock (:func:`embeddings.store.lock.index_lock`).

    Args:
        snapshot: the index to write.
        directory: the index directory (its parent is created if needed).

    Returns:
        The written index, opened from ``directory``.

    Raises:
        IndexWriteError: when the files cannot be written, or ``directory`` exists and
            holds something other than an index (it is never overwritten then).
    """
    target = Path(directory)
    if (target / MANIFEST).is_file():
        if _same(snapshot.directory, target):
            try:
                read_manifest(target)
            except (IndexMismatchError, IndexCorruptError):
                pass
            else:
                return commit_snapshot(snapshot, target)
        try:
            saved = _commit_into(target, snapshot, _raw_generation(target) + 1)
        except Exception as err:
            if not _failed(err):
                raise
            raise _write_failure(err, snapshot, target, "the index there is unchanged") from err
        logger.info("saved index to %s (%d chunks)", target, snapshot.size)
        return saved
    if not holds_no_index(target):
        raise IndexWriteError(
            f"{target} exists and is not an index; choose a new or empty directory for --index"
        )
    parent = target.parent
    tmp = parent / f".{target.name}.tmp-{uuid.uuid4().hex[:12]}"
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()
        _commit_into(tmp, snapshot, 1)
        move_index(tmp, target)
    except Exception as err:
        if not _failed(err):
            raise
        shutil.rmtree(tmp, ignore_errors=True)  # first: the space it held is free again
        raise _write_failure(
            err, snapshot, target, "any previous index there is unchanged"
        ) from err
    finally:
        if tmp.exists():  # emptied by the move, or a failed write's
            try:
                shutil.rmtree(tmp, ignore_errors=True)
            except OSError:  # a leftover sibling, which recovery removes: the save stands
                pass
    logger.info("saved index to %s (%d chunks)", target, snapshot.size)
    return open_snapshot(target, tokenizer=snapshot.bm25.tokenizer)


def holds_no_index(directory: str | Path) -> bool:
    """Whether a new index may be put at ``directory``: nothing is there, or a directory
    holding nothing but the write lock's file (:data:`embeddings.store.lock.LOCK_FILE`:
    a writer at work, or one that was killed) and empty ``segments/`` and ``deletes/``
    folders (what a :func:`move_index` that died before moving a file leaves)."""
    root = Path(directory)
    if not root.exists():
        return True
    try:
        if not root.is_dir():
            return False
        for path in root.iterdir():
            empty_folder = path.name in (SEGMENTS, DELETES) and not any(path.iterdir())
            if path.name != LOCK_FILE and not empty_folder:
                return False
    except OSError:
        return False
    return True


def move_index(source: str | Path, target: str | Path) -> None:
    """Move the complete index at ``source`` to ``target``, where there is none
    (:func:`holds_no_index`), on the same file system.

    Where ``target`` does not exist, ``source`` is renamed to it. Else (the directory of
    a writer holding its lock) the index's segments and tombstone files are renamed into
    it first and its manifest last, the commit point: ``target`` holds a complete index
    or none at every moment, and stays the same directory, so the lock file in it stays
    the lock. A move that failed puts back what it moved (``source`` stays complete); one
    that was killed is finished by calling this again (start-up recovery does:
    :func:`embeddings.store.recovery.recover_index`), files already moved being skipped.

    Raises:
        OSError: when a rename fails; ``target`` then holds no index.
    """
    src, root = Path(source), Path(target)
    if not root.exists():
        os.replace(src, root)  # onto nothing: one atomic rename
        fsync_dir(root.parent)
        return
    manifest = json.loads((src / MANIFEST).read_text(encoding="utf-8"))
    created = [root / sub for sub in (SEGMENTS, DELETES) if not (root / sub).is_dir()]
    moved: list[tuple[Path, Path]] = []
    try:
        for folder in created:
            folder.mkdir()
        for entry in manifest["segments"]:
            names = [f"{SEGMENTS}/{entry['name']}"]
            if entry.get("deletes"):
                names.append(str(entry["deletes"]))
            for name in names:
                there = root / name
                if (src / name).exists() or not there.exists():  # moved before: skipped
                    os.replace(src / name, there)
                    moved.append((src / name, there))
        fsync_dir(root / SEGMENTS)
        fsync_dir(root / DELETES)
        os.replace(src / MANIFEST, root / MANIFEST)
    except OSError:
        for back, there in reversed(moved):  # nothing was committed: undone
            try:
                os.replace(there, back)
            except OSError:
                pass
        for folder in created:
            try:
                folder.rmdir()
            except OSError:
                pass
        raise
    fsync_dir(root)


def manifest_counts(manifest: Mapping[str, Any]) -> dict[str, int]:
    """The counts a manifest records (documents, chunks, segments, deleted documents)."""
    return {str(k): int(v) for k, v in dict(manifest.get("counts", {})).items()}
