"""Training the reader: the runner-up margin fitted to the answer-length budget, the
labels it implies, the abstention threshold, and a whole (tiny) fit end to end."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from qa import Assistant, AssistantConfig, Document, ReaderModel, TermStatistics
from qa.answering.extractive.training import (
    ORIGIN_WEIGHTS,
    Judged,
    TrainingQuestion,
    char_f1,
    collect,
    false_abstention_threshold,
    fit,
    fit_confidence,
    fit_rankers,
    fit_second_margin,
    judge,
)


def _judged(
    margin: float,
    chars: int,
    second_chars: int,
    *,
    right: bool = False,
    second_right: bool = False,
    answerable: bool = True,
    conflict: bool = False,
) -> Judged:
    return Judged(
        0,
        np.zeros(3, np.float32),
        right,
        conflict,
        answerable,
        margin,
        chars,
        second_chars,
        second_right,
    )


def test_the_margin_widens_the_least_decided_readings_within_the_budget() -> None:
    judged = [_judged(0.1, 40, 30), _judged(0.5, 40, 30), _judged(2.0, 40, 30)]
    # 120 characters for three answers; a budget of 60 allows 60 more: two runner-ups.
    margin = fit_second_margin(judged, budget=60)
    assert margin is not None and 0.5 < margin < 2.0
    assert [j.margin < margin for j in judged] == [True, True, False]
    # A budget of 50 allows 30 more: only the least decided.
    margin = fit_second_margin(judged, budget=50)
    assert margin is not None and 0.1 < margin <= 0.5


def test_the_margin_never_exceeds_the_answerers_cap() -> None:
    judged = [_judged(0.2, 30, 20), _judged(1.5, 30, 20)]
    # Both runner-ups fit the budget, but the answerer quotes none at a margin of 1.5.
    assert fit_second_margin(judged, budget=60, cap=1.0) == 1.0
    assert fit_second_margin(judged, budget=60, cap=math.inf) == pytest.approx(1.5)
    assert fit_second_margin([_judged(1.5, 30, 20)], budget=60, cap=1.0) is None


def test_no_margin_when_nothing_fits_or_nothing_can_be_widened() -> None:
    assert fit_second_margin([_judged(0.1, 80, 30)], budget=60) is None
    assert fit_second_margin([_judged(0.1, 40, 0)], budget=60) is None
    assert fit_second_margin([], budget=60) is None


def test_unanswerable_and_conflicting_readings_do_not_count_towards_the_length() -> None:
    judged = [
        _judged(0.1, 40, 20),
        _judged(0.2, 200, 0, answerable=False),
        _judged(0.3, 200, 0, conflict=True),
    ]
    assert fit_second_margin(judged, budget=60) is not None


def test_a_runner_up_makes_an_answer_right_only_below_the_margin() -> None:
    j = _judged(0.4, 40, 30, second_right=True)
    assert not j.right_with(None)
    assert not j.right_with(0.4)  # widened strictly below the margin
    assert j.right_with(0.41)
    assert not _judged(0.4, 40, 0, second_right=True).right_with(1.0)
    assert not _judged(0.4, 40, 30, second_right=True, conflict=True).right_with(1.0)
    assert _judged(0.4, 40, 30, right=True).right_with(None)


def test_without_features_zeroes_only_the_columns_named() -> None:
    from qa.answering.extractive.stages.confidence import CONFIDENCE_FEATURES
    from qa.answering.extractive.training import OutOfFold, without_features

    row = np.arange(1, len(CONFIDENCE_FEATURES) + 1, dtype=np.float32)
    judged = Judged(0, row, True, False, True)
    oof = OutOfFold(np.zeros(1, np.int64), (), (judged,))
    out = without_features(oof, ["contrast_sentence"]).judged[0].features
    column = CONFIDENCE_FEATURES.index("contrast_sentence")
    assert out[column] == 0.0 and row[column] != 0.0
    assert np.array_equal(np.delete(out, column), np.delete(row, column))
    with pytest.raises(ValueError, match="not confidence features"):
        without_features(oof, ["no_such_feature"])


def test_the_threshold_keeps_false_abstention_within_the_budget() -> None:
    confidence = np.linspace(0.0, 1.0, 101)
    answerable = np.ones(101, dtype=bool)
    t = false_abstention_threshold(confidence, answerable, 0.05)
    assert np.mean(confidence[answerable] < t) <= 0.05
    assert np.mean(confidence[answerable] < np.nextafter(t, 2.0)) > 0.05


def _overlapping_rows(seed: int = 0) -> tuple[list[Judged], list[str]]:
    """Answerable rows (right when their first feature is high) and unanswerable rows
    whose first feature overlaps the answerable ones' in the middle."""
    rng = np.random.default_rng(seed)
    judged = []
    for i in range(600):
        answerable = i < 400
        x = rng.uniform(0.3, 1.0) if answerable else rng.uniform(0.0, 0.7)
        features = np.array([x, rng.uniform(), rng.uniform()], np.float32)
        judged.append(Judged(i, features, answerable and x > 0.35, False, answerable))
    return judged, [f"article-{i % 60}" for i in range(600)]


