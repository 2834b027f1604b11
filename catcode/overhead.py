"""Qubit overhead: the cat repetition code against the rotated surface code, on the same footing.

Two questions, answered from simulated circuits (catcode's own compiler and noise pass for both
architectures) plus fits with stated uncertainties:

* :func:`compare_at_distance` -- at one distance ``d``: the qubit counts (repetition code
  ``2d - 1``, rotated surface code ``2d^2 - 1``: 9 against 49 at ``d = 5``, docs/physics.md §6) and the
  simulated logical error per cycle of each under the stated noise.
* :func:`qubits_for_target` -- for target logical errors per cycle (1e-6, 1e-9, ...): the fewest
  qubits each architecture needs, the reduction ``1 - cat_qubits / surface_qubits`` in percent,
  and, when the cat code cannot reach a target, why (the bit-flip floor, or phase flips that the
  allowed distances cannot push down).

Conventions
-----------
* **Logical error per cycle** (project convention, docs/physics.md §5, Putterman et al., Nature 638,
  927 (2025)): the mean of the X- and Z-basis memories' per-round error rates,
  ``eps = (eps_X + eps_Z) / 2``, for both architectures. For the cat code the X memory fails on
  phase flips and the Z memory on bit flips. Per-round rates come from per-shot rates by
  :func:`catcode.analysis.per_round_error_rate` (``rounds = d`` unless told otherwise).
* **Boundaries** (``boundary="ideal"``, the default): the noise of the first layer (state
  preparation) and of the last layer (final data readout) is removed from the compiled circuits, so
  the per-round rate is the *bulk* rate of a long memory, which is what "per cycle" means at 1e-9.
  With noisy boundaries a d-round experiment adds its readout error divided by d to every
  "per-round" rate: for the cat code's Z memory that readout term (``exp(-1.5 - 0.9 n)`` per cat,
  docs/physics.md §3b) would swamp bit flips of 1e-9 and fake a floor. ``boundary="noisy"`` keeps them
  (the convention of ``catcode collect`` studies with ``r = d``).
* **Bands**: every interval has the likelihood level of ``sinter.fit_binomial`` with
  ``max_likelihood_factor`` (1000 by default, as ``sinter plot``), i.e. ``z = sqrt(2 ln F)``
  (3.7) Gaussian standard deviations. Rare-event estimates are requested at the matching
  confidence ``erf(z / sqrt 2)``; fit predictions are ``exp(mean +- z sigma)`` in log space. The band
  of a total is the mean of its parts' band edges (conservative); for two sampled memories it is
  :func:`catcode.analysis.total_error_rate`'s profile-likelihood band.

Method of :func:`qubits_for_target`
-----------------------------------
1. Sample a grid: repetition-code X and Z memories at ``cat_distances`` x ``nbar_values``,
   surface-code X and Z memories at ``surface_distances`` (sinter + PyMatching, or catcode's
   erasure-aware matching when the circuit has herald detectors). Points with fewer than
   ``min_errors`` errors are re-estimated with the rare-event estimator
   :func:`catcode.rare.estimate_logical_error` (stratified sampling by fault count), when installed.
2. Fit, per ``nbar``, ``ln eps_X = a + b (d + 1)/2`` (phase flips fall exponentially with
   distance below threshold, Λ = e^{-b} per step of two; Fowler et al., PRA 86, 032324 (2012)) and
   ``eps_Z = u + v d`` (each data cat's bit flip is a logical bit flip, docs/physics.md §5, and the
   number of places where one can happen is affine in d). Where an ``nbar`` has no resolved
   bit-flip points, the global fit ``eps_Z = A d^beta e^{-gamma nbar}`` (docs/physics.md §2: bit flips
   fall exponentially in nbar) fills in; it is also reported as the bit-flip law. The surface code
   gets ``ln eps = a + b (d + 1)/2`` for each memory. Fits are weighted least squares with weights
   from the bands; their covariance is scaled by chi^2/dof when that exceeds 1.
3. Search every odd ``d`` from 3 to ``d_max`` (and every grid ``nbar`` for the cat code) for the
   fewest qubits whose predicted total meets the target: with the central prediction (the answer),
   with the optimistic and the pessimistic band edges (the qubit range).
4. Check each answer (``check=True``): estimate the chosen circuit directly (sinter when
   the predicted rate is within ``max_shots``' reach, else the rare-event estimator) and move to
   the next candidate if the direct estimate misses the target, or to a smaller one if it also
   passes (at most ``max_checks`` direct estimates per architecture and target). A direct estimate
   whose band spans more than a factor 100 is inconclusive and leaves the fit's answer in place.

>>> repetition_qubits(5), surface_qubits(5)
(9, 49)
>>> round(reduction_percent(repetition_qubits(5), surface_qubits(5)), 1)
81.6
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import sinter
import stim

from catcode import analysis
from catcode.errors import CatcodeError, require_choice, require_int_at_least, require_positive, require_probability

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from catcode.noise import NoiseModel

__all__ = [
    "ARCHITECTURES",
    "BOUNDARIES",
    "Candidate",
    "DistanceComparison",
    "Estimate",
    "LinearFit",
    "MemoryEstimate",
    "OverheadStudy",
    "Requirement",
    "RepetitionModel",
    "SurfaceModel",
    "TargetRow",
    "compare_at_distance",
    "find_requirement",
    "fit_linear",
    "format_comparison",
    "format_study",
    "plot_overhead",
    "qubits_for_target",
    "reduction_percent",
    "repetition_qubits",
    "strip_boundary_noise",
    "surface_qubits",
    "write_csv",
]

ARCHITECTURES = ("repetition", "surface")
BOUNDARIES = ("ideal", "noisy")

#: Surface-code noise parameters used when none are given to a preset that takes ``p``
#: (si1000, depolarizing): p = 1e-3, the scale of docs/physics.md §4/§6's comparisons. Printed in every
#: table header, never silent.
DEFAULT_SURFACE_P = 1e-3

#: A direct check whose band spans more than this factor (high / low) is inconclusive.
CHECK_MAX_BAND_RATIO = 100.0

#: Default n̄ grid of the cat-code search.
DEFAULT_NBAR_VALUES: tuple[float, ...] = (1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0)

ProgressFn = Callable[[str], None]


# =============================================================================================
# Qubit counts
# =============================================================================================


def repetition_qubits(d: int) -> int:
    """Qubits of a distance-``d`` repetition code: ``d`` data cats + ``d - 1`` ancillas (docs/physics.md §6).

    Buffers are part of each cat, not extra qubits. Ocelot: 5 cats + 4 transmons = 9.

    >>> repetition_qubits(5)
    9
    """
    require_int_at_least("d", d, 2)
    return 2 * d - 1


def surface_qubits(d: int) -> int:
    """Qubits of a distance-``d`` rotated surface code: ``d^2`` data + ``d^2 - 1`` measure (docs/physics.md §6).

    >>> surface_qubits(5)
    49
    """
    require_int_at_least("d", d, 2)
    return 2 * d * d - 1


def _qubits(architecture: str, d: int) -> int:
    return repetition_qubits(d) if architecture == "repetition" else surface_qubits(d)


def reduction_percent(cat_qubits: int, surface_qubits: int) -> float:
    """Qubit saving of the cat code in percent: ``100 (1 - cat_qubits / surface_qubits)``.

    >>> reduction_percent(9, 49)
    81.63265306122449
    """
    return 100.0 * (1.0 - cat_qubits / surface_qubits)


# =============================================================================================
# Estimates
# =============================================================================================


def _z_of(max_likelihood_factor: float) -> float:
    return math.sqrt(2.0 * math.log(max_likelihood_factor))


@dataclasses.dataclass(frozen=True)
class Estimate:
    """A logical error rate per round with its band.

    ``source`` says where it comes from: ``"sampled"`` (sinter, band from
    :func:`sinter.fit_binomial`), ``"rare"`` (:func:`catcode.rare.estimate_logical_error`),
    ``"fit"`` (a model prediction), ``"mixed"`` (a total whose parts differ), ``"none"`` (no data).
    ``shots``/``errors`` count decoded shots and observed errors (0 for fits).

    >>> Estimate(1e-3, 5e-4, 2e-3, "fit").resolved
    True
    """

    best: float
    low: float
    high: float
    source: str
    shots: int = 0
    errors: int = 0

    @property
    def resolved(self) -> bool:
        """True when the rate and both edges are positive (usable in a log-space fit)."""
        return self.best > 0.0 and self.low > 0.0 and self.high > self.low and math.isfinite(self.high)

    def sigma_ln(self, z: float) -> float:
        """Standard error of ln(best), from the band width in log space (Gaussian approximation)."""
        return (math.log(self.high) - math.log(self.low)) / (2.0 * z)

    def __str__(self) -> str:
        return f"{self.best:.3g} [{self.low:.2g}, {self.high:.2g}]"


def _mean_of(a: Estimate, b: Estimate) -> Estimate:
    """(a + b) / 2 with the mean of the band edges (conservative when the parts are independent)."""
    source = a.source if a.source == b.source else "mixed"
    return Estimate(
        (a.best + b.best) / 2.0, (a.low + b.low) / 2.0, (a.high + b.high) / 2.0, source,
        a.shots + b.shots, a.errors + b.errors,
    )


NO_ESTIMATE = Estimate(math.nan, math.nan, math.nan, "none")


# =============================================================================================
# Circuits
# =============================================================================================


def strip_boundary_noise(circuit: stim.Circuit) -> stim.Circuit:
    """``circuit`` with the noise of its first and last layers removed (ideal preparation and readout).

    The first layer is everything before the first top-level ``TICK`` (state preparation), the last
    layer everything after the last top-level ``TICK`` (the final data measurement). Noise
    channels there are dropped; measurement gates keep their targets but lose a flip probability;
    heralded channels (which write a herald bit to the measurement record) stay with probability 0
    so every record lookback is unchanged. Rounds in ``REPEAT`` blocks are untouched.

    >>> c = stim.Circuit("R 0\\nX_ERROR(0.1) 0\\nTICK\\nX_ERROR(0.01) 0\\nTICK\\nX_ERROR(0.2) 0\\nM(0.1) 0")
    >>> print(strip_boundary_noise(c))
    R 0
    TICK
    X_ERROR(0.01) 0
    TICK
    M 0
    """
    items = list(circuit)
    ticks = [i for i, inst in enumerate(items) if isinstance(inst, stim.CircuitInstruction) and inst.name == "TICK"]
    if not ticks:
        edge = set(range(len(items)))
    else:
        edge = set(range(ticks[0])) | set(range(ticks[-1] + 1, len(items)))
    out = stim.Circuit()
    for i, inst in enumerate(items):
        if i in edge and isinstance(inst, stim.CircuitInstruction):
            data = stim.gate_data(inst.name)
            if data.is_noisy_gate:
                if not data.produces_measurements:
                    continue
                args = inst.gate_args_copy()
                if inst.name.startswith("HERALDED_"):
                    inst = stim.CircuitInstruction(inst.name, inst.targets_copy(), [0.0] * len(args), tag=inst.tag)
                elif args:
                    inst = stim.CircuitInstruction(inst.name, inst.targets_copy(), [], tag=inst.tag)
        out.append(inst)
    return out


@dataclasses.dataclass(frozen=True)
class _Memory:
    """One memory experiment to estimate (hashable)."""

    architecture: str
    d: int
    basis: str
    noise: str
    params: tuple[tuple[str, Any], ...]
    ancilla: str
    rounds: int
    boundary: str

    def metadata(self) -> dict[str, Any]:
        from catcode.experiment import experiment_metadata

        layout = "chain" if self.architecture == "repetition" else "rotated_surface"
        meta = experiment_metadata(
            layout, self.d, rounds=self.rounds, basis=self.basis, noise=self.noise,
            ancilla=self.ancilla if layout == "chain" else None, **dict(self.params),
        )
        meta["boundary"] = self.boundary
        return meta

    def circuit(self) -> stim.Circuit:
        from catcode.compiler import memory_circuit
        from catcode.layout import Layout
        from catcode.noise import preset

        layout = Layout.chain(self.d, ancilla=self.ancilla) if self.architecture == "repetition" else Layout.rotated_surface(self.d)
        circuit = memory_circuit(layout, preset(self.noise, **dict(self.params)), rounds=self.rounds, basis=self.basis)
        return strip_boundary_noise(circuit) if self.boundary == "ideal" else circuit

    @property
    def nbar(self) -> float | None:
        value = dict(self.params).get("nbar")
        return None if value is None else float(value)


def _has_heralds(circuit: stim.Circuit) -> bool:
    from catcode.verify import herald_detectors

    return bool(herald_detectors(circuit))


# =============================================================================================
# Sampling (sinter) with a rare-event fallback
# =============================================================================================


@dataclasses.dataclass(frozen=True)
class _Options:
    max_shots: int
    max_errors: int
    min_errors: int
    num_workers: int
    rare: bool
    rare_seconds: float
    rare_max_shots: int
    max_likelihood_factor: float
    seed: int | None
    progress: ProgressFn | None

    @property
    def z(self) -> float:
        return _z_of(self.max_likelihood_factor)

    def say(self, message: str) -> None:
        if self.progress is not None:
            self.progress(message)


def _options(
    *, max_shots: int, max_errors: int, min_errors: int, num_workers: int, rare: bool, rare_seconds: float,
    rare_max_shots: int, max_likelihood_factor: float, seed: int | None, progress: ProgressFn | None,
) -> _Options:
    require_int_at_least("max_shots", max_shots, 1)
    require_int_at_least("max_errors", max_errors, 1)
    require_int_at_least("min_errors", min_errors, 1)
    require_int_at_least("num_workers", num_workers, 1)
    require_positive("rare_seconds", rare_seconds)
    require_int_at_least("rare_max_shots", rare_max_shots, 1)
    if not (isinstance(max_likelihood_factor, (int, float)) and max_likelihood_factor > 1):
        raise CatcodeError(f"max_likelihood_factor must be a number > 1; got {max_likelihood_factor!r}")
    if seed is not None:
        require_int_at_least("seed", seed, 0)
    return _Options(
        max_shots, max_errors, min_errors, num_workers, bool(rare), float(rare_seconds), rare_max_shots,
        float(max_likelihood_factor), seed, progress,
    )


def _sample(memories: Sequence[_Memory], opts: _Options) -> dict[_Memory, tuple[Estimate, analysis.ErrorRate | None]]:
    """Sample every memory with sinter in one collection; returns per-round estimates."""
    if not memories:
        return {}
    from catcode.decoders import sinter_decoders

    tasks = []
    for m in memories:
        circuit = m.circuit()
        decoder = "pymatching_erasure" if _has_heralds(circuit) else "pymatching"
        tasks.append(sinter.Task(circuit=circuit, decoder=decoder, json_metadata=m.metadata()))
    by_key = {_meta_key(m.metadata()): m for m in memories}
    opts.say(f"sampling {len(tasks)} circuits with sinter (max_shots={opts.max_shots}, max_errors={opts.max_errors}, "
             f"{opts.num_workers} workers)")
    done: dict[str, sinter.TaskStats] = {}
    t0 = time.monotonic()
    last = [t0]

    def callback(progress: sinter.Progress) -> None:
        for stat in progress.new_stats:
            prev = done.get(stat.strong_id)
            done[stat.strong_id] = stat if prev is None else prev + stat  # strong ids only count here
        now = time.monotonic()
        if now - last[0] >= 5.0:
            last[0] = now
            shots = sum(s.shots for s in done.values())
            opts.say(f"  {now - t0:6.0f} s: {shots} shots over {len(done)}/{len(tasks)} circuits")

    stats = sinter.collect(
        num_workers=opts.num_workers, tasks=tasks, max_shots=opts.max_shots, max_errors=opts.max_errors,
        custom_decoders=sinter_decoders(), progress_callback=callback, print_progress=False,
    )
    result: dict[_Memory, tuple[Estimate, analysis.ErrorRate | None]] = {}
    merged: dict[str, sinter.TaskStats] = {}
    for s in stats:
        key = _meta_key(s.json_metadata)
        merged[key] = s if key not in merged else merged[key] + s
    for key, m in by_key.items():
        s = merged.get(key)
        if s is None or s.shots - s.discards <= 0:
            result[m] = (NO_ESTIMATE, None)
            continue
        rate = analysis.error_rate(s, max_likelihood_factor=opts.max_likelihood_factor)
        result[m] = (Estimate(rate.best, rate.low, rate.high, "sampled", rate.shots, rate.errors), rate)
    opts.say(f"  sampled in {time.monotonic() - t0:.0f} s")
    return result


def _meta_key(metadata: Any) -> str:
    return json.dumps(metadata, sort_keys=True, default=str)


def _rare(memory: _Memory, opts: _Options, index: int) -> Estimate | None:
    """Rare-event estimate of one memory's per-round rate, or None when unavailable or inconclusive."""
    try:
        from catcode.rare import estimate_logical_error
    except ImportError:
        return None
    from catcode.decoders import ErasureMatchingDecoder

    circuit = memory.circuit()
    decoder: object = ErasureMatchingDecoder() if _has_heralds(circuit) else "pymatching"
    confidence = math.erf(opts.z / math.sqrt(2.0))
    t0 = time.monotonic()
    try:
        est = estimate_logical_error(
            circuit, decoder=decoder, confidence=confidence, max_seconds=opts.rare_seconds,
            max_shots=opts.rare_max_shots, seed=None if opts.seed is None else opts.seed + index,
        )
    except CatcodeError as exc:
        opts.say(f"  rare-event estimate {_describe(memory)} not possible: {exc}")
        return None
    conv = [analysis.per_round_error_rate(min(1.0, max(0.0, v)), rounds=memory.rounds) for v in (est.rate, est.ci_low, est.ci_high)]
    opts.say(f"  rare-event estimate {_describe(memory)}: {conv[0]:.3g} [{conv[1]:.2g}, {conv[2]:.2g}] per round "
             f"({est.method}, {time.monotonic() - t0:.1f} s)")
    if not conv[0] > 0.0:
        return None
    return Estimate(conv[0], conv[1], conv[2], "rare", int(est.shots), 0)


