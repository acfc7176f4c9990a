"""Peak memory of ``qa ingest`` and of an upload on a generated crawl archive
(docs/reliability.md, "Archives are streamed").

Run from the repository root: ``python docs/scripts/warc_memory.py [RECORDS] [MB]
[UPLOAD_RECORDS]`` (default 240 records of 19 MB pages for the ingest, 40 for the
upload, as in issue 30). Each run is a fresh process; its peak resident memory
(``ru_maxrss``: the process itself and, separately, the largest of the worker processes
it waited for) is printed with the wall time. The upload is ``POST /v1/documents`` of the
archive to a service (in-process, ``TestClient``) over an index of the bundled articles;
its peak is printed beside the process's memory before the request.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from io import BytesIO
from pathlib import Path

PAGE = Path("tests/corpus/fixtures/pages/jiangnan/a/20240612-neto.html")


def write_archive(path: Path, records: int, size: int) -> None:
    """``records`` HTML responses of about ``size`` bytes each: an article page padded
    with a comment (read and parsed whole, dropped by extraction), one gzip member each."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    page = PAGE.read_bytes()
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=path.name.endswith(".gz"))
        for i in range(records):
            pad = b"<!--" + (b"%08d " % i) * (size // 9) + b"-->"
            body = page.replace(b"</body>", pad + b"</body>")
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
            writer.write_record(
                writer.create_warc_record(
                    f"https://www.example.com/a/{i}.html",
                    "response",
                    payload=BytesIO(body),
                    http_headers=http,
                )
            )


_CHILD = """
import resource, sys, time
t = time.perf_counter()
from qa.cli import app
try:
    app(sys.argv[1:])
except SystemExit as e:
    code = e.code
self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
kids_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"RESULT {code} {self_kb} {kids_kb} {time.perf_counter() - t:.1f}", file=sys.stderr)
"""


_UPLOAD = """
import resource, sys, time
from pathlib import Path
from fastapi.testclient import TestClient
from qa import Assistant, AssistantConfig
from service import create_app
from service.settings import Settings
index, archive = Path(sys.argv[1]), Path(sys.argv[2])
config = AssistantConfig(model="")
settings = Settings(index_dir=index, model="", api_key="k" * 32, persist=True)
with TestClient(create_app(settings, Assistant.load(index, config))) as client:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    files = [("files", (archive.name, archive.read_bytes(), "application/warc"))]
    r = client.post("/v1/documents", files=files, headers={"Authorization": "Bearer " + "k" * 32})
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"RESULT {r.status_code} {before} {after} {time.perf_counter() - t:.1f}", file=sys.stderr)
"""


def upload(index: Path, archive: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _UPLOAD, str(index), str(archive)],
        env=env,
        capture_output=True,
        text=True,
    )
    line = next((x for x in done.stderr.splitlines() if x.startswith("RESULT")), None)
    if line is None:
        return done.stderr[-2000:]
    _, status, before, after, seconds = line.split()
    return (
        f"HTTP {status}, {int(before) / 1024:,.0f} MB before, peak {int(after) / 1024:,.0f} MB, "
        f"{seconds} s"
    )


def run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, *args], env=env, capture_output=True, text=True
    )
    line = next(x for x in done.stderr.splitlines() if x.startswith("RESULT"))
    _, code, self_kb, kids_kb, seconds = line.split()
    return (
        f"exit {code}, {int(self_kb) / 1024:,.0f} MB (main), "
        f"{int(kids_kb) / 1024:,.0f} MB (largest worker), {seconds} s"
    )


def main() -> None:
    records = int(sys.argv[1]) if len(sys.argv) > 1 else 240
    mb = float(sys.argv[2]) if len(sys.argv) > 2 else 19
    uploads = int(sys.argv[3]) if len(sys.argv) > 3 else 40
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    with tempfile.TemporaryDirectory() as tmp:
        if uploads:
            small = Path(tmp) / "upload.warc.gz"
            write_archive(small, uploads, int(mb * 1_000_000))
            index = Path(tmp) / "served"
            from qa import Assistant, AssistantConfig

            Assistant.from_paths(["corpus/articles"], AssistantConfig(model="")).save(index)
            print(
                f"upload of {uploads} records of {mb} MB ({small.stat().st_size / 1e6:.1f} MB): "
                f"{upload(index, small, env)}"
            )
        if not records:
            return
        archive = Path(tmp) / "crawl.warc.gz"
        t = time.perf_counter()
        write_archive(archive, records, int(mb * 1_000_000))
        size = archive.stat().st_size
        print(
            f"{records} records of {mb} MB: {size / 1e6:.1f} MB archive "
            f"(written in {time.perf_counter() - t:.0f} s)"
        )
        for workers in ("0", "2"):
            index = Path(tmp) / f"index-{workers}"
            args = [
                "ingest",
                str(archive),
                "--index",
                str(index),
                "--model",
                "",
                "--workers",
                workers,
            ]
            print(f"qa ingest --workers {workers}: {run(args, env)}")


if __name__ == "__main__":
    main()
