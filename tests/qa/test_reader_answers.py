"""The trained reader end to end, with the shipped model, on short articles written for
these tests (answers after the lead sentence, near misses, both scripts)."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest

from qa import Assistant, AssistantConfig, Document, normalize_for_matching
from qa.answering.extractive import SECOND_JOIN
from qa.answering.extractive.model import default_model

ARTICLES = (
    Document(
        id="road",
        title="沿江生态示范区建设启动",
        text=(
            "新华社南京3月2日电 沿江生态示范区建设工程2日正式启动。"
            "示范区全长86公里，横跨南京、镇江两市。"
            "工程总投资约120亿元，计划于2027年底完工。"
            "项目由江苏省交通控股集团负责建设。"
        ),
        source="road.txt",
    ),
    Document(
        id="library",
        title="城市图书馆新馆开放",
        text=(
            "本报讯 经过三年建设，市图书馆新馆于10月8日向公众开放。"
            "新馆建筑面积4.2万平方米，藏书约300万册。"
            "新馆由建筑师王建国主持设计，外形取意“书山”。"
            "开馆首日共接待读者1.8万人次。"
        ),
        source="library.txt",
    ),
    Document(
        id="forum",
        title="第三届数字经济论坛闭幕",
        text=(
            "中新网杭州5月20日电 第三届长三角数字经济论坛20日在杭州闭幕。"
            "本届论坛共签约项目45个，签约金额达380亿元。"
            "论坛秘书长李明表示，第四届论坛将于明年在合肥举办。"
        ),
        source="forum.txt",
    ),
)

ANSWERS = [
    ("示范区全长多少公里?", "86公里"),
    ("沿江生态示范区横跨哪两个城市?", "南京、镇江"),
    ("沿江生態示範區工程總投資約多少?", "120億元"),
    ("示范区计划什么时候完工?", "2027年底"),
    ("图书馆新馆由谁主持设计?", "王建国"),
    ("新馆藏书约多少册?", "300万册"),
    ("第三届长三角数字经济论坛签约了多少个项目?", "45个"),
    ("论坛秘书长是谁?", "李明"),
]

NEAR_MISSES = [
    "第二届长三角数字经济论坛在哪里闭幕?",  # ordinal: the article is about the third
    # (``…签约金额是多少美元?`` of a sentence in 元 is answered: the currency rule fired
    # on none of the 6,743 benchmark questions and is not kept, docs/decisions.md)
    # a role no sentence read names, nor fills with a person (the role rule of
    # qa.answering.checks.role)
    "图书馆新馆的馆长是谁?",
]


@pytest.fixture(scope="module")
def assistant() -> Assistant:
    return Assistant.from_documents(ARTICLES, AssistantConfig(model=""))


@pytest.mark.parametrize(("question", "gold"), ANSWERS)
def test_the_answer_is_the_sentence_that_holds_it(
    assistant: Assistant, question: str, gold: str
) -> None:
    answer = assistant.ask(question)
    assert not answer.abstained, answer.text
    assert normalize_for_matching(gold) in normalize_for_matching(answer.text)
    assert answer.short_answer
    # One window of at most 80 characters per cited sentence (the runner-up's too).
    assert len(answer.text) <= len(answer.citations) * (80 + 4) + len(SECOND_JOIN)
    for c in answer.citations:
        doc = assistant.get_document(c.doc_id)
        assert doc is not None and doc.text[c.start : c.end] == c.quote
    assert 0.0 <= answer.confidence <= 1.0 and answer.generator == "extractive"


def test_short_answers_are_spans_of_the_source(assistant: Assistant) -> None:
    answer = assistant.ask("示范区全长多少公里?")
    assert normalize_for_matching("86公里") in normalize_for_matching(answer.short_answer)
    assert len(answer.short_answer) < len(answer.text)


@pytest.mark.parametrize("question", NEAR_MISSES)
def test_near_misses_abstain(assistant: Assistant, question: str) -> None:
    answer = assistant.ask(question)
    assert answer.abstained, answer.text


def test_an_ordinal_near_miss_says_what_the_corpus_states(assistant: Assistant) -> None:
    answer = assistant.ask("第二届长三角数字经济论坛在哪里闭幕?")
    assert answer.abstained and answer.confidence == 0.0
    assert "第三届" in answer.text and answer.citations  # cites what it does state


def test_off_topic_questions_abstain(assistant: Assistant) -> None:
    for question in ("2022年世界杯足球赛的冠军是哪支球队?", "量子计算机的工作原理是什么?"):
        answer = assistant.ask(question)
        assert answer.abstained and not answer.citations and answer.short_answer == ""


def _with_margin(tmp_path: Path, margin: float | None) -> Assistant:
    path = tmp_path / "reader.json"
    replace(default_model(), second_margin=margin).save(path)
    return Assistant.from_documents(ARTICLES, AssistantConfig(model="", reader_model=str(path)))


def test_an_undecided_reader_quotes_the_runner_up_sentence_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import qa.answering.extractive.answerer as answerer

    monkeypatch.setattr(answerer, "SECOND_MARGIN", math.inf)  # the answerer's cap off too
    assistant = _with_margin(tmp_path, math.inf)  # every reading counts as undecided
    answer = assistant.ask("示范区全长多少公里?")
    assert not answer.abstained
    first, second = answer.citations
    assert (first.marker, second.marker) == (1, 2)
    assert (first.doc_id, first.start) != (second.doc_id, second.start)
    head, _, tail = answer.text.partition(SECOND_JOIN)
    assert head.endswith(" [1]") and tail.endswith(" [2]")
    assert tail.removesuffix(" [2]") in second.quote  # the runner-up's own words
    assert "86公里" in head  # the best sentence still comes first
    assert normalize_for_matching("86公里") in normalize_for_matching(answer.short_answer)


def test_a_decided_reader_quotes_one_sentence(tmp_path: Path) -> None:
    answer = _with_margin(tmp_path, None).ask("示范区全长多少公里?")
    assert len(answer.citations) == 1 and SECOND_JOIN not in answer.text


def test_a_runner_up_that_contradicts_the_question_is_not_quoted(tmp_path: Path) -> None:
    assistant = _with_margin(tmp_path, math.inf)
    answer = assistant.ask("第三届长三角数字经济论坛在哪里闭幕?")
    assert not answer.abstained
    # The forum article's other sentences name the 第四届 forum: never quoted here.
    assert all("第四届" not in c.quote for c in answer.citations[1:])


def test_warm_up_builds_the_reader_ahead_of_the_first_question(
    assistant: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    from corpus import normalize
    from qa.answering import claims
    from qa.answering.extractive import ExtractiveAnswerer
    from qa.answering.terms import TermStatistics

    tagged: list[bool] = []
    monkeypatch.setattr(claims, "_pos_tokenizer", lambda: tagged.append(True))
    normalize._converter.cache_clear()
    fresh = replace(default_model())  # a new instance: no boosters built yet
    assert "_sentence" not in vars(fresh)
    answerer = ExtractiveAnswerer(TermStatistics.for_snapshot(assistant.snapshot), model=fresh)
    answerer.warm_up()
    assert {"_sentence", "_span", "_confidence"} <= set(vars(fresh)) and tagged == [True]
    # Both script converters (simplified-to-traditional is 50 ms to build).
    assert normalize._converter.cache_info().currsize == 2
    # Assistant.warm_up reaches the extractive answerer (not only a language model).
    warmed: list[bool] = []
    monkeypatch.setattr(
        ExtractiveAnswerer, "warm_up", lambda self, progress=None: warmed.append(True)
    )
    assistant.warm_up()
    assert warmed == [True]
