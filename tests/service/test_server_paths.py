"""HTTP bodies say what is wrong without the server's file paths; the log keeps them."""

from __future__ import annotations

import io
import logging
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from embeddings.errors import IndexWriteError
from qa import Assistant
from qa.writing import writer as writer_module
from service import create_app
from service.redact import redact_paths

from .conftest import auth, make_settings


def test_redact_paths() -> None:
    index = Path("/srv/qa/index")
    known = [(index, "<index_dir>")]
    assert (
        redact_paths("no index at /srv/qa/index; run `qa ingest PATH --index /srv/qa/index`", known)
        == "no index at <index_dir>; run `qa ingest PATH --index <index_dir>`"
    )
    assert (
        redact_paths("[Errno 2] No such file: '/srv/qa/index/segments/s1/postings.npy'", known)
        == "[Errno 2] No such file: '<index_dir>/segments/s1/postings.npy'"
    )
    assert (
        redact_paths("cannot load /models/qwen/model.gguf: bad magic")
        == "cannot load …/model.gguf: bad magic"
    )
    assert redact_paths(r"cannot read C:\models\x.gguf") == r"cannot read …\x.gguf"
    # Not paths: URLs, relative paths, fractions, names with slashes inside a word.
    kept = "see https://example.org/a/b, data/articles, 1/2 and bm25/dense; GET (ok)"
    assert redact_paths(kept, known) == kept


def _readyz_error(client: TestClient) -> dict[str, str]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        response = client.get("/readyz")
        assert response.status_code == 503
        error: dict[str, str] = response.json()["error"]
        if "could not be loaded" in error["message"]:
            return error
        time.sleep(0.05)
    raise AssertionError("the load error never showed")


def test_an_index_that_cannot_be_loaded_is_reported_without_its_path(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    index = tmp_path / "index"
    index.mkdir()
    (index / "manifest.json").write_text("{not json", encoding="utf-8")
    settings = make_settings(tmp_path, index_dir=index)
    with caplog.at_level(logging.ERROR), TestClient(create_app(settings)) as client:
        error = _readyz_error(client)
        assert "<index_dir>" in error["message"]
        assert "unreadable manifest.json" in error["message"]
        for response in (
            client.get("/readyz"),
            client.get("/v1/search", params={"q": "联盟"}),
            client.post("/v1/ask", json={"question": "谁牵头组建?"}),
            client.post(
                "/v1/chat/completions",
                json={"model": "zhnews-qa", "messages": [{"role": "user", "content": "谁?"}]},
            ),
            client.get("/v1/documents"),
        ):
            assert response.status_code == 503
            assert str(tmp_path) not in response.text, response.text
            assert "<index_dir>" in response.text
    # The server's log has the full message.
    assert any(str(index) in r.getMessage() + str(r.exc_text) for r in caplog.records)


def test_a_failed_write_is_reported_without_the_path(
    tmp_path: Path,
    fresh_assistant: Assistant,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    index = tmp_path / "index"
    settings = make_settings(tmp_path, persist=True, index_dir=index)

    def fail(snapshot: object, directory: str | Path) -> None:
        raise IndexWriteError(
            f"cannot write the index to {directory}: [Errno 28] No space left on device: "
            f"'{directory}/segments/.tmp-1/postings.npy'; the index there is unchanged"
        )

    with caplog.at_level(logging.WARNING), TestClient(create_app(settings, fresh_assistant)) as c:
        # Every commit of a write goes through save_snapshot (commit_snapshot for an
        # index the assistant already reads from).
        monkeypatch.setattr(writer_module, "save_snapshot", fail)
        monkeypatch.setattr(writer_module, "commit_snapshot", fail)
        response = c.post(
            "/v1/documents",
            json={"articles": [{"text": "新华社电 今天天气晴朗,气温回升。"}]},
            headers=auth(),
        )
    assert response.status_code >= 400
    message = response.json()["error"]["message"]
    assert str(tmp_path) not in message
    assert "could not be written" in message and "server log" in message
    assert any(str(index) in r.getMessage() for r in caplog.records)


def test_uploads_that_fail_name_no_server_path(write_client: TestClient) -> None:
    files = [
        ("files", ("empty.txt", io.BytesIO(b""), "text/plain")),
        ("files", ("binary.txt", io.BytesIO(bytes(range(256)) * 8), "text/plain")),
        ("files", ("broken.warc.gz", io.BytesIO(b"\x1f\x8b\x08\x00broken"), "application/gzip")),
        ("files", ("broken.html", io.BytesIO(b"<html><body></body></html>"), "text/html")),
    ]
    response = write_client.post("/v1/documents", files=files, headers=auth())
    assert response.status_code == 200, response.text
    assert len(response.json()["skipped"]) >= 3
    assert "qa-upload-" not in response.text and "/tmp" not in response.text, response.text
