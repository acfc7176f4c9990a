"""Mixed load against ``qa serve``: questions, searches, chat and streamed chat from many
clients while documents are added and deleted, with the servers' memory over time.

Usage::

    python -m bench.mixed --corpus bench-data/10k [--index DIR] [--workers 1,2] \
        [--clients 32] [--seconds 60] [--write-every 5] [--out FILE]

For each number of worker processes, copies the index to a scratch folder (the writes
change it), starts ``qa serve`` on the copy (BM25 only, ``QA_PERSIST`` on, so every
worker serves each committed write), waits for ``/readyz`` and warms every worker for
``--warm-up`` seconds. Then ``--clients`` concurrent clients (one asyncio loop in this
process, httpx) each send, one after the other, ``POST /v1/ask`` (half the requests),
``GET /v1/search`` (a quarter), ``POST /v1/chat/completions`` (an eighth) and the same
streamed (an eighth, timed to the last byte), cycling through the corpus's questions,
while one more client adds an article every ``--write-every`` seconds and deletes the one
it added before. Reports per kind of request the count, errors (non-2xx, and failed
connections), p50/p95/p99 latency; reads together; the writes' latency; the servers'
resident memory (the sum over the server and its workers, sampled each second: after
the warm-up, at a third of the run, its peak and at the end; "flat" compares the end
with the third); and the share of the machine's CPU the load generator itself used
(this process's CPU time over wall time times cores), which the server did not have.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.common import index_chunks, machine, percentiles, questions, serving, write_result

KEY = "bench-mixed-key"
"""The API key the server is started with (writes need one)."""

MIX = ("ask", "ask", "ask", "ask", "search", "search", "chat", "stream")
"""One cycle of each client's requests: half asks, a quarter searches, chat, streamed."""


def tree_rss(pid: int) -> int:
    """Resident memory of ``pid`` and its children, in bytes (0 once it is gone)."""
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


