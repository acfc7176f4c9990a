"""bench/mixed.py's load generator, against the app in this process: every kind of
request is sent and timed, writes add and delete, failures are counted."""

from __future__ import annotations

import asyncio
import json
import os
import urllib.parse
from pathlib import Path

import httpx
import pytest

from bench.mixed import (
    KEY,
    MIX,
    MemorySampler,
    WrkResult,
    connections,
    merged_percentiles,
    mixed_load,
    wrk_script,
)
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


def _wrk_output(requests: int, status_errors: int, quantiles_us: list[int]) -> str:
    lines = [
        "Running 1s test @ http://127.0.0.1:1",
        f"RESULT {requests} 0 0 0 {status_errors} 0 1500.0",
    ]
    return "\n".join(lines + [f"PCT {q}" for q in quantiles_us]) + "\n"


def test_a_wrk_result_is_read_from_what_its_script_prints() -> None:
    result = WrkResult.parse(_wrk_output(200, 3, [1000 * (i + 1) for i in range(1000)]))
    assert (result.requests, result.errors, result.mean_ms) == (200, 3, 1.5)
    assert result.percentiles() == {"p50": 500.0, "p95": 950.0, "p99": 990.0, "mean": 1.5}
    with pytest.raises(ValueError, match="no result"):
        WrkResult.parse("Running 1s test\nunable to connect\n")


def test_merged_percentiles_weigh_each_run_by_its_requests() -> None:
    fast = WrkResult(900, 0, 10.0, tuple([10.0] * 1000))
    slow = WrkResult(100, 0, 100.0, tuple([100.0] * 1000))
    merged = merged_percentiles([fast, slow])
    # 90% of the requests took 10 ms: p50 is theirs, p95 and p99 the slow run's.
    assert merged == {"p50": 10.0, "p95": 100.0, "p99": 100.0, "mean": 19.0}


@pytest.mark.parametrize("clients", [4, 8, 32, 33])
def test_connections_follow_the_mix(clients: int) -> None:
    shares = connections(clients)
    assert sum(shares.values()) == clients and set(shares) == set(MIX)
    assert all(n >= 1 for n in shares.values())
    if clients == 32:
        assert shares == {"ask": 16, "search": 8, "chat": 4, "stream": 4}


def test_the_wrk_scripts_send_each_kind() -> None:
    qs = ["白马湖实验室发布了什么?", "a ]==] b"]
    search = wrk_script("search", qs)
    assert '"GET"' in search and urllib.parse.quote(qs[0]) in search
    ask = wrk_script("ask", qs)
    assert '"/v1/ask"' in ask and json.dumps({"question": qs[0]}, ensure_ascii=False) in ask
    stream = wrk_script("stream", qs)
    assert '"/v1/chat/completions"' in stream and '"stream": true' in stream
    assert '"stream": false' in wrk_script("chat", qs)
    # Each body is a Lua long string whose brackets no body holds.
    assert '[===[{"question": "a ]==] b"}]===]' in ask
    with pytest.raises(ValueError, match="no request"):
        wrk_script("delete", qs)
