"""Result types of the overhead study."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any


from catcode.overhead.architectures import reduction_percent
from catcode.overhead.fits import RepetitionModel, SurfaceModel
from catcode.overhead.rates import Estimate
from catcode.overhead.report import _row, format_comparison, format_study
from catcode.overhead.search import Requirement, find_requirement

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

