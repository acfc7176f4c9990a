"""Web pages one piece at a time: decoding, fragments, metadata rules, bad input."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpus import UnreadableFileError, load_documents
from corpus.html import decode_page, extract_page, split_title
from corpus.html.metadata import parse_byline
from corpus.normalize import to_script
from tests.corpus.fixtures.newspages import PAGES

ARTICLE = (
    "中新網杭州11月1日電(奚金燕)11月1日,第六屆長三角地區國資國企聯席會議在浙江杭州召開。"
    "會上舉行了長三角國資百企聯盟創新子聯盟成立儀式,發布了倡議書。"
)
BODY = "".join(f"<p>{ARTICLE}第{i}段。</p>" for i in range(4))
MENU = "".join(f'<li><a href="/c/{i}">频道{i}</a></li>' for i in range(20))


def page(head: str = "", byline: str = "", body: str = BODY, extra: str = "") -> str:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'>{head}</head><body>"
        f"<div class='nav'><ul>{MENU}</ul></div><h1>長三角國資國企聯席會議召開</h1>"
        f"<div class='info'>{byline}</div><div class='content'>{body}</div>{extra}"
        "<div class='footer'>Copyright 2003-2023 示例网 版权所有</div></body></html>"
    )


def extract(html: str, **kwargs: object) -> tuple[str, str, str]:
    result = extract_page(html, **kwargs)  # type: ignore[arg-type]
    code = result.skip.code if result.skip else ""
    return result.text, result.metadata.published, code


# -- decoding ----------------------------------------------------------------------------


def test_declared_and_undeclared_legacy_encodings() -> None:
    html = page(byline="2024-06-05 来源：新华社")
    declared = html.replace("charset='utf-8'", "charset='gb2312'").encode("gbk")
    assert decode_page(declared, "a.html") == html.replace("charset='utf-8'", "charset='gb2312'")
    undeclared = html.replace("<meta charset='utf-8'>", "").encode("gbk")
    assert "國資國企" in decode_page(undeclared, "b.html")
    # Mislabelled: Chinese bytes declared ISO-8859-1 decode by detection, not as mojibake.
    mislabelled = html.replace("charset='utf-8'", "charset='iso-8859-1'").encode("gb18030")
    assert "國資國企" in decode_page(mislabelled, "c.html")
    traditional = to_script(html, "traditional").replace("charset='utf-8'", "charset='big5'")
    big5 = traditional.encode("big5")
    assert "國資國企" in decode_page(big5, "d.html")
    # A transport charset (HTTP Content-Type) that fits wins over detection.
    assert "國資國企" in decode_page(undeclared, "e.html", declared="gbk")


def test_undecodable_and_empty_pages_raise_a_named_error() -> None:
    with pytest.raises(UnreadableFileError, match="empty"):
        decode_page(b"   ", "x.html")
    with pytest.raises(UnreadableFileError, match="binary"):
        decode_page(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20, "x.html")


# -- fragments and pages ------------------------------------------------------------------


def test_bare_fragments_are_kept_whole() -> None:
    fragment = "<h1>標題</h1><p>第一段。</p><ul><li>第一點：合作。</li><li>第二點：發展。</li></ul>"
    result = extract_page(fragment)
    assert result.mode == "fragment" and result.metadata.title == "標題"
    assert "第一點：合作。" in result.text and "第二點" in result.text  # lists too


def test_a_page_without_html_tags_but_with_menus_is_a_page() -> None:
    soup = f"<div class='nav'><ul>{MENU}</ul></div><div class='content'>{BODY}</div>"
    result = extract_page(soup)
    assert result.mode == "page"
    assert "频道" not in result.text and ARTICLE in result.text


def test_index_page_is_skipped() -> None:
    items = "".join(
        f'<li><a href="/a/{i}.html">长三角第{i}条要闻标题在这里</a>'
        f"<span>2024-10-{i + 1:02d}</span></li>"
        for i in range(25)
    )
    text, _, code = extract(page(body=f"<ul class='list'>{items}</ul>"))
    assert code == "list-page" and text == ""


# -- metadata: stated, never guessed --------------------------------------------------------


def test_dates_from_meta_json_ld_time_and_byline() -> None:
    meta = "<meta property='article:published_time' content='2024-06-05T10:20:00+08:00'>"
    assert extract(page(head=meta))[1] == "2024-06-05T10:20:00"
    ld = (
        '<script type="application/ld+json">'
        '{"@type":"NewsArticle","datePublished":"2024-06-05"}</script>'
    )
    assert extract(page(head=ld))[1] == "2024-06-05"
    time_el = "<time datetime='2024-06-05T08:00:00'>6月5日</time>"
    assert extract(page(byline=time_el))[1] == "2024-06-05T08:00:00"
    assert extract(page(byline="2024年06月05日 10:20 来源：新华社"))[1] == "2024-06-05T10:20:00"
    # The byline adds the time of day to a structured date of the same day.
    both = page(head="<meta name='publishdate' content='2024-06-05'>", byline="2024-06-05 09:30")
    assert extract(both)[1] == "2024-06-05T09:30:00"


def test_a_date_in_the_address_only_where_the_page_states_none() -> None:
    # A CMS's date path (htmldate reads it too) dates a page that states no date...
    canonical = "<link rel='canonical' href='https://example.com/2024/06/05/a.html'>"
    assert extract(page(head=canonical))[1] == "2024-06-05"
    # ...but the page's own statement comes first, and an id is not a date.
    stated = page(head=canonical, byline="2024年06月07日 10:20 来源：新华社")
    assert extract(stated)[1] == "2024-06-07T10:20:00"
    numbered = "<link rel='canonical' href='https://example.com/news/20241399/a.html'>"
    assert extract(page(head=numbered))[1] == ""


def test_no_date_is_guessed() -> None:
    # No copyright year, dates of other articles, comments, or "3 hours ago".
    sidebar = "<div class='side'><ul><li><a>别的新闻</a><span>2024-06-01</span></li></ul></div>"
    comments = "<div class='comment'><p>网友：好！</p><span>2024-06-07 10:00</span></div>"
    assert extract(page(byline="3小时前 来源：新华社", extra=sidebar + comments))[1] == ""
    # Nor a publication date after the page was fetched.
    future = "<meta name='publishdate' content='2031-01-01'>"
    assert extract(page(head=future), fetched=date(2024, 11, 5))[1] == ""


def test_byline_fields() -> None:
    byline = parse_byline(["2024-07-01 17:35:13 来源：澎湃新闻记者：姚似璐 浏览量：12"])
    assert (byline.published, byline.source, byline.author) == (
        "2024-07-01T17:35:13",
        "澎湃新闻",
        "姚似璐",
    )
    assert parse_byline(["記者陳美玲／台北報導"]).author == "陳美玲"
    assert parse_byline(["本报记者 周宁 通讯员 王强"]).author == "周宁"
    assert parse_byline(["作者：林晓、王芳"]).author == "林晓、王芳"
    assert parse_byline(["责任编辑：王伟"]) == parse_byline([])


@pytest.mark.parametrize(
    ("title", "site", "expected"),
    [
        ("长三角联盟成立_财经_华东在线", "", ("长三角联盟成立", "华东在线")),
        ("长三角联盟成立--中原网", "", ("长三角联盟成立", "中原网")),
        ("长三角联盟成立 | 江南时报", "", ("长三角联盟成立", "江南时报")),
        ("COVID-19疫苗接种工作有序推进", "", ("COVID-19疫苗接种工作有序推进", "")),
        ("一个没有后缀的标题", "", ("一个没有后缀的标题", "")),
        ("短-海西网", "海西网", ("短", "海西网")),
    ],
)
def test_split_title(title: str, site: str, expected: tuple[str, str]) -> None:
    assert split_title(title, site) == expected


def test_canonical_url() -> None:
    relative = "<link rel='canonical' href='/news/a.html?utm_source=x#top'>"
    result = extract_page(page(head=relative), url="https://www.example.com/m/news/a.html")
    assert result.metadata.url == "https://www.example.com/news/a.html"
    # A canonical link to the home page is a template error, not the article's address.
    home = "<link rel='canonical' href='https://www.example.com/'>"
    assert extract_page(page(head=home)).metadata.url == ""
    og = "<meta property='og:url' content='https://www.example.com/b.html'>"
    assert extract_page(page(head=og)).metadata.url == "https://www.example.com/b.html"


# -- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "html",
    [
        # unclosed and stray tags, garbage attributes, an unterminated comment
        page(body=f"<div><p>{ARTICLE}<p>{ARTICLE}<span><b>{ARTICLE}</div></div></div><p class=>"),
        page(body=f"<table><tr><td>{ARTICLE}<td>{ARTICLE}</table></td></tr><!-- 未闭合"),
        # a page cut off in the middle of the article
        page(body=BODY)[: page(body=BODY).index("第2段")],
        "<?xml version='1.0' encoding='utf-8'?>" + page(),
    ],
)
def test_malformed_html_is_repaired(html: str) -> None:
    result = extract_page(html)
    assert result.skip is None and "長三角" in result.text


def test_deeply_nested_html_is_skipped() -> None:
    deep = page(body="<div>" * 5000 + ARTICLE + "</div>" * 5000)
    text, _, code = extract(deep)
    assert code == "malformed-html" and text == ""


def test_ten_megabyte_pages() -> None:
    # Ten megabytes of text: skipped, not extracted for minutes.
    huge_text = page(body=f"<p>{ARTICLE}</p>" * 50_000)
    assert len(huge_text.encode()) > 10_000_000
    assert extract(huge_text)[2] == "too-large"
    # Ten megabytes of inline script around a normal article: the article.
    script = "<script>window.__STATE__=" + '"' + "x" * 10_000_000 + '"' + ";</script>"
    text, _, code = extract(page(head=script))
    assert code == "" and ARTICLE in text


def test_bad_files_among_good_ones_do_not_stop_the_ingest(tmp_path: Path) -> None:
    good = PAGES / "jiangnan" / "a" / "20240612-neto.html"
    (tmp_path / "good.html").write_bytes(good.read_bytes())
    (tmp_path / "empty.html").write_bytes(b"")
    (tmp_path / "image.html").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00" * 100)
    (tmp_path / "deep.htm").write_text(page(body="<div>" * 3000), encoding="utf-8")
    (tmp_path / "legacy.shtml").write_bytes(
        page().replace("<meta charset='utf-8'>", "").encode("gbk")
    )
    result = load_documents([tmp_path])
    assert sorted(Path(d.source).name for d in result.documents) == ["good.html", "legacy.shtml"]
    codes = {Path(s.path).name: s.code for s in result.skipped}
    assert codes == {"empty.html": "empty", "image.html": "binary", "deep.htm": "malformed-html"}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                [
                    "<div>",
                    "</div>",
                    "<p>",
                    "</p>",
                    "<a href='/x'>",
                    "</a>",
                    "<br>",
                    "<html>",
                    "<body>",
                    "<script>",
                    "</script>",
                    "<h1>",
                    "</h1>",
                    "<meta charset='gbk'>",
                    "<!--",
                    "-->",
                    "<time datetime='2024-13-45'>",
                ]
            ),
            st.text(max_size=40),
        ),
        max_size=40,
    )
)
def test_extraction_never_raises(parts: list[str]) -> None:
    result = extract_page("".join(parts))
    assert result.skip is None or result.skip.code
    assert result.metadata.published == "" or result.metadata.published[:4].isdigit()


@settings(max_examples=80, deadline=None)
@given(st.binary(max_size=400), st.sampled_from(["", "utf-8", "gbk", "big5", "latin-1", "x"]))
def test_decoding_raises_only_a_named_error(data: bytes, declared: str) -> None:
    try:
        text = decode_page(data, "x.html", declared)
    except UnreadableFileError as exc:
        assert "x.html" in str(exc)
    else:
        assert text.strip()
