"""Dense index types on synthetic vectors: exact search, HNSW, IVF-PQ.

Usage::

    python -m bench.dense --rows 100000 [--dim 384] [--queries 200] [--out FILE]

The vectors are a seeded mixture of 2,000 Gaussian clusters in ``dim`` dimensions,
L2-normalised (real sentence embeddings are clustered like this; uniformly random
vectors, the worst case for any approximate index, are measured with ``--random``).
Queries are fresh draws from the same mixture. For each index type, as
:class:`embeddings.DenseIndex` builds it (``dense_factory``: what ``dense_index="auto"``
picks above 50,000 rows is HNSW32): build time, bytes of the saved index, single-query
latency p50/p95, and recall@10 against the exact top 10.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import machine, percentiles, write_result


def _data(rows: int, dim: int, queries: int, seed: int, random: bool) -> tuple[Any, Any]:
    rng = np.random.default_rng(seed)
    if random:
        x = rng.standard_normal((rows + queries, dim), dtype=np.float32)
    else:
        centers = rng.standard_normal((2000, dim), dtype=np.float32)
        labels = rng.integers(0, 2000, rows + queries)
        x = centers[labels] + 0.6 * rng.standard_normal((rows + queries, dim), dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x[:rows], x[rows:]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--random", action="store_true")
    parser.add_argument("--kinds", default="flat,hnsw,ivfpq")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    import faiss

    from embeddings.dense import DenseIndex, dense_factory

    base, queries = _data(args.rows, args.dim, args.queries, 7, args.random)
    exact = DenseIndex.build(base, "Flat")
    truth = [set(exact.search(q, 10).indices.tolist()) for q in queries]
    runs = []
    for kind in args.kinds.split(","):
        factory = "Flat" if kind == "flat" else dense_factory(args.rows, args.dim, kind)
        start = time.perf_counter()
        index = DenseIndex.build(base, factory)
        build_s = time.perf_counter() - start
        path = Path(tempfile.mkdtemp()) / "dense.faiss"
        index.save(path)
        size = path.stat().st_size
        settings: list[tuple[str, int]] = [("", 0)]
        inner: Any = getattr(index, "_index", None)
        if kind == "hnsw":
            settings = [("efSearch", v) for v in (64, 128, 256)]
        elif kind == "ivfpq":
            settings = [("nprobe", v) for v in (16, 32, 64)]
        for name, value in settings:
            if name == "efSearch":
                inner.hnsw.efSearch = value
            elif name == "nprobe":
                faiss.extract_index_ivf(inner).nprobe = value
            for q in queries[:20]:
                index.search(q, 10)
            times, recall = [], 0.0
            for q, want in zip(queries, truth, strict=True):
                t = time.perf_counter()
                hits = index.search(q, 10)
                times.append((time.perf_counter() - t) * 1000)
                recall += len(want & set(hits.indices.tolist())) / 10
            runs.append(
                {
                    "kind": kind,
                    "factory": factory,
                    name or "setting": value,
                    "build_s": round(build_s, 1),
                    "index_mib": round(size / 2**20, 1),
                    "query_ms": percentiles(times),
                    "recall@10": round(recall / len(queries), 4),
                }
            )
    write_result(
        args.out,
        {
            "benchmark": "dense",
            "rows": args.rows,
            "dim": args.dim,
            "vectors": "random" if args.random else "clustered",
            "machine": machine(),
            "runs": runs,
        },
    )


if __name__ == "__main__":
    main()
