"""Sharded search: an index's segments partitioned over Ray actors.

Each shard is an actor holding a contiguous run of the index's segments (its rows are a
contiguous run of the index's rows). A BM25 query runs in two rounds, as a distributed
search engine's "DFS query then fetch" does: the driver asks every shard for the
document frequencies of the query's tokens and sums them; every shard then scores its
rows with those corpus-wide frequencies and the corpus-wide row count and average
length (each shard learned them when the index was opened), so each row gets the score
the single index gives it (:class:`embeddings.sparse.BM25Index`'s ``collection``), and
the merged top-k (score descending, ties by row) is the single index's. A dense query
is embedded once by the driver; each shard searches its segments' vectors.

The actors outlive the index's generations: a new one (a write, ``qa ingest``) is opened
on the same actors beside the one they serve, then served; every call names the
generation it searches, so a query in flight at the switch still gets its rows. A write
starts no process and reserves no CPU.

A shard that raises, dies or does not answer within ``timeout`` seconds makes the
query fail with :class:`ShardError`, naming the shard: a result without one shard's rows
would be silently wrong, so none is returned. What comes back by itself, and how
(:meth:`ShardedIndex.repair`, run every few seconds by :class:`ShardedRetrievers`): a
shard whose process died is restarted by Ray (``max_restarts=-1``) and the index opened
on it again; one stopped for good (``ray.kill``) is replaced; after the Ray cluster was
unreachable (every query then fails at once), this process connects to it again when it
answers and starts the shards anew (a local instance it had started is started anew at
once). :meth:`ShardedIndex.health` says which shards cannot serve, and why.

The driver opens the index too (memory-mapped: it reads the chunks and documents of the
passages it returns, and the query's tokenizer); the postings and vectors a query
scans are read by the shards.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from embeddings.encoder import Encoder
from embeddings.errors import IndexError_
from embeddings.sparse import BM25Index
from embeddings.store import IndexSnapshot
from embeddings.store.files import manifest_counts, open_snapshot, read_manifest
from embeddings.types import Hits
from qa.distributed._ray import cluster_address, reachable, reconnect, require_ray, started_locally
from qa.errors import ShardError
from qa.retrieval.base import Query, Retriever, RowMask
from qa.retrieval.dense import DenseRetriever

__all__ = [
    "DEFAULT_CHECK_INTERVAL",
    "DEFAULT_SHARD_TIMEOUT",
    "PROBE_TIMEOUT",
    "RELEASE_AFTER",
    "ShardError",
    "ShardHealth",
    "ShardedBM25Retriever",
    "ShardedIndex",
    "partition",
    "ShardedRetrievers",
    "shard_problem",
    "sharded_retrievers",
    "too_few_segments",
]

logger = logging.getLogger(__name__)

DEFAULT_SHARD_TIMEOUT = 30.0
"""Seconds a query waits for the shards' answers."""

DEFAULT_CHECK_INTERVAL = 2.0
"""Seconds between two checks (and repairs) of the shards by :class:`ShardedRetrievers`."""

PROBE_TIMEOUT = 2.0
"""Seconds a health probe waits for the cluster and for each shard's answer."""

RELEASE_AFTER = 10.0
"""Seconds the Ray cluster may be unreachable before this process drops its connection
(``ray.shutdown()``; it connects again when the cluster answers): Ray's core worker ends
a process that cannot reach the cluster for 60 s (``gcs_rpc_server_reconnect_timeout_s``)
and had ended the service's HTTP server that way."""

_HEALTH = "health"  # the actors' concurrency group for pings, beside their queries

_Found = tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]


def too_few_segments(directory: str | Path, segments: int, chunks: int, shards: int) -> str:
    """What to say when the index at ``directory`` (``segments`` segments, ``chunks``
    live chunks) has fewer segments than the ``shards`` asked for, and what to do."""
    return (
        f"the index at {directory} has {segments} segment(s), fewer than the {shards} "
        "shards asked for: each shard holds at least one segment. Cut it into at least "
        f"{shards} segments: qa index optimize --index {directory} --max-segment-rows "
        f"{max(1, chunks // shards)} (or serve it on {segments} shard(s))"
    )


def shard_problem(directory: str | Path, shards: int) -> str | None:
    """Why the index at ``directory`` cannot be searched on ``shards`` shards (it has
    fewer segments), with what to do; None when it can, or when there is no readable
    index there (whoever opens it says why). Reads the manifest only.
    """
    try:
        counts = manifest_counts(read_manifest(directory))
    except (IndexError_, KeyError, TypeError, ValueError):
        return None
    segments, chunks = counts.get("segments", 0), counts.get("chunks", 0)
    if segments >= shards:
        return None
    return too_few_segments(directory, segments, chunks, shards)


def partition(rows: Sequence[int], shards: int) -> list[tuple[int, int]]:
    """Contiguous runs of segments, one per shard, with about as many rows each.

    Args:
        rows: the live rows of each segment, in order.
        shards: how many runs.

    Returns:
        ``(start, stop)`` segment ranges covering every segment, none empty.

    Raises:
        ValueError: for fewer than 1 shard or more shards than segments.
    """
    if shards <= 0:
        raise ValueError("shards must be greater than 0")
    if shards > len(rows):
        raise ValueError(
            f"the index has {len(rows)} segment(s): at most that many shards (cut it into "
            f"more segments: qa index optimize --max-segment-rows {max(1, sum(rows) // shards)})"
        )
    cumulative = np.cumsum(np.asarray(rows, dtype=np.int64))
    total = int(cumulative[-1]) if len(rows) else 0
    bounds = [0]
    for j in range(1, shards):
        target = total * j / shards
        at = int(np.searchsorted(cumulative, target, side="left")) + 1
        at = max(at, bounds[-1] + 1)
        at = min(at, len(rows) - (shards - j))
        bounds.append(at)
    bounds.append(len(rows))
    return list(zip(bounds[:-1], bounds[1:], strict=True))


