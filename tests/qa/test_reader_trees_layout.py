"""The tree evaluator's layout (row-major values, the missing-value rules decided once
per model) gives the scores of the column-major evaluation it replaced, bit for bit, on
random trees and rows (NaN, zeros, values on the thresholds)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.answering.extractive.trees import TreeEnsemble, _Arrays


def _reference_raw(ens: TreeEnsemble, rows: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The first evaluation: column-major values, every tree stepped level by level (no
    setting aside), LightGBM's decision for every missing type on every split."""
    n = len(rows)
    values = rows.astype(np.float64).T.ravel()
    nan = np.isnan(values)
    at = np.repeat(ens.roots, n)
    row = np.tile(np.arange(n, dtype=np.intp), len(ens.roots))
    column = ens.feature * n
    zero = float(np.float32(1e-35))
    for _ in range(ens.depth):
        where = column[at] + row
        fval, isnan = values[where], nan[where]
        missing = ens.missing[at]
        fval = np.where(isnan & (missing != 2), 0.0, fval)
        default = ((missing == 1) & (np.abs(fval) <= zero)) | ((missing == 2) & isnan)
        at = ens.child[at + np.where(default, ens.default_left[at], fval <= ens.threshold[at])]
    return np.cumsum(ens.value[at].reshape(len(ens.roots), n), axis=0)[-1]


@st.composite
def _ensembles(draw: st.DrawFn) -> TreeEnsemble:
    width = draw(st.integers(1, 6))
    general = draw(st.booleans())
    thresholds = st.sampled_from([-1.0, -1e-36, 0.0, 0.5, 1.0, 2.5])
    num_leaves, split, threshold, decision, left, right, leaf = [], [], [], [], [], [], []
    for _ in range(draw(st.integers(1, 5))):
        leaves = draw(st.integers(1, 9))
        num_leaves.append(leaves)
        # Split leaf 0 of the tree repeatedly at a random open leaf (LightGBM's numbering:
        # inner nodes 0.., leaves ~0..).
        lc: list[int] = []
        rc: list[int] = []
        parent_of = {0: (-1, "")}  # leaf -> (inner node, side)
        for k in range(leaves - 1):
            target = draw(st.integers(0, k))
            node, side = parent_of.get(target, (-1, ""))
            lc.append(~target)
            rc.append(~(k + 1))
            if node >= 0:
                (lc if side == "l" else rc)[node] = k
            parent_of[target] = (k, "l")
            parent_of[k + 1] = (k, "r")
            split.append(draw(st.integers(0, width - 1)))
            threshold.append(draw(thresholds))
            missing_type = draw(st.sampled_from([0, 1, 2])) if general else 0
            decision.append((missing_type << 2) | (2 * draw(st.integers(0, 1))))
        left += lc
        right += rc
        leaf += [draw(st.floats(-3, 3, allow_nan=False)) for _ in range(leaves)]
    arrays = _Arrays(
        num_leaves=np.array(num_leaves, np.int32),
        split_feature=np.array(split, np.int32),
        threshold=np.array(threshold, np.float64),
        decision_type=np.array(decision, np.int32),
        left_child=np.array(left, np.int32),
        right_child=np.array(right, np.int32),
        leaf_value=np.array(leaf, np.float64),
        sigmoid=None,
        num_features=width,
    )
    return TreeEnsemble._assemble(arrays)


@settings(max_examples=200, deadline=None)
@given(_ensembles(), st.data())
def test_scores_are_the_column_major_evaluation_s(ens: TreeEnsemble, data: st.DataObject) -> None:
    cells = st.sampled_from([np.nan, 0.0, -0.0, 1e-36, -1.0, 0.5, 1.0, 2.5, 3.0, -7.0])
    n = data.draw(st.integers(1, 12))
    rows = np.array(
        [[data.draw(cells) for _ in range(ens.num_features)] for _ in range(n)], np.float32
    )
    got = ens.raw(rows)
    assert got.dtype == np.float64
    assert np.array_equal(got, _reference_raw(ens, rows))
    if not ens.general:
        assert not np.any(ens.missing)
