"""Scale-out figures of docs/scale-out.md: ``qa ingest --ray`` throughput with 1 and 2
local Ray workers, and sharded BM25 search latency with 1, 2 and 4 shards.

Usage::

    python -m bench.synth --chunks 10000 --out bench-data/10k
    python -m bench.scale_out --corpus bench-data/10k --work /tmp/scale-out [--out r.jsonl]

In one process, on a local Ray instance of ``--cpus`` CPUs: plain ingest (``--workers``
processes) and Ray ingest with 1 and 2 actors of the corpus into new lexical indexes
(wall time from the call to the committed index; Ray's start is timed apart); then the
index written with 4 segments is searched with the corpus's questions: the single index
in this process, then sharded over 1, 2 and 4 actors (BM25 top-50, the candidates a
search takes, and whole searches of 5 passages), with each shard actor's resident
memory afterwards.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import time
from pathlib import Path
from typing import Any

from bench.common import dir_bytes, machine, mib, percentiles, questions, write_result

_CANDIDATES = 50


def _ingest(args: argparse.Namespace, name: str, **kwargs: Any) -> dict[str, Any]:
    from qa import AssistantConfig
    from qa.distributed import ray_ingest
    from qa.ingest import ingest_paths

    target = args.work / name
    shutil.rmtree(target, ignore_errors=True)
    config = AssistantConfig(model="")
    paths = [args.corpus / "articles.jsonl"]
    start = time.perf_counter()
    if kwargs.pop("ray"):
        assistant, _ = ray_ingest(paths, target, config, **kwargs)
    else:
        assistant, _ = ingest_paths(paths, target, config, **kwargs)
    seconds = time.perf_counter() - start
    assert assistant is not None
    chunks = assistant.snapshot.size
    return {
        "run": name,
        "chunks": chunks,
        "documents": assistant.snapshot.document_count,
        "segments": len(assistant.snapshot.states),
        "seconds": round(seconds, 2),
        "chunks_per_s": round(chunks / seconds),
        "index_mib": mib(dir_bytes(target)),
    }


def _latency(search: Any, texts: list[str]) -> dict[str, float]:
    times = []
    for text in texts:
        t = time.perf_counter()
        search(text)
        times.append((time.perf_counter() - t) * 1000)
    return percentiles(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--cpus", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)

    import psutil
    import ray

    from corpus.normalize import normalize_for_matching
    from qa import Assistant, AssistantConfig
    from qa.distributed import ShardedIndex, connect, sharded_retrievers
    from qa.retrieval.search import Searcher

    result: dict[str, Any] = {"bench": "scale_out", "machine": machine()}
    t = time.perf_counter()
    connect(num_cpus=args.cpus)
    result["ray_start_s"] = round(time.perf_counter() - t, 2)
    runs = [_ingest(args, "plain", ray=False, workers=args.workers)]
    for n in (1, 2):
        runs.append(_ingest(args, f"ray-{n}", ray=True, workers=n))
    # The index the shards split: 4 segments of about a quarter of the chunks each.
    quarter = math.ceil(runs[0]["chunks"] / 4)
    runs.append(_ingest(args, "ray-2-4seg", ray=True, workers=2, segment_rows=quarter))
    result["ingest"] = runs

    directory = args.work / "ray-2-4seg"
    config = AssistantConfig(model="")
    single = Assistant.load(directory, config)
    texts = [q["question"] for q in questions(args.corpus)[: args.queries]]
    folded = [normalize_for_matching(q) for q in texts]
    bm25 = single.snapshot.bm25
    latency: list[dict[str, Any]] = [
        {
            "shards": 0,
            "bm25_top50_ms": _latency(lambda q: bm25.search_normalized(q, _CANDIDATES), folded),
            "search_k5_ms": _latency(lambda q: single.search(q, k=5), texts),
            "driver_rss_mib": mib(psutil.Process().memory_info().rss),
        }
    ]
    for shards in (1, 2, 4):
        with ShardedIndex(directory, shards, cpus_per_shard=args.cpus / 4) as index:
            searcher = Searcher(index.snapshot, sharded_retrievers(index, None))
            for q in folded[:10]:  # warm up
                index.search_bm25(q, _CANDIDATES)
            row: dict[str, Any] = {
                "shards": shards,
                "bm25_top50_ms": _latency(
                    lambda q, index=index: index.search_bm25(q, _CANDIDATES), folded
                ),
                "search_k5_ms": _latency(lambda q, s=searcher: s.search(q, 5), texts),
            }
            pids = ray.get([a.__ray_call__.remote(lambda _: os.getpid()) for a in index.actors])
            row["shard_rss_mib"] = [mib(psutil.Process(p).memory_info().rss) for p in pids]
            latency.append(row)
    result["latency"] = latency
    result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    write_result(args.out, result)
    ray.shutdown()


if __name__ == "__main__":
    main()