@dataclass(frozen=True, slots=True)
class ShardHealth:
    """What a probe of a :class:`ShardedIndex` found.

    Attributes:
        shards: the shard actors the index is served on.
        unavailable: the shards (numbered from 1, in row order) that cannot serve now.
        silent: those of them that do not answer at all (dead, being restarted, or too
            busy); the others answer but do not hold the generation served (Ray
            restarted them, and it is being opened on them again).
        ray_reachable: whether the Ray cluster's control plane (GCS) accepted a
            connection.
        reason: why the index cannot be searched, for people (None when it can): which
            shard, what happened, what happens next.
    """

    shards: int
    unavailable: tuple[int, ...] = ()
    silent: tuple[int, ...] = ()
    ray_reachable: bool = True
    reason: str | None = None

    @property
    def ready(self) -> bool:
        """Whether every shard can serve."""
        return self.reason is None

    @property
    def answering(self) -> bool:
        """Whether the cluster and every shard answer (a change can then be opened on
        every shard, which also brings back one that lost the generation served)."""
        return self.ray_reachable and not self.silent


@dataclass(frozen=True, slots=True)
class _Part:
    """A shard's run of one generation's segments."""

    base: int  # the index row of its first row
    part: IndexSnapshot
    bm25: BM25Index  # scoring with the whole generation's row count and total length


class _Shard:
    """The body of a shard actor: for each generation it serves (the one served and,
    during a switch, the next), a contiguous run of that generation's segments, opened
    from disk. It starts with none open, as it does when Ray restarts its process: the
    driver opens what it should serve (:meth:`open`)."""

    def __init__(self, directory: str) -> None:
        self._directory = directory
        self._parts: dict[int, _Part] = {}
        self._snapshot: IndexSnapshot | None = None
        self._generations: tuple[int, ...] = ()

    def ping(self) -> tuple[int, ...]:
        """The generations this shard can search (answered in the actor's ``health``
        thread, even while a query runs)."""
        return self._generations

    def open(
        self,
        generation: int,
        start: int,
        stop: int,
        collection: tuple[int, int],
        keep: Sequence[int],
    ) -> tuple[int, int]:
        """Open segments ``start:stop`` of ``generation`` (the index's current one) to
        score with the whole generation's row count and total length (``collection``),
        keeping the generations in ``keep`` open and closing the others.

        Returns:
            The run's live rows and their total token count.

        Raises:
            RuntimeError: when the index is at another generation.
        """
        snapshot = open_snapshot(self._directory, previous=self._snapshot)
        if snapshot.generation != generation:
            raise RuntimeError(
                f"the index at {self._directory} is at generation {snapshot.generation}, "
                f"not {generation}: a shard opens only the newest (serve it: "
                "Assistant.refresh(); the service does within a second)"
            )
        part = snapshot.with_states(snapshot.states[start:stop])
        own = part.bm25
        params = own.params
        bm25 = BM25Index(
            own.parts,
            own.tokenizer,
            k1=float(params["k1"]),
            b=float(params["b"]),
            method=str(params["method"]),
            collection=collection,
        )
        parts = {g: p for g, p in self._parts.items() if g in keep}
        parts[generation] = _Part(int(snapshot.layout.row_base[start]), part, bm25)
        self._parts, self._snapshot = parts, snapshot
        self._generations = tuple(sorted(parts))
        return own.size, own.total_length

    def _get(self, generation: int) -> _Part:
        found = self._parts.get(generation)
        if found is None:
            held = ", ".join(map(str, self._parts)) or "none: it restarted"
            raise LookupError(
                f"generation {generation} of the index is not open on this shard (open: {held})"
            )
        return found

    def frequencies(self, generation: int, tokens: list[str]) -> list[int]:
        """How many of the shard's live rows hold each token."""
        return [int(x) for x in self._get(generation).part.bm25.document_frequency(tokens)]

    def bm25(
        self,
        generation: int,
        tokens: list[str],
        k: int,
        frequencies: dict[str, int],
        mask: RowMask | None,
    ) -> _Found:
        """The shard's ``k`` best rows (index rows) with corpus-wide statistics."""
        found = self._get(generation)
        hits = found.bm25.search_tokens(tokens, k, mask, frequencies=frequencies)
        return hits.indices + found.base, hits.scores

    def dense(
        self, generation: int, vector: npt.NDArray[np.float32], k: int, mask: RowMask | None
    ) -> _Found:
        """The shard's ``k`` rows (index rows) with the largest inner product."""
        found = self._get(generation)
        if found.part.dense is None:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        hits = found.part.dense.search(vector, k, mask)
        return hits.indices + found.base, hits.scores


@dataclass(frozen=True, slots=True)
class _Layout:
    """What the shards serve: a generation's segments cut into runs, one per shard."""

    generation: int
    ranges: tuple[tuple[int, int], ...]
    collection: tuple[int, int]  # the generation's live rows and total token count


