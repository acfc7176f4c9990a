"""How the extractive answer is composed: the clause holding the span, the short answer
fitted to the question (a whole enumeration for 哪些, the name beside a role for 谁), a
second quotation only when the sentence ranker is undecided, and exact citations."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qa.answering.extractive.answerer as answerer_module
from qa import Assistant, AssistantConfig, Document, normalize_for_matching
from qa.analysis.question import analyze_question
from qa.answering.extractive import SECOND_JOIN
from qa.answering.extractive.answerer import WINDOWS, clause_window, window_budget
from qa.answering.extractive.model import default_model
from qa.answering.extractive.spans import (
    extend_enumeration,
    name_after_role,
    object_after_context,
    refine_span,
)
from qa.markers import strip_markers

ALLIANCES = (
    "第四批长三角产业链联盟——长三角储能及安全产业链联盟、长三角绿色低碳产业链联盟、"
    "长三角汽车后市场产销合作产业链联盟、长三角新能源产业链联盟、"
    "长三角mems与传感器产业创新联盟成立。"
)
FIVE = ALLIANCES[ALLIANCES.index("——") + 2 : ALLIANCES.index("成立")]


# -- clause windows --------------------------------------------------------------------


@given(
    st.text(alphabet=st.sampled_from("甲乙丙丁，,：。“”"), min_size=1, max_size=60),
    st.data(),
    st.integers(1, 80),
    st.integers(0, 80),
)
def test_a_clause_window_holds_the_span_and_keeps_both_budgets(
    text: str, data: st.DataObject, budget: int, before: int
) -> None:
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    a, b = clause_window(text, start, end, budget, before)
    assert 0 <= a <= start < end <= b <= len(text)
    own_a, own_b = clause_window(text, start, end, 0, 0)  # the span's own clauses
    assert a <= own_a and own_b <= b
    if (a, b) != (own_a, own_b):
        assert b - a <= budget
    assert own_a - a <= before  # what it takes before the span's clause


def test_window_budgets_per_answer_type_scale_with_answer_chars() -> None:
    assert window_budget("number", 80) == WINDOWS["number"]
    assert window_budget("person", 80) == (80, 80)  # not in the table: the whole budget
    assert window_budget("reason", 40) == (40, 60)


# -- the short answer ------------------------------------------------------------------


def test_a_list_question_gets_the_whole_enumeration() -> None:
    start = ALLIANCES.index("长三角绿色")
    end = ALLIANCES.index("、长三角汽车")
    s, e = extend_enumeration(ALLIANCES, start, end)
    assert ALLIANCES[s:e] == FIVE


@pytest.mark.parametrize(
    ("text", "picked", "whole"),
    [
        ("会上发布了甲公司、乙公司和丙公司等单位的名单。", "乙公司", "甲公司、乙公司和丙公司"),
        ("成员包括上海、江苏、浙江和安徽。", "江苏", "上海、江苏、浙江和安徽"),
        (
            "代表作有《红楼梦》、《西游记》和《水浒传》等。",
            "《西游记》",
            "《红楼梦》、《西游记》和《水浒传》",
        ),
        (
            "入选的有基于“大”、“小”数据的平台、影像互联互通等。",
            "影像互联互通",
            "基于“大”、“小”数据的平台、影像互联互通",
        ),
        (
            "来自新一代信息技术、生物医药、新材料行业的企业。",
            "生物医药",
            "新一代信息技术、生物医药、新材料行业",
        ),
        # A span inside an item followed by 、 stands for the item, and so for the
        # enumeration (inside the last one its end is not sure: the span's is kept).
        (ALLIANCES, "绿色低碳", FIVE),
        (ALLIANCES, "储能及安全", FIVE),
        # A span that starts inside the first item: the item from the dash that opens it.
        (ALLIANCES, "安全产业链联盟、长三角绿色", FIVE),
        ("成员包括上海、江苏、浙江和安徽。", "海、江苏", "上海、江苏、浙江和安徽"),
        (
            "日本还出了「空想法律读本」、「空想历史读本」等",
            "空想法律",
            "「空想法律读本」、「空想历史读本」",
        ),
    ],
)
def test_an_enumeration_leaves_out_what_introduces_and_follows_it(
    text: str, picked: str, whole: str
) -> None:
    start = text.index(picked)
    s, e = extend_enumeration(text, start, start + len(picked))
    assert text[s:e] == whole


def test_a_span_without_an_enumeration_is_unchanged() -> None:
    text = "示范区全长86公里，横跨南京、镇江两市。"
    assert extend_enumeration(text, 5, 9) == (5, 9)


@given(st.text(alphabet=st.sampled_from("甲乙丙、，。和等"), min_size=1, max_size=40), st.data())
def test_an_extended_span_stays_inside_the_text_and_holds_the_span(
    text: str, data: st.DataObject
) -> None:
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    s, e = extend_enumeration(text, start, end)
    assert 0 <= s < e <= len(text)
    assert (s, e) == (start, end) or text[s:e].count("、") >= 1


def test_who_holds_a_role_is_the_name_after_it() -> None:
    sentence = normalize_for_matching(
        "会上,国务院国资委规划发展局副局长尚鹏表示,国资央企将深化合作"
    )
    analysis = analyze_question("国务院国资委规划发展局副局长是谁?")
    s, e = name_after_role(analysis.left, sentence)
    assert sentence[s:e] == "尚鹏"
    wrong = sentence.index("国资央企")
    assert refine_span(analysis, sentence, wrong, wrong + 4) == (s, e)
    # A span holding the name and more is the name alone.
    assert refine_span(analysis, sentence, s, e + 2) == (s, e)
    assert refine_span(analysis, sentence, s - 3, e) == (s, e)


@pytest.mark.parametrize(
    ("sentence", "name"),
    [
        ("现任国家经济委员会主席为劳伦斯·萨默斯。", "劳伦斯·萨默斯"),
        ("国家经济委员会主席劳伦斯·萨默斯表示，", "劳伦斯·萨默斯"),
        ("国家经济委员会主席萨默斯表示，", "萨默斯"),
    ],
)
def test_a_transcribed_name_after_a_role_keeps_its_parts(sentence: str, name: str) -> None:
    analysis = analyze_question("现任国家经济委员会主席为谁?")
    found = name_after_role(analysis.left, sentence)
    assert found is not None
    assert sentence[slice(*found)] == name


def test_the_role_rule_needs_an_office_in_the_question() -> None:
    sentence = normalize_for_matching("把时间点放在浪漫时期结束之后的是一个音乐家")
    analysis = analyze_question("把时间点放在浪漫时期结束是谁给予的定义?")
    assert name_after_role(analysis.left, sentence) is None


def test_what_a_named_subject_did_is_read_after_its_own_verb() -> None:
    sentence = normalize_for_matching(
        "上海浦东新区塘桥街道办事处申报的AI“数字社工”、正泰集团研发中心有限公司申报的"
        "光伏智能视觉检测平台、苏州市教科院申报的精准教研平台等获选"
    )
    analysis = analyze_question("正泰集团研发中心申报的是什么?")
    s, e = object_after_context(analysis.left, sentence)
    assert sentence[s:e] == "光伏智能视觉检测平台"
    # Written once, the span ranker's reading stands.
    once = normalize_for_matching("正泰集团研发中心有限公司申报的光伏智能视觉检测平台获选")
    assert object_after_context(analysis.left, once) is None


# -- end to end, on the seed articles ---------------------------------------------------


@pytest.mark.parametrize(
    "question", ["第四批长三角产业链联盟有哪些?", "第四批長三角產業鏈聯盟包括哪些聯盟?"]
)
def test_the_fourth_batch_lists_all_five_alliances(
    seed_assistant: Assistant, question: str
) -> None:
    answer = seed_assistant.ask(question)
    assert not answer.abstained
    short = normalize_for_matching(answer.short_answer)
    assert short == normalize_for_matching(FIVE)


@pytest.mark.parametrize(
    ("question", "name"),
    [("国务院国资委规划发展局副局长是谁?", "尚鹏"), ("國務院國資委規劃發展局副局長是誰?", "尚鵬")],
)
def test_the_deputy_director_is_named(seed_assistant: Assistant, question: str, name: str) -> None:
    answer = seed_assistant.ask(question)
    assert not answer.abstained
    assert answer.short_answer == name  # in the asker's script


@pytest.mark.parametrize(
    ("question", "thing"),
    [
        ("正泰集团研发中心申报的是什么?", "光伏智能视觉检测平台"),
        ("正泰集團研發中心申報的是什麼?", "光伏智能視覺檢測平臺"),
    ],
)
def test_what_the_research_centre_entered_is_named(
    seed_assistant: Assistant, question: str, thing: str
) -> None:
    answer = seed_assistant.ask(question)
    assert not answer.abstained
    assert answer.short_answer == thing


def test_a_number_is_answered_by_its_clause(seed_assistant: Assistant) -> None:
    answer = seed_assistant.ask("此前长三角企业家联盟已推动成立多少个产业链联盟?")
    body = strip_markers(answer.text)
    assert "14个" in body and len(body) <= WINDOWS["number"][1]
    (citation,) = answer.citations
    # The citation quotes the whole sentence: the answer's context.
    assert normalize_for_matching(body) in normalize_for_matching(citation.quote)
    assert len(citation.quote) > len(body)


# -- citations stay exact ----------------------------------------------------------------

_PIECES = st.sampled_from("长三角 联盟 成立 会议 在 杭州 召开 企业 、 ， ： 2024年 14个".split())
_SENTENCES = st.lists(_PIECES, min_size=3, max_size=14).map(lambda p: "".join(p) + "。")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_SENTENCES, min_size=1, max_size=5), st.data())
def test_every_cited_quote_is_the_source_text_at_its_offsets(
    sentences: list[str], data: st.DataObject
) -> None:
    text = "".join(sentences)
    doc = Document(id="d", title="", text=text, source="d.txt")
    assistant = Assistant.from_documents([doc], AssistantConfig(model="", abstain_threshold=0.0))
    piece = data.draw(st.sampled_from(sentences))
    question = piece[: max(2, len(piece) // 2)] + data.draw(
        st.sampled_from(["是什么?", "有哪些?", "是谁?", "有多少?"])
    )
    answer = assistant.ask(question)
    for c in answer.citations:
        assert text[c.start : c.end] == c.quote
    if not answer.abstained and answer.citations:
        body = strip_markers(answer.text).split(SECOND_JOIN)[0]
        assert normalize_for_matching(body) in normalize_for_matching(answer.citations[0].quote)


# -- the second quotation ----------------------------------------------------------------

ROAD = Document(
    id="road",
    title="沿江生态示范区建设启动",
    text=(
        "新华社南京3月2日电 沿江生态示范区建设工程2日正式启动。"
        "示范区全长86公里，横跨南京、镇江两市。"
        "工程总投资约120亿元，计划于2027年底完工。"
    ),
    source="road.txt",
)


def _undecided(tmp_path: Path) -> Assistant:
    path = tmp_path / "reader.json"
    replace(default_model(), second_margin=math.inf).save(path)
    return Assistant.from_documents([ROAD], AssistantConfig(model="", reader_model=str(path)))


def test_a_runner_up_is_quoted_only_below_the_answerers_margin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assistant = _undecided(tmp_path)  # the model would quote every runner-up
    monkeypatch.setattr(answerer_module, "SECOND_MARGIN", -math.inf)
    assert SECOND_JOIN not in assistant.ask("示范区全长多少公里?").text
    monkeypatch.setattr(answerer_module, "SECOND_MARGIN", math.inf)
    answer = assistant.ask("示范区全长多少公里?")
    assert SECOND_JOIN in answer.text and len(answer.citations) == 2
