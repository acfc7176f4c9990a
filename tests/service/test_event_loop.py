"""CPU work of a request runs off the event loop: while a write is cleaning its articles
(or a chat request is resolving its turns), ``/healthz`` is still answered.

The slow work is stood in for by a function that waits until the test says so: were it
on the event loop, the health check could not be answered until it returned, and the
test would fail after its (generous) wait instead of depending on a timing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.routers import chat, documents
from tests.service.conftest import FOLLOW_UP, SEED_QUESTION, auth

WAIT_S = 20.0


def _gate(
    monkeypatch: pytest.MonkeyPatch, module: Any, name: str
) -> tuple[threading.Event, threading.Event]:
    """Make ``module.name`` signal that it started, then wait for the release."""
    started, release = threading.Event(), threading.Event()
    real: Callable[..., Any] = getattr(module, name)

    def gated(*args: Any, **kwargs: Any) -> Any:
        started.set()
        release.wait(WAIT_S)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, gated)
    return started, release


def _healthz_while(
    client: TestClient, started: threading.Event, release: threading.Event, send: Callable[[], Any]
) -> Any:
    result: dict[str, Any] = {}
    worker = threading.Thread(target=lambda: result.setdefault("r", send()), daemon=True)
    worker.start()
    try:
        assert started.wait(WAIT_S), "the slow step never started"
        health: dict[str, int] = {}
        checker = threading.Thread(
            target=lambda: health.setdefault("status", client.get("/healthz").status_code),
            daemon=True,
        )
        checker.start()
        checker.join(WAIT_S / 2)
        # Answered while the slow step still waits: it does not hold the event loop.
        assert health.get("status") == 200, "/healthz was not answered during the request"
        assert not release.is_set()
    finally:
        release.set()
    worker.join(WAIT_S)
    return result["r"]


def test_a_json_write_cleans_off_the_event_loop(
    write_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    started, release = _gate(monkeypatch, documents, "_from_articles")
    article = {"text": "杭州11月2日电 白马湖实验室今天发布了一款深海清舱机器人。", "title": "t"}
    r = _healthz_while(
        write_client,
        started,
        release,
        lambda: write_client.post("/v1/documents", json={"articles": [article]}, headers=auth()),
    )
    assert r.status_code == 200 and r.json()["added"] == 1


@pytest.mark.parametrize("stream", [False, True])
def test_chat_resolves_turns_off_the_event_loop(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, stream: bool
) -> None:
    started, release = _gate(monkeypatch, chat, "conversation")
    messages = [
        {"role": "user", "content": SEED_QUESTION},
        {"role": "assistant", "content": "浙江省能源集团等4家企业"},
        {"role": "user", "content": FOLLOW_UP},
    ]
    body = {"model": "zhnews-qa", "messages": messages, "stream": stream}
    r = _healthz_while(
        client, started, release, lambda: client.post("/v1/chat/completions", json=body)
    )
    assert r.status_code == 200
