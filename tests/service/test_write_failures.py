"""A document write the disk refuses: a 5xx naming no server path, the document not
served, the same write stored when tried again once the disk is fixed, and there after a
restart (issue 12, item 2)."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from qa import Assistant, AssistantConfig, IndexWriteError
from qa.writing import writer as writer_module
from service import create_app
from tests.small_disk import SmallDisk

from .conftest import ARTICLES, auth, make_settings
from .test_api import assert_error

CONFIG = AssistantConfig(model="")
ARTICLE = {
    "id": "deep-sea",
    "title": "白马湖实验室发布深海清舱机器人",
    "text": "杭州11月2日电 白马湖实验室今天发布了一款深海清舱机器人，可在无人值守的情况下"
    "清理货舱。该机器人由实验室与三家高校联合研制，已完成海上试验。",
}


def _client(tmp_path: Path) -> TestClient:
    """A service with ``persist`` on, over the index it loads from ``tmp_path/index``."""
    index = tmp_path / "index"
    if not index.exists():
        Assistant.from_paths([ARTICLES], CONFIG).save(index)
    settings = make_settings(tmp_path, persist=True)
    return TestClient(create_app(settings, Assistant.load(index, CONFIG)))


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with _client(tmp_path) as c:
        yield c


def _refuse(number: int) -> object:
    def save(*args: object, **kwargs: object) -> object:
        cause = OSError(number, os.strerror(number), "/srv/secret/index/segments")
        raise IndexWriteError(f"cannot write the index to /srv/secret/index: {cause}") from cause

    return save


@pytest.mark.parametrize(("number", "status"), [(errno.EACCES, 500), (errno.ENOSPC, 507)])
def test_a_write_the_disk_refuses_is_a_5xx_and_not_served(
    number: int,
    status: int,
    client: TestClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    docs = client.get("/v1/documents").json()["total"]
    first_id = client.get("/v1/documents").json()["documents"][0]["id"]
    with monkeypatch.context() as m:
        m.setattr(writer_module, "save_snapshot", _refuse(number))
        with caplog.at_level("ERROR", logger="service.routers.documents"):
            r = client.post("/v1/documents", json={"articles": [ARTICLE]}, headers=auth())
        body = assert_error(r, status, "index_write_failed")
        assert "/srv/secret" not in r.text and str(tmp_path) not in r.text
        assert "nothing was changed" in body["message"]
        assert "/srv/secret/index" in caplog.text  # the path is in the server log
        assert_error(client.get("/v1/documents/deep-sea"), 404, "document_not_found")
        assert client.get("/v1/documents").json()["total"] == docs
        # A delete the disk refuses removes nothing.
        r = client.delete(f"/v1/documents/{first_id}", headers=auth())
        assert_error(r, status, "index_write_failed")
        assert client.get(f"/v1/documents/{first_id}").status_code == 200
    # The disk is fixed: the same requests are applied, not "unchanged".
    r = client.post("/v1/documents", json={"articles": [ARTICLE]}, headers=auth())
    assert r.status_code == 200 and (r.json()["added"], r.json()["unchanged"]) == (1, 0)
    assert client.get("/v1/documents/deep-sea").status_code == 200
    assert client.delete(f"/v1/documents/{first_id}", headers=auth()).status_code == 200
    # A restart serves what the answers said.
    with _client(tmp_path) as restarted:
        assert restarted.get("/v1/documents/deep-sea").status_code == 200
        assert restarted.get(f"/v1/documents/{first_id}").status_code == 404
        assert restarted.get("/v1/documents").json()["total"] == docs


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0,
    reason="permissions do not stop root from writing",
)
def test_an_index_directory_that_is_not_writable(client: TestClient, tmp_path: Path) -> None:
    segments = tmp_path / "index" / "segments"
    segments.chmod(0o500)
    try:
        r = client.post("/v1/documents", json={"articles": [ARTICLE]}, headers=auth())
        assert_error(r, 500, "index_write_failed")
        assert str(tmp_path) not in r.text
        assert client.get("/v1/documents/deep-sea").status_code == 404
    finally:
        segments.chmod(0o755)
    r = client.post("/v1/documents", json={"articles": [ARTICLE]}, headers=auth())
    assert r.status_code == 200 and r.json()["added"] == 1


def test_another_writer_holding_the_index_is_a_503(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from embeddings.store.lock import index_lock

    assistant: Assistant = client.app.state.assistant  # type: ignore[attr-defined]
    monkeypatch.setattr(assistant, "lock_timeout", 0.1)
    held, release = threading.Event(), threading.Event()

    def other_writer() -> None:
        with index_lock(tmp_path / "index"):
            held.set()
            release.wait(20)

    thread = threading.Thread(target=other_writer)
    thread.start()
    try:
        held.wait(20)
        r = client.post("/v1/documents", json={"articles": [ARTICLE]}, headers=auth())
        assert_error(r, 503, "index_busy")
        assert r.headers["Retry-After"] and str(tmp_path) not in r.text
    finally:
        release.set()
        thread.join(20)
    r = client.post("/v1/documents", json={"articles": [ARTICLE]}, headers=auth())
    assert r.status_code == 200 and r.json()["added"] == 1


def test_a_full_disk_is_a_507_whichever_write_meets_it(
    small_disk: SmallDisk, caplog: pytest.LogCaptureFixture
) -> None:
    """On a real small file system filled to k pages short of what an add needs, for
    every k until it fits: a 507 each time (SQLite's "database or disk is full", numpy's
    short write and a plain ENOSPC among them, issue 30 item 5), nothing served, and the
    add stored once there is room."""
    from tests.embeddings.corpus_fixture import synthetic_texts

    index = small_disk.path / "index"
    Assistant.from_paths([ARTICLES], CONFIG).save(index)
    settings = make_settings(small_disk.path, persist=True)
    # Enough text for arrays of several pages (a short write), in one request.
    articles = [ARTICLE] + [
        {"id": f"synthetic-{i}", "text": text * 3}
        for i, text in enumerate(synthetic_texts(16, seed=11))
    ]
    with TestClient(create_app(settings, Assistant.load(index, CONFIG))) as client:
        docs = client.get("/v1/documents").json()["total"]
        leave, statuses = 0, []
        with caplog.at_level("ERROR", logger="service.routers.documents"):
            while True:
                small_disk.fill(leave)
                r = client.post("/v1/documents", json={"articles": articles}, headers=auth())
                statuses.append(r.status_code)
                if r.status_code == 200:
                    break
                body = assert_error(r, 507, "index_write_failed")
                assert "no space left" in body["message"] and str(small_disk.path) not in r.text
                assert client.get("/v1/documents").json()["total"] == docs
                leave += 8192
                assert leave < 4_000_000
        assert set(statuses[:-1]) == {507} and len(statuses) > 10
        logged = caplog.text
        assert "database or disk is full" in logged and " requested and " in logged
        assert "No space left on device" in logged
        small_disk.empty()
        assert client.get("/v1/documents/deep-sea").status_code == 200
    with TestClient(create_app(settings, Assistant.load(index, CONFIG))) as restarted:
        assert restarted.get("/v1/documents").json()["total"] == docs + r.json()["added"]


def test_an_upload_the_disk_has_no_room_for_is_a_507(
    small_disk: SmallDisk, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(small_disk.path))
    small_disk.fill(0)
    files = [("files", ("article.txt", ARTICLE["text"].encode() * 50, "text/plain"))]
    r = client.post("/v1/documents", files=files, headers=auth())
    body = assert_error(r, 507, "insufficient_storage")
    assert "no space left" in body["message"] and str(small_disk.path) not in r.text
