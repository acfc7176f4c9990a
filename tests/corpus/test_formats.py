"""Formats as readers (corpus.formats): every reader keeps the contract, the registry picks
readers by the whole file name, and every list of formats (the unsupported skip, the
help of `qa ingest`, the upload description of the service) is rendered from it, so a
reader added to a registry is read and listed without editing the loader."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from dataclasses import FrozenInstanceError, dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from corpus import loaders
from corpus.formats import (
    FORMATS,
    BytesReader,
    FormatReader,
    FormatRegistry,
    JsonlReader,
    LoadResult,
    LoadTask,
    PartLimits,
    SkippedFile,
    SourceFile,
    TextReader,
    WarcReader,
    describe_formats,
    reader_for,
    suffix_list,
    supported_suffixes,
    whole_file,
)
from corpus.loaders import load_documents, plan_load, run_load_task
from tests.corpus.test_warc import write_crawl

ROOT = Path(__file__).resolve().parents[2]
ARTICLE = "成都5月8日电 四川省气象台今天发布暴雨蓝色预警，提醒沿江地区做好防汛准备和山洪防范。"
EVERY_SUFFIX = (".txt", ".md", ".html", ".htm", ".shtml", ".xhtml", ".jsonl", ".warc", ".warc.gz")


def _sample(tmp_path: Path, suffix: str) -> Path:
    """A small file of a format that gives one article or more."""
    path = tmp_path / f"sample{suffix}"
    if suffix in (".warc", ".warc.gz"):
        write_crawl(path, gz=suffix == ".warc.gz")
    elif suffix == ".jsonl":
        path.write_text(json.dumps({"text": ARTICLE}, ensure_ascii=False) + "\n", "utf-8")
    elif suffix == ".md":
        path.write_text(f"# 暴雨预警\n\n{ARTICLE}\n", "utf-8")
    elif suffix == ".txt":
        path.write_text(ARTICLE, "utf-8")
    else:
        page = f"<html><head><title>暴雨预警</title></head><body><p>{ARTICLE}</p></body></html>"
        path.write_text(page, "utf-8")
    return path


# --- the contract ------------------------------------------------------------------------


@pytest.mark.parametrize("reader", FORMATS.readers, ids=lambda r: r.name)
def test_every_reader_keeps_the_contract(reader: FormatReader, tmp_path: Path) -> None:
    assert isinstance(reader, FormatReader)
    assert reader.name and reader.description.strip() == reader.description
    # The help joins the descriptions with "; " and puts the suffixes in parentheses.
    assert not set(";()") & set(reader.description), reader.description
    assert reader.suffixes and all(s.startswith(".") and s == s.lower() for s in reader.suffixes)
    for method in ("plan", "read", "count_pages"):
        expected = inspect.signature(getattr(FormatReader, method))
        assert inspect.signature(getattr(reader, method)).parameters.keys() == (
            expected.parameters.keys() - {"self"}
        ), method
    with pytest.raises(FrozenInstanceError):
        reader.name = "other"  # type: ignore[misc]

    for suffix in reader.suffixes:
        file = SourceFile(_sample(tmp_path, suffix), tmp_path)
        size = file.path.stat().st_size
        tasks = list(reader.plan(file, size, PartLimits(1 << 20, 256)))
        assert tasks == [whole_file(file, size)] or all(t.path == str(file.path) for t in tasks)
        results = list(reader.read(file, whole_file(file, size)))
        assert results and all(isinstance(r, LoadResult) for r in results)
        assert len(results) == reader.count_pages(file)
        documents = [d for r in results for d in r.documents]
        assert documents and all(d.text for d in documents)
        # Documents name the file relative to the folder given, never the path as given.
        assert all(str(tmp_path) not in d.source for d in documents)


def test_the_formats_and_their_order() -> None:
    assert [r.name for r in FORMATS.readers] == ["text", "markdown", "web page", "jsonl", "warc"]
    assert supported_suffixes() == FORMATS.suffixes == EVERY_SUFFIX
    assert loaders.SUPPORTED_SUFFIXES == EVERY_SUFFIX
    assert loaders.HTML_SUFFIXES == (".html", ".htm", ".shtml", ".xhtml")
    assert suffix_list() == ".txt .md .html .htm .shtml .xhtml .jsonl .warc .warc.gz"
    assert suffix_list(", ").startswith(".txt, .md, ")
    assert describe_formats().split("; ")[-1] == (
        "web-crawl archives, one article per HTML page (.warc .warc.gz)"
    )


def test_the_loader_s_types_are_the_readers() -> None:
    assert loaders.SkippedFile is SkippedFile and loaders.LoadResult is LoadResult
    assert loaders.LoadTask is LoadTask


# --- lookup --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.txt", "text"),
        ("A.TXT", "text"),
        ("notes.Md", "markdown"),
        ("page.SHTML", "web page"),
        ("dir/page.xhtml", "web page"),
        ("feed.JSONL", "jsonl"),
        ("crawl.warc", "warc"),
        ("crawl.warc.gz", "warc"),
        ("CRAWL.WARC.GZ", "warc"),
        ("x.gz.warc.gz", "warc"),
        ("crawl.warc.gz.txt", "text"),
        ("archive.tar.gz", None),
        ("archive.gz", None),
        ("notes.pdf", None),
        ("README", None),
        ("a.txt.bak", None),
        (".txt", None),  # a hidden file: a name, no suffix (as Path.suffix has it)
        ("folder.txt/readme", None),
    ],
)
def test_a_reader_is_picked_by_the_whole_file_name(name: str, expected: str | None) -> None:
    reader = reader_for(name)
    assert (reader.name if reader else None) == expected
    assert reader_for(Path(name)) is reader


def test_an_unsupported_file_is_skipped_naming_the_supported_list(tmp_path: Path) -> None:
    for name in ("notes.pdf", "crawl.tar.gz", "README"):
        (tmp_path / name).write_bytes(b"x")
    result = load_documents([tmp_path])
    assert result.documents == ()
    supported = ".txt, .md, .html, .htm, .shtml, .xhtml, .jsonl, .warc, .warc.gz"
    assert {(Path(s.path).name, s.reason, s.code) for s in result.skipped} == {
        ("notes.pdf", f"unsupported file type '.pdf' (supported: {supported})", "unsupported"),
        ("crawl.tar.gz", f"unsupported file type '.gz' (supported: {supported})", "unsupported"),
        ("README", f"unsupported file type '' (supported: {supported})", "unsupported"),
    }
    assert FORMATS.unsupported("x.PDF") == f"unsupported file type '.pdf' (supported: {supported})"


# --- help text -------------------------------------------------------------------------------


def _squeezed(text: str) -> str:
    return "".join(text.split())


def test_qa_ingest_help_lists_every_format_from_the_registry() -> None:
    from qa.cli import app

    shown = CliRunner().invoke(app, ["ingest", "--help"])
    assert shown.exit_code == 0, shown.output
    assert f"Formats:{_squeezed(describe_formats())}." in _squeezed(shown.output)
    for reader in FORMATS.readers:
        assert _squeezed(f"{reader.description} ({' '.join(reader.suffixes)})") in _squeezed(
            shown.output
        )


def test_the_upload_description_lists_every_format_from_the_registry() -> None:
    from service.routers.documents import router

    extras = [getattr(route, "openapi_extra", None) for route in router.routes]
    [body] = [extra["requestBody"] for extra in extras if extra]
    files = body["content"]["multipart/form-data"]["schema"]["properties"]["files"]
    assert files["description"] == f"Article files: {suffix_list()}."


# --- a registry of one's own ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CsvReader(BytesReader):
    """A format of the test's own: one article per row of ``title,text``."""

    name: str = "csv"
    suffixes: tuple[str, ...] = (".csv",)
    description: str = "comma-separated rows of title and text"

    def read_bytes(self, data: bytes, file: SourceFile) -> LoadResult:
        from corpus.formats.documents import document_from_text

        docs = []
        for n, row in enumerate(data.decode("utf-8").splitlines(), start=1):
            title, _, text = row.partition(",")
            docs.append(document_from_text(text, source=f"{file.relative}:{n}", title=title))
        return LoadResult(tuple(docs))


