"""Errors of the index layer (subclasses of :class:`corpus.errors.QAError`)."""

from __future__ import annotations

import errno
import re
import sqlite3

from corpus.errors import QAError

__all__ = [
    "IndexBusyError",
    "IndexCorruptError",
    "IndexDiskFullError",
    "IndexError_",
    "IndexMismatchError",
    "IndexNotFoundError",
    "IndexWriteError",
    "ModelUnavailableError",
    "is_disk_full",
]


class IndexError_(QAError):  # noqa: N801 - avoid shadowing the builtin IndexError
    """A problem with an on-disk index."""


class IndexNotFoundError(IndexError_):
    """No index exists at the given directory."""


class IndexCorruptError(IndexError_):
    """An index directory exists but cannot be read (truncated, edited, wrong files)."""


class IndexMismatchError(IndexError_):
    """An index was built with other settings (chunking, tokenizer, model) than requested."""


class IndexWriteError(IndexError_):
    """An index could not be written (no space, no permission, target not an index)."""


class IndexDiskFullError(IndexWriteError):
    """An index could not be written because its file system is full (or the quota is
    spent). The message says how much the write needed and how much was free.

    Attributes:
        needed: about how many bytes the write needed (None where not known).
        free: the bytes free on the file system afterwards (None where not known).
    """

    def __init__(self, message: str, *, needed: int | None = None, free: int | None = None):
        super().__init__(message)
        self.needed = needed
        self.free = free


class IndexBusyError(IndexWriteError):
    """Another writer (thread or process) held the index's write lock for too long."""


class ModelUnavailableError(QAError):
    """The configured embedding model cannot be loaded (offline, not cached, bad path)."""


_SHORT_WRITE = re.compile(r"^\d+ requested and \d+ written$")
"""numpy's message for a file write cut short (``ndarray.tofile``, used by ``np.save``):
it gives no errno; on a regular file the cause is a full disk or a spent quota."""
_NO_SPACE = ("no space left on device", "disk quota exceeded")
_SQLITE_FULL = 13


def is_disk_full(exc: BaseException | None) -> bool:
    """Whether ``exc``, or an error that caused it, says that the disk is full: an
    ``OSError`` with ``ENOSPC`` or ``EDQUOT``, SQLite's ``SQLITE_FULL`` ("database or disk
    is full"), numpy's short write ("2078 requested and 1008 written"), FAISS's write
    error ("... (No space left on device)"), or :class:`IndexDiskFullError`."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, IndexDiskFullError):
            return True
        if isinstance(exc, OSError):
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                return True
            if exc.errno is None and _SHORT_WRITE.match(str(exc)):
                return True
        if isinstance(exc, sqlite3.Error) and (
            getattr(exc, "sqlite_errorcode", None) == _SQLITE_FULL
            or "database or disk is full" in str(exc)
        ):
            return True
        if isinstance(exc, RuntimeError) and any(s in str(exc).lower() for s in _NO_SPACE):
            return True
        if exc.__cause__ is not None:
            exc = exc.__cause__
        else:
            exc = None if exc.__suppress_context__ else exc.__context__
    return False
