"""Thresholds as crossings: where the logical error per d rounds of consecutive distances cross.

The threshold of a code family in a swept noise parameter ``x`` (``p``, ``k1_over_k2``, ...) is
the point where codes of consecutive distances d < d' fail equally often: below it the larger
code is better, above it worse (Dennis, Kitaev, Landahl & Preskill, J. Math. Phys. 43, 4452
(2002), section VI; Wang, Harrington & Preskill, Ann. Phys. 303, 31 (2003), where the crossing of
the curves of successive sizes locates the threshold; Stephens, PRA 89, 022321 (2014) for
circuit-level surface codes). The curves compared here are the logical error **per d rounds**
of memories with ``rounds ∝ d`` (``rounds = d`` makes it the error per shot), so each code is
compared over the time it needs to correct its own errors. This is not the fit parameter x_th of
:func:`catcode.analysis.fit_scaling`, which only coincides with the crossing when the scaling law
holds across the whole grid.

Method (:func:`crossing_threshold`):

1. Per-shot rates ``p = errors / kept shots`` are read from sinter statistics; each becomes an
   error per d rounds ``q = (1 - (1 - 2p)^(d/r)) / 2`` (:func:`catcode.analysis.per_round_error_rate`
   with ``r/d`` pieces; identity when ``r = d``).
2. **Cuts.** A point is *saturated* and excluded when its per-shot rate exceeds
   :data:`SATURATION_RATE` (0.4) or its likelihood band (:func:`sinter.fit_binomial`, Bayes
   factor ``max_likelihood_factor``, 1000 by default ≈ 3.7 σ) reaches 1/2: there the per-round
   and per-shot conversions compress every code to 1/2 and the order of the curves means
   nothing. A point with fewer than ``min_errors`` (default 10) errors is excluded as too noisy
   to interpolate in log space. A curve left with fewer than 2 points is refused.
3. Each curve is interpolated linearly in (ln x, ln q) between its grid points. For each pair of
   consecutive distances, ``f(x) = ln q_d(x) - ln q_d'(x)`` is evaluated on the union of both
   grids inside their common range; every sign change is a root located by linear interpolation
   (exact for the two piecewise-linear curves). With several sign changes (noise near the
   crossing) the crossing is the geometric mean of the roots. No sign change is refused,
   naming the pair and the range.
4. **Uncertainty**, a parametric bootstrap (Efron & Tibshirani, *An Introduction to the
   Bootstrap*, Chapman & Hall (1993), ch. 6): every point's error count is redrawn from
   Binomial(kept shots, observed rate) (resampled zeros count as half an error), and steps 1
   and 3 are repeated on the same cut grid. Each band is the 15.87th / 50th / 84.13th percentile
   (≈ ±1 σ) of the resampled crossings. A resample in which a pair does not cross is censored on
   the side its curves' order points to (the crossing lies beyond the grid); if more than half
   of the resamples are censored the grid does not bracket the crossing and it is refused.
5. **Combined**: the geometric mean of the pair crossings, with its band from the same pooled
   resamples (pairs sharing a curve stay correlated). Pair crossings drift with d at small
   distances (finite-size effects), so the largest pair is listed separately as the one
   closest to the asymptotic threshold.

>>> import sinter
>>> def stat(d, x, errors):
...     return sinter.TaskStats(strong_id=f"{d}-{x}", decoder="m", shots=10_000, errors=errors,
...                             json_metadata={"d": d, "r": d, "p": x})
>>> stats = [stat(3, 0.01, 1000), stat(3, 0.02, 2000), stat(5, 0.01, 500), stat(5, 0.02, 3000)]
>>> est = crossing_threshold(stats, x_key="p", num_resamples=200)
>>> round(est.pairs[0].crossing.observed, 5)  # f = ln 2 at 0.01, ln(2/3) at 0.02: 0.01 * 2^(ln 2 / ln 3)
0.01549
>>> est.combined.low < est.combined.value < est.combined.high
True
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import sinter

from catcode import analysis
from catcode.errors import CatcodeError, require_instances, require_int_at_least, require_positive, require_seed

__all__ = [
    "DEFAULT_MIN_ERRORS",
    "DEFAULT_NUM_RESAMPLES",
    "SATURATION_RATE",
    "Crossing",
    "CrossingEstimate",
    "PairCrossing",
    "crossing_threshold",
    "crossing_thresholds",
    "format_crossings",
]

#: Per-shot rate above which a point counts as saturated and is excluded.
SATURATION_RATE: float = 0.4
#: Points with fewer errors are excluded (too noisy to interpolate in log space).
DEFAULT_MIN_ERRORS: int = 10
#: Bootstrap resamples per estimate.
DEFAULT_NUM_RESAMPLES: int = 1000
#: Percentiles of the reported band: the central 68.27 % (±1 σ of a Gaussian) and the median.
BAND_PERCENTILES: tuple[float, float, float] = (15.865525393145708, 50.0, 84.1344746068543)
#: Metadata key holding the round count.
ROUNDS_KEY = "r"


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Crossing:
    """A crossing location with its bootstrap band.

    ``observed`` is the crossing of the observed rates; ``value`` the bootstrap median and
    ``low``/``high`` the 15.87th/84.13th percentiles (≈ ±1 σ). ``censored_low``/``censored_high``
    count resamples whose curves did not cross on the grid, with the crossing implied below/above
    it (then ``low`` may be 0 or ``high`` infinite); ``undetermined`` counts combined resamples
    whose pairs were censored on opposite sides (left out of the percentiles).
    """

    observed: float
    value: float
    low: float
    high: float
    num_resamples: int
    censored_low: int = 0
    censored_high: int = 0
    undetermined: int = 0

    def __post_init__(self) -> None:
        if not (0.0 < self.observed < math.inf):
            raise CatcodeError(f"Crossing.observed must be finite and > 0; got {self.observed!r}")
        if not (0.0 < self.value < math.inf):
            raise CatcodeError(f"Crossing.value must be finite and > 0; got {self.value!r}")
        if not (0.0 <= self.low <= self.value <= self.high):
            raise CatcodeError(
                f"Crossing band must satisfy 0 <= low <= value <= high; got {self.low!r}, {self.value!r}, {self.high!r}"
            )
        counts = (self.censored_low, self.censored_high, self.undetermined)
        if self.num_resamples < 1 or min(counts) < 0 or sum(counts) > self.num_resamples:
            raise CatcodeError(f"Crossing counts inconsistent: {self.num_resamples} resamples, censored/undetermined {counts}")

    @property
    def sigma_log(self) -> float:
        """Half the band's width in ln x: the standard error of ln(crossing) (inf when censored)."""
        if self.low <= 0.0 or math.isinf(self.high):
            return math.inf
        return (math.log(self.high) - math.log(self.low)) / 2.0

    def contains(self, x: float, *, n_sigma: float = 1.0) -> bool:
        """Whether ``x`` lies within ``n_sigma`` band half-widths of the median, in ln x.

        >>> Crossing(observed=1.0, value=1.0, low=0.5, high=2.0, num_resamples=10).contains(3.0, n_sigma=2)
        True
        """
        return abs(math.log(float(x)) - math.log(self.value)) <= n_sigma * self.sigma_log

    def describe(self) -> str:
        """``value [low, high]`` with open edges written as ``<`` / ``>`` the grid."""
        low = f"{self.low:.3g}" if self.low > 0 else "0"
        high = f"{self.high:.3g}" if math.isfinite(self.high) else "inf"
        return f"{self.value:.3g} [{low}, {high}]"


