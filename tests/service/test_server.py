"""The pieces of ``qa serve --workers N`` that need no process (test_workers.py runs it)."""

from __future__ import annotations

import pickle
from pathlib import Path

from service.workers import bind, secret_variables

from .conftest import ASCII_KEY, make_settings


def test_the_secret_settings_are_named() -> None:
    assert secret_variables() == ["QA_API_KEY", "QA_LLM_API_KEY"]


def test_settings_reach_a_worker_whole_through_pickle(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, workers=3, cors_origins="https://a.example")
    copy = pickle.loads(pickle.dumps(settings))
    assert copy == settings
    assert copy.api_key is not None and copy.api_key.get_secret_value() == ASCII_KEY
    assert copy.cors_origins == ["https://a.example"] and copy.index_dir == tmp_path / "index"


def test_bind_listens_on_the_given_address(tmp_path: Path) -> None:
    sock = bind(make_settings(tmp_path, host="127.0.0.1", port=0))
    try:
        host, port = sock.getsockname()[:2]
        assert host == "127.0.0.1" and port > 0 and sock.get_inheritable()
    finally:
        sock.close()