def _confidence_at(fitted: Any, x: float) -> float:
    import lightgbm

    booster = lightgbm.Booster(model_str=fitted.confidence_model)
    raw = booster.predict(np.array([[x, 0.5, 0.5]]), raw_score=True)
    return float(raw[0])


def test_row_weights_of_one_fit_the_model_without_weights() -> None:
    pytest.importorskip("lightgbm")
    judged, groups = _overlapping_rows()
    plain = fit_confidence(judged, groups)
    ones = fit_confidence(judged, groups, weights=[1.0] * len(judged))
    assert ones.confidence_model == plain.confidence_model
    assert ones.threshold == plain.threshold


def test_weighing_unanswerable_rows_lowers_the_confidence_where_they_overlap() -> None:
    pytest.importorskip("lightgbm")
    judged, groups = _overlapping_rows()
    plain = fit_confidence(judged, groups)
    weights = [1.0 if j.answerable else 4.0 for j in judged]
    weighted = fit_confidence(judged, groups, weights=weights)
    # In the overlap the unanswerable rows count four times: less confidence there;
    # far above it (answerable rows only) the model still trusts the answer.
    assert _confidence_at(weighted, 0.5) < _confidence_at(plain, 0.5)
    assert _confidence_at(weighted, 0.95) > 0


def test_the_origin_weights_name_origins_the_training_command_gives() -> None:
    from eval.train_reader import ORIGINS

    assert set(ORIGIN_WEIGHTS) <= set(ORIGINS)
    assert all(w > 0 for w in ORIGIN_WEIGHTS.values())


def test_char_f1_compares_bags_of_characters() -> None:
    assert char_f1("南京、镇江", ["南京镇江"]) == 1.0
    assert char_f1("", ["南京"]) == 0.0
    assert 0.0 < char_f1("南京市", ["南京"]) < 1.0


ARTICLES = tuple(
    Document(id=f"d{i}", title=title, text=text, source=f"d{i}.txt")
    for i, (title, text) in enumerate(
        [
            ("示范区", "沿江生态示范区建设工程2日正式启动。示范区全长86公里，横跨南京、镇江两市。"),
            (
                "图书馆",
                "市图书馆新馆于10月8日开放。新馆由建筑师王建国主持设计。新馆藏书约300万册。",
            ),
            ("论坛", "第三届数字经济论坛在杭州闭幕。论坛共签约项目45个。论坛秘书长李明出席。"),
            ("港口", "宁波舟山港年吞吐量超过13亿吨。港口集装箱航线达300条。港口由省海港集团运营。"),
        ]
    )
)
QUESTIONS = [
    ("示范区全长多少公里?", "86公里", "d0"),
    ("示范区横跨哪两个城市?", "南京、镇江", "d0"),
    ("新馆由谁主持设计?", "王建国", "d1"),
    ("新馆藏书约多少册?", "300万册", "d1"),
    ("论坛签约了多少个项目?", "45个", "d2"),
    ("论坛秘书长是谁?", "李明", "d2"),
    ("宁波舟山港年吞吐量是多少?", "13亿吨", "d3"),
    ("港口由哪家企业运营?", "省海港集团", "d3"),
]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assistant = Assistant.from_documents(ARTICLES, AssistantConfig(model=""))
    stats = TermStatistics.for_snapshot(assistant.snapshot)
    rows = [TrainingQuestion(q, (a,), (d,), d) for q, a, d in QUESTIONS] * 8
    rows += [TrainingQuestion("量子计算机的工作原理是什么?", (), (), "x")] * 8
    data = collect(rows, lambda q, k: assistant.search(q, k=k), stats)
    model = fit(data, [stats] * len(data.questions), folds=2)
    path = tmp_path_factory.mktemp("reader") / "model.json"
    model.save(path)
    return path


