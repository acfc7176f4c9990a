"""Near misses at scale (``eval.nearmiss``): the generator's changes are checked against
their article, in either script; the split is a pure function of the article id; the
committed sets are what the generator and the hand-written rules say they are."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eval.nearmiss import (
    KINDS,
    NearMiss,
    NearMissGenerator,
    cn_to_int,
    int_to_cn,
    read_near_misses,
    split_of,
    write_split,
)
from eval.questions import load_jsonl
from eval.squad import BenchmarkQuestion, load_squad
from qa import Document, normalize_for_matching

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = ROOT / "eval" / "questions"
SHARED = ROOT.parent / "shared"
BENCHMARKS = [SHARED / "benchmarks" / "cmrc2018_dev.json", SHARED / "benchmarks" / "drcd_dev.json"]
PAGES = SHARED / "pages" / "cleaned"
GENERATED = ("near_miss_generated_dev.jsonl", "near_miss_generated_test.jsonl")
HANDWRITTEN = (
    "near_miss_handwritten_dev.jsonl",
    "near_miss_handwritten_test.jsonl",
    "near_miss_pages_dev.jsonl",
    "near_miss_pages_test.jsonl",
)


def _doc(article: str, n: int, title: str, text: str) -> Document:
    return Document(
        id=f"{article}-{n}",
        title=title,
        text=text,
        source=f"fixture.json#{article}-{n}",
        meta=(("article", article),),
    )


def _q(qid: str, article: str, question: str) -> BenchmarkQuestion:
    return BenchmarkQuestion(qid, question, ("x",), f"{article}-1", 0, "fixture", article)


def _generator(
    articles: dict[str, tuple[str, str]], questions: list[tuple[str, str, str]]
) -> NearMissGenerator:
    docs = [_doc(a, 1, title, text) for a, (title, text) in articles.items()]
    return NearMissGenerator(docs, [_q(i, a, q) for i, a, q in questions])


def _kinds(items: list[NearMiss]) -> dict[str, NearMiss]:
    return {i.kind: i for i in items}


# -- the split ----------------------------------------------------------------------------


def test_split_is_the_sha1_rule_of_the_article_id() -> None:
    # Pinned: the test part is frozen, so these may never change.
    assert split_of("cmrc2018_dev:DEV_0") == "test"
    assert split_of("cmrc2018_dev:DEV_611") == "dev"
    assert split_of("drcd_dev:2471") == "dev"
    assert split_of("drcd_dev:5621") == "test"
    assert split_of("cmrc2018_dev:DEV_82") == "test"
    assert split_of("f70d9c97-9d64-415e-a7e4-840c9258eaf5") == "test"
    assert split_of("f51248cc-bb27-49ba-a159-975795c3ea11") == "dev"


@given(st.text(min_size=1, max_size=40))
def test_split_is_a_pure_function_of_the_id(article_id: str) -> None:
    last = hashlib.sha1(article_id.encode("utf-8")).hexdigest()[-1]
    expected = "dev" if last in "0123456789a" else "test"
    assert split_of(article_id) == split_of(article_id) == expected


def test_split_puts_about_eleven_in_sixteen_in_dev() -> None:
    parts = [split_of(f"cmrc2018_dev:DEV_{i}") for i in range(4000)]
    assert 0.64 < parts.count("dev") / len(parts) < 0.73


def test_write_split_writes_each_item_to_the_file_of_its_article(tmp_path: Path) -> None:
    items = [
        NearMiss(f"n{i}", "问?", f"s{i}", a, "year", "1", "2", split_of(a), "2")
        for i, a in enumerate(["cmrc2018_dev:DEV_611", "drcd_dev:5621", "cmrc2018_dev:DEV_82"])
    ]
    paths = write_split(items, tmp_path / "set.jsonl")
    assert paths == {"dev": tmp_path / "set_dev.jsonl", "test": tmp_path / "set_test.jsonl"}
    dev = read_near_misses(paths["dev"])
    test = read_near_misses(paths["test"])
    assert [r["article"] for r in dev] == ["cmrc2018_dev:DEV_611"]
    assert [r["article"] for r in test] == ["drcd_dev:5621", "cmrc2018_dev:DEV_82"]
    loaded = load_jsonl(paths["test"])  # a question set qa eval reads
    assert all(not q.answerable and q.category == "near-miss/year" for q in loaded)


# -- numerals -----------------------------------------------------------------------------


@given(st.integers(min_value=0, max_value=9999))
def test_chinese_numerals_round_trip(value: int) -> None:
    assert cn_to_int(int_to_cn(value)) == value


def test_chinese_numerals_as_written() -> None:
    assert [int_to_cn(n) for n in (3, 10, 12, 20, 105, 2023)] == [
        "三", "十", "十二", "二十", "一百零五", "二千零二十三"
    ]  # fmt: skip
    assert cn_to_int("一九五五") == 1955
    assert cn_to_int("两") == 2
    assert cn_to_int("第三") is None


# -- the transformations ------------------------------------------------------------------


def test_year_is_shifted_to_one_the_article_never_states() -> None:
    gen = _generator(
        {"A": ("鹤城", "鹤城大桥于1998年建成，1999年通车，全长三千米。")},
        [("q1", "A", "鹤城大桥于1998年由谁设计？")],
    )
    year = _kinds(gen.for_question(gen.questions[0]))["year"]
    assert year.old == "1998" and year.new not in {"1998", "1999"}
    assert year.new not in gen.articles["A"].text and year.absent == year.new
    assert year.question == f"鹤城大桥于{year.new}年由谁设计？"
    assert year.split == split_of("A") and year.source_id == "q1" and year.article == "A"


@pytest.mark.parametrize(
    "text",
    [
        "鹤城大桥于1998年开工，次年建成。",  # 次年 states 1999 without writing it
        "鹤城大桥于1998年至2003年间分段建设。",  # a range holds the years between
        "鹤城大桥于1998年开工，三年后建成。",
    ],
)
def test_no_year_shift_where_the_article_reckons_years_relatively(text: str) -> None:
    gen = _generator({"A": ("鹤城", text)}, [("q1", "A", "鹤城大桥于1998年由谁设计？")])
    assert "year" not in _kinds(gen.for_question(gen.questions[0]))


def test_a_value_the_article_does_not_state_is_not_changed() -> None:
    gen = _generator(
        {"A": ("鹤城", "鹤城大桥于1998年建成。")}, [("q1", "A", "鹤城大桥在2005年有什么变化？")]
    )
    assert "year" not in _kinds(gen.for_question(gen.questions[0]))


def test_traditional_ordinal_is_checked_against_the_traditional_article() -> None:
    # DRCD is traditional: 第四屆 in the article must rule out 第四届 in any script.
    gen = _generator(
        {"D": ("運動會", "第三屆運動會在臺北舉行，第四屆運動會在高雄舉行。")},
        [("d1", "D", "第三屆運動會在哪裡舉行？")],
    )
    ordinal = _kinds(gen.for_question(gen.questions[0]))["ordinal"]
    article = gen.articles["D"].text
    assert ordinal.absent not in article
    assert normalize_for_matching(ordinal.question) not in article
    assert ordinal.new in {"二", "五", "六"} and ordinal.question.endswith("屆運動會在哪裡舉行？")


def test_first_becomes_second_only_where_no_second_is_stated() -> None:
    gen = _generator(
        {
            "A": ("歌手", "《醉迷情人》是她的首张个人专辑。"),
            "B": ("歌手乙", "她的首张专辑之后推出第二张专辑。"),
        },
        [("a1", "A", "她的首张个人专辑叫什么？"), ("b1", "B", "她的首张专辑之后推出了什么？")],
    )
    a = _kinds(gen.for_question(gen.questions[0]))
    assert a["ordinal"].question == "她的第二张个人专辑叫什么？"
    assert "ordinal" not in _kinds(gen.for_question(gen.questions[1]))


def test_qualifier_swapped_only_for_a_value_the_article_lacks() -> None:
    question = "长三角全年GDP总量是多少？"
    lacking = _generator(
        {"A": ("经济", "长三角全年GDP总量达到30万亿元。")}, [("a1", "A", question)]
    )
    swapped = _kinds(lacking.for_question(lacking.questions[0]))["qualifier"]
    assert swapped.old == "全年" and swapped.new in {"前三季度", "上半年", "第一季度"}
    full = "长三角全年GDP总量达到30万亿元，前三季度为23万亿元，上半年为15万亿元，一季度为7万亿元。"
    stating = _generator({"B": ("经济", full)}, [("b1", "B", question)])
    assert "qualifier" not in _kinds(stating.for_question(stating.questions[0]))


def test_scope_next_to_a_superlative_is_only_widened() -> None:
    # 全球最大 implies 全国最大 (of a thing in the country): narrowing could be answerable.
    gen = _generator(
        {"A": ("港口", "宁波港是全球最大的港口之一。")}, [("a1", "A", "全球最大的港口是哪个？")]
    )
    items = gen.for_question(gen.questions[0])
    assert not [i for i in items if i.old == "全球"]
    assert [(i.old, i.new) for i in items] == [("最大", "最小")]  # the superlative may turn
    gen = _generator(
        {"A": ("港口", "宁波港是全国最大的港口。")}, [("a1", "A", "全国最大的港口是哪个？")]
    )
    assert [(i.old, i.new) for i in gen.for_question(gen.questions[0])][0] == ("全国", "全球")


def test_attribute_is_asked_only_where_the_article_states_none_of_its_kind() -> None:
    gen = _generator(
        {
            "A": ("鹤城镇", "鹤城镇是一个位于山区的小镇，以茶叶闻名。"),
            "B": ("白沙镇", "白沙镇人口约3万人，面积52平方公里，邮政编码为518000。"),
        },
        [("a1", "A", "鹤城镇以什么闻名？"), ("b1", "B", "白沙镇有多少人？")],
    )
    attribute = _kinds(gen.for_question(gen.questions[0]))["attribute"]
    assert attribute.question in {
        "鹤城镇的人口有多少？",
        "鹤城镇的面积是多少？",
        "鹤城镇的邮政编码是多少？",
    }
    assert "attribute" not in _kinds(gen.for_question(gen.questions[1]))


def test_entity_is_replaced_by_a_name_no_paragraph_mentions() -> None:
    gen = _generator(
        {
            "A": ("鹤城县", "鹤城县位于湖南省西部，县城有一座古塔。"),
            "B": ("其他", "献县和淇县都在北方。"),
        },
        [("a1", "A", "鹤城县的古塔建于什么时候？")],
    )
    entity = _kinds(gen.for_question(gen.questions[0]))["entity"]
    assert entity.old == "鹤城县" and entity.new.endswith("县")
    corpus = "\n".join(a.text for a in gen.articles.values())
    assert entity.absent == normalize_for_matching(entity.new)
    assert entity.absent not in corpus  # not in this article, nor in any other


def test_a_change_another_article_could_answer_is_rejected() -> None:
    # B states the attribute for A's subject: asking it is no near miss.
    question = "白沙镇以什么闻名？"
    alone = _generator(
        {"A": ("白沙镇", "白沙镇是一个位于海边的小镇，以渔业闻名。")}, [("a1", "A", question)]
    )
    assert "attribute" in _kinds(alone.for_question(alone.questions[0]))
    both = _generator(
        {
            "A": ("白沙镇", "白沙镇是一个位于海边的小镇，以渔业闻名。"),
            "B": ("海边", "白沙镇人口有多少？白沙镇人口约三万，面积不大，邮政编码不详。"),
        },
        [("a1", "A", question)],
    )
    items = _kinds(both.for_question(both.questions[0]))
    assert "attribute" not in items or items["attribute"].new not in {"人口", "面积", "邮政编码"}


def test_generation_is_deterministic() -> None:
    articles = {
        "A": ("鹤城大桥", "鹤城大桥于1998年建成，是全国最长的跨海大桥，第三届桥梁大会在此召开。"),
        "B": ("白沙镇", "白沙镇是一个位于海边的小镇，以渔业闻名。"),
    }
    questions = [
        ("a1", "A", "鹤城大桥于1998年建成后，第三届桥梁大会在哪里召开？"),
        ("b1", "B", "白沙镇以什么闻名？"),
    ]
    first = _generator(articles, questions).generate()
    second = _generator(dict(reversed(list(articles.items()))), questions).generate()
    assert first == second and first


def test_unknown_kind_is_refused() -> None:
    gen = _generator({"A": ("甲", "甲。")}, [])
    with pytest.raises(ValueError, match="unknown near-miss kinds"):
        gen.generate(["year", "tense"])


_ALPHABET = "0123456789年第届次全国球前三季度首张月日镇人口面积的在于是鹤城大桥白沙，。"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.text(alphabet=_ALPHABET, min_size=1, max_size=80),
    st.text(alphabet=_ALPHABET, min_size=1, max_size=30),
)
def test_no_generation_names_what_its_article_states(article: str, question: str) -> None:
    gen = _generator(
        {"A": ("鹤城镇", article), "B": ("白沙", "白沙镇，1999年第四届。")},
        [("q", "A", question + "是什么？")],
    )
    text = gen.articles["A"].text
    for item in gen.for_question(gen.questions[0]):
        assert item.kind in KINDS and item.split == split_of("A")
        assert item.absent and item.absent not in text
        assert normalize_for_matching(item.question) != normalize_for_matching(
            question + "是什么？"
        )


# -- the committed sets -------------------------------------------------------------------


def _records(name: str) -> list[dict[str, object]]:
    return read_near_misses(QUESTIONS / name)


@pytest.mark.parametrize("name", GENERATED + HANDWRITTEN)
def test_committed_sets_load_as_unanswerable_questions(name: str) -> None:
    questions = load_jsonl(QUESTIONS / name)
    assert questions and all(not q.answerable for q in questions)
    for record in _records(name):
        assert record["expected"] == "abstain" and record["absent"]
        assert record["split"] == split_of(str(record["article"]))
        assert name.endswith(f"_{record['split']}.jsonl")  # test items only in test files


def test_committed_sets_are_split_by_article() -> None:
    for base in ("near_miss_generated", "near_miss_handwritten", "near_miss_pages"):
        dev = {r["article"] for r in _records(f"{base}_dev.jsonl")}
        test = {r["article"] for r in _records(f"{base}_test.jsonl")}
        assert dev and test and not dev & test


def test_committed_sets_are_large_enough() -> None:
    generated = sum(len(_records(n)) for n in GENERATED)
    handwritten = sum(len(_records(n)) for n in HANDWRITTEN)
    assert generated >= 300 and handwritten >= 50
    kinds = {r["kind"] for n in GENERATED for r in _records(n)}
    assert kinds == set(KINDS)


@pytest.mark.skipif(not all(p.is_file() for p in BENCHMARKS), reason="needs ../shared/benchmarks")
def test_committed_near_misses_name_nothing_their_benchmark_article_states() -> None:
    documents, questions = load_squad(BENCHMARKS)
    texts: dict[str, str] = {}
    for d in documents:
        article = d.get_meta("article")
        texts[article] = texts.get(article, d.title) + "\n" + d.text
    folded = {a: normalize_for_matching(t) for a, t in texts.items()}
    source = {q.id: q.article for q in questions}
    names = GENERATED + ("near_miss_handwritten_dev.jsonl", "near_miss_handwritten_test.jsonl")
    for name in names:
        for record in _records(name):
            article = str(record["article"])
            assert article in folded, record["id"]
            if "source_id" in record:
                assert source[str(record["source_id"])] == article
            for term in record["absent"]:  # type: ignore[attr-defined]
                assert normalize_for_matching(term) not in folded[article], (record["id"], term)


@pytest.mark.skipif(not PAGES.is_dir(), reason="needs ../shared/pages")
def test_page_near_misses_name_nothing_their_page_states() -> None:
    for name in ("near_miss_pages_dev.jsonl", "near_miss_pages_test.jsonl"):
        for record in _records(name):
            text = normalize_for_matching((PAGES / f"{record['article']}.txt").read_text("utf-8"))
            for term in record["absent"]:  # type: ignore[attr-defined]
                assert normalize_for_matching(term) not in text, (record["id"], term)


@pytest.mark.slow
@pytest.mark.skipif(not all(p.is_file() for p in BENCHMARKS), reason="needs ../shared/benchmarks")
def test_committed_generated_sets_are_what_the_generator_makes(tmp_path: Path) -> None:
    from eval.nearmiss import generate

    write_split(generate(BENCHMARKS), tmp_path / "near_miss_generated.jsonl")
    for name in GENERATED:
        made = (tmp_path / name).read_text(encoding="utf-8")
        assert made == (QUESTIONS / name).read_text(encoding="utf-8"), name


def test_records_are_json_objects_with_unique_ids() -> None:
    ids: set[str] = set()
    for name in GENERATED + HANDWRITTEN:
        for line in (QUESTIONS / name).read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            assert record["id"] not in ids
            ids.add(record["id"])
