"""The CMRC 2018 EM/F1 port against hand-computed cases."""

from __future__ import annotations

import pytest

from eval.cmrc import em_score, f1_score, find_lcs, mixed_segmentation, remove_punctuation


def test_segmentation_splits_cjk_characters_and_keeps_words_and_numbers() -> None:
    assert mixed_segmentation("浙江省Hangzhou 2024年", rm_punc=True) == [
        "浙", "江", "省", "hangzhou", "2024", "年",
    ]  # fmt: skip
    assert mixed_segmentation("23.2万亿元") == ["23.2", "万", "亿", "元"]


def test_segmentation_keeps_listed_punctuation_unless_removed() -> None:
    assert mixed_segmentation("《红楼梦》") == ["《", "红", "楼", "梦", "》"]
    assert mixed_segmentation("《红楼梦》", rm_punc=True) == ["红", "楼", "梦"]


def test_ascii_comma_is_not_in_the_punctuation_list_as_in_the_original() -> None:
    assert remove_punctuation(" A，B ") == "ab"
    assert remove_punctuation("a,b") == "a,b"
    assert em_score(["ab"], "a,b") == 0.0


def test_f1_containment_case() -> None:
    # gold 4 characters, prediction 7 containing them: P = 4/7, R = 1, F1 = 8/11
    assert f1_score(["浙江温州"], "在浙江温州召开") == pytest.approx(8 / 11)


def test_f1_uses_the_longest_common_substring_not_subsequence() -> None:
    # 长江大桥 vs 长江的大桥: contiguous overlap 2 (长江); P = 2/5, R = 2/4 -> F1 = 4/9
    assert f1_score(["长江大桥"], "长江的大桥") == pytest.approx(4 / 9)


def test_f1_english_words() -> None:
    # [new, york] vs [new, york, city]: P = 2/3, R = 1 -> F1 = 0.8
    assert f1_score(["New York"], "new york city") == pytest.approx(0.8)


def test_scores_take_the_best_gold_answer() -> None:
    assert em_score(["北京", "北京市"], "北京市") == 1.0
    assert f1_score(["上海", "北京市"], "北京市") == 1.0
    assert em_score(["《红楼梦》"], "红楼梦") == 1.0


def test_no_overlap_and_empty_prediction_score_zero() -> None:
    assert f1_score(["北京"], "上海") == 0.0
    assert f1_score(["北京"], "") == 0.0
    assert em_score(["北京"], "") == 0.0


def test_find_lcs_returns_the_first_longest_run() -> None:
    assert find_lcs(["a", "b", "x", "a", "b"], ["a", "b"]) == (["a", "b"], 2)
    assert find_lcs([], ["a"]) == ([], 0)


def test_f1_needs_a_gold_answer() -> None:
    with pytest.raises(ValueError):
        f1_score([], "x")
