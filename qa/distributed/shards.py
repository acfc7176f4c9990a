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

A shard that raises, dies or does not answer within ``timeout`` seconds makes the
query fail with :class:`ShardError`, naming the shard: a result without one shard's rows
would be silently wrong, so none is returned.

The driver opens the index too (memory-mapped: it reads the chunks and documents of the
passages it returns, and the query's tokenizer); the postings and vectors a query
scans are read by the shards.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
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
from qa.distributed._ray import require_ray
from qa.errors import ShardError
from qa.retrieval.base import Query, Retriever, RowMask
from qa.retrieval.dense import DenseRetriever

__all__ = [
    "DEFAULT_SHARD_TIMEOUT",
    "ShardError",
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


class _Shard:
    """The body of a shard actor: some segments of the index, opened from disk."""

    def __init__(self, directory: str, start: int, stop: int, generation: int) -> None:
        snapshot = open_snapshot(directory)
        if snapshot.generation != generation:
            raise RuntimeError(
                f"the index at {directory} changed (generation {snapshot.generation}, "
                f"expected {generation}) while its shards were starting; start them again"
            )
        self._base = int(snapshot.layout.row_base[start])
        self._part = snapshot.with_states(snapshot.states[start:stop])
        self._bm25: BM25Index | None = None

    def statistics(self) -> tuple[int, int]:
        """The shard's live rows and their total token count."""
        return self._part.bm25.size, self._part.bm25.total_length

    def configure(self, collection: tuple[int, int]) -> None:
        """Score with the whole index's row count and total length from now on."""
        own = self._part.bm25
        params = own.params
        self._bm25 = BM25Index(
            own.parts,
            own.tokenizer,
            k1=float(params["k1"]),
            b=float(params["b"]),
            method=str(params["method"]),
            collection=collection,
        )

    def frequencies(self, tokens: list[str]) -> list[int]:
        """How many of the shard's live rows hold each token."""
        return [int(x) for x in self._part.bm25.document_frequency(tokens)]

    def bm25(
        self, tokens: list[str], k: int, frequencies: dict[str, int], mask: RowMask | None
    ) -> _Found:
        """The shard's ``k`` best rows (index rows) with corpus-wide statistics."""
        assert self._bm25 is not None, "configure() first"
        hits = self._bm25.search_tokens(tokens, k, mask, frequencies=frequencies)
        return hits.indices + self._base, hits.scores

    def dense(self, vector: npt.NDArray[np.float32], k: int, mask: RowMask | None) -> _Found:
        """The shard's ``k`` rows (index rows) with the largest inner product."""
        if self._part.dense is None:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        hits = self._part.dense.search(vector, k, mask)
        return hits.indices + self._base, hits.scores


class ShardedIndex:
    """An index's segments partitioned over ``shards`` Ray actors (connect to Ray first,
    e.g. with :func:`qa.distributed.connect`).

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
        self._ray = ray
        self.timeout = timeout
        self.snapshot: IndexSnapshot = (
            snapshot if snapshot is not None else open_snapshot(directory)
        )
        snap = self.snapshot
        self.ranges = partition([st.live_rows for st in snap.states], shards)
        self.row_ranges = [
            (int(snap.layout.row_base[a]), int(snap.layout.row_base[b])) for a, b in self.ranges
        ]
        actor = ray.remote(num_cpus=cpus_per_shard, max_restarts=0)(_Shard)
        self._actors: list[Any] = [
            actor.remote(str(Path(directory).resolve()), a, b, snap.generation)
            for a, b in self.ranges
        ]
        try:
            stats = self._gather("start", [a.statistics.remote() for a in self._actors])
            collection = (sum(s[0] for s in stats), sum(s[1] for s in stats))
            if collection[0] != snap.bm25.size:
                raise ShardError(
                    f"the shards hold {collection[0]} rows, the index {snap.bm25.size}; "
                    "start them again"
                )
            self._gather("start", [a.configure.remote(collection) for a in self._actors])
        except BaseException:
            self.close()
            raise
        self._tokenizer = snap.bm25.tokenizer

    @property
    def shards(self) -> int:
        """Number of shard actors."""
        return len(self._actors)

    @property
    def actors(self) -> tuple[Any, ...]:
        """The shard actors' handles (in row order)."""
        return tuple(self._actors)

    def close(self) -> None:
        """Stop the shard actors."""
        for a in self._actors:
            try:
                self._ray.kill(a)
            except Exception:  # noqa: BLE001 - already gone
                pass
        self._actors = []

    def __enter__(self) -> ShardedIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _gather(self, what: str, refs: Sequence[Any]) -> list[Any]:
        """Every shard's answer, or :class:`ShardError` naming the first that failed or
        did not answer before the deadline."""
        ray = self._ray
        deadline = time.monotonic() + self.timeout
        out: list[Any] = []
        for i, ref in enumerate(refs):
            left = max(0.0, deadline - time.monotonic())
            try:
                out.append(ray.get(ref, timeout=left))
            except ray.exceptions.GetTimeoutError as err:
                for other in refs[i:]:
                    ray.cancel(other, force=False)
                raise ShardError(
                    f"shard {i + 1} of {len(refs)} did not answer within {self.timeout:g} s "
                    f"({what}); no result was returned, as one without its rows would be "
                    "wrong"
                ) from err
            except ray.exceptions.RayError as err:
                raise ShardError(
                    f"shard {i + 1} of {len(refs)} failed ({what}): {_first_line(err)}; no "
                    "result was returned, as one without its rows would be wrong"
                ) from err
        return out

    def _masks(self, mask: RowMask | None) -> list[RowMask | None]:
        if mask is None:
            return [None] * len(self._actors)
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
            ShardError: when a shard fails or does not answer in time.
        """
        if k <= 0:
            raise ValueError("k must be greater than 0")
        tokens = self._tokenizer(normalized)
        if not tokens or not self._actors:
            return Hits.empty()
        unique = list(dict.fromkeys(tokens))
        counts = self._gather("frequencies", [a.frequencies.remote(unique) for a in self._actors])
        frequencies = {t: sum(c[j] for c in counts) for j, t in enumerate(unique)}
        masks = self._masks(mask)
        found = self._gather(
            "bm25",
            [
                a.bm25.remote(tokens, k, frequencies, m)
                for a, m in zip(self._actors, masks, strict=True)
            ],
        )
        return _merge(found, k)

    def search_dense(self, vector: npt.ArrayLike, k: int, mask: RowMask | None = None) -> Hits:
        """The ``k`` rows with the largest inner product with ``vector``.

        Raises:
            ValueError: when ``k`` is not positive.
            ShardError: when a shard fails or does not answer in time.
        """
        if k <= 0:
            raise ValueError("k must be greater than 0")
        query = np.asarray(vector, dtype=np.float32)
        masks = self._masks(mask)
        found = self._gather(
            "dense",
            [a.dense.remote(query, k, m) for a, m in zip(self._actors, masks, strict=True)],
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


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


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
    --shards`` does). Shards start for the first snapshot served and start again (the
    old ones stopped) for each new generation of the index the assistant serves.

    Args:
        shards: shard actors.
        timeout: seconds a query waits for every shard.
        cpus_per_shard: CPUs Ray reserves for each actor.

    Raises:
        ValueError: when ``shards`` is not positive.
    """

    def __init__(
        self,
        shards: int,
        *,
        timeout: float = DEFAULT_SHARD_TIMEOUT,
        cpus_per_shard: float = 1.0,
    ) -> None:
        if shards <= 0:
            raise ValueError("shards must be greater than 0")
        self.shards = shards
        self.timeout = timeout
        self.cpus_per_shard = cpus_per_shard
        self._index: ShardedIndex | None = None

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
            ShardError: when a shard cannot start.
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
        return sharded_retrievers(current, encoder)

    def close(self) -> None:
        """Stop the shard actors."""
        if self._index is not None:
            self._index.close()
            self._index = None
