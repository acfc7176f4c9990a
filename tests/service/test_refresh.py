"""The index follower: a generation another process commits is served by this one."""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from qa import Assistant, AssistantConfig, document_from_text
from service import create_app
from service.refresh import IndexFollower

from .conftest import ARTICLES, make_settings

LEXICAL = AssistantConfig(model="")
TEXT = "新华社北京电 青藏高原冻土观测站今年新增十二个自动监测点,覆盖海拔五千米以上区域。"


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "index"
    Assistant.from_paths([ARTICLES], LEXICAL).save(directory)
    return directory


def _commit_one(directory: Path, source: str = "other-process.txt") -> str:
    """Commit one new document through a second assistant (as another process would)."""
    writer = Assistant.load(directory, LEXICAL)
    doc = document_from_text(TEXT, source=source)
    writer.add_documents([doc])
    writer.save(directory)
    return doc.id


def test_check_opens_a_newer_generation(index_dir: Path) -> None:
    reader = Assistant.load(index_dir, LEXICAL)
    follower = IndexFollower(index_dir, lambda: reader, threading.Lock())
    assert follower.check() is False  # nothing new
    before = reader.snapshot.generation

    doc_id = _commit_one(index_dir)
    assert reader.get_document(doc_id) is None
    assert follower.check() is True
    assert reader.snapshot.generation > before
    assert reader.get_document(doc_id) is not None
    assert reader.search("冻土观测站")[0].document.id == doc_id
    assert follower.check() is False  # seen


def test_no_assistant_yet_and_a_running_write_are_skipped(index_dir: Path) -> None:
    lock = threading.Lock()
    served: list[Assistant] = []
    follower = IndexFollower(index_dir, lambda: served[0] if served else None, lock)
    assert follower.check() is False  # still loading

    served.append(Assistant.load(index_dir, LEXICAL))
    doc_id = _commit_one(index_dir)
    with lock:  # a write of this process is running: it publishes the newest itself
        assert follower.check() is False
    assert served[0].get_document(doc_id) is None
    assert follower.check() is True
    assert served[0].get_document(doc_id) is not None


def test_a_generation_that_cannot_be_opened_is_logged_and_the_old_one_served(
    index_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    reader = Assistant.load(index_dir, LEXICAL)
    follower = IndexFollower(index_dir, lambda: reader, threading.Lock())
    manifest_path = index_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    good = reader.snapshot.generation
    manifest["generation"] = good + 1
    manifest["segments"][0]["name"] = "no-such-segment"
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")

    with caplog.at_level(logging.ERROR, logger="service.refresh"):
        assert follower.check() is False
        assert follower.check() is False
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1  # once, not at every check
    assert f"still serving generation {good}" in errors[0].getMessage()
    assert reader.snapshot.generation == good
    assert reader.search("联盟")  # the old snapshot still answers


def test_the_thread_follows_commits(index_dir: Path) -> None:
    reader = Assistant.load(index_dir, LEXICAL)
    follower = IndexFollower(index_dir, lambda: reader, threading.Lock(), interval=0.05)
    follower.start()
    try:
        doc_id = _commit_one(index_dir)
        deadline = time.monotonic() + 5  # generous; it takes about one interval
        while reader.get_document(doc_id) is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert reader.get_document(doc_id) is not None
    finally:
        follower.stop()


def test_the_app_serves_what_another_process_commits(tmp_path: Path, index_dir: Path) -> None:
    settings = make_settings(tmp_path, index_dir=index_dir, persist=True)
    with TestClient(create_app(settings, Assistant.load(index_dir, LEXICAL))) as client:
        doc_id = _commit_one(index_dir)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if client.get(f"/v1/documents/{doc_id}").status_code == 200:
                break
            time.sleep(0.05)
        assert client.get(f"/v1/documents/{doc_id}").status_code == 200
        assert client.get("/readyz").json()["documents"] == 3


def test_without_persist_the_directory_is_not_followed(tmp_path: Path, index_dir: Path) -> None:
    settings = make_settings(tmp_path, index_dir=index_dir, persist=False)
    app = create_app(settings, Assistant.load(index_dir, LEXICAL))
    assert app.state.follower is None