class _Pool:
    """The shard actors behind a :class:`ShardedIndex` and the views of later
    generations :meth:`ShardedIndex.reopen` made from it; what repairs them."""

    def __init__(self, ray: Any, directory: str, cpus_per_shard: float) -> None:
        self.ray = ray
        self.directory = directory
        # Ray restarts a shard whose process dies (it then opens nothing until the
        # driver reopens it); pings run in a thread of their own, so a long query does
        # not make a shard look dead.
        self._class = ray.remote(
            num_cpus=cpus_per_shard, max_restarts=-1, concurrency_groups={_HEALTH: 1}
        )(_Shard)
        self.actors: tuple[Any, ...] = ()  # replaced whole, never changed in place
        self.layout: _Layout | None = None  # what the actors serve
        self.down: str | None = None  # why every call fails at once (None: calls are tried)
        self.closed = False
        self.gcs = cluster_address()
        self._lock = threading.RLock()  # switches, repairs and closing, one at a time
        self._calls = 0
        self._idle = threading.Condition()
        self._unreachable = 0  # probes in a row that could not reach the cluster
        self._lost = False  # the cluster was unreachable since the actors started
        self._lost_at = 0.0  # since when (time.monotonic())
        self._repair_error: str | None = None  # the last repair's failure, logged once
        self.failed_at = float("-inf")  # when a call last failed (time.monotonic())
        self.on_failure: Callable[[], None] | None = None  # told when a call fails

    # -- calls ------------------------------------------------------------------------

    @contextmanager
    def _calling(self) -> Iterator[None]:
        with self._idle:
            self._calls += 1
        try:
            yield
        finally:
            with self._idle:
                self._calls -= 1
                self._idle.notify_all()

    def call(
        self,
        what: str,
        submit: Callable[[], Sequence[Any]],
        timeout: float,
        *,
        repairing: bool = False,
        shard: int | None = None,
    ) -> list[Any]:
        """Every shard's answer to the calls ``submit()`` makes, in order (one call per
        shard; or, with ``shard``, one call to that shard, numbered from 0).

        Raises:
            ShardError: at once while the cluster is unreachable or being rejoined;
                else naming the first shard that failed or did not answer in time.
        """
        try:
            down = self.down
            if down is not None and not repairing:
                raise ShardError(f"{down}; no result was returned ({what})")
            with self._calling():
                try:
                    refs = submit()
                except Exception as err:  # noqa: BLE001 - Ray's, when it is not connected
                    raise ShardError(
                        f"the shards cannot be called ({what}): {_first_line(err)}"
                    ) from err
                return self._gather(what, refs, timeout, shard)
        except ShardError:
            self.failed_at = time.monotonic()
            hook = self.on_failure
            if hook is not None:
                hook()
            raise

    def _gather(
        self, what: str, refs: Sequence[Any], timeout: float, shard: int | None = None
    ) -> list[Any]:
        ray = self.ray
        deadline = time.monotonic() + timeout
        out: list[Any] = []
        total = len(refs) if shard is None else max(len(self.actors), shard + 1)
        for i, ref in enumerate(refs):
            number = i + 1 if shard is None else shard + 1
            left = max(0.0, deadline - time.monotonic())
            try:
                out.append(ray.get(ref, timeout=left))
            except ray.exceptions.GetTimeoutError as err:
                for other in refs[i:]:
                    try:
                        ray.cancel(other, force=False)
                    except Exception:  # noqa: BLE001 - finished or gone meanwhile
                        pass
                raise ShardError(
                    f"shard {number} of {total} did not answer within {timeout:g} s "
                    f"({what}); no result was returned, as one without its rows would be "
                    "wrong"
                ) from err
            except Exception as err:  # noqa: BLE001 - RayError, or Ray not connected
                _collect(ray, refs[i + 1 :])
                raise ShardError(
                    f"shard {number} of {total} failed ({what}): {_first_line(err)}; no "
                    "result was returned, as one without its rows would be wrong"
                ) from err
        return out

    def _drain(self, timeout: float) -> None:
        """Wait (at most ``timeout`` s) until no call is in flight."""
        with self._idle:
            self._idle.wait_for(lambda: self._calls == 0, timeout)

    # -- opening a generation ---------------------------------------------------------

    def switch(self, layout: _Layout, timeout: float, *, repairing: bool = False) -> None:
        """Open ``layout`` on the actors (starting those missing; stopping those left
        over), then serve it: the generation served so far stays open on them, for the
        queries in flight.

        Raises:
            ShardError: when a shard cannot open it (nothing changes then).
        """
        if self.down is not None and not repairing:
            raise ShardError(
                f"{self.down}; generation {layout.generation} of the index cannot be "
                "opened on the shards until it is back"
            )
        if not self._lock.acquire(timeout=timeout):
            raise ShardError(
                f"the shards are being repaired: generation {layout.generation} of the "
                f"index could not be opened on them within {timeout:g} s"
            )
        try:
            count = len(layout.ranges)
            actors = list(self.actors[:count])
            started = [self._class.remote(self.directory) for _ in range(count - len(actors))]
            actors += started
            keep = [layout.generation]
            if self.layout is not None and not repairing:
                keep.append(self.layout.generation)
            try:
                stats = self.call(
                    "open",
                    lambda: [
                        actor.open.remote(layout.generation, a, b, layout.collection, keep)
                        for actor, (a, b) in zip(actors, layout.ranges, strict=True)
                    ],
                    timeout,
                    repairing=repairing,
                )
                held = (sum(s[0] for s in stats), sum(s[1] for s in stats))
                if held != layout.collection:
                    raise ShardError(
                        f"the shards hold {held[0]} rows ({held[1]} tokens), generation "
                        f"{layout.generation} of the index {layout.collection[0]} "
                        f"({layout.collection[1]}); start them again"
                    )
                if self.closed:
                    raise ShardError("the shards were stopped")
            except BaseException:
                self._kill(started)
                raise
            left_over = self.actors[count:]
            self.actors, self.layout = tuple(actors), layout
            self._kill(left_over)
        finally:
            self._lock.release()

    # -- health and repair ------------------------------------------------------------

    def probe(self, timeout: float) -> ShardHealth:
        """What the shards can do now (see :meth:`ShardedIndex.health`)."""
        down = self.down
        if down is not None:
            count = len(self.actors)
            everyone = _all(count)
            return ShardHealth(count, everyone, everyone, ray_reachable=False, reason=down)
        return self._examine(timeout)[0]

    def _examine(self, timeout: float) -> tuple[ShardHealth, dict[int, str]]:
        """The shards' health, and what each unhealthy one needs (by index): ``replace``
        (it died for good), ``reopen`` (Ray restarted it) or ``wait`` (it is being
        restarted, or is too busy to answer)."""
        ray, actors, layout = self.ray, self.actors, self.layout
        count = len(layout.ranges) if layout is not None else len(actors)
        if self.closed:
            return _nobody(count, "the shards were stopped", reachable=True), {}
        if not ray.is_initialized():
            reason = "Ray is not connected in this process (it was shut down)"
            return _nobody(count, reason), {}
        if self.gcs is not None and not reachable(self.gcs, timeout):
            reason = f"the Ray cluster at {self.gcs} cannot be reached"
            return _nobody(count, reason), {}
        died = getattr(ray.exceptions, "ActorDiedError", ray.exceptions.RayActorError)
        away = getattr(ray.exceptions, "ActorUnavailableError", ray.exceptions.RayActorError)
        needs: dict[int, str] = {}
        notes: list[str] = []
        with self._calling():
            try:
                refs = [a.ping.options(concurrency_group=_HEALTH).remote() for a in actors]
            except Exception as err:  # noqa: BLE001 - Ray's, when it is not connected
                reason = f"the shards cannot be called: {_first_line(err)}"
                return _nobody(count, reason, reachable=True), {}
            deadline = time.monotonic() + timeout
            for i, ref in enumerate(refs):
                name = f"shard {i + 1} of {count}"
                try:
                    held = ray.get(ref, timeout=max(0.0, deadline - time.monotonic()))
                except ray.exceptions.GetTimeoutError:
                    needs[i] = "wait"
                    notes.append(f"{name} does not answer within {timeout:g} s")
                except died as err:
                    needs[i] = "replace"
                    notes.append(f"{name} died ({_first_line(err)}): a new one is starting")
                except away:
                    needs[i] = "wait"
                    notes.append(
                        f"{name} is unavailable (Ray is restarting it, or cannot reach it)"
                    )
                except Exception as err:  # noqa: BLE001 - whatever else Ray says
                    needs[i] = "wait"
                    notes.append(f"{name} is unavailable ({_first_line(err)})")
                else:
                    if layout is not None and layout.generation not in held:
                        needs[i] = "reopen"
                        failed = self._repair_error
                        notes.append(
                            f"{name} restarted and does not hold generation "
                            f"{layout.generation} of the index"
                            + (f" (reopening it failed: {failed})" if failed else "")
                        )
        for i in range(len(actors), count):
            needs[i] = "replace"
            notes.append(f"shard {i + 1} of {count} is not running: it is starting")
        if not notes:
            return ShardHealth(count), {}
        unavailable = tuple(i + 1 for i in sorted(needs))
        silent = tuple(i + 1 for i in sorted(needs) if needs[i] != "reopen")
        reason = "; ".join(notes) + "; searches fail until every shard serves"
        return ShardHealth(count, unavailable, silent, reason=reason), needs

    def repair(self, timeout: float, start_timeout: float) -> ShardHealth:
        """One round of repairs (see :meth:`ShardedIndex.repair`): probes wait
        ``timeout`` seconds, starting and opening shards ``start_timeout``."""
        if self.closed:
            return self.probe(timeout)
        if not self.ray.is_initialized():
            if not self._lost:
                return self._examine(timeout)[0]  # shut down by its owner: left alone
            # A reconnect failed after dropping the connection: try again once the
            # cluster answers (a local one is started anew at once).
            if started_locally() or self.gcs is None or reachable(self.gcs, timeout):
                return self._reconnect(timeout, start_timeout)
            return self.probe(timeout)
        health, needs = self._examine(timeout)
        if not health.ray_reachable:
            self._unreachable += 1
            if not self._lost:
                self._lost, self._lost_at = True, time.monotonic()
            self.down = f"{health.reason}; every search fails at once until it answers again"
            if started_locally() and self._unreachable >= 2:
                # The local instance this process started is gone (two probes in a
                # row): nobody else brings it back.
                return self._reconnect(timeout, start_timeout)
            if time.monotonic() - self._lost_at >= RELEASE_AFTER:
                self._release(start_timeout)
            return self.probe(timeout)
        self._unreachable = 0
        if self._lost:
            if health.ready:  # the cluster answers again and every shard survived
                self.down, self._lost = None, False
                return health
            return self._reconnect(timeout, start_timeout)
        if not any(need in ("replace", "reopen") for need in needs.values()):
            return health
        if not self._lock.acquire(timeout=start_timeout):
            return health
        try:
            layout = self.layout
            if layout is None or self.closed:
                return health
            for i, need in sorted(needs.items()):
                if need == "replace":
                    self._replace(i, layout, start_timeout)
                elif need == "reopen":
                    self._reopen(i, layout, start_timeout)
        except ShardError as err:
            cause = _first_line(err.__cause__ or err)
            if cause != self._repair_error:  # once, not every round
                logger.warning("could not repair the shards: %s", err)
            self._repair_error = cause
        else:
            self._repair_error = None
        finally:
            self._lock.release()
        return self._examine(timeout)[0]

    def _open_on(self, actor: Any, layout: _Layout, i: int) -> Any:
        a, b = layout.ranges[i]
        return actor.open.remote(layout.generation, a, b, layout.collection, [layout.generation])

    def _reopen(self, i: int, layout: _Layout, timeout: float) -> None:
        """Open the index again on shard ``i`` (Ray restarted its process)."""
        actor = self.actors[i]
        self.call("reopen", lambda: [self._open_on(actor, layout, i)], timeout, shard=i)
        logger.info("shard %d of %d restarted and was reopened", i + 1, len(self.actors))

    def _replace(self, i: int, layout: _Layout, timeout: float) -> None:
        """Start a new actor for shard ``i`` (the old one died for good, or is missing:
        then ``i`` is the next one)."""
        fresh = self._class.remote(self.directory)
        try:
            self.call("start", lambda: [self._open_on(fresh, layout, i)], timeout, shard=i)
            if self.closed:
                raise ShardError("the shards were stopped")
        except BaseException:
            self._kill([fresh])
            raise
        actors = list(self.actors)
        old = actors[i : i + 1]
        actors[i : i + 1] = [fresh]
        self.actors = tuple(actors)
        self._kill(old)
        logger.info("shard %d of %d started anew", i + 1, len(layout.ranges))

    def _release(self, timeout: float) -> None:
        """Drop this process's connection to the unreachable cluster before Ray's core
        ends the process for it (it is made again when the cluster answers)."""
        if not self._lock.acquire(timeout=timeout):
            return
        where = f" at {self.gcs}" if self.gcs else ""
        try:
            self.down = (
                f"the Ray cluster{where} cannot be reached (for "
                f"{time.monotonic() - self._lost_at:.0f} s); every search fails at once, "
                "and this process connects again when it answers"
            )
            self._drain(timeout)
            self.actors = ()
            logger.warning(
                "the Ray cluster%s cannot be reached: dropping the connection (Ray would "
                "end this process after 60 s without it); connecting again when it answers",
                where,
            )
            try:
                self.ray.shutdown()
            except Exception as err:  # noqa: BLE001 - what is left of it goes anyway
                logger.warning("shutting Ray down: %s", _first_line(err))
        finally:
            self._lock.release()

    def _reconnect(self, timeout: float, start_timeout: float) -> ShardHealth:
        """Connect this process to Ray again and start the shards anew."""
        if not self._lock.acquire(timeout=start_timeout):
            return self.probe(timeout)
        where = f" at {self.gcs}" if self.gcs else ""
        try:
            layout = self.layout
            self.down = f"reconnecting to the Ray cluster{where}"
            self._drain(start_timeout)
            self.actors = ()
            logger.warning("reconnecting to the Ray cluster%s", where)
            try:
                reconnect(fallback=self.gcs)
                self.gcs = cluster_address()
                if layout is not None and not self.closed:
                    count = len(layout.ranges)
                    self.actors = tuple(self._class.remote(self.directory) for _ in range(count))
            except Exception as err:  # noqa: BLE001 - tried again at the next round
                self.down = (
                    f"the Ray cluster{where} could not be rejoined ({_first_line(err)}); "
                    "trying again"
                )
                logger.warning("%s", self.down)
                count = len(layout.ranges) if layout is not None else 0
                return _nobody(count, self.down)
            self.down, self._lost, self._unreachable = None, False, 0
            logger.info("reconnected to the Ray cluster%s", f" at {self.gcs}" if self.gcs else "")
            if layout is not None:
                # The new actors open what is served. When a later generation was
                # committed meanwhile they cannot (a shard opens only the newest): they
                # wait, as restarted ones do, for it to be served (Assistant.refresh).
                try:
                    self.switch(layout, start_timeout, repairing=True)
                except ShardError as err:
                    self._repair_error = _first_line(err.__cause__ or err)
                    logger.warning("could not open the index on the new shards: %s", err)
        finally:
            self._lock.release()
        return self._examine(timeout)[0]

    # -- stopping ---------------------------------------------------------------------

    def _kill(self, actors: Sequence[Any]) -> None:
        for actor in actors:
            try:
                self.ray.kill(actor)
            except Exception:  # noqa: BLE001 - already gone
                pass

    def close(self) -> None:
        """Stop the shard actors."""
        self.closed = True
        locked = self._lock.acquire(timeout=DEFAULT_SHARD_TIMEOUT)
        try:
            actors, self.actors = self.actors, ()
            self._kill(actors)
        finally:
            if locked:
                self._lock.release()


