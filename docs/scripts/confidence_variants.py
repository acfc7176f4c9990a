"""Confidence models compared on the out-of-fold readings, without reading again.

Usage (from the repository root; needs the ``[train]`` extra)::

    python -m eval.train_reader ../shared/benchmarks/cmrc2018_dev.json \\
        ../shared/benchmarks/drcd_dev.json \\
        --near-miss-questions eval/questions/near_miss_generated_dev.jsonl \\
        --out runs/model.json --save-readings runs/readings.pkl
    python docs/scripts/confidence_variants.py runs/readings.pkl [--variant NAME ...]

The training command reads every question once with rankers trained out of fold (about
6 minutes); this script fits, for each variant of the confidence model, the model of
every fold on the other folds' readings exactly as ``eval.train_reader``'s ablation does
(:func:`eval.train_reader._fold_model`: confidence model, isotonic calibration and
threshold at 4.5% false abstention on the training folds), and reads the held-out fold
with it (about a minute per variant on two cores). Printed per variant and per origin of
the rows: the share abstaining (a check fires, or the confidence is under the fold's
threshold) and, for answerable rows, the share answered right; then the generated near
misses (the dev part: the only near misses training sees) per kind, at the fold
thresholds and at one threshold that turns away 5% of the answerable rows out of fold.

Rows are weighted by their origin as training weighs them
(:data:`~qa.answering.extractive.training.ORIGIN_WEIGHTS`; ``--no-origin-weights``: all
alike; ``--weight ORIGIN=W`` to change one).

Variants:

- ``shipped``: :data:`~qa.answering.extractive.training.CONFIDENCE_PARAMS` as they are;
- ``unconstrained``: the same without ``monotone_constraints``;
- ``monotone``: with :func:`monotone_constraints` (the directions of :data:`MONOTONE`);
- ``monotone-intermediate``: the same, with LightGBM's "intermediate" method of
  enforcing them (less restrictive than "basic").
"""

from __future__ import annotations

import argparse
import collections
import json
import pickle
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from eval.train_reader import _fold_model
from qa.answering.extractive import training
from qa.answering.extractive.stages.confidence import CONFIDENCE_FEATURES

_KINDS = Path("eval/questions/near_miss_generated_dev.jsonl")

MONOTONE: Mapping[str, int] = {
    # More of the question found, with more agreement: never less confidence.
    **dict.fromkeys(
        (
            "sentence_score",
            "sentence_margin",
            "span_score",
            "cov",
            "cov_prev",
            "near_cov",
            "lcs_ratio",
            "align_both",
            "typed_match",
            "cons_sat",
            "attr_present",
            "head_present",
            "bm25_ratio",
            "title_cov",
            "rare_cov",
            "attr_in_doc",
            "span_type_compatible",
            "span_holds_expected",
        ),
        1,
    ),
    # More of the question missing, contradicted or replaced: never more confidence.
    **dict.fromkeys(
        (
            "cons_conflict",
            "passage_rank",
            "missing_max",
            "missing_share",
            "doc_missing_max",
            "doc_missing_share",
            "doc_missing_names",
            "doc_missing_name_share",
            "substituted",
            "changed_idf",
        ),
        -1,
    ),
}
"""The confidence features whose direction is known before any data is seen (1: the
probability that the answer is right never falls as the feature grows; -1: it never
rises). The others (answer types, lengths, levels whose order is not one of
confidence) are left free."""


def monotone_constraints() -> list[int]:
    """LightGBM's ``monotone_constraints`` for the confidence features, in their order
    (see :data:`MONOTONE`)."""
    return [MONOTONE.get(name, 0) for name in CONFIDENCE_FEATURES]


def _params(name: str) -> dict[str, Any]:
    base = {k: v for k, v in training.CONFIDENCE_PARAMS.items() if k != "monotone_constraints"}
    if name == "shipped":
        return dict(training.CONFIDENCE_PARAMS)
    if name == "unconstrained":
        return base
    if name == "monotone":
        return {**base, "monotone_constraints": monotone_constraints()}
    if name == "monotone-intermediate":
        return {
            **base,
            "monotone_constraints": monotone_constraints(),
            "monotone_constraints_method": "intermediate",
        }
    raise SystemExit(
        f"unknown variant {name!r}: shipped, unconstrained, monotone, monotone-intermediate"
    )


