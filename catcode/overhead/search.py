"""The pure target search: candidates in, requirement out."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence


from catcode.errors import CatcodeError, require_choice, require_probability
from catcode.overhead.architectures import REGISTRY
from catcode.overhead.rates import NO_ESTIMATE, Estimate

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
    #: Further configuration keys of the architecture, e.g. ``(("bit_d", 3),)`` for a rectangular code.
    extra: tuple[tuple[str, object], ...] = ()

    @property
    def config(self) -> str:
        """The configuration as text, e.g. ``"d=5, bit_d=3, nbar=4"``."""
        return config_text(self.d, self.nbar, self.extra)


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
    extra: tuple[tuple[str, object], ...] = ()

    @property
    def config(self) -> str:
        """The chosen configuration as text (``"-"`` when out of reach)."""
        return "-" if self.d is None else config_text(self.d, self.nbar, self.extra)


def config_text(d: int, nbar: float | None, extra: Sequence[tuple[str, object]] = ()) -> str:
    """``d=5, bit_d=3, nbar=4``: the one formatter of a configuration.

    >>> config_text(5, 4.0, (("bit_d", 3),))
    'd=5, bit_d=3, nbar=4'
    """
    parts = [f"d={d}"] + [f"{k}={v}" for k, v in extra] + ([] if nbar is None else [f"nbar={nbar:g}"])
    return ", ".join(parts)



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
    require_choice("architecture", architecture, tuple(REGISTRY))
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
            reason=REGISTRY[architecture].explain(cands, target, d_max),
        )
    return Requirement(
        architecture, target, True, d=best.d, nbar=best.nbar, qubits=best.qubits,
        qubits_low=low.qubits if low else None, qubits_high=high.qubits if high else None, rate=best.total,
        extra=best.extra,
    )


def _groups(cands: Sequence[Candidate], d_max: int | None) -> tuple[int, int, dict[float | None, list[Candidate]]]:
    ds = sorted({c.d for c in cands})
    d_lo, d_hi = ds[0], (d_max if d_max is not None else ds[-1])
    by_key: dict[float | None, list[Candidate]] = {}
    for c in cands:
        by_key.setdefault(c.nbar, []).append(c)
    for group in by_key.values():
        group.sort(key=lambda c: c.d)
    return d_lo, d_hi, by_key


def surface_reason(cands: Sequence[Candidate], target: float, d_max: int | None) -> str:
    """Why no surface-code candidate reaches ``target``: above threshold, or ``d > d_max``."""
    _, d_hi, by_key = _groups(cands, d_max)
    g = by_key[None]
    if g[-1].total.best >= g[0].total.best:
        return (f"above threshold: the logical error does not fall with distance under this noise "
                f"({g[0].total.best:.2g} at d={g[0].d}, {g[-1].total.best:.2g} at d={g[-1].d})")
    return (f"needs d > d_max = {d_hi}: the fit predicts {g[-1].total.best:.2g} per cycle at d={g[-1].d} "
            f"({g[-1].qubits} qubits); raise --d_max")


def repetition_reason(cands: Sequence[Candidate], target: float, d_max: int | None) -> str:
    """Why no cat repetition-code candidate reaches ``target`` (bit-flip floor, threshold, trade-off)."""
    d_lo, d_hi, by_key = _groups(cands, d_max)
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



def rectangular_reason(cands: Sequence[Candidate], target: float, d_max: int | None) -> str:
    """Why no rectangular-code candidate reaches ``target``: a memory above threshold, or the distance limits."""
    best = min(cands, key=lambda c: c.total.best)
    ph, bt = best.phase.best / 2.0, best.bit.best / 2.0
    where = f"the lowest total is {best.total.best:.2g} per cycle at {best.config} (phase part {ph:.2g}, bit part {bt:.2g})"
    if ph >= bt:
        return f"phase flips: {where}; raise --d_max (phase distance) or improve the phase-flip rate"
    return f"bit flips: {where}; raise --bit_d_max (bit distance) or improve the bit-flip rate"


def published_reason(cands: Sequence[Candidate], target: float, d_max: int | None) -> str:
    """Why the published-fit family (LDPC-cat) does not reach ``target``: its fixed distance."""
    best = min(cands, key=lambda c: c.total.best)
    return (f"the published fit gives {best.total.best:.2g} per cycle per logical qubit at {best.config}, the family's "
            f"only distance; a lower target needs a larger-distance code (not in the published family)")
