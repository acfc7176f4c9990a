"""Document management: list, get, add (JSON, upload), delete; auth; limits; persistence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from qa import Assistant, AssistantConfig
from service import create_app
from tests.corpus.test_warc import MB, memory_growth

from .conftest import ARTICLES, ASCII_KEY, make_settings
from .test_api import assert_error

ARTICLE = {
    "title": "白马湖实验室发布深海清舱机器人",
    "text": "杭州11月2日电 白马湖实验室今天发布了一款深海清舱机器人，可在无人值守的情况下清理货舱。"
    "该机器人由实验室与三家高校联合研制，已完成海上试验。",
    "outlet": "测试新闻",
    "published": "2024-11-02",
}


def test_list_and_get_documents(client: TestClient, shared_assistant: Assistant) -> None:
    r = client.get("/v1/documents")
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 2 and len(body["documents"]) == 2
    assert {"id", "title", "outlet", "published", "source", "url", "chars"} <= set(
        body["documents"][0]
    )
    page = client.get("/v1/documents", params={"offset": 1, "limit": 1}).json()
    assert page["total"] == 2 and len(page["documents"]) == 1
    assert page["documents"][0]["id"] == body["documents"][1]["id"]

    green = next(d for d in shared_assistant.documents if d.outlet == "澎湃新聞")
    detail = client.get(f"/v1/documents/{green.id}").json()
    assert detail["text"] == green.text
    assert detail["title"] == green.title and detail["published"] == green.published
    assert detail["report"]["removals"], "the seed article has boilerplate removed"
    assert sum(detail["report"]["counts"].values()) == len(detail["report"]["removals"])
    assert isinstance(detail["meta"], dict)


def test_get_unknown_document_is_404(client: TestClient) -> None:
    assert_error(client.get("/v1/documents/does-not-exist"), 404, "document_not_found")


@pytest.mark.parametrize("params", [{"offset": -1}, {"limit": 0}, {"limit": 100000}])
def test_list_bad_paging(client: TestClient, params: dict[str, int]) -> None:
    assert_error(client.get("/v1/documents", params=params), 422, "invalid_request")


def test_add_json_articles_then_ask_and_delete(write_client: TestClient, tmp_path: Path) -> None:
    c = write_client
    r = c.post("/v1/documents", json={"articles": [ARTICLE]}, headers=_auth())
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["added"], body["updated"], body["unchanged"]) == (1, 0, 0)
    assert body["total_documents"] == 3
    doc_id = body["documents"][0]["id"]
    assert body["documents"][0]["outlet"] == "测试新闻"

    answer = c.post("/v1/ask", json={"question": "深海清舱机器人由谁研制?"}).json()
    assert not answer["abstained"]
    assert answer["citations"][0]["doc_id"] == doc_id
    assert answer["citations"][0]["title"] == ARTICLE["title"]

    # Posting the same article again changes nothing.
    again = c.post("/v1/documents", json={"articles": [ARTICLE]}, headers=_auth()).json()
    assert (again["added"], again["unchanged"]) == (0, 1)
    # The index on disk was saved after the write.
    reloaded = Assistant.load(tmp_path / "index", AssistantConfig(model=""))
    assert reloaded.get_document(doc_id) is not None

    r = c.delete(f"/v1/documents/{doc_id}", headers=_auth())
    assert r.status_code == 200
    assert r.json() == {"deleted": doc_id, "total_documents": 2}
    assert_error(c.get(f"/v1/documents/{doc_id}"), 404, "document_not_found")
    assert_error(c.delete(f"/v1/documents/{doc_id}", headers=_auth()), 404, "document_not_found")
    reloaded = Assistant.load(tmp_path / "index", AssistantConfig(model=""))
    assert len(reloaded.documents) == 2


def test_add_with_explicit_id_replaces(write_client: TestClient) -> None:
    first = {**ARTICLE, "id": "my-article"}
    r = write_client.post("/v1/documents", json={"articles": [first]}, headers=_auth())
    assert r.json()["documents"][0]["id"] == "my-article"
    changed = {**first, "text": first["text"] + "试验共持续了三十天。"}
    r = write_client.post("/v1/documents", json={"articles": [changed]}, headers=_auth())
    assert (r.json()["added"], r.json()["updated"]) == (0, 1)
    text = write_client.get("/v1/documents/my-article").json()["text"]
    assert "三十天" in text


def test_upload_files(write_client: TestClient) -> None:
    jsonl = "\n".join(
        json.dumps(a, ensure_ascii=False)
        for a in (
            {"id": "j1", "title": "甲", "text": "甲市今天开通了第一条地铁线路，全长二十公里。"},
            {"id": "j2", "title": "乙", "text": "乙县的茶叶今年产量达到三千吨，创历史新高。"},
        )
    )
    html = (
        "<html><head><title>丙市新闻</title></head><body><p>丙市图书馆今日开馆。</p></body></html>"
    )
    files = [
        ("files", ("robot.txt", ARTICLE["text"].encode("gb18030"), "text/plain")),
        ("files", ("batch.jsonl", jsonl.encode("utf-8"), "application/jsonl")),
        ("files", ("page.html", html.encode("utf-8"), "text/html")),
        ("files", ("picture.png", b"\x89PNG\r\n\x1a\n\x00\x00", "image/png")),
    ]
    r = write_client.post("/v1/documents", files=files, headers=_auth())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["added"] == 4
    assert {s["source"] for s in body["skipped"]} == {"upload:picture.png"}
    ids = {d["id"] for d in body["documents"]}
    assert {"j1", "j2"} <= ids
    sources = {d["source"] for d in body["documents"]}
    assert "upload:robot.txt" in sources and "upload:page.html" in sources
    titles = {d["title"] for d in body["documents"]}
    assert "丙市新闻" in titles
    # Re-uploading the same file is a no-op: ids derive from the upload name.
    again = write_client.post("/v1/documents", files=files[:1], headers=_auth()).json()
    assert again["unchanged"] == 1 and again["added"] == 0
    answer = write_client.post("/v1/ask", json={"question": "乙县茶叶今年产量是多少?"}).json()
    assert "三千吨" in answer["answer"]


def test_an_indexed_article_uploaded_again_is_not_copied(write_client: TestClient) -> None:
    """The index holds the seed articles ingested from their folder: uploading one of
    them (as a file, or as JSON naming it) matches it by id; a copy under another name
    is merged into it, not indexed twice."""
    seed = ARTICLES / "003_89db59789a0dcd3a.txt"
    data = seed.read_bytes()
    same = [("files", (seed.name, data, "text/plain"))]
    r = write_client.post("/v1/documents", files=same, headers=_auth()).json()
    assert (r["added"], r["updated"], r["unchanged"], r["merged"]) == (0, 0, 1, 0)
    edited = [("files", (seed.name, data + "記者會後採訪了與會企業。".encode(), "text/plain"))]
    r = write_client.post("/v1/documents", files=edited, headers=_auth()).json()
    assert (r["added"], r["updated"]) == (0, 1) and r["total_documents"] == 2
    article = {"text": data.decode("utf-8"), "source": seed.name}
    r = write_client.post("/v1/documents", json={"articles": [article]}, headers=_auth()).json()
    assert (r["added"], r["updated"]) == (0, 1) and r["total_documents"] == 2
    # Under another name, and as JSON without any name: a copy, merged.
    renamed = [("files", ("copy-of-003.txt", data, "text/plain"))]
    r = write_client.post("/v1/documents", files=renamed, headers=_auth()).json()
    assert (r["added"], r["merged"], r["total_documents"]) == (0, 1, 2)
    merge = r["merges"][0]
    assert merge["alternate"]["source"] == "upload:copy-of-003.txt"
    r = write_client.post(
        "/v1/documents", json={"articles": [{"text": data.decode("utf-8")}]}, headers=_auth()
    ).json()
    assert (r["added"], r["merged"], r["total_documents"]) == (0, 1, 2)
    detail = write_client.get(f"/v1/documents/{merge['kept']}").json()
    assert {a["source"] for a in detail["alternates"]} >= {"upload:copy-of-003.txt"}


def test_uploaded_web_pages_and_archives(write_client: TestClient) -> None:
    pages = Path(__file__).resolve().parents[1] / "corpus" / "fixtures" / "pages"
    page = pages / "jiangnan" / "a" / "20240612-neto.html"
    listing = pages / "huadong" / "finance" / "index.html"
    files = [
        ("files", (page.name, page.read_bytes(), "text/html")),
        ("files", (listing.name, listing.read_bytes(), "text/html")),
    ]
    r = write_client.post("/v1/documents", files=files, headers=_auth()).json()
    assert r["added"] == 1
    assert r["documents"][0]["title"] == "前锋莱昂德罗·内托：辗转多国联赛的射手"
    assert r["documents"][0]["published"] == "2024-06-12T21:30:00"
    assert [(s["source"], s["code"]) for s in r["skipped"]] == [("upload:index.html", "list-page")]


def test_add_nothing_usable(write_client: TestClient) -> None:
    # Nothing usable is reported, not an error.
    files = [("files", ("empty.txt", b"", "text/plain"))]
    r = write_client.post("/v1/documents", files=files, headers=_auth())
    assert r.status_code == 200
    assert r.json()["added"] == 0 and r.json()["skipped"][0]["source"] == "upload:empty.txt"
    r = write_client.post(
        "/v1/documents", data={"note": "no file"}, headers=_auth(), files={"x": ("a.txt", b"")}
    )
    assert_error(r, 422, "invalid_request")
    # A plain form value is not a file.
    upload = [("files", ("a.txt", "戊村通了公路。".encode(), "text/plain"))]
    r = write_client.post("/v1/documents", data={"files": "text"}, files=upload, headers=_auth())
    assert_error(r, 422, "invalid_request")
    assert_error(
        write_client.post(
            "/v1/documents", content=b"text", headers={**_auth(), "content-type": "text/plain"}
        ),
        415,
        "unsupported_media_type",
    )


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"articles": []},
        {"articles": [{"title": "no text"}]},
        {"articles": [{"text": ""}]},
        {"articles": [{"text": "x", "colour": "red"}]},
        {"articles": "not a list"},
        {"articles": [ARTICLE], "extra": True},
    ],
)
def test_add_bad_json(write_client: TestClient, body: object) -> None:
    assert_error(write_client.post("/v1/documents", json=body, headers=_auth()), 422)


def test_add_malformed_json(write_client: TestClient) -> None:
    headers = {**_auth(), "content-type": "application/json"}
    assert_error(write_client.post("/v1/documents", content=b"{", headers=headers), 422)


def test_writes_need_the_key(write_client: TestClient) -> None:
    c = write_client
    body = {"articles": [ARTICLE]}
    assert_error(c.post("/v1/documents", json=body), 401, "unauthorized")
    assert c.post("/v1/documents", json=body).headers["www-authenticate"] == "Bearer"
    assert_error(c.post("/v1/documents", json=body, headers=_auth("wrong")), 403, "forbidden")
    assert_error(
        c.post("/v1/documents", json=body, headers={"Authorization": f"Basic {ASCII_KEY}"}),
        401,
    )
    some_id = c.get("/v1/documents").json()["documents"][0]["id"]
    assert_error(c.delete(f"/v1/documents/{some_id}"), 401, "unauthorized")
    assert_error(c.delete(f"/v1/documents/{some_id}", headers=_auth("wrong")), 403, "forbidden")
    assert c.get("/v1/documents").json()["total"] == 2


def test_writes_refused_without_a_configured_key(
    tmp_path: Path, fresh_assistant: Assistant
) -> None:
    app = create_app(make_settings(tmp_path, api_key=None), fresh_assistant)
    with TestClient(app) as c:
        error = assert_error(
            c.post("/v1/documents", json={"articles": [ARTICLE]}, headers=_auth()),
            403,
            "writes_disabled",
        )
        assert "QA_API_KEY" in error["message"]
        doc_id = c.get("/v1/documents").json()["documents"][0]["id"]
        assert_error(c.delete(f"/v1/documents/{doc_id}", headers=_auth()), 403, "writes_disabled")
    # An empty key in the environment counts as none.
    assert make_settings(tmp_path, api_key="").api_key is None


def test_deleting_the_last_document_is_refused(write_client: TestClient) -> None:
    ids = [d["id"] for d in write_client.get("/v1/documents").json()["documents"]]
    assert write_client.delete(f"/v1/documents/{ids[0]}", headers=_auth()).status_code == 200
    assert_error(
        write_client.delete(f"/v1/documents/{ids[1]}", headers=_auth()), 409, "empty_corpus"
    )
    assert write_client.get("/v1/documents").json()["total"] == 1


def test_body_limit_is_413(tmp_path: Path, fresh_assistant: Assistant) -> None:
    app = create_app(make_settings(tmp_path, max_body_bytes=4096), fresh_assistant)
    with TestClient(app) as c:
        big = {"articles": [{**ARTICLE, "text": "长" * 5000}]}
        assert_error(c.post("/v1/documents", json=big, headers=_auth()), 413, "payload_too_large")
        assert_error(c.post("/v1/ask", json={"question": "长" * 5000}), 413, "payload_too_large")
        error = assert_error(
            c.post(
                "/v1/chat/completions",
                json={"model": "m", "messages": [{"role": "user", "content": "长" * 5000}]},
            ),
            413,
        )
        assert error["type"] == "invalid_request_error"

        # A chunked body (no Content-Length) is counted as it is read.
        def chunks() -> object:
            for _ in range(10):
                yield b'{"articles": [' + b" " * 1000

        r = c.post(
            "/v1/documents",
            content=chunks(),  # type: ignore[arg-type]
            headers={**_auth(), "content-type": "application/json"},
        )
        assert_error(r, 413, "payload_too_large")
        assert c.get("/v1/documents").json()["total"] == 2


def _auth(key: str = ASCII_KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


_BATCH = [
    "杭州11月2日电 白马湖实验室今天发布了一款深海清舱机器人，可在无人值守的情况下清理货舱。",
    "成都5月8日电 四川省气象台今天发布暴雨蓝色预警，提醒沿江地区做好防汛准备和山洪防范。",
    "广州3月14日电 广州地铁十八号线北延段今天开通试运营，全程用时比原来缩短约二十分钟。",
    "西安9月21日电 陕西考古研究院公布一处唐代墓葬的发掘成果，出土彩绘陶俑一百余件。",
    "昆明7月30日电 云南大理洱海流域今年的水质持续改善，全湖水质保持在优良水平之上。",
]


def _mtimes(index: Path) -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for p in index.rglob("*") if p.is_file()}


def test_writes_commit_only_new_files(write_client: TestClient, tmp_path: Path) -> None:
    c = write_client
    articles = [
        {**ARTICLE, "id": f"batch-{i}", "title": text[:12], "text": text}
        for i, text in enumerate(_BATCH)
    ]
    assert c.post("/v1/documents", json={"articles": articles}, headers=_auth()).status_code == 200
    index = tmp_path / "index"
    files = _mtimes(index)
    text = "南京6月5日电 江苏省今年夏粮收购工作全面展开，各地新建的烘干中心已投入使用。"
    second = {**ARTICLE, "id": "second", "title": "江苏夏粮收购", "text": text}
    assert c.post("/v1/documents", json={"articles": [second]}, headers=_auth()).status_code == 200
    after = _mtimes(index)
    changed = {p.name for p in files if p in after and after[p] != files[p]}
    assert changed == {"manifest.json"}  # earlier segments are never rewritten
    assert len(list((index / "segments").iterdir())) >= 3
    assert not list((index / "deletes").iterdir())
    # Deleting one of five documents of a segment writes a tombstone, nothing else.
    assert c.delete("/v1/documents/batch-2", headers=_auth()).status_code == 200
    final = _mtimes(index)
    changed = {p.name for p in after if p in final and final[p] != after[p]}
    assert changed == {"manifest.json"}
    assert all(p in final for p in after)
    tombstones = list((index / "deletes").iterdir())
    assert len(tombstones) == 1
    reloaded = Assistant.load(index, AssistantConfig(model=""))
    assert reloaded.get_document("batch-2") is None
    assert reloaded.get_document("batch-3") and reloaded.get_document("second")


def test_an_uploaded_archive_is_read_one_record_at_a_time(
    write_client: TestClient, tmp_path: Path
) -> None:
    """The memory an upload of a crawl archive takes does not grow with the archive
    (issue 30, item 1): the file is copied to disk in blocks, read a record at a time."""

    def upload(archive: Path) -> None:
        files = [("files", (archive.name, archive.read_bytes(), "application/warc"))]
        r = write_client.post("/v1/documents", files=files, headers=_auth())
        assert r.status_code == 200 and r.json()["documents"], r.text

    assert memory_growth(tmp_path, upload) < 3 * MB


# -- ids a client can address, sources without server paths (issue 30, items 6 and 7) ----


@pytest.mark.parametrize(
    ("doc_id", "reason"),
    [
        ("a/b", "'/' is not allowed"),
        ("../../etc/passwd", "'/' is not allowed"),
        ("<b>x</b>", "'<' is not allowed"),
        ("two words", "' ' is not allowed"),
        ("新闻1", "'新' is not allowed"),
        ("..", "must not be '.' or '..'"),
    ],
)
def test_an_id_the_api_could_not_address_is_refused(
    write_client: TestClient, doc_id: str, reason: str
) -> None:
    article = {**ARTICLE, "id": doc_id}
    r = write_client.post("/v1/documents", json={"articles": [article]}, headers=_auth())
    body = assert_error(r, 422, "invalid_request")
    assert body["message"].startswith("articles.0.id: ") and reason in body["message"]
    assert write_client.get("/v1/documents").json()["total"] == 2


def test_an_uploaded_jsonl_line_with_such_an_id_is_skipped_with_the_reason(
    write_client: TestClient,
) -> None:
    """... and every id the API accepts is addressable as it is."""
    lines = [
        {"id": "a/b", "text": "甲市今天开通了第一条地铁线路，全长二十公里。"},
        {"id": "ok-2", "text": "乙县的茶叶今年产量达到三千吨，创历史新高。"},
    ]
    data = "\n".join(json.dumps(x, ensure_ascii=False) for x in lines).encode()
    files = [("files", ("batch.jsonl", data, "application/jsonl"))]
    body = write_client.post("/v1/documents", files=files, headers=_auth()).json()
    assert [d["id"] for d in body["documents"]] == ["ok-2"]
    (skip,) = body["skipped"]
    assert (skip["source"], skip["code"]) == ("upload:batch.jsonl:1", "bad-id")
    assert "'a/b'" in skip["reason"] and "'/' is not allowed" in skip["reason"]
    ok = ["A-z_0.9:x", "n1", "2024-11-02.a", "x" * 200]
    articles = [{**ARTICLE, "id": i, "text": f"{ARTICLE['text']}{n}"} for n, i in enumerate(ok)]
    r = write_client.post("/v1/documents", json={"articles": articles}, headers=_auth())
    assert r.status_code == 200, r.text
    for doc_id in ["ok-2", *ok]:
        assert write_client.get(f"/v1/documents/{doc_id}").json()["id"] == doc_id
        assert write_client.delete(f"/v1/documents/{doc_id}", headers=_auth()).status_code == 200


def test_an_id_with_slashes_from_qa_ingest_is_addressable(tmp_path: Path) -> None:
    """``qa ingest`` takes a ``.jsonl`` file's ids as they are: GET and DELETE reach them,
    percent-encoded or not; ``/v1/documents/`` still redirects to the list."""
    feed = tmp_path / "feed.jsonl"
    lines = [
        {"id": "2024/11/a", "text": "甲市今天开通了第一条地铁线路，全长二十公里。"},
        {"id": "../../etc/passwd", "text": "乙县的茶叶今年产量达到三千吨，创历史新高。"},
    ]
    feed.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), "utf-8")
    assistant = Assistant.from_paths([feed, ARTICLES], AssistantConfig(model=""))
    with TestClient(create_app(make_settings(tmp_path), assistant)) as c:
        assert c.get("/v1/documents/2024/11/a").json()["id"] == "2024/11/a"
        assert c.get("/v1/documents/2024%2F11%2Fa").json()["id"] == "2024/11/a"
        encoded = "..%2F..%2Fetc%2Fpasswd"
        assert c.get(f"/v1/documents/{encoded}").json()["id"] == "../../etc/passwd"
        assert_error(c.get("/v1/documents/2024/11"), 404, "document_not_found")
        r = c.get("/v1/documents/", follow_redirects=False)
        assert r.status_code == 307 and r.headers["location"].endswith("/v1/documents")


def test_a_merged_copy_is_reported_as_merged_into_its_canonical_id(
    write_client: TestClient,
) -> None:
    seed = ARTICLES / "003_89db59789a0dcd3a.txt"
    copy = [("files", ("copy-of-003.txt", seed.read_bytes(), "text/plain"))]
    body = write_client.post("/v1/documents", files=copy, headers=_auth()).json()
    assert body["merged"] == 1
    (doc,) = body["documents"]
    kept = body["merges"][0]["kept"]
    assert doc["merged_into"] == kept and doc["id"] != kept
    assert write_client.get(f"/v1/documents/{kept}").status_code == 200
    # Its own id addresses no document; the 404 says where the copy is.
    error = assert_error(write_client.get(f"/v1/documents/{doc['id']}"), 404, "document_not_found")
    assert f"merged into the document {kept!r}" in error["message"]
    # Sent again: unchanged, still reported as merged into it.
    again = write_client.post("/v1/documents", files=copy, headers=_auth()).json()
    assert again["documents"][0]["merged_into"] == kept
    new = write_client.post("/v1/documents", json={"articles": [ARTICLE]}, headers=_auth())
    assert new.json()["documents"][0]["merged_into"] is None


def test_sources_never_show_a_server_path(tmp_path: Path) -> None:
    """Documents ingested from files show their path relative to what was ingested (or
    their URL); an index written before that, holding absolute paths, shows their last
    component."""
    from qa import document_from_text

    ingested = Assistant.from_paths([ARTICLES], AssistantConfig(model=""))
    old = document_from_text("丙市图书馆今日开馆。" * 5, source="/srv/news/2024/old.txt")
    ingested.add_documents([old])
    with TestClient(create_app(make_settings(tmp_path), ingested)) as c:
        listed = c.get("/v1/documents").json()["documents"]
        sources = sorted(d["source"] for d in listed)
        assert sources == sorted([*(p.name for p in ARTICLES.glob("*.txt")), "old.txt"])
        for d in listed:
            detail = c.get(f"/v1/documents/{d['id']}").json()
            assert not detail["source"].startswith("/") and str(ARTICLES) not in str(detail)