@dataclasses.dataclass(frozen=True)
class PairCrossing:
    """The crossing of the curves of distances ``small`` < ``large``.

    ``x_low``/``x_high`` bound the range where both curves were compared; ``sign_changes`` counts
    the sign changes of ln q_small − ln q_large observed there (1 for a clean crossing).
    """

    small: float
    large: float
    x_low: float
    x_high: float
    sign_changes: int
    crossing: Crossing

    def __post_init__(self) -> None:
        if not self.small < self.large:
            raise CatcodeError(f"PairCrossing needs small < large; got {self.small!r}, {self.large!r}")
        if not (0.0 < self.x_low < self.x_high):
            raise CatcodeError(f"PairCrossing range must satisfy 0 < x_low < x_high; got {self.x_low!r}, {self.x_high!r}")
        if not self.x_low <= self.crossing.observed <= self.x_high:
            raise CatcodeError(
                f"PairCrossing observed crossing {self.crossing.observed!r} lies outside [{self.x_low!r}, {self.x_high!r}]"
            )
        if self.sign_changes < 1:
            raise CatcodeError(f"PairCrossing needs >= 1 sign change; got {self.sign_changes!r}")


@dataclasses.dataclass(frozen=True)
class CrossingEstimate:
    """Crossings of one family of curves (same decoder and metadata except x, group and r).

    ``pairs`` are ordered by distance; ``combined`` is the geometric mean of their crossings with
    its pooled-bootstrap band. ``excluded`` lists the points the cuts removed, one reason each.
    """

    x_key: str
    group_key: str
    metadata: dict[str, Any] = dataclasses.field(hash=False)
    decoder: str = ""
    rounds_per_distance: float = 1.0
    pairs: tuple[PairCrossing, ...] = ()
    combined: Crossing | None = None
    num_points: int = 0
    excluded: tuple[str, ...] = ()
    seed: int | None = 0

    def __post_init__(self) -> None:
        if not self.pairs or self.combined is None:
            raise CatcodeError("CrossingEstimate needs at least one pair crossing and a combined value")
        sizes = [(p.small, p.large) for p in self.pairs]
        if sizes != sorted(sizes) or any(a[1] != b[0] for a, b in zip(sizes, sizes[1:])):
            raise CatcodeError(f"CrossingEstimate pairs must be consecutive distances in order; got {sizes}")
        if self.rounds_per_distance <= 0:
            raise CatcodeError(f"rounds_per_distance must be > 0; got {self.rounds_per_distance!r}")

    @property
    def largest_pair(self) -> PairCrossing:
        """The pair of the two largest distances (least affected by finite-size drift)."""
        return self.pairs[-1]


