"""Fits of logical error against distance (and nbar) with stated uncertainties."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence

import numpy as np

from catcode.errors import CatcodeError
from catcode.overhead.architectures import rectangular_qubits, repetition_qubits, surface_qubits
from catcode.overhead.rates import Estimate, _mean_of
from catcode.overhead.search import Candidate

# =============================================================================================
# Fits
# =============================================================================================


@dataclasses.dataclass(frozen=True)
class LinearFit:
    """Weighted least-squares fit ``y = sum_k coef_k * feature_k`` with ``y = ln eps`` (``log``) or ``eps``.

    ``covariance`` is that of ``coef``; scaled by chi^2/dof when that exceeds 1 (the points scatter
    more than their bands explain). ``features`` name the columns, e.g. ``("1", "h")`` with
    ``h = (d + 1) / 2``.
    """

    features: tuple[str, ...]
    coef: tuple[float, ...]
    covariance: tuple[tuple[float, ...], ...]
    chi2: float
    dof: int
    num_points: int
    log: bool = True

    def predict_mean(self, row: Sequence[float]) -> tuple[float, float]:
        """Mean and standard error of ``y`` at the feature values ``row``."""
        x = np.asarray(row, dtype=float)
        mean = float(x @ np.asarray(self.coef))
        var = float(x @ np.asarray(self.covariance) @ x)
        return mean, math.sqrt(max(var, 0.0))

    def predict(self, row: Sequence[float], z: float) -> Estimate:
        """The fitted rate at ``row`` with its band ``mean +- z sigma`` (in log space when ``log``)."""
        mean, sigma = self.predict_mean(row)
        if self.log:
            return Estimate(math.exp(mean), math.exp(mean - z * sigma), math.exp(mean + z * sigma), "fit")
        return Estimate(max(mean, 0.0), max(mean - z * sigma, 0.0), max(mean + z * sigma, 0.0), "fit")

    def error(self, k: int) -> float:
        """One-standard-deviation error of ``coef[k]``."""
        return math.sqrt(max(self.covariance[k][k], 0.0))


def fit_linear(
    rows: Sequence[Sequence[float]], estimates: Sequence[Estimate], *, z: float, features: Sequence[str], log: bool = True,
) -> LinearFit:
    """Weighted least squares of ``ln best`` (``log=True``) or ``best`` on the feature ``rows``.

    Weights are ``1 / sigma^2`` with ``sigma`` the half-width of each estimate's band divided by
    ``z`` (in log space, or in linear space when ``log=False``), floored at :data:`MIN_SIGMA_LN`
    relative error. A design that does not determine the coefficients raises "cannot fit: ...".

    >>> est = [Estimate(10.0 ** -k, 10.0 ** -k / 2, 10.0 ** -k * 2, "fit") for k in (2, 3, 4)]
    >>> fit = fit_linear([(1, 2), (1, 3), (1, 4)], est, z=1.0, features=("1", "h"))
    >>> round(math.exp(-fit.coef[1]), 6)  # each step of h divides the rate by 10
    10.0
    """
    n, k = len(rows), len(features)
    if n < k:
        raise CatcodeError(f"a fit with {k} parameters needs >= {k} resolved points; got {n}")
    design = np.asarray(rows, dtype=float)
    if log:
        y = np.array([math.log(e.best) for e in estimates])
        sigma = np.array([max(e.sigma_ln(z), MIN_SIGMA_LN) for e in estimates])
    else:
        y = np.array([e.best for e in estimates])
        sigma = np.array([max((e.high - e.low) / (2.0 * z), MIN_SIGMA_LN * e.best, 1e-300) for e in estimates])
    a = design / sigma[:, None]
    b = y / sigma
    # Singular values instead of an inverse: a design that does not determine every coefficient
    # (one distance, collinear features) is refused by name, never inverted.
    _, sv, vt = np.linalg.svd(a, full_matrices=False)
    if len(sv) < k or not sv[-1] > sv[0] * 1e-10:
        raise CatcodeError(
            f"cannot fit the rate on {', '.join(features)}: the {n} point(s) do not determine {k} coefficients "
            f"(singular design; e.g. a single distance or collinear points)"
        )
    coef, *_ = np.linalg.lstsq(a, b, rcond=None)
    cov = (vt.T / sv**2) @ vt
    resid = a @ coef - b
    chi2 = float(resid @ resid)
    dof = n - k
    if dof > 0 and chi2 / dof > 1.0:
        cov = cov * (chi2 / dof)
    return LinearFit(
        tuple(features), tuple(float(c) for c in coef), tuple(tuple(float(v) for v in r) for r in cov), chi2, dof, n, log,
    )


#: Smallest relative standard error a point may claim in a fit (1 %). Rare-event estimates can
#: return zero-width bands (e.g. an exhaustive fault enumeration); such a point would otherwise get
#: an infinite weight and make the normal equations singular (issue 13, item 1).
MIN_SIGMA_LN = 0.01


def _h(d: int) -> float:
    return (d + 1) / 2.0


@dataclasses.dataclass(frozen=True)
class RepetitionModel:
    """Fits of the cat repetition code's X (phase) and Z (bit) memories over (d, nbar).

    * ``phase[nbar]``: ``ln eps_X = a + b h``, ``h = (d + 1)/2``; Λ = e^{-b} (Fowler et al., PRA 86,
      032324 (2012)).
    * ``bit[nbar]``: ``eps_Z = u + v d`` (linear space): at leading order every fault location that
      bit-flips a data cat is a logical bit flip (docs/physics.md §5), and their number is affine in d
      (d idling cats, 2(d - 1) CX). With a single resolved distance, or a fitted slope v < 0 (the
      data cannot tell), ``eps_Z = v d`` through the points.
    * ``bit_global``: ``ln eps_Z = ln A + beta ln d - gamma nbar`` over every resolved point, the
      bit-flip law of docs/physics.md §2 (``A``, ``beta``, ``gamma`` reported); it predicts the bit part
      at an nbar without resolved bit-flip points.
    * ``excluded``: nbar values left out of the search, with the reason.
    """

    phase: Mapping[float, LinearFit]
    bit: Mapping[float, LinearFit]
    bit_global: LinearFit | None
    excluded: Mapping[float, str]
    z: float

    @property
    def nbars(self) -> tuple[float, ...]:
        return tuple(sorted(n for n in self.phase if n in self.bit or self.bit_global is not None))

    def phase_rate(self, d: int, nbar: float) -> Estimate:
        return self.phase[nbar].predict((1.0, _h(d)), self.z)

    def bit_rate(self, d: int, nbar: float) -> Estimate:
        fit = self.bit.get(nbar)
        if fit is not None:
            return fit.predict((1.0, float(d)) if fit.features == ("1", "d") else (float(d),), self.z)
        if self.bit_global is None:
            raise CatcodeError(f"no bit-flip model at nbar={nbar:g}")
        return self.bit_global.predict((1.0, math.log(d), nbar), self.z)

    def lambda_factor(self, nbar: float) -> float:
        """Phase-flip suppression factor Λ = eps_X(d) / eps_X(d + 2) of the fit at ``nbar``."""
        return math.exp(-self.phase[nbar].coef[1])

    def bit_law(self) -> str:
        """The global bit-flip fit as text: ``eps_Z = A d^beta e^{-gamma nbar}`` with 1-sigma errors."""
        g = self.bit_global
        if g is None:
            return "bit-flip law: not fitted (needs resolved points at >= 2 distances and >= 2 nbar)"
        a, beta, gamma = math.exp(g.coef[0]), g.coef[1], -g.coef[2]
        return (f"bit-flip law eps_Z = A d^beta exp(-gamma nbar): A = {a:.3g} (x/÷ {math.exp(g.error(0)):.3g}), "
                f"beta = {beta:.3g} ± {g.error(1):.2g}, gamma = {gamma:.3g} ± {g.error(2):.2g} "
                f"(chi2/dof = {g.chi2:.1f}/{g.dof})")

    @classmethod
    def from_points(cls, points: Mapping[tuple[int, float, str], Estimate], *, z: float) -> RepetitionModel:
        """Fit the models to the points keyed by ``(d, nbar, basis)`` (unresolved points are skipped)."""
        nbars = sorted({n for (_, n, _) in points})
        phase: dict[float, LinearFit] = {}
        bit: dict[float, LinearFit] = {}
        excluded: dict[float, str] = {}
        glob_rows, glob_est = [], []
        for n in nbars:
            xs = [(d, e) for (d, nn, b), e in sorted(points.items()) if nn == n and b == "X" and e.resolved]
            zs = [(d, e) for (d, nn, b), e in sorted(points.items()) if nn == n and b == "Z" and e.resolved]
            if len({d for d, _ in xs}) >= 2:
                try:
                    phase[n] = fit_linear([(1.0, _h(d)) for d, _ in xs], [e for _, e in xs], z=z, features=("1", "h"))
                except CatcodeError as exc:
                    excluded[n] = str(exc)
            else:
                excluded[n] = f"phase flips resolved at {len(xs)} distance(s); the fit in d needs 2"
            fit = None
            if len({d for d, _ in zs}) >= 2:
                fit = fit_linear([(1.0, float(d)) for d, _ in zs], [e for _, e in zs], z=z, features=("1", "d"), log=False)
                if fit.coef[1] < 0:
                    fit = None
            if fit is None and zs:
                fit = fit_linear([(float(d),) for d, _ in zs], [e for _, e in zs], z=z, features=("d",), log=False)
            if fit is not None:
                bit[n] = fit
            glob_rows += [(1.0, math.log(d), n) for d, _ in zs]
            glob_est += [e for _, e in zs]
        bit_global = None
        if len(glob_rows) >= 4 and len({r[1] for r in glob_rows}) >= 2 and len({r[2] for r in glob_rows}) >= 2:
            try:
                bit_global = fit_linear(glob_rows, glob_est, z=z, features=("1", "ln_d", "nbar"))
            except CatcodeError:
                bit_global = None  # reported by bit_law() as "not fitted"
        for n in nbars:
            if n in phase and n not in bit and bit_global is None:
                excluded[n] = "no resolved bit-flip points and no global bit-flip fit"
        return cls(phase, bit, bit_global, excluded, z)

    def candidates(self, d_max: int, *, logical: int = 1, **_: object) -> list[Candidate]:
        """Every (odd d in [3, d_max], nbar) with its predicted phase, bit and total rates (``logical`` patches)."""
        out = []
        for n in self.nbars:
            for d in range(3, d_max + 1, 2):
                ph, bt = self.phase_rate(d, n), self.bit_rate(d, n)
                out.append(Candidate(d, n, logical * repetition_qubits(d), ph, bt, _mean_of(ph, bt)))
        return out

    def describe(self) -> list[str]:
        """The fits as report lines."""
        lines = [f"cat repetition nbar={n:g}: phase-flip Λ = {self.lambda_factor(n):.3g} (ln-slope ± "
                 f"{self.phase[n].error(1):.2g}, chi2/dof = {self.phase[n].chi2:.1f}/{self.phase[n].dof})" for n in self.nbars]
        return lines + [self.bit_law()]


@dataclasses.dataclass(frozen=True)
class SurfaceModel:
    """Fits ``ln eps = a + b (d + 1)/2`` of the surface code's X and Z memories at the given noise."""

    x: LinearFit
    z_fit: LinearFit
    z: float

    def rates(self, d: int) -> tuple[Estimate, Estimate]:
        return self.x.predict((1.0, _h(d)), self.z), self.z_fit.predict((1.0, _h(d)), self.z)

    def lambda_factors(self) -> tuple[float, float]:
        """Suppression factors Λ of the X and Z memories."""
        return math.exp(-self.x.coef[1]), math.exp(-self.z_fit.coef[1])

    @classmethod
    def from_points(cls, points: Mapping[tuple[int, str], Estimate], *, z: float) -> SurfaceModel:
        fits = {}
        for basis in "XZ":
            pts = [(d, e) for (d, b), e in points.items() if b == basis and e.resolved]
            if len({d for d, _ in pts}) < 2:
                raise CatcodeError(
                    f"the surface-code fit needs {basis}-memory errors at >= 2 distances; resolved at "
                    f"{sorted(d for d, _ in pts)}. Raise --max_shots, add smaller --surface_distances or enable the rare estimator"
                )
            fits[basis] = fit_linear([(1.0, _h(d)) for d, _ in pts], [e for _, e in pts], z=z, features=("1", "h"))
        return cls(fits["X"], fits["Z"], z)

    def candidates(self, d_max: int, *, logical: int = 1, **_: object) -> list[Candidate]:
        """Every odd d in [3, d_max] with its predicted rates (``logical`` patches)."""
        out = []
        for d in range(3, d_max + 1, 2):
            x, zz = self.rates(d)
            out.append(Candidate(d, None, logical * surface_qubits(d), x, zz, _mean_of(x, zz)))
        return out

    def describe(self) -> list[str]:
        lx, lz = self.lambda_factors()
        return [f"surface: Λ_X = {lx:.3g}, Λ_Z = {lz:.3g}"]