def _all(count: int) -> tuple[int, ...]:
    return tuple(range(1, count + 1))


def _nobody(count: int, reason: str, *, reachable: bool = False) -> ShardHealth:
    """The health of ``count`` shards none of which can be reached."""
    everyone = _all(count)
    return ShardHealth(count, everyone, everyone, ray_reachable=reachable, reason=reason)


class ShardedIndex:
    """An index's segments partitioned over ``shards`` Ray actors (connect to Ray first,
    e.g. with :func:`qa.distributed.connect`).

    The actors outlive a generation of the index: :meth:`reopen` serves a later one on
    them. A shard whose process dies is restarted by Ray; :meth:`repair` opens the index
    on it again, replaces a shard stopped for good, and connects to Ray again after the
    cluster was unreachable; :meth:`health` says what works.

    Args:
        directory: the index directory; every node running a shard must see it at this
            path (a shared file system).
        shards: how many actors (at most the index's segment count).
        timeout: seconds a query (each of its rounds) waits for every shard.
        cpus_per_shard: CPUs Ray reserves for each actor (fractions allowed).
        snapshot: the driver's snapshot of the index (default: opened here); the
            shards open the same generation, or fail to start.

    Raises:
        ImportError: when Ray is not installed.
        ValueError: for more shards than segments, or a bad timeout.
        ShardError: when a shard cannot start.
    """

    def __init__(
        self,
        directory: str | Path,
        shards: int,
        *,
        timeout: float = DEFAULT_SHARD_TIMEOUT,
        cpus_per_shard: float = 1.0,
        snapshot: IndexSnapshot | None = None,
    ) -> None:
        if not timeout > 0:
            raise ValueError("timeout must be greater than 0")
        ray = require_ray()
        snapshot = snapshot if snapshot is not None else open_snapshot(directory)
        pool = _Pool(ray, str(Path(directory).resolve()), cpus_per_shard)
        self._bind(pool, snapshot, shards, timeout)
        try:
            pool.switch(self._layout, timeout)
        except BaseException:
            pool.close()
            raise

    def _bind(self, pool: _Pool, snapshot: IndexSnapshot, shards: int, timeout: float) -> None:
        self._pool = pool
        self.timeout = timeout
        self.snapshot: IndexSnapshot = snapshot
        self.ranges = partition([st.live_rows for st in snapshot.states], shards)
        base = snapshot.layout.row_base
        self.row_ranges = [(int(base[a]), int(base[b])) for a, b in self.ranges]
        bm25 = snapshot.bm25
        self._layout = _Layout(
            snapshot.generation, tuple(self.ranges), (bm25.size, bm25.total_length)
        )
        self._tokenizer = bm25.tokenizer

    def reopen(self, snapshot: IndexSnapshot, shards: int | None = None) -> ShardedIndex:
        """The index at ``snapshot`` (a later generation in the same directory), served
        by the same actors (the ones missing started, the ones left over stopped); this
        index stays searchable until the next switch, for the queries in flight.

        Args:
            snapshot: the generation to serve.
            shards: how many shards (default: as many as now).

        Raises:
            ValueError: for more shards than segments.
            ShardError: when a shard cannot open it, or the cluster is unreachable.
        """
        view = ShardedIndex.__new__(ShardedIndex)
        view._bind(self._pool, snapshot, shards or self.shards, self.timeout)
        self._pool.switch(view._layout, self.timeout)
        return view

    @property
    def generation(self) -> int:
        """The generation of the index searched."""
        return self._layout.generation

    @property
    def shards(self) -> int:
        """Number of shard actors."""
        return len(self.ranges)

    @property
    def actors(self) -> tuple[Any, ...]:
        """The shard actors' handles (in row order)."""
        return self._pool.actors[: self.shards]

    def health(self, timeout: float = PROBE_TIMEOUT) -> ShardHealth:
        """Whether every shard answers (a ping, in each actor's own thread) and holds the
        generation the shards serve, and whether the Ray cluster is reachable; each
        waited for at most ``timeout`` seconds."""
        return self._pool.probe(min(timeout, self.timeout))

    def repair(self, timeout: float = PROBE_TIMEOUT) -> ShardHealth:
        """Probe the shards (:meth:`health`) and repair what can be: open the index again
        on a shard Ray restarted, start a new actor for one that was stopped for good,
        and, when the Ray cluster was unreachable and answers again (or, for a local
        instance this process started, is gone), connect to Ray again and start every
        shard anew (:func:`qa.distributed._ray.reconnect`). While the cluster is
        unreachable, every query fails at once.

        Returns:
            The health after the repairs.
        """
        return self._pool.repair(min(timeout, self.timeout), self.timeout)

    def close(self) -> None:
        """Stop the shard actors (of every generation served on them)."""
        self._pool.close()

    def __enter__(self) -> ShardedIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _actors_now(self) -> tuple[Any, ...]:
        actors = self.actors
        if len(actors) < self.shards:
            down = self._pool.down or "the shards were stopped or are starting again"
            raise ShardError(f"{down}; no result was returned")
        return actors

    def _masks(self, mask: RowMask | None) -> list[RowMask | None]:
        if mask is None:
            return [None] * self.shards
        mask = np.asarray(mask)
        if mask.dtype != np.bool_ or mask.shape != (self.snapshot.size,):
            raise ValueError(
                f"mask must be a boolean array of shape ({self.snapshot.size},), got "
                f"{mask.dtype} {mask.shape}"
            )
        return [mask[a:b] for a, b in self.row_ranges]

    def search_bm25(self, normalized: str, k: int, mask: RowMask | None = None) -> Hits:
        """The ``k`` best rows by BM25 for a folded query: those of the single index.

        Raises:
            ValueError: when ``k`` is not positive.
            ShardError: when a shard fails or does not answer in time, or the cluster is
                unreachable.
        """
        if k <= 0:
            raise ValueError("k must be greater than 0")
        tokens = self._tokenizer(normalized)
        if not tokens or not self.shards:
            return Hits.empty()
        masks = self._masks(mask)
        actors, generation, pool = self._actors_now(), self.generation, self._pool
        unique = list(dict.fromkeys(tokens))
        counts = pool.call(
            "frequencies",
            lambda: [a.frequencies.remote(generation, unique) for a in actors],
            self.timeout,
        )
        frequencies = {t: sum(c[j] for c in counts) for j, t in enumerate(unique)}
        found = pool.call(
            "bm25",
            lambda: [
                a.bm25.remote(generation, tokens, k, frequencies, m)
                for a, m in zip(actors, masks, strict=True)
            ],
            self.timeout,
        )
        return _merge(found, k)

    def search_dense(self, vector: npt.ArrayLike, k: int, mask: RowMask | None = None) -> Hits:
        """The ``k`` rows with the largest inner product with ``vector``.

        Raises:
            ValueError: when ``k`` is not positive.
            ShardError: when a shard fails or does not answer in time, or the cluster is
                unreachable.
        """
        if k <= 0:
            raise ValueError("k must be greater than 0")
        query = np.asarray(vector, dtype=np.float32)
        masks = self._masks(mask)
        actors, generation = self._actors_now(), self.generation
        found = self._pool.call(
            "dense",
            lambda: [
                a.dense.remote(generation, query, k, m) for a, m in zip(actors, masks, strict=True)
            ],
            self.timeout,
        )
        return _merge(found, k)


