"""bench/mixed.py's load generator, against the app in this process: every kind of
request is sent and timed, writes add and delete, failures are counted."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import httpx

from bench.mixed import KEY, MIX, MemorySampler, mixed_load
from qa import Assistant
from service import create_app

from .conftest import SEED_QUESTION, make_settings


def test_the_mixed_load_sends_every_kind_and_writes(
    tmp_path: Path, scripted_assistant: Assistant
) -> None:
    app = create_app(make_settings(tmp_path, api_key=KEY), scripted_assistant)
    before = len(scripted_assistant.documents)
    transport = httpx.ASGITransport(app=app)
    times, errors = asyncio.run(
        mixed_load("http://bench", [SEED_QUESTION], 2, 1.5, 0.3, transport=transport)
    )
    assert not errors, dict(errors)
    assert all(times[kind] for kind in set(MIX)), {k: len(v) for k, v in times.items()}
    assert times["add"] and times["delete"]
    # Every add was deleted again, or the last one is still there.
    assert len(scripted_assistant.documents) - before in (0, 1)


def test_failures_are_counted_not_timed(tmp_path: Path, scripted_assistant: Assistant) -> None:
    # Writes with another key are refused (401): counted as errors.
    app = create_app(make_settings(tmp_path, api_key="another-key"), scripted_assistant)
    transport = httpx.ASGITransport(app=app)
    times, errors = asyncio.run(
        mixed_load("http://bench", [SEED_QUESTION], 1, 1.0, 0.3, transport=transport)
    )
    assert errors["write"] >= 1 and not times["add"]


def test_memory_sampler_reports_this_process() -> None:
    with MemorySampler(os.getpid(), every=0.05) as sampler:
        asyncio.run(asyncio.sleep(0.3))
    summary = sampler.summary()
    assert summary["peak_mib"] >= summary["start_mib"] > 10
    assert set(summary) >= {"third_mib", "end_mib", "growth_after_third_mib"}
