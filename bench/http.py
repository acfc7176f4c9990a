"""HTTP throughput and latency of ``POST /v1/ask`` on loopback, with wrk.

Usage::

    python -m bench.http --corpus bench-data/100k [--index DIR] [--workers 1,2] \
        [--clients 1,8,32] [--seconds 20] [--out FILE]

For each number of worker processes, starts ``qa serve`` on the index (BM25 only), waits
until ``/readyz`` answers, and runs Debian's ``wrk`` (``apt-get install wrk``) for
``--seconds`` at each number of concurrent connections, cycling through the corpus's
questions (a Lua script posts a different question per request). Reports requests/s
and wrk's latency percentiles (50/75/90/99), and any non-2xx responses. wrk runs on the
same machine (two threads; it needs a few percent of one core).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.common import index_chunks, machine, questions, serving, write_result

_LUA = """
local bodies = {%s}
local i = 0
request = function()
  i = i %% #bodies + 1
  return wrk.format("POST", "/v1/ask", {["Content-Type"] = "application/json"}, bodies[i])
end
"""


def _lua(qs: list[str]) -> str:
    bodies = ",\n".join(
        "[==[" + json.dumps({"question": q}, ensure_ascii=False) + "]==]" for q in qs
    )
    return _LUA % bodies


def _ms(value: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", value)
    if not m:
        return float("nan")
    number, unit = float(m.group(1)), m.group(2)
    return number / 1000 if unit == "us" else number * 1000 if unit == "s" else number


def _parse(output: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    m = re.search(r"Requests/sec:\s+([\d.]+)", output)
    out["requests_per_s"] = float(m.group(1)) if m else None
    for pct in ("50", "75", "90", "99"):
        m = re.search(rf"^\s+{pct}%\s+(\S+)", output, re.MULTILINE)
        out[f"p{pct}_ms"] = round(_ms(m.group(1)), 2) if m else None
    m = re.search(r"(\d+) requests in", output)
    out["requests"] = int(m.group(1)) if m else None
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    out["non_2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: (.*)", output)
    out["socket_errors"] = m.group(1).strip() if m else ""
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--index", type=Path, default=None, help="default CORPUS/index")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--port", type=int, default=18765)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    index = args.index or args.corpus / "index"
    qs = [q["question"] for q in questions(args.corpus)]
    script = Path(tempfile.mkdtemp(prefix="bench-http-")) / "ask.lua"
    script.write_text(_lua(qs), encoding="utf-8")
    runs = []
    for workers in (int(w) for w in args.workers.split(",")):
        with serving(index, workers=workers, port=args.port):
            base = f"http://127.0.0.1:{args.port}"
            # Warm every worker: caches and mapped pages.
            subprocess.run(
                ["wrk", "-t2", "-c8", "-d5s", "-s", str(script), base],
                capture_output=True,
                check=True,
            )
            for clients in (int(c) for c in args.clients.split(",")):
                threads = min(2, clients)
                wrk = subprocess.run(
                    [
                        "wrk",
                        f"-t{threads}",
                        f"-c{clients}",
                        f"-d{args.seconds}s",
                        "--timeout",
                        "10s",
                        "--latency",
                        "-s",
                        str(script),
                        base,
                    ],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                run = {"workers": workers, "clients": clients, **_parse(wrk.stdout)}
                runs.append(run)
                print(json.dumps(run), file=sys.stderr)
    write_result(
        args.out,
        {
            "benchmark": "http",
            "corpus": str(args.corpus),
            "index": str(index),
            "chunks": index_chunks(index),
            "seconds": args.seconds,
            "machine": machine(),
            "runs": runs,
        },
    )


if __name__ == "__main__":
    main()
