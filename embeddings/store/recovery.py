"""Start-up recovery of an index directory: restore, clean up, or say what is there.

A save never leaves the name without a complete index (:func:`save_snapshot` commits a
new manifest into the existing directory, and renames a directory only onto nothing),
but older versions swapped directories with two renames (the index to
``.<name>.old-<tag>``, then ``.<name>.tmp-<tag>`` to the name): a crash between them
left no index under the name. An interrupted write also leaves temporary siblings
(``.<name>.tmp-*``, ``.<name>.building-*`` of an ingest), temporary files inside, and
files that a commit no longer names but had no time to delete (the segments and
tombstones of the generation before it: after a ``--rebuild``, the whole previous
index).

:func:`recover_index` (run under the index's write lock when there is something to do)
restores the newest complete generation found in such a sibling when the name has none,
and removes the leftovers once a complete index is under the name: afterwards its
``segments/`` and ``deletes/`` hold exactly what the manifest names.
:func:`index_leftovers` says whether a path without an index held one (the callers then
refuse to build a fresh index over it from bundled articles).
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

from embeddings.errors import IndexError_, IndexWriteError
from embeddings.store.files import (
    DELETES,
    MANIFEST,
    SEGMENTS,
    holds_no_index,
    move_index,
    open_snapshot,
    read_manifest,
)
from embeddings.store.lock import DEFAULT_LOCK_TIMEOUT, index_lock

__all__ = ["Recovery", "index_leftovers", "recover_index"]

logger = logging.getLogger(__name__)

_KINDS = ("tmp-", "old-", "building-")
"""Temporary siblings: a save's, an older version's swapped-out index, an ingest's build."""
_RESTORABLE = ("tmp-", "old-")
"""Siblings that hold a complete index once their manifest is there (an ingest's build
directory commits as it goes, so its manifest may name a part of the input only)."""


@dataclass(frozen=True, slots=True)
class Recovery:
    """What :func:`recover_index` did.

    Attributes:
        restored: the sibling directory the index was restored from, or None.
        generation: the restored index's generation (0 when none was restored).
        removed: the leftovers removed.
    """

    restored: Path | None = None
    generation: int = 0
    removed: tuple[Path, ...] = ()


def _siblings(root: Path) -> list[Path]:
    prefix = f".{root.name}."
    try:
        entries = list(root.parent.iterdir())
    except OSError:
        return []
    return sorted(
        p for p in entries if p.name.startswith(prefix) and p.name[len(prefix) :].startswith(_KINDS)
    )


def _has_manifest(root: Path) -> bool:
    return (root / MANIFEST).is_file()


def _is_empty_dir(root: Path) -> bool:
    """A directory that holds nothing but the write lock's file (a writer's, at work)."""
    return root.is_dir() and holds_no_index(root)


def _needs_recovery(root: Path) -> bool:
    return bool(_siblings(root)) or (_has_manifest(root) and bool(_leftovers_inside(root)))


def _named(root: Path) -> tuple[set[str], set[str]] | None:
    """The segments and tombstone files the manifest at ``root`` names; None where it
    cannot be read (or is of another format version: its layout is not this one's)."""
    try:
        entries = list(read_manifest(root)["segments"])
        segments = {str(e["name"]) for e in entries}
        deletes = {Path(str(e["deletes"])).name for e in entries if e.get("deletes")}
    except (IndexError_, OSError, KeyError, TypeError, ValueError, AttributeError):
        return None
    return segments, deletes


def _leftovers_inside(root: Path) -> list[Path]:
    """What unfinished writes left inside the index: temporary files and directories
    (dot-names), and the segments and tombstones the manifest does not name (a commit
    deletes them after its manifest is in place; a kill in between leaves them). Only
    temporary files where the manifest cannot be read."""
    try:
        found = [p for p in root.iterdir() if p.name.startswith(f".{MANIFEST}.tmp-")]
    except OSError:
        return []
    named = _named(root)
    for sub, keep in ((SEGMENTS, 0), (DELETES, 1)):
        folder = root / sub
        if not folder.is_dir():
            continue
        names = None if named is None else named[keep]
        found.extend(
            p
            for p in folder.iterdir()
            if p.name.startswith(".") or (names is not None and p.name not in names)
        )
    return sorted(found)


def index_leftovers(directory: str | Path) -> list[Path]:
    """What a path without a readable index holds of one: the directory itself when it
    is not empty, and temporary siblings of interrupted writes. Empty when there is
    nothing (a fresh index may be built there)."""
    root = Path(directory)
    found = _siblings(root)
    if root.exists() and not _is_empty_dir(root):
        found.insert(0, root)
    return found


def _recorded(path: Path) -> tuple[str, int]:
    """The time and generation the manifest at ``path`` records ("", 0: unreadable)."""
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        return str(manifest.get("updated_at", "")), int(manifest.get("generation", 0))
    except (OSError, ValueError, TypeError, AttributeError):
        return "", 0


def _newest_first(root: Path, sibling: Path) -> tuple[str, bool, int]:
    """Orders restorable siblings: by the manifest's time (to the second), then a save's
    new index before the index it was replacing (an older version numbered the new one
    from 1), then by generation."""
    when, generation = _recorded(sibling)
    return when, _kind(root, sibling) == "tmp-", generation


def _complete(path: Path) -> bool:
    try:
        read_manifest(path)
        open_snapshot(path).close()
    except (IndexError_, OSError):
        return False
    return True


