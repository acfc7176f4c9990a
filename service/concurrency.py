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

A request waits its turn once: the routes that answer are coroutines that run their
work in one thread call (a plain-function route with a response model takes two turns,
FastAPI validating the response in a second one), and a streamed answer, whose first
event (retrieval and answering) is that turn, gives out the rest through
:func:`continue_in_threads`, on a limiter of its own, so a request under way never
queues again behind the ones that arrived after it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from functools import partial
from typing import TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from anyio.lowlevel import RunVar

__all__ = [
    "DEFAULT_REQUEST_THREADS",
    "continue_in_threads",
    "limit_threads",
    "loop_limiter",
    "run_write",
]

T = TypeVar("T")

DEFAULT_REQUEST_THREADS = 2
"""Threads a worker answers requests in (``QA_REQUEST_THREADS``): one answering while
the other's request reads or writes the socket or the disk."""

_WRITES: RunVar[CapacityLimiter] = RunVar("qa_write_limiter")
_UNDER_WAY: RunVar[CapacityLimiter] = RunVar("qa_under_way_limiter")
_END = object()


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


async def continue_in_threads(
    iterator: Iterator[T], threads: int = DEFAULT_REQUEST_THREADS
) -> AsyncIterator[T]:
    """The items of ``iterator``, each step in a worker thread on this event loop's
    limiter for requests under way (``threads`` threads, the first time the loop asks),
    apart from the one new requests wait on."""
    limiter = loop_limiter(_UNDER_WAY, threads)
    while True:
        item = await anyio.to_thread.run_sync(next, iterator, _END, limiter=limiter)
        if item is _END:
            return
        yield item  # type: ignore[misc]  # not the sentinel: a T
