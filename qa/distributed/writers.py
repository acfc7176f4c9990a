"""Index segments built and written on Ray actors, in parallel (``qa ingest --ray``).

:class:`RaySegmentSink` is the :class:`qa.staged.SegmentSink` of a Ray ingest: a pool of
writer actors, each a process of its own (on another machine where the cluster has
several), each given the next planned segment in turn. A writer builds the segment with
the store's own code and writes it into the index's staging area
(:func:`embeddings.store.staging.write_staged`): documents, chunk table, BM25 postings,
facets, near-duplicate bands, and the dense index over the vectors the driver sent with
it. The driver does not wait for it: it plans the next segments meanwhile, and commits
them all at the end (:class:`qa.staged.StagedIngest`).

Writer actors start with the first segment (an ingest of one segment starts none: the
driver writes its last segment itself) and are created with Ray's default resources for
actors: a node needs a CPU to place one, but the actor holds none while it lives, so
idle writers never keep the preparing actors from the cluster's CPUs; they are spread
over the nodes. A segment travels to its writer packed in a few flat arrays
(:class:`~embeddings.store.packed.PackedDocuments`). The index directory must be on
storage every node sees at the same path.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from typing import Any

from embeddings.errors import IndexWriteError
from qa.distributed._ray import require_ray
from qa.staged import SegmentJob

__all__ = ["RaySegmentSink", "WrittenSegment", "default_writers", "segment_sink"]

logger = logging.getLogger(__name__)


def default_writers(cpus: int) -> int:
    """Writer actors for a cluster of ``cpus`` CPUs: one per four CPUs (building and
    writing a segment is about a tenth of an ingest's work; the rest is preparing and
    planning), none below four: there, starting writer processes costs more than they
    save (docs/scale-out.md measures it on two cores), and the driver writes."""
    return cpus // 4


def segment_sink(writers: int | None = None) -> RaySegmentSink | None:
    """The sink of a Ray ingest (connect to Ray first): ``writers`` writer actors
    (default: :func:`default_writers` of the cluster's CPUs), or None for none (the
    driver builds, writes and commits each segment in turn).

    Raises:
        ImportError: when Ray is not installed.
        ValueError: when ``writers`` is negative.
    """
    if writers is not None and writers < 0:
        raise ValueError("writers must be 0 or more")
    if writers is None:
        ray = require_ray()
        writers = default_writers(max(1, int(ray.cluster_resources().get("CPU", 1))))
    return RaySegmentSink(writers) if writers else None


@dataclass(frozen=True, slots=True)
class WrittenSegment:
    """A segment a writer actor wrote.

    Attributes:
        name: the segment's name.
        rows: its rows (chunks).
        pid: the writer's process id.
        node: the id of the Ray node it ran on.
        seconds: how long building and writing it took.
    """

    name: str
    rows: int
    pid: int
    node: str
    seconds: float


class _SegmentWriter:
    """A Ray actor: builds and writes the segments it is given into a staging area."""

    def write(self, job: SegmentJob) -> WrittenSegment:
        """Build and write ``job``'s segment."""
        ray = require_ray()
        start = time.perf_counter()
        rows = job.run()
        node = str(ray.get_runtime_context().get_node_id())
        return WrittenSegment(job.name, rows, os.getpid(), node, time.perf_counter() - start)


class RaySegmentSink:
    """A :class:`qa.staged.SegmentSink` over ``writers`` Ray actors (connect to Ray
    first, e.g. with :func:`qa.distributed.connect`).

    Args:
        writers: writer actors (default: :func:`default_writers` of the cluster's CPUs,
            at least one).

    Raises:
        ImportError: when Ray is not installed.
        ValueError: when ``writers`` is not positive.
    """

    def __init__(self, writers: int | None = None) -> None:
        if writers is not None and writers <= 0:
            raise ValueError("writers must be greater than 0")
        ray = require_ray()
        self._ray = ray
        cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        self._count = writers or max(1, default_writers(cpus))
        self._actors: list[Any] = []
        self._closed = False
        self._next = 0
        self._waiting: dict[Any, str] = {}
        self.written: list[WrittenSegment] = []
        """The segments written so far, as they were collected."""

    @property
    def writers(self) -> int:
        """Number of writer actors (started with the first segment)."""
        return self._count

    def submit(self, job: SegmentJob) -> None:
        """Hand ``job`` to the next writer (in turn); does not wait.

        Raises:
            IndexWriteError: when the sink is closed.
        """
        if self._closed:
            raise IndexWriteError("the segment writers are stopped; nothing was committed")
        if not self._actors:
            # No resources named: placed where there is a CPU, holding none (Ray's
            # default for actors), spread over the nodes.
            actor_class = self._ray.remote(_SegmentWriter).options(scheduling_strategy="SPREAD")
            self._actors = [actor_class.remote() for _ in range(self._count)]
        actor = self._actors[self._next % len(self._actors)]
        self._next += 1
        self._waiting[actor.write.remote(job)] = job.name

    def poll(self) -> list[str]:
        """The segments written since the last call (waits for none)."""
        return self._collect(0.0)

    def drain(self) -> list[str]:
        """Wait for every segment submitted."""
        return self._collect(None)

    def _collect(self, timeout: float | None) -> list[str]:
        ray = self._ray
        if not self._waiting:
            return []
        refs = list(self._waiting)
        done, _ = ray.wait(refs, num_returns=len(refs), timeout=timeout)
        names: list[str] = []
        for ref in done:
            name = self._waiting.pop(ref)
            try:
                result = ray.get(ref)
            except ray.exceptions.RayError as err:
                raise IndexWriteError(
                    f"segment {name} could not be written on Ray: {_first_line(err)}; "
                    "nothing was committed: the index is as it was"
                ) from err
            self.written.append(result)
            logger.debug(
                "segment %s (%d chunks) written by process %d on node %s in %.2f s",
                name,
                result.rows,
                result.pid,
                result.node[:12],
                result.seconds,
            )
            names.append(name)
        return names

    def close(self) -> None:
        """Stop the writer actors (a segment being written is abandoned)."""
        for actor in self._actors:
            try:
                self._ray.kill(actor)
            except Exception:  # noqa: BLE001 - already gone
                pass
        self._actors = []
        self._waiting = {}
        self._closed = True


def _first_line(err: BaseException) -> str:
    text = [line for line in str(err).strip().splitlines() if line.strip()]
    # A task's error reads "ray::...write() (pid=..., ip=...)" first, then the cause.
    return text[-1] if text else type(err).__name__