def evaluate(
    saved: dict[str, Any], params: dict[str, Any], weight: dict[str, float] | None = None
) -> dict[str, Any]:
    """Out-of-fold abstention and answers of the fold models fitted with ``params`` (and
    rows weighted by origin: ``weight``)."""
    oof, origin = saved["oof"], saved["origin"]
    folds = saved["folds"]
    weights = [(weight or {}).get(o, 1.0) for o in origin]
    n = len(oof.judged)
    abstain = np.zeros(n, dtype=bool)
    right = np.zeros(n, dtype=bool)
    confidence = np.zeros(n)
    conflict = np.zeros(n, dtype=bool)
    kept = dict(training.CONFIDENCE_PARAMS)
    training.CONFIDENCE_PARAMS.clear()
    training.CONFIDENCE_PARAMS.update(params)
    try:
        for k in range(folds):
            model = _fold_model(oof, k, saved["groups"], folds, saved["seed"], weights=weights)
            for j in oof.judged:
                if oof.fold[j.question] != k:
                    continue
                c = model.confidence(j.features) if j.features.any() else 0.0
                confidence[j.question] = c
                conflict[j.question] = bool(j.conflict)
                abstain[j.question] = bool(j.conflict) or c < model.threshold
                right[j.question] = not abstain[j.question] and j.right_with(model.second_margin)
    finally:
        training.CONFIDENCE_PARAMS.clear()
        training.CONFIDENCE_PARAMS.update(kept)
    names = np.array(origin)
    answerable = names == "answerable"
    # One threshold that turns away 5% of the answerable rows (checks included).
    scores = np.where(conflict, -1.0, confidence)
    at5 = float(np.sort(scores[answerable])[int(0.05 * answerable.sum())])
    out: dict[str, Any] = {"threshold_at_5%": round(at5, 4)}
    for name in dict.fromkeys(origin):
        mask = names == name
        row = {"n": int(mask.sum()), "abstain": round(float(abstain[mask].mean()), 3)}
        row["abstain_at_5%"] = round(float((scores[mask] < at5).mean()), 3)
        if name == "answerable":
            row["right"] = round(float(right[mask].mean()), 3)
        out[name] = row
    kinds = {}
    if _KINDS.exists():
        kinds = {
            (r := json.loads(line))["id"]: r["kind"]
            for line in _KINDS.read_text(encoding="utf-8").splitlines()
            if line.strip()
        }
    by: dict[str, list[int]] = collections.defaultdict(list)
    for i, qid in enumerate(saved["ids"]):
        if qid:
            by[kinds.get(qid, "?")].append(i)
    out["generated by kind"] = {
        kind: {
            "n": len(rows),
            "abstain": round(float(abstain[rows].mean()), 3),
            "abstain_at_5%": round(float((scores[rows] < at5).mean()), 3),
        }
        for kind, rows in sorted(by.items(), key=lambda kv: -len(kv[1]))
    }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("readings", type=Path)
    parser.add_argument("--variant", action="append", default=None)
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a LightGBM parameter of the variants (VALUE read as JSON); repeatable",
    )
    parser.add_argument(
        "--weight",
        action="append",
        default=[],
        metavar="ORIGIN=W",
        help="weigh the confidence model's rows of this origin ('generated near miss', "
        "'held-out', ...) by W; repeatable",
    )
    parser.add_argument(
        "--no-origin-weights",
        action="store_true",
        help="every row weighs 1 (default: training.ORIGIN_WEIGHTS, then --weight)",
    )
    args = parser.parse_args()
    with args.readings.open("rb") as fh:
        saved = pickle.load(fh)  # noqa: S301 - a file this project's command wrote
    extra = {k: json.loads(v) for k, v in (item.split("=", 1) for item in args.set)}
    weight = {} if args.no_origin_weights else dict(training.ORIGIN_WEIGHTS)
    weight.update({k: float(v) for k, v in (item.rsplit("=", 1) for item in args.weight)})
    for name in args.variant or ["shipped", "unconstrained", "monotone"]:
        label = name + "".join(f" {k}={v}" for k, v in {**extra, **weight}.items())
        label = label.replace("generated near miss", "generated").replace("held-out", "held")
        result = evaluate(saved, {**_params(name), **extra}, weight)
        print(label.replace(" ", "_"), json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