def _describe(m: _Memory) -> str:
    nbar = f", nbar={m.nbar:g}" if m.nbar is not None else ""
    return f"{m.architecture} d={m.d}{nbar} {m.basis}-memory"


def _estimate(memories: Sequence[_Memory], opts: _Options, *, skip_sampling: Iterable[_Memory] = ()) -> dict[_Memory, Estimate]:
    """Sample, then re-estimate unresolved points (fewer than ``min_errors`` errors) with the rare estimator."""
    skip = set(skip_sampling)
    sampled = _sample([m for m in memories if m not in skip], opts)
    out: dict[_Memory, Estimate] = {}
    for k, m in enumerate(memories):
        est = sampled.get(m, (NO_ESTIMATE, None))[0]
        if est.errors < opts.min_errors and opts.rare:
            rare = _rare(m, opts, k)
            if rare is not None:
                est = dataclasses.replace(rare, shots=rare.shots + est.shots)
        out[m] = est
    return out


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
    ``z`` (in log space, or in linear space when ``log=False``).

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
        sigma = np.array([max(e.sigma_ln(z), 1e-9) for e in estimates])
    else:
        y = np.array([e.best for e in estimates])
        sigma = np.array([max((e.high - e.low) / (2.0 * z), 1e-300) for e in estimates])
    a = design / sigma[:, None]
    b = y / sigma
    if np.linalg.matrix_rank(a) < k:
        raise CatcodeError(f"the points do not determine the fit of the rate on {', '.join(features)} (degenerate design)")
    coef, *_ = np.linalg.lstsq(a, b, rcond=None)
    cov = np.linalg.inv(a.T @ a)
    resid = a @ coef - b
    chi2 = float(resid @ resid)
    dof = n - k
    if dof > 0 and chi2 / dof > 1.0:
        cov = cov * (chi2 / dof)
    return LinearFit(
        tuple(features), tuple(float(c) for c in coef), tuple(tuple(float(v) for v in r) for r in cov), chi2, dof, n, log,
    )


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
                phase[n] = fit_linear([(1.0, _h(d)) for d, _ in xs], [e for _, e in xs], z=z, features=("1", "h"))
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
            bit_global = fit_linear(glob_rows, glob_est, z=z, features=("1", "ln_d", "nbar"))
        for n in nbars:
            if n in phase and n not in bit and bit_global is None:
                excluded[n] = "no resolved bit-flip points and no global bit-flip fit"
        return cls(phase, bit, bit_global, excluded, z)

    def candidates(self, d_max: int) -> list[Candidate]:
        """Every (odd d in [3, d_max], nbar) with its predicted phase, bit and total rates."""
        out = []
        for n in self.nbars:
            for d in range(3, d_max + 1, 2):
                ph, bt = self.phase_rate(d, n), self.bit_rate(d, n)
                out.append(Candidate(d, n, repetition_qubits(d), ph, bt, _mean_of(ph, bt)))
        return out


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

    def candidates(self, d_max: int) -> list[Candidate]:
        out = []
        for d in range(3, d_max + 1, 2):
            x, zz = self.rates(d)
            out.append(Candidate(d, None, surface_qubits(d), x, zz, _mean_of(x, zz)))
        return out


