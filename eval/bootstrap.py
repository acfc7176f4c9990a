"""Percentile bootstrap confidence intervals (seeded, reproducible)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["bootstrap_ci", "paired_bootstrap_ci"]


def bootstrap_ci(
    values: Sequence[float],
    *,
    resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval for the mean of ``values``.

    Resamples the values with replacement ``resamples`` times and takes the
    ``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` quantiles of the means.

    Returns:
        ``(low, high)``; ``(nan, nan)`` for no values, ``(v, v)`` for one.

    Raises:
        ValueError: for ``resamples < 1`` or ``confidence`` outside (0, 1).
    """
    _check(resamples, confidence)
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, data.size, size=(resamples, data.size))].mean(axis=1)
    return _interval(means, confidence)


def paired_bootstrap_ci(
    before: Sequence[float | None],
    after: Sequence[float | None],
    *,
    resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval for ``mean(after) - mean(before)`` on paired values.

    The same questions are resampled for both runs, so question difficulty cancels out.
    A value may be missing (None or NaN) on one side, where the metric does not apply to
    that run's answer (the length of an answer one run gave and the other abstained
    on): each side's mean in a resample is then over the values it has there, as each
    run's own mean is, so the interval is for the very difference of the runs' means
    (pairing only the questions with both values would measure another difference, and
    could exclude the one the means show). Resamples in which a side has no value are
    left out.

    Returns:
        ``(low, high)``; ``(nan, nan)`` when a side has no value (in any resample).

    Raises:
        ValueError: when the sequences differ in length, or for bad settings.
    """
    _check(resamples, confidence)
    a = np.array([np.nan if v is None else v for v in before], dtype=float)
    b = np.array([np.nan if v is None else v for v in after], dtype=float)
    if a.shape != b.shape:
        raise ValueError("paired values must have the same length")
    missing_a, missing_b = np.isnan(a), np.isnan(b)
    if a.size == 0 or missing_a.all() or missing_b.all():
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, a.size, size=(resamples, a.size))
    if not (missing_a.any() or missing_b.any()):
        return _interval(b[idx].mean(axis=1) - a[idx].mean(axis=1), confidence)
    diffs = _present_means(b, missing_b, idx) - _present_means(a, missing_a, idx)
    diffs = diffs[~np.isnan(diffs)]
    if diffs.size == 0:
        return (float("nan"), float("nan"))
    return _interval(diffs, confidence)


def _present_means(values: np.ndarray, missing: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Per resample (row of ``idx``), the mean of the values present; NaN where none is."""
    counts = (~missing)[idx].sum(axis=1)
    sums = np.where(missing, 0.0, values)[idx].sum(axis=1)
    means = np.full(len(idx), np.nan)
    np.divide(sums, counts, out=means, where=counts > 0)
    return means


def _check(resamples: int, confidence: float) -> None:
    if resamples < 1:
        raise ValueError("resamples must be at least 1")
    if not 0.0 < confidence < 1.0:
        raise ValueError("confidence must be between 0 and 1")


def _interval(stats: np.ndarray, confidence: float) -> tuple[float, float]:
    alpha = (1.0 - confidence) / 2
    low, high = np.quantile(stats, [alpha, 1.0 - alpha])
    return (float(low), float(high))