# ---------------------------------------------------------------------------------------------
# Curves after the cuts
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Point:
    x: float
    shots: int
    errors: int
    pieces: float  # r / d: the per-shot rate spans that many blocks of d rounds


def _per_d_rounds(p: np.ndarray, pieces: float) -> np.ndarray:
    """Error per d rounds from per-shot rates (vectorised :func:`analysis.per_round_error_rate`)."""
    if pieces == 1.0:
        return p
    return np.vectorize(lambda v: analysis.per_round_error_rate(float(v), rounds=pieces), otypes=[float])(p)


def _saturated(shots: int, errors: int, factor: float) -> bool:
    if errors > SATURATION_RATE * shots:
        return True
    band = sinter.fit_binomial(num_shots=shots, num_hits=errors, max_likelihood_factor=factor)
    return band.high >= 0.5


def _label(group_key: str, value: float) -> str:
    return f"{group_key}={value:g}"


def _families(stats: Sequence[sinter.TaskStats], x_key: str, group_key: str) -> dict[str, list[sinter.TaskStats]]:
    families: dict[str, list[sinter.TaskStats]] = {}
    for s in stats:
        key = analysis._key_without(s, [x_key, group_key, ROUNDS_KEY])
        families.setdefault(analysis.freeze(key), []).append(s)
    return families


def _check_stats(stats: Sequence[sinter.TaskStats], x_key: str, group_key: str) -> list[sinter.TaskStats]:
    """``stats`` as a list, once every task has numeric x, group and round-count metadata."""
    stats = require_instances("stats", stats, sinter.TaskStats, expected="sinter.TaskStats",
                              hint="read them with sinter.read_stats_from_csv_files or catcode.analysis.read_stats")
    if not stats:
        raise CatcodeError("crossing_threshold needs sinter statistics; got none")
    for s in stats:
        md = analysis.normalize_metadata(s.json_metadata)
        for key in (x_key, group_key, ROUNDS_KEY):
            value = md.get(key)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                present = ", ".join(sorted(md)) or "(none)"
                raise CatcodeError(
                    f"every task needs a number > 0 under metadata {key!r} (x, group and round count); task "
                    f"{s.strong_id[:12]} has {key}={value!r} (keys present: {present})"
                )
    return stats


