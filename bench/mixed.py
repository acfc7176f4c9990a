"""Mixed load against ``qa serve``: questions, searches, chat and streamed chat from many
clients while documents are added and deleted, with the servers' memory over time.

Usage::

    python -m bench.mixed --corpus bench-data/10k [--index DIR] [--workers 1,2] \
        [--clients 32] [--seconds 60] [--write-every 5] [--generator wrk|httpx] [--out FILE]

For each number of worker processes, copies the index to a scratch folder (the writes
change it), starts ``qa serve`` on the copy (BM25 only, ``QA_PERSIST`` on, so every
worker serves each committed write), waits for ``/readyz`` and warms every worker for
``--warm-up`` seconds. Then ``--clients`` concurrent connections send ``POST /v1/ask``
(half of them), ``GET /v1/search`` (a quarter), ``POST /v1/chat/completions`` (an
eighth) and the same streamed (an eighth, timed to the last byte), each one request
after the other, cycling through the corpus's questions, while one more client adds an
article every ``--write-every`` seconds and deletes the one it added before.

The load comes from Debian's ``wrk`` (``--generator wrk``, the default where it is
installed): one wrk process of one thread per kind of request, with its share of the
connections, a Lua script posting a different question per request and printing its
latency distribution, which are merged for the reads' percentiles. ``--generator
httpx`` sends the same mix from one asyncio loop in this process (each client cycling
through the kinds); on two cores that loop takes about a fifth of the machine and its
own scheduling delays show as latency: at 10k chunks, 2 workers, asks alone, it
measured p99 1,161 ms at 124 requests/s where wrk measured 360 ms at 186 (2026-12-07).

Reports per kind of request the count, errors (non-2xx, and failed
connections), p50/p95/p99 latency; reads together; the writes' latency; the servers'
resident memory (the sum over the server and its workers, sampled each second: after
the warm-up, at a third of the run, its peak and at the end; "flat" compares the end
with the third); and the share of the machine's CPU the load generator itself used
(the CPU time of this process and of its wrk processes over wall time times cores),
which the server did not have.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

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


_WRK_LUA = """
local bodies = {%(bodies)s}
local i = %(offset)d
request = function()
  i = i %% #bodies + 1
  %(request)s
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%d %%d %%d %%d %%.1f\\n", summary.requests,
    e.connect, e.read, e.write, e.status, e.timeout, latency.mean))
  for p = 1, 1000 do
    io.write(string.format("PCT %%d\\n", latency:percentile(p / 10)))
  end
