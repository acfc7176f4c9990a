"""HTTP edges: ``405`` answers name every method of the path in ``Allow``; a chunked
multipart upload over the body limit is a ``413``."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from qa import Assistant
from service import create_app
from tests.service.conftest import auth, make_settings
from tests.service.test_api import assert_error


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/v1/documents/abc", "GET, DELETE"),
        ("PATCH", "/v1/documents", "GET, POST"),
        ("PUT", "/v1/ask", "POST"),
        ("POST", "/healthz", "GET"),
    ],
)
def test_405_lists_every_allowed_method(
    client: TestClient, method: str, path: str, allow: str
) -> None:
    r = client.request(method, path)
    assert_error(r, 405, "method_not_allowed")
    assert r.headers["allow"] == allow


def test_a_chunked_multipart_body_over_the_limit_is_413(
    tmp_path: Path, fresh_assistant: Assistant
) -> None:
    app = create_app(make_settings(tmp_path, max_body_bytes=4096), fresh_assistant)

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it is read
        yield (
            b'--b\r\nContent-Disposition: form-data; name="files"; filename="a.txt"\r\n'
            b"Content-Type: text/plain\r\n\r\n"
        )
        for _ in range(10):
            yield "长".encode() * 300
        yield b"\r\n--b--\r\n"

    with TestClient(app) as c:
        r = c.post(
            "/v1/documents",
            content=chunks(),
            headers={**auth(), "content-type": "multipart/form-data; boundary=b"},
        )
        assert_error(r, 413, "payload_too_large")
        assert c.get("/v1/documents").json()["total"] == 2


@pytest.mark.parametrize("path", ["/v1/ask", "/v1/chat/completions"])
def test_a_chunked_json_body_over_the_limit_is_413_on_body_routes(
    tmp_path: Path, shared_assistant: Assistant, path: str
) -> None:
    # FastAPI reads these bodies itself and used to answer the limit with its own 400.
    app = create_app(make_settings(tmp_path, max_body_bytes=4096), shared_assistant)

    def chunks() -> Iterator[bytes]:
        yield b'{"question": "'
        for _ in range(10):
            yield "长".encode() * 300
        yield b'"}'

    with TestClient(app) as c:
        r = c.post(path, content=chunks(), headers={"content-type": "application/json"})
        assert_error(r, 413, "payload_too_large")


def test_a_key_in_the_query_string_never_reaches_the_access_log(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "sk-query-secret-0123456789"
    with caplog.at_level(logging.INFO, logger="service.access"):
        client.get("/v1/search", params={"q": "白马湖", "api_key": secret})
        client.get("/v1/documents", params={"key": secret})
        client.delete(f"/v1/documents/x?api_key={secret}")
    records = [r for r in caplog.records if r.name == "service.access"]
    assert len(records) == 3
    for record in records:
        assert secret not in record.getMessage()
        assert all(secret not in str(v) for v in vars(record).values())


def _raw(url: str, request: bytes) -> bytes:
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data


@pytest.mark.parametrize("parser", ["httptools", "h11"])
def test_a_request_uvicorn_cannot_parse_gets_the_json_error_shape(
    parser: str, tmp_path: Path, shared_assistant: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Raw UTF-8 in a URL never reaches the app (uvicorn's parser refuses it, issue 32):
    the 400 uvicorn sends has the API's error shape and headers, not plain text; with
    httptools, and with h11 where httptools is not installed."""
    import json
    import sys

    from service.workers import uvicorn_options
    from tests.service.conftest import LiveServer

    if parser == "h11":
        monkeypatch.setitem(sys.modules, "httptools", None)  # as if not installed
    settings = make_settings(tmp_path)
    options = {k: v for k, v in uvicorn_options(settings).items() if k not in ("host", "port")}
    options["log_level"] = "error"
    with LiveServer(create_app(settings, shared_assistant), **options) as server:
        for line in ("GET /v1/search?q=新闻 HTTP/1.1", "GET /v1/documents/新闻 HTTP/1.1"):
            answer = _raw(server.url, f"{line}\r\nHost: x\r\n\r\n".encode())
            head, _, body = answer.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").lower().split("\r\n")
            assert lines[0].startswith("http/1.1 400"), answer
            assert "content-type: application/json" in lines
            assert any(x.startswith("x-request-id: ") for x in lines)
            error = json.loads(body)["error"]
            assert error["code"] == "bad_request" and "percent-encoded" in error["message"]
        # Percent-encoded, the same request is answered by the app.
        ok = _raw(
            server.url,
            b"GET /v1/search?q=%E6%96%B0%E9%97%BB HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        assert ok.startswith(b"HTTP/1.1 200"), ok[:200]