def _curves(
    family: Sequence[sinter.TaskStats], *, x_key: str, group_key: str, min_errors: int, factor: float
) -> tuple[dict[float, list[_Point]], list[str], float]:
    """Cut points per group value, the exclusion notes, and the common r/d."""
    curves: dict[float, list[_Point]] = {}
    notes: list[str] = []
    ratios: dict[float, float] = {}
    for s in family:
        md = analysis.normalize_metadata(s.json_metadata)
        d, x, r = float(md[group_key]), float(md[x_key]), float(md[ROUNDS_KEY])
        ratios[d] = r / d
        kept = s.shots - s.discards
        where = f"{_label(group_key, d)}, {x_key}={x:g}"
        if kept <= 0:
            notes.append(f"{where}: no kept shots")
            continue
        if _saturated(kept, s.errors, factor):
            notes.append(f"{where}: saturated ({s.errors}/{kept} errors)")
            continue
        if s.errors < min_errors:
            notes.append(f"{where}: {s.errors} errors < min_errors={min_errors}")
            continue
        curves.setdefault(d, []).append(_Point(x, kept, s.errors, r / d))
    values = sorted(set(ratios.values()))
    if not math.isclose(values[0], values[-1], rel_tol=1e-9):
        shown = ", ".join(f"{_label(group_key, d)}: r={ratios[d] * d:g}" for d in sorted(ratios))
        raise CatcodeError(f"crossings need rounds proportional to {group_key} (r = k·{group_key}); got {shown}")
    for d, points in curves.items():
        points.sort(key=lambda p: p.x)
        xs = [p.x for p in points]
        if len(set(xs)) != len(xs):
            raise CatcodeError(
                f"two tasks share {_label(group_key, d)} and {x_key}={xs[0]:g} with all other metadata equal; "
                f"filter them (--filter) so each curve has one point per {x_key}"
            )
    return curves, notes, values[0]


def _refuse_short_curves(curves: dict[float, list[_Point]], all_groups: Sequence[float], notes: list[str],
                         group_key: str, min_errors: int) -> None:
    short = [d for d in all_groups if len(curves.get(d, [])) < 2]
    if short:
        d = short[0]
        saturated = sum(1 for n in notes if n.startswith(_label(group_key, d) + ",") and "saturated" in n)
        few = sum(1 for n in notes if n.startswith(_label(group_key, d) + ",") and "min_errors" in n)
        raise CatcodeError(
            f"{_label(group_key, d)} keeps {len(curves.get(d, []))} point(s) after the cuts, need >= 2 per curve "
            f"({saturated} saturated: per-shot rate > {SATURATION_RATE} or likelihood band reaching 0.5; "
            f"{few} with fewer than min_errors={min_errors} errors)"
        )
    if len(all_groups) < 2:
        raise CatcodeError(f"a crossing needs >= 2 values of {group_key!r}; got {[f'{g:g}' for g in all_groups]}")


# ---------------------------------------------------------------------------------------------
# Crossing of two piecewise-linear curves in (ln x, ln q)
# ---------------------------------------------------------------------------------------------