def test_a_reader_added_to_a_registry_is_read_and_listed(tmp_path: Path) -> None:
    (tmp_path / "rows.CSV").write_text(f"暴雨预警,{ARTICLE}\n山洪防范,{ARTICLE}防范\n", "utf-8")
    (tmp_path / "a.txt").write_text(ARTICLE, "utf-8")
    registry = FORMATS.with_readers(CsvReader())

    result = load_documents([tmp_path], formats=registry)
    assert [d.source for d in result.documents] == ["a.txt", "rows.CSV:1", "rows.CSV:2"]
    assert result.documents[1].title == "暴雨预警" and result.skipped == ()
    parts = [run_load_task(t, formats=registry) for t in plan_load([tmp_path], formats=registry)]
    assert [d.source for r in parts for d in r.documents] == ["a.txt", "rows.CSV:1", "rows.CSV:2"]

    assert registry.suffix_list().endswith(".warc.gz .csv")
    assert registry.describe().endswith("; comma-separated rows of title and text (.csv)")
    assert "(supported: .txt" in registry.unsupported("x.pdf")
    assert registry.unsupported("x.pdf").endswith(", .csv)")
    # The default registry is unchanged: without the reader, the file is unsupported.
    assert reader_for("rows.csv") is None
    [skip] = load_documents([tmp_path]).skipped
    assert skip.code == "unsupported" and ".csv" not in skip.reason.split("supported:")[1]


