"""Qubit counts of the architectures compared, and the architecture objects."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any


from catcode.errors import require_int_at_least

ARCHITECTURES = ("repetition", "surface")

#: Surface-code noise parameters used when none are given to a preset that takes ``p``
#: (si1000, depolarizing): p = 1e-3, the scale of docs/physics.md §4/§6's comparisons. Printed in every
#: table header, never silent.
DEFAULT_SURFACE_P = 1e-3

#: A direct check whose band spans more than this factor (high / low) is inconclusive.
CHECK_MAX_BAND_RATIO = 100.0

#: Default n̄ grid of the cat-code search.
DEFAULT_NBAR_VALUES: tuple[float, ...] = (1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0)



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


@dataclasses.dataclass(frozen=True)
class Architecture:
    """One architecture of the study: a small object, looked up by name in :data:`REGISTRY`.

    * ``name``: its key (``Candidate``/``Requirement`` carry it).
    * ``layout``: the :func:`catcode.experiment.build_layout` name of one patch; ``ancilla`` its
      chain ancilla kind (``None``: not a chain).
    * ``patch_qubits(distances)``: physical qubits of one patch, ``distances`` a mapping such as
      ``{"d": 5}`` (a rectangular code passes ``{"phase_distance": .., "bit_distance": ..}``).
    * ``logical_per_patch``: logical qubits one patch holds (1 here; ``k`` for an LDPC-cat patch).
    * ``search_params``: the parameters the search ranges over (``("d", "nbar")`` for cats).
    * ``explain``: ``(candidates, target, d_max) -> str``, why no candidate reaches a target.

    >>> REGISTRY["repetition"].qubits({"d": 5}), REGISTRY["surface"].qubits({"d": 5}, logical=2)
    (9, 98)
    """

    name: str
    layout: str
    patch_qubits: Callable[[Mapping[str, int]], int]
    search_params: tuple[str, ...]
    explain: Callable[..., str]
    logical_per_patch: int = 1
    ancilla: str | None = None

    def qubits(self, distances: Mapping[str, int], *, logical: int = 1) -> int:
        """Physical qubits for ``logical`` logical qubits: whole patches of ``logical_per_patch`` each."""
        require_int_at_least("logical", logical, 1)
        return -(-logical // self.logical_per_patch) * self.patch_qubits(distances)

    def memory_metadata(self, d: int, *, basis: str, noise: str, params: Mapping[str, Any], rounds: int,
                        boundary: str, ancilla: str | None = None) -> dict[str, Any]:
        """Metadata of one memory experiment; :func:`catcode.experiment.build_circuit` rebuilds it."""
        from catcode.experiment import experiment_metadata

        kind = ancilla if self.ancilla is not None and ancilla is not None else self.ancilla
        meta = experiment_metadata(self.layout, d, rounds=rounds, basis=basis, noise=noise, ancilla=kind, **dict(params))
        meta["boundary_noise"] = boundary
        return meta


def _explain_repetition(cands: Sequence[Any], target: float, d_max: int | None) -> str:
    from catcode.overhead.search import repetition_reason

    return repetition_reason(cands, target, d_max)


def _explain_surface(cands: Sequence[Any], target: float, d_max: int | None) -> str:
    from catcode.overhead.search import surface_reason

    return surface_reason(cands, target, d_max)


#: The architectures by name. To add one, see the package docstring.
REGISTRY: dict[str, Architecture] = {
    "repetition": Architecture("repetition", "chain", lambda ds: repetition_qubits(ds["d"]), ("d", "nbar"),
                               _explain_repetition, ancilla="transmon"),
    "surface": Architecture("surface", "rotated_surface", lambda ds: surface_qubits(ds["d"]), ("d",), _explain_surface),
}


def _qubits(architecture: str, d: int) -> int:
    return REGISTRY[architecture].qubits({"d": d})


def reduction_percent(cat_qubits: int, surface_qubits: int) -> float:
    """Qubit saving of the cat code in percent: ``100 (1 - cat_qubits / surface_qubits)``.

    >>> reduction_percent(9, 49)
    81.63265306122449
    """
    return 100.0 * (1.0 - cat_qubits / surface_qubits)