# =============================================================================================
# The search (pure: candidates in, requirement out)
# =============================================================================================


@dataclasses.dataclass(frozen=True)
class Candidate:
    """One configuration with its rates: ``phase`` is the X memory, ``bit`` the Z memory, ``total`` their mean."""

    d: int
    nbar: float | None
    qubits: int
    phase: Estimate
    bit: Estimate
    total: Estimate


@dataclasses.dataclass(frozen=True)
class Requirement:
    """The fewest qubits one architecture needs for a target logical error per cycle.

    ``qubits`` uses the central prediction; ``qubits_low``/``qubits_high`` the optimistic and
    pessimistic band edges (``None`` when even that edge misses the target). ``rate`` is the
    prediction at the chosen configuration, ``checked`` a direct estimate of it (sampled or rare)
    when one was made. ``reason`` explains an unreachable target; ``note`` what the check did.
    """

    architecture: str
    target: float
    reachable: bool
    d: int | None = None
    nbar: float | None = None
    qubits: int | None = None
    qubits_low: int | None = None
    qubits_high: int | None = None
    rate: Estimate = NO_ESTIMATE
    checked: Estimate | None = None
    reason: str = ""
    note: str = ""


def _best_key(c: Candidate) -> tuple:
    return (c.qubits, c.total.best, -1.0 if c.nbar is None else c.nbar)


