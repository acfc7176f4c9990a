"""OpenAI-compatible chat through TestClient: plain, streamed, follow-ups, errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from qa import MARKER, Assistant
from service import create_app
from service.routers.chat import split_deltas
from service.sources import SOURCES_HEADING

from .conftest import FOLLOW_UP, RESOLVED_FOLLOW_UP, SEED_QUESTION, make_settings
from .test_api import assert_error


def chat(client: TestClient, messages: list[dict[str, Any]], **extra: Any) -> Any:
    return client.post(
        "/v1/chat/completions", json={"model": "zhnews-qa", "messages": messages, **extra}
    )


def read_stream(text: str) -> tuple[list[dict[str, Any]], bool]:
    chunks: list[dict[str, Any]] = []
    done = False
    for event in text.split("\n\n"):
        if not event.strip():
            continue
        assert event.startswith("data: "), event
        data = event[len("data: ") :]
        if data == "[DONE]":
            done = True
            continue
        assert not done, "nothing may follow [DONE]"
        chunks.append(json.loads(data))
    return chunks, done


def test_chat_completion(scripted_client: TestClient) -> None:
    r = chat(scripted_client, [{"role": "user", "content": SEED_QUESTION}])
    assert r.status_code == 200
    body = r.json()
    assert body["object"] == "chat.completion" and body["id"].startswith("chatcmpl-")
    assert body["model"] == "zhnews-qa"
    choice = body["choices"][0]
    assert choice["finish_reason"] == "stop" and choice["message"]["role"] == "assistant"
    assert choice["message"]["content"].startswith(body["citations"][0]["quote"].strip())
    assert choice["message"]["content"].endswith(" [1]")
    assert body["citations"][0]["marker"] == 1
    assert "牽頭組建" in body["citations"][0]["quote"]
    assert body["abstained"] is False
    assert body["usage"]["total_tokens"] > 0


def test_streaming_sends_deltas_and_the_same_citations(scripted_client: TestClient) -> None:
    client = scripted_client
    messages = [{"role": "user", "content": SEED_QUESTION}]
    plain = chat(client, messages).json()
    r = chat(client, messages, stream=True, stream_options={"include_usage": True})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    chunks, done = read_stream(r.text)
    assert done
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert len({c["id"] for c in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    deltas = [c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"]]
    assert sum(1 for d in deltas if d) >= 2, "the answer comes clause by clause"
    assert "".join(deltas) == plain["choices"][0]["message"]["content"]
    final = [c for c in chunks if c["choices"]][-1]
    assert final["choices"][0]["finish_reason"] == "stop"
    assert final["choices"][0]["delta"] == {}
    assert final["citations"] == plain["citations"]
    assert final["abstained"] is False
    assert "citations" not in chunks[1]
    usage = chunks[-1]
    assert usage["choices"] == [] and usage["usage"]["total_tokens"] > 0


def test_follow_up_is_resolved_against_earlier_turns(scripted_client: TestClient) -> None:
    client = scripted_client
    first = chat(client, [{"role": "user", "content": SEED_QUESTION}]).json()
    messages = [
        {"role": "system", "content": "你是新闻助手。"},
        {"role": "user", "content": SEED_QUESTION},
        {"role": "assistant", "content": first["choices"][0]["message"]["content"]},
        {"role": "user", "content": FOLLOW_UP},
    ]
    body = chat(client, messages).json()
    content = body["choices"][0]["message"]["content"]
    assert "20家國企成為首批成員單位" in content
    assert body["resolved_question"] == RESOLVED_FOLLOW_UP
    assert "20家國企成為首批成員單位" in body["citations"][0]["quote"]
    # Streamed the same.
    chunks, _ = read_stream(chat(client, messages, stream=True).text)
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks) == content
    # Without the history the follow-up is not resolved.
    alone = chat(client, [{"role": "user", "content": FOLLOW_UP}]).json()
    assert alone["resolved_question"] == FOLLOW_UP


def test_content_parts_are_read(scripted_client: TestClient) -> None:
    messages = [{"role": "user", "content": [{"type": "text", "text": SEED_QUESTION}]}]
    body = chat(scripted_client, messages).json()
    assert "牽頭組建" in body["choices"][0]["message"]["content"]


def test_abstention(scripted_client: TestClient) -> None:
    body = chat(scripted_client, [{"role": "user", "content": "2022年世界杯冠军是谁?"}]).json()
    assert body["abstained"] is True and body["citations"] == []
    assert body["choices"][0]["message"]["content"]


@pytest.mark.parametrize(
    "payload",
    [
        {"model": "m", "messages": []},
        {"model": "m"},
        {"messages": [{"role": "user", "content": "x"}]},
        {"model": "m", "messages": [{"role": "robot", "content": "x"}]},
        {"model": "m", "messages": [{"role": "user", "content": 5}]},
        {"model": "m", "messages": [{"role": "user", "content": "x"}], "n": 2},
        {"model": "m", "messages": [{"role": "user", "content": "x"}], "bogus": 1},
        {"model": "zhnews-qa", "messages": [{"role": "user", "content": "x"}], "top_k": 500},
        {"model": "m", "messages": "hello"},
    ],
)
def test_bad_chat_requests_get_openai_errors(client: TestClient, payload: Any) -> None:
    error = assert_error(client.post("/v1/chat/completions", json=payload), 400)
    assert error["type"] == "invalid_request_error"
    assert "param" in error


def test_last_message_must_be_the_users(client: TestClient) -> None:
    r = chat(client, [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}])
    error = assert_error(r, 400, "invalid_request")
    assert error["param"] == "messages"
    error = assert_error(
        chat(client, [{"role": "user", "content": "   "}]), 400, "invalid_question"
    )
    assert error["type"] == "invalid_request_error"


def test_models(client: TestClient) -> None:
    body = client.get("/v1/models").json()
    assert body["object"] == "list" and body["data"][0]["id"] == "zhnews-qa"
    assert client.get("/v1/models/zhnews-qa").json()["object"] == "model"
    error = assert_error(client.get("/v1/models/gpt-5"), 404, "model_not_found")
    assert error["type"] == "invalid_request_error"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("短", ["短"]),
        (
            "这是第一句,由浙江省能源集团等4家企业牵头组建 [1]；来自[2]行业的20家 [12]",
            [
                "这是第一句,",
                "由浙江省能源集团等4家企业牵头组建 [1]；",
                "来自[2]",
                "行业的20家 [12]",
            ],  # noqa: E501
        ),
        ("第一句。 [1][2]第二句。[3]", ["第一句。 [1][2]", "第二句。[3]"]),
        ("a" * 50, ["a" * 50]),
    ],
)
def test_split_deltas_clause_by_clause(text: str, expected: list[str]) -> None:
    assert list(split_deltas(text)) == expected


@given(st.lists(st.one_of(st.text(max_size=8), st.sampled_from(["，", "。", " [1]", "[23]"]))))
def test_split_deltas_round_trips_and_keeps_markers(parts: list[str]) -> None:
    text = "".join(parts)
    pieces = list(split_deltas(text))
    assert "".join(pieces) == text
    assert all(pieces)
    whole = [m.group(0) for m in MARKER.finditer(text)]
    assert [m.group(0) for p in pieces for m in MARKER.finditer(p)] == whole


def test_unknown_model_is_404_like_openai(client: TestClient) -> None:
    r = chat(client, [{"role": "user", "content": SEED_QUESTION}], model="gpt-4o")
    error = assert_error(r, 404, "model_not_found")
    assert error["type"] == "invalid_request_error" and error["param"] == "model"
    assert "zhnews-qa" in error["message"]


def test_sources_block_on_request(client: TestClient) -> None:
    messages = [{"role": "user", "content": SEED_QUESTION}]
    plain = chat(client, messages).json()
    assert "来源 Sources" not in plain["choices"][0]["message"]["content"]
    body = chat(client, messages, sources=True).json()
    content = body["choices"][0]["message"]["content"]
    answer, block = content.split(SOURCES_HEADING)
    assert answer == plain["choices"][0]["message"]["content"]
    cite = body["citations"][0]
    assert f"[1] {cite['title']} · {cite['outlet']} · {cite['date']}" in block
    assert f"> {cite['quote']}" in block
    assert body["usage"]["completion_tokens"] == len(content)
    # Streamed: the same content, the block as the last delta before the final chunk.
    chunks, _ = read_stream(chat(client, messages, sources=True, stream=True).text)
    deltas = [c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"]]
    assert "".join(deltas) == content
    assert [d for d in deltas if d][-1] == SOURCES_HEADING + block
    # An abstention has no sources, so no block.
    none = chat(client, [{"role": "user", "content": "2022年世界杯冠军是谁?"}], sources=True)
    assert SOURCES_HEADING not in none.json()["choices"][0]["message"]["content"]


def test_sources_block_by_setting_and_follow_ups_ignore_it(
    tmp_path: Path, shared_assistant: Assistant
) -> None:
    app = create_app(make_settings(tmp_path, chat_sources=True), shared_assistant)
    with TestClient(app) as c:
        first = chat(c, [{"role": "user", "content": SEED_QUESTION}]).json()
        content = first["choices"][0]["message"]["content"]
        assert SOURCES_HEADING in content
        assert (
            SOURCES_HEADING
            not in chat(c, [{"role": "user", "content": SEED_QUESTION}], sources=False).json()[
                "choices"
            ][0]["message"]["content"]
        )
        # A client sends the whole content back as history: the follow-up still resolves.
        follow = chat(
            c,
            [
                {"role": "user", "content": SEED_QUESTION},
                {"role": "assistant", "content": content},
                {"role": "user", "content": FOLLOW_UP},
            ],
        ).json()
        assert follow["resolved_question"] == "长三角国资百企联盟创新子联盟的首批成员有多少家?"
