"""Disk space: what a write needs, and the error a full disk gives.

A full disk shows itself in several ways (``ENOSPC``, SQLite's "database or disk is
full", numpy's "2078 requested and 1008 written", FAISS's write error):
:func:`embeddings.errors.is_disk_full` recognises them all, and :func:`write_error`
turns a failed write into an :class:`~embeddings.errors.IndexDiskFullError` that says so,
with about how much the write needed and how much is free, or into a plain
:class:`~embeddings.errors.IndexWriteError` for any other failure.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from embeddings.errors import IndexDiskFullError, IndexWriteError, is_disk_full

if TYPE_CHECKING:
    from embeddings.store.segment import Segment

__all__ = ["free_bytes", "human_bytes", "segment_bytes", "write_error", "write_errors"]


def human_bytes(n: int) -> str:
    """``n`` bytes for a reader: ``512 bytes``, ``37.7 KB``, ``1.2 MB``, ``3.4 GB``."""
    if n < 1000:
        return f"{n} bytes"
    value = float(n)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1000
        if value < 1000 or unit == "TB":
            break
    return f"{value:,.1f} {unit}"


def free_bytes(path: str | Path) -> int | None:
    """The bytes free for writing on the file system that holds ``path`` (or its
    nearest existing parent); None where that cannot be asked."""
    here = Path(path).absolute()
    for candidate in (here, *here.parents):
        if candidate.exists():
            try:
                return shutil.disk_usage(candidate).free
            except OSError:
                return None
    return None


_BLOCK = 4096
"""The allocation unit assumed for a file system: every file takes whole blocks."""
_SMALL_FILES = 8
"""The JSON files and directories of a segment besides its arrays and documents."""


def _blocks(n: int) -> int:
    return -(-n // _BLOCK) * _BLOCK


def _arrays(value: object, depth: int = 0) -> int:
    """The disk space of the numpy arrays held in ``value`` (a dataclass, as deep as
    3), each a ``.npy`` file of whole blocks."""
    if isinstance(value, np.ndarray):
        return _blocks(int(value.nbytes) + 128)
    if depth < 3 and dataclasses.is_dataclass(value) and not isinstance(value, type):
        return sum(_arrays(getattr(value, f.name), depth + 1) for f in dataclasses.fields(value))
    return 0


def segment_bytes(segment: Segment) -> int:
    """About how much disk space ``segment`` takes: its files' where it has a
    directory, else its arrays', its documents' as stored, and its small files'."""
    if segment.directory is not None and segment.directory.is_dir():
        return sum(
            max(p.stat().st_blocks * 512, p.stat().st_size)
            for p in segment.directory.rglob("*")
            if p.is_file()
        )
    total = _arrays(segment) + _SMALL_FILES * _BLOCK
    if segment.dense is not None and segment.dense.vectors is not None:
        total += _blocks(int(segment.dense.vectors.nbytes) + 128)
    stored = sum(
        len(json.dumps(doc.to_dict(), ensure_ascii=False).encode("utf-8", "replace"))
        for doc in segment.documents.iter_documents()
    )
    return total + _blocks(stored + stored // 4 + 2 * _BLOCK)  # SQLite: pages, an index


def write_error(
    what: str, err: BaseException, *, where: str | Path, outcome: str, needed: int | None = None
) -> IndexWriteError:
    """The error for a write that failed with ``err``.

    Args:
        what: what could not be done (``cannot write the index to /srv/index``).
        err: the error the write raised.
        where: a path on the file system written to.
        outcome: what that leaves (``the index there is unchanged``).
        needed: about how many bytes the write needed, where known.

    Returns:
        An :class:`IndexDiskFullError` where ``err`` says the disk is full (its message
        says so, with ``needed`` and the bytes free now), else an
        :class:`IndexWriteError`.
    """
    if not is_disk_full(err):
        return IndexWriteError(f"{what}: {err}; {outcome}")
    free = free_bytes(where)
    need = f"needs about {human_bytes(needed)}" if needed else "needs more space"
    room = f"{human_bytes(free)} free there now" if free is not None else "no more room"
    return IndexDiskFullError(
        f"the disk is full: {what} ({err}): the write {need}, with {room}; free some "
        f"space (or move the index to a larger disk) and try again; {outcome}",
        needed=needed,
        free=free,
    )


@contextmanager
def write_errors(
    what: str,
    *,
    where: str | Path,
    outcome: str,
    needed: Callable[[], int] | None = None,
) -> Iterator[None]:
    """Turn a failed write inside the block into :func:`write_error`'s error.

    Catches ``OSError``, SQLite's errors and a ``RuntimeError`` that says the disk is
    full (FAISS's write error); any other ``RuntimeError`` passes through.

    Args:
        what: what could not be done.
        where: a path on the file system written to.
        outcome: what the failure leaves.
        needed: computes about how many bytes the write needed (called only on failure).

    Raises:
        IndexDiskFullError: the disk is full.
        IndexWriteError: any other failed write.
    """
    try:
        yield
    except (OSError, sqlite3.Error, RuntimeError) as err:
        if isinstance(err, RuntimeError) and not is_disk_full(err):
            raise
        raise write_error(
            what, err, where=where, outcome=outcome, needed=needed() if needed else None
        ) from err
