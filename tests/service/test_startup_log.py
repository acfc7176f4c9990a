"""``qa serve`` says what it is loading while it loads, and when it is ready."""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service import create_app

from .conftest import make_settings


def test_start_up_logs_each_step_and_the_time_to_ready(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(tmp_path)
    with (
        caplog.at_level(logging.INFO, logger="service.app"),
        TestClient(create_app(settings)) as client,
    ):
        deadline = time.monotonic() + 60
        while client.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline, "the service never became ready"
            time.sleep(0.05)
    lines = [r.getMessage() for r in caplog.records if r.name == "service.app"]
    expected = [
        rf"^loading the index at {re.escape(str(settings.index_dir))} \(embedding model: "
        r"none: BM25 only\) \.\.\.$",
        r"^index loaded in \d+\.\d s: 2 documents, \d+ chunks; retrieval: BM25 only$",
        r"^loading the reader model .*\.\.\.$",
        r"^reader model loaded in \d+\.\d s$",
        r"^ready in \d+\.\d s: 2 documents$",
    ]
    found = iter(lines)  # in this order
    for pattern in expected:
        assert any(re.match(pattern, line) for line in found), (pattern, lines)
