"""Start-up: a cold ``qa ask`` and ``qa --help``, each in a new process, as a user runs
them.

Usage::

    python -m bench.startup [--runs 10] [--index DIR] [--question Q] [--out FILE]

Builds a BM25-only index of the bundled articles in DIR first when it has none (one
``qa ask --model ""``, not timed; it also writes jieba's word cache where it is
missing), then runs ``qa ask QUESTION --index DIR --model ""`` RUNS times and
``qa --help`` RUNS times, each in a new process, and prints the median, min and max CPU
time (user + system, from ``getrusage`` of the finished child) and wall time of each,
with the load average before and after (CPU time is the figure to compare on a shared
machine). Nothing is downloaded (``HF_HUB_OFFLINE=1``).

Python's bytecode cache counts: where ``PYTHONDONTWRITEBYTECODE`` is set, every module of
the project is compiled from source in every run (0.1-0.3 s more). ``--pycache DIR``
lets the runs keep their bytecode under DIR (``PYTHONPYCACHEPREFIX``), as an installed
package's is kept, without writing into the checkout; the result says which it was.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import ROOT, env, write_result

QUESTION = "长三角国资百企联盟创新子联盟由哪些企业牵头组建?"


def qa_command() -> list[str]:
    """The ``qa`` console script beside this interpreter (else ``python -c``)."""
    script = Path(sys.executable).with_name("qa")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from qa.cli import main; main()"]


def run_once(command: Sequence[str], extra: dict[str, str] | None = None) -> tuple[float, float]:
    """CPU seconds (user + system) and wall seconds of one run of ``command``.

    Raises:
        RuntimeError: when the command fails.
    """
    environment = {**os.environ, **env(), **(extra or {})}
    if "PYTHONPYCACHEPREFIX" in (extra or {}):
        environment.pop("PYTHONDONTWRITEBYTECODE", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        list(command),
        capture_output=True,
        text=True,
        env=environment,
        cwd=ROOT,
        check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}: {done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def measure(
    command: Sequence[str], runs: int, extra: dict[str, str] | None = None
) -> dict[str, Any]:
    """Median, min and max CPU and wall seconds of ``runs`` fresh runs of ``command``."""
    cpu, wall = zip(*(run_once(command, extra) for _ in range(runs)), strict=True)
    return {
        "runs": runs,
        "cpu_s": _summary(cpu),
        "wall_s": _summary(wall),
    }


def _summary(values: Sequence[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="fresh processes per command")
    parser.add_argument("--index", type=Path, help="index directory (default: a new one)")
    parser.add_argument("--question", default=QUESTION)
    parser.add_argument("--out", type=Path, help="append the result to this JSON-lines file")
    parser.add_argument(
        "--pycache", type=Path, help="keep the runs' bytecode here (PYTHONPYCACHEPREFIX)"
    )
    args = parser.parse_args()
    extra = {"PYTHONPYCACHEPREFIX": str(args.pycache)} if args.pycache else {}
    bytecode = (
        f"cached in {args.pycache}"
        if args.pycache
        else ("compiled every run" if os.environ.get("PYTHONDONTWRITEBYTECODE") else "cached")
    )
    index = args.index or Path(tempfile.mkdtemp(prefix="qa-startup-")) / "index"
    qa = qa_command()
    ask = [*qa, "ask", args.question, "--index", str(index), "--model", ""]
    run_once(ask, extra)  # builds the index where there is none; warms the caches
    run_once([*qa, "--help"], extra)
    load_before = [round(x, 2) for x in os.getloadavg()]
    result: dict[str, Any] = {
        "bench": "startup",
        "cores": os.cpu_count(),
        "python": sys.version.split()[0],
        "bytecode": bytecode,
        "load_average_before": load_before,
        "ask": measure(ask, args.runs, extra),
        "help": measure([*qa, "--help"], args.runs, extra),
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "index": str(index),
    }
    for name in ("ask", "help"):
        row = result[name]
        print(
            f"qa {name:<4}  CPU median {row['cpu_s']['median']:.3f} s "
            f"(min {row['cpu_s']['min']:.3f}, max {row['cpu_s']['max']:.3f}), "
            f"wall median {row['wall_s']['median']:.3f} s over {row['runs']} fresh processes",
            file=sys.stderr,
        )
    print(
        f"load average (1, 5, 15 min): before {load_before}, after "
        f"{result['load_average_after']} on {os.cpu_count()} cores; bytecode {bytecode}",
        file=sys.stderr,
    )
    write_result(args.out, result)


if __name__ == "__main__":
    main()
