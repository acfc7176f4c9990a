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
    before: Sequence[float],
    after: Sequence[float],
    *,
    resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval for ``mean(after) - mean(before)`` on paired values.

    The same questions are resampled for both runs, so question difficulty cancels out.

    Raises:
        ValueError: when the sequences differ in length, or for bad settings.
    """
    _check(resamples, confidence)
    a = np.asarray(before, dtype=float)
    b = np.asarray(after, dtype=float)
    if a.shape != b.shape:
        raise ValueError("paired values must have the same length")
    if a.size == 0:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, a.size, size=(resamples, a.size))
    return _interval(b[idx].mean(axis=1) - a[idx].mean(axis=1), confidence)


def _check(resamples: int, confidence: float) -> None:
    if resamples < 1:
        raise ValueError("resamples must be at least 1")
    if not 0.0 < confidence < 1.0:
        raise ValueError("confidence must be between 0 and 1")


def _interval(stats: np.ndarray, confidence: float) -> tuple[float, float]:
    alpha = (1.0 - confidence) / 2
    low, high = np.quantile(stats, [alpha, 1.0 - alpha])
    return (float(low), float(high))
