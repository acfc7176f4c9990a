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
