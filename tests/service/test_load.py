"""A bounded 60 s mixed load against a live ``qa serve``: questions from several clients
while another client adds and deletes documents. No request may fail with a 5xx, and
the server's resident memory must stay bounded (its figures are printed)."""

from __future__ import annotations

import functools
import random
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from .conftest import FOLLOW_UP, SEED_QUESTION
from .serve_process import ServeProcess, auth, build_index, rss_bytes

pytestmark = pytest.mark.slow

SECONDS = 60.0
ASKERS = 4
MB = 1024 * 1024
QUESTIONS = [
    SEED_QUESTION,
    FOLLOW_UP,
    "首批成员有多少家?",
    "哪个城市的地铁新线开通?",
    "电站的年发电量是多少?",
    "今年新增了多少个监测点?",
]
PLACES = ["北京", "上海", "杭州", "成都", "拉萨", "西宁", "广州", "武汉"]
THINGS = ["地铁新线", "地热电站", "冻土观测站", "港口码头", "数据中心", "跨江大桥"]


def _article(i: int, rng: random.Random) -> dict[str, str]:
    place, thing = rng.choice(PLACES), rng.choice(THINGS)
    sentences = [
        f"新华社{place}{i % 28 + 1}日电 {place}{thing}第{i}期工程今天正式投入使用。",
        f"该项目总投资{rng.randint(10, 900)}亿元,历时{rng.randint(2, 9)}年建成。",
        f"据介绍,{thing}每年可服务{rng.randint(1, 99)}万人次,带动就业{rng.randint(100, 9999)}人。",
        f"当地负责人表示,下一步将推进第{i + 1}期建设,力争{rng.randint(2026, 2035)}年完工。",
    ]
    rng.shuffle(sentences[1:])
    return {"text": "".join(sentences) * rng.randint(1, 6), "title": f"{place}{thing}第{i}期投用"}


def test_rss_stays_bounded_under_mixed_load(tmp_path: Path) -> None:
    index = build_index(tmp_path / "index")
    with ServeProcess(tmp_path, index) as serve:
        serve.wait_ready()
        for question in QUESTIONS:  # warm up: caches and first allocations
            httpx.post(f"{serve.url}/v1/ask", json={"question": question}, timeout=60)
        start = rss_bytes(serve.pid)
        statuses: Counter[str] = Counter()
        failures: list[str] = []
        lock = threading.Lock()
        stop = time.monotonic() + SECONDS

        def record(kind: str, response: httpx.Response) -> None:
            with lock:
                statuses[f"{kind} {response.status_code}"] += 1
                if response.status_code >= 500:
                    failures.append(f"{kind}: {response.status_code} {response.text[:300]}")

        def guarded(work: Callable[[], None]) -> Callable[[], None]:
            def run() -> None:
                try:
                    work()
                except httpx.TransportError as exc:  # e.g. a connection closed after a 500
                    with lock:
                        failures.append(f"transport: {exc!r}")

            return run

        def ask(seed: int) -> None:
            rng = random.Random(seed)
            with httpx.Client(base_url=serve.url, timeout=60) as client:
                while time.monotonic() < stop:
                    if rng.random() < 0.7:
                        q = rng.choice(QUESTIONS)
                        record("ask", client.post("/v1/ask", json={"question": q}))
                    else:
                        q = rng.choice(THINGS + PLACES)
                        record("search", client.get("/v1/search", params={"q": q, "k": 10}))

        def write() -> None:
            rng = random.Random(7)
            ids: list[str] = []
            with httpx.Client(base_url=serve.url, timeout=60, headers=auth()) as client:
                i = 0
                while time.monotonic() < stop:
                    i += 1
                    if ids and rng.random() < 0.25:
                        record("delete", client.delete(f"/v1/documents/{ids.pop(0)}"))
                        continue
                    batch = [_article(i * 10 + j, rng) for j in range(rng.randint(1, 4))]
                    response = client.post("/v1/documents", json={"articles": batch})
                    record("write", response)
                    if response.status_code == 200:
                        ids += [d["id"] for d in response.json()["documents"]]

        peak = start
        threads = [
            threading.Thread(target=guarded(functools.partial(ask, n))) for n in range(ASKERS)
        ]
        threads.append(threading.Thread(target=guarded(write)))
        for thread in threads:
            thread.start()
        while any(t.is_alive() for t in threads):
            peak = max(peak, rss_bytes(serve.pid))
            time.sleep(1)
        for thread in threads:
            thread.join()
        end = rss_bytes(serve.pid)
        ready = httpx.get(f"{serve.url}/readyz", timeout=10).json()
        print(
            f"\nRSS start {start / MB:.0f} MB, peak {peak / MB:.0f} MB, end {end / MB:.0f} MB "
            f"after {SECONDS:.0f} s; {ready['documents']} documents; {dict(statuses)}"
        )
        assert not failures, failures[:5]
        assert statuses["ask 200"] > 0 and statuses["write 200"] > 0
        assert end < 3 * start + 300 * MB, (start, end)
        # uvicorn ends a single worker with the signal it stopped on, after shutdown.
        assert serve.stop() in (0, -signal.SIGTERM), serve.logs()
        assert "Application shutdown complete" in serve.logs()