def _merge(found: Sequence[_Found], k: int) -> Hits:
    """The best ``k`` of the shards' hits: score descending, ties by row (as one index
    orders them)."""
    if not found:
        return Hits.empty()
    rows = np.concatenate([f[0] for f in found]).astype(np.int64)
    scores = np.concatenate([f[1] for f in found]).astype(np.float32)
    order = np.lexsort((rows, -scores))[:k]
    return Hits(rows[order], scores[order])


def _collect(ray: Any, refs: Sequence[Any]) -> None:
    """Take the answers already there of calls no longer waited for (so that Ray does
    not log their errors as unhandled)."""
    for ref in refs:
        try:
            ray.get(ref, timeout=0)
        except Exception:  # noqa: BLE001 - not there yet, or an error: either way, done
            pass


def _first_line(err: BaseException, limit: int = 200) -> str:
    """The first line of ``err``'s message (of the exception an actor raised, for a
    Ray task error), without terminal colours, at most ``limit`` characters."""
    cause = getattr(err, "cause", None)  # RayTaskError: what the actor raised
    if isinstance(cause, BaseException) and cause is not err:
        err = cause
    text = _COLOURS.sub("", str(err)).strip().splitlines()
    line = text[0] if text else type(err).__name__
    return line if len(line) <= limit else line[: limit - 3] + "..."


