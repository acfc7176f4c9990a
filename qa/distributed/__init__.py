"""Beyond one machine: ingestion and sharded search on a Ray cluster (the ``ray`` extra).

Nothing here is imported by the rest of the library: ``qa ingest --ray`` and
``qa serve --shards`` import it, and only then is Ray imported. Without Ray installed
they fail with an :class:`ImportError` that names the extra to install.

- :func:`ray_ingest`: ``qa ingest`` whose loading, cleaning, chunking and tokenizing run
  as Ray Data tasks over the cluster, and whose segments are written by Ray actors in
  parallel (:class:`RaySegmentSink`); the index it writes is the one plain ingest writes.
- :class:`ShardedIndex`: an index's segments partitioned over Ray actors; a query fans
  out with corpus-wide BM25 statistics and the merged top-k is the single index's.
"""

from __future__ import annotations

from qa.distributed._ray import require_ray
from qa.distributed.ingest import connect, ray_ingest, ray_runner
from qa.distributed.shards import (
    ShardedIndex,
    ShardedRetrievers,
    shard_problem,
    sharded_retrievers,
)
from qa.distributed.writers import RaySegmentSink, segment_sink
from qa.errors import ShardError

__all__ = [
    "RaySegmentSink",
    "ShardError",
    "ShardedIndex",
    "ShardedRetrievers",
    "connect",
    "ray_ingest",
    "ray_runner",
    "require_ray",
    "segment_sink",
    "shard_problem",
    "sharded_retrievers",
]