def test_a_registry_refuses_readers_it_could_not_tell_apart() -> None:
    with pytest.raises(ValueError, match="claimed by both 'text' and 'notes'"):
        FORMATS.with_readers(TextReader(name="notes"))
    with pytest.raises(ValueError, match="two readers are named 'warc'"):
        FORMATS.with_readers(WarcReader(suffixes=(".arc",)))
    for suffix in ("csv", ".CSV", "."):
        with pytest.raises(ValueError, match="lower-case and start with a dot"):
            FormatRegistry((CsvReader(suffixes=(suffix,)),))
    with pytest.raises(ValueError, match="not a format reader"):
        FormatRegistry((object(),))  # type: ignore[arg-type]
    with pytest.raises(FrozenInstanceError):
        FORMATS.readers = ()  # type: ignore[misc]
    assert FormatRegistry((TextReader(suffixes=(".text",)),)).reader_for("a.TEXT") is not None


# --- streaming ---------------------------------------------------------------------------------


def test_large_files_are_planned_in_parts_by_their_readers(tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    lines = [json.dumps({"text": f"{ARTICLE}{i}"}, ensure_ascii=False) for i in range(5)]
    feed.write_text("\n".join(lines) + "\n", "utf-8")
    file = SourceFile(feed)
    size = feed.stat().st_size
    tasks = list(JsonlReader().plan(file, size, PartLimits(stream_bytes=10, part_lines=2)))
    assert [len(t.lines or ()) for t in tasks] == [2, 2, 1]
    read = [d.text for t in tasks for r in JsonlReader().read(file, t) for d in r.documents]
    assert read == [
        d.text for r in JsonlReader().read(file, whole_file(file, size)) for d in r.documents
    ]
    assert list(JsonlReader().plan(file, size, PartLimits(size, 2))) == [whole_file(file, size)]

    crawl = tmp_path / "crawl.warc.gz"
    write_crawl(crawl)
    archive = SourceFile(crawl)
    parts = list(WarcReader().plan(archive, crawl.stat().st_size, PartLimits(1, 256)))
    assert len(parts) > 1 and parts[0].start == 0
    pages = [p for t in parts for r in WarcReader().read(archive, t) for p in r.pages]
    assert len(pages) == WarcReader().count_pages(archive) == 7


def test_importing_the_registry_imports_no_parser() -> None:
    code = (
        "import sys, corpus.formats\n"
        "heavy = ('corpus.loaders', 'corpus.cleaning', 'corpus.html', 'corpus.encoding', "
        "'corpus.markdown', 'corpus.formats.documents', 'lxml', 'warcio')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"