_COLOURS = re.compile(r"\x1b\[[0-9;]*m")


class ShardedBM25Retriever:
    """A :class:`~qa.retrieval.base.Retriever` (``"bm25"``) over a :class:`ShardedIndex`."""

    def __init__(self, index: ShardedIndex) -> None:
        self._index = index

    @property
    def name(self) -> str:
        """``"bm25"``."""
        return "bm25"

    def search(self, query: Query, k: int, rows: RowMask | None = None) -> Hits:
        """The ``k`` best rows by BM25, scored on the shards."""
        return self._index.search_bm25(query.normalized, k, rows)


class _ShardedVectors:
    """The :class:`~qa.retrieval.dense.VectorSearch` of a :class:`ShardedIndex`."""

    def __init__(self, index: ShardedIndex) -> None:
        self._index = index
        self._dimension = int(index.snapshot.settings.dimension)

    @property
    def dimension(self) -> int:
        return self._dimension

    def search(
        self, query_vector: npt.ArrayLike, k: int, mask: npt.NDArray[np.bool_] | None = None
    ) -> Hits:
        return self._index.search_dense(query_vector, k, mask)


def sharded_retrievers(index: ShardedIndex, encoder: Encoder | None) -> list[Retriever]:
    """The retrievers of :func:`qa.retrieval.factory.make_retrievers`, searching on the
    shards: BM25, plus dense where the index holds vectors and an encoder is given.
    Give them to :class:`qa.retrieval.search.Searcher` with ``index.snapshot``."""
    retrievers: list[Retriever] = [ShardedBM25Retriever(index)]
    if encoder is not None and index.snapshot.dense is not None:
        retrievers.append(DenseRetriever(_ShardedVectors(index), encoder))
    return retrievers


