"""LightGBM tree ensembles evaluated with numpy alone.

The reader's three models are LightGBM boosters kept in LightGBM's own text format
(:mod:`.model`). Serving them needs no LightGBM: :class:`TreeEnsemble` reads that text
into flat arrays once and evaluates every tree of the ensemble for every row of a
question at once, with LightGBM's rules, so its scores are LightGBM's (the same splits,
the same missing-value handling, the trees summed in LightGBM's order, in double
precision). Importing LightGBM costs about 1.5 s (it imports scikit-learn, SciPy and
pandas); reading the shipped models here takes a few milliseconds and scoring one
question's rows well under one.

What the reader's training never makes is refused rather than guessed: categorical
splits, linear trees and multiclass models raise :class:`ValueError`.
"""

from __future__ import annotations

import base64
import binascii
import math
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["TreeEnsemble", "compile_lightgbm_text"]

# LightGBM's decision_type bits (include/LightGBM/tree.h).
_CATEGORICAL_MASK = 1
_DEFAULT_LEFT_MASK = 2
_MISSING_NONE, _MISSING_ZERO, _MISSING_NAN = 0, 1, 2
# kZeroThreshold (1e-35f), as the double LightGBM compares with.
_ZERO = float(np.float32(1e-35))
# Objectives whose prediction is the raw score.
_RAW_OBJECTIVES = frozenset({"lambdarank", "rank_xendcg", "regression", "regression_l1", "huber"})
# Levels stepped before the first setting aside of finished pairs, and between two.
_FIRST_SET_ASIDE, _SET_ASIDE_EVERY = 3, 3


