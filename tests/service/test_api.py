"""Ask, search, health, readiness, metrics, OpenAPI docs and the one error shape."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from qa import Assistant
from service import create_app
from tests.fakes import ScriptedAnswerer

from .conftest import SEED_QUESTION, TRADITIONAL_QUESTION, make_settings


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert {"code", "message"} <= set(error)
    assert isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code
    return error


# -- ask ----------------------------------------------------------------------------------


def test_ask_answers_with_citations_passages_and_timings(
    scripted_client: TestClient, scripted_assistant: Assistant
) -> None:
    r = scripted_client.post("/v1/ask", json={"question": SEED_QUESTION})
    assert r.status_code == 200
    body = r.json()
    assert body["abstained"] is False
    citation = body["citations"][0]
    assert body["answer"] == f"{citation['quote'].strip()} [1]"
    assert "4家企業牽頭組建" in citation["quote"]
    assert set(citation) >= {"marker", "doc_id", "title", "outlet", "date", "quote", "start", "end"}
    assert citation["marker"] == 1 and citation["outlet"] == "中新網"
    doc = scripted_assistant.get_document(citation["doc_id"])
    assert doc is not None
    assert doc.text[citation["start"] : citation["end"]] == citation["quote"]
    assert body["passages"] and body["passages"][0]["rank"] == 1
    assert {"score", "scores", "doc_id", "chunk_id", "text"} <= set(body["passages"][0])
    assert {"retrieve_ms", "answer_ms", "total_ms"} <= set(body["timings"])


def test_ask_passes_the_question_as_asked(
    scripted_client: TestClient, scripted_answerer: ScriptedAnswerer
) -> None:
    r = scripted_client.post("/v1/ask", json={"question": f"  {TRADITIONAL_QUESTION}\n"})
    assert r.status_code == 200 and r.json()["abstained"] is False
    assert scripted_answerer.calls == [TRADITIONAL_QUESTION]


def test_ask_renders_an_abstention(scripted_client: TestClient) -> None:
    r = scripted_client.post("/v1/ask", json={"question": "2022年世界杯足球赛的冠军是哪个国家?"})
    assert r.status_code == 200
    body = r.json()
    assert body["abstained"] is True and body["citations"] == [] and body["answer"]


def test_the_reader_answers_the_seed_question_over_http(client: TestClient) -> None:
    # One end-to-end check with the real reader (its wording is tested in tests/qa).
    body = client.post("/v1/ask", json={"question": SEED_QUESTION}).json()
    assert body["abstained"] is False and "[1]" in body["answer"]


def test_ask_top_k_limits_passages(client: TestClient) -> None:
    r = client.post("/v1/ask", json={"question": SEED_QUESTION, "top_k": 2})
    assert r.status_code == 200
    assert len(r.json()["passages"]) <= 2


def test_ask_filters_by_outlet_document_and_date(
    client: TestClient, shared_assistant: Assistant
) -> None:
    green = next(d for d in shared_assistant.documents if d.outlet == "澎湃新聞")
    # The answer is in the 中新網 article: filtered to 澎湃新聞 it is not found.
    r = client.post(
        "/v1/ask", json={"question": SEED_QUESTION, "filters": {"outlets": ["澎湃新闻"]}}
    )
    assert r.status_code == 200
    assert {p["doc_id"] for p in r.json()["passages"]} <= {green.id}
    r = client.post("/v1/ask", json={"question": SEED_QUESTION, "filters": {"doc_ids": [green.id]}})
    assert {p["doc_id"] for p in r.json()["passages"]} <= {green.id}
    r = client.post(
        "/v1/ask",
        json={
            "question": "长三角绿色低碳产业链联盟",
            "filters": {"published_from": "2024-07-01", "published_to": "2024-07-01"},
        },
    )
    assert r.status_code == 200
    assert {p["doc_id"] for p in r.json()["passages"]} == {green.id}
    r = client.post(
        "/v1/ask",
        json={"question": "长三角绿色低碳产业链联盟", "filters": {"published_to": "2020-01-01"}},
    )
    assert r.json()["passages"] == [] and r.json()["abstained"] is True


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"question": ""}, 422, "invalid_request"),
        ({"question": "   "}, 422, "invalid_request"),
        ({"question": "\u3000\n"}, 422, "invalid_request"),
        ({"question": "x" * 5000}, 422, "invalid_request"),
        ({"question": SEED_QUESTION, "top_k": True}, 422, "invalid_request"),
        ({"question": SEED_QUESTION, "top_k": "5"}, 422, "invalid_request"),
        ({"question": SEED_QUESTION, "filters": {"published_to": "2024-02-30"}}, 422, None),
        ({"question": SEED_QUESTION, "filters": {"published_to": 1700000000}}, 422, None),
        ({"question": 42}, 422, "invalid_request"),
        ({"question": ["a"]}, 422, "invalid_request"),
        ({}, 422, "invalid_request"),
        ({"question": SEED_QUESTION, "unknown": 1}, 422, "invalid_request"),
        ({"question": SEED_QUESTION, "top_k": 0}, 422, "invalid_request"),
        ({"question": SEED_QUESTION, "top_k": 51}, 422, "invalid_request"),
        ({"question": SEED_QUESTION, "top_k": "many"}, 422, "invalid_request"),
        ({"question": SEED_QUESTION, "filters": {"outlet": "x"}}, 422, "invalid_request"),
        ({"question": SEED_QUESTION, "filters": {"published_from": "soon"}}, 422, None),
        ([1, 2], 422, "invalid_request"),
    ],
)
def test_ask_bad_input(client: TestClient, body: Any, status: int, code: str | None) -> None:
    assert_error(client.post("/v1/ask", json=body), status, code)


def test_ask_malformed_json_and_wrong_content_type(client: TestClient) -> None:
    headers = {"content-type": "application/json"}
    assert_error(client.post("/v1/ask", content=b"{not json", headers=headers), 422)
    assert_error(client.post("/v1/ask", content=b"\xff\xfe\x00", headers=headers), 400)
    assert_error(client.post("/v1/ask", content=b"question=x"), 422)


def test_unknown_field_message_names_the_field(client: TestClient) -> None:
    error = assert_error(client.post("/v1/ask", json={"question": "x", "colour": 1}), 422)
    assert "colour" in error["message"]


# -- search -------------------------------------------------------------------------------


def test_search_returns_passages_with_scores(client: TestClient) -> None:
    r = client.get("/v1/search", params={"q": "白马湖实验室", "k": 3})
    assert r.status_code == 200
    body = r.json()
    assert body["k"] == 3 and 1 <= len(body["passages"]) <= 3
    first = body["passages"][0]
    assert "白馬湖實驗室" in first["text"]
    assert "bm25" in first["scores"] and first["score"] > 0
    assert "answer" not in body


def test_search_filters(client: TestClient, shared_assistant: Assistant) -> None:
    green = next(d for d in shared_assistant.documents if d.outlet == "澎湃新聞")
    r = client.get("/v1/search", params={"q": "联盟", "k": 10, "outlet": "澎湃新聞"})
    assert {p["doc_id"] for p in r.json()["passages"]} == {green.id}
    r = client.get("/v1/search", params={"q": "联盟", "doc_id": green.id})
    assert {p["doc_id"] for p in r.json()["passages"]} == {green.id}


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": ""},
        {"q": "x", "k": 0},
        {"q": "x", "k": 1000},
        {"q": "x", "k": "two"},
        {"q": "x", "published_from": "yesterday"},
    ],
)
def test_search_bad_input(client: TestClient, params: dict[str, Any]) -> None:
    assert_error(client.get("/v1/search", params=params), 422, "invalid_request")


def test_blank_questions_are_refused(client: TestClient) -> None:
    error = assert_error(client.get("/v1/search", params={"q": "  "}), 422, "invalid_request")
    assert error["message"] == "q: must not be blank"
    error = assert_error(client.post("/v1/ask", json={"question": " "}), 422, "invalid_request")
    assert error["message"] == "question: must not be blank"


# -- health, readiness, metrics, docs -----------------------------------------------------


def test_healthz_and_readyz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ready" and body["documents"] == 2 and body["chunks"] > 0
    assert body["retrieval"] == "bm25"


def test_not_ready_answers_503(tmp_path: Path) -> None:
    # Without entering the lifespan nothing is loaded: the service is not ready.
    client = TestClient(create_app(make_settings(tmp_path)))
    assert client.get("/healthz").status_code == 200
    assert_error(client.get("/readyz"), 503, "not_ready")
    r = client.post("/v1/ask", json={"question": SEED_QUESTION})
    assert_error(r, 503, "not_ready")
    assert r.headers["retry-after"]
    r = client.post(
        "/v1/chat/completions",
        json={"model": "m", "messages": [{"role": "user", "content": SEED_QUESTION}]},
    )
    error = assert_error(r, 503, "not_ready")
    assert error["type"] == "server_error"
    assert_error(client.get("/v1/documents"), 503, "not_ready")
    assert_error(client.get("/v1/search", params={"q": "x"}), 503, "not_ready")


def _wait_ready(client: TestClient, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = client.get("/readyz")
        if r.status_code == 200:
            return dict(r.json())
        assert r.status_code == 503
        assert "could not be loaded" not in r.json()["error"]["message"], r.text
        time.sleep(0.05)
    raise AssertionError("the service did not become ready")


def test_startup_builds_saves_then_loads_the_index(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, persist=True)
    with TestClient(create_app(settings)) as client:
        assert _wait_ready(client)["documents"] == 2
        assert client.post("/v1/ask", json={"question": SEED_QUESTION}).status_code == 200
    assert (settings.index_dir / "manifest.json").exists()
    # A second start loads the saved index (no articles needed).
    settings = make_settings(tmp_path, persist=True, articles=[tmp_path / "missing"])
    with TestClient(create_app(settings)) as client:
        assert _wait_ready(client)["documents"] == 2


def test_startup_failure_is_reported_by_readyz(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, articles=[tmp_path / "no-such-folder"])
    with TestClient(create_app(settings)) as client:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            error = assert_error(client.get("/readyz"), 503, "not_ready")
            if "could not be loaded" in error["message"]:
                break
            time.sleep(0.05)
        # What is wrong, without the server's paths (the log has them).
        assert "…/no-such-folder: no such file or directory" in error["message"]
        assert str(tmp_path) not in error["message"]
        assert client.get("/healthz").status_code == 200
        assert str(tmp_path) not in client.get("/v1/search", params={"q": "联盟"}).text


def test_metrics(client: TestClient) -> None:
    client.post("/v1/ask", json={"question": SEED_QUESTION})
    client.get("/v1/search", params={"q": "联盟"})
    client.get("/v1/documents/nope")
    text = client.get("/metrics").text
    assert 'qa_http_requests_total{method="POST",route="/v1/ask",status="200"}' in text
    assert 'route="/v1/documents/{doc_id}",status="404"' in text
    assert (
        'qa_http_request_duration_seconds_bucket{le="0.1",method="GET",route="/v1/search"}' in text
    )
    assert 'qa_pipeline_stage_duration_seconds_count{stage="retrieve"}' in text
    assert 'qa_pipeline_stage_duration_seconds_count{stage="answer"}' in text
    assert "qa_index_documents 2.0" in text
    assert "qa_index_chunks " in text and "qa_ready 1.0" in text


def test_unknown_route_and_method(client: TestClient) -> None:
    assert_error(client.get("/v1/nothing-here"), 404, "not_found")
    assert_error(client.get("/v1/ask"), 405, "method_not_allowed")


def test_openapi_docs_have_an_example_on_every_endpoint(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    components = schema["components"]["schemas"]
    for path, item in schema["paths"].items():
        for method, op in item.items():
            text = f"{op.get('summary', '')} {op.get('description', '')}"
            assert "Example" in text or "curl" in text, f"{method} {path}: no example"
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body is not None:
                ref = body["schema"].get("$ref", "")
                model = components[ref.rsplit("/", 1)[-1]] if ref else body["schema"]
                assert body.get("example") or model.get("examples"), f"{method} {path}"
    ask_schema = components["AskRequest"]
    assert ask_schema["examples"][0]["question"] == SEED_QUESTION
    assert ask_schema["additionalProperties"] is False
    # Every error response is documented with the one shape.
    assert schema["paths"]["/v1/ask"]["post"]["responses"]["422"]["content"]["application/json"][
        "schema"
    ] == {"$ref": "#/components/schemas/ErrorResponse"}


def test_startup_waits_for_an_unreachable_ray_cluster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The Ray cluster answers only at the third try: the service waits for it, says so in
    # /readyz meanwhile, and is ready once it answers (no restart).
    import qa.distributed as distributed
    import service.app as service_app
    from qa.retrieval import make_retrievers

    tries: list[str | None] = []

    def connect(address: str | None = None, **_: Any) -> None:
        tries.append(address)
        if len(tries) < 3:
            raise ConnectionError(f"nothing answers at {address}")

    monkeypatch.setattr(distributed, "connect", connect)
    monkeypatch.setattr(distributed, "ShardedRetrievers", lambda *a, **k: make_retrievers)
    monkeypatch.setattr(service_app, "RAY_RETRY_SECONDS", 0.2)
    settings = make_settings(tmp_path, shards=2, ray_address="10.0.0.9:6379")
    with TestClient(create_app(settings)) as client:
        seen = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            r = client.get("/readyz")
            if r.status_code == 200:
                break
            seen = seen or (r.json()["error"]["message"] if "Ray cluster" in r.text else "")
            time.sleep(0.02)
        assert r.status_code == 200, r.text
        assert "waiting for the Ray cluster" in seen and "10.0.0.9:6379" in seen
        assert tries == ["10.0.0.9:6379"] * 3