def _interpolation_matrix(grid: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """W with (W @ y)[i] = linear interpolation at grid[i] of values y at nodes (all in ln x)."""
    eye = np.eye(len(nodes))
    return np.stack([np.interp(grid, nodes, eye[j]) for j in range(len(nodes))], axis=1)


def _roots(log_grid: np.ndarray, f: np.ndarray) -> list[float]:
    """ln x of every sign change of the piecewise-linear f; zeros between opposite signs count once."""
    nz = [i for i in range(len(f)) if f[i] != 0.0]
    roots: list[float] = []
    for a, b in zip(nz, nz[1:]):
        if (f[a] > 0) == (f[b] > 0):
            continue
        if b == a + 1:
            t = f[a] / (f[a] - f[b])
            roots.append(float(log_grid[a] + t * (log_grid[b] - log_grid[a])))
        else:  # exact zeros in between: the crossing is their middle
            roots.append(float(np.mean(log_grid[a + 1 : b])))
    return roots


@dataclasses.dataclass(frozen=True)
class _Pair:
    small: float
    large: float
    x_grid: np.ndarray  # the grid points of both curves inside their common range
    log_grid: np.ndarray
    w_small: np.ndarray  # interpolation of the small curve's ln q onto log_grid
    w_large: np.ndarray
    idx_small: np.ndarray  # columns of the pooled point array
    idx_large: np.ndarray

    def difference(self, log_q: np.ndarray) -> np.ndarray:
        """ln q_small − ln q_large on the grid for rows of pooled ln q."""
        return log_q[..., self.idx_small] @ self.w_small.T - log_q[..., self.idx_large] @ self.w_large.T


def _pairs(curves: dict[float, list[_Point]], x_key: str, group_key: str) -> tuple[list[_Pair], list[_Point]]:
    pooled: list[_Point] = []
    index: dict[float, np.ndarray] = {}
    for d in sorted(curves):
        index[d] = np.arange(len(pooled), len(pooled) + len(curves[d]))
        pooled.extend(curves[d])
    ds = sorted(curves)
    pairs = []
    for small, large in zip(ds, ds[1:]):
        xa = np.array([p.x for p in curves[small]])
        xb = np.array([p.x for p in curves[large]])
        lo, hi = max(xa[0], xb[0]), min(xa[-1], xb[-1])
        if not lo < hi:
            raise CatcodeError(
                f"pair {_label(group_key, small)}, {_label(group_key, large)}: their {x_key} ranges after the cuts "
                f"[{xa[0]:g}, {xa[-1]:g}] and [{xb[0]:g}, {xb[-1]:g}] do not overlap; sample both on a common grid"
            )
        grid = np.unique(np.concatenate([xa, xb]))
        grid = grid[(grid >= lo) & (grid <= hi)]
        log_grid = np.log(grid)
        pairs.append(_Pair(small, large, grid, log_grid, _interpolation_matrix(log_grid, np.log(xa)),
                           _interpolation_matrix(log_grid, np.log(xb)), index[small], index[large]))
    return pairs, pooled


def _log_rates(errors: np.ndarray, pooled: Sequence[_Point]) -> np.ndarray:
    shots = np.array([p.shots for p in pooled], dtype=float)
    pieces = pooled[0].pieces
    rate = np.maximum(errors, 0.5) / shots
    return np.log(_per_d_rounds(rate, pieces))


def _orientation(pair: _Pair, f: np.ndarray) -> float:
    """Sign of f's least-squares slope in ln x: −1 in the usual case (the larger code better at small x)."""
    slope = np.polyfit(pair.log_grid, f, 1)[0] if len(f) > 1 else 0.0
    return -1.0 if slope < 0 else 1.0


def _resampled_logs(pair: _Pair, f_rows: np.ndarray, orient: float) -> tuple[np.ndarray, int, int]:
    """ln crossing per resample; ±inf where censored (no sign change)."""
    out = np.empty(len(f_rows))
    low = high = 0
    for i, f in enumerate(f_rows):
        roots = _roots(pair.log_grid, f)
        if roots:
            out[i] = float(np.mean(roots))
            continue
        # no crossing: f keeps the sign it has on one side of the true crossing.
        # orient < 0 (f falls with x): f > 0 everywhere puts the crossing above the grid.
        above = (f[0] > 0) == (orient < 0)
        out[i] = math.inf if above else -math.inf
        high += above
        low += not above
    return out, low, high


def _band(observed_log: float, logs: np.ndarray, *, censored_low: int = 0, censored_high: int = 0,
          undetermined: int = 0, what: str) -> Crossing:
    finite_or_inf = logs[~np.isnan(logs)]
    if censored_low + censored_high > len(logs) / 2:
        raise CatcodeError(
            f"{what}: in {censored_low + censored_high} of {len(logs)} bootstrap resamples the curves do not cross "
            f"on the grid ({censored_low} below it, {censored_high} above it); the grid does not bracket the "
            f"crossing robustly: extend it or sample more shots"
        )
    lo, mid, hi = np.percentile(finite_or_inf, BAND_PERCENTILES, method="inverted_cdf")
    return Crossing(
        observed=math.exp(observed_log),
        value=math.exp(float(mid)),
        low=math.exp(float(lo)),
        high=math.exp(float(hi)),
        num_resamples=len(logs),
        censored_low=censored_low,
        censored_high=censored_high,
        undetermined=undetermined,
    )


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------


def crossing_threshold(
    stats: Sequence[sinter.TaskStats],
    *,
    x_key: str,
    group_key: str = "d",
    num_resamples: int = DEFAULT_NUM_RESAMPLES,
    seed: int | None = 0,
    min_errors: int = DEFAULT_MIN_ERRORS,
    max_likelihood_factor: float = analysis.DEFAULT_MAX_LIKELIHOOD_FACTOR,
) -> CrossingEstimate:
    """Crossings of the error per d rounds of consecutive distances, for one family of curves.

    ``stats`` must form one family: the same decoder and metadata except ``x_key``,
    ``group_key`` and the round count ``r`` (use :func:`crossing_thresholds` to split several).
    Every task needs numeric ``x_key``, ``group_key`` and ``r`` metadata with ``r ∝`` group value.
    See the module docstring for the method, the cuts and the bootstrap. Raises CatcodeError
    when a curve keeps < 2 points after the cuts, a pair does not cross on the grid (naming the
    pair and the range), or most resamples do not cross.
    """
    require_int_at_least("num_resamples", num_resamples, 20)
    require_int_at_least("min_errors", min_errors, 1)
    require_positive("max_likelihood_factor", max_likelihood_factor)
    if max_likelihood_factor <= 1:
        raise CatcodeError(f"max_likelihood_factor must be > 1; got {max_likelihood_factor!r}")
    seed = require_seed(seed)
    stats = _check_stats(stats, x_key, group_key)
    families = _families(stats, x_key, group_key)
    if len(families) > 1:
        first = [analysis._metadata(f[0]) for f in families.values()]
        varying = sorted(k for k in set().union(*first) if len({analysis.freeze(m.get(k)) for m in first}) > 1)
        raise CatcodeError(
            f"the statistics hold {len(families)} families of curves (differing in {', '.join(varying) or 'decoder'}); "
            f"filter to one (e.g. --filter {varying[0] if varying else 'decoder'}=...) or use crossing_thresholds"
        )
    family = next(iter(families.values()))
    all_groups = sorted({float(analysis.normalize_metadata(s.json_metadata)[group_key]) for s in family})
    curves, notes, ratio = _curves(family, x_key=x_key, group_key=group_key, min_errors=min_errors,
                                   factor=max_likelihood_factor)
    _refuse_short_curves(curves, all_groups, notes, group_key, min_errors)
    pairs, pooled = _pairs(curves, x_key, group_key)

    errors = np.array([p.errors for p in pooled], dtype=float)
    observed_logq = _log_rates(errors, pooled)
    rng = np.random.default_rng(seed)
    shots = np.array([p.shots for p in pooled])
    draws = rng.binomial(shots[None, :], (errors / shots)[None, :], size=(num_resamples, len(pooled)))
    boot_logq = _log_rates(draws.astype(float), pooled)

    results: list[PairCrossing] = []
    pair_logs: list[np.ndarray] = []
    for pair in pairs:
        f = pair.difference(observed_logq)
        roots = _roots(pair.log_grid, f)
        name = f"pair {_label(group_key, pair.small)}, {_label(group_key, pair.large)}"
        x_lo, x_hi = float(pair.x_grid[0]), float(pair.x_grid[-1])
        if not roots:
            lower = _label(group_key, pair.large if f[0] > 0 else pair.small)
            raise CatcodeError(
                f"{name} does not cross over {x_key} in [{x_lo:g}, {x_hi:g}]: {lower} has the lower error per "
                f"{group_key} rounds at every compared point; the data do not bracket a crossing, extend the grid"
            )
        logs, low, high = _resampled_logs(pair, pair.difference(boot_logq), _orientation(pair, f))
        band = _band(float(np.mean(roots)), logs, censored_low=low, censored_high=high, what=name)
        results.append(PairCrossing(pair.small, pair.large, x_lo, x_hi, len(roots), band))
        pair_logs.append(logs)

    stacked = np.stack(pair_logs)
    with np.errstate(invalid="ignore"):
        mean_logs = np.mean(stacked, axis=0)  # +inf and -inf together give nan: undetermined
    combined = _band(
        float(np.mean([math.log(p.crossing.observed) for p in results])),
        mean_logs,
        censored_low=int(np.sum(mean_logs == -math.inf)),
        censored_high=int(np.sum(mean_logs == math.inf)),
        undetermined=int(np.sum(np.isnan(mean_logs))),
        what="combined crossing",
    )
    first = family[0]
    metadata = {k: v for k, v in analysis._metadata(first).items() if k not in (x_key, group_key, ROUNDS_KEY)}
    return CrossingEstimate(
        x_key=x_key,
        group_key=group_key,
        metadata=metadata,
        decoder=str(first.decoder),
        rounds_per_distance=ratio,
        pairs=tuple(results),
        combined=combined,
        num_points=len(pooled),
        excluded=tuple(notes),
        seed=seed,
    )


def crossing_thresholds(
    stats: Sequence[sinter.TaskStats], *, x_key: str, group_key: str = "d", **options: Any
) -> list[CrossingEstimate]:
    """:func:`crossing_threshold` of every family (decoder and metadata except x, group, r).

    Families are returned sorted by their metadata. A family that cannot be estimated raises
    CatcodeError naming it. ``options`` are those of :func:`crossing_threshold`.
    """
    stats = _check_stats(stats, x_key, group_key)
    families = _families(stats, x_key, group_key)
    results = []
    for key in sorted(families):
        family = families[key]
        try:
            results.append(crossing_threshold(family, x_key=x_key, group_key=group_key, **options))
        except CatcodeError as exc:
            if len(families) == 1:
                raise
            md = {k: v for k, v in analysis._metadata(family[0]).items() if k not in (x_key, group_key, ROUNDS_KEY)}
            raise CatcodeError(f"family {_describe_family(md, family[0].decoder)}: {exc}") from None
    return results


def _describe_family(metadata: Mapping[str, Any], decoder: str) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(metadata.items())) + f" (decoder {decoder})"


