"""One writer at a time per index directory, across processes.

A write (add, update, delete, save, merge, ingest) holds an exclusive ``flock`` on the
index's lock file for its whole read-modify-commit: it re-opens the newest generation
under the lock, applies its change to it and commits, so a commit from another process
is never overwritten. Readers take no lock (the manifest is replaced atomically).

The lock file is ``.<name>.lock`` beside the index directory ``<name>``: it exists before
the index does (the first save creates the directory) and outlives a directory renamed
into place. It is never deleted (deleting a lock file that another process is waiting on
would let two writers in).

A thread that holds the lock may take it again (nested writes: an ingest that builds a
new index holds it throughout and saves under it); another thread or process waits up
to ``timeout`` seconds, then gets :class:`~embeddings.errors.IndexBusyError` naming the
index. Forked children (the ingest's worker processes) drop the lock files they inherit,
so a lock is never held by a child after its parent released it.
"""

from __future__ import annotations

import errno
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from embeddings.errors import IndexBusyError, IndexWriteError

try:  # pragma: no cover - POSIX has fcntl; elsewhere writes are serialised per process only
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

__all__ = ["DEFAULT_LOCK_TIMEOUT", "holds_lock", "index_lock", "lock_path"]

DEFAULT_LOCK_TIMEOUT = 60.0
"""Seconds a write waits for another writer of the same index before giving up."""
_POLL_SECONDS = 0.02

# The lock files this process holds. Process-wide by nature: flock belongs to open files,
# which a fork shares with the child, and the child must let go of them.
_held = threading.local()
_open_fds: set[int] = set()
_fds_guard = threading.Lock()


def _close_inherited() -> None:  # pragma: no cover - runs in forked children
    global _held
    _held = threading.local()  # the child holds no lock
    for fd in list(_open_fds):
        try:
            os.close(fd)
        except OSError:
            pass
    _open_fds.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_inherited)


def lock_path(directory: str | Path) -> Path:
    """The lock file of the index at ``directory``: ``.<name>.lock`` beside it."""
    root = Path(os.path.abspath(directory))
    return Path(os.path.realpath(root.parent)) / f".{root.name}.lock"


def _table() -> dict[str, list[int]]:
    table: dict[str, list[int]] | None = getattr(_held, "table", None)
    if table is None:
        table = {}
        _held.table = table
    return table


def holds_lock(directory: str | Path) -> bool:
    """Whether this thread holds the write lock of the index at ``directory``."""
    return str(lock_path(directory)) in _table()


@contextmanager
def index_lock(directory: str | Path, timeout: float = DEFAULT_LOCK_TIMEOUT) -> Iterator[Path]:
    """Hold the exclusive write lock of the index at ``directory``.

    Args:
        directory: the index directory (it need not exist yet; its parent is created).
        timeout: seconds to wait for another writer (0: do not wait).

    Yields:
        The lock file's path.

    Raises:
        IndexBusyError: when another thread or process held the lock for ``timeout``
            seconds.
        IndexWriteError: when the lock file cannot be created (e.g. the parent
            directory is not writable).
    """
    path = lock_path(directory)
    key = str(path)
    table = _table()
    entry = table.get(key)
    if entry is not None:  # this thread holds it already
        entry[1] += 1
        try:
            yield path
        finally:
            entry[1] -= 1
        return
    fd = _acquire(path, Path(directory), timeout)
    table[key] = [fd, 1]
    try:
        yield path
    finally:
        del table[key]
        with _fds_guard:
            _open_fds.discard(fd)
        os.close(fd)  # closing the file releases the flock


def _acquire(path: Path, directory: Path, timeout: float) -> int:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as err:
        raise IndexWriteError(
            f"cannot lock the index at {directory} for writing ({path}: {err})"
        ) from err
    with _fds_guard:
        _open_fds.add(fd)
    if fcntl is None:  # pragma: no cover
        return fd
    deadline = time.monotonic() + max(0.0, timeout)
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except OSError as err:
            if err.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                _release(fd)
                raise IndexWriteError(
                    f"cannot lock the index at {directory} for writing ({path}: {err})"
                ) from err
        if time.monotonic() >= deadline:
            _release(fd)
            raise IndexBusyError(
                f"another writer has held the index at {directory} for over {timeout:g} s "
                f"(lock file {path}): wait for it to finish (a `qa ingest`, `qa index "
                "optimize` or the service's write) and try again"
            )
        time.sleep(_POLL_SECONDS)


def _release(fd: int) -> None:
    with _fds_guard:
        _open_fds.discard(fd)
    os.close(fd)
