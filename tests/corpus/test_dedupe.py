"""Near-duplicate detection: copies of a story are found, different stories are not."""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from corpus import Document, document_from_text, load_documents
from corpus.dedupe import (
    DuplicateIndex,
    compare,
    complete,
    containment,
    fingerprint,
    numbers,
    shingles,
)
from tests.corpus.conftest import ARTICLES
from tests.corpus.fixtures.newspages import HERE, PAGES, load_expected

ROOT = Path(__file__).resolve().parents[2]


def doc(text: str, doc_id: str) -> Document:
    return document_from_text(text, source=doc_id, doc_id=doc_id, clean=False)


@pytest.fixture(scope="module")
def fixture_docs() -> list[Document]:
    return list(load_documents([PAGES, ARTICLES]).documents)


def test_shingles_fold_script_width_and_punctuation() -> None:
    assert shingles("長三角，國資國企") == shingles("长三角国资国企")
    assert shingles("ＡＢＣ１２３") == shingles("abc123")
    assert shingles("") == frozenset()
    assert containment(shingles("一二三四五六"), shingles("零一二三四五六七")) == 1.0
    assert numbers("增长6.3%，第1家、第1家") == {"6.3": 1, "1": 2}


def test_syndicated_copies_are_found(fixture_docs: list[Document]) -> None:
    stories = {e.file: e.story for e in load_expected() if e.kind == "article"}
    story_of = {}
    for d in fixture_docs:
        name = d.source.split("pages/")[-1]
        story_of[d.id] = (
            stories.get(name) or {"000": "seed-000", "003": "seed-003"}[name.rsplit("/", 1)[-1][:3]]
        )
    index = DuplicateIndex(fixture_docs)
    for a, b in itertools.combinations(fixture_docs, 2):
        pair = DuplicateIndex([a]).find(b)
        same = story_of[a.id] == story_of[b.id]
        assert (pair is not None) == same, (a.source, b.source)
    assert len(index) == len(fixture_docs)


def test_different_paragraphs_of_one_wikipedia_article_are_not_copies() -> None:
    # The four benchmark paragraphs and the two seed articles: no pair is a copy.
    bench = json.loads((HERE / "benchmark_paragraphs.json").read_text(encoding="utf-8"))
    docs = [doc(p["context"], key) for key, p in bench.items()]
    docs += [doc(p.read_text(encoding="utf-8"), p.name) for p in sorted(ARTICLES.iterdir())]
    index = DuplicateIndex()
    for d in docs:
        assert index.find(d) is None
        index.add(d)


def test_reports_on_one_template_with_other_figures_are_not_copies() -> None:
    base = (
        "本报讯 今日上证指数收报{a}点，上涨{b}%，成交额{c}亿元。深证成指收报{d}点。"
        "创业板指收报{e}点。沪深两市共有{f}只股票上涨，北向资金净流入{g}亿元。"
    )
    one = doc(base.format(a=3021, b=0.52, c=8123, d=9550, e=1870, f=3011, g=41), "a")
    two = doc(base.format(a=3035, b=0.46, c=7990, d=9601, e=1881, f=2875, g=37), "b")
    assert DuplicateIndex([one]).find(two) is None
    same = doc(one.text + "（来源：新华社）", "c")
    assert DuplicateIndex([one]).find(same) is not None


def test_short_texts_must_be_wholly_contained() -> None:
    a = doc("试验批次1号报道：第1家试点企业今天完成了设备改造。", "a")
    b = doc("试验批次0号报道：第1家试点企业今天完成了设备改造。", "b")
    assert DuplicateIndex([a]).find(b) is None
    assert DuplicateIndex([a]).find(doc(a.text + "记者 王强", "c")) is not None