def find_requirement(candidates: Sequence[Candidate], target: float, *, architecture: str, d_max: int | None = None) -> Requirement:
    """The fewest-qubit candidate whose predicted total meets ``target``, or why none does.

    Answer: among candidates with ``total.best <= target``, the fewest qubits; ties go to the lowest
    predicted total (the most margin), then the lowest nbar. ``qubits_low``/``qubits_high``: the same
    with ``total.low`` / ``total.high`` in place of ``total.best``.

    When no candidate qualifies, ``reason`` names the obstacle (docs/physics.md §5-6). For the cat code:
    the *bit-flip floor* (the Z memory's part ``eps_Z / 2`` alone reaches the target already at the
    smallest distance, even at the nbar where bit flips are rarest; it only grows with d); phase
    flips that fall with d at no nbar (above threshold); otherwise the best trade-off (the lowest
    total over all candidates) with its phase and bit parts: phase-dominated at ``d_max`` (raise
    it), or bit flips that grow with d faster than phase flips fall. For the surface code: above
    threshold or ``d > d_max``.

    >>> e = lambda r: Estimate(r, r / 2, r * 2, "fit")
    >>> cands = [Candidate(d, 4.0, 2 * d - 1, e(10.0 ** -d), e(1e-9 * d), e((10.0 ** -d + 1e-9 * d) / 2))
    ...          for d in (3, 5, 7, 9)]
    >>> find_requirement(cands, 1e-6, architecture="repetition").d
    7
    >>> print(find_requirement(cands, 1e-9, architecture="repetition").reason)  # doctest: +ELLIPSIS
    bit-flip floor: ...
    """
    require_choice("architecture", architecture, ARCHITECTURES)
    target = require_probability("target", target, maximum=0.5)
    if not target > 0:
        raise CatcodeError(f"target must be a logical error per cycle in (0, 0.5]; got {target!r}")
    cands = [c for c in candidates if c.total.resolved or c.total.best > 0]
    if not cands:
        return Requirement(architecture, target, False, reason="no candidate configurations (no fitted model)")

    def pick(attr: str) -> Candidate | None:
        ok = [c for c in cands if getattr(c.total, attr) <= target]
        return min(ok, key=lambda c: (c.qubits, getattr(c.total, attr), -1.0 if c.nbar is None else c.nbar)) if ok else None

    best, low, high = pick("best"), pick("low"), pick("high")
    if best is None:
        return Requirement(
            architecture, target, False,
            qubits_low=low.qubits if low else None, qubits_high=None,
            reason=_unreachable_reason(cands, target, architecture, d_max),
        )
    return Requirement(
        architecture, target, True, d=best.d, nbar=best.nbar, qubits=best.qubits,
        qubits_low=low.qubits if low else None, qubits_high=high.qubits if high else None, rate=best.total,
    )


def _unreachable_reason(cands: Sequence[Candidate], target: float, architecture: str, d_max: int | None) -> str:
    ds = sorted({c.d for c in cands})
    d_lo, d_hi = ds[0], (d_max if d_max is not None else ds[-1])
    by_key: dict[float | None, list[Candidate]] = {}
    for c in cands:
        by_key.setdefault(c.nbar, []).append(c)
    for group in by_key.values():
        group.sort(key=lambda c: c.d)

    if architecture == "surface":
        g = by_key[None]
        if g[-1].total.best >= g[0].total.best:
            return (f"above threshold: the logical error does not fall with distance under this noise "
                    f"({g[0].total.best:.2g} at d={g[0].d}, {g[-1].total.best:.2g} at d={g[-1].d})")
        return (f"needs d > d_max = {d_hi}: the fit predicts {g[-1].total.best:.2g} per cycle at d={g[-1].d} "
                f"({g[-1].qubits} qubits); raise --d_max")

    # Cat repetition code.
    floor = min(by_key.values(), key=lambda g: g[0].bit.best)
    floor_nbar, floor_bit = floor[0].nbar, floor[0].bit.best / 2.0
    nbar_max = max(n for n in by_key if n is not None)
    if floor_bit >= target:
        where = "at the largest nbar" if floor_nbar == nbar_max else "at the best nbar"
        return (f"bit-flip floor: {where} ({floor_nbar:g}) the bit-flip part alone, eps_Z/2 = {floor_bit:.2g} per cycle "
                f"at d={d_lo} (it grows with d), is above the target {target:.2g}; bit flips must fall further "
                f"(larger nbar or a better bit-flip time)")
    falling = {n: g for n, g in by_key.items() if g[-1].phase.best < g[0].phase.best}
    if not falling:
        return (f"phase flips are not suppressed by distance at any nbar in [{min(by_key):g}, {nbar_max:g}] "
                f"(repetition code above threshold: Λ <= 1)")
    best = min(cands, key=lambda c: c.total.best)
    ph, bt = best.phase.best / 2.0, best.bit.best / 2.0
    where = f"{best.total.best:.2g} per cycle at d={best.d}, nbar={best.nbar:g} (phase part {ph:.2g}, bit part {bt:.2g})"
    if best.d >= d_hi and ph >= bt:
        return (f"the phase part cannot be pushed down far enough with d <= {d_hi}: the lowest total is {where}; "
                f"target {target:.2g} (raise --d_max)")
    return (f"bit flips grow with d: the lowest total is {where}; a larger d adds more bit flips than it removes "
            f"phase flips, and a larger nbar adds phase flips faster than it removes bit flips; target {target:.2g}")


# =============================================================================================
# Results
# =============================================================================================


@dataclasses.dataclass(frozen=True)
class MemoryEstimate:
    """Both memories of one architecture at one distance, and their mean (logical error per cycle)."""

    architecture: str
    d: int
    qubits: int
    rounds: int
    noise: str
    params: Mapping[str, Any]
    x: Estimate
    z: Estimate
    total: Estimate


@dataclasses.dataclass(frozen=True)
class DistanceComparison:
    """:func:`compare_at_distance`'s answer: the two architectures at one distance."""

    d: int
    repetition: MemoryEstimate
    surface: MemoryEstimate
    boundary: str
    max_likelihood_factor: float

    @property
    def reduction_percent(self) -> float:
        """Qubit saving of the cat code, ``100 (1 - (2d - 1)/(2d^2 - 1))``."""
        return reduction_percent(self.repetition.qubits, self.surface.qubits)

    def table(self) -> str:
        return format_comparison(self)

    def rows(self) -> list[dict[str, Any]]:
        """CSV rows (see :data:`CSV_FIELDS`), one per architecture."""
        out = []
        for m in (self.repetition, self.surface):
            out.append(_row(
                mode="distance", target=None, architecture=m.architecture, d=m.d,
                nbar=m.params.get("nbar") if m.architecture == "repetition" else None, qubits=m.qubits,
                qubits_low=m.qubits, qubits_high=m.qubits, rate=m.total, x=m.x, z=m.z, reachable=True, reason="",
                reduction=self.reduction_percent if m.architecture == "repetition" else None,
                noise=m.noise, params=m.params, rounds=m.rounds, boundary=self.boundary,
            ))
        return out


