"""How much a worker runs at once: a few questions, in arrival order; writes one at a time.

Answering a question is CPU work under Python's global interpreter lock: a worker
process runs one thread's Python at a time whatever the number of threads. Run in
anyio's default of 40 threads, 16 questions at once share the core and each one
finishes about when the last does (a 50 ms question would take some 800 ms), with the
interpreter switching between them every 5 ms. Run in a few threads, the others wait
their turn in arrival order, and a question takes its own time plus its wait.

:func:`limit_threads` sets the number of threads the requests of one worker may use
(the event loop's default thread limiter: FastAPI's plain-function routes and
dependencies, Starlette's ``run_in_threadpool``); a worker's writes go through
:func:`run_write`, one at a time on a limiter of their own (they are serialised by the
write lock anyway), so a write waiting for the lock never holds a question's thread.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from anyio.lowlevel import RunVar

__all__ = ["DEFAULT_REQUEST_THREADS", "limit_threads", "loop_limiter", "run_write"]

T = TypeVar("T")

DEFAULT_REQUEST_THREADS = 2
"""Threads a worker answers requests in (``QA_REQUEST_THREADS``): one answering while
the other's request reads or writes the socket or the disk."""

_WRITES: RunVar[CapacityLimiter] = RunVar("qa_write_limiter")


def loop_limiter(var: RunVar[CapacityLimiter], tokens: int) -> CapacityLimiter:
    """The limiter ``var`` holds for the running event loop, made with ``tokens`` the
    first time this loop asks (a limiter belongs to one loop, as anyio's default one)."""
    try:
        return var.get()
    except LookupError:
        limiter = CapacityLimiter(tokens)
        var.set(limiter)
        return limiter


def limit_threads(threads: int) -> None:
    """Let the requests of this event loop use at most ``threads`` threads at once (call
    from the running loop, e.g. the app's lifespan).

    Raises:
        ValueError: when ``threads`` is less than 1.
    """
    if threads < 1:
        raise ValueError("threads must be at least 1")
    anyio.to_thread.current_default_thread_limiter().total_tokens = threads


async def run_write(function: Callable[..., T], *args: object) -> T:
    """``function(*args)`` in a worker thread, one write of this event loop at a time,
    apart from the threads questions are answered in."""
    return await anyio.to_thread.run_sync(
        partial(function, *args), limiter=loop_limiter(_WRITES, 1)
    )
