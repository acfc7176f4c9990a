"""One writer at a time per index directory, across processes.

A write (add, update, delete, save, merge, ingest) holds an exclusive ``flock`` on the
index's lock file for its whole read-modify-commit: it re-opens the newest generation
under the lock, applies its change to it and commits, so a commit from another process
is never overwritten. Readers take no lock (the manifest is replaced atomically).

The lock file is ``write.lock`` inside the index directory (:data:`LOCK_FILE`), which
taking the lock creates when it does not exist yet, so the lock works before the index
does; nothing is left beside the index. The file exists while a writer holds it: the
writer deletes it (and the directory, when taking the lock created it and nothing else
was written there) before letting go. A writer that was waiting on the file checks, once
it holds it, that the file is still the one at the path, and starts again when it is not
(it was deleted meanwhile), so a deleted lock file never lets two writers in. Since the
index directory holds the lock file during a write, writes never rename a directory onto
the index's name; they move what they wrote into it (:func:`embeddings.store.files.move_index`).
A lock file left by a writer that was killed is taken over by the next one. (Older
versions kept ``.<name>.lock`` beside the index: it is not used any more, and can be
deleted.)

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

__all__ = ["DEFAULT_LOCK_TIMEOUT", "LOCK_FILE", "holds_lock", "index_lock", "lock_path"]

DEFAULT_LOCK_TIMEOUT = 60.0
"""Seconds a write waits for another writer of the same index before giving up."""
LOCK_FILE = "write.lock"
"""The lock file's name inside the index directory (present while a writer works)."""
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
    """The lock file of the index at ``directory``: ``write.lock`` inside it."""
    return Path(os.path.realpath(os.path.abspath(directory))) / LOCK_FILE


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
        directory: the index directory (it need not exist yet: it is created, with its
            parents, and removed again at the end when it was created here and holds
            nothing then).
        timeout: seconds to wait for another writer (0: do not wait).

    Yields:
        The lock file's path.

    Raises:
        IndexBusyError: when another thread or process held the lock for ``timeout``
            seconds.
        IndexWriteError: when the lock file cannot be created (e.g. the directory
            is not writable, or ``directory`` is a file).
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
    fd, created = _acquire(path, Path(directory), timeout)
    table[key] = [fd, 1]
    try:
        yield path
    finally:
        del table[key]
        try:
            # Deleted while held: a writer waiting on this file sees it is gone, and
            # starts again.
            path.unlink(missing_ok=True)
            if created:
                path.parent.rmdir()  # only when the write left nothing there
        except OSError:
            pass
        finally:
            _release(fd)  # closing the file releases the flock, whatever happened


def _acquire(path: Path, directory: Path, timeout: float) -> tuple[int, bool]:
    """The open, locked lock file, and whether its directory was created here."""
    deadline = time.monotonic() + max(0.0, timeout)
    while True:
        fd, created = _open(path, directory)
        if fcntl is None:  # pragma: no cover
            return fd, created
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as err:
                if err.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    _release(fd)
                    raise IndexWriteError(
                        f"cannot lock the index at {directory} for writing ({path}: {err})"
                    ) from err
            if time.monotonic() >= deadline:
                _release(fd)
                raise IndexBusyError(
                    f"another writer has held the index at {directory} for over "
                    f"{timeout:g} s (lock file {path}): wait for it to finish (a `qa "
                    "ingest`, `qa index optimize` or the service's write) and try again"
                )
            time.sleep(_POLL_SECONDS)
        if _is_current(fd, path):
            return fd, created
        _release(fd)  # the writer before deleted it while this one waited: again


def _open(path: Path, directory: Path) -> tuple[int, bool]:
    """The lock file opened (created where missing, with its directory)."""
    for _ in range(100):  # another writer may remove the directory in between: again
        created = not path.parent.exists()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except FileNotFoundError:
            continue
        except FileExistsError as err:
            if path.parent.exists() and not path.parent.is_dir():
                raise IndexWriteError(
                    f"cannot lock the index at {directory} for writing ({path.parent} is a "
                    "file, not a directory)"
                ) from err
            # mkdir(exist_ok=True) saw the directory made by another writer, which then
            # removed it before mkdir checked that it is a directory: again.
            continue
        except OSError as err:
            raise IndexWriteError(
                f"cannot lock the index at {directory} for writing ({path}: {err})"
            ) from err
        with _fds_guard:
            _open_fds.add(fd)
        return fd, created
    raise IndexWriteError(  # pragma: no cover - a directory removed a hundred times over
        f"cannot lock the index at {directory} for writing ({path}: the directory keeps "
        "disappearing); check what else deletes it"
    )


def _is_current(fd: int, path: Path) -> bool:
    """Whether the open file ``fd`` is still the file at ``path``."""
    try:
        there = os.stat(path)
    except FileNotFoundError:
        return False
    here = os.fstat(fd)
    return (there.st_dev, there.st_ino) == (here.st_dev, here.st_ino)


def _release(fd: int) -> None:
    with _fds_guard:
        _open_fds.discard(fd)
    os.close(fd)
