"""The library calls: compare_at_distance and qubits_for_target."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any


from catcode import analysis
from catcode.errors import (
    CatcodeError, require_choice, require_int_at_least, require_positive, require_probability, value_tuple,
)
from catcode.overhead.architectures import DEFAULT_NBAR_VALUES, DEFAULT_SURFACE_P, _qubits
from catcode.overhead.fits import DEFAULT_BIT_D_MAX
from catcode.overhead.rates import Estimate, _mean_of
from catcode.overhead.report import _fmt_params
from catcode.overhead.results import DistanceComparison, MemoryEstimate, OverheadStudy, TargetRow
from catcode.overhead.options import OverheadOptions
from catcode.overhead.sampling import _check, _estimate, _Memory, _rare, _sample
from catcode.overhead.search import find_requirement
from catcode.sampling.main_script import require_rerunnable_main

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


def compare_at_distance(d: int, *, options: OverheadOptions | None = None, **settings: Any) -> DistanceComparison:
    """Qubits and simulated logical error per cycle of both architectures at distance ``d``.

    Settings: :class:`OverheadOptions`, as ``options=`` or as keywords (``max_shots=...``).
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
    opts = OverheadOptions.of(options, settings)
    cat_name, cat_p = _noise_spec(opts.cat_noise, opts.cat_params, "cat_noise")
    surf_name, surf_p = _surface_spec(opts.surface_noise, opts.surface_params)
    cat_p = _validate_model(cat_name, cat_p, "cat noise")
    surf_p = _validate_model(surf_name, surf_p, "surface noise")
    ancilla = _ancilla(cat_name, opts.cat_ancilla)
    r = _rounds_for(opts.rounds, d)
    boundary = opts.boundary
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
    targets: Sequence[float], nbar_values: Sequence[float], grids: Mapping[str, Sequence[int]], *,
    d_max: int, max_checks: int, architectures: Sequence[str], logical_qubits: int,
) -> tuple[list[float], list[float]]:
    """Validate :func:`qubits_for_target`'s grid and search arguments; returns the targets and sorted nbars."""
    from catcode.overhead.architectures import REGISTRY

    targets = [require_probability("target", t, maximum=0.5) for t in targets]
    if not targets or any(t <= 0 for t in targets):
        raise CatcodeError(f"targets must be one or more logical error rates per cycle in (0, 0.5]; got {list(targets)}")
    if not architectures:
        raise CatcodeError(f"architectures must name at least one of {', '.join(REGISTRY)}; got none")
    for a in architectures:
        require_choice("architecture", a, tuple(REGISTRY))
    require_int_at_least("logical_qubits", logical_qubits, 1)
    require_int_at_least("d_max", d_max, 3)
    require_int_at_least("max_checks", max_checks, 1)
    nbars = sorted({require_positive("nbar", n) for n in nbar_values})
    if len(nbars) < 1:
        raise CatcodeError("nbar_values must hold at least one positive mean photon number")
    for name, ds in grids.items():
        ds = list(ds)
        for d in ds:
            require_int_at_least(name, d, 2)
        if len(set(ds)) < 2:
            raise CatcodeError(f"{name} needs >= 2 different distances to fit the decay with d; got {ds}")
    return targets, nbars


def _lowest_simulated(points: Mapping[Any, Estimate], grid_keys: Sequence[tuple[Any, ...]]) -> float:
    """The lowest directly estimated total ``(eps_X + eps_Z)/2``: X and Z points paired by configuration
    when both exist, else the sum of the lowest of each (a lower bound)."""
    by_cfg: dict[tuple[Any, ...], dict[str, Estimate]] = {}
    for key in grid_keys:
        by_cfg.setdefault(tuple(key[:3]), {})[key[3]] = points[key]
    pairs = [(v["X"].best + v["Z"].best) / 2 for v in by_cfg.values()
             if len(v) == 2 and v["X"].resolved and v["Z"].resolved]
    if pairs:
        return min(pairs)
    xs = [v["X"].best for v in by_cfg.values() if "X" in v and v["X"].resolved]
    zs = [v["Z"].best for v in by_cfg.values() if "Z" in v and v["Z"].resolved]
    return (min(xs) + min(zs)) / 2 if xs and zs else math.inf


