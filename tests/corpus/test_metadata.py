"""Metadata the articles state: title, publish time, outlet, reporter, place."""

from __future__ import annotations

import pytest

from corpus import CleanedArticle, clean_article
from corpus.cleaning import extract_metadata, parse_dateline, parse_datetime, remove_pinyin


def test_seed_003(cleaned_003: CleanedArticle) -> None:
    assert cleaned_003.outlet == "中新網"
    assert cleaned_003.place == "杭州"
    assert cleaned_003.reporter == "奚金燕"
    assert dict(cleaned_003.meta)["dateline_date"] == "11月1日"
    assert cleaned_003.published == ""  # the dateline states no year
    assert cleaned_003.title == ""


def test_seed_000(cleaned_000: CleanedArticle) -> None:
    assert cleaned_000.title == "長三角綠色低碳產業鏈聯盟成立,助新材料新能源企業深度協同"
    assert cleaned_000.published == "2024-07-01T17:35:13"
    assert cleaned_000.outlet == "澎湃新聞"
    assert cleaned_000.reporter == "" and cleaned_000.place == ""
    removed = [r.text for r in cleaned_000.report.removals if r.rule == "metadata"]
    # Removals quote the raw article: the title line still has its pinyin readings there
    # (which the pinyin rule reported too).
    assert [remove_pinyin(r).text for r in removed] == [
        cleaned_000.title,
        "發布時間:2024-07-01 17:35:13 瀏覽量:",
    ]
    assert removed[0].startswith("長(zhǎng)三角")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-07-01 17:35:13", "2024-07-01T17:35:13"),
        ("2024-7-1", "2024-07-01"),
        ("2024年7月1日", "2024-07-01"),
        ("2024年7月1日 17:35", "2024-07-01T17:35:00"),
        ("2024/07/01 08:05:09", "2024-07-01T08:05:09"),
        ("11月1日", ""),
        ("2024-13-01", ""),
        ("昨天", ""),
    ],
)
def test_parse_datetime(value: str, expected: str) -> None:
    assert parse_datetime(value) == expected


@pytest.mark.parametrize(
    ("line", "outlet", "place", "date", "reporter", "published"),
    [
        ("中新網杭州11月1日電(奚金燕)11月1日,以", "中新網", "杭州", "11月1日", "奚金燕", ""),
        ("新华社北京3月5日电（记者 张三 李四）十四届", "新华社", "北京", "3月5日", "张三 李四", ""),
        ("人民网上海2024年3月5日电 记者", "人民网", "上海", "2024年3月5日", "", "2024-03-05"),
        ("本報北京6月5日訊(記者王五)今天", "", "北京", "6月5日", "王五", ""),
        # A site whose name ends in 新闻网: the whole name is the outlet, not 新闻 + 网杭州.
        ("示例新闻网杭州3月18日电 今天", "示例新闻网", "杭州", "3月18日", "", ""),
        ("示例新聞網杭州3月18日電(記者 王五)", "示例新聞網", "杭州", "3月18日", "王五", ""),
        ("浙江日报社杭州3月1日讯", "浙江日报社", "杭州", "3月1日", "", ""),
    ],
)
def test_parse_dateline(
    line: str, outlet: str, place: str, date: str, reporter: str, published: str
) -> None:
    d = parse_dateline(line)
    assert d is not None
    assert (d.outlet, d.place, d.date, d.reporter, d.published) == (
        outlet,
        place,
        date,
        reporter,
        published,
    )


@pytest.mark.parametrize(
    "line",
    [
        "6月5日,以“四鏈”融合為主題的會議召開。",
        "今天天氣很好。",
        "長三角地區主要領導座談會",
        "示例新闻网3月18日电 今天",  # no place: 网 is not taken for one
    ],
)
def test_no_dateline(line: str) -> None:
    assert parse_dateline(line) is None


def test_field_lines_simplified() -> None:
    raw = (
        "新能源汽车销量创新高\n来源：新华社  发布时间：2024年3月5日 09:30  浏览量：1234\n"
        "责任编辑：赵六\n今年前两个月，新能源汽车销量同比增长。"
    )
    result = extract_metadata(raw)
    m = result.metadata
    assert m.title == "新能源汽车销量创新高"
    assert m.outlet == "新华社"
    assert m.published == "2024-03-05T09:30:00"
    assert ("editor", "赵六") in m.meta
    assert result.text == "今年前两个月，新能源汽车销量同比增长。"
    assert [r.rule for r in result.removals] == ["metadata"] * 3


@pytest.mark.parametrize(
    "raw",
    [
        "第一段沒有標題。\n第二段也不是。",  # no field line: no title
        "這是一句完整的話。\n發布時間:2024-07-01\n正文。",  # sentence-final punctuation
    ],
)
def test_title_never_invented(raw: str) -> None:
    assert clean_article(raw).title == ""


def test_unknown_stays_empty() -> None:
    cleaned = clean_article("會議在浙江溫州召開,多家企業參加。")
    assert (cleaned.title, cleaned.published, cleaned.outlet, cleaned.reporter) == ("",) * 4
    assert cleaned.place == "" and cleaned.meta == ()


def test_domain_outlet_strips_leading_verb() -> None:
    cleaned = clean_article("據澎湃新聞(www.thepaper.cn)報道,會議召開。")
    assert cleaned.outlet == "澎湃新聞"
    assert "(www.thepaper.cn)" in cleaned.text


def test_dateline_of_a_news_site_in_a_whole_article() -> None:
    cleaned = clean_article("示例新闻网杭州3月18日电(记者 王五)白马湖实验室今天发布了新装备。")
    assert (cleaned.outlet, cleaned.place, cleaned.reporter) == ("示例新闻网", "杭州", "王五")
    assert dict(cleaned.meta)["dateline_date"] == "3月18日"
