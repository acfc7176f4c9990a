"""Facts and overlap of claims: numbers (digits and numerals), dates, entities, words."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus.normalize import normalize_for_matching
from qa.answering.claims import (
    Facts,
    chinese_number,
    claim_facts,
    content_overlap,
    content_tokens,
    folded_facts,
)

_DIGITS = "零一二三四五六七八九"


def to_chinese(n: int) -> str:
    """A place-value Chinese numeral for 1 <= n < 10**12 (test oracle)."""

    def below_10k(x: int, leading: bool) -> str:
        out, zero = "", False
        for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
            digit = x // value % 10
            if digit:
                if zero and out:
                    out += "零"
                zero = False
                if not (unit == "十" and digit == 1 and leading and not out):
                    out += _DIGITS[digit]
                out += unit
            elif out or not leading:
                zero = True
        return out

    parts = []
    for value, unit in ((10**8, "亿"), (10**4, "万"), (1, "")):
        group = n // value % 10**4
        if group:
            text = below_10k(group, leading=not parts)
            if parts and group < 1000:
                text = "零" + text.lstrip("零")
            parts.append(text + unit)
    return "".join(parts)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("十", 10),
        ("十五", 15),
        ("二十三", 23),
        ("一百零五", 105),
        ("两千", 2000),
        ("三万五千", 35000),
        ("十万", 100000),
        ("两百万", 2000000),
        ("一亿二千万", 120000000),
        ("二〇二四", 2024),
        ("一九九八", 1998),
        ("四", 4),
    ],
)
def test_chinese_numbers(text: str, value: int) -> None:
    assert chinese_number(text) == value


@pytest.mark.parametrize(
    "text", ["", "三五", "七八", "十十", "百千", "万", "abc", "十五五", "二两"]
)
def test_not_a_single_number(text: str) -> None:
    assert chinese_number(text) is None


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1, max_value=10**12 - 1))
def test_chinese_numbers_round_trip(n: int) -> None:
    assert chinese_number(to_chinese(n)) == n


@given(st.text(alphabet="〇零一二两三四五六七八九十百千万亿", max_size=12))
def test_chinese_number_never_raises(text: str) -> None:
    value = chinese_number(text)
    assert value is None or value >= 0


def test_numbers_in_digits_and_numerals_are_the_same_fact() -> None:
    assert claim_facts("由四家企业牵头").numbers == claim_facts("由4家企業牽頭").numbers == {"4"}
    assert claim_facts("达23.2萬億元").numbers == claim_facts("达23.2万亿元").numbers
    assert claim_facts("达23.2万亿元").numbers == {"23200000000000"}
    assert claim_facts("约占全国的四分之一").numbers == {"1/4"}
    assert claim_facts("增长百分之二十五").numbers == {"25"}
    assert claim_facts("约占全国的一半").numbers == {"1/2"}
    assert claim_facts("增长25%").numbers == {"25"}
    assert claim_facts("共1,200人").numbers == {"1200"}
    assert claim_facts("共20家国企").numbers == {"20"}


def test_words_with_numeral_characters_are_not_numbers() -> None:
    for text in ("这是一个联盟", "长三角一体化", "三省一市", "千万不要", "十五五规划", "统一部署"):
        assert not claim_facts(text).numbers, text


def test_dates() -> None:
    facts = claim_facts("2024年11月1日在杭州召开")
    assert facts.dates == {"2024年", "11月", "1日"}
    assert claim_facts("二〇二四年十一月一号").dates == {"2024年", "11月", "1日"}
    assert claim_facts("发布时间：2024-07-01 17:35").dates == {"2024年", "7月", "1日"}
    assert claim_facts("6月5日").dates == {"6月", "5日"}


def test_entities() -> None:
    assert "浙江省" in claim_facts("由浙江省能源集团等4家企业牵头组建").entities
    assert {"杭州", "gdp"} <= claim_facts("杭州的GDP总量").entities
    assert (
        "长三角国资国企发展新质生产力倡议书"
        in claim_facts("发布了《長三角國資國企發展新質生產力倡議書》").entities
    )


def test_missing_facts() -> None:
    source = "身高182CM，体重75公斤。"
    folded = "身高182cm,体重75公斤。"
    claim = claim_facts("他身高175cm")
    missing = claim.missing_from(folded_facts(folded, entities=False), folded)
    assert missing.numbers == {"175"}
    assert not claim_facts("他身高182cm").missing_from(claim_facts(source), folded)
    assert not Facts()


def test_overlap_ignores_script_and_width() -> None:
    assert content_overlap("创新子联盟由企业牵头组建", "創新子聯盟由企業牽頭組建。") == 1.0
    assert content_overlap("ＧＤＰ总量", "gdp總量") == 1.0
    assert content_overlap("", "anything") == 0.0
    assert content_overlap("完全不同的话", "创新子联盟由企业牵头组建") == 0.0


def test_content_tokens() -> None:
    assert content_tokens("创新,子") == {"创新", "子"}
    assert content_tokens("gdp 23.2万亿") == {"gdp", "23.2", "万亿"}


@given(st.text(max_size=60), st.text(max_size=60))
def test_overlap_is_a_share(claim: str, source: str) -> None:
    assert 0.0 <= content_overlap(claim, source) <= 1.0
    if content_tokens(normalize_for_matching(claim)):
        assert content_overlap(claim, claim) == 1.0
        assert content_overlap(claim, claim + "\n" + source) == 1.0


@given(st.text(alphabet="浙江省能源集团等四家企业牵头组建0123456789年月日，。 ", max_size=40))
def test_a_text_supports_its_own_facts(text: str) -> None:
    facts = claim_facts(text)
    folded = normalize_for_matching(text)
    assert not facts.missing_from(folded_facts(folded, entities=False), folded)
