"""Ranking, answer and latency metrics on hand-computed cases."""

from __future__ import annotations

import math

import pytest

from eval.bootstrap import bootstrap_ci, paired_bootstrap_ci
from eval.metrics import (
    answer_em,
    answer_f1,
    contains_gold,
    first_relevant_rank,
    hit_at_k,
    mrr_at_k,
    ndcg_at_k,
    percentile,
    recall_at_k,
)


def test_ranks_hits_and_mrr() -> None:
    assert first_relevant_rank(["a", "b", "c"], {"c"}) == 3
    assert first_relevant_rank(["a"], {"z"}) == 0
    ranks = [1, 3, 0, 12]
    assert hit_at_k(ranks, 1) == 0.25
    assert hit_at_k(ranks, 3) == 0.5
    assert hit_at_k(ranks, 10) == 0.5
    assert mrr_at_k(ranks, 10) == pytest.approx((1 + 1 / 3) / 4)
    assert hit_at_k([], 5) == 0.0


def test_recall_at_k() -> None:
    ranked = ["x", "g1", "y", "g2"]
    assert recall_at_k(ranked, {"g1", "g2"}, 1) == 0.0
    assert recall_at_k(ranked, {"g1", "g2"}, 2) == 0.5
    assert recall_at_k(ranked, {"g1", "g2"}, 10) == 1.0
    with pytest.raises(ValueError):
        recall_at_k(ranked, set(), 3)


def test_ndcg_binary_relevance() -> None:
    # DCG = 1/log2(3) + 1/log2(5); ideal = 1 + 1/log2(3)
    expected = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert ndcg_at_k(["x", "g1", "y", "g2"], {"g1", "g2"}) == pytest.approx(expected)
    assert ndcg_at_k(["g1", "x"], {"g1"}) == 1.0
    assert ndcg_at_k(["x", "g1"], {"g1"}, k=1) == 0.0
    # a repeated id counts once
    assert ndcg_at_k(["g1", "g1"], {"g1", "g2"}) == pytest.approx(1 / (1 + 1 / math.log2(3)))


def test_containment_is_script_normalised_and_ignores_markers() -> None:
    assert contains_gold("會議在浙江溫州召開 [1]", ["温州"])
    assert contains_gold("ＧＤＰ总量达23.2万亿元 [2]", ["gdp"])
    assert not contains_gold("在杭州 [1]", ["温州"])
    assert not contains_gold("anything", ["", "  "])


def test_contains_gold_ignores_sentence_punctuation_at_the_gold_ends() -> None:
    # Answers quote up to the clause end, without the full stop, before the marker.
    assert contains_gold(
        "主要分布在北岛的中部，小部份在岛上 [1]", ["分布在北岛的中部，小部份在岛上。"]
    )
    assert contains_gold("意思是孔子绝口不谈 [1]", ["，孔子绝口不谈。"])
    assert not contains_gold("主要分布在北岛的中部 [1]", ["北岛的中部，小部份在岛上。"])
    # Punctuation inside the gold must still match.
    assert not contains_gold("北岛的中部小部份 [1]", ["北岛的中部，小部份"])
    assert not contains_gold("anything", ["。", "，。"])


def test_answer_em_f1_compare_in_simplified_without_markers() -> None:
    assert answer_em("尚鵬 [1]", ["尚鹏"]) == 1.0
    assert answer_f1("浙江溫州 [1]", ["浙江温州"]) == 1.0


def test_percentile_interpolates() -> None:
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([5.0], 95) == 5.0
    assert percentile([], 50) == 0.0
    assert percentile(list(range(101)), 95) == 95


def test_bootstrap_is_seeded_and_brackets_the_mean() -> None:
    values = [1.0] * 60 + [0.0] * 40
    lo, hi = bootstrap_ci(values, seed=3)
    assert (lo, hi) == bootstrap_ci(values, seed=3)
    assert lo < 0.6 < hi
    assert 0.45 < lo and hi < 0.75
    assert bootstrap_ci([0.5]) == (0.5, 0.5)
    assert all(math.isnan(x) for x in bootstrap_ci([]))
    with pytest.raises(ValueError):
        bootstrap_ci([1.0], confidence=1.5)


def test_paired_bootstrap_difference() -> None:
    before = [0.0] * 50 + [1.0] * 50
    after = [1.0] * 100
    lo, hi = paired_bootstrap_ci(before, after)
    assert 0.35 < lo <= 0.5 <= hi < 0.65
    assert paired_bootstrap_ci(before, before) == (0.0, 0.0)
    with pytest.raises(ValueError):
        paired_bootstrap_ci([1.0], [1.0, 2.0])