class ShardedRetrievers:
    """A :data:`qa.assistant.RetrieverFactory` whose retrievers search on Ray shard
    actors (``Assistant.use_retrievers(ShardedRetrievers(4))``; what ``qa serve
    --shards`` does). The shards start for the first snapshot served; each later
    generation of the index is opened on the same actors (:meth:`ShardedIndex.reopen`).

    While shards are served, a background thread checks them every ``check_every``
    seconds (every half second while one is down) and repairs what it can
    (:meth:`ShardedIndex.repair`); :meth:`health` says what the last check found.

    Args:
        shards: shard actors.
        timeout: seconds a query waits for every shard.
        cpus_per_shard: CPUs Ray reserves for each actor.
        check_every: seconds between two checks; None: no thread (call :meth:`check`).

    Raises:
        ValueError: when ``shards`` is not positive.
    """

    def __init__(
        self,
        shards: int,
        *,
        timeout: float = DEFAULT_SHARD_TIMEOUT,
        cpus_per_shard: float = 1.0,
        check_every: float | None = DEFAULT_CHECK_INTERVAL,
    ) -> None:
        if shards <= 0:
            raise ValueError("shards must be greater than 0")
        if check_every is not None and not check_every > 0:
            raise ValueError("check_every must be greater than 0")
        self.shards = shards
        self.timeout = timeout
        self.cpus_per_shard = cpus_per_shard
        self.check_every = check_every
        self._index: ShardedIndex | None = None
        self._checked: tuple[float, ShardHealth] | None = None
        self._checking = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()  # a call failed: check now
        self._thread: threading.Thread | None = None

    @property
    def index(self) -> ShardedIndex | None:
        """The shards serving the current snapshot (None before the first)."""
        return self._index

    def __call__(self, snapshot: IndexSnapshot, encoder: Encoder | None) -> list[Retriever]:
        """The retrievers of ``snapshot`` (an index on disk), on shards.

        The first snapshot must have at least ``shards`` segments (else ValueError: the
        shards were sized for it). A later generation with fewer (merges folded
        segments) is served on as many shards as it has segments, with a warning, rather
        than not served.

        Raises:
            ValueError: for an index in memory, or a first snapshot with fewer segments
                than shards.
            ShardError: when a shard cannot start or open the snapshot (within
                ``timeout`` seconds; at once while the Ray cluster is unreachable).
        """
        if snapshot.directory is None:
            raise ValueError("sharded search needs an index on disk (its shards open it)")
        current = self._index
        if (
            current is None
            or current.snapshot.directory != snapshot.directory
            or current.snapshot.generation != snapshot.generation
        ):
            shards, segments = self.shards, len(snapshot.states)
            if segments < shards:
                message = too_few_segments(snapshot.directory, segments, snapshot.size, self.shards)
                if current is None:
                    raise ValueError(message)
                logger.warning(
                    "%s; serving generation %d on %d shard(s)",
                    message,
                    snapshot.generation,
                    segments,
                )
                shards = segments
            if current is not None and current.snapshot.directory == snapshot.directory:
                fresh = current.reopen(snapshot, shards)
            else:
                fresh = ShardedIndex(
                    snapshot.directory,
                    shards,
                    timeout=self.timeout,
                    cpus_per_shard=self.cpus_per_shard,
                    snapshot=snapshot,
                )
                if current is not None:
                    current.close()
            self._index = current = fresh
            current._pool.on_failure = self._wake.set
            self._supervise()
        return sharded_retrievers(current, encoder)

    def health(self, max_age: float = 1.0) -> ShardHealth:
        """Whether the shards can serve: what the last check found when it is at most
        ``max_age`` seconds old and no call failed since, else a probe now (a ping of
        every shard: milliseconds when they answer, at most :data:`PROBE_TIMEOUT`
        seconds)."""
        index = self._index
        if index is None:
            reason = "the shards have not started"
            return _nobody(self.shards, reason, reachable=True)
        checked = self._checked
        if (
            checked is not None
            and time.monotonic() - checked[0] <= max_age
            and checked[0] > index._pool.failed_at
        ):
            return checked[1]
        report = index.health()
        self._checked = (time.monotonic(), report)
        return report

    def check(self) -> ShardHealth:
        """One check: probe the shards and repair what can be (:meth:`ShardedIndex.repair`).

        Returns:
            The health after the repairs (also what :meth:`health` says next).
        """
        index = self._index
        if index is None:
            return self.health()
        with self._checking:
            report = index.repair()
        before = self._checked
        self._checked = (time.monotonic(), report)
        was_ready = before is None or before[1].ready
        if was_ready and not report.ready:
            logger.warning("the shards cannot serve: %s", report.reason)
        elif not was_ready and report.ready:
            logger.info("every shard serves again")
        return report

    def _supervise(self) -> None:
        if self.check_every is None or self._thread is not None or self._stop.is_set():
            return
        self._thread = threading.Thread(
            target=_supervise,
            args=(weakref.ref(self), self._stop, self._wake, self.check_every),
            name="qa-shard-supervisor",
            daemon=True,
        )
        self._thread.start()

    def close(self) -> None:
        """Stop the checks and the shard actors."""
        self._stop.set()
        self._wake.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=self.timeout)
        if self._index is not None:
            self._index.close()
            self._index = None


def _supervise(
    owner: weakref.ReferenceType[ShardedRetrievers],
    stop: threading.Event,
    wake: threading.Event,
    every: float,
) -> None:
    """The supervisor thread: :meth:`ShardedRetrievers.check` every ``every`` seconds
    (every half second while the shards cannot serve; at once when a call failed),
    until stopped or the owner is gone."""
    wait, last = every, time.monotonic()
    while True:
        wake.wait(wait)
        rest = 0.5 - (time.monotonic() - last)  # woken by failures: not more often
        if rest > 0:
            stop.wait(rest)
        wake.clear()
        if stop.is_set():
            return
        retrievers = owner()
        if retrievers is None:
            return
        try:
            ready = retrievers.check().ready
        except Exception:  # noqa: BLE001 - keep checking; the next round may do better
            logger.exception("checking the shards failed")
            ready = False
        del retrievers
        wait, last = (every if ready else min(every, 0.5)), time.monotonic()
