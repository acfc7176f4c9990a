"""The malloc arena limit: set in-process, it bounds the arenas threads get."""

from __future__ import annotations

import platform
import subprocess
import sys
from pathlib import Path

import pytest

from service.memory import limit_malloc_arenas, release_free_memory

GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"

# Twelve threads alive at once, each allocating: glibc gives each its own arena (up to
# 8 per core) unless limited; malloc_stats() prints one "Arena N:" block per arena.
ARENAS = """
import ctypes, sys, threading
from service.memory import limit_malloc_arenas, release_free_memory
print(limit_malloc_arenas(int(sys.argv[1])), flush=True)
barrier = threading.Barrier(12)
def work():
    keep = [bytearray(4096) for _ in range(50)]
    barrier.wait()
threads = [threading.Thread(target=work) for _ in range(12)]
for t in threads: t.start()
for t in threads: t.join()
ctypes.CDLL("libc.so.6").malloc_stats()
"""


def _arenas(limit: int) -> tuple[str, int]:
    done = subprocess.run(
        [sys.executable, "-c", ARENAS, str(limit)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr
    arenas = sum(line.startswith("Arena ") for line in done.stderr.splitlines())
    return done.stdout.strip(), arenas


@pytest.mark.skipif(not GLIBC, reason="glibc's allocator only")
def test_the_limit_bounds_the_arenas_of_a_running_process() -> None:
    assert _arenas(2) == ("True", 2)
    set_, arenas = _arenas(0)  # 0: glibc's default
    assert set_ == "False" and arenas > 2


def test_zero_leaves_the_default() -> None:
    assert limit_malloc_arenas(0) is False


# Fragmented free memory in the middle of the heap: 60,000 blocks of 2,000 bytes (from
# glibc's heap, not Python's small-object allocator nor mmap), all freed but every
# hundredth and the last, so the top of the heap cannot shrink.
FRAGMENTED = """
import sys
from service.memory import release_free_memory
def anon():
    for line in open("/proc/self/status"):
        if line.startswith("RssAnon"):
            return int(line.split()[1])
blocks = [bytearray(2000) for _ in range(60_000)]
kept = blocks[::100] + blocks[-1:]
del blocks
before = anon()
released = release_free_memory()
print(released, before - anon())
"""


@pytest.mark.skipif(not GLIBC, reason="glibc's allocator only")
def test_free_pages_in_the_heap_go_back_to_the_system() -> None:
    done = subprocess.run(
        [sys.executable, "-c", FRAGMENTED],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr
    released, kib = done.stdout.split()
    assert released == "True"
    assert int(kib) > 50_000  # of the ~117 MiB freed, most comes back


def test_release_is_safe_to_call_anywhere() -> None:
    assert release_free_memory() in (True, False)