def qubits_for_target(
    targets: Sequence[float],
    *,
    architectures: Sequence[str] = ("repetition", "surface"),
    logical_qubits: int = 1,
    nbar_values: Sequence[float] = DEFAULT_NBAR_VALUES,
    cat_distances: Sequence[int] = (3, 5, 7),
    bit_distances: Sequence[int] = (2, 3),
    surface_distances: Sequence[int] = (3, 5, 7),
    d_max: int = 101,
    bit_d_max: int = DEFAULT_BIT_D_MAX,
    check: bool = True,
    max_checks: int = 3,
    options: OverheadOptions | None = None,
    **settings: Any,
) -> OverheadStudy:
    """The fewest qubits each architecture needs for each target logical error per cycle.

    ``architectures``: names in :data:`~catcode.overhead.REGISTRY` (``repetition``, ``rectangular``,
    ``surface``, ``ldpc_cat``); each gets its grid sampled (``cat_distances`` x ``nbar_values`` for
    the repetition code; X memories at ``cat_distances`` x ``bit_distances[0]`` and Z memories at
    ``cat_distances[0]`` x ``bit_distances`` for the rectangular code; ``surface_distances`` for the
    surface code; nothing for ``ldpc_cat``, rated by Ruiz et al.'s published fit, which needs
    ``k1_over_k2`` in ``cat_params``), its model fitted and searched over odd ``d <= d_max`` (and
    ``bit_d <= bit_d_max``, ``nbar``). Qubit counts are for ``logical_qubits`` logical qubits.
    See the package docstring for the method. ``cat_params`` must not contain ``nbar`` (it is
    scanned). Noise, memory and sampling settings: :class:`OverheadOptions` (as ``options=`` or as
    keywords); ``check=False`` skips the direct checks (fits only), ``max_checks`` bounds them per
    architecture and target.
    """
    from catcode.overhead.architectures import REGISTRY, Grid

    targets, architectures, nbar_values, cat_distances, bit_distances, surface_distances = (
        value_tuple(name, value, distinct=False, allow_empty=True) for name, value in (
            ("targets", targets), ("architectures", architectures), ("nbar_values", nbar_values),
            ("cat_distances", cat_distances), ("bit_distances", bit_distances), ("surface_distances", surface_distances))
    )  # a single value (or name) stands for a list of one
    archs = [REGISTRY[a] for a in dict.fromkeys(architectures)] if all(a in REGISTRY for a in architectures) else []
    grids = _grids_to_check(archs, cat_distances, bit_distances, surface_distances, bit_d_max)
    opts = OverheadOptions.of(options, settings)
    targets, nbars = _check_search_args(targets, nbar_values, grids, d_max=d_max, max_checks=max_checks,
                                        architectures=list(architectures), logical_qubits=logical_qubits)
    require_rerunnable_main("qubits_for_target()")  # it samples with sinter's worker processes
    rounds, boundary = opts.rounds, opts.boundary
    noises, cat_p, ancilla = _study_noises(archs, opts, nbars)
    memory = _MemoryFactory(noises, ancilla, rounds, boundary)
    grid = Grid(tuple(nbars), tuple(sorted(set(cat_distances))), tuple(sorted(set(bit_distances))),
                tuple(sorted(set(surface_distances))))
    keys, mems, est = _sample_grid(archs, grid, memory, opts)
    points = {a.name: {a.key(k): est[m] for k, m in mems[a.name].items()} for a in archs}
    models = _fit_models(archs, points, cat_p, opts)
    limits = dict(logical=logical_qubits, bit_d_max=bit_d_max)
    cands = {a: m.candidates(d_max, **limits) for a, m in models.items()}
    simulated_min = {a.name: _lowest_simulated({k: est[m] for k, m in mems[a.name].items()}, keys[a.name]) for a in archs}
    rows = [TargetRow(t, {a.name: _requirement(a, t, cands[a.name], bool(keys[a.name]), simulated_min[a.name], memory,
                                               d_max=d_max, check=check, max_checks=max_checks, opts=opts)
                          for a in archs})
            for t in targets]
    return OverheadStudy(tuple(rows), models, points, noises, d_max, rounds, boundary, opts.max_likelihood_factor,
                         logical_qubits, bit_d_max)


def _grids_to_check(archs: Sequence[Any], cat_distances: Sequence[int], bit_distances: Sequence[int],
                    surface_distances: Sequence[int], bit_d_max: int) -> dict[str, Sequence[int]]:
    """The distance grids the chosen architectures sample, by parameter name (``bit_d_max`` checked here)."""
    grids = {"cat_distances": cat_distances} if any(a.noise_role == "cat" and a.fit is not None and a.name != "ldpc_cat"
                                                   for a in archs) else {}
    if any(a.name == "rectangular" for a in archs):
        grids["bit_distances"] = bit_distances
        require_int_at_least("bit_d_max", bit_d_max, 2)
    if any(a.noise_role == "surface" for a in archs):
        grids["surface_distances"] = surface_distances
    return grids


