"""``qa ingest --ray``: the loading, preparing and encoding of an ingest, run on a Ray
cluster.

An ingest's costly part is per article: load (decode, extract a web page, read a WARC
record), clean, cut into chunks, tokenize and fingerprint
(:func:`qa.ingest.prepare_part`), and, with a model, encode the chunks. Here Ray Data
runs it: the input's parts (:func:`corpus.loaders.plan_load`: whole files, or a few
hundred lines of a large JSONL file) become a dataset, and a pool of actors (one CPU
each; each loads the tokenizer once) prepares them in parallel over the cluster. With a
model configured, a second pool of actors encodes every chunk of the prepared parts
(each loads the encoder once, with the ingest's model and settings,
:func:`qa.encoders.make_encoder`; one GPU each where the cluster has GPUs, else one CPU)
and the vectors travel with the part
(:attr:`~embeddings.store.packed.PackedDocuments.vectors`). The driver takes the
results back in the order of the parts and decides, with plain ``qa ingest``'s code
(:func:`qa.ingest.ingest_paths`), what is new, changed or a copy of an indexed story
and which segment each document goes to; the new chunks get the vectors the parts
carry, so the driver encodes none. Each segment is then built and written
into the index's staging area by writer actors, in parallel, while the driver plans the
next (:mod:`qa.distributed.writers`), and one commit publishes them all
(:mod:`qa.staged`). The index is therefore the one plain ingest writes from the same
input: same documents, chunks, ids, segments and scores, and vectors equal up to float
rounding (``tests/qa/test_distributed.py`` checks it).
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from corpus.chunking import ChunkingConfig
from corpus.loaders import LoadTask
from corpus.progress import Progress
from embeddings.encoder import Encoder
from embeddings.errors import ModelUnavailableError
from embeddings.store.lock import DEFAULT_LOCK_TIMEOUT
from embeddings.tokenize import get_tokenizer
from qa.assistant import Assistant
from qa.config import AssistantConfig
from qa.distributed._ray import connect, require_ray
from qa.distributed.writers import segment_sink
from qa.encoders import make_encoder
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

logger = logging.getLogger(__name__)


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
        return {"i": batch["i"], "result": _objects(results)}


class _Embedder:
    """A Ray Data actor: gives prepared parts their chunks' vectors, with the encoder
    of the configured model it loaded once (on the GPU Ray gave it, else on the CPU)."""

    def __init__(self, config: AssistantConfig, device: str) -> None:
        self._encoder: Encoder | None = make_encoder(replace(config, device=device))
        try:
            self._encoder.warm_up()
        except ModelUnavailableError as err:
            # The driver cannot load it either, and builds the index without vectors
            # (with a warning); the parts go without vectors.
            logger.warning("%s", err)
            self._encoder = None

    def __call__(self, batch: dict[str, npt.NDArray[Any]]) -> dict[str, npt.NDArray[Any]]:
        results = []
        for blob in batch["result"]:
            prepared, part = pickle.loads(blob)
            if self._encoder is not None and len(prepared):
                prepared = prepared.with_vectors(self._encoder.encode(prepared.chunk_texts()))
            results.append(pickle.dumps((prepared, part)))
        return {"i": batch["i"], "result": _objects(results)}


def _objects(items: Sequence[bytes]) -> npt.NDArray[Any]:
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def ray_runner(
    workers: int | None = None,
    *,
    encode: AssistantConfig | None = None,
    encoders: int | None = None,
) -> PartRunner:
    """A :data:`qa.ingest.PartRunner` that prepares parts on the connected Ray cluster,
    and encodes their chunks there too when ``encode`` names a model.

    Args:
        workers: actors that prepare parts (one CPU each; default: the cluster's CPUs,
            less those of the encoding actors).
        encode: the ingest's configuration, to give the prepared documents their chunk
            vectors (:attr:`~embeddings.store.packed.PackedDocuments.vectors`) computed
            with its model and settings (``batch_size`` texts per forward pass); None, or no model
            configured: the driver encodes what it needs, as in plain ingest.
        encoders: actors that encode (default: one per GPU of the cluster, each given
            one GPU; on a cluster without GPUs, half its CPUs, one CPU each).

    Raises:
        ValueError: when ``workers`` or ``encoders`` is not positive.
    """
    if workers is not None and workers <= 0:
        raise ValueError("workers must be greater than 0")
    if encoders is not None and encoders <= 0:
        raise ValueError("encoders must be greater than 0")
    model = encode if encode is not None and encode.model else None

    def run(
        tasks: Iterable[LoadTask], settings: PrepareSettings
    ) -> Iterator[tuple[LoadTask, PreparedPart]]:
        ray = require_ray()
        parts = list(tasks)
        if not parts:
            return
        resources = ray.cluster_resources()
        cpus = max(1, int(resources.get("CPU", 1)))
        gpus = int(resources.get("GPU", 0))
        embedding = 0
        if model is not None:
            embedding = min(encoders or (gpus or max(1, cpus // 2)), len(parts))
        size = workers or max(1, cpus - embedding)
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
        if model is not None:
            prepared = prepared.map_batches(
                _Embedder,
                fn_constructor_args=(model, "cuda" if gpus else "cpu"),
                batch_size=1,
                batch_format="numpy",
                compute=ray.data.ActorPoolStrategy(size=embedding),
                num_cpus=1,
                num_gpus=1 if gpus else 0,
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
    encoders: int | None = None,
    writers: int | None = None,
    rebuild: bool = False,
    segment_rows: int = DEFAULT_SEGMENT_ROWS,
    progress: Progress | None = None,
    keep_documents: bool = False,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> tuple[Assistant | None, IngestResult]:
    """:func:`qa.ingest.ingest_paths` with articles loaded and prepared on Ray (connect
    first with :func:`connect`). Arguments, result and errors are those of
    :func:`~qa.ingest.ingest_paths`; ``workers`` and ``encoders`` count Ray actors
    (see :func:`ray_runner`): with a model configured, the chunks are encoded on Ray.
    The segments are built and written by ``writers`` Ray actors in parallel
    (:class:`~qa.distributed.writers.RaySegmentSink`; default: one per four CPUs of the
    cluster, none below four) while the driver plans the next ones, and committed
    together at the end, holding the index's write lock throughout (:mod:`qa.staged`);
    with none (``writers=0``) the driver builds, writes and commits each segment in
    turn, as plain ingest does.

    The paths are read by the actors, and the index is written by them: on a cluster of
    several machines both must be on storage every node sees at the same path (a shared
    file system).

    Raises:
        ValueError: when ``writers`` is negative (and as :func:`~qa.ingest.ingest_paths`).
    """
    sink = segment_sink(writers)
    return ingest_paths(
        paths,
        directory,
        config,
        rebuild=rebuild,
        segment_rows=segment_rows,
        progress=progress,
        keep_documents=keep_documents,
        lock_timeout=lock_timeout,
        runner=ray_runner(workers, encode=config, encoders=encoders),
        sink=sink,
    )
