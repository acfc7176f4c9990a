"""Question analysis: interrogative, answer type, context, constraints, attribute."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from corpus.normalize import normalize_for_matching
from qa import analyze_question
from qa.analysis.question import Constraint, asks_for_year, compatible, constraint_of
from qa.analysis.spans import typed_spans


@pytest.mark.parametrize(
    ("question", "answer_type", "head"),
    [
        ("长三角国资百企联盟创新子联盟由哪些企业牵头组建?", "list", "企业"),
        ("第五届长三角地区国资国企联席会议在哪里召开?", "place", ""),
        ("2024年长三角地区全年GDP是多少?", "number", ""),
        ("长三角储能及安全产业链联盟的秘书长是谁?", "person", ""),
        ("史特拉斯堡大教堂與小法蘭西被哪個單位列為世界文化遺產?", "organization", "单位"),
        ("在哪一年穆罕默德二世進入君士坦丁堡?", "time", "年"),
        ("新西兰鸲鹟身体呈什么颜色？", "entity", ""),
        ("为什么要建设白马湖实验室?", "reason", ""),
        ("林越峰是怎样成为作家的？", "manner", ""),
        ("它是第几批成立的?", "number", ""),
        ("大曲车站设站于几几年？", "time", "年"),  # a doubled 几 asks for the year
        ("范冰冰饰演了哪个年龄段的武则天？", "entity", ""),  # 年龄 is no 年
        ("昌宁集团在中国居于什么地位？", "entity", ""),
        ("哪一位高句麗國王的死讓高句麗遭受內亂？", "person", ""),
        ("二戰期間九龍半島上唯一的城鎮為?", "entity", ""),
        ("请简述林越峰的写作风格?", "manner", ""),
        ("这个政策是否有效?", "yesno", ""),
    ],
)
def test_answer_type_and_head(question: str, answer_type: str, head: str) -> None:
    a = analyze_question(question)
    assert (a.answer_type, a.head) == (answer_type, head)


def test_left_and_right_context_around_the_interrogative() -> None:
    a = analyze_question("长三角国资百企联盟创新子联盟由哪些企业牵头组建?")
    assert a.wh == "哪些" and a.left == "长三角国资百企联盟创新子联盟由"
    assert a.right == "牵头组建"  # the head noun 企业 belongs to the interrogative
    assert "哪些" not in a.content and "企业" in a.content


def test_look_alikes_are_not_interrogatives() -> None:
    # 几 after a number is "some", not "how many"; the interrogative is 哪里.
    a = analyze_question("1967年1月1日，北京20幾所高等院校學生在哪裡舉行遊行集會?")
    assert a.wh == "哪里" and a.answer_type == "place"
    assert "20几所" in a.content
    # 称…为什么 asks for a name, not a reason.
    named = analyze_question("於現代，通常稱當時的三種蠻夷為什麼?")
    assert named.wh == "什么" and named.answer_type == "entity"
    # 多大 in 多倫多大學, 多高 in 許多高校, 幾 in 幾乎 or 幾內亞: the later interrogative asks.
    for question, wh, kind in [
        ("多倫多大學的教學深受哪個國家的大學制度影響?", "哪个", "place"),
        ("許多高校於1969年時由於戰備大疏散和哪一個革命的破壞而遷出北京?", "哪一", "entity"),
        ("几内亚法郎的辅币单位是什么？", "什么", "entity"),
        ("多倫多大學是知名研究型大學，該學校論文被引用數量為世界前幾名?", "几", "number"),
    ]:
        found = analyze_question(question)
        assert (found.wh, found.answer_type) == (wh, kind), question
    # ... but 几月几日 asks with both.
    assert analyze_question("尖閣諸島開拓日是幾月幾日?").answer_type == "time"
    # An embedded 是否 does not make a yes/no question of one that asks "what is".
    what = analyze_question("英國目前測量患者是否有高血壓的方法是?")
    assert what.answer_type == "entity" and what.wh == ""


def test_constraints_are_canonical_and_exclude_the_interrogative() -> None:
    a = analyze_question("第五屆長三角地區國資國企聯席會議在2024年哪一天召開?")
    values = {(c.kind, c.value) for c in a.constraints}
    assert ("ordinal", "5|届") in values and ("year", "2024") in values
    # 哪一年 and 几个 are parts of the interrogative, not stated values.
    assert analyze_question("在哪一年成立?").constraints == ()
    # Chinese numerals inside words are not stated quantities (一家亲, 三省一市).
    assert analyze_question("《小和尚一家親》是誰的作品?").constraints == ()
    period = analyze_question("长三角前三季度的GDP是多少?").constraints
    assert [(c.kind, c.value) for c in period] == [("period", "q1-3")]


@pytest.mark.parametrize(
    ("question", "value"),
    [
        ("联盟已推动成立四批共多少个产业链联盟?", "4|批"),
        ("联盟已推动成立4批共多少个产业链联盟?", "4|批"),
        ("二十三名队员中有多少人入选?", "23|名"),
        ("兩家企業牽頭組建了什麼?", "2|家"),
    ],
)
def test_quantities_in_chinese_numerals_are_constraints(question: str, value: str) -> None:
    values = [c.value for c in analyze_question(question).constraints if c.kind == "quantity"]
    assert values == [value]


@pytest.mark.parametrize(
    "question",
    ["长三角一家亲活动在哪里举行?", "一个联盟由谁牵头?", "三五家企业参加了什么?"],
)
def test_numerals_that_state_no_value_are_not_constraints(question: str) -> None:
    # A lone 一 is an article or "whole"; two digits in a row are a range.
    assert [c for c in analyze_question(question).constraints if c.kind == "quantity"] == []


def _constraint(text: str) -> Constraint:
    found = [c for t in typed_spans(normalize_for_matching(text)) if (c := constraint_of(t))]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        # eras: the century or dynasty, whatever part of it and however it is written
        ("13世纪初", "era", "13c"),
        ("公元6世纪", "era", "6c"),
        ("公元前5世纪", "era", "bc5c"),
        ("清代", "era", "清"),
        ("清朝末期", "era", "清"),
        # dates: the fields they state, in any numerals
        ("2003年1月24号", "date", "2003-1-24"),
        ("2003年1月", "date", "2003-1-"),
        ("6月2日", "date", "-6-2"),
        ("二〇〇三年一月", "date", "2003-1-"),
        # years: BC kept apart, Chinese numerals read, a 年中 is the year
        ("公元前221年", "year", "bc221"),
        ("二〇〇三年", "year", "2003"),
        ("1969年中", "year", "1969"),
        ("1990年代初", "year", "1990s"),
    ],
)
def test_constraint_values_are_canonical(text: str, kind: str, value: str) -> None:
    c = _constraint(text)
    assert (c.kind, c.value) == (kind, value)


def test_constraints_stating_one_value_are_equal_in_any_wording() -> None:
    assert _constraint("第一届") == _constraint("首届")
    assert _constraint("十部") == _constraint("10部")
    assert _constraint("清朝") == _constraint("清代时期")
    assert _constraint("第一届") != _constraint("第二届")
    assert len({_constraint("首届"), _constraint("第一届")}) == 1


@pytest.mark.parametrize(
    ("asked", "stated", "agree"),
    [
        ("第一届", "首届", True),
        ("第五届", "第六届", False),
        ("13世纪", "13世纪初", True),
        ("13世纪", "14世纪", False),
        ("宋朝时期", "宋代", True),
        ("宋朝", "唐朝", False),
        # a date agrees where the fields both state agree
        ("2003年1月", "2003年1月24号", True),
        ("2009年6月2日", "6月2日", True),
        ("2009年5月", "2009年10月", False),
        ("2009年6月2日", "6月3日", False),
        # a year agrees with a date in it, and not with another year's
        ("2003年", "2003年1月24号", True),
        ("2004年", "2003年1月24号", False),
        ("公元前221年", "221年", False),
        # other kinds never agree
        ("2003年", "13世纪", False),
    ],
)
def test_compatible_constraints(asked: str, stated: str, agree: bool) -> None:
    assert compatible(_constraint(asked), _constraint(stated)) is agree


_CONSTRAINT_CHARS = "0123456789一二三十〇年月日号世纪初末公元前第届朝代清宋季度全"


@given(st.text(alphabet=_CONSTRAINT_CHARS, max_size=30))
def test_every_constraint_agrees_with_itself(text: str) -> None:
    for t in typed_spans(normalize_for_matching(text)):
        c = constraint_of(t)
        if c is not None:
            assert compatible(c, c)
            assert c == Constraint(c.kind, "other wording", c.value)


def test_attribute_asked_about() -> None:
    assert analyze_question("长三角储能及安全产业链联盟的秘书长是谁?").attribute == "秘书长"
    assert analyze_question("谢尔的面积有多大?").attribute == "面积"
    assert analyze_question("谁牵头组建了联盟?").attribute == ""


def test_when_is_one_interrogative() -> None:
    # 什么时候 asks for a time as 何时 does: its 时候 is no term of the question's content
    a = analyze_question("會議是什麼時候召開的?")
    assert (a.wh, a.answer_type, a.head) == ("什么时候", "time", "")
    assert "时候" not in a.content and "召开" in a.content


def test_both_scripts_analyse_alike() -> None:
    simplified = analyze_question("长三角企业家联盟是什么时候成立的?")
    traditional = analyze_question("長三角企業家聯盟是什麼時候成立的?")
    assert simplified.folded == traditional.folded
    assert simplified.answer_type == traditional.answer_type == "time"


@given(st.text(max_size=80))
def test_analysis_never_raises_and_spans_are_in_the_question(text: str) -> None:
    a = analyze_question(text)
    assert a.answer_type
    if a.wh_start >= 0:
        assert a.folded[a.wh_start : a.wh_start + len(a.wh)] == a.wh
        assert a.wh_start < a.wh_end <= len(a.folded)
    for c in a.constraints:
        assert c.text in a.folded


@pytest.mark.parametrize(
    ("question", "year"),
    [
        ("海宁西站哪一年启用？", True),
        ("路德维希·普朗特卒于哪年？", True),
        ("联盟是什么年份成立的?", True),
        ("他哪年哪月出生?", False),
        ("他饰演了哪个年龄段的人物?", False),
        ("会议是什么时候召开的?", False),
        ("会议在哪个城市召开?", False),
    ],
)
def test_asks_for_year(question: str, year: bool) -> None:
    assert asks_for_year(analyze_question(question)) is year
