"""The service answers in the asker's language where it says it has no answer: the
chat completion (plain and streamed) and /v1/ask give the English, traditional or
simplified abstention the question calls for."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from qa.answering.messages import ABSTAIN_TEXTS

QUESTIONS = [
    ("Who invented the telephone?", "en"),
    ("谁发明了电话?", "zh-Hans"),
    ("誰發明了電話?", "zh-Hant"),
]


@pytest.mark.parametrize(("question", "language"), QUESTIONS)
def test_chat_abstains_in_the_askers_language(
    client: TestClient, question: str, language: str
) -> None:
    messages = [{"role": "user", "content": question}]
    body = {"model": "zhnews-qa", "messages": messages, "sources": True}
    reply = client.post("/v1/chat/completions", json=body)
    assert reply.status_code == 200, reply.text
    data = reply.json()
    assert data["abstained"] is True
    assert data["choices"][0]["message"]["content"] == ABSTAIN_TEXTS[language]  # type: ignore[index]
    streamed = client.post("/v1/chat/completions", json={**body, "stream": True})
    pieces = [
        json.loads(event[len("data: ") :])
        for event in streamed.text.split("\n\n")
        if event.startswith("data: {")
    ]
    text = "".join(p["choices"][0]["delta"].get("content", "") for p in pieces if p["choices"])
    assert text == ABSTAIN_TEXTS[language]  # type: ignore[index]


@pytest.mark.parametrize(("question", "language"), QUESTIONS)
def test_ask_abstains_in_the_askers_language(
    client: TestClient, question: str, language: str
) -> None:
    reply = client.post("/v1/ask", json={"question": question})
    assert reply.status_code == 200, reply.text
    assert reply.json()["abstained"] is True
    assert reply.json()["answer"] == ABSTAIN_TEXTS[language]  # type: ignore[index]
