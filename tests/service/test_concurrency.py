"""A worker answers at most ``request_threads`` requests at once, the others in arrival
order; writes run one at a time apart from them; health checks never wait behind them.

The work is stood in for by gates that wait until the test says so, so that what runs at
once is counted, not timed.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient

from qa import Assistant
from service.app import create_app
from service.concurrency import continue_in_threads, limit_threads, run_write
from tests.service.conftest import auth, make_settings

WAIT_S = 20.0


class _Gate:
    """Counts the calls inside, each held until :meth:`release`."""

    def __init__(self) -> None:
        self.inside = 0
        self.most = 0
        self.entered = threading.Semaphore(0)
        self._open = threading.Event()
        self._lock = threading.Lock()

    def __call__(self) -> None:
        with self._lock:
            self.inside += 1
            self.most = max(self.most, self.inside)
        self.entered.release()
        self._open.wait(WAIT_S)
        with self._lock:
            self.inside -= 1

    def wait_entered(self, count: int) -> None:
        for _ in range(count):
            assert self.entered.acquire(timeout=WAIT_S), "a request never started"

    def release(self) -> None:
        self._open.set()


@pytest.fixture
def gated(monkeypatch: pytest.MonkeyPatch, shared_assistant: Assistant) -> _Gate:
    gate = _Gate()
    real = Assistant.search

    def search(self: Assistant, *args: Any, **kwargs: Any) -> Any:
        gate()
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Assistant, "search", search)
    return gate


def _client(tmp_path: Path, assistant: Assistant, **settings: Any) -> TestClient:
    return TestClient(create_app(make_settings(tmp_path, **settings), assistant))


def _send(
    client: TestClient, method: str, path: str, results: list[int], **kwargs: Any
) -> threading.Thread:
    def go() -> None:
        results.append(client.request(method, path, **kwargs).status_code)

    thread = threading.Thread(target=go, daemon=True)
    thread.start()
    return thread


def test_requests_beyond_the_threads_wait_their_turn(
    tmp_path: Path, shared_assistant: Assistant, gated: _Gate
) -> None:
    statuses: list[int] = []
    with _client(tmp_path, shared_assistant, request_threads=2) as client:
        threads = [
            _send(client, "GET", "/v1/search", statuses, params={"q": "长三角", "k": 2})
            for _ in range(4)
        ]
        gated.wait_entered(2)
        time.sleep(0.3)  # room for a third to start, were it allowed to
        assert gated.inside == 2
        # Liveness and readiness are answered meanwhile, on the event loop.
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 200
        gated.release()
        for thread in threads:
            thread.join(WAIT_S)
    assert statuses == [200] * 4 and gated.most == 2


class _WatchedLock:
    """The app's write lock, saying when a write starts waiting for it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.waiting = threading.Semaphore(0)

    def __enter__(self) -> None:
        self.waiting.release()
        self.lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self.lock.release()


def test_a_write_waiting_for_the_lock_holds_no_question_thread(
    tmp_path: Path, fresh_assistant: Assistant
) -> None:
    statuses: list[int] = []
    article = {"text": "杭州11月2日电 白马湖实验室今天发布了一款深海清舱机器人。", "title": "t"}
    with _client(tmp_path, fresh_assistant, request_threads=1) as client:
        watched = _WatchedLock()
        client.app.state.write_lock = watched  # type: ignore[attr-defined]
        with watched.lock:  # another write in progress
            writes = [
                _send(
                    client,
                    "POST",
                    "/v1/documents",
                    statuses,
                    json={"articles": [article]},
                    headers=auth(),
                )
                for _ in range(2)
            ]
            # One write waits for the lock (the other for its turn to write); the one
            # thread questions are answered in is free.
            assert watched.waiting.acquire(timeout=WAIT_S), "no write reached the lock"
            answered: list[int] = []
            search = _send(client, "GET", "/v1/search", answered, params={"q": "白马湖", "k": 1})
            search.join(WAIT_S / 2)
            assert answered == [200] and statuses == [], "the question waited for the writes"
        for thread in writes:
            thread.join(WAIT_S)
    assert statuses == [200, 200]


def test_the_setting_sets_the_worker_threads(tmp_path: Path, shared_assistant: Assistant) -> None:
    with _client(tmp_path, shared_assistant, request_threads=3) as client:
        assert client.portal is not None
        tokens = client.portal.call(
            lambda: anyio.to_thread.current_default_thread_limiter().total_tokens
        )
    assert tokens == 3


def test_writes_run_one_at_a_time() -> None:
    gate = _Gate()

    async def main() -> None:
        limit_threads(4)
        async with anyio.create_task_group() as group:
            for _ in range(3):
                group.start_soon(run_write, gate)
            await anyio.to_thread.run_sync(gate.wait_entered, 1)
            await anyio.sleep(0.3)  # room for a second write to start, were it allowed to
            assert gate.inside == 1
            gate.release()

    anyio.run(main)
    assert gate.most == 1


def test_limit_threads_refuses_zero() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        limit_threads(0)


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    [
        ("POST", "/v1/ask", {"question": "白马湖实验室发布了什么?"}, 1),
        ("GET", "/v1/search?q=白马湖&k=2", None, 1),
        (
            "POST",
            "/v1/chat/completions",
            {"messages": [{"role": "user", "content": "白马湖"}]},
            1,
        ),
        (
            "POST",
            "/v1/chat/completions",
            {"messages": [{"role": "user", "content": "白马湖"}], "stream": True},
            1,
        ),
        ("GET", "/v1/documents?limit=2", None, 1),
        ("GET", "/v1/models", None, 0),
        # A write's checks (key, shards) run on the event loop, the write on the writes'
        # own limiter: it never waits behind the questions.
        (
            "POST",
            "/v1/documents",
            {"articles": [{"text": "白马湖实验室今天发布了一款机器人。"}]},
            0,
        ),
    ],
    ids=["ask", "search", "chat", "stream", "documents", "models", "write"],
)
def test_each_request_waits_its_turn_at_most_once(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    fresh_assistant: Assistant,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    expected: int,
) -> None:
    # A turn is a thread call on the requests' limiter (the loop's default one); a second
    # turn would queue the request again behind every one that arrived after it.
    turns: list[str] = []
    real = anyio.to_thread.run_sync

    async def counted(func: Any, *args: Any, limiter: Any = None, **kwargs: Any) -> Any:
        if limiter is None:
            turns.append(getattr(func, "__name__", repr(func)))
        return await real(func, *args, limiter=limiter, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    if body is not None:
        body = {"model": "zhnews-qa", **body} if "messages" in body else body
    with _client(tmp_path, fresh_assistant) as client:
        response = client.request(method, path, json=body, headers=auth())
        assert response.status_code == 200, response.text
        if body and body.get("stream"):
            assert response.text.rstrip().endswith("data: [DONE]")
    assert len(turns) == expected, turns


def test_a_request_under_way_continues_while_new_ones_wait() -> None:
    gate = _Gate()
    steps = iter(["first", "second", "third"])

    async def main() -> list[str]:
        limit_threads(1)
        async with anyio.create_task_group() as group:
            group.start_soon(anyio.to_thread.run_sync, gate)  # holds the requests' thread
            await anyio.to_thread.run_sync(gate.wait_entered, 1, limiter=anyio.CapacityLimiter(1))
            got = [item async for item in continue_in_threads(steps)]
            gate.release()
        return got

    assert anyio.run(main) == ["first", "second", "third"]
