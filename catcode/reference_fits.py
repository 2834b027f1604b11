"""Published fits of cat-code logical error rates, to set catcode's own numbers beside them.

Each function evaluates a formula exactly as its authors published or coded it, with the source
in its docstring and in docs/physics.md §8. None of them is used to *generate* noise: they are
reference curves for ``docs/reproductions.md``, the notebooks and the overhead comparison.

>>> round(alice_bob_repetition_logical_error(8, 6.522e-4, 9), 6)
0.001224
>>> le_regent_form(2e-3, 5, a=0.1, p_th=4e-3, c=0.4)
0.09473228540689986
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from catcode.errors import CatcodeError

__all__ = [
    "ALICE_BOB_THRESHOLD_PREFACTOR",
    "LeRegentFit",
    "alice_bob_repetition_logical_error",
    "alice_bob_threshold",
    "fit_le_regent_form",
    "le_regent_form",
]

#: Threshold scale of the Alice & Bob provider's repetition-code fit, x_th(n) = 1.3e-2 / n^0.86.
ALICE_BOB_THRESHOLD_PREFACTOR = 1.3e-2


def alice_bob_threshold(nbar: float) -> float:
    """κ₁/κ₂ at which the provider's fit has its scale: ``1.3e-2 / nbar**0.86`` (docs/physics.md §8).

    A fit parameter of the form below, not a crossing of sampled curves.

    >>> round(alice_bob_threshold(8), 5)
    0.00217
    """
    return ALICE_BOB_THRESHOLD_PREFACTOR / nbar**0.86


def alice_bob_repetition_logical_error(nbar: float, k1_over_k2: float, distance: int) -> float:
    """Logical phase-flip probability of a cat repetition code per d rounds (docs/physics.md §8).

    ``5.6e-2 · d · (nbar^0.86 · κ₁/κ₂ / 1.3e-2)^((d + 1)/2)``: Gouzien et al., arXiv:2302.06639
    (PRL 131, 040602 (2023)), Eq. 3, as coded in Alice & Bob's ``qiskit-alice-bob-provider``
    (``processor/logical_cat.py: _logical_phase_flip_error``), a fit to simulations of the cat–cat
    repetition code under the ``alice_bob`` timing convention (every operation 1/κ₂, five slots per
    round); the error of one correction cycle of d rounds.
    """
    return 5.6e-2 * distance * (nbar**0.86 * k1_over_k2 / ALICE_BOB_THRESHOLD_PREFACTOR) ** ((distance + 1) / 2)


def le_regent_form(x: float, distance: int, *, a: float, p_th: float, c: float) -> float:
    """Le Régent et al.'s scaling form ``a · d · (x / p_th)^(c (d + 1))`` (docs/physics.md §8).

    Le Régent, Berdou, Leghtas, Guillaud & Mirrahimi, Quantum 7, 1198 (2023), fits of their
    repetition cat code simulations (p_th ≈ 2.25–2.35e-3 at n = 8).
    """
    return a * distance * (x / p_th) ** (c * (distance + 1))


@dataclass(frozen=True)
class LeRegentFit:
    """Weighted least-squares fit of :func:`le_regent_form` in log space.

    ``p_th_err`` and ``c_err`` are 1σ errors from the covariance, inflated by χ²/dof when it
    exceeds 1. ``p_th`` is a fit parameter, not the crossing of sampled curves.
    """

    a: float
    p_th: float
    p_th_err: float
    c: float
    c_err: float
    chi2: float
    dof: int

    def __post_init__(self) -> None:
        if not (self.a > 0 and self.p_th > 0 and self.p_th_err >= 0 and self.c_err >= 0 and self.dof >= 1):
            raise CatcodeError(f"inconsistent LeRegentFit {self}")


def fit_le_regent_form(points: Sequence[tuple[float, int, int, int]]) -> LeRegentFit:
    """Fit :func:`le_regent_form` to ``(x, d, errors, shots)`` points (per d rounds).

    Linear in (ln a, c, c·ln p_th): ln p − ln d = ln a + c (d+1) ln x − c (d+1) ln p_th is not
    linear in ln p_th alone, so the fit solves for (ln a, c, b = c ln p_th) with weights from each
    point's binomial error, then ``p_th = exp(b / c)``.

    >>> pts = [(x, d, round(1e6 * le_regent_form(x, d, a=0.1, p_th=4e-3, c=0.4)), 1_000_000)
    ...        for x in (5e-4, 1e-3, 2e-3) for d in (3, 5, 7)]
    >>> fit = fit_le_regent_form(pts)
    >>> round(fit.p_th, 4), round(fit.c, 2)
    (0.004, 0.4)
    """
    rows = [(x, d, e, n) for x, d, e, n in points if e > 0 and n > e]
    if len(rows) < 4:
        raise CatcodeError(f"fit_le_regent_form needs at least 4 points with 0 < errors < shots; got {len(rows)}")
    x, d, e, n = (np.asarray(v, dtype=float) for v in zip(*rows))
    p = e / n
    sigma_ln = np.sqrt((1 - p) / e)
    h = d + 1
    design = np.column_stack([np.ones_like(x), h * np.log(x), -h])
    y = np.log(p) - np.log(d)
    w = 1 / sigma_ln
    coef, *_ = np.linalg.lstsq(design * w[:, None], y * w, rcond=None)
    resid = (y - design @ coef) * w
    dof = len(y) - 3
    chi2 = float(resid @ resid)
    u, s, vt = np.linalg.svd(design * w[:, None], full_matrices=False)
    if s.min() <= s.max() * 1e-12:
        raise CatcodeError("cannot fit the Le Régent form: the points do not determine (a, c, p_th) (one distance or one x?)")
    cov = (vt.T / s**2) @ vt * max(1.0, chi2 / max(dof, 1))
    ln_a, c, b = coef
    if c <= 0:
        raise CatcodeError(f"cannot fit the Le Régent form: fitted exponent c = {c:.3g} <= 0 (points above threshold?)")
    ln_pth = b / c
    grad = np.array([0.0, -b / c**2, 1 / c])  # d ln p_th / d (ln a, c, b)
    p_th = math.exp(ln_pth)
    return LeRegentFit(
        a=math.exp(ln_a), p_th=p_th, p_th_err=p_th * math.sqrt(float(grad @ cov @ grad)),
        c=float(c), c_err=math.sqrt(float(cov[1, 1])), chi2=chi2, dof=max(dof, 1),
    )