def test_the_longer_copy_is_marked() -> None:
    text = "".join(f"第{i}段：长三角国资国企联席会议在杭州召开，发布倡议书。" for i in range(20))
    short = doc(text[: len(text) // 2], "short")
    full = doc(text, "full")
    match = DuplicateIndex([short]).find(full)
    assert match is not None and match.doc_id == "short" and match.longer
    back = DuplicateIndex([full]).find(short)
    assert back is not None and not back.longer


def test_add_remove_and_self() -> None:
    a = doc("长三角国资国企联席会议在杭州召开，发布倡议书，成立创新子联盟，四家企业牵头。" * 3, "a")
    index = DuplicateIndex([a])
    assert a.id in index and index.find(a) is None  # never a copy of itself
    index.remove("a")
    assert len(index) == 0 and index.find(doc(a.text, "b")) is None
    with pytest.raises(ValueError, match="threshold"):
        DuplicateIndex(threshold=0)


def test_light_fingerprints_find_the_same_copies() -> None:
    text = "".join(f"第{i}段：长三角国资国企联席会议在杭州召开，发布倡议书。" for i in range(20))
    short, full = doc(text[: len(text) // 2], "short"), doc(text, "full")
    other = doc(
        "成都5月8日电 四川省气象台今天发布暴雨蓝色预警，提醒沿江地区做好防汛准备。" * 3, "x"
    )
    whole = {d.id: fingerprint(d.text) for d in (short, full, other)}
    light = {i: p.light() for i, p in whole.items()}
    assert all(p.grams is None and p.size == whole[i].size for i, p in light.items())
    assert light["full"].bands.tolist() == whole["full"].bands.tolist()
    with pytest.raises(ValueError, match="complete"):
        compare(light["full"], whole["short"], "short", 0.8)
    again = complete(light["full"], full.text)
    assert again.grams is not None and again.grams.tolist() == whole["full"].grams.tolist()
    assert complete(whole["full"], "ignored") is whole["full"]
    heavy = DuplicateIndex()
    lean = DuplicateIndex()
    for d in (short, other):
        heavy.add(d, whole[d.id])
        lean.add(d, light[d.id])
    assert lean.find(full, light["full"]) == heavy.find(full, whole["full"])
    assert lean.find(full, light["full"]) is not None
    assert lean.find(doc(other.text + "（完）", "y")) == heavy.find(doc(other.text + "（完）", "y"))


@given(st.text(max_size=300), st.text(max_size=300))
def test_containment_is_a_share(a: str, b: str) -> None:
    x, y = shingles(a), shingles(b)
    assert 0.0 <= containment(x, y) == containment(y, x) <= 1.0
    if x:
        assert containment(x, x) == 1.0


BENCH = Path(os.environ.get("QA_BENCHMARKS_DIR", str(ROOT.parent / "shared" / "benchmarks")))


@pytest.mark.slow
@pytest.mark.skipif(not (BENCH / "drcd_dev.json").exists(), reason="benchmarks not available")
def test_no_two_benchmark_paragraphs_are_copies() -> None:
    # 1,848 different paragraphs (several of one Wikipedia article sharing sentences):
    # the threshold must not merge any of them.
    index = DuplicateIndex()
    count = 0
    for name in ("cmrc2018_dev.json", "drcd_dev.json"):
        data = json.loads((BENCH / name).read_text(encoding="utf-8"))
        for article in data["data"]:
            for paragraph in article["paragraphs"]:
                d = doc(paragraph["context"], f"{name}-{count}")
                assert index.find(d) is None, paragraph["context"][:40]
                index.add(d)
                count += 1
    assert count == 1848


@given(st.text(max_size=200), st.text(max_size=200), st.sampled_from(["12", "3.5", "7 8", ""]))
def test_what_cannot_match_never_matches(a: str, b: str, figures: str) -> None:
    """cannot_match decides from light fingerprints only where compare returns None."""
    from corpus.dedupe import cannot_match

    x, y = fingerprint(a + figures), fingerprint(a + b)
    if cannot_match(x.light(), y.light()):
        assert compare(x, y, "y") is None and compare(y, x, "x") is None