@dataclass(frozen=True, slots=True, eq=False)
class TreeEnsemble:
    """A LightGBM model's trees as flat arrays over all their nodes.

    Every node ``i`` of every tree has two slots, ``2 * i`` and ``2 * i + 1``: a row at
    node ``i`` stands on slot ``2 * i``, adds 1 when it goes left, and :attr:`child`
    of that slot is the next node's first slot. Leaves are nodes whose children are
    themselves, so rows that reached a leaf can take further steps unchanged.

    Attributes:
        roots: the first slot of each tree's root, in the model's order.
        feature: per slot, the feature its node splits on (0 for leaves).
        threshold: per slot, the split threshold (+inf for leaves).
        child: per slot, the first slot of the node reached from it.
        inner: per slot, whether its node splits (False for leaves).
        default_left: per slot, whether a missing value goes left.
        missing: per slot, LightGBM's missing type (0 none, 1 zero, 2 NaN).
        value: per slot, the leaf's output (0 for inner nodes).
        depth: the most splits from a root to a leaf.
        sigmoid: for a binary model, the sigmoid's slope (its output is a
            probability); None for raw scores (rankers, regression).
        num_features: the row width the model was trained on.
        general: whether some split has a missing-value rule (zero or NaN); without
            one a missing value reads as 0 and every split is a plain comparison.
    """

    roots: npt.NDArray[np.intp]
    feature: npt.NDArray[np.intp]
    threshold: npt.NDArray[np.float64]
    child: npt.NDArray[np.intp]
    inner: npt.NDArray[np.bool_]
    default_left: npt.NDArray[np.bool_]
    missing: npt.NDArray[np.int8]
    value: npt.NDArray[np.float64]
    depth: int
    sigmoid: float | None
    num_features: int
    general: bool

    @classmethod
    def from_lightgbm_text(cls, text: str) -> TreeEnsemble:
        """Read a model in LightGBM's text format (``Booster.model_to_string()``).

        Raises:
            ValueError: when the text is not such a model, or holds what this evaluator
                does not implement (categorical splits, linear trees, several classes).
        """
        return cls._assemble(_Arrays.from_lightgbm_text(text))

    @classmethod
    def from_compiled(cls, compiled: Mapping[str, Any], text: str | None = None) -> TreeEnsemble:
        """The ensemble from :func:`compile_lightgbm_text`'s arrays (no text to parse).

        Args:
            compiled: what :func:`compile_lightgbm_text` returned (as stored in JSON).
            text: the LightGBM text it was compiled from: when given and it is not the
                one compiled (its checksum differs), the text is parsed instead.

        Raises:
            ValueError: when ``compiled`` is not such arrays (and no text is given).
        """
        if text is not None and compiled.get("source_crc32") != _crc32(text):
            return cls.from_lightgbm_text(text)
        return cls._assemble(_Arrays.from_compiled(compiled))

    @classmethod
    def _assemble(cls, arrays: _Arrays) -> TreeEnsemble:
        leaves = arrays.num_leaves.astype(np.intp)
        inner = leaves - 1
        # Node numbering: each tree's inner nodes (LightGBM's 0, 1, ...), then its leaves
        # (LightGBM's ~0, ~1, ...), from the tree's offset.
        size = leaves + inner
        offset = np.concatenate(([0], np.cumsum(size)[:-1])).astype(np.intp)
        total = int(size.sum())
        in_tree = np.arange(total) - np.repeat(offset, size)
        is_inner = in_tree < np.repeat(inner, size)
        inner_at, leaf_at = np.flatnonzero(is_inner), np.flatnonzero(~is_inner)
        base = np.repeat(offset, inner)
        first_leaf = base + np.repeat(inner, inner)
        lc = arrays.left_child.astype(np.intp)
        rc = arrays.right_child.astype(np.intp)
        feature = np.zeros(total, np.intp)
        threshold = np.full(total, np.inf)
        left = np.empty(total, np.intp)
        right = np.empty(total, np.intp)
        decision = np.zeros(total, np.intp)
        value = np.zeros(total)
        feature[inner_at] = arrays.split_feature
        threshold[inner_at] = arrays.threshold
        left[inner_at] = np.where(lc >= 0, base + lc, first_leaf + ~lc)
        right[inner_at] = np.where(rc >= 0, base + rc, first_leaf + ~rc)
        left[leaf_at] = right[leaf_at] = leaf_at
        decision[inner_at] = arrays.decision_type
        value[leaf_at] = arrays.leaf_value
        child = np.empty(2 * total, dtype=np.intp)
        child[0::2] = 2 * right
        child[1::2] = 2 * left
        missing = ((decision >> 2) & 3).astype(np.int8)
        return cls(
            roots=2 * offset,
            feature=np.repeat(feature, 2),
            threshold=np.repeat(threshold, 2),
            child=child,
            inner=np.repeat(is_inner, 2),
            default_left=np.repeat((decision & _DEFAULT_LEFT_MASK) != 0, 2),
            missing=np.repeat(missing, 2),
            value=np.repeat(value, 2),
            depth=_depth(offset, left, right, is_inner),
            sigmoid=arrays.sigmoid,
            num_features=arrays.num_features,
            general=bool(np.any(missing[inner_at] != _MISSING_NONE)),
        )

    @property
    def num_trees(self) -> int:
        """How many trees the model sums."""
        return len(self.roots)

    def raw(self, x: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """The sum of the trees' outputs for each row of ``x`` (LightGBM's raw score).

        Raises:
            ValueError: when ``x`` is not a matrix of the model's row width.
        """
        rows = np.asarray(x)
        if rows.ndim != 2 or rows.shape[1] != self.num_features:
            raise ValueError(
                f"expected rows of {self.num_features} features, got shape {rows.shape}"
            )
        n = len(rows)
        if n == 0:
            return np.empty(0, dtype=np.float64)
        # LightGBM reads float32 features as doubles and compares them with double
        # thresholds. Row-major (a copy): the value of feature f in row r is at r * width
        # + f, and each pair keeps its row's start (``base``).
        width = self.num_features
        values = rows.astype(np.float64, order="C").ravel()
        nan = np.isnan(values)
        general = self.general
        if not general:
            values[nan] = 0.0  # missing type "none": NaN reads as 0
        trees = len(self.roots)
        at = np.repeat(self.roots, n)  # tree-major: (tree, row) pair k = tree * n + row
        base = np.tile(np.arange(0, n * width, width, dtype=np.intp), trees)
        # Pairs that reached a leaf are set aside from time to time (every few levels:
        # each time costs about one level's work) so deep trees step only live rows.
        slots: npt.NDArray[np.intp] | None = None
        live = np.arange(0)
        for level in range(self.depth):
            if level >= _FIRST_SET_ASIDE and (level - _FIRST_SET_ASIDE) % _SET_ASIDE_EVERY == 0:
                done = ~self.inner[at]
                if slots is None:
                    slots, live = at.copy(), np.arange(len(at))
                else:
                    slots[live[done]] = at[done]
                keep = ~done
                live, at, base = live[keep], at[keep], base[keep]
            where = self.feature[at] + base
            if general:
                at += self._goes_left(at, values[where], nan[where])
            else:
                at += values[where] <= self.threshold[at]
            at = self.child[at]
        if slots is None:
            slots = at
        else:
            slots[live] = at
        leaves = self.value[slots].reshape(trees, n)
        # Summed tree by tree in the model's order, as LightGBM does (a pairwise sum
        # could differ in the last bits).
        return np.cumsum(leaves, axis=0)[-1]

    def _goes_left(
        self,
        at: npt.NDArray[np.intp],
        fval: npt.NDArray[np.float64],
        nan: npt.NDArray[np.bool_],
    ) -> npt.NDArray[np.bool_]:
        """LightGBM's NumericalDecision (include/LightGBM/tree.h), every missing type."""
        missing = self.missing[at]
        fval = np.where(nan & (missing != _MISSING_NAN), 0.0, fval)
        default = ((missing == _MISSING_ZERO) & (np.abs(fval) <= _ZERO)) | (
            (missing == _MISSING_NAN) & nan
        )
        return np.where(default, self.default_left[at], fval <= self.threshold[at])

    def predict(self, x: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """What ``lightgbm.Booster.predict`` returns: the raw score, or for a binary
        model the probability.

        Raises:
            ValueError: when ``x`` is not a matrix of the model's row width.
        """
        raw = self.raw(x)
        if self.sigmoid is None:
            return raw
        # math.exp is the C library's exp, as LightGBM's; numpy's may differ in the
        # last bit.
        s = self.sigmoid
        return np.array([1.0 / (1.0 + math.exp(-s * r)) for r in raw], dtype=np.float64)


def compile_lightgbm_text(text: str) -> dict[str, Any]:
    """A LightGBM text model's trees as arrays, for a JSON file: what
    :meth:`TreeEnsemble.from_compiled` reads without parsing the text (about 1 ms against
    10-30 ms a model).

    Returns:
        ``{"format", "source_crc32", "num_features", "sigmoid", "arrays"}``; ``arrays``
        maps each of LightGBM's per-tree arrays (``num_leaves``; ``split_feature``,
        ``threshold``, ``decision_type``, ``left_child``, ``right_child`` of the inner
        nodes; ``leaf_value``), every tree's concatenated, to base64 of its
        little-endian bytes.

    Raises:
        ValueError: as :meth:`TreeEnsemble.from_lightgbm_text`.
    """
    arrays = _Arrays.from_lightgbm_text(text)
    return {
        "format": _COMPILED_FORMAT,
        "source_crc32": _crc32(text),
        "num_features": arrays.num_features,
        "sigmoid": arrays.sigmoid,
        "arrays": {
            name: base64.b64encode(
                np.ascontiguousarray(getattr(arrays, name), dtype=dtype).tobytes()
            ).decode("ascii")
            for name, dtype in _ARRAY_TYPES.items()
        },
    }


_COMPILED_FORMAT = 1
_ARRAY_TYPES = {
    "num_leaves": "<i4",
    "split_feature": "<i4",
    "threshold": "<f8",
    "decision_type": "<i4",
    "left_child": "<i4",
    "right_child": "<i4",
    "leaf_value": "<f8",
}


def _crc32(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


@dataclass(frozen=True, slots=True)
class _Arrays:
    """LightGBM's own per-tree arrays, every tree's concatenated (inner nodes: split
    arrays; leaves: values), and what the header says."""

    num_leaves: npt.NDArray[np.int32]
    split_feature: npt.NDArray[np.int32]
    threshold: npt.NDArray[np.float64]
    decision_type: npt.NDArray[np.int32]
    left_child: npt.NDArray[np.int32]
    right_child: npt.NDArray[np.int32]
    leaf_value: npt.NDArray[np.float64]
    sigmoid: float | None
    num_features: int

    def __post_init__(self) -> None:
        if not len(self.num_leaves) or np.any(self.num_leaves < 1):
            raise ValueError("the LightGBM model has no trees, or a tree without leaves")
        inner = int(self.num_leaves.sum()) - len(self.num_leaves)
        for name in ("split_feature", "threshold", "decision_type", "left_child"):
            if len(getattr(self, name)) != inner:
                raise ValueError(
                    f"the LightGBM model's trees have {inner} splits, not a {name} each"
                )
        if len(self.right_child) != inner:
            raise ValueError("the LightGBM model's trees have a right_child per split")
        if len(self.leaf_value) != int(self.num_leaves.sum()):
            raise ValueError("the LightGBM model's trees do not have one value per leaf")
        if np.any(self.decision_type & _CATEGORICAL_MASK):
            raise ValueError("the LightGBM model has categorical splits: not supported")
        if inner and not 0 <= int(self.split_feature.min()) <= int(self.split_feature.max()) < (
            self.num_features
        ):
            raise ValueError("the LightGBM model splits on features it does not have")

    @classmethod
    def from_lightgbm_text(cls, text: str) -> _Arrays:
        header, trees = _parse(text)
        if header.get("version") != "v4":
            raise ValueError(f"not a LightGBM v4 text model (version {header.get('version')})")
        if header.get("num_tree_per_iteration", "1") != "1" or header.get("num_class", "1") != "1":
            raise ValueError("multiclass LightGBM models are not supported")
        if "average_output" in header:
            raise ValueError("random-forest (average_output) models are not supported")
        objective = header.get("objective", "").split()
        sigmoid: float | None = None
        if objective and objective[0] == "binary":
            params = dict(p.split(":", 1) for p in objective[1:] if ":" in p)
            sigmoid = float(params.get("sigmoid", "1"))
        elif objective and objective[0] not in _RAW_OBJECTIVES:
            raise ValueError(f"objective {objective[0]} is not supported")
        for i, tree in enumerate(trees):
            if tree.get("num_cat", "0") != "0":
                raise ValueError(f"tree {i} has categorical splits: not supported")
            if tree.get("is_linear", "0") != "0":
                raise ValueError(f"tree {i} is a linear tree: not supported")
        split = [t for t in trees if t.get("num_leaves") != "1"]

        def ints(key: str) -> npt.NDArray[np.int32]:
            return _ints(" ".join(t[key] for t in split)).astype(np.int32)

        def floats(key: str) -> npt.NDArray[np.float64]:
            return _floats(" ".join(t[key] for t in split))

        return cls(
            num_leaves=np.array([int(t["num_leaves"]) for t in trees], dtype=np.int32),
            split_feature=ints("split_feature"),
            threshold=floats("threshold"),
            decision_type=ints("decision_type"),
            left_child=ints("left_child"),
            right_child=ints("right_child"),
            leaf_value=_floats(" ".join(t["leaf_value"] for t in trees)),
            sigmoid=sigmoid,
            num_features=int(header.get("max_feature_idx", "-1")) + 1,
        )

    @classmethod
    def from_compiled(cls, compiled: Mapping[str, Any]) -> _Arrays:
        try:
            if compiled["format"] != _COMPILED_FORMAT:
                raise ValueError(f"compiled trees of format {compiled['format']}")
            arrays = {
                name: np.frombuffer(base64.b64decode(compiled["arrays"][name]), dtype=dtype)
                for name, dtype in _ARRAY_TYPES.items()
            }
            sigmoid = compiled["sigmoid"]
            return cls(
                **arrays,
                sigmoid=None if sigmoid is None else float(sigmoid),
                num_features=int(compiled["num_features"]),
            )
        except (KeyError, TypeError, binascii.Error) as err:
            raise ValueError(f"not compiled LightGBM trees: {err!r}") from err


def _parse(text: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The header's ``key=value`` lines and each tree's."""
    header: dict[str, str] = {}
    trees: list[dict[str, str]] = []
    current = header
    for line in text.splitlines():
        if line == "end of trees":
            break
        key, sep, value = line.partition("=")
        if not sep:
            continue
        if key == "Tree":
            current = {}
            trees.append(current)
        else:
            current[key] = value
    return header, trees


def _floats(text: str) -> npt.NDArray[np.float64]:
    # float() rounds correctly, as LightGBM's own parser does.
    return np.array(list(map(float, text.split())), dtype=np.float64)


def _ints(text: str) -> npt.NDArray[np.intp]:
    return np.array(list(map(int, text.split())), dtype=np.intp)


def _depth(
    roots: npt.NDArray[np.intp],
    left: npt.NDArray[np.intp],
    right: npt.NDArray[np.intp],
    inner: npt.NDArray[np.bool_],
) -> int:
    """The most splits from a root to a leaf, over all trees."""
    depth = 0
    level = roots[inner[roots]]
    while len(level):
        depth += 1
        below = np.concatenate((left[level], right[level]))
        level = below[inner[below]]
    return depth