def recover_index(
    directory: str | Path,
    *,
    discard_incomplete: bool = False,
    timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> Recovery:
    """Bring the index at ``directory`` to a clean state after an interrupted write.

    Nothing is done (and no lock taken) when the name holds an index and there is no
    leftover. Otherwise, under the index's write lock:

    * when the name holds no index (missing, empty, or no manifest) and a temporary
      sibling of a save (``.<name>.tmp-*``, ``.<name>.old-*``) holds a complete one, the
      newest of them (by its manifest's time, then generation) is moved into place
      and a warning logged;
    * once the name holds an index, every temporary sibling, temporary file inside,
      and segment or tombstone file its manifest does not name (a commit that was
      killed before it deleted the previous generation's) is removed: no other writer
      holds the lock, so none of them is in use by a write; what the manifest names is
      never touched, and nothing but temporary files is removed where the manifest
      cannot be read;
    * when no complete index is found, the temporary siblings of saves and builds that
      died before their end are removed (they never held a complete index), but an
      index moved aside by an older version's swap (``.<name>.old-*``) that cannot be
      opened stays (it may be a damaged copy of the only index; a caller that builds a
      new index anyway asks for ``discard_incomplete``, an explicit ingest).

    Args:
        directory: the index directory.
        discard_incomplete: remove the leftovers even when no index could be restored.
        timeout: seconds to wait for another writer's lock.

    Returns:
        What was done.

    Raises:
        IndexWriteError: when a rename or removal fails, or the name holds something
            other than an index beside a restorable one.
        IndexBusyError: when another writer holds the lock for ``timeout`` seconds.
    """
    root = Path(directory)
    if _has_manifest(root):
        if not _needs_recovery(root):
            return Recovery()
        try:
            # Only clean-up is left: not worth waiting for a writer at work (an ingest
            # that builds beside the index holds the lock throughout).
            with index_lock(root, 0):
                return _recover(root, discard_incomplete)
        except IndexWriteError as err:  # busy, or no lock file here (read-only): later
            logger.debug("leftovers of %s not removed now: %s", root, err)
            return Recovery()
    if not _siblings(root):
        return Recovery()
    with index_lock(root, timeout):
        return _recover(root, discard_incomplete)


def _recover(root: Path, discard_incomplete: bool) -> Recovery:
    """:func:`recover_index`'s work, under the lock."""
    restored: Path | None = None
    generation = 0
    siblings = _siblings(root)
    try:
        finished = _finish_move(root, siblings)
        if finished is not None:
            restored, generation = finished, _recorded(root)[1]
            logger.warning(
                "finished putting the index at %s (generation %d) in place from %s: the "
                "write that moved it there was interrupted",
                root,
                generation,
                finished,
            )
        if not _has_manifest(root):
            candidates = [s for s in siblings if _kind(root, s) in _RESTORABLE and _complete(s)]
            if candidates:
                best = max(candidates, key=lambda c: _newest_first(root, c))
                if root.exists() and not _is_empty_dir(root):
                    raise IndexWriteError(
                        f"{root} holds no index but is not empty, and a complete index "
                        f"left by an interrupted save is at {best}: move {root} aside "
                        "and start again to restore it"
                    )
                move_index(best, root)  # into the directory whose lock is held here
                restored, generation = best, _recorded(root)[1]
                if not best.exists():
                    siblings.remove(best)
                logger.warning(
                    "restored the index at %s (generation %d) from %s, left by an interrupted save",
                    root,
                    generation,
                    best,
                )
    except OSError as err:
        raise IndexWriteError(f"cannot recover the index at {root}: {err}") from err
    if not (_has_manifest(root) or discard_incomplete):
        # An index moved aside by an old swap (``old-``) that cannot be opened may be a
        # damaged copy of the only one: kept. The others never held a complete index
        # (a save or a build that died before its end): removed.
        siblings = [s for s in _siblings(root) if _kind(root, s) != "old-"]
    removed: list[Path] = []
    try:
        # Under the lock: no write is under way, and the manifest read now is the newest.
        for path in [*siblings, *(_leftovers_inside(root) if root.is_dir() else ())]:
            _remove(path)
            removed.append(path)
    except OSError as err:  # the next write collects the rest
        logger.warning("could not remove leftovers of interrupted writes: %s", err)
    if removed:
        logger.info("removed %d leftover(s) of interrupted writes of %s", len(removed), root)
    return Recovery(restored, generation, tuple(removed))


def _finish_move(root: Path, siblings: list[Path]) -> Path | None:
    """Finish a :func:`~embeddings.store.files.move_index` into ``root`` that was killed:
    where ``root`` holds no manifest but segments that a sibling's manifest names (a
    save's ``tmp-`` directory, an ingest's ``building-`` one: a move starts once the
    index it moves is complete), the rest is moved. Returns that sibling, or None."""
    if _has_manifest(root) or not (root / SEGMENTS).is_dir():
        return None
    here = {p.name for p in (root / SEGMENTS).iterdir()}
    for sibling in siblings if here else ():
        source = sibling / "index" if _kind(root, sibling) == "building-" else sibling
        try:
            manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
            named = {str(entry["name"]) for entry in manifest["segments"]}
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if named & here:
            move_index(source, root)
            return sibling
    return None


def _kind(root: Path, sibling: Path) -> str:
    """``tmp-``, ``old-`` or ``building-``: what wrote ``sibling``."""
    rest = sibling.name[len(root.name) + 2 :]
    return next((k for k in _KINDS if rest.startswith(k)), "")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)
