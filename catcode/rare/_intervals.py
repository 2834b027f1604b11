"""Confidence bounds used by the rare-event estimator."""

from __future__ import annotations

import numpy as np
from scipy import stats


def clopper_pearson(failures: np.ndarray, shots: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact two-sided binomial bounds (Clopper & Pearson, Biometrika 26, 404 (1934)) at level 1 - alpha.

    >>> lo, hi = clopper_pearson(np.array([0]), np.array([1000]), 0.05)
    >>> float(lo[0]), round(float(hi[0]), 5)
    (0.0, 0.00368)
    """
    k = np.asarray(failures, dtype=np.float64)
    n = np.asarray(shots, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        lo = np.where(k > 0, stats.beta.ppf(alpha / 2, k, n - k + 1), 0.0)
        hi = np.where(k < n, stats.beta.ppf(1 - alpha / 2, k + 1, n - k), 1.0)
    lo = np.where(n > 0, lo, 0.0)
    hi = np.where(n > 0, hi, 1.0)
    return np.nan_to_num(lo, nan=0.0), np.nan_to_num(hi, nan=1.0)


def t_quantile(prob: float, dof: int) -> float:
    """Student-t quantile (for jackknife intervals over independent chain groups)."""
    return float(stats.t.ppf(prob, dof))