@dataclasses.dataclass(frozen=True)
class TargetRow:
    """Both architectures' requirements for one target."""

    target: float
    repetition: Requirement
    surface: Requirement

    @property
    def reduction_percent(self) -> float | None:
        """``100 (1 - cat_qubits / surface_qubits)`` when both reach the target."""
        if self.repetition.qubits is None or self.surface.qubits is None:
            return None
        return reduction_percent(self.repetition.qubits, self.surface.qubits)

    @property
    def reduction_range(self) -> tuple[float | None, float | None]:
        """Reduction with the pessimistic cat / optimistic surface edges, and the reverse."""
        r, s = self.repetition, self.surface
        lo = reduction_percent(r.qubits_high, s.qubits_low) if r.qubits_high and s.qubits_low else None
        hi = reduction_percent(r.qubits_low, s.qubits_high) if r.qubits_low and s.qubits_high else None
        return lo, hi


@dataclasses.dataclass(frozen=True)
class OverheadStudy:
    """:func:`qubits_for_target`'s answer: per-target requirements, the fits and the simulated points."""

    rows: tuple[TargetRow, ...]
    repetition_model: RepetitionModel
    surface_model: SurfaceModel
    cat_points: Mapping[tuple[int, float, str], Estimate]
    surface_points: Mapping[tuple[int, str], Estimate]
    cat_noise: str
    cat_params: Mapping[str, Any]
    surface_noise: str
    surface_params: Mapping[str, Any]
    d_max: int
    rounds: int | None
    boundary: str
    max_likelihood_factor: float

    def curve(self, targets: Iterable[float]) -> list[TargetRow]:
        """Fit-only requirements (no direct checks) at many targets, e.g. for a smooth plot."""
        rep = self.repetition_model.candidates(self.d_max)
        surf = self.surface_model.candidates(self.d_max)
        return [
            TargetRow(t, find_requirement(rep, t, architecture="repetition", d_max=self.d_max),
                      find_requirement(surf, t, architecture="surface", d_max=self.d_max))
            for t in targets
        ]

    def table(self) -> str:
        return format_study(self)

    def rows_for_csv(self) -> list[dict[str, Any]]:
        out = []
        for row in self.rows:
            for req, noise, params in ((row.repetition, self.cat_noise, self.cat_params), (row.surface, self.surface_noise, self.surface_params)):
                out.append(_row(
                    mode="target", target=row.target, architecture=req.architecture, d=req.d, nbar=req.nbar,
                    qubits=req.qubits, qubits_low=req.qubits_low, qubits_high=req.qubits_high,
                    rate=req.checked if req.checked is not None else req.rate, x=None, z=None,
                    reachable=req.reachable, reason=req.reason or req.note,
                    reduction=row.reduction_percent if req.architecture == "repetition" else None,
                    noise=noise, params=params, rounds=self.rounds, boundary=self.boundary,
                ))
        return out


# =============================================================================================
# Library calls
# =============================================================================================


def _noise_spec(noise: str | NoiseModel, params: Mapping[str, Any] | None, what: str) -> tuple[str, dict[str, Any]]:
    from catcode.noise import PRESETS, NoiseModel

    if isinstance(noise, NoiseModel):
        name, merged = noise.name, dict(noise.params)
    elif isinstance(noise, str):
        require_choice(what, noise, sorted(PRESETS))
        name, merged = noise, {}
    else:
        raise CatcodeError(f"{what} must be a preset name ({', '.join(sorted(PRESETS))}) or a NoiseModel; got {noise!r}")
    merged.update(dict(params or {}))
    return name, merged


def _surface_spec(noise: str | NoiseModel, params: Mapping[str, Any] | None) -> tuple[str, dict[str, Any]]:
    name, merged = _noise_spec(noise, params, "surface_noise")
    if params is None and name in ("si1000", "depolarizing") and "p" not in merged:
        merged["p"] = DEFAULT_SURFACE_P
    return name, merged


def _validate_model(name: str, params: Mapping[str, Any], what: str) -> dict[str, Any]:
    """Build the preset once (fail fast on bad parameters); returns its canonical parameters."""
    from catcode.noise import preset

    try:
        model = preset(name, **params)
    except CatcodeError as exc:
        raise CatcodeError(f"{what}: {exc}") from None
    return dict(model.params)


def _ancilla(cat_noise: str, cat_ancilla: str | None) -> str:
    if cat_ancilla is None:
        return "cat" if cat_noise == "cat_cat" else "transmon"
    require_choice("cat_ancilla", cat_ancilla, ("transmon", "cat"))
    return cat_ancilla


def _frozen(params: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted(params.items()))


def _rounds_for(rounds: int | None, d: int) -> int:
    return d if rounds is None else rounds


def compare_at_distance(
    d: int,
    *,
    cat_noise: str | NoiseModel = "ocelot",
    cat_params: Mapping[str, Any] | None = None,
    surface_noise: str | NoiseModel = "si1000",
    surface_params: Mapping[str, Any] | None = None,
    cat_ancilla: str | None = None,
    rounds: int | None = None,
    boundary: str = "ideal",
    max_shots: int = 1_000_000,
    max_errors: int = 1000,
    min_errors: int = 10,
    rare: bool = True,
    rare_seconds: float = 30.0,
    rare_max_shots: int = 20_000_000,
    num_workers: int = 2,
    max_likelihood_factor: float = 1e3,
    seed: int | None = None,
    progress: ProgressFn | None = None,
) -> DistanceComparison:
    """Qubits and simulated logical error per cycle of both architectures at distance ``d``.

    Repetition code: ``Layout.chain(d)`` (transmon ancillas; cat ancillas for ``cat_noise="cat_cat"``
    unless ``cat_ancilla`` says otherwise), ``2d - 1`` qubits. Surface code:
    ``Layout.rotated_surface(d)``, ``2d^2 - 1`` qubits. Each is compiled into X- and Z-basis memories
    of ``rounds`` rounds (default ``d``), sampled with sinter (``max_shots``, ``max_errors``);
    memories with fewer than ``min_errors`` errors are estimated with the rare-event estimator when
    ``rare`` is on and :mod:`catcode.rare` is installed. Noise: a preset name plus parameters, or a
    :class:`~catcode.noise.NoiseModel` (its name and parameters are used). ``surface_params=None``
    means ``p = 1e-3`` for ``si1000`` and ``depolarizing`` (:data:`DEFAULT_SURFACE_P`).

    ``boundary="ideal"`` (default) removes preparation and final-readout noise so per-round rates
    are bulk rates per cycle (module docstring); ``"noisy"`` keeps them.

    Example (tiny, fast; real studies use far more shots):

    >>> cmp = compare_at_distance(3, cat_noise="cat_cat", cat_params={"nbar": 4, "k1_over_k2": 1e-3},
    ...                           surface_noise="depolarizing", surface_params={"p": 5e-3},
    ...                           max_shots=2000, max_errors=50, rare=False, num_workers=1)
    >>> cmp.repetition.qubits, cmp.surface.qubits
    (5, 17)
    """
    require_int_at_least("d", d, 2)
    require_choice("boundary", boundary, BOUNDARIES)
    if rounds is not None:
        require_int_at_least("rounds", rounds, 1)
    opts = _options(max_shots=max_shots, max_errors=max_errors, min_errors=min_errors, num_workers=num_workers, rare=rare,
                    rare_seconds=rare_seconds, rare_max_shots=rare_max_shots, max_likelihood_factor=max_likelihood_factor,
                    seed=seed, progress=progress)
    cat_name, cat_p = _noise_spec(cat_noise, cat_params, "cat_noise")
    surf_name, surf_p = _surface_spec(surface_noise, surface_params)
    cat_p = _validate_model(cat_name, cat_p, "cat noise")
    surf_p = _validate_model(surf_name, surf_p, "surface noise")
    ancilla = _ancilla(cat_name, cat_ancilla)
    r = _rounds_for(rounds, d)
    mems = {
        (arch, b): _Memory(arch, d, b, name, _frozen(params), ancilla, r, boundary)
        for arch, name, params in (("repetition", cat_name, cat_p), ("surface", surf_name, surf_p))
        for b in "XZ"
    }
    opts.say(f"d={d}: repetition code {cat_name}({_fmt_params(cat_p)}) vs surface code {surf_name}({_fmt_params(surf_p)})")
    sampled = _sample(list(mems.values()), opts)
    results: dict[str, MemoryEstimate] = {}
    for k, (arch, name, params) in enumerate((("repetition", cat_name, cat_p), ("surface", surf_name, surf_p))):
        parts: dict[str, Estimate] = {}
        rates: dict[str, analysis.ErrorRate | None] = {}
        for j, b in enumerate("XZ"):
            m = mems[(arch, b)]
            est, rate = sampled[m]
            if est.errors < opts.min_errors and opts.rare:
                rr = _rare(m, opts, 2 * k + j)
                if rr is not None:
                    est, rate = dataclasses.replace(rr, shots=rr.shots + est.shots), None
            parts[b], rates[b] = est, rate
        if rates["X"] is not None and rates["Z"] is not None:
            tot = analysis.total_error_rate(rates["X"], rates["Z"])  # profile-likelihood band
            total = Estimate(tot.best, tot.low, tot.high, "sampled", tot.shots, tot.errors)
        else:
            total = _mean_of(parts["X"], parts["Z"])
        results[arch] = MemoryEstimate(arch, d, _qubits(arch, d), r, name, dict(params), parts["X"], parts["Z"], total)
    return DistanceComparison(d, results["repetition"], results["surface"], boundary, opts.max_likelihood_factor)


