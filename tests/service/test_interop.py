"""What other tools need from the service: CORS, request ids in headers and logs, JSON
logs, and API docs that work offline."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from qa import Assistant
from service import create_app
from service.logs import JsonFormatter, RequestIdFilter, configure_logging

from .conftest import SEED_QUESTION, make_settings

ORIGIN = "https://chat.example.org"


def _client(tmp_path: Path, assistant: Assistant, **overrides: object) -> TestClient:
    return TestClient(create_app(make_settings(tmp_path, **overrides), assistant))


# -- CORS ---------------------------------------------------------------------------------


def test_cors_is_off_by_default(client: TestClient) -> None:
    r = client.get("/v1/models", headers={"Origin": ORIGIN})
    assert r.status_code == 200 and "access-control-allow-origin" not in r.headers
    pre = client.options(
        "/v1/chat/completions",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in pre.headers


def test_cors_allow_list(tmp_path: Path, shared_assistant: Assistant) -> None:
    with _client(tmp_path, shared_assistant, cors_origins=[ORIGIN]) as c:
        pre = c.options(
            "/v1/chat/completions",
            headers={
                "Origin": ORIGIN,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type",
            },
        )
        assert pre.status_code == 200
        assert pre.headers["access-control-allow-origin"] == ORIGIN
        assert "POST" in pre.headers["access-control-allow-methods"]
        r = c.post("/v1/ask", json={"question": SEED_QUESTION}, headers={"Origin": ORIGIN})
        assert r.headers["access-control-allow-origin"] == ORIGIN
        assert "x-request-id" in r.headers["access-control-expose-headers"].lower()
        other = c.get("/v1/models", headers={"Origin": "https://elsewhere.example"})
        assert "access-control-allow-origin" not in other.headers


def test_cors_origins_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from service.settings import Settings

    monkeypatch.setenv("QA_CORS_ORIGINS", f"{ORIGIN}, http://localhost:3000/")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.cors_origins == [ORIGIN, "http://localhost:3000"]
    monkeypatch.setenv("QA_CORS_ORIGINS", "chat.example.org/path")
    with pytest.raises(ValidationError, match="scheme://host"):
        Settings(_env_file=None)  # type: ignore[call-arg]


# -- request ids and logs -----------------------------------------------------------------


@pytest.fixture
def records() -> Iterator[list[logging.LogRecord]]:
    """Records of the service's loggers, with the request id filter applied."""
    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    handler = Keep(level=logging.INFO)
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield seen
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def test_request_id_is_returned_and_logged(
    client: TestClient, records: list[logging.LogRecord]
) -> None:
    r = client.post("/v1/ask", json={"question": SEED_QUESTION}, headers={"X-Request-ID": "abc-1"})
    assert r.headers["x-request-id"] == "abc-1"
    access = [x for x in records if x.name == "service.access"]
    assert access and access[-1].request_id == "abc-1"  # type: ignore[attr-defined]
    assert access[-1].status == 200 and access[-1].path == "/v1/ask"  # type: ignore[attr-defined]

    generated = client.get("/healthz").headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    # A header that is not a plain token (log injection) is replaced by a fresh id.
    bad = client.get("/healthz", headers={"X-Request-ID": 'x\\n{"level": "fake"}'})
    assert re.fullmatch(r"[0-9a-f]{32}", bad.headers["x-request-id"])
    # Errors carry one too, and the records emitted while handling the request have it.
    err = client.get("/v1/documents/nope", headers={"X-Request-ID": "req-404"})
    assert err.status_code == 404 and err.headers["x-request-id"] == "req-404"
    assert any(getattr(x, "request_id", None) == "req-404" for x in records)


def test_json_log_lines(client: TestClient, records: list[logging.LogRecord]) -> None:
    client.get("/readyz", headers={"X-Request-ID": "json-1"})
    (record,) = [x for x in records if getattr(x, "request_id", None) == "json-1"]
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "json-1" and line["logger"] == "service.access"
    assert line["level"] == "INFO" and line["status"] == 200 and line["method"] == "GET"
    assert line["path"] == "/readyz" and isinstance(line["duration_ms"], float)
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", line["time"])


def test_configure_logging_json(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    access = logging.getLogger("uvicorn.access")
    saved_access = (list(access.handlers), access.propagate)
    try:
        configure_logging("info", "json")
        # uvicorn's own access lines are off: service.access logs each request, with its id.
        assert access.propagate is False and not access.handlers
        assert logging.getLogger("uvicorn.error").propagate is True
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("service.test").exception("it failed", extra={"doc": "d1"})
        line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
        assert line["message"] == "it failed" and line["doc"] == "d1"
        assert "ValueError: boom" in line["exception"] and "request_id" not in line
        with pytest.raises(ValueError, match="text or json"):
            configure_logging("info", "xml")
    finally:
        root.handlers[:] = saved[1]
        root.setLevel(saved[0])
        access.handlers[:], access.propagate = saved_access


# -- /docs offline ------------------------------------------------------------------------


def test_docs_page_uses_only_local_assets_under_a_strict_csp(client: TestClient) -> None:
    r = client.get("/docs")
    assert r.status_code == 200
    html = r.text
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls and all(u.startswith("/") for u in urls), urls
    assert "cdn" not in html and "http" not in html.replace("http-equiv", "")
    for url in urls:
        asset = client.get(url)
        assert asset.status_code == 200 and len(asset.content) > 100, url
    csp = r.headers["content-security-policy"]
    assert "'unsafe-inline'" not in csp and "default-src 'self'" in csp
    # The one inline script (Swagger UI's set-up) is allowed by its hash, nothing else.
    (inline,) = re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp
    assert client.get("/redoc").status_code == 404  # no CDN-only page left behind
