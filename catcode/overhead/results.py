"""Result types of the overhead study."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any


from catcode.overhead.architectures import reduction_percent
from catcode.overhead.rates import Estimate
from catcode.overhead.report import _row, format_comparison, format_study
from catcode.overhead.search import Candidate, Requirement, find_requirement

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
    """Every architecture's requirement for one target, keyed by architecture name (study order)."""

    target: float
    requirements: Mapping[str, Requirement]

    @property
    def repetition(self) -> Requirement | None:
        return self.requirements.get("repetition")

    @property
    def surface(self) -> Requirement | None:
        return self.requirements.get("surface")

    @property
    def winner(self) -> str | None:
        """The architecture with the fewest qubits among those that reach the target (None: none does)."""
        ok = [r for r in self.requirements.values() if r.reachable and r.qubits is not None]
        return min(ok, key=lambda r: r.qubits).architecture if ok else None  # type: ignore[arg-type,return-value]

    def reduction_against(self, architecture: str, reference: str = "surface") -> float | None:
        """``100 (1 - qubits(architecture) / qubits(reference))`` when both reach the target."""
        a, b = self.requirements.get(architecture), self.requirements.get(reference)
        if a is None or b is None or a.qubits is None or b.qubits is None:
            return None
        return reduction_percent(a.qubits, b.qubits)

    @property
    def reduction_percent(self) -> float | None:
        """The repetition code's saving against the surface code, when both reach the target."""
        return self.reduction_against("repetition")

    @property
    def reduction_range(self) -> tuple[float | None, float | None]:
        """Reduction with the pessimistic cat / optimistic surface edges, and the reverse."""
        r, s = self.repetition, self.surface
        if r is None or s is None:
            return None, None
        lo = reduction_percent(r.qubits_high, s.qubits_low) if r.qubits_high and s.qubits_low else None
        hi = reduction_percent(r.qubits_low, s.qubits_high) if r.qubits_low and s.qubits_high else None
        return lo, hi


@dataclasses.dataclass(frozen=True)
class OverheadStudy:
    """:func:`qubits_for_target`'s answer: per-target requirements, the models and the simulated points.

    ``models``, ``points`` and ``noises`` (``(preset, params)``) are keyed by architecture name.
    """

    rows: tuple[TargetRow, ...]
    models: Mapping[str, Any]
    points: Mapping[str, Mapping[tuple[Any, ...], Estimate]]
    noises: Mapping[str, tuple[str, Mapping[str, Any]]]
    d_max: int
    rounds: int | None
    boundary: str
    max_likelihood_factor: float
    logical: int = 1
    bit_d_max: int | None = None

    @property
    def architectures(self) -> tuple[str, ...]:
        return tuple(self.models)

    @property
    def repetition_model(self) -> Any:
        return self.models.get("repetition")

    @property
    def surface_model(self) -> Any:
        return self.models.get("surface")

    @property
    def cat_points(self) -> Mapping[tuple[Any, ...], Estimate]:
        return self.points.get("repetition", {})

    @property
    def surface_points(self) -> Mapping[tuple[Any, ...], Estimate]:
        return self.points.get("surface", {})

    def _noise(self, role: str) -> tuple[str, Mapping[str, Any]]:
        from catcode.overhead.architectures import REGISTRY

        return next((v for a, v in self.noises.items() if REGISTRY[a].noise_role == role), ("-", {}))

    @property
    def cat_noise(self) -> str:
        return self._noise("cat")[0]

    @property
    def cat_params(self) -> Mapping[str, Any]:
        return self._noise("cat")[1]

    @property
    def surface_noise(self) -> str:
        return self._noise("surface")[0]

    @property
    def surface_params(self) -> Mapping[str, Any]:
        return self._noise("surface")[1]

    def candidates(self, architecture: str) -> list[Candidate]:
        """The architecture's model candidates with this study's limits and logical-qubit count."""
        return self.models[architecture].candidates(self.d_max, logical=self.logical, bit_d_max=self.bit_d_max)

    def curve(self, targets: Iterable[float]) -> list[TargetRow]:
        """Fit-only requirements (no direct checks) at many targets, e.g. for a smooth plot."""
        cands = {a: self.candidates(a) for a in self.models}
        return [TargetRow(t, {a: find_requirement(c, t, architecture=a, d_max=self.d_max) for a, c in cands.items()})
                for t in targets]

    def table(self) -> str:
        return format_study(self)

    def rows_for_csv(self) -> list[dict[str, Any]]:
        out = []
        for row in self.rows:
            for arch, req in row.requirements.items():
                noise, params = self.noises[arch]
                out.append(_row(
                    mode="target", target=row.target, architecture=arch, d=req.d, nbar=req.nbar,
                    qubits=req.qubits, qubits_low=req.qubits_low, qubits_high=req.qubits_high,
                    rate=req.checked if req.checked is not None else req.rate, x=None, z=None,
                    reachable=req.reachable, reason=req.reason or req.note,
                    reduction=row.reduction_against(arch) if arch != "surface" else None,
                    noise=noise, params=params, rounds=self.rounds, boundary=self.boundary,
                    config=req.config, winner=row.winner == arch,
                ))
        return out
