"""The library calls: compare_at_distance and qubits_for_target."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any


from catcode import analysis
from catcode.errors import CatcodeError, require_choice, require_int_at_least, require_positive, require_probability
from catcode.noise.boundary import BOUNDARIES
from catcode.overhead.architectures import DEFAULT_NBAR_VALUES, DEFAULT_SURFACE_P, _qubits
from catcode.overhead.fits import RepetitionModel, SurfaceModel
from catcode.overhead.rates import Estimate, ProgressFn, _mean_of
from catcode.overhead.report import _fmt_params
from catcode.overhead.results import DistanceComparison, MemoryEstimate, OverheadStudy, TargetRow
from catcode.overhead.sampling import _check, _estimate, _Memory, _options, _rare, _sample
from catcode.overhead.search import find_requirement

if TYPE_CHECKING:

    from catcode.noise import NoiseModel

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


def _check_search_args(
    targets: Sequence[float], nbar_values: Sequence[float], cat_distances: Sequence[int],
    surface_distances: Sequence[int], *, boundary: str, d_max: int, max_checks: int, rounds: int | None,
) -> tuple[list[float], list[float]]:
    """Validate :func:`qubits_for_target`'s grid and search arguments; returns the targets and sorted nbars."""
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
    return targets, nbars


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
    targets, nbars = _check_search_args(targets, nbar_values, cat_distances, surface_distances, boundary=boundary,
                                        d_max=d_max, max_checks=max_checks, rounds=rounds)
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

