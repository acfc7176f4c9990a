"""Against a live server on loopback: the official `openai` client (plain and streaming),
and documents added while questions are being answered."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import openai
import pytest

from qa import Assistant

from .conftest import ASCII_KEY, FOLLOW_UP, SEED_QUESTION, LiveServer


def test_openai_client_plain_and_streaming(
    live_server: Callable[..., LiveServer], scripted_assistant: Assistant
) -> None:
    # The scripted answerer: this tests the client's view of the HTTP API, not the reader.
    with live_server(scripted_assistant) as server:
        client = openai.OpenAI(base_url=f"{server.url}/v1", api_key="unused", max_retries=0)
        assert [m.id for m in client.models.list()] == ["zhnews-qa"]

        messages: list[Any] = [{"role": "user", "content": SEED_QUESTION}]
        completion = client.chat.completions.create(model="zhnews-qa", messages=messages)
        content = completion.choices[0].message.content
        assert content is not None and "4家企業牽頭組建" in content and content.endswith("[1]")
        assert completion.choices[0].finish_reason == "stop"
        extra = completion.model_extra or {}
        citations = extra["citations"]
        assert citations[0]["marker"] == 1 and "牽頭組建" in citations[0]["quote"]

        stream = client.chat.completions.create(
            model="zhnews-qa",
            messages=messages,
            stream=True,
            stream_options={"include_usage": True},
        )
        pieces: list[str] = []
        finals: list[Any] = []
        usage = None
        for chunk in stream:
            if chunk.usage is not None:
                usage = chunk.usage
            if not chunk.choices:
                continue
            if chunk.choices[0].delta.content:
                pieces.append(chunk.choices[0].delta.content)
            if chunk.choices[0].finish_reason is not None:
                finals.append(chunk)
        assert len(pieces) >= 2  # clause by clause
        assert "".join(pieces) == content
        assert len(finals) == 1 and finals[0].choices[0].finish_reason == "stop"
        assert (finals[0].model_extra or {})["citations"] == citations
        assert usage is not None and usage.completion_tokens == len(content)

        # A follow-up, through the client.
        messages += [
            {"role": "assistant", "content": content},
            {"role": "user", "content": FOLLOW_UP},
        ]
        follow = client.chat.completions.create(model="zhnews-qa", messages=messages)
        assert "20家國企成為首批成員單位" in (follow.choices[0].message.content or "")

        # Errors arrive as the client's exceptions, OpenAI-shaped.
        with pytest.raises(openai.BadRequestError) as info:
            client.chat.completions.create(
                model="zhnews-qa", messages=[{"role": "user", "content": "   "}]
            )
        assert info.value.code == "invalid_question"
        with pytest.raises(openai.NotFoundError):
            client.models.retrieve("gpt-4o")


BATCHES = 6
BATCH_SIZE = 4


def _batch(k: int) -> list[dict[str, str]]:
    # Each article names its batch; a batch is added in one request, so a search for the
    # batch's token sees all of its articles or none of them.
    return [
        {
            "id": f"batch{k}-{i}",
            "title": f"试验批次{k}号第{i}篇",
            "text": f"试验批次{k}号报道：第{i}家试点企业今天完成了设备改造，产能提高了{10 + i}%。",
        }
        for i in range(BATCH_SIZE)
    ]


def test_documents_added_while_questions_are_answered(
    live_server: Callable[..., LiveServer], fresh_assistant: Assistant
) -> None:
    with live_server(fresh_assistant, persist=True) as server:
        base = server.url
        stop = threading.Event()
        problems: list[str] = []
        answered = 0
        lock = threading.Lock()

        def reader(worker: int) -> None:
            nonlocal answered
            with httpx.Client(base_url=base, timeout=30) as http:
                while not stop.is_set():
                    r = http.post("/v1/ask", json={"question": SEED_QUESTION})
                    if r.status_code != 200:
                        problems.append(f"ask {r.status_code}: {r.text}")
                        continue
                    body = r.json()
                    if body["abstained"] or "4家企业牵头组建" not in body["answer"]:
                        problems.append(f"bad answer: {body['answer']}")
                    k = worker % BATCHES
                    s = http.get("/v1/search", params={"q": f"试验批次{k}号", "k": 50})
                    if s.status_code != 200:
                        problems.append(f"search {s.status_code}: {s.text}")
                        continue
                    hits = {
                        p["doc_id"]
                        for p in s.json()["passages"]
                        if p["doc_id"].startswith(f"batch{k}-")
                    }
                    if len(hits) not in (0, BATCH_SIZE):
                        problems.append(f"half a batch visible: {sorted(hits)}")
                    with lock:
                        answered += 1

        def writer() -> None:
            with httpx.Client(base_url=base, timeout=60) as http:
                for k in range(BATCHES):
                    r = http.post(
                        "/v1/documents",
                        json={"articles": _batch(k)},
                        headers={"Authorization": f"Bearer {ASCII_KEY}"},
                    )
                    if r.status_code != 200 or r.json()["added"] != BATCH_SIZE:
                        problems.append(f"write {r.status_code}: {r.text}")

        with ThreadPoolExecutor(max_workers=6) as pool:
            readers = [pool.submit(reader, w) for w in range(5)]
            pool.submit(writer).result(timeout=120)
            stop.set()
            for f in readers:
                f.result(timeout=60)

        assert not problems, problems[:5]
        assert answered > 0
        with httpx.Client(base_url=base) as http:
            assert http.get("/v1/documents").json()["total"] == 2 + BATCHES * BATCH_SIZE
            for k in range(BATCHES):
                s = http.get("/v1/search", params={"q": f"试验批次{k}号", "k": 50}).json()
                hits = {p["doc_id"] for p in s["passages"] if p["doc_id"].startswith(f"batch{k}-")}
                assert len(hits) == BATCH_SIZE
