"""The reader's trees evaluated with numpy (qa.answering.extractive.trees): LightGBM's
predictions to the last bit on the shipped models and on models with every missing-value
rule, and answering imports neither LightGBM nor scikit-learn, SciPy or pandas."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from qa import Assistant, ReaderModel, default_model
from qa.answering.extractive.stages.confidence import CONFIDENCE_FEATURES
from qa.answering.extractive.trees import TreeEnsemble, compile_lightgbm_text

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = ("seed.jsonl", "near_miss.jsonl")


@pytest.fixture(scope="module")
def reader_rows(seed_assistant: Assistant) -> dict[str, npt.NDArray[np.float32]]:
    """The feature rows the reader scores for the seed and near-miss questions."""
    rows: dict[str, list[npt.NDArray[np.float32]]] = {"sentence": [], "span": [], "confidence": []}
    sentence, span, confidence = (
        ReaderModel.sentence_score,
        ReaderModel.span_score,
        ReaderModel.raw_confidence,
    )

    def spy_sentence(self: ReaderModel, x: npt.NDArray[np.float32]) -> Any:
        rows["sentence"].append(np.array(x))
        return sentence(self, x)

    def spy_span(self: ReaderModel, x: npt.NDArray[np.float32]) -> Any:
        rows["span"].append(np.array(x))
        return span(self, x)

    def spy_confidence(self: ReaderModel, x: npt.NDArray[np.float32]) -> float:
        rows["confidence"].append(np.array(x).reshape(1, -1))
        return confidence(self, x)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ReaderModel, "sentence_score", spy_sentence)
        patch.setattr(ReaderModel, "span_score", spy_span)
        patch.setattr(ReaderModel, "raw_confidence", spy_confidence)
        for name in QUESTIONS:
            for line in (ROOT / "eval" / "questions" / name).read_text("utf-8").splitlines():
                if line.strip():
                    seed_assistant.ask(json.loads(line)["question"])
    assert all(rows.values()), "the questions reached every model"
    return {k: np.concatenate(v).astype(np.float32) for k, v in rows.items()}


def _variants(x: npt.NDArray[np.float32], seed: int = 0) -> npt.NDArray[np.float32]:
    """Real rows, rows near them (scaled, zeroed, negated cells: values on both sides of
    the thresholds) and rows with missing values."""
    rng = np.random.default_rng(seed)
    picks = x[rng.integers(0, len(x), 1500)]
    factors = rng.choice([0.0, 1.0, 1.0, 1.0001, 0.9999, -1.0], size=picks.shape)
    near = (picks * factors).astype(np.float32)
    missing = x[: min(len(x), 300)].copy()
    missing[rng.random(missing.shape) < 0.2] = np.nan
    return np.concatenate([x, near, missing])


@pytest.mark.parametrize("part", ["sentence", "span", "confidence"])
def test_the_shipped_trees_give_lightgbm_s_predictions(
    part: str, reader_rows: dict[str, npt.NDArray[np.float32]]
) -> None:
    lightgbm = pytest.importorskip("lightgbm")
    text = getattr(default_model(), f"{part}_model")
    rows = _variants(reader_rows[part])
    ours = TreeEnsemble.from_lightgbm_text(text).predict(rows)
    theirs = lightgbm.Booster(model_str=text).predict(rows, num_threads=1)
    assert len(rows) > 1000
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-9)
    # In fact to the last bit: the trees are summed in LightGBM's order.
    assert np.array_equal(ours, theirs)


@pytest.mark.parametrize(
    ("objective", "params"),
    [
        ("lambdarank", {}),
        ("binary", {}),  # NaN in training: missing type NaN
        ("binary", {"zero_as_missing": True}),  # missing type zero
        ("binary", {"use_missing": False}),  # missing type none
        ("regression", {"sigmoid": 0.5}),
    ],
)
def test_every_missing_value_rule_matches_lightgbm(objective: str, params: dict[str, Any]) -> None:
    lightgbm = pytest.importorskip("lightgbm")
    rng = np.random.default_rng(1)
    x = rng.normal(size=(600, 6)).astype(np.float32)
    x[rng.random(x.shape) < 0.15] = np.nan
    x[rng.random(x.shape) < 0.15] = 0.0
    signal = np.nan_to_num(x[:, 0]) + 0.5 * np.isnan(x[:, 1]) - (x[:, 2] == 0)
    y = (signal > 0).astype(int) if objective != "regression" else signal
    group = {"group": [60] * 10} if objective == "lambdarank" else {}
    data = lightgbm.Dataset(x, label=y, **group)
    booster = lightgbm.train(
        {"objective": objective, "verbose": -1, "num_leaves": 7, "min_data_in_leaf": 5, **params},
        data,
        num_boost_round=30,
    )
    text = booster.model_to_string()
    rows = _variants(x, seed=2)
    ours = TreeEnsemble.from_lightgbm_text(text)
    if params.get("zero_as_missing"):
        assert np.any(ours.missing == 1)
    elif params.get("use_missing") is False:
        assert not np.any(ours.missing)
    else:
        assert np.any(ours.missing == 2)
    np.testing.assert_allclose(
        ours.predict(rows), booster.predict(rows, num_threads=1), rtol=0, atol=1e-9
    )


def test_what_is_not_implemented_is_refused() -> None:
    text = default_model().confidence_model
    with pytest.raises(ValueError, match="categorical"):
        TreeEnsemble.from_lightgbm_text(text.replace("num_cat=0", "num_cat=1", 1))
    with pytest.raises(ValueError, match="linear"):
        TreeEnsemble.from_lightgbm_text(text.replace("is_linear=0", "is_linear=1", 1))
    with pytest.raises(ValueError, match="multiclass"):
        TreeEnsemble.from_lightgbm_text(text.replace("num_class=1", "num_class=3", 1))
    with pytest.raises(ValueError, match="not a LightGBM"):
        TreeEnsemble.from_lightgbm_text("hello")
    trees = TreeEnsemble.from_lightgbm_text(text)
    width = len(CONFIDENCE_FEATURES)
    with pytest.raises(ValueError, match=f"{width} features"):
        trees.predict(np.zeros((2, 3), np.float32))
    assert trees.predict(np.zeros((0, width), np.float32)).shape == (0,)


def test_a_one_leaf_tree_is_its_value() -> None:
    text = "\n".join(
        [
            "tree",
            "version=v4",
            "num_class=1",
            "num_tree_per_iteration=1",
            "max_feature_idx=1",
            "objective=regression",
            "",
            "Tree=0",
            "num_leaves=1",
            "num_cat=0",
            "leaf_value=0.25",
            "is_linear=0",
            "shrinkage=1",
            "",
            "end of trees",
        ]
    )
    trees = TreeEnsemble.from_lightgbm_text(text)
    assert trees.predict(np.array([[1.0, np.nan]], np.float32)).tolist() == [0.25]


def test_answering_imports_no_lightgbm_scikit_learn_scipy_or_pandas(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from qa import Assistant, AssistantConfig\n"
        f"a = Assistant.from_paths([{str(ROOT / 'corpus' / 'articles')!r}], "
        "AssistantConfig(model=''))\n"
        "answer = a.ask('长三角国资百企联盟创新子联盟由哪些企业牵头组建?')\n"
        "assert not answer.abstained, answer\n"
        "heavy = {'lightgbm', 'sklearn', 'scipy', 'pandas'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_the_shipped_file_holds_its_trees_compiled(
    reader_rows: dict[str, npt.NDArray[np.float32]],
) -> None:
    model = default_model()
    assert set(model.compiled) == {"sentence", "span", "confidence"}
    for part, rows in reader_rows.items():
        text = getattr(model, f"{part}_model")
        # Compiled from this very text: the arrays are used, and predict as the text does.
        assert model.compiled[part] == compile_lightgbm_text(text)
        parsed = TreeEnsemble.from_lightgbm_text(text).predict(_variants(rows))
        compiled = TreeEnsemble.from_compiled(model.compiled[part], text)
        assert np.array_equal(compiled.predict(_variants(rows)), parsed)


def test_a_format_2_file_still_loads_and_predicts_the_same(tmp_path: Path) -> None:
    model = default_model()
    data = json.loads(model.to_json())
    assert data["format"] == 3
    data["format"] = 2
    del data["compiled"]
    old = ReaderModel.from_json(json.dumps(data))
    assert not old.compiled
    rows = np.random.default_rng(3).normal(size=(50, len(CONFIDENCE_FEATURES))).astype(np.float32)
    assert old.raw_confidence(rows[0]) == model.raw_confidence(rows[0])
    # What scripts/upgrade_reader_model.py does: read, write back in the current format.
    path = tmp_path / "reader_model.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "upgrade_reader_model.py"), str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    upgraded = ReaderModel.load(path)
    assert json.loads(path.read_text("ascii"))["format"] == 3
    assert upgraded.compiled == model.compiled and upgraded == model


def test_compiled_trees_of_another_text_or_damaged_are_not_used() -> None:
    model = default_model()
    sentence = model.compiled["sentence"]
    span_text = model.span_model
    # Compiled from another text (the sentence ranker's): the span ranker's text wins.
    mixed = TreeEnsemble.from_compiled(sentence, span_text)
    assert mixed.num_features == TreeEnsemble.from_lightgbm_text(span_text).num_features
    damaged = {**sentence, "arrays": {**sentence["arrays"], "threshold": "AAAA"}}
    with pytest.raises(ValueError):
        TreeEnsemble.from_compiled(damaged)
    from dataclasses import replace

    again = replace(model, compiled={"sentence": damaged})
    rows = np.zeros((3, again._sentence.num_features), np.float32)
    assert np.array_equal(again.sentence_score(rows), model.sentence_score(rows))
