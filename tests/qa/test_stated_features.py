"""The measure and model-number levels of the confidence model: a question that asks a
value of a measure (``造价``, ``多少公里``) or names a model number (``E24P``) is answered
only by a text that states one; an article that states none, or states the model number
with other digits (``E23P``), is a near miss's mark."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from qa.analysis.question import analyze_question
from qa.answering.extractive.stages.confidence import (
    CONFIDENCE_FEATURES,
    IN_DOCUMENT,
    IN_SENTENCE,
    NOT_ASKED,
    NOWHERE,
    SIBLING,
    STATED_FEATURES,
    asked_measures,
    confidence_features,
    measure_level,
    variant_level,
)
from qa.answering.extractive.stages.sentence_features import SENTENCE_FEATURES
from qa.answering.extractive.stages.span_features import SPAN_FEATURES
from qa.lexicon import MEASURES


def _document(text: str) -> Callable[[], str]:
    return lambda: text


@pytest.mark.parametrize(
    ("question", "measures"),
    [
        ("广茂铁路的造价是多少？", ("money",)),
        ("邹游的身高是多少？", ("length",)),
        ("大桥全长多少公里？", ("length", "speed")),
        ("协会有多少名成员？", ("people",)),
        ("地铁每天的客流量是多少？", ("people",)),
        # Not a measure: another unit, a rank, a share, a time, not a number.
        ("质量是地球的多少倍？", ()),
        ("土地面积是全国第几大？", ()),
        ("人口中大约占百分之多少？", ()),
        ("距离现在约多久以前盖的？", ()),
        ("以人口计算，第一大城市是什么？", ()),
    ],
)
def test_the_measure_a_question_asks(question: str, measures: tuple[str, ...]) -> None:
    assert asked_measures(analyze_question(question)) == measures


def test_a_value_in_the_measures_units_is_stated() -> None:
    asked = analyze_question("广茂铁路的造价是多少？")
    assert measure_level(asked, "广茂铁路总投资45亿元", _document("")) == IN_SENTENCE
    assert measure_level(asked, "广茂铁路全长364.6公里", _document("造价约3亿美元")) == IN_DOCUMENT
    # A length is not an amount of money; a date is not either.
    assert measure_level(asked, "广茂铁路全长364.6公里", _document("1991年通车")) == NOWHERE
    height = analyze_question("邹游的身高是多少？")
    assert measure_level(height, "邹游身高1.85米", _document("")) == IN_SENTENCE
    assert measure_level(height, "邹游身披10号球衣", _document("")) == NOWHERE
    people = analyze_question("该市的人口有多少？")
    assert measure_level(people, "2012年人口30万", _document("")) == IN_SENTENCE


def test_a_question_for_no_measure_is_not_asked() -> None:
    asked = analyze_question("广茂铁路由哪家公司管理？")
    assert measure_level(asked, "由三茂铁路股份有限公司管理运营", _document("")) == NOT_ASKED


def test_a_model_number_stated_with_other_digits_is_a_sibling() -> None:
    question = "城巴e24p线是哪条线路的辅助路线？"
    stated = "城巴e23p线是一条已取消的路线，是城巴e23线的辅助路线。"
    assert variant_level(question, stated, _document(stated)) == SIBLING
    assert variant_level("城巴e23p线往来于哪两个地方？", stated, _document(stated)) == IN_SENTENCE
    assert (
        variant_level("hat-p-3b距离地球有多远？", "它是系外行星", _document("hat-p-2b")) == SIBLING
    )
    assert variant_level("mp5系列的口径是多少？", "口径9毫米", _document("mp5系列")) == IN_DOCUMENT
    assert variant_level("mp5系列的口径是多少？", "口径9毫米", _document("冲锋枪")) == NOWHERE
    # The run is bounded: mp4 is not stated by mp45.
    assert variant_level("mp4是什么？", "mp45是冲锋枪", _document("")) == SIBLING


def test_a_question_naming_no_model_number_is_not_asked() -> None:
    # Letters alone, digits alone (a year, a count) are no model number.
    for question in ("nba的总部在哪里？", "2008年的冠军是谁？", "他有3个儿子吗？"):
        assert variant_level(question, "", _document("")) == NOT_ASKED


def test_the_features_fill_their_columns() -> None:
    sentence_x = np.zeros((2, len(SENTENCE_FEATURES)), np.float32)
    span_x = np.zeros((1, len(SPAN_FEATURES)), np.float32)
    scores = np.array([1.0, 0.5], np.float32)
    row = confidence_features(
        sentence_x,
        scores,
        0,
        span_x,
        np.array([1.0], np.float32),
        0,
        stated=(NOWHERE, SIBLING),
    )
    assert row[CONFIDENCE_FEATURES.index("measure_stated")] == NOWHERE
    assert row[CONFIDENCE_FEATURES.index("variant_stated")] == SIBLING
    assert set(STATED_FEATURES) <= set(CONFIDENCE_FEATURES)


@pytest.mark.parametrize(("name", "asks", "units"), MEASURES)
def test_the_measures_are_well_formed(
    name: str, asks: tuple[str, ...], units: tuple[str, ...]
) -> None:
    assert asks and units, name
    assert len(asks) == len(set(asks)), name
    assert len(units) == len(set(units)), name