end
"""

_JSON_POST = 'return wrk.format("POST", "%s", {["Content-Type"] = "application/json"}, bodies[i])'


def wrk_script(kind: str, qs: list[str], offset: int = 0) -> str:
    """The Lua script that makes wrk send requests of ``kind`` (a different question
    each, from the ``offset``-th) and print its counts and latency distribution (the
    0.1st to the 100th percentile, microseconds) when done."""
    if kind == "search":
        bodies = ["/v1/search?k=5&q=" + urllib.parse.quote(q) for q in qs]
        request = 'return wrk.format("GET", bodies[i])'
    elif kind == "ask":
        bodies = [json.dumps({"question": q}, ensure_ascii=False) for q in qs]
        request = _JSON_POST % "/v1/ask"
    elif kind in ("chat", "stream"):
        bodies = [
            json.dumps(
                {
                    "model": "zhnews-qa",
                    "messages": [{"role": "user", "content": q}],
                    "stream": kind == "stream",
                },
                ensure_ascii=False,
            )
            for q in qs
        ]
        request = _JSON_POST % "/v1/chat/completions"
    else:
        raise ValueError(f"no request of kind {kind!r}")
    level = "=" * next(n for n in itertools.count(2) if not any("]" + "=" * n in b for b in bodies))
    quoted = ",\n".join(f"[{level}[{b}]{level}]" for b in bodies)
    return _WRK_LUA % {"bodies": quoted, "offset": offset % len(qs), "request": request}


@dataclass(frozen=True)
class WrkResult:
    """What one wrk process measured: requests completed (any status), those that
    failed (a status outside 2xx/3xx, or a socket error) and the latency at each
    0.1 percentile (ms, 1,000 values)."""

    requests: int
    errors: int
    mean_ms: float
    quantiles_ms: tuple[float, ...]

    @classmethod
    def parse(cls, output: str) -> WrkResult:
        """Read what :func:`wrk_script`'s ``done`` printed.

        Raises:
            ValueError: when the output holds no result.
        """
        result: list[str] | None = None
        quantiles: list[float] = []
        for line in output.splitlines():
            if line.startswith("RESULT "):
                result = line.split()[1:]
            elif line.startswith("PCT "):
                quantiles.append(int(line.split()[1]) / 1000)
        if result is None or len(quantiles) != 1000:
            raise ValueError(f"wrk printed no result: {output[-500:]!r}")
        requests, *errors, mean = result
        return cls(int(requests), sum(int(e) for e in errors), float(mean) / 1000, tuple(quantiles))

    def percentiles(self) -> dict[str, float]:
        """p50, p95, p99 and mean, as :func:`bench.common.percentiles` reports them."""
        q = self.quantiles_ms
        return {"p50": q[499], "p95": q[949], "p99": q[989], "mean": round(self.mean_ms, 3)}


def merged_percentiles(results: list[WrkResult]) -> dict[str, float]:
    """p50, p95, p99 and mean over the requests of several wrk runs: each run's 1,000
    quantiles weighted by its number of requests."""
    values = np.concatenate([np.asarray(r.quantiles_ms) for r in results])
    weights = np.concatenate([np.full(1000, r.requests / 1000) for r in results])
    order = np.argsort(values, kind="stable")
    values, cumulative = values[order], np.cumsum(weights[order])
    total = cumulative[-1]

    def at(q: float) -> float:
        return round(float(values[np.searchsorted(cumulative, q * total)]), 3)

    mean = sum(r.mean_ms * r.requests for r in results) / max(1, sum(r.requests for r in results))
    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "mean": round(mean, 3)}


def connections(clients: int) -> dict[str, int]:
    """``clients`` connections shared among the kinds as :data:`MIX` shares them (each
    kind at least one)."""
    shares = {kind: MIX.count(kind) / len(MIX) for kind in dict.fromkeys(MIX)}
    out = {kind: max(1, round(clients * share)) for kind, share in shares.items()}
    out["ask"] += clients - sum(out.values())  # what rounding left over
    if out["ask"] < 1:
        raise ValueError(f"{clients} clients cannot send {len(shares)} kinds of request")
    return out


def wrk_load(
    base: str, qs: list[str], clients: int, seconds: float, write_every: float
) -> tuple[dict[str, WrkResult], dict[str, list[float]], dict[str, int]]:
    """The mixed load from wrk, one process a kind, for ``seconds``, with the writes
    from this process: each kind's result, and the writes' latencies and errors."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed (apt-get install wrk), or use --generator httpx")
    procs: dict[str, subprocess.Popen[str]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-mixed-wrk-") as tmp:
        for i, (kind, n) in enumerate(connections(clients).items()):
            script = Path(tmp) / f"{kind}.lua"
            script.write_text(wrk_script(kind, qs, offset=i * 97), encoding="utf-8")
            command = [wrk, "-t1", f"-c{n}", f"-d{seconds:g}s", "--timeout", "60s"]
            procs[kind] = subprocess.Popen(
                [*command, "-s", str(script), base],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        writes: tuple[dict[str, list[float]], dict[str, int]] = (defaultdict(list), {})
        if write_every > 0:
            writes = asyncio.run(mixed_load(base, qs, 0, seconds, write_every))
        results = {kind: WrkResult.parse(proc.communicate()[0]) for kind, proc in procs.items()}
    return results, writes[0], dict(writes[1])


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
    generator: str = "wrk",
) -> dict[str, Any]:
    """One server with ``workers`` workers on a copy of ``index``, under the mixed load
    from ``generator`` (``wrk`` or ``httpx``)."""
    scratch = Path(tempfile.mkdtemp(prefix="bench-mixed-"))
    copy = scratch / "index"
    shutil.copytree(index, copy)
    base = f"http://127.0.0.1:{port}"
    extra = {"QA_PERSIST": "true", "QA_API_KEY": KEY}
    reads: dict[str, dict[str, float]] = {}
    counts: dict[str, int] = {}
    try:
        with serving(copy, workers=workers, port=port, environment=extra) as server:
            asyncio.run(mixed_load(base, qs, clients, warm_up, 0))  # every worker warm
            before = _cpu_seconds()
            wall = time.perf_counter()
            with MemorySampler(server.pid) as memory:
                if generator == "wrk":
                    results, times, errors = wrk_load(base, qs, clients, seconds, write_every)
                    for kind, result in results.items():
                        reads[kind] = result.percentiles()
                        counts[kind] = result.requests - result.errors
                        errors[kind] = result.errors
                    reads["all"] = merged_percentiles(list(results.values()))
                else:
                    times, errors = asyncio.run(mixed_load(base, qs, clients, seconds, write_every))
            wall = time.perf_counter() - wall
            generator_cpu = _cpu_seconds() - before
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if generator != "wrk":
        for kind in ("ask", "search", "chat", "stream"):
            if times[kind]:
                reads[kind] = percentiles(times[kind])
            counts[kind] = len(times[kind])
        every = [t for kind in ("ask", "search", "chat", "stream") for t in times[kind]]
        if every:
            reads["all"] = percentiles(every)
    for kind in ("add", "delete"):
        counts[kind] = len(times[kind])
        if times[kind]:
            reads[kind] = percentiles(times[kind])
    kinds = {
        kind: {
            "requests": counts.get(kind, 0),
            "errors": errors.get(kind, 0),
            **{k: round(v, 1) for k, v in reads.get(kind, {}).items()},
        }
        for kind in ("ask", "search", "chat", "stream", "add", "delete")
    }
    total_reads = sum(counts.get(kind, 0) for kind in ("ask", "search", "chat", "stream"))
    return {
        "workers": workers,
        "clients": clients,
        "generator": generator,
        "seconds": round(wall, 1),
        "reads_per_s": round(total_reads / wall, 1),
        "reads": {k: round(v, 1) for k, v in reads.get("all", {}).items()},
        "errors": sum(errors.values()),
        "write_errors": errors.get("write", 0),
        "kinds": kinds,
        "memory": memory.summary(),
        "generator_cpu_share": round(generator_cpu / (wall * (os.cpu_count() or 1)), 3),
    }


def _cpu_seconds() -> float:
    """CPU seconds of this process and of its children that have been waited for (the
    wrk processes; the server is still running)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


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
    parser.add_argument(
        "--generator",
        choices=("wrk", "httpx"),
        default="wrk" if shutil.which("wrk") else "httpx",
        help="the load generator (default: wrk where installed)",
    )
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
            generator=args.generator,
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