def _faults(d: int) -> int:
    """Faults that defeat distance ``d`` at leading order: ``ceil(d / 2)`` (``(d + 1)/2`` for odd d)."""
    return (d + 1) // 2


#: Largest bit distance the rectangular search tries unless told (bit flips are rare: small values suffice).
DEFAULT_BIT_D_MAX = 15


@dataclasses.dataclass(frozen=True)
class RectangularModel:
    """Fits of the rectangular surface code of cats (``d`` phase distance, ``bit_d`` bit distance) per nbar.

    * ``phase[nbar]``: ``ln(eps_X / bit_d) = a + b ceil(d/2)``. The X memory fails on a chain of
      phase flips across the ``d`` direction; there are ``bit_d`` such rows, so at leading order
      (union bound) the rate is ``bit_d`` times a repetition-code-like rate that falls exponentially
      with ``ceil(d/2)`` faults (Fowler et al., PRA 86, 032324 (2012); Chamberland et al., PRX
      Quantum 3, 010329 (2022), Sec. III for the thin patch).
    * ``bit[nbar]``: ``ln(eps_Z / d) = a' + b' ceil(bit_d/2)``, the same statement for bit flips
      with the roles of the distances exchanged: this is what removes the repetition code's floor
      (``bit_d = 1``: every bit flip of a data cat is logical).
    * ``bit_global``: ``ln(eps_Z / d) = c0 + c1 k + c2 k nbar`` with ``k = ceil(bit_d/2)`` over every
      usable Z point: each of the ``k`` bit flips a logical bit flip needs costs a factor
      ``B e^{-gamma nbar}`` (bit flips fall exponentially in nbar, docs/physics.md §2; Guillaud &
      Mirrahimi, PRX 9, 041053 (2019)). It predicts the bit part at an nbar whose own fit is
      missing: at large nbar a bit distance of 3 or more is far below sampling reach, and the
      rare-event estimator's bound there is loose (its limit (ii)), so the law measured where
      bit flips are frequent (small nbar) carries it, an extrapolation the report states.
    * ``bit_d_min``: the smallest sampled bit distance (the search does not extrapolate below it).

    Points whose band spans more than :data:`~catcode.overhead.architectures.CHECK_MAX_BAND_RATIO`
    are left out of every fit (they cannot pin a line).
    """

    phase: Mapping[float, LinearFit]
    bit: Mapping[float, LinearFit]
    excluded: Mapping[float, str]
    z: float
    bit_d_min: int = 2
    bit_global: LinearFit | None = None

    @property
    def nbars(self) -> tuple[float, ...]:
        return tuple(sorted(n for n in self.phase if n in self.bit or self.bit_global is not None))

    def phase_rate(self, d: int, bit_d: int, nbar: float) -> Estimate:
        e = self.phase[nbar].predict((1.0, float(_faults(d))), self.z)
        return Estimate(e.best * bit_d, e.low * bit_d, e.high * bit_d, "fit")

    def bit_rate(self, d: int, bit_d: int, nbar: float) -> Estimate:
        k = float(_faults(bit_d))
        fit = self.bit.get(nbar)
        if fit is None and self.bit_global is None:
            raise CatcodeError(f"no bit-flip model of the rectangular code at nbar={nbar:g}")
        e = fit.predict((1.0, k), self.z) if fit is not None else self.bit_global.predict((1.0, k, k * nbar), self.z)
        return Estimate(e.best * d, e.low * d, e.high * d, "fit")

    @classmethod
    def from_points(cls, points: Mapping[tuple[int, int, float, str], Estimate], *, z: float) -> RectangularModel:
        """Fit the points keyed ``(d, bit_d, nbar, basis)`` (unresolved points are skipped).

        >>> pts = {(d, b, 2.0, "X"): Estimate(b * 0.1 ** ((d + 1) // 2), 0.0, 1.0, "fit") for d in (3, 5) for b in (2,)}
        >>> pts |= {(3, b, 2.0, "Z"): Estimate(3 * 0.01 ** ((b + 1) // 2), 0.0, 1.0, "fit") for b in (2, 3)}
        >>> pts = {k: Estimate(e.best, e.best / 2, e.best * 2, "fit") for k, e in pts.items()}
        >>> m = RectangularModel.from_points(pts, z=1.0)
        >>> round(m.bit_rate(5, 5, 2.0).best / 5e-6, 6), round(m.phase_rate(7, 3, 2.0).best / 3e-4, 6)
        (1.0, 1.0)
        """
        from catcode.overhead.architectures import CHECK_MAX_BAND_RATIO

        nbars = sorted({k[2] for k in points})
        phase: dict[float, LinearFit] = {}
        bit: dict[float, LinearFit] = {}
        excluded: dict[float, str] = {}
        usable = {k: e for k, e in points.items() if e.resolved and e.high <= CHECK_MAX_BAND_RATIO * e.low}
        for n in nbars:
            for basis, store, own, other, what in (("X", phase, 0, 1, "phase"), ("Z", bit, 1, 0, "bit")):
                pts = [(k, e) for k, e in sorted(usable.items()) if k[2] == n and k[3] == basis]
                if len({k[own] for k, _ in pts}) < 2:
                    excluded[n] = f"{what} flips resolved at {len(pts)} point(s) of distinct {'d' if own == 0 else 'bit_d'}; the fit needs 2"
                    continue
                ests = [Estimate(e.best / k[other], e.low / k[other], e.high / k[other], e.source) for k, e in pts]
                try:
                    store[n] = fit_linear([(1.0, float(_faults(k[own]))) for k, _ in pts], ests, z=z, features=("1", "faults"))
                except CatcodeError as exc:
                    excluded[n] = str(exc)
        zs = [(k, e) for k, e in sorted(usable.items()) if k[3] == "Z"]
        bit_global = None
        if len(zs) >= 3 and len({_faults(k[1]) for k, _ in zs}) >= 2 and len({k[2] for k, _ in zs}) >= 2:
            rows = [(1.0, float(_faults(k[1])), _faults(k[1]) * k[2]) for k, _ in zs]
            ests = [Estimate(e.best / k[0], e.low / k[0], e.high / k[0], e.source) for k, e in zs]
            try:
                bit_global = fit_linear(rows, ests, z=z, features=("1", "faults", "faults_nbar"))
            except CatcodeError:
                bit_global = None
        if bit_global is not None:
            excluded = {n: why for n, why in excluded.items() if n not in phase or not why.startswith("bit")}
        bit_ds = [k[1] for k in points]
        return cls(phase, bit, excluded, z, min(bit_ds) if bit_ds else 2, bit_global)

    def candidates(self, d_max: int, *, logical: int = 1, bit_d_max: int | None = None, **_: object) -> list[Candidate]:
        """Every (odd d in [3, d_max], bit_d in [bit_d_min, bit_d_max], nbar) with its predicted rates."""
        top = DEFAULT_BIT_D_MAX if bit_d_max is None else bit_d_max
        out = []
        for n in self.nbars:
            for d in range(3, d_max + 1, 2):
                for b in range(self.bit_d_min, top + 1):
                    ph, bt = self.phase_rate(d, b, n), self.bit_rate(d, b, n)
                    out.append(Candidate(d, n, logical * rectangular_qubits(d, b), ph, bt, _mean_of(ph, bt),
                                         (("bit_d", b),)))
        return out

    def describe(self) -> list[str]:
        lines = []
        for n in self.nbars:
            lp = math.exp(-self.phase[n].coef[1])
            fit = self.bit.get(n)
            bit = (f"bit {math.exp(-fit.coef[1]):.3g} (chi2/dof = {fit.chi2:.1f}/{fit.dof})" if fit is not None else
                   f"bit {math.exp(-self.bit_global.coef[1] - self.bit_global.coef[2] * n):.3g} (global law)")  # type: ignore[union-attr]
            lines.append(f"rectangular nbar={n:g}: Λ per fault step: phase {lp:.3g} (chi2/dof = {self.phase[n].chi2:.1f}/"
                         f"{self.phase[n].dof}), {bit}")
        g = self.bit_global
        if g is not None:
            lines.append(f"rectangular bit-flip law eps_Z/d = A (B exp(-gamma nbar))^ceil(bit_d/2): A = {math.exp(g.coef[0]):.3g}, "
                         f"B = {math.exp(g.coef[1]):.3g}, gamma = {-g.coef[2]:.3g} ± {g.error(2):.2g} (chi2/dof = {g.chi2:.1f}/{g.dof})")
        return lines