def _study_noises(archs: Sequence[Any], opts: OverheadOptions,
                  nbars: Sequence[float]) -> tuple[dict[str, tuple[str, dict[str, Any]]], dict[str, Any], str]:
    """``(noise per architecture, cat parameters without nbar, cat ancilla kind)``, every model checked."""
    cat_params = opts.cat_params
    cat_name, cat_p = _noise_spec(opts.cat_noise, cat_params, "cat_noise")
    if cat_params is not None and "nbar" in cat_params:
        raise CatcodeError(f"cat_params must not set nbar (it is scanned over nbar_values); got nbar={cat_params['nbar']!r}")
    cat_p.pop("nbar", None)  # a NoiseModel's own nbar is replaced by the scan
    surf_name, surf_p = _surface_spec(opts.surface_noise, opts.surface_params)
    if any(a.noise_role == "cat" for a in archs):
        for n in (nbars[0], nbars[-1]):
            _validate_model(cat_name, {**cat_p, "nbar": n}, "cat noise")
    if any(a.noise_role == "surface" for a in archs):
        surf_p = _validate_model(surf_name, surf_p, "surface noise")
    ancilla = _ancilla(cat_name, opts.cat_ancilla)
    noises = {a.name: (cat_name, dict(cat_p)) if a.noise_role == "cat" else (surf_name, dict(surf_p)) for a in archs}
    return noises, cat_p, ancilla


@dataclasses.dataclass(frozen=True)
class _MemoryFactory:
    """Builds the :class:`_Memory` of an architecture at a configuration, with the study's noise and rounds."""

    noises: Mapping[str, tuple[str, dict[str, Any]]]
    ancilla: str
    rounds: int | None
    boundary: Any

    def __call__(self, arch: str, d: int, bit_d: int | None, nbar: float | None, basis: str) -> _Memory:
        from catcode.overhead.architectures import REGISTRY

        name, params = self.noises[arch]
        params = params if nbar is None else {**params, "nbar": nbar}
        r = _rounds_for(self.rounds, max(d, bit_d or 0))
        kind = self.ancilla if REGISTRY[arch].noise_role == "cat" else "transmon"
        return _Memory(arch, d, basis, name, _frozen(params), kind, r, self.boundary, bit_d)

    def for_candidate(self, arch: str, c: Any) -> list[_Memory]:
        """The X and Z memories of a search candidate."""
        return [self(arch, c.d, dict(c.extra).get("bit_d"), c.nbar, b) for b in "XZ"]


def _sample_grid(archs: Sequence[Any], grid: Any, memory: _MemoryFactory,
                 opts: OverheadOptions) -> tuple[dict[str, Any], dict[str, dict[Any, _Memory]], Mapping[_Memory, Estimate]]:
    """``(grid keys, memories, estimates)``: every architecture's grid estimated in one sampling run."""
    keys = {a.name: a.grid(grid) for a in archs}
    mems = {a: {k: memory(a, *k) for k in ks} for a, ks in keys.items()}
    for a in archs:
        if keys[a.name]:
            name, params = memory.noises[a.name]
            opts.say(f"grid: {a.title} {name}({_fmt_params(params)}): {len(keys[a.name])} memories")
    est = _estimate([m for ms in mems.values() for m in ms.values()], opts)
    return keys, mems, est


def _fit_models(archs: Sequence[Any], points: Mapping[str, Mapping[Any, Estimate]], cat_p: Mapping[str, Any],
                opts: OverheadOptions) -> dict[str, Any]:
    """Each architecture's fitted model; CatcodeError when no nbar has enough resolved points."""
    models = {}
    for a in archs:
        models[a.name] = a.fit(points[a.name], z=opts.z, cat_params=cat_p)  # type: ignore[misc]
        if not getattr(models[a.name], "nbars", (None,)):
            raise CatcodeError(
                f"no nbar has enough resolved points to fit the {a.title} code: "
                + "; ".join(f"nbar={n:g}: {why}" for n, why in sorted(models[a.name].excluded.items()))
                + ". Raise --max_shots or enable the rare estimator"
            )
        for n, why in sorted(getattr(models[a.name], "excluded", {}).items()):
            opts.say(f"  {a.name}: nbar={n:g} left out of the search: {why}")
    return models


def _requirement(arch: Any, target: float, cands: Any, sampled: bool, simulated_min: float,
                 memory: _MemoryFactory, *, d_max: int, check: bool, max_checks: int, opts: OverheadOptions) -> Any:
    """The fewest-qubit candidate of ``arch`` for ``target``, checked directly or annotated."""
    req = find_requirement(cands, target, architecture=arch.name, d_max=d_max)
    if not sampled:
        if req.reachable:
            req = dataclasses.replace(req, note="published fit, not sampled (no direct check)")
    elif check and req.reachable:
        req = _check(req, cands, target, lambda c: memory.for_candidate(arch.name, c), opts, max_checks)
    elif req.reachable and target < simulated_min:
        req = dataclasses.replace(req, note="target below every simulated point: the fit extrapolates (not checked)")
    return req
