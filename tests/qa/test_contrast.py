"""Qualifiers that exclude one another (qa.answering.contrast)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qa.answering.claims import words
from qa.answering.contrast import CONTRAST_SETS, contrast


def _contrast(question: str, text: str) -> tuple[str, str] | None:
    return contrast(words(question), words(text))


@pytest.mark.parametrize(
    ("question", "text", "expected"),
    [
        # another value of the same dimension, in place of the asked one
        (
            "前三季度的gdp总量约占全球的多少?",
            "gdp总量达23.2万亿元,约占全国的四分之一",
            ("全球", "全国"),
        ),
        ("发布了多少个国有企业发展样本?", "会议发布了36个民营企业发展样本", ("国有", "民营")),
        ("新成立了什么女企业家委员会?", "联盟新成立青年企业家委员会", ("女", "青年")),
        ("上半年出口增长了多少?", "下半年出口增长了5%", ("上半年", "下半年")),
        # the asked value in other words of its class is a paraphrase
        ("约占全球的多少?", "约占全世界的四分之一", None),
        ("多少个国有企业?", "36个国资企业", None),
        # the asked value stated too, beside another one
        ("国有企业有多少家?", "民营企业120家,国有企业30家", None),
        # a member inside another word still states its class
        ("全国有多少家?", "在全国范围内有30家,全球有80家", None),
        # nothing stated of the dimension: a dropped qualifier, no contrast
        ("约占全球的多少?", "约占四分之一", None),
        # the question names both values itself: the text states one of them
        ("东部定都于君士坦丁堡,西部则是?", "阿卡狄奥斯成为东部的统治者,定都于君士坦丁堡", None),
        # one-character members only as whole words: 女儿 is no 女
        ("男运动员有多少名?", "他的女儿有三名", None),
        ("男运动员有多少名?", "女运动员有三名", ("男", "女")),
    ],
)
def test_contrast(question: str, text: str, expected: tuple[str, str] | None) -> None:
    assert _contrast(question, text) == expected


def test_classes_are_disjoint() -> None:
    members = [m for dimension in CONTRAST_SETS for cls in dimension for m in cls]
    assert len(members) == len(set(members))
    assert all(len(dimension) >= 2 for dimension in CONTRAST_SETS)


_WORDS = st.lists(
    st.one_of(
        st.sampled_from([m for d in CONTRAST_SETS for cls in d for m in cls]),
        st.text(alphabet="的了企业会议发布多少是个家年全国球女儿", min_size=1, max_size=4),
    ),
    max_size=12,
)


@given(_WORDS)
def test_a_text_never_contrasts_with_itself(question: list[str]) -> None:
    assert contrast(question, question) is None


@given(_WORDS, _WORDS)
def test_a_contrast_names_members_of_two_classes_of_one_dimension(
    question: list[str], text: list[str]
) -> None:
    found = contrast(question, text)
    if found is None:
        return
    asked, stated = found
    dimension = next(d for d in CONTRAST_SETS if any(asked in cls for cls in d))
    classes = [i for i, cls in enumerate(dimension) if asked in cls or stated in cls]
    assert len(classes) == 2
