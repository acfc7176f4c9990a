"""Whole news pages (tests/corpus/fixtures/pages, five site templates): only the article
survives, its metadata is found, list pages are skipped, ids do not depend on where the
collection lies."""

from __future__ import annotations

import json
import re
import shutil
import socket
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import pytest

from corpus import Document, load_documents
from corpus.html import decode_page, extract_page
from corpus.ids import path_id, url_id
from corpus.normalize import normalize_for_matching
from tests.corpus.fixtures.newspages import EXPECTED, PAGES, Expected, load_expected, render_all

EXPECTATIONS = load_expected()
ARTICLES = [e for e in EXPECTATIONS if e.kind == "article"]


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", normalize_for_matching(text))


@pytest.fixture(scope="module")
def loaded() -> dict[str, Document]:
    result = load_documents([PAGES])
    # A page's source is its path relative to the folder loaded.
    return {d.source: d for d in result.documents}


def test_fixture_pages_are_current() -> None:
    # Regenerate with: python -m tests.corpus.fixtures.newspages
    rendered = render_all()
    for exp, data in rendered:
        assert (PAGES / exp.file).read_bytes() == data, exp.file
    records = json.loads(json.dumps([asdict(e) for e, _ in rendered], ensure_ascii=False))
    assert records == json.loads(EXPECTED.read_text(encoding="utf-8"))
    sites = {e.site for e in EXPECTATIONS}
    assert len(sites) >= 4 and any(e.encoding == "gbk" for e in EXPECTATIONS)


@pytest.mark.parametrize("exp", ARTICLES, ids=lambda e: e.file)
def test_only_the_article_survives(exp: Expected, loaded: dict[str, Document]) -> None:
    doc = loaded[exp.file]
    gold = _norm("".join(exp.paragraphs))
    text = _norm(doc.text)
    for paragraph in exp.paragraphs:
        assert _norm(paragraph) in text, paragraph[:30]
    headline, _, body = doc.text.partition("\n")
    assert headline == doc.title  # the headline is the first line of the text, once
    for line in body.split("\n"):
        assert _norm(line) in gold, f"not article text: {line[:40]!r}"
    for fact in exp.sidebar_facts:
        assert _norm(fact)[:12] not in text, fact


@pytest.mark.parametrize("exp", ARTICLES, ids=lambda e: e.file)
def test_metadata_is_found(exp: Expected, loaded: dict[str, Document]) -> None:
    doc = loaded[exp.file]
    assert doc.title == exp.title
    assert doc.published == exp.published  # "" where the page states no date
    assert doc.reporter == exp.author
    assert doc.outlet == exp.outlet
    assert doc.url == exp.url
    assert doc.get_meta("site_name") == exp.site_name


def test_dates_usable_by_the_filters(loaded: dict[str, Document]) -> None:
    for doc in loaded.values():
        assert doc.published == "" or re.fullmatch(
            r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2})?", doc.published
        )


def test_list_pages_are_skipped_with_a_named_reason() -> None:
    result = load_documents([PAGES])
    skipped = {Path(s.path).relative_to(PAGES).as_posix(): s for s in result.skipped}
    lists = {e.file for e in EXPECTATIONS if e.kind == "list"}
    assert set(skipped) == lists
    assert {s.code for s in skipped.values()} <= {"list-page", "no-article-text"}
    assert skipped["huadong/finance/index.html"].code == "list-page"
    reports = {Path(p.source).relative_to(PAGES).as_posix(): p for p in result.pages}
    for name in lists:
        assert reports[name].skip_code == skipped[name].code and not reports[name].doc_id


def test_ids_from_canonical_urls_or_relative_paths(loaded: dict[str, Document]) -> None:
    for exp in ARTICLES:
        doc = loaded[exp.file]
        assert doc.id == (url_id(exp.url) if exp.url else path_id(exp.file))


def test_moving_the_collection_keeps_the_ids(tmp_path: Path, loaded: dict[str, Document]) -> None:
    moved = tmp_path / "elsewhere" / "copy"
    shutil.copytree(PAGES, moved)
    again = load_documents([moved]).documents
    assert sorted(d.id for d in again) == sorted(d.id for d in loaded.values())
    # A single page given as a file: its canonical URL, else its file name.
    (single,) = load_documents([moved / "jiangnan" / "a" / "20240612-neto.html"]).documents
    assert single.id == path_id("20240612-neto.html")


def test_page_reports_say_what_was_dropped() -> None:
    result = load_documents([PAGES / "huadong" / "2024" / "0701"])
    (report,) = result.pages
    regions = {r.region: r for r in report.dropped}
    assert report.mode == "page" and report.doc_id == result.documents[0].id
    assert {"navigation", "sidebar", "comments", "footer", "scripts/styles"} <= set(regions)
    assert "title/byline" in regions  # read as metadata, not text
    assert dict(report.evidence)["published"] == "meta"
    assert regions["sidebar"].examples  # examples of what went


def test_cleaning_runs_on_the_extracted_text(loaded: dict[str, Document]) -> None:
    # The huadong rendering of seed 000 carries its reading annotations and a caption.
    doc = loaded["huadong/2024/0701/c1001-20240701.html"]
    assert doc.report.count("pinyin") > 200 and "(zhǎng)" not in doc.text
    assert doc.get_meta("caption").startswith("第四批長三角產業鏈聯盟授牌儀式現場")


def _no_network(*args: object, **kwargs: object) -> None:
    raise AssertionError("extraction tried to reach the network")


@pytest.fixture()
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(socket.socket, "connect", _no_network)
    monkeypatch.setattr(socket, "create_connection", _no_network)
    monkeypatch.setattr(socket, "getaddrinfo", _no_network)
    yield


@pytest.mark.usefixtures("offline")
def test_extraction_never_touches_the_network() -> None:
    for exp in EXPECTATIONS:
        data = (PAGES / exp.file).read_bytes()
        extraction = extract_page(decode_page(data, exp.file), url="https://example.com/x")
        assert (extraction.skip is None) == (exp.kind == "article")


@pytest.mark.parametrize("exp", ARTICLES, ids=lambda e: e.file)
def test_removal_offsets_point_into_the_extracted_text(
    exp: Expected, loaded: dict[str, Document]
) -> None:
    raw = extract_page(decode_page((PAGES / exp.file).read_bytes(), exp.file)).text
    for removal in loaded[exp.file].report.removals:
        assert raw[removal.start : removal.end] == removal.text