def qubits_for_target(
    targets: Sequence[float],
    *,
    cat_noise: str | NoiseModel = "ocelot",
    cat_params: Mapping[str, Any] | None = None,
    surface_noise: str | NoiseModel = "si1000",
    surface_params: Mapping[str, Any] | None = None,
    nbar_values: Sequence[float] = DEFAULT_NBAR_VALUES,
    cat_distances: Sequence[int] = (3, 5, 7),
    surface_distances: Sequence[int] = (3, 5, 7),
    d_max: int = 101,
    cat_ancilla: str | None = None,
    rounds: int | None = None,
    boundary: str = "ideal",
    max_shots: int = 1_000_000,
    max_errors: int = 1000,
    min_errors: int = 10,
    rare: bool = True,
    rare_seconds: float = 30.0,
    rare_max_shots: int = 20_000_000,
    check: bool = True,
    max_checks: int = 3,
    num_workers: int = 2,
    max_likelihood_factor: float = 1e3,
    seed: int | None = None,
    progress: ProgressFn | None = None,
) -> OverheadStudy:
    """The fewest qubits each architecture needs for each target logical error per cycle.

    See the module docstring for the method (grid sampling, fits, search over odd ``d <= d_max`` and
    the grid's ``nbar_values``, direct checks). ``cat_params`` must not contain ``nbar`` (it is
    scanned). Other arguments as in :func:`compare_at_distance`; ``check=False`` skips the direct
    checks (fits only), ``max_checks`` bounds them per architecture and target.
    """
    targets = [require_probability("target", t, maximum=0.5) for t in targets]
    if not targets or any(t <= 0 for t in targets):
        raise CatcodeError(f"targets must be one or more logical error rates per cycle in (0, 0.5]; got {list(targets)}")
    require_choice("boundary", boundary, BOUNDARIES)
    require_int_at_least("d_max", d_max, 3)
    require_int_at_least("max_checks", max_checks, 1)
    if rounds is not None:
        require_int_at_least("rounds", rounds, 1)
    nbars = sorted({require_positive("nbar", n) for n in nbar_values})
    if len(nbars) < 1:
        raise CatcodeError("nbar_values must hold at least one positive mean photon number")
    for name, ds in (("cat_distances", cat_distances), ("surface_distances", surface_distances)):
        ds = list(ds)
        for d in ds:
            require_int_at_least(name, d, 2)
        if len(set(ds)) < 2:
            raise CatcodeError(f"{name} needs >= 2 different distances to fit the decay with d; got {ds}")
    opts = _options(max_shots=max_shots, max_errors=max_errors, min_errors=min_errors, num_workers=num_workers, rare=rare,
                    rare_seconds=rare_seconds, rare_max_shots=rare_max_shots, max_likelihood_factor=max_likelihood_factor,
                    seed=seed, progress=progress)
    cat_name, cat_p = _noise_spec(cat_noise, cat_params, "cat_noise")
    if cat_params is not None and "nbar" in cat_params:
        raise CatcodeError(f"cat_params must not set nbar (it is scanned over nbar_values); got nbar={cat_params['nbar']!r}")
    cat_p.pop("nbar", None)  # a NoiseModel's own nbar is replaced by the scan
    surf_name, surf_p = _surface_spec(surface_noise, surface_params)
    for n in (nbars[0], nbars[-1]):
        _validate_model(cat_name, {**cat_p, "nbar": n}, "cat noise")
    surf_p = _validate_model(surf_name, surf_p, "surface noise")
    ancilla = _ancilla(cat_name, cat_ancilla)

    def cat_memory(d: int, n: float, b: str) -> _Memory:
        return _Memory("repetition", d, b, cat_name, _frozen({**cat_p, "nbar": n}), ancilla, _rounds_for(rounds, d), boundary)

    def surf_memory(d: int, b: str) -> _Memory:
        return _Memory("surface", d, b, surf_name, _frozen(surf_p), "transmon", _rounds_for(rounds, d), boundary)

    opts.say(f"grid: repetition code {cat_name}({_fmt_params(cat_p)}) at d in {sorted(set(cat_distances))}, nbar in "
             f"{[f'{n:g}' for n in nbars]}; surface code {surf_name}({_fmt_params(surf_p)}) at d in {sorted(set(surface_distances))}")
    cat_keys = [(d, n, b) for d in sorted(set(cat_distances)) for n in nbars for b in "XZ"]
    surf_keys = [(d, b) for d in sorted(set(surface_distances)) for b in "XZ"]
    mems = [cat_memory(*k) for k in cat_keys] + [surf_memory(*k) for k in surf_keys]
    est = _estimate(mems, opts)
    cat_points = {k: est[cat_memory(*k)] for k in cat_keys}
    surf_points = {k: est[surf_memory(*k)] for k in surf_keys}

    rep_model = RepetitionModel.from_points(cat_points, z=opts.z)
    if not rep_model.nbars:
        raise CatcodeError(
            "no nbar has enough resolved points to fit the repetition code (phase flips need errors at >= 2 distances): "
            + "; ".join(f"nbar={n:g}: {why}" for n, why in sorted(rep_model.excluded.items()))
            + ". Raise --max_shots or enable the rare estimator"
        )
    surf_model = SurfaceModel.from_points(surf_points, z=opts.z)
    for n, why in sorted(rep_model.excluded.items()):
        opts.say(f"  nbar={n:g} left out of the search: {why}")
    rep_cands = rep_model.candidates(d_max)
    surf_cands = surf_model.candidates(d_max)
    def lowest_total(pairs: Iterable[tuple[Estimate, Estimate]]) -> float:
        return min(((x.best + zz.best) / 2 for x, zz in pairs if x.resolved and zz.resolved), default=math.inf)

    simulated_min = {  # the lowest directly estimated total: below it the answer is an extrapolation
        "repetition": lowest_total((cat_points[(d, n, "X")], cat_points[(d, n, "Z")]) for d, n, b in cat_keys if b == "X"),
        "surface": lowest_total((surf_points[(d, "X")], surf_points[(d, "Z")]) for d, b in surf_keys if b == "X"),
    }
    rows = []
    for t in targets:
        reqs = {}
        for arch, cands, make in (
            ("repetition", rep_cands, lambda c: [cat_memory(c.d, c.nbar, b) for b in "XZ"]),
            ("surface", surf_cands, lambda c: [surf_memory(c.d, b) for b in "XZ"]),
        ):
            req = find_requirement(cands, t, architecture=arch, d_max=d_max)
            if check and req.reachable:
                req = _check(req, cands, t, make, opts, max_checks)
            elif req.reachable and t < simulated_min[arch]:
                req = dataclasses.replace(req, note="target below every simulated point: the fit extrapolates (not checked)")
            reqs[arch] = req
        rows.append(TargetRow(t, reqs["repetition"], reqs["surface"]))
    return OverheadStudy(
        tuple(rows), rep_model, surf_model, cat_points, surf_points, cat_name, cat_p, surf_name, surf_p,
        d_max, rounds, boundary, opts.max_likelihood_factor,
    )