class MemorySampler:
    """Samples :func:`tree_rss` of a process every ``every`` seconds in a thread."""

    def __init__(self, pid: int, every: float = 1.0) -> None:
        self.pid = pid
        self.every = every
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        start = time.monotonic()
        while not self._stop.is_set():
            self.samples.append((time.monotonic() - start, tree_rss(self.pid)))
            self._stop.wait(self.every)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def summary(self) -> dict[str, float]:
        """MiB: first sample, the one at a third of the run, the peak, the last, and
        last minus the third (memory flat after warm-up: near 0)."""
        if not self.samples:
            return {}
        mib = [rss / 2**20 for _, rss in self.samples]
        third = mib[len(mib) // 3]
        return {
            "start_mib": round(mib[0], 1),
            "third_mib": round(third, 1),
            "peak_mib": round(max(mib), 1),
            "end_mib": round(mib[-1], 1),
            "growth_after_third_mib": round(mib[-1] - third, 1),
        }


async def _request(client: Any, kind: str, question: str) -> tuple[int, float]:
    """Send one request of ``kind``; its status and seconds to the last byte."""
    start = time.perf_counter()
    if kind == "ask":
        r = await client.post("/v1/ask", json={"question": question})
        status = r.status_code
    elif kind == "search":
        r = await client.get("/v1/search", params={"q": question, "k": 5})
        status = r.status_code
    else:
        body = {
            "model": "zhnews-qa",
            "messages": [{"role": "user", "content": question}],
            "stream": kind == "stream",
        }
        if kind == "stream":
            async with client.stream("POST", "/v1/chat/completions", json=body) as r:
                async for _ in r.aiter_bytes():
                    pass
                status = r.status_code
        else:
            r = await client.post("/v1/chat/completions", json=body)
            status = r.status_code
    return status, time.perf_counter() - start


async def _reader(
    client: Any,
    offset: int,
    qs: list[str],
    deadline: float,
    times: dict[str, list[float]],
    errors: dict[str, int],
) -> None:
    kinds = itertools.cycle(MIX[offset % len(MIX) :] + MIX[: offset % len(MIX)])
    pool = itertools.cycle(qs[offset % len(qs) :] + qs[: offset % len(qs)])
    while time.monotonic() < deadline:
        kind, question = next(kinds), next(pool)
        try:
            status, seconds = await _request(client, kind, question)
        except Exception:  # noqa: BLE001 - a failed connection is an error to count
            errors[kind] += 1
            continue
        if 200 <= status < 300:
            times[kind].append(seconds * 1000)
        else:
            errors[kind] += 1


async def _writer(
    client: Any,
    every: float,
    deadline: float,
    times: dict[str, list[float]],
    errors: dict[str, int],
) -> None:
    headers = {"Authorization": f"Bearer {KEY}"}
    added: str | None = None
    n = 0
    while time.monotonic() + every < deadline:
        await asyncio.sleep(every)
        start = time.perf_counter()
        try:
            if added is None:
                n += 1
                article = {
                    "id": f"bench-mixed-{n}",
                    "title": f"压力测试稿件第{n}号",
                    "text": f"这是第{n}篇压力测试稿件。" * 20,
                }
                r = await client.post(
                    "/v1/documents", json={"articles": [article]}, headers=headers
                )
                kind, added = "add", article["id"]
            else:
                r = await client.delete(f"/v1/documents/{added}", headers=headers)
                kind, added = "delete", None
        except Exception:  # noqa: BLE001
            errors["write"] += 1
            continue
        if 200 <= r.status_code < 300:
            times[kind].append((time.perf_counter() - start) * 1000)
        else:
            errors["write"] += 1


async def mixed_load(
    base: str,
    qs: list[str],
    clients: int,
    seconds: float,
    write_every: float,
    *,
    transport: Any = None,
) -> tuple[dict[str, list[float]], dict[str, int]]:
    """Run the mixed load against ``base`` for ``seconds``: each kind's latencies (ms,
    of the requests that succeeded) and error counts (``write`` for the writes).
    ``transport``: an httpx transport (an app in this process, for tests)."""
    import httpx

    times: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    limits = httpx.Limits(max_connections=clients + 1, max_keepalive_connections=clients + 1)
    async with httpx.AsyncClient(
        base_url=base, timeout=30.0, limits=limits, transport=transport
    ) as client:
        deadline = time.monotonic() + seconds
        tasks = [_reader(client, i, qs, deadline, times, errors) for i in range(clients)]
        if write_every > 0:
            tasks.append(_writer(client, write_every, deadline, times, errors))
        await asyncio.gather(*tasks)
    return times, errors


def run_once(
    index: Path,
    qs: list[str],
    *,
    workers: int,
    clients: int,
    seconds: float,
    warm_up: float,
    write_every: float,
    port: int,
) -> dict[str, Any]:
    """One server with ``workers`` workers on a copy of ``index``, under the mixed load."""
    scratch = Path(tempfile.mkdtemp(prefix="bench-mixed-"))
    copy = scratch / "index"
    shutil.copytree(index, copy)
    base = f"http://127.0.0.1:{port}"
    extra = {"QA_PERSIST": "true", "QA_API_KEY": KEY}
    try:
        with serving(copy, workers=workers, port=port, environment=extra) as server:
            asyncio.run(mixed_load(base, qs, clients, warm_up, 0))  # every worker warm
            before = resource.getrusage(resource.RUSAGE_SELF)
            wall = time.perf_counter()
            with MemorySampler(server.pid) as memory:
                times, errors = asyncio.run(mixed_load(base, qs, clients, seconds, write_every))
            wall = time.perf_counter() - wall
            after = resource.getrusage(resource.RUSAGE_SELF)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    generator_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    reads = [t for kind in ("ask", "search", "chat", "stream") for t in times[kind]]
    kinds = {
        kind: {
            "requests": len(times[kind]),
            "errors": errors[kind],
            **(
                {k: round(v, 1) for k, v in percentiles(times[kind]).items()} if times[kind] else {}
            ),
        }
        for kind in ("ask", "search", "chat", "stream", "add", "delete")
    }
    return {
        "workers": workers,
        "clients": clients,
        "seconds": round(wall, 1),
        "reads_per_s": round(len(reads) / wall, 1),
        "reads": {k: round(v, 1) for k, v in percentiles(reads).items()} if reads else {},
        "errors": sum(errors.values()),
        "write_errors": errors["write"],
        "kinds": kinds,
        "memory": memory.summary(),
        "generator_cpu_share": round(generator_cpu / (wall * (os.cpu_count() or 1)), 3),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--index", type=Path, default=None, help="default CORPUS/index")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--warm-up", type=float, default=10.0)
    parser.add_argument("--write-every", type=float, default=5.0, help="0: no writes")
    parser.add_argument("--port", type=int, default=18766)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    index = args.index or args.corpus / "index"
    qs = [q["question"] for q in questions(args.corpus)]
    runs = []
    for workers in (int(w) for w in args.workers.split(",")):
        run = run_once(
            index,
            qs,
            workers=workers,
            clients=args.clients,
            seconds=args.seconds,
            warm_up=args.warm_up,
            write_every=args.write_every,
            port=args.port,
        )
        runs.append(run)
        print(json.dumps(run, ensure_ascii=False), file=sys.stderr)
    write_result(
        args.out,
        {
            "benchmark": "mixed",
            "corpus": str(args.corpus),
            "index": str(index),
            "chunks": index_chunks(index),
            "machine": machine(),
            "runs": runs,
        },
    )


if __name__ == "__main__":
    main()
