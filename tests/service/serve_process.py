"""``qa serve`` in a subprocess on a free loopback port, for the multi-process tests."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from qa import Assistant, AssistantConfig

from .conftest import ARTICLES, ASCII_KEY

REPO = Path(__file__).resolve().parents[2]


def build_index(directory: Path) -> Path:
    """A BM25-only index of the seed articles at ``directory``."""
    Assistant.from_paths([ARTICLES], AssistantConfig(model="")).save(directory)
    return directory


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_bytes(pid: int) -> int:
    """Resident memory of a process (``VmRSS``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for {pid}")


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after its ")".
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {k.decode(errors="replace"): v.decode(errors="replace") for k, v in pairs}


class ServeProcess:
    """``qa serve`` with the given flags, on an index directory built beforehand.

    The API key is set the usual way, in ``QA_API_KEY``; logs go to ``log``.
    """

    def __init__(self, tmp: Path, index_dir: Path, *args: str, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp / f"serve-{self.port}.log"
        qa = shutil.which("qa", path=str(Path(sys.executable).parent)) or "qa"
        self.command = [qa, "serve", "--port", str(self.port), *args]
        self.env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "QA_INDEX_DIR": str(index_dir),
            "QA_ARTICLES": str(ARTICLES),
            "QA_MODEL": "",
            "QA_API_KEY": ASCII_KEY,
            "QA_LOG_LEVEL": "info",
            **env,
        }
        self.cwd = tmp  # no .env there
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def __enter__(self) -> ServeProcess:
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                self.command, env=self.env, cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT
            )
        return self

    def wait_ready(self, workers: int = 1, timeout: float = 90) -> set[int]:
        """Wait until ``workers`` distinct processes answered ``/readyz`` with 200; their
        pids."""
        ready: set[int] = set()
        deadline = time.monotonic() + timeout
        while len(ready) < workers:
            assert self.process is not None and self.process.poll() is None, self.logs()
            assert time.monotonic() < deadline, f"not ready: {ready}\n{self.logs()}"
            try:
                response = httpx.get(f"{self.url}/readyz", timeout=5)
            except httpx.TransportError:
                time.sleep(0.2)
                continue
            if response.status_code == 200:
                ready.add(int(response.headers["x-worker-pid"]))
            else:
                time.sleep(0.1)
        return ready

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM, as a service manager stops it; the exit code."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"qa serve did not stop on SIGTERM\n{self.logs()}") from None

    def logs(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-4000:]

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            pids = children(self.pid)
            self.process.kill()
            self.process.wait()
            for pid in pids:  # the workers of a killed parent
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


def auth(key: str = ASCII_KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