def _direct(memories: Sequence[_Memory], predicted: Sequence[Estimate], opts: _Options) -> Estimate | None:
    """Direct estimate of a candidate's total: sinter where reachable, else the rare estimator.

    Memories within sampling reach (predicted per-shot rate x ``max_shots`` >= 3 ``min_errors``) are
    sampled together; the others go to the rare estimator one at a time, stopping at the first
    inconclusive one (rate 0 or no estimator). Returns None when inconclusive, including when a
    part's band spans more than :data:`CHECK_MAX_BAND_RATIO` (such an estimate cannot confirm
    or refute anything).
    """
    far = []
    for m, p in zip(memories, predicted):
        per_shot = analysis.per_shot_error_rate(min(p.best, 0.5), rounds=m.rounds)
        if per_shot * opts.max_shots < 3 * opts.min_errors:
            far.append(m)
    if far and not opts.rare:
        return None
    near = [m for m in memories if m not in far]
    got = _estimate(near, opts) if near else {}
    for k, m in enumerate(far):
        est = _rare(m, opts, 1000 + k)
        if est is None:
            return None
        got[m] = est
    parts = [got[m] for m in memories]
    if not all(p.resolved and p.high <= CHECK_MAX_BAND_RATIO * p.low for p in parts):
        return None
    return _mean_of(parts[0], parts[1])


def _check(req: Requirement, cands: Sequence[Candidate], target: float,
           make: Callable[[Candidate], list[_Memory]], opts: _Options, max_checks: int) -> Requirement:
    """Confirm a fit-based pick by direct estimates, stepping up or down in qubits (see module docstring)."""
    by_q: dict[int, list[Candidate]] = {}
    for c in cands:
        by_q.setdefault(c.qubits, []).append(c)
    qs = sorted(by_q)

    def best_at(q: int, attr: str = "best") -> Candidate:
        return min(by_q[q], key=lambda c: (getattr(c.total, attr), -1.0 if c.nbar is None else c.nbar))

    start = next(c for c in by_q[req.qubits] if c.d == req.d and c.nbar == req.nbar)
    tried = 0
    passed: tuple[Candidate, Estimate] | None = None
    failed_at: tuple[Candidate, Estimate] | None = None
    current: Candidate | None = start
    direction = 0
    while current is not None and tried < max_checks:
        opts.say(f"  checking {current.qubits}-qubit {req.architecture} code (d={current.d}"
                 f"{'' if current.nbar is None else f', nbar={current.nbar:g}'}) against target {target:.2g}")
        got = _direct(make(current), (current.phase, current.bit), opts)
        tried += 1
        if got is None:
            if passed is None and failed_at is None:
                why = ("the rare-event estimate did not resolve the rate within its budget (raise --rare_seconds)"
                       if opts.rare else "below sampling reach and the rare-event estimator is off")
                return dataclasses.replace(req, note=f"direct check inconclusive: {why}; the answer is the fit's")
            break
        if got.best <= target:
            passed = (current, got)
            if direction > 0:
                break
            direction = -1
            i = qs.index(current.qubits)
            lower = [q for q in qs[:i] if best_at(q, "low").total.low <= target]
            current = best_at(lower[-1], "low") if lower else None
        else:
            failed_at = (current, got)
            if direction < 0:
                break
            direction = 1
            i = qs.index(current.qubits)
            current = best_at(qs[i + 1]) if i + 1 < len(qs) else None
    if passed is None:
        c, got = failed_at  # type: ignore[misc]
        return dataclasses.replace(
            req, checked=got,
            note=f"direct estimate at d={c.d} gave {got.best:.2g} > target; {tried} check(s) did not find a passing "
                 f"configuration: answer is the fit's (raise --max_checks)",
        )
    c, got = passed
    note = "confirmed by a direct estimate" if c is start else f"moved from d={start.d} by direct estimates"
    lo = min(x for x in (req.qubits_low, c.qubits) if x is not None)
    hi = max(x for x in (req.qubits_high, c.qubits) if x is not None) if req.qubits_high is not None else None
    return dataclasses.replace(req, d=c.d, nbar=c.nbar, qubits=c.qubits, qubits_low=lo, qubits_high=hi,
                               rate=c.total, checked=got, note=note)


# =============================================================================================
# Output: tables, CSV, plot
# =============================================================================================


def _fmt_params(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in sorted(params.items()))


def _band_label(factor: float) -> str:
    return f"bands: likelihood ratio {factor:g} (≈ ±{_z_of(factor):.1f} sigma)"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(header, widths)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join(lines)


def format_comparison(cmp: DistanceComparison) -> str:
    """The distance-mode table: qubits and per-cycle rates (X memory, Z memory, mean) of both codes."""
    head = [
        f"distance d = {cmp.d}; logical error per cycle = mean of X- and Z-memory per-round rates; "
        f"{cmp.boundary} boundaries; {_band_label(cmp.max_likelihood_factor)}",
    ]
    rows = []
    for m in (cmp.repetition, cmp.surface):
        name = "cat repetition" if m.architecture == "repetition" else "rotated surface"
        rows.append([name, str(m.qubits), f"{m.noise}({_fmt_params(m.params)})", str(m.x), str(m.z), str(m.total),
                     m.total.source, str(m.total.shots)])
    table = _table(["code", "qubits", "noise", "X memory", "Z memory", "per cycle", "source", "shots"], rows)
    tail = f"qubit reduction of the cat code: {cmp.reduction_percent:.1f} % ({cmp.repetition.qubits} vs {cmp.surface.qubits})"
    return "\n".join(head + [table, tail])


def _q(req: Requirement) -> str:
    if not req.reachable:
        return "unreachable" + (f" [{req.qubits_low}, -]" if req.qubits_low is not None else "")
    lo = "-" if req.qubits_low is None else str(req.qubits_low)
    hi = "-" if req.qubits_high is None else str(req.qubits_high)
    return f"{req.qubits} [{lo}, {hi}]"


