"""``qa serve --workers 2``: settings reach the workers without the environment, every
worker serves a document written through another within a second, a dead worker is
replaced, SIGTERM stops them all, and a missing index is built once."""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from qa import Assistant, AssistantConfig
from service.workers import spreads_connections

from .conftest import ASCII_KEY
from .serve_process import ServeProcess, auth, build_index, children, environ

pytestmark = pytest.mark.slow

WORKERS = 2
LLM_KEY = "sk-llm-0123456789"
TEXT = (
    "新华社拉萨电 羊八井地热电站今年完成第三期改造,新装机组年发电量预计达到一亿千瓦时,"
    "可满足周边牧区两万户居民的用电需求。"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    tmp = tmp_path_factory.mktemp("workers")
    index = build_index(tmp / "index")
    with ServeProcess(tmp, index, "--workers", str(WORKERS), QA_LLM_API_KEY=LLM_KEY) as serve:
        serve.workers = serve.wait_ready(WORKERS)  # type: ignore[attr-defined]
        yield serve


def _get(url: str, **params: str) -> httpx.Response:
    """A request on a new connection, so that any worker may take it."""
    return httpx.get(url, params=params, timeout=10, headers={"Connection": "close"})


def test_the_key_is_in_no_worker_environment(server: ServeProcess) -> None:
    workers: set[int] = server.workers  # type: ignore[attr-defined]
    assert len(workers) == WORKERS
    # The parent was started with the key in its environment (as a service manager
    # would); no process it started has it, nor any other QA_ setting exported by it.
    kids = children(server.pid)
    assert workers <= set(kids)
    for pid in kids:
        env = environ(pid)
        assert "QA_API_KEY" not in env and "QA_LLM_API_KEY" not in env, pid
        assert not any(ASCII_KEY in v or LLM_KEY in v for v in env.values()), pid
    # Every worker got the key all the same: it refuses a wrong key (403) and lets the
    # right one through to the body check (422 for an empty list of articles).
    passed: set[int] = set()
    deadline = time.monotonic() + 30
    while passed != workers and time.monotonic() < deadline:
        url = f"{server.url}/v1/documents"
        close = {"Connection": "close"}
        wrong = httpx.post(url, json={"articles": []}, headers={**close, **auth("x" * 20)})
        assert wrong.status_code == 403, wrong.text
        right = httpx.post(url, json={"articles": []}, headers={**close, **auth()})
        assert right.status_code == 422, right.text
        passed.add(int(right.headers["x-worker-pid"]))
    assert passed == workers


def test_connections_opened_at_once_spread_over_the_workers(server: ServeProcess) -> None:
    """64 keep-alive connections opened at once land on both workers (a listening socket
    each, SO_REUSEPORT): on one shared socket the first worker to wake took most of them.
    Each worker holds at least 16 (the kernel's spread is even: fewer than 16 of 64 is a
    chance of about 1 in 50,000)."""
    if not spreads_connections(WORKERS):
        pytest.skip("a socket per worker needs SO_REUSEPORT (Linux)")
    workers: set[int] = server.workers  # type: ignore[attr-defined]
    body = json.dumps({"question": "羊八井地热电站的新机组年发电量是多少?"}).encode()
    request = (
        b"POST /v1/ask HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    connections: list[socket.socket] = []

    def client() -> None:  # as a load generator's: connect and ask at once
        conn = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        connections.append(conn)
        conn.sendall(request)

    try:
        threads = [threading.Thread(target=client) for _ in range(64)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert len(connections) == 64
        for conn in connections:
            assert conn.recv(65536).startswith(b"HTTP/1.1 200")
        held = {
            pid: sum(
                1
                for c in psutil.Process(pid).net_connections(kind="tcp")
                if c.status == psutil.CONN_ESTABLISHED and c.laddr.port == server.port
            )
            for pid in workers
        }
    finally:
        for conn in connections:
            conn.close()
    assert sum(held.values()) == 64 and min(held.values()) >= 16, held


def test_every_worker_serves_a_write_within_a_second(server: ServeProcess) -> None:
    workers: set[int] = server.workers  # type: ignore[attr-defined]
    response = httpx.post(
        f"{server.url}/v1/documents",
        json={"articles": [{"text": TEXT, "title": "羊八井地热电站完成改造"}]},
        headers={**auth(), "Connection": "close"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    written = time.monotonic()
    writer = int(response.headers["x-worker-pid"])
    assert response.json()["added"] == 1
    doc_id = response.json()["documents"][0]["id"]
    # worker -> seconds after the write until it served the document / found it
    got: dict[int, float] = {}
    found: dict[int, float] = {}
    misses: dict[int, int] = {}
    deadline = written + 5  # generous for CI; the follower checks every 0.25 s
    while (set(got) < workers or set(found) < workers) and time.monotonic() < deadline:
        doc = _get(f"{server.url}/v1/documents/{doc_id}")
        search = _get(f"{server.url}/v1/search", q="羊八井地热电站")
        assert doc.status_code in (200, 404) and search.status_code == 200  # never a 5xx
        pid = int(doc.headers["x-worker-pid"])
        if doc.status_code == 200:
            got.setdefault(pid, time.monotonic() - written)
        else:
            assert pid != writer, "the writer answered before it served its write"
            misses[pid] = misses.get(pid, 0) + 1
        passages = search.json()["passages"]
        if passages and passages[0]["doc_id"] == doc_id:
            found.setdefault(int(search.headers["x-worker-pid"]), time.monotonic() - written)
    print(f"writer {writer}; seconds until served: {got}, found: {found}; 404s: {misses}")
    assert set(got) == workers and set(found) == workers, server.logs()
    # Every later request, on any worker, has it.
    for _ in range(10):
        assert _get(f"{server.url}/v1/documents/{doc_id}").status_code == 200


def test_a_dead_worker_is_replaced_and_sigterm_stops_every_process(
    tmp_path: Path,
) -> None:
    index = build_index(tmp_path / "index")
    with ServeProcess(tmp_path, index, "--workers", str(WORKERS)) as serve:
        first = serve.wait_ready(WORKERS)
        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 60
        pids: set[int] = set()
        while time.monotonic() < deadline:
            try:
                r = _get(f"{serve.url}/readyz")
            except httpx.TransportError:
                continue
            if r.status_code == 200:
                pids.add(int(r.headers["x-worker-pid"]))
            if len(pids - first) >= 1 and len(pids - {victim}) >= WORKERS:
                break
        new = pids - first
        assert len(new) == 1 and victim not in new, serve.logs()
        whole = serve.log.read_text(encoding="utf-8", errors="replace")
        assert "exited with code -9; starting a new one" in whole, serve.logs()

        workers = set(children(serve.pid)) & (first | new)
        assert serve.stop() == 0, serve.logs()
        for pid in workers:
            assert not Path(f"/proc/{pid}").exists() or "Z" in _state(pid), pid
        assert "all workers stopped" in serve.logs()


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def test_without_an_index_one_worker_builds_it_and_the_others_open_it(tmp_path: Path) -> None:
    index = tmp_path / "index"  # nothing there: built from QA_ARTICLES
    with ServeProcess(tmp_path, index, "--workers", str(WORKERS)) as serve:
        workers = serve.wait_ready(WORKERS)
        # The whole log: logs() keeps only its tail, which the readiness polls can fill.
        log = serve.log.read_text(encoding="utf-8", errors="replace")
        assert "the first worker builds it" in log
        assert log.count("saved index to") == 1, serve.logs()
        # One index, which every worker serves and a write extends.
        response = httpx.post(
            f"{serve.url}/v1/documents",
            json={"articles": [{"text": TEXT}]},
            headers=auth(),
            timeout=30,
        )
        assert response.status_code == 200, response.text
        doc_id = response.json()["documents"][0]["id"]
        served: set[int] = set()
        deadline = time.monotonic() + 10
        while served != workers and time.monotonic() < deadline:
            r = _get(f"{serve.url}/v1/documents/{doc_id}")
            if r.status_code == 200:
                served.add(int(r.headers["x-worker-pid"]))
        assert served == workers, serve.logs()
    reopened = Assistant.load(index, AssistantConfig(model=""))
    assert reopened.get_document(doc_id) is not None and len(reopened.documents) == 3
