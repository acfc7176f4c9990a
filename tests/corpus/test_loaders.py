"""load_documents and document_from_text over every supported format."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest

from corpus import (
    Document,
    PathNotFoundError,
    SkippedFile,
    content_hash,
    document_from_text,
    load_documents,
)
from corpus.ids import path_id
from tests.corpus.conftest import SEED_000, SEED_003

ARTICLE = (
    "中新網杭州11月1日電(奚金燕)11月1日,第六屆長三角地區國資國企聯席會議在浙江杭州召開。"
    "會上舉行了長三角國資百企聯盟創新子聯盟成立儀式。(完)\n相關閱讀"
)


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def test_document_from_text_extracts_and_caller_wins(raw_000: str) -> None:
    doc = document_from_text(raw_000, source="a.txt")
    assert doc.id == path_id("a.txt")  # the id of a.txt loaded from its folder
    assert doc.content_hash == content_hash(raw_000)
    assert doc.title.startswith("長三角綠色低碳")
    assert doc.published == "2024-07-01T17:35:13"
    assert doc.outlet == "澎湃新聞"
    assert doc.get_meta("caption").endswith("姚似璐 圖")
    assert doc.meta == tuple(sorted(doc.meta))
    assert doc.report.count("pinyin") == 241

    given = document_from_text(
        raw_000,
        source="a.txt",
        title="給定標題",
        published="2024-07-02",
        outlet="某報",
        url="https://example.com/a",
        doc_id="my-id",
    )
    assert (given.id, given.title, given.published, given.outlet, given.url) == (
        "my-id",
        "給定標題",
        "2024-07-02",
        "某報",
        "https://example.com/a",
    )
    assert Document.from_dict(given.to_dict()) == given


def test_document_from_text_without_cleaning() -> None:
    doc = document_from_text("長(zhǎng)三角\r\n\r\n\r\n第二段 ", source="x", clean=False)
    assert doc.text == "長(zhǎng)三角\n\n第二段"
    assert doc.report.removals == () and doc.title == ""


def test_load_seed_directory() -> None:
    calls: list[tuple[str, int, int]] = []
    result = load_documents(
        [SEED_000.parent], progress=lambda stage, done, total: calls.append((stage, done, total))
    )
    # Sources are relative to the folder given: no server path is stored.
    assert [d.source for d in result.documents] == [SEED_000.name, SEED_003.name]
    assert result.skipped == ()
    assert calls == [("load", 1, 2), ("load", 2, 2)]
    seed_003 = result.documents[1]
    assert (seed_003.outlet, seed_003.place, seed_003.reporter) == ("中新網", "杭州", "奚金燕")
    assert seed_003.text.endswith("營造良好的創新氛圍。")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "big5"])
def test_txt_in_each_encoding(tmp_path: Path, encoding: str) -> None:
    path = _write(tmp_path / f"a_{encoding}.txt", ARTICLE, encoding)
    result = load_documents([path])
    assert result.skipped == ()
    (doc,) = result.documents
    assert doc.source == path.name
    assert doc.text.endswith("成立儀式。")
    assert (doc.outlet, doc.place, doc.reporter) == ("中新網", "杭州", "奚金燕")


def test_seed_in_gb18030_matches_utf8(tmp_path: Path, raw_003: str) -> None:
    gb = _write(tmp_path / "seed.txt", raw_003.replace("?", "?"), "gb18030")
    doc = load_documents([gb]).documents[0]
    assert doc.text == document_from_text(raw_003, source="x").text


def test_bad_files_are_skipped_with_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    good = _write(tmp_path / "good.txt", ARTICLE)
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.md").write_bytes(b"  \n\n")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02binary\x00" * 10)
    (tmp_path / "noise.html").write_bytes(bytes(range(0x80, 0x100)) * 3)
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.4")
    _write(tmp_path / ".hidden.txt", ARTICLE)
    _write(tmp_path / ".git" / "x.txt", ARTICLE)
    with caplog.at_level(logging.WARNING, logger="corpus"):
        result = load_documents([tmp_path])
    assert [d.source for d in result.documents] == [good.name]
    reasons = {Path(s.path).name: s.reason for s in result.skipped}
    assert set(reasons) == {"empty.txt", "blank.md", "binary.txt", "noise.html", "notes.pdf"}
    assert "empty" in reasons["empty.txt"] and "empty" in reasons["blank.md"]
    assert "binary" in reasons["binary.txt"]
    assert "encoding" in reasons["noise.html"]
    assert "unsupported" in reasons["notes.pdf"]
    logged = caplog.text
    for name in reasons:
        assert name in logged


def test_missing_path_raises(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "a.txt"
    with pytest.raises(PathNotFoundError, match="nope"):
        load_documents([missing])


def test_markdown(tmp_path: Path) -> None:
    md = (
        "# 長三角**綠色**聯盟成立\n\n"
        "## 小標題\n\n"
        "新華社北京3月5日電 據[澎湃新聞](https://www.thepaper.cn)報道,*聯盟*成立。\n\n"
        "![現場](img.png)\n"
        "- 第一點:`合作`\n"
        "> 引用一句話。\n"
    )
    path = _write(tmp_path / "a.md", md)
    (doc,) = load_documents([path]).documents
    assert doc.title == "長三角綠色聯盟成立"
    assert doc.text == (
        "長三角綠色聯盟成立\n"
        "小標題\n\n新華社北京3月5日電 據澎湃新聞報道,聯盟成立。\n\n第一點:合作\n引用一句話。"
    )
    assert "#" not in doc.text and "*" not in doc.text and "](" not in doc.text


def test_html(tmp_path: Path) -> None:
    html = """<!doctype html><html><head><meta charset="utf-8">
    <title>頁面標題 - 網站</title><style>p{color:red}</style>
    <script>var x = "不要這段";</script></head>
    <body><header><nav>首頁 | 新聞</nav><h1>長三角聯盟成立</h1></header>
    <article><p>中新網杭州11月1日電(奚金燕)會議&nbsp;在杭州召開。</p>
    <p>長(zhǎng)三角<b>國資</b>國企<br>深化合作。</p></article>
    <footer>版權所有 © 2024</footer></body></html>"""
    path = _write(tmp_path / "a.html", html)
    (doc,) = load_documents([path]).documents
    assert doc.title == "長三角聯盟成立"
    # A whole page goes through main-content extraction: one block per line.
    # The headline is the text's first line, then the body.
    assert doc.text == (
        "長三角聯盟成立\n中新網杭州11月1日電(奚金燕)會議 在杭州召開。\n長三角國資國企\n深化合作。"
    )
    assert doc.reporter == "奚金燕"
    for junk in ("不要這段", "首頁", "版權", "color"):
        assert junk not in doc.text


def test_html_title_falls_back_to_title_tag(tmp_path: Path) -> None:
    path = _write(tmp_path / "b.htm", "<html><head><title>只有標題</title></head><p>正文。</p>")
    (doc,) = load_documents([path]).documents
    assert (doc.title, doc.text) == ("只有標題", "只有標題\n正文。")


def test_jsonl(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "n1", "title": "標題一", "text": ARTICLE, "url": "https://e.com/1"}),
        "",
        "{not json",
        json.dumps(["a", "list"]),
        json.dumps({"title": "沒有正文"}),
        json.dumps({"text": "長(zhǎng)三角合作。", "source": "feed-7", "published": "2024-01-02"}),
        json.dumps({"text": "第三篇文章。"}),
        json.dumps({"text": "數字標題。", "title": 5}),
    ]
    path = _write(tmp_path / "feed.jsonl", "\n".join(lines) + "\n")
    result = load_documents([path])
    docs = result.documents
    assert [d.id for d in docs] == ["n1", path_id("feed-7"), path_id("feed.jsonl:7")]
    assert docs[0].title == "標題一" and docs[0].url == "https://e.com/1"
    assert docs[0].source == "https://e.com/1"
    assert docs[0].text.endswith("成立儀式。") and docs[0].reporter == "奚金燕"
    assert docs[1].text == "長三角合作。" and docs[1].published == "2024-01-02"
    assert docs[2].source == "feed.jsonl:7"
    assert [s.path for s in result.skipped] == [f"{path}:{n}" for n in (3, 4, 5, 8)]
    assert all(isinstance(s, SkippedFile) and s.reason for s in result.skipped)


def test_duplicate_ids_and_paths(tmp_path: Path) -> None:
    shutil.copy(SEED_000, tmp_path / "a.txt")
    lines = [json.dumps({"id": "same", "text": "一。"}), json.dumps({"id": "same", "text": "二。"})]
    _write(tmp_path / "b.jsonl", "\n".join(lines))
    result = load_documents([tmp_path, tmp_path / "a.txt"])
    assert [d.id for d in result.documents] == [path_id("a.txt"), "same"]
    # The later of two articles with one id wins, as an update does in the index.
    assert result.documents[1].text == "二。"
    assert len(result.skipped) == 1
    assert result.skipped[0].path.endswith("b.jsonl:1") and "same id" in result.skipped[0].reason
