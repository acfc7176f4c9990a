"""Bound the memory the C allocator keeps: at most a few glibc malloc arenas.

glibc gives each thread that contends for the allocator an arena of its own (up to 8
per core) and rarely returns their free pages to the system. Under mixed reads and
writes (a thread pool answering questions while writes build segments) the service's
resident memory grew from 176 MB to 758 MB in 240 s; with two arenas it stayed under
400 MB. ``MALLOC_ARENA_MAX`` only takes effect when set before the process starts, so
the service calls ``mallopt(M_ARENA_MAX, n)`` itself, first thing in every serving
process.

Freed memory in the middle of the heap stays with the process too: a write that merges
segments builds postings in memory, and a new generation drops the old one's caches;
glibc keeps the pages it freed unless they are at the top of the heap. A worker of the
mixed load (100k chunks) held 200 MB more anonymous memory after a merge than before it;
in one process, a merge of every segment left 40 MiB more, and ``malloc_trim(0)`` gave
back 64 MiB. The service calls :func:`release_free_memory` after each write and after
opening a generation another process committed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import platform
from typing import Any

__all__ = ["M_ARENA_MAX", "limit_malloc_arenas", "release_free_memory"]

logger = logging.getLogger(__name__)

M_ARENA_MAX = -8
"""glibc's ``mallopt`` parameter for the largest number of arenas (``<malloc.h>``)."""


def limit_malloc_arenas(arenas: int) -> bool:
    """Let glibc's allocator use at most ``arenas`` arenas in this process.

    Args:
        arenas: the largest number of arenas; 0 leaves glibc's default (8 per core).

    Returns:
        Whether the limit was set: False for 0, on a C library other than glibc (musl,
        macOS, Windows, which have no per-thread arenas to bound), or when ``mallopt``
        refuses.
    """
    if arenas <= 0 or platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    done = bool(mallopt(M_ARENA_MAX, arenas))  # 1 on success
    if not done:
        logger.warning("mallopt(M_ARENA_MAX, %d) failed: memory may grow under load", arenas)
    return done


def release_free_memory() -> bool:
    """Give the pages the C allocator holds free back to the system (glibc's
    ``malloc_trim(0)``: every arena, not only the top of the heap; a few milliseconds).

    Returns:
        Whether memory was released: False on a C library other than glibc, or when
        nothing could be.
    """
    trim = _malloc_trim()
    return bool(trim(0)) if trim is not None else False


_TRIM: list[Any] = []


def _malloc_trim() -> Any:
    """glibc's ``malloc_trim``, looked up once (None elsewhere)."""
    if not _TRIM:
        found = None
        if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
            try:
                libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
                found = libc.malloc_trim
                found.argtypes = [ctypes.c_size_t]
                found.restype = ctypes.c_int
            except (OSError, AttributeError):
                found = None
        _TRIM.append(found)
    return _TRIM[0]
