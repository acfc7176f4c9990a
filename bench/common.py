"""What the benchmarks share: the machine's description, questions, percentiles, and a
process-tree sampler for peak memory and CPU time."""

from __future__ import annotations

import json
import os
import platform
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def benchmarks_dir() -> Path:
    """The folder of the benchmark files (``cmrc2018_dev.json``, ``drcd_dev.json``):
    ``$QA_BENCHMARKS_DIR``, else ``../shared/benchmarks`` beside the checkout, where the
    tests look too."""
    given = os.environ.get("QA_BENCHMARKS_DIR")
    return Path(given) if given else ROOT.parent / "shared" / "benchmarks"


def machine() -> dict[str, Any]:
    """CPU model, cores, memory and the load at the time of the run."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import psutil

    return {
        "cpu": model or platform.processor(),
        "cores": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
    }


def questions(corpus: Path) -> list[dict[str, Any]]:
    """The corpus's question set (``questions.jsonl`` of :mod:`bench.synth`)."""
    with (corpus / "questions.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def percentiles(values: Sequence[float]) -> dict[str, float]:
    """p50, p95, p99 and mean of ``values`` (milliseconds in, milliseconds out)."""
    arr = np.asarray(values, dtype=np.float64)
    return {
        "p50": round(float(np.percentile(arr, 50)), 3),
        "p95": round(float(np.percentile(arr, 95)), 3),
        "p99": round(float(np.percentile(arr, 99)), 3),
        "mean": round(float(arr.mean()), 3),
    }


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds of ``repeat`` calls."""
    wall, cpu = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        fn()
        cpu.append((time.process_time() - c) * 1000)
        wall.append((time.perf_counter() - w) * 1000)
    return wall, cpu


@dataclass
class TreeSample:
    """Peak memory of a process and its children, sampled."""

    peak_rss: int = 0
    peak_pss: int = 0
    peak_main_rss: int = 0
    samples: int = 0
    errors: list[str] = field(default_factory=list)


def _tree_memory(pid: int) -> tuple[int, int, int]:
    import psutil

    try:
        main = psutil.Process(pid)
        procs = [main, *main.children(recursive=True)]
    except psutil.Error:
        return 0, 0, 0
    rss = pss = 0
    main_rss = 0
    for p in procs:
        try:
            info = p.memory_full_info()
        except psutil.Error:
            continue
        rss += info.rss
        pss += getattr(info, "pss", info.rss)
        if p.pid == pid:
            main_rss = info.rss
    return rss, pss, main_rss


def run_sampled(
    command: Sequence[str], *, env: dict[str, str] | None = None, interval: float = 0.25
) -> tuple[subprocess.CompletedProcess[str], float, TreeSample, float]:
    """Run ``command``; return it, its wall seconds, peak memory of its process tree
    (RSS summed, PSS summed: pages shared between processes counted once), and the
    CPU seconds (user + system) of the tree."""
    import resource

    sample = TreeSample()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=ROOT,
    )
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            rss, pss, main = _tree_memory(proc.pid)
            sample.peak_rss = max(sample.peak_rss, rss)
            sample.peak_pss = max(sample.peak_pss, pss)
            sample.peak_main_rss = max(sample.peak_main_rss, main)
            sample.samples += 1
            done.wait(interval)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    done.set()
    watcher.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result = subprocess.CompletedProcess(command, proc.returncode, out, err)
    return result, wall, sample, cpu


def python(*args: str) -> list[str]:
    """A command running this interpreter with the repository first on the path."""
    return [sys.executable, *args]


def env() -> dict[str, str]:
    """The environment of benchmark subprocesses (this checkout's code, offline)."""
    return {
        "PYTHONPATH": str(ROOT),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }


def index_chunks(index: Path) -> int | None:
    """The number of chunks the index's manifest counts (``None`` where it has none)."""
    try:
        manifest = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
        return int(manifest["counts"]["chunks"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def mib(n: int) -> float:
    """Bytes in MiB, rounded."""
    return round(n / 2**20, 1)


def dir_bytes(path: Path) -> int:
    """Bytes of the files under ``path``."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def provenance() -> dict[str, str]:
    """When, on which code and by which command a record was made: the UTC time, the
    checkout's commit (``+changes`` where its tracked files outside docs/ differ from it) and the
    command line (``python -m bench.NAME ARGS``)."""
    commit = ""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
        dirty = subprocess.run(  # docs/ (the records file among them) measures nothing
            ["git", "diff", "--quiet", "HEAD", "--", ".", ":(exclude)docs"],
            cwd=ROOT,
            capture_output=True,
        )
        commit = head.stdout.strip() + ("+changes" if dirty.returncode == 1 else "")
    except OSError:
        pass
    module = Path(sys.argv[0]).stem if sys.argv and sys.argv[0] else ""
    command = " ".join(["python -m bench." + module, *sys.argv[1:]]) if module else ""
    return {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "commit": commit,
        "command": command,
    }


def write_result(path: Path | None, data: dict[str, Any]) -> None:
    """Print ``data`` as JSON, and append it to ``path`` (JSON lines) when given; the
    record carries its :func:`provenance` under ``recorded``."""
    data = {**data, "recorded": provenance()}
    text = json.dumps(data, ensure_ascii=False)
    print(text)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(text + "\n")


@contextmanager
def serving(
    index: Path,
    *,
    workers: int,
    port: int,
    environment: dict[str, str] | None = None,
    ready_within: float = 180.0,
) -> Iterator[subprocess.Popen[bytes]]:
    """``qa serve`` on ``index`` (BM25 only, warnings logged) on loopback ``port``, its
    own process group, once ``/readyz`` answers 200; stopped (SIGTERM, then SIGKILL after
    30 s) on leaving. ``environment`` adds to the server's environment.

    Raises:
        SystemExit: when the server is not ready within ``ready_within`` seconds.
    """
    server_env = {**os.environ, **env(), "QA_MODEL": "", "QA_LOG_LEVEL": "warning"}
    server_env.update(environment or {})
    qa = str(Path(sys.executable).parent / "qa")
    command = [qa, "serve", "--index", str(index), "--workers", str(workers)]
    command += ["--port", str(port), "--host", "127.0.0.1"]
    server = subprocess.Popen(
        command,
        env=server_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/readyz"
        end = time.monotonic() + ready_within
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - loopback
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > end:
                raise SystemExit(f"the server at {url} did not become ready")
            time.sleep(0.5)
        yield server
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
