"""The contrast features of the confidence model: a question's qualifier that the
answer's sentence or document replaces by another of its set (``全年`` asked,
``前三季度`` stated) is a near miss's mark; a paraphrase keeps the value or drops it."""

from __future__ import annotations

import numpy as np
import pytest

from embeddings.tokenize import Char12Tokenizer
from qa.answering.extractive.stages.confidence import (
    CONFIDENCE_FEATURES,
    CONTRAST_FEATURES,
    NO_QUALIFIER,
    REPLACED,
    STATED,
    UNSTATED,
    confidence_features,
    contrast_levels,
)
from qa.answering.extractive.stages.sentence_features import SENTENCE_FEATURES
from qa.answering.extractive.stages.span_features import SPAN_FEATURES
from qa.lexicon import CONTRAST_SETS


def _terms(text: str) -> frozenset[str]:
    return frozenset(Char12Tokenizer()(text))


SENTENCE = "公司前三季度营业收入为12亿元"


def test_a_replaced_qualifier_is_a_contrast() -> None:
    assert contrast_levels("公司全年营业收入是多少", SENTENCE, None) == (REPLACED, REPLACED)


def test_the_same_qualifier_or_none_is_no_contrast() -> None:
    assert contrast_levels("公司前三季度营业收入是多少", SENTENCE, None) == (STATED, STATED)
    assert contrast_levels("公司营业收入是多少", SENTENCE, None) == (NO_QUALIFIER, NO_QUALIFIER)
    assert contrast_levels("公司全年营业收入是多少", "公司营业收入为12亿元", None) == (
        UNSTATED,
        UNSTATED,
    )


def test_the_document_may_state_what_the_sentence_does_not() -> None:
    document = _terms("公司前三季度营业收入为12亿元。公司全年目标为18亿元。")
    assert contrast_levels("公司全年营业收入是多少", SENTENCE, document) == (REPLACED, STATED)
    alone = _terms("公司前三季度营业收入为12亿元。")
    assert contrast_levels("公司全年营业收入是多少", SENTENCE, alone) == (REPLACED, REPLACED)


def test_the_longest_spelling_of_a_set_wins() -> None:
    # 前三季度 is not the third quarter (三季度); 世界最大 states both a scope and an extreme.
    assert contrast_levels("第三季度的收入是多少", SENTENCE, None)[0] == REPLACED
    assert contrast_levels("世界最小的岛是哪个", "格陵兰是世界最大的岛", None)[0] == REPLACED
    assert contrast_levels("全国最大的岛是哪个", "格陵兰是世界最大的岛", None)[0] == REPLACED
    assert contrast_levels("世界最大的岛是哪个", "格陵兰是全球最大的岛", None)[0] == STATED


def test_a_question_naming_two_values_of_a_set_replaces_neither() -> None:
    # 东部…西部: the text stating one of them replaces nothing the question names.
    level, _ = contrast_levels("东部的人口多，西部呢", "西部人口稀少", None)
    assert level == STATED


def test_the_features_fill_their_columns() -> None:
    sentence_x = np.zeros((2, len(SENTENCE_FEATURES)), np.float32)
    span_x = np.zeros((1, len(SPAN_FEATURES)), np.float32)
    scores = np.array([1.0, 0.5], np.float32)
    row = confidence_features(
        sentence_x, scores, 0, span_x, np.array([1.0], np.float32), 0, (REPLACED, STATED)
    )
    assert row[CONFIDENCE_FEATURES.index("contrast_sentence")] == REPLACED
    assert row[CONFIDENCE_FEATURES.index("contrast_document")] == STATED
    assert set(CONTRAST_FEATURES) <= set(CONFIDENCE_FEATURES)


@pytest.mark.parametrize(("name", "classes"), CONTRAST_SETS)
def test_the_sets_are_well_formed(name: str, classes: tuple[tuple[str, ...], ...]) -> None:
    assert len(classes) >= 2, name
    words = [w for cls in classes for w in cls]
    assert len(words) == len(set(words)), name
    assert all(len(w) >= 2 for w in words), name
