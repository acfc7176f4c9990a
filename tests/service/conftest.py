"""Fixtures for the service tests: apps on the seed articles (BM25 only), live servers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from qa import Assistant, AssistantConfig
from service import Settings, create_app
from tests.fakes import ScriptedAnswerer, scripted

ARTICLES = Path(__file__).resolve().parents[2] / "corpus" / "articles"
SEED_QUESTION = "长三角国资百企联盟创新子联盟由哪些企业牵头组建?"
FOLLOW_UP = "它的首批成员有多少家?"
ASCII_KEY = "test-key-0123456789"
RESOLVED_FOLLOW_UP = "长三角国资百企联盟创新子联盟的首批成员有多少家?"
TRADITIONAL_QUESTION = "長三角國資百企聯盟創新子聯盟由哪些企業牽頭組建?"
# What the scripted answerer answers (text of the article, in its script): HTTP tests
# test the HTTP layer, whatever the reader would say.
SCRIPT = {
    SEED_QUESTION: "4家企業牽頭組建",
    TRADITIONAL_QUESTION: "4家企業牽頭組建",
    RESOLVED_FOLLOW_UP: "20家國企成為首批成員單位",
}


@pytest.fixture(scope="session")
def lexical_config() -> AssistantConfig:
    return AssistantConfig(model="")


@pytest.fixture(scope="session")
def shared_assistant(lexical_config: AssistantConfig) -> Assistant:
    """Read-only: tests that write build their own."""
    return Assistant.from_paths([ARTICLES], lexical_config)


@pytest.fixture(scope="session")
def scripted_assistant(lexical_config: AssistantConfig) -> Assistant:
    """Read-only, answering by :data:`SCRIPT` (a fake answerer), else abstaining."""
    assistant = Assistant.from_paths([ARTICLES], lexical_config)
    assistant.use_answerers(scripted(SCRIPT)[1])  # type: ignore[arg-type]
    return assistant


@pytest.fixture
def scripted_answerer(scripted_assistant: Assistant) -> ScriptedAnswerer:
    answerer = scripted_assistant._state.answerer
    assert isinstance(answerer, ScriptedAnswerer)
    answerer.calls.clear()
    return answerer


@pytest.fixture
def fresh_assistant(lexical_config: AssistantConfig) -> Assistant:
    return Assistant.from_paths([ARTICLES], lexical_config)


def make_settings(tmp: Path, **overrides: Any) -> Settings:
    """Settings for tests: BM25 only, an index folder of their own."""
    values: dict[str, Any] = {
        "model": "",
        "index_dir": tmp / "index",
        "articles": [ARTICLES],
        "persist": False,
        "api_key": ASCII_KEY,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def client(settings: Settings, shared_assistant: Assistant) -> Iterator[TestClient]:
    """A client on the shared (read-only) assistant."""
    with TestClient(create_app(settings, shared_assistant)) as c:
        yield c


@pytest.fixture
def scripted_client(settings: Settings, scripted_assistant: Assistant) -> Iterator[TestClient]:
    """A client whose answers come from the scripted answerer (:data:`SCRIPT`)."""
    with TestClient(create_app(settings, scripted_assistant)) as c:
        yield c


@pytest.fixture
def write_client(tmp_path: Path, fresh_assistant: Assistant) -> Iterator[TestClient]:
    """A client on an assistant of its own, persisting to ``tmp_path / "index"``."""
    app = create_app(make_settings(tmp_path, persist=True), fresh_assistant)
    with TestClient(app) as c:
        yield c


def auth(key: str = ASCII_KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


class LiveServer:
    """A uvicorn server on a free loopback port, in a thread."""

    def __init__(self, app: FastAPI, **options: Any) -> None:
        values: dict[str, Any] = {
            "host": "127.0.0.1",
            "port": 0,
            "log_level": "warning",
            "lifespan": "on",
            "ws": "none",
        }
        config = uvicorn.Config(app, **{**values, **options})
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    @property
    def url(self) -> str:
        sock = self.server.servers[0].sockets[0]
        host, port = sock.getsockname()[:2]
        return f"http://{host}:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def live_server(tmp_path: Path) -> Callable[..., LiveServer]:
    """Make a live server: ``with live_server(assistant, **settings) as server: ...``."""

    def make(assistant: Assistant | None, **overrides: Any) -> LiveServer:
        return LiveServer(create_app(make_settings(tmp_path, **overrides), assistant))

    return make