def format_study(study: OverheadStudy) -> str:
    """The target-mode table plus the fits it rests on and the reasons for unreachable targets."""
    lines = [
        f"cat repetition code: {study.cat_noise}({_fmt_params(study.cat_params)}), nbar in "
        f"{[f'{n:g}' for n in study.repetition_model.nbars]}; rotated surface code: "
        f"{study.surface_noise}({_fmt_params(study.surface_params)}); d <= {study.d_max}, {study.boundary} boundaries",
        f"qubits: best [optimistic, pessimistic] from the fits' {_band_label(study.max_likelihood_factor)}; "
        f"'-': that band edge never meets the target for d <= {study.d_max}; a negative reduction means the cat code "
        f"needs more qubits",
    ]
    rows = []
    for row in study.rows:
        r, s = row.repetition, row.surface
        red = "-" if row.reduction_percent is None else f"{row.reduction_percent:.1f} %"
        rows.append([
            f"{row.target:.0e}", _q(r), "-" if r.d is None else f"d={r.d}, nbar={r.nbar:g}",
            "-" if r.checked is None else str(r.checked), _q(s), "-" if s.d is None else f"d={s.d}",
            "-" if s.checked is None else str(s.checked), red,
        ])
    lines.append(_table(["target", "cat qubits", "cat config", "cat direct", "surface qubits", "surface config",
                         "surface direct", "reduction"], rows))
    notes = []
    for row in study.rows:
        for req in (row.repetition, row.surface):
            text = req.reason or req.note
            if text:
                notes.append(f"  {row.target:.0e} {req.architecture}: {text}")
    if notes:
        lines.append("notes:")
        lines += notes
    m = study.repetition_model
    lines.append("fits:")
    for n in m.nbars:
        ph = m.phase[n]
        lines.append(f"  cat nbar={n:g}: phase-flip Λ = {m.lambda_factor(n):.3g} (ln-slope ± {ph.error(1):.2g}, "
                     f"chi2/dof = {ph.chi2:.1f}/{ph.dof})")
    lines.append("  " + m.bit_law())
    lx, lz = study.surface_model.lambda_factors()
    lines.append(f"  surface: Λ_X = {lx:.3g}, Λ_Z = {lz:.3g}")
    return "\n".join(lines)


#: Columns of the overhead CSV (both modes).
CSV_FIELDS = (
    "mode", "target", "architecture", "d", "nbar", "qubits", "qubits_low", "qubits_high",
    "rate", "rate_low", "rate_high", "rate_source", "x_rate", "z_rate", "reachable", "reduction_percent",
    "noise", "noise_params", "rounds", "boundary", "reason",
)


def _num(v: float | None) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else repr(float(v))


def _row(*, mode: str, target: float | None, architecture: str, d: int | None, nbar: Any, qubits: int | None,
         qubits_low: int | None, qubits_high: int | None, rate: Estimate, x: Estimate | None, z: Estimate | None,
         reachable: bool, reason: str, reduction: float | None, noise: str, params: Mapping[str, Any],
         rounds: int | None, boundary: str) -> dict[str, Any]:
    return {
        "mode": mode, "target": _num(target), "architecture": architecture, "d": "" if d is None else d,
        "nbar": "" if nbar is None else _num(float(nbar)), "qubits": "" if qubits is None else qubits,
        "qubits_low": "" if qubits_low is None else qubits_low, "qubits_high": "" if qubits_high is None else qubits_high,
        "rate": _num(rate.best), "rate_low": _num(rate.low), "rate_high": _num(rate.high),
        "rate_source": "" if rate.source == "none" else rate.source,
        "x_rate": "" if x is None else _num(x.best), "z_rate": "" if z is None else _num(z.best),
        "reachable": str(bool(reachable)).lower(), "reduction_percent": _num(reduction), "noise": noise,
        "noise_params": json.dumps(dict(params), sort_keys=True), "rounds": "d" if rounds is None else rounds,
        "boundary": boundary, "reason": reason,
    }


def write_csv(path: str | os.PathLike[str], rows: Sequence[Mapping[str, Any]]) -> None:
    """Write overhead rows (:data:`CSV_FIELDS`) to ``path`` atomically (temp file + ``os.replace``)."""
    import csv

    from catcode.io import write_atomically

    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(CSV_FIELDS), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: row.get(k, "") for k in CSV_FIELDS})
    write_atomically(path, buf.getvalue())


def plot_overhead(
    studies: OverheadStudy | Sequence[tuple[str, OverheadStudy]],
    *,
    num_targets: int = 60,
    title: str | None = None,
) -> Figure:
    """Qubits against target logical error per cycle, for both architectures.

    Curves are the fits' answers on ``num_targets`` log-spaced targets (solid: central; shaded:
    optimistic to pessimistic band); markers are the study's requested targets (after direct
    checks); a cross on the top edge marks a requested target out of reach (the study's table
    says why). Where a curve stops, smaller targets are out of reach. Pass
    ``[(label, study), ...]`` to overlay several parameter sets (e.g. today's and improved cats);
    the surface curve is drawn once per distinct surface noise.
    """
    import matplotlib.pyplot as plt

    labelled = [("", studies)] if isinstance(studies, OverheadStudy) else list(studies)
    if not labelled:
        raise CatcodeError("plot_overhead needs at least one study")
    all_targets = [row.target for _, s in labelled for row in s.rows]
    lo_t = min(all_targets + [1e-15]) / 3
    hi_t = max(all_targets + [1e-3]) * 3
    grid = np.geomspace(hi_t, lo_t, num_targets)
    fig, ax = plt.subplots(figsize=(9.0, 4.8), layout="constrained")
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    seen_surface: set[str] = set()
    any_lost = False
    for k, (label, study) in enumerate(labelled):
        curve = study.curve(grid)
        series = [("repetition", f"cat repetition {label}".strip(), colors[k % len(colors)], "-", "o")]
        skey = json.dumps([study.surface_noise, dict(study.surface_params)], sort_keys=True, default=str)
        if skey not in seen_surface:
            seen_surface.add(skey)
            series.append(("surface", f"surface {study.surface_noise}({_fmt_params(study.surface_params)})",
                           "0.3" if len(seen_surface) == 1 else colors[(k + 3) % len(colors)], "--", "s"))
        for arch, name, color, style, marker in series:
            reqs = [getattr(r, arch) for r in curve]
            xs = [r.target for r in reqs if r.reachable]
            ys = [r.qubits for r in reqs if r.reachable]
            ax.step(xs, ys, where="post", color=color, linestyle=style, label=name)
            band = [(r.target, r.qubits_low, r.qubits_high) for r in reqs if r.qubits_low is not None]
            if band:
                bx = [b[0] for b in band]
                blo = [b[1] for b in band]
                bhi = [b[2] if b[2] is not None else np.nan for b in band]
                ax.fill_between(bx, blo, bhi, step="post", color=color, alpha=0.15, linewidth=0)
            pts = [getattr(r, arch) for r in study.rows]
            ax.plot([p.target for p in pts if p.reachable], [p.qubits for p in pts if p.reachable],
                    marker=marker, linestyle="none", color=color, markersize=6)
            lost = [p.target for p in pts if not p.reachable]
            if lost:  # along the top edge: x in data, y in axes coordinates
                ax.plot(lost, [0.97 - 0.035 * k] * len(lost), marker="x", linestyle="none", color=color,
                        markersize=8, transform=ax.get_xaxis_transform(), clip_on=False)
                any_lost = True
    if any_lost:
        ax.plot([], [], marker="x", linestyle="none", color="0.3", label="target out of reach (top edge)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.invert_xaxis()
    ax.set_xlabel("target logical error per cycle")
    ax.set_ylabel("physical qubits")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.01, 0.5))
    if title:
        ax.set_title(title)
    return fig


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
