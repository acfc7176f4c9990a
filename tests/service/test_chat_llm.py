"""The service with a language model behind it (an OpenAI-compatible server on loopback):
streamed chat sends only verified sentences; every response says who wrote the answer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from qa import Assistant, AssistantConfig
from service import create_app
from tests.qa.chat_server import ChatServer, closed_port_url, system_text

from .conftest import FOLLOW_UP, SEED_QUESTION, make_settings
from .test_chat import chat, read_stream

GOOD = "创新子联盟由浙江省能源集团等4家企业牵头组建[1]。"
INVENTED = "联盟总部设在南京市鼓楼区[1]。"


def reply(body: dict[str, Any]) -> str:
    if "改写" in system_text(body):
        return "长三角国资百企联盟创新子联盟的首批成员有多少家？"
    if "首批成员" in json.dumps(body, ensure_ascii=False).split("问题：")[-1]:
        return "首批成员单位有20家国企[1]。"
    return GOOD + INVENTED


@pytest.fixture
def server() -> Iterator[ChatServer]:
    with ChatServer(reply) as s:
        yield s


def llm_client(shared: Assistant, tmp: Path, url: str) -> TestClient:
    config = AssistantConfig(model="", generator="openai", llm_model="test-model", llm_base_url=url)
    return TestClient(create_app(make_settings(tmp), Assistant(shared.snapshot, config)))


def test_streamed_chat_sends_only_verified_sentences(
    shared_assistant: Assistant, tmp_path: Path, server: ChatServer
) -> None:
    with llm_client(shared_assistant, tmp_path, server.url) as client:
        messages = [{"role": "user", "content": SEED_QUESTION}]
        plain = chat(client, messages).json()
        chunks, done = read_stream(chat(client, messages, stream=True).text)
    assert done
    deltas = [c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"]]
    text = "".join(deltas)
    assert text == plain["choices"][0]["message"]["content"]
    assert text == "创新子联盟由浙江省能源集团等4家企业牵头组建 [1]。"
    assert not any(part in d for d in deltas for part in ("南京", "鼓楼"))
    final = chunks[-1]
    assert final["choices"][0]["finish_reason"] == "stop"
    assert final["citations"] == plain["citations"]
    assert (final["generator"], final["dropped"], final["fallback"]) == ("openai:test-model", 1, "")
    assert (plain["generator"], plain["dropped"], plain["fallback"]) == ("openai:test-model", 1, "")
    assert [r["stream"] for r in server.requests] == [False, True]


def test_ask_reports_the_generator(
    shared_assistant: Assistant, tmp_path: Path, server: ChatServer
) -> None:
    with llm_client(shared_assistant, tmp_path, server.url) as client:
        body = client.post("/v1/ask", json={"question": SEED_QUESTION}).json()
    assert body["answer"] == "创新子联盟由浙江省能源集团等4家企业牵头组建 [1]。"
    assert (body["generator"], body["dropped"], body["fallback"]) == ("openai:test-model", 1, "")
    assert body["citations"][0]["quote"].endswith("牽頭組建。")


def test_follow_ups_are_rewritten_by_the_model(
    shared_assistant: Assistant, tmp_path: Path, server: ChatServer
) -> None:
    messages = [
        {"role": "user", "content": SEED_QUESTION},
        {"role": "assistant", "content": "由浙江省能源集团等4家企业牵头组建 [1]"},
        {"role": "user", "content": FOLLOW_UP},
    ]
    with llm_client(shared_assistant, tmp_path, server.url) as client:
        body = chat(client, messages).json()
    assert body["resolved_question"] == "长三角国资百企联盟创新子联盟的首批成员有多少家？"
    assert body["choices"][0]["message"]["content"] == "首批成员单位有20家国企 [1]。"


def test_an_unreachable_model_server_falls_back_with_the_reason(
    shared_assistant: Assistant, tmp_path: Path
) -> None:
    url = closed_port_url()
    with llm_client(shared_assistant, tmp_path, url) as client:
        chunks, done = read_stream(
            chat(client, [{"role": "user", "content": SEED_QUESTION}], stream=True).text
        )
    assert done
    final = chunks[-1]
    assert final["generator"] == "extractive"
    assert url in final["fallback"] and "cannot reach" in final["fallback"]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert "4家企业牵头组建 [1]" in text


def metric(text: str, name: str) -> float:
    """The value of one sample line of the Prometheus text (0 where it is absent)."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return 0.0


def test_metrics_count_the_models_tokens_and_times(
    shared_assistant: Assistant, tmp_path: Path, server: ChatServer
) -> None:
    with llm_client(shared_assistant, tmp_path, server.url) as client:
        client.post("/v1/ask", json={"question": SEED_QUESTION})
        chat(client, [{"role": "user", "content": SEED_QUESTION}], stream=True)
        text = client.get("/metrics").text
    label = '{generator="openai:test-model"}'
    # The server reports one token per streamed delta of 3 characters (tests/qa/chat_server.py).
    per_answer = -(-len(GOOD + INVENTED) // 3)
    assert metric(text, f"qa_llm_generated_tokens_total{label}") == 2 * per_answer
    assert metric(text, f"qa_llm_prompt_tokens_total{label}") > 200
    assert metric(text, f"qa_llm_tokens_per_second_count{label}") == 2
    # Only the streamed answer shows its first token.
    assert metric(text, f"qa_llm_time_to_first_token_seconds_count{label}") == 1
    assert metric(text, f"qa_llm_time_to_first_token_seconds_sum{label}") > 0
