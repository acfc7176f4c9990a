"""Web-crawl archives written by the tests themselves with warcio."""

from __future__ import annotations

import gzip
from io import BytesIO
from pathlib import Path

import pytest
from typer.testing import CliRunner

from corpus import load_documents
from corpus.ids import url_id
from corpus.warc import WarcPage, WarcSkip, count_warc_pages, read_warc
from tests.corpus.fixtures.newspages import PAGES

HUADONG = PAGES / "huadong" / "2024" / "0701" / "c1001-20240701.html"
NETO = PAGES / "jiangnan" / "a" / "20240612-neto.html"
HAIXI = PAGES / "haixi" / "system" / "2024" / "06" / "20" / "030124001.html"
LIST = PAGES / "huadong" / "finance" / "index.html"
FETCHED = "2024-11-05T08:00:00Z"


def _response(
    writer: object,
    uri: str,
    body: bytes,
    content_type: str,
    status: str = "200 OK",
    headers: dict[str, str] | None = None,
) -> None:
    from warcio.statusandheaders import StatusAndHeaders

    http = StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1")
    record = writer.create_warc_record(  # type: ignore[attr-defined]
        uri,
        "response",
        payload=BytesIO(body),
        http_headers=http,
        warc_headers_dict={"WARC-Date": FETCHED, **(headers or {})},
    )
    writer.write_record(record)  # type: ignore[attr-defined]


