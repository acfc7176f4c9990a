"""``qa ingest --ray``: the loading and preparing of an ingest, run on a Ray cluster.

An ingest's costly part is per article: load (decode, extract a web page, read a WARC
record), clean, cut into chunks, tokenize and fingerprint
(:func:`qa.ingest.prepare_part`). Here Ray Data runs it: the input's parts
(:func:`corpus.loaders.plan_load`: whole files, or a few hundred lines of a large JSONL
file) become a dataset, and a pool of actors (one CPU each; each loads the tokenizer
once) prepares them in parallel over the cluster. The driver takes the results back in
the order of the parts and does the rest exactly as plain ``qa ingest``
(:func:`qa.ingest.ingest_paths`): what is new, changed or a copy of an indexed story,
embedding, segments and commits under the index's write lock. The index is therefore
the one plain ingest writes from the same input: same documents, chunks, ids and
scores (``tests/qa/test_distributed.py`` checks it).
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from corpus.chunking import ChunkingConfig
from corpus.loaders import LoadTask
from corpus.progress import Progress
from embeddings.store.lock import DEFAULT_LOCK_TIMEOUT
from embeddings.tokenize import get_tokenizer
from qa.assistant import Assistant
from qa.config import AssistantConfig
from qa.distributed._ray import require_ray
from qa.ingest import (
    DEFAULT_SEGMENT_ROWS,
    IngestResult,
    PartRunner,
    PreparedPart,
    PrepareSettings,
    ingest_paths,
    prepare_part,
)

__all__ = ["connect", "ray_ingest", "ray_runner"]


def connect(address: str | None = None, *, num_cpus: int | None = None) -> None:
    """Connect this process to a Ray cluster, unless it is connected already.

    Args:
        address: the cluster's address (``"auto"``: the one started on this machine by
            ``ray start``; ``"ray://host:10001"``: a remote one through Ray Client); None
            starts a local Ray instance for this process.
        num_cpus: CPUs of a local instance (ignored when connecting to a cluster).

    Raises:
        ImportError: when Ray is not installed.
    """
    ray = require_ray()
    if ray.is_initialized():
        return
    if address is None:
        ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False)
    else:
        ray.init(address=address, log_to_driver=False)


class _Preparer:
    """A Ray Data actor: prepares parts with the tokenizer it loaded once."""

    def __init__(self, settings: PrepareSettings) -> None:
        chunk_size, chunk_overlap, tokenizer, fingerprints = settings
        self._chunking = ChunkingConfig(chunk_size, chunk_overlap)
        self._tokenizer = get_tokenizer(tokenizer)
        self._fingerprints = fingerprints

    def __call__(self, batch: dict[str, npt.NDArray[Any]]) -> dict[str, npt.NDArray[Any]]:
        results = [
            pickle.dumps(
                prepare_part(
                    pickle.loads(blob), self._chunking, self._tokenizer, self._fingerprints
                )
            )
            for blob in batch["task"]
        ]
        out = np.empty(len(results), dtype=object)
        out[:] = results
        return {"i": batch["i"], "result": out}


def ray_runner(workers: int | None = None) -> PartRunner:
    """A :data:`qa.ingest.PartRunner` that prepares parts on the connected Ray cluster.

    Args:
        workers: actors that prepare parts (one CPU each; default: the cluster's CPUs).

    Raises:
        ValueError: when ``workers`` is not positive.
    """
    if workers is not None and workers <= 0:
        raise ValueError("workers must be greater than 0")

    def run(
        tasks: Iterable[LoadTask], settings: PrepareSettings
    ) -> Iterator[tuple[LoadTask, PreparedPart]]:
        ray = require_ray()
        parts = list(tasks)
        if not parts:
            return
        size = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        size = min(size, len(parts))  # no idle actor
        items = [{"i": i, "task": pickle.dumps(t)} for i, t in enumerate(parts)]
        dataset = ray.data.from_items(items, override_num_blocks=min(len(items), 4 * size))
        prepared = dataset.map_batches(
            _Preparer,
            fn_constructor_args=(settings,),
            batch_size=1,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=size),
            num_cpus=1,
        )
        # Results come back as they are done; they are yielded in the parts' order.
        waiting: dict[int, bytes] = {}
        following = 0
        for row in prepared.iter_rows():
            waiting[int(row["i"])] = row["result"]
            while following in waiting:
                yield parts[following], pickle.loads(waiting.pop(following))
                following += 1
        if following != len(parts):
            raise RuntimeError(
                f"Ray returned {following} of {len(parts)} prepared parts; the ingest stops "
                "(nothing after the parts returned was committed)"
            )

    return run


def ray_ingest(
    paths: Sequence[str | Path],
    directory: str | Path,
    config: AssistantConfig,
    *,
    workers: int | None = None,
    rebuild: bool = False,
    segment_rows: int = DEFAULT_SEGMENT_ROWS,
    progress: Progress | None = None,
    keep_documents: bool = False,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> tuple[Assistant | None, IngestResult]:
    """:func:`qa.ingest.ingest_paths` with articles loaded and prepared on Ray (connect
    first with :func:`connect`). Arguments, result and errors are those of
    :func:`~qa.ingest.ingest_paths`; ``workers`` counts Ray actors.

    The paths are read by the actors: on a cluster of several machines they must be on
    storage every node sees at the same path (a shared file system).
    """
    return ingest_paths(
        paths,
        directory,
        config,
        rebuild=rebuild,
        segment_rows=segment_rows,
        progress=progress,
        keep_documents=keep_documents,
        lock_timeout=lock_timeout,
        runner=ray_runner(workers),
    )