def test_a_fitted_model_round_trips_and_answers(trained: Path) -> None:
    model = ReaderModel.load(trained)
    assert model.confidence_model and 0.0 <= model.threshold <= 1.0
    assert model.second_margin is None or model.second_margin > 0
    assert "second_margin_rule" in model.meta
    config = AssistantConfig(model="", reader_model=str(trained))
    answer = Assistant.from_documents(ARTICLES, config).ask("示范区全长多少公里?")
    assert answer.citations and "86" in answer.text


def test_judge_measures_the_answer_the_answerer_gives(trained: Path) -> None:
    # The out-of-fold labels and lengths come from the answer users get: the clause
    # window of the question's answer type (a number's own clause), not a fixed budget.
    model = ReaderModel.load(trained)
    config = AssistantConfig(model="", reader_model=str(trained))
    long = Document(
        id="d9",
        title="大港",
        text=(
            "宁波舟山港位于浙江省东部沿海，港区水深条件优越，航道宽阔，腹地经济发达，"
            "年吞吐量超过13亿吨，连续多年位居世界第一，港口集装箱航线达300条，"
            "覆盖全球主要港口。"
        ),
        source="d9.txt",
    )
    assistant = Assistant.from_documents((*ARTICLES[:3], long), config)
    stats = TermStatistics.for_snapshot(assistant.snapshot)
    answered = 0
    for question, gold, doc in [*QUESTIONS[:6], ("宁波舟山港年吞吐量是多少?", "13亿吨", "d9")]:
        data = collect(
            [TrainingQuestion(question, (gold,), (doc,), doc)],
            lambda q, k: assistant.search(q, k=k),
            stats,
        )
        judged = judge(data.questions[0], stats, model, 0)
        answer = assistant.ask(question)
        if answer.abstained:
            continue
        answered += 1
        body, _, rest = answer.text.partition(" [1]")
        assert judged.chars == len(body), question
        if rest:
            assert judged.second_chars == len(rest.removesuffix(" [2]")), question
    assert answered >= len(QUESTIONS) // 2


def test_an_infinite_margin_is_stored_and_read_back(tmp_path: Path) -> None:
    model = ReaderModel("s", "p", second_margin=math.inf)
    model.save(tmp_path / "m.json")
    assert ReaderModel.load(tmp_path / "m.json").second_margin == math.inf


def test_near_misses_train_the_confidence_only() -> None:
    # Questions marked confidence_only (generated near misses) change neither ranker nor
    # the character tables: fitted on the same rows with or without them.
    assistant = Assistant.from_documents(ARTICLES, AssistantConfig(model=""))
    stats = TermStatistics.for_snapshot(assistant.snapshot)
    rows = [TrainingQuestion(q, (a,), (d,), d) for q, a, d in QUESTIONS] * 4
    near = [
        TrainingQuestion("示范区全长多少英里?", (), (), "d0", confidence_only=True),
        TrainingQuestion("港口由哪家银行运营?", (), (), "d3", confidence_only=True),
    ] * 4

    def search(q: str, k: int) -> Any:
        return assistant.search(q, k=k)

    plain = collect(rows, search, stats)
    mixed = collect(rows + near, search, stats)
    assert len(mixed.questions) == len(plain.questions) + len(near)
    every = np.ones(len(plain.questions), dtype=bool)
    with_near = np.ones(len(mixed.questions), dtype=bool)
    assert fit_rankers(plain, every) == fit_rankers(mixed, with_near)


def test_the_documented_threshold_is_the_shipped_models() -> None:
    """README's settings table and docs/reader.md state the shipped model's abstention
    threshold: retraining changes it, and the docs must follow."""
    from pathlib import Path

    from qa.answering.extractive.model import default_model

    shipped = f"{default_model().threshold:.3f}"
    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text(encoding="utf-8")
    reader = (root / "docs" / "reader.md").read_text(encoding="utf-8")
    assert f"the reader model's ({shipped})" in readme
    assert f"The abstention threshold is **{shipped}**" in reader
