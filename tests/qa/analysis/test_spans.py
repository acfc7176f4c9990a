"""Typed spans (dates, numbers, ordinals, periods, names) and Chinese numbers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from corpus.normalize import normalize_for_matching
from qa.analysis.spans import KINDS, chinese_number, tidy_span, typed_spans


def _kinds(text: str) -> list[tuple[str, str]]:
    return [(t.kind, t.text) for t in typed_spans(normalize_for_matching(text))]


def test_kinds_in_news_text() -> None:
    assert _kinds("6月5日,以“四鏈”融合為主題的2024年度會議召開,第四批聯盟成立") == [
        ("date", "6月5日"),
        ("quote", "“四链”"),
        ("year", "2024年度"),
        ("ordinal", "第四批"),
    ]
    assert ("quantity", "23.2万亿元") in _kinds("GDP總量達23.2萬億元,約占全國的四分之一")
    assert ("percent", "四分之一") in _kinds("约占全国的四分之一")
    assert ("period", "前三季度") in _kinds("前三季度的GDP")
    assert _kinds("1453年,公元前3世纪,唐朝末期,增长5.2%") == [
        ("year", "1453年"),
        ("era", "公元前3世纪"),
        ("era", "唐朝末期"),
        ("percent", "5.2%"),
    ]
    assert ("ordinal", "首批") in _kinds("首批成员单位") and ("title", "《倡议书》") in _kinds(
        "发布了《倡议书》"
    )


@pytest.mark.parametrize(
    ("text", "span"),
    [
        # the middle, start or end of a year or century belongs to it...
        ("1969年中,毛泽东", "1969年中"),
        ("1990年中期", "1990年中"),
        ("2020年初,疫情", "2020年初"),
        ("20世纪中后期", "20世纪中"),
        ("13世纪初期", "13世纪初期"),
        # ...but not the first character of a name or word after it
        ("1996年中华民国总统选举", "1996年"),
        ("2014年中山市", "2014年"),
        ("20世纪中国文学", "20世纪"),
        ("2020年初步建成", "2020年"),
    ],
)
def test_years_and_centuries_end_where_their_part_does(text: str, span: str) -> None:
    assert _kinds(text)[0][1] == span


@pytest.mark.parametrize(
    ("text", "value"),
    [("23", 23), ("五", 5), ("十二", 12), ("二十", 20), ("一百零五", 105), ("二〇二四", 2024)],
)
def test_chinese_number(text: str, value: int) -> None:
    assert chinese_number(text) == value


def test_chinese_number_rejects_other_text() -> None:
    assert chinese_number("") is None and chinese_number("五个") is None


@given(st.text(max_size=120))
def test_spans_are_ordered_disjoint_and_exact(text: str) -> None:
    folded = normalize_for_matching(text)
    last = 0
    for span in typed_spans(folded):
        assert span.kind in KINDS
        assert last <= span.start < span.end <= len(folded)
        assert folded[span.start : span.end] == span.text
        last = span.end


@pytest.mark.parametrize(
    ("text", "span", "year_only", "tidied"),
    [
        # a bracket or quote left open is closed, one closed first is opened
        ("东日本铁道(jr东日本)隶属", "东日本铁道(jr东日", False, "东日本铁道(jr东日本)"),
        ("《启源》三卷、《珍珠囊》", "启源》三卷、《珍珠", False, "《启源》三卷、《珍珠囊》"),
        ("称为「岛山」,为纪念", "「岛山", False, "「岛山」"),
        # a book title takes its marks; a quote answered inside its marks stays so
        ("收于《大正藏》经集部", "大正藏", False, "《大正藏》"),
        ("称为「岛山」,为纪念", "岛山", False, "岛山"),
        # which year: the year of a full date
        ("卒于1953年8月15日。", "1953年8月15日", True, "1953年"),
        ("卒于1953年8月15日。", "1953年8月15日", False, "1953年8月15日"),
        ("卒于1953年,葬于", "1953年", True, "1953年"),
        # a partner out of reach, or none: the span stays
        ("甲(" + "乙" * 50 + ")", "甲(乙", False, "甲(乙"),
        ("没有括号的句子", "括号", False, "括号"),
        # a span never starts inside a number
        ("共计有178万多人投票", "万多人", False, "178万多人"),
        ("票价为2.64元", "64元", False, "2.64元"),
        ("约有一万多人", "万多人", False, "一万多人"),
        ("第一届会议", "一届", False, "一届"),
        ("为12月", "12月", False, "12月"),
    ],
)
def test_tidy_span(text: str, span: str, year_only: bool, tidied: str) -> None:
    start = text.index(span)
    a, b = tidy_span(text, start, start + len(span), year_only=year_only)
    assert text[a:b] == tidied


@given(st.text(alphabet="甲乙《》「」()“”年月1", max_size=30), st.data())
def test_tidy_span_stays_in_the_text_and_grows_at_its_edges(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    year_only = data.draw(st.booleans())
    a, b = tidy_span(text, start, end, year_only=year_only)
    assert 0 <= a <= start <= b <= len(text)  # the start never moves right
    if not year_only:
        assert b >= end  # without the year rule the edges only grow
