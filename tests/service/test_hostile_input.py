"""Hostile input at the HTTP edge: text that is not valid Unicode (lone surrogates) is a
client error (422; 400 on the OpenAI routes, as OpenAI answers every malformed request),
never a 500, and a bad ``.jsonl`` line is skipped, not fatal."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.service.conftest import auth
from tests.service.test_api import assert_error

JSON = {"content-type": "application/json"}
GOOD_LINE = '{"text": "成都5月8日电 四川省气象台今天发布暴雨蓝色预警，提醒沿江地区做好防汛准备。"}'


def _chat(messages: str) -> str:
    return '{"model": "zhnews-qa", "messages": ' + messages + "}"


def test_chat_with_a_lone_surrogate_is_a_client_error(client: TestClient) -> None:
    # json.loads (FastAPI's parser) accepts the escape and gives a lone surrogate, which
    # used to fail in normalisation with a 500.
    for content in (r'"\ud800 它的首批成员有多少家"', r'[{"type": "text", "text": "a\udfff"}]'):
        body = _chat('[{"role": "user", "content": ' + content + "}]")
        r = client.post("/v1/chat/completions", content=body.encode(), headers=JSON)
        error = assert_error(r, 400, "invalid_request")
        assert error["type"] == "invalid_request_error"
        assert error["param"].startswith("messages.0")
        assert "lone surrogate" in error["message"]
    # In an earlier turn (a follow-up's history) too.
    body = _chat(
        r'[{"role": "user", "content": "白马湖\udc80"}, {"role": "assistant", "content": "x"},'
        r' {"role": "user", "content": "它呢"}]'
    )
    r = client.post("/v1/chat/completions", content=body.encode(), headers=JSON)
    assert_error(r, 400, "invalid_request")
    # A surrogate pair is a valid character, and is answered.
    body = _chat(r'[{"role": "user", "content": "白马湖\ud83d\ude00"}]')
    assert client.post("/v1/chat/completions", content=body.encode(), headers=JSON).is_success


def test_ask_with_a_lone_surrogate_is_422(client: TestClient) -> None:
    r = client.post("/v1/ask", content=rb'{"question": "\ud800 test"}', headers=JSON)
    assert_error(r, 422, "invalid_request")


def test_json_articles_with_a_lone_surrogate_are_422(write_client: TestClient) -> None:
    for field in ("text", "title"):
        body = '{"articles": [{"text": "中文新闻", "' + field + r'": "a\ud800b"}]}'
        r = write_client.post("/v1/documents", content=body.encode(), headers={**JSON, **auth()})
        assert_error(r, 422, "invalid_request")
    assert write_client.get("/v1/documents").json()["total"] == 2


def test_jsonl_upload_skips_a_line_with_a_lone_surrogate(write_client: TestClient) -> None:
    bad = r'{"text": "杭州11月2日电 白马湖实验室\udc80今天发布。"}'
    data = (bad + "\n" + GOOD_LINE + "\n").encode()
    r = write_client.post("/v1/documents", files={"files": ("feed.jsonl", data)}, headers=auth())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["added"] == 1
    [skip] = body["skipped"]
    assert skip["source"] == "upload:feed.jsonl:1" and skip["code"] == "bad-line"
    assert "U+DC80" in skip["reason"] and "lone surrogate" in skip["reason"]
    assert write_client.get("/v1/documents").json()["total"] == 3
