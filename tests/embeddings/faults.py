"""Fault injection for the filesystem operations of a write.

:class:`FaultInjector` wraps every operation that changes the filesystem (creating,
writing, syncing, renaming and removing files and directories, and opening SQLite
files for writing; SQLite files opened read-only are reads, not counted) and counts
them. Given ``fail_at=k``, the k-th operation fails:

* ``mode="crash"``: it and every later one raise :class:`Crash` (a ``BaseException``,
  which no ``except OSError`` catches), as if the process had died there: nothing after
  the k-th operation reaches the disk, clean-up code included;
* ``mode="error"``: only it raises ``OSError(EIO)``, as a failing disk would, and the
  code's own error handling runs.
"""

from __future__ import annotations

import builtins
import errno
import io
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


class Crash(BaseException):
    """The simulated death of the process."""


class FaultInjector:
    """Counts filesystem writes; fails the ``fail_at``-th (0: never)."""

    def __init__(self, fail_at: int = 0, mode: str = "crash") -> None:
        self.fail_at = fail_at
        self.mode = mode
        self.count = 0
        self.crashed = False
        self.names: list[str] = []

    def _hit(self, name: str) -> None:
        self.count += 1
        self.names.append(name)
        if self.crashed:
            raise Crash(f"dead since operation {self.fail_at}")
        if self.fail_at and self.count == self.fail_at:
            if self.mode == "crash":
                self.crashed = True
                raise Crash(f"simulated crash at operation {self.count} ({name})")
            raise OSError(errno.EIO, f"simulated I/O error at operation {self.count} ({name})")

    def wrap(self, name: str, func: Callable[..., Any], test: Callable[..., bool] | None = None):  # type: ignore[no-untyped-def]
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if test is None or test(*args, **kwargs):
                self._hit(name)
            return func(*args, **kwargs)

        return wrapper


def _writes_file(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> bool:
    return any(c in mode for c in "wax+")


def _sqlite_writes(database: Any, *args: Any, **kwargs: Any) -> bool:
    return "mode=ro" not in str(database)


def _os_open_writes(path: Any, flags: int, *args: Any, **kwargs: Any) -> bool:
    return bool(flags & _WRITE_FLAGS)


@contextmanager
def inject(monkeypatch: pytest.MonkeyPatch, injector: FaultInjector) -> Iterator[FaultInjector]:
    """Count (and fail) the filesystem writes made inside the block."""
    with monkeypatch.context() as m:
        for module, name in (
            (os, "replace"),
            (os, "rename"),
            (os, "fsync"),
            (os, "mkdir"),
            (os, "unlink"),
            (os, "remove"),
            (os, "rmdir"),
            (shutil, "rmtree"),
            (shutil, "copyfile"),
        ):
            m.setattr(module, name, injector.wrap(name, getattr(module, name)))
        m.setattr(sqlite3, "connect", injector.wrap("connect", sqlite3.connect, _sqlite_writes))
        opener = injector.wrap("open", builtins.open, _writes_file)
        m.setattr(builtins, "open", opener)
        m.setattr(io, "open", opener)
        m.setattr(os, "open", injector.wrap("os.open", os.open, _os_open_writes))
        yield injector
