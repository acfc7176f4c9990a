"""Scale-out figures of docs/scale-out.md: ``qa ingest --ray`` throughput with 1 and 2
local Ray workers, its segments written by the driver or by Ray writer actors in
parallel, and sharded BM25 search latency with 1, 2 and 4 shards.

Usage::

    python -m bench.synth --chunks 10000 --out bench-data/10k
    python -m bench.scale_out --corpus bench-data/10k --work /tmp/scale-out [--out r.jsonl]
        [--repeat 3] [--no-latency]
    python -m bench.scale_out --corpus bench-data/10k --work /tmp/scale-out --driver

In one process, on a local Ray instance of ``--cpus`` CPUs: plain ingest (``--workers``
processes) and Ray ingest with 1 and 2 preparing actors of the corpus into new lexical
indexes, each with its segments built, written and committed by the driver in turn
(``writers=0``, as before) and by ``--writers`` Ray writer actors in parallel, committed
at once; each as one segment (the default segment size) and as 4 segments. Wall time
from the call to the committed index (Ray's start is timed apart); the runs are
interleaved and repeated ``--repeat`` times (the median is reported with every time).
Then the index written with 4 segments is searched with the corpus's questions: the
single index in this process, then sharded over 1, 2 and 4 actors (BM25 top-50, the
candidates a search takes, and whole searches of 5 passages), with each shard actor's
resident memory afterwards.

``--driver`` measures only the driver's share of a Ray ingest instead: the corpus is
prepared first, in this process, and then ingested from memory, in segments of
``--driver-segment-rows`` chunks written by this process in turn or by Ray writer
actors.
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

    target = args.work / name.rsplit("#", 1)[0]
    shutil.rmtree(target, ignore_errors=True)
    config = AssistantConfig(model="")
    paths = [args.corpus / "articles.jsonl"]
    start, cpu = time.perf_counter(), time.process_time()
    if kwargs.pop("ray"):
        assistant, _ = ray_ingest(paths, target, config, **kwargs)
    else:
        assistant, _ = ingest_paths(paths, target, config, **kwargs)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert assistant is not None
    chunks = assistant.snapshot.size
    return {
        "run": name.rsplit("#", 1)[0],
        "chunks": chunks,
        "documents": assistant.snapshot.document_count,
        "segments": len(assistant.snapshot.states),
        "seconds": round(seconds, 2),
        "chunks_per_s": round(chunks / seconds),
        "driver_cpu_s": round(cpu, 2),
        "index_mib": mib(dir_bytes(target)),
    }


def _driver(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The driver's share of an ingest: the corpus prepared beforehand, in memory, then
    ingested from there (what is new, segments, commits), its segments written by the
    driver in turn or by Ray writer actors (``--writers``), in segments of
    ``--driver-segment-rows`` chunks."""
    from corpus.chunking import ChunkingConfig
    from corpus.loaders import plan_load
    from embeddings.tokenize import get_tokenizer
    from qa import AssistantConfig
    from qa.distributed import RaySegmentSink
    from qa.ingest import ingest_paths, prepare_part

    config = AssistantConfig(model="")
    paths = [args.corpus / "articles.jsonl"]
    tokenizer = get_tokenizer(config.tokenizer)
    chunking = ChunkingConfig(config.chunk_size, config.chunk_overlap)
    parts = [(task, prepare_part(task, chunking, tokenizer, True)) for task in plan_load(paths)]

    def from_memory(tasks: Any, settings: Any) -> Any:
        yield from parts

    rows: list[dict[str, Any]] = []
    for rep in range(args.repeat):
        for name, writers in (("driver", 0), ("driver-parallel", args.writers)):
            target = args.work / name
            shutil.rmtree(target, ignore_errors=True)
            start, cpu = time.perf_counter(), time.process_time()
            assistant, _ = ingest_paths(
                paths,
                target,
                config,
                segment_rows=args.driver_segment_rows,
                runner=from_memory,
                sink=RaySegmentSink(writers) if writers else None,
            )
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
            assert assistant is not None
            chunks = assistant.snapshot.size
            rows.append(
                {
                    "run": name,
                    "repeat": rep,
                    "chunks": chunks,
                    "segments": len(assistant.snapshot.states),
                    "seconds": round(seconds, 2),
                    "chunks_per_s": round(chunks / seconds),
                    "driver_cpu_s": round(cpu, 2),
                    "chunks_per_driver_cpu_s": round(chunks / cpu),
                }
            )
    return rows


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
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--no-latency", action="store_true")
    parser.add_argument("--driver", action="store_true", help="measure the driver's share only")
    parser.add_argument("--driver-segment-rows", type=int, default=1200)
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
    if args.driver:
        result["driver"] = _driver(args)
        result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        write_result(args.out, result)
        ray.shutdown()
        return
    runs = [_ingest(args, "plain", ray=False, workers=args.workers)]
    # 4 segments of about a quarter of the chunks each (the index the shards split).
    quarter = math.ceil(runs[0]["chunks"] / 4)
    plans: list[tuple[str, dict[str, Any]]] = []
    for segments, rows in (("", {}), ("-4seg", {"segment_rows": quarter})):
        for n in (1, 2):
            for mode, writers in (("", 0), ("-parallel", args.writers)):
                name = f"ray-{n}{segments}{mode}"
                plans.append((name, {"ray": True, "workers": n, "writers": writers, **rows}))
    timed: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in plans}
    for rep in range(args.repeat):
        for name, kwargs in plans:
            timed[name].append(_ingest(args, f"{name}#{rep}", **dict(kwargs)))
    for name, _ in plans:
        rows_ = timed[name]
        best = dict(rows_[0])
        seconds = sorted(r["seconds"] for r in rows_)
        best["seconds"] = seconds[len(seconds) // 2]
        best["chunks_per_s"] = round(best["chunks"] / best["seconds"])
        best["all_seconds"] = [r["seconds"] for r in rows_]
        cpus = sorted(r["driver_cpu_s"] for r in rows_)
        best["driver_cpu_s"] = cpus[len(cpus) // 2]
        runs.append(best)
    result["ingest"] = runs
    if args.no_latency:
        result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        write_result(args.out, result)
        ray.shutdown()
        return

    directory = args.work / "ray-2-4seg-parallel"
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