def write_crawl(path: Path, *, gz: bool = True) -> None:
    """A crawl: pages, a list page, non-HTML and failed responses, and records that are
    not responses."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    haixi_no_meta = HAIXI.read_bytes().replace(
        b'<meta http-equiv="Content-Type" content="text/html; charset=gb2312">', b""
    )
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=gz)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "tests"}))
        request = writer.create_warc_record(
            "https://www.huadong-news.cn/2024/0701/c1001-20240701.html",
            "request",
            payload=BytesIO(b""),
            http_headers=StatusAndHeaders(
                "GET /2024/0701/c1001-20240701.html HTTP/1.1",
                [("Host", "www.huadong-news.cn")],
                is_http_request=True,
            ),
        )
        writer.write_record(request)
        # Fetched from the mobile site; the page names its canonical URL.
        _response(
            writer,
            "http://m.huadong-news.cn/2024/0701/c1001-20240701.html?from=timeline",
            HUADONG.read_bytes(),
            "text/html; charset=utf-8",
        )
        _response(
            writer, "https://www.jiangnan-times.com/a/20240612", NETO.read_bytes(), "text/html"
        )
        # GBK, declared only by the HTTP header.
        _response(
            writer,
            "http://news.haixi.com.cn/system/2024/06/20/030124001.shtml",
            haixi_no_meta,
            "text/html; charset=GBK",
            headers={"WARC-Truncated": "length"},
        )
        _response(writer, "https://www.huadong-news.cn/finance/", LIST.read_bytes(), "text/html")
        _response(
            writer, "https://www.huadong-news.cn/logo.png", b"\x89PNG\r\n\x1a\n" * 50, "image/png"
        )
        _response(writer, "https://www.huadong-news.cn/a.pdf", b"%PDF-1.4 ...", "application/pdf")
        _response(
            writer,
            "https://www.huadong-news.cn/gone.html",
            b"<h1>404</h1>",
            "text/html",
            "404 Not Found",
        )
        metadata = writer.create_warc_record(
            "https://www.huadong-news.cn/finance/",
            "metadata",
            payload=BytesIO(b"outlink: https://www.huadong-news.cn/\r\n"),
            warc_content_type="application/warc-fields",
        )
        writer.write_record(metadata)


@pytest.fixture()
def crawl(tmp_path: Path) -> Path:
    path = tmp_path / "crawl.warc.gz"
    write_crawl(path)
    return path


def test_html_responses_become_documents(crawl: Path) -> None:
    result = load_documents([crawl])
    docs = {d.title: d for d in result.documents}
    assert len(docs) == 3
    huadong = docs["長三角綠色低碳產業鏈聯盟成立,助新材料新能源企業深度協同"]
    # The canonical URL names the page, whatever URL the crawler fetched it from.
    assert huadong.url == "https://www.huadong-news.cn/2024/0701/c1001-20240701.html"
    assert huadong.id == url_id(huadong.url)
    assert huadong.source.startswith("http://m.huadong-news.cn/")
    # The fetch date is kept apart from the publication date.
    assert huadong.published == "2024-07-01T17:35:13"
    assert huadong.get_meta("fetched") == FETCHED
    # Without a canonical URL, the target URI names it.
    neto = docs["前锋莱昂德罗·内托：辗转多国联赛的射手"]
    assert neto.url == "https://www.jiangnan-times.com/a/20240612"
    assert neto.id == url_id(neto.url) and neto.published == "2024-06-12T21:30:00"
    haixi = docs["庫頁島與元明兩朝的治理史"]
    assert "蒙古汗國" in haixi.text  # decoded with the HTTP charset


def test_records_that_are_not_pages_are_skipped_with_reasons(crawl: Path) -> None:
    result = load_documents([crawl])
    codes = {s.path.rsplit("/", 1)[-1]: s.code for s in result.skipped}
    assert codes == {
        "": "list-page",  # https://www.huadong-news.cn/finance/
        "logo.png": "not-html",
        "a.pdf": "not-html",
        "gone.html": "http-error",
    }
    notes = [n for p in result.pages for n in p.notes]
    assert notes == ["the crawler truncated this record (length): the page may be incomplete"]


def test_progress_counts_pages(crawl: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    load_documents([crawl], progress=lambda s, d, t: calls.append((s, d, t)))
    assert count_warc_pages(crawl) == 7  # responses; warcinfo, request, metadata are not
    assert calls[-1] == ("load", 7, 7) and [c[1] for c in calls] == list(range(1, 8))


def test_uncompressed_archive(tmp_path: Path) -> None:
    path = tmp_path / "crawl.warc"
    write_crawl(path, gz=False)
    assert len(load_documents([path]).documents) == 3


def test_an_archive_cut_short_keeps_what_came_before(tmp_path: Path) -> None:
    whole = tmp_path / "whole.warc"
    write_crawl(whole, gz=False)
    data = whole.read_bytes()
    cut = tmp_path / "cut.warc"
    # End the archive inside the GBK page's payload.
    cut.write_bytes(data[: data.index("蒙古汗國".encode("gbk")) + 40])
    entries = list(read_warc(cut))
    pages = [e for e in entries if isinstance(e, WarcPage)]
    skips = [e for e in entries if isinstance(e, WarcSkip)]
    assert len(pages) == 2
    assert [s.code for s in skips] == ["truncated"]
    result = load_documents([cut])
    assert len(result.documents) == 2 and result.skipped[0].code == "truncated"


def test_a_damaged_archive_is_read_up_to_the_damage(tmp_path: Path) -> None:
    from warcio.archiveiterator import ArchiveIterator

    whole = tmp_path / "whole.warc.gz"
    write_crawl(whole)
    with whole.open("rb") as fh:
        records = ArchiveIterator(fh)
        offsets = []
        for record in records:
            record.content_stream().read()
            offsets.append(
                (record.rec_headers.get_header("WARC-Target-URI"), records.get_record_offset())
            )
    # Garbage where the record after the second page starts.
    pairs = zip(offsets[1:], offsets[:-1], strict=True)
    cut = next(o for (_, o), (prev, _) in pairs if prev and "jiangnan" in prev)
    data = whole.read_bytes()
    damaged = tmp_path / "damaged.warc.gz"
    damaged.write_bytes(data[:cut] + b"garbage, not a record" + data[cut:])
    result = load_documents([damaged])
    assert len(result.documents) == 2
    assert result.skipped[-1].code == "damaged" and "re-fetch" in result.skipped[-1].reason


@pytest.mark.parametrize(
    "data",
    [b"", b"\x1f\x8b\x08\x00garbage", gzip.compress(b"")],
    ids=["empty", "broken-gzip", "empty-gzip"],
)
def test_an_archive_with_no_record_is_skipped_with_a_reason(tmp_path: Path, data: bytes) -> None:
    # warcio ends such a file without an error; the file must not vanish silently.
    path = tmp_path / "upload.warc.gz"
    path.write_bytes(data)
    assert [(s.code, s.where) for s in read_warc(path)] == [("empty", str(path))]
    result = load_documents([path])
    assert not result.documents
    assert [s.code for s in result.skipped] == ["empty"]
    assert "not a WARC archive" in result.skipped[0].reason


def test_text_that_is_no_archive_is_damaged(tmp_path: Path) -> None:
    # warcio would read a line of five words as an ARC record header.
    path = tmp_path / "notes.warc.gz"
    path.write_bytes(gzip.compress("这不是 一个 网页 存档 文件\n正文".encode()))
    assert [(s.code, "not a WARC archive" in s.message) for s in read_warc(path)] == [
        ("damaged", True)
    ]


def test_qa_ingest_reads_an_archive(crawl: Path, tmp_path: Path) -> None:
    from qa.cli import app

    result = CliRunner().invoke(
        app, ["ingest", str(crawl), "--index", str(tmp_path / "idx"), "--model", "", "--report"]
    )
    assert result.exit_code == 0, result.output
    assert "3 documents" in result.output and "4 skipped" in result.output
    assert f"fetched: {FETCHED}" in result.output
    assert "not-html: not an HTML page (image/png)" in result.output