def format_crossings(estimates: Sequence[CrossingEstimate]) -> str:
    """Plain-text report: per family, every pair's crossing with its band, then the combined one."""
    lines: list[str] = []
    shared = _shared_metadata(estimates)
    for est in estimates:
        combined = est.combined
        assert combined is not None
        own = {k: v for k, v in est.metadata.items() if k not in shared}
        lines.append(f"{_describe_family(own, est.decoder) if own else 'decoder ' + est.decoder}: "
                     f"rounds = {est.rounds_per_distance:g}·{est.group_key}, {est.num_points} points used")
        for p in est.pairs:
            lines.append(
                f"  {est.group_key}={p.small:g} × {est.group_key}={p.large:g}: {est.x_key} = {p.crossing.describe()}"
                f"  (observed {p.crossing.observed:.3g}, compared over [{p.x_low:.3g}, {p.x_high:.3g}],"
                f" {p.sign_changes} sign change{'s' if p.sign_changes > 1 else ''})"
            )
        lines.append(f"  combined (geometric mean of {len(est.pairs)} pair crossing(s)): {est.x_key} = {combined.describe()}")
        for note in est.excluded:
            lines.append(f"  excluded {note}")
    if estimates:
        c = estimates[0].combined
        assert c is not None
        lines.append(
            f"crossing of the error per {estimates[0].group_key} rounds; band = bootstrap median "
            f"[15.9 %, 84.1 %] over {c.num_resamples} binomial resamples (seed {estimates[0].seed}); "
            f"points with per-shot rate > {SATURATION_RATE}, a likelihood band reaching 0.5, "
            f"or too few errors are excluded"
        )
    return "\n".join(lines)


def _shared_metadata(estimates: Sequence[CrossingEstimate]) -> dict[str, Any]:
    if len(estimates) < 2:
        return {}
    first = estimates[0].metadata
    return {k: v for k, v in first.items()
            if all(analysis.freeze(e.metadata.get(k)) == analysis.freeze(v) for e in estimates)}
