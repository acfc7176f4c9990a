"""Web-crawl archives written by the tests themselves with warcio."""

from __future__ import annotations

import gzip
import tracemalloc
from collections.abc import Callable
from dataclasses import replace
from io import BytesIO
from pathlib import Path

import pytest
from typer.testing import CliRunner

from corpus import load_documents
from corpus import loaders as loaders_module
from corpus.ids import url_id
from corpus.loaders import plan_load, run_load_task
from corpus.warc import WarcPage, WarcSkip, count_warc_pages, read_warc, warc_parts
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


# -- archives are streamed (issue 30, item 1) ---------------------------------------------

MB = 1_000_000


def write_large_crawl(path: Path, records: int, size: int = MB) -> None:
    """``records`` HTML responses of about ``size`` bytes each, one gzip member each: the
    same article page padded with a comment (read and parsed whole, dropped by
    extraction), so large pages make a small archive and small documents."""
    from warcio.warcwriter import WARCWriter

    page = NETO.read_bytes()
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=path.name.endswith(".gz"))
        for i in range(records):
            pad = b"<!--" + (b"%08d " % i) * (size // 9) + b"-->"
            body = page.replace(b"</body>", pad + b"</body>")
            _response(writer, f"https://www.jiangnan-times.com/a/{i}", body, "text/html")


def traced_peak(run: Callable[[], object]) -> int:
    """The most memory Python held (tracemalloc) while ``run`` ran."""
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def memory_growth(tmp_path: Path, read: Callable[[Path], object]) -> int:
    """How much more memory ``read`` takes on an archive of 16 pages of 1 MB than on
    one of 4 (after a first read, so that what is imported or cached once is not
    counted): 12 MB or more where an archive is held whole, nothing where it is
    streamed."""
    archives = {}
    for n in (1, 4, 16):
        archives[n] = tmp_path / f"crawl-{n}.warc.gz"
        write_large_crawl(archives[n], n)
    read(archives[1])
    return traced_peak(lambda: read(archives[16])) - traced_peak(lambda: read(archives[4]))


def _in_parts(path: Path) -> None:
    for task in plan_load([path]):
        run_load_task(task)


@pytest.mark.parametrize(
    "read", [lambda p: load_documents([p]), _in_parts], ids=["load_documents", "plan_load-parts"]
)
def test_an_archive_is_read_one_record_at_a_time(
    tmp_path: Path, read: Callable[[Path], object]
) -> None:
    assert memory_growth(tmp_path, read) < 3 * MB


def test_a_record_over_the_size_limit_is_never_read_into_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.warc.gz"
    write_large_crawl(path, 1, 16 * MB)
    list(read_warc(path, max_record_bytes=8 * MB))  # warm up
    entries: list[WarcPage | WarcSkip] = []
    peak = traced_peak(lambda: entries.extend(read_warc(path, max_record_bytes=8 * MB)))
    assert [(e.code, e.where) for e in entries if isinstance(e, WarcSkip)] == [
        ("too-large", "https://www.jiangnan-times.com/a/0")
    ]
    # Read past in small blocks: not even the 8 MB up to the limit are held (a block
    # inflates to about 2 MB at most).
    assert peak < 6 * MB


def test_an_archive_read_in_parts_gives_what_it_gives_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each record its own part (the parts' byte budget set to 1): the documents, ids,
    skips (damage included) and page reports are those of reading the archive whole."""
    crawl = tmp_path / "crawl.warc.gz"
    write_crawl(crawl)
    cut = tmp_path / "cut.warc"
    write_crawl(cut, gz=False)
    plain = cut.read_bytes()
    cut.write_bytes(plain[: plain.index("蒙古汗國".encode("gbk")) + 40])  # ends in a record
    damaged = tmp_path / "damaged.warc.gz"
    data = crawl.read_bytes()
    at = [p.start for p in warc_parts(crawl, part_bytes=1)]
    assert len(at) == 10  # one part per record
    damaged.write_bytes(data[: at[4]] + b"garbage, not a record" + data[at[4] :])
    monkeypatch.setattr(loaders_module, "STREAM_BYTES", 1)
    for archive in (crawl, cut, damaged):
        whole = load_documents([archive])
        tasks = list(plan_load([archive]))
        assert len(tasks) > 2
        assert sum(t.size for t in tasks) == archive.stat().st_size
        parts = [run_load_task(t) for t in tasks]
        docs = [d for r in parts for d in r.documents]
        assert docs and [(d.id, d.source, d.text) for d in docs] == [
            (d.id, d.source, d.text) for d in whole.documents
        ]
        skipped = [(s.path, s.code, s.reason) for r in parts for s in r.skipped]
        assert skipped == [(s.path, s.code, s.reason) for s in whole.skipped]
        untimed = [replace(p, seconds=0.0) for r in parts for p in r.pages]
        assert untimed == [replace(p, seconds=0.0) for p in whole.pages]
    assert [s.code for s in load_documents([cut]).skipped][-1] == "truncated"
    assert [s.code for s in load_documents([damaged]).skipped][-1] == "damaged"
