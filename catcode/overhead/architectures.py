"""Qubit counts of the architectures compared, and the architecture objects."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any


from catcode.errors import require_int_at_least


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


def rectangular_qubits(d: int, bit_d: int) -> int:
    """Qubits of a ``d x bit_d`` rectangular surface code of cats: ``d bit_d`` data + ``d bit_d - 1`` ancillas.

    ``d`` is the phase distance, ``bit_d`` the bit distance (``Layout.rectangular_surface``).

    >>> rectangular_qubits(11, 3)
    65
    """
    require_int_at_least("d", d, 2)
    require_int_at_least("bit_d", bit_d, 2)
    return 2 * d * bit_d - 1


@dataclasses.dataclass(frozen=True)
class Grid:
    """The sampled grid of a study: cat distances (phase), bit distances, surface distances, nbar values."""

    nbars: tuple[float, ...]
    cat_distances: tuple[int, ...]
    bit_distances: tuple[int, ...]
    surface_distances: tuple[int, ...]


#: One sampled memory: ``(d, bit_d or None, nbar or None, basis)``.
PointKey = tuple[int, "int | None", "float | None", str]


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
    #: Title in tables and plots.
    title: str = ""
    #: ``"cat"``: uses the study's cat noise (nbar scanned); ``"surface"``: the surface noise.
    noise_role: str = "cat"
    #: ``grid(Grid) -> [PointKey]``: the memories to sample (empty: a published model, nothing sampled).
    grid: Callable[[Grid], list[PointKey]] = lambda g: []
    #: ``key(PointKey) -> the key of the model's from_points`` (e.g. ``(d, nbar, basis)``).
    key: Callable[[PointKey], tuple[Any, ...]] = lambda k: k
    #: ``fit(points, z=..., cat_params=...) -> model`` with ``candidates(d_max, logical=, bit_d_max=)`` and ``describe()``.
    fit: Callable[..., Any] | None = None
    #: Logical qubits of one patch as a function of its distances/shape (overrides ``logical_per_patch``).
    patch_logical: Callable[[Mapping[str, int]], int] | None = None
    #: Per basis, the distance one fit line varies (``"d"`` or ``"bit_d"``).
    axis: Mapping[str, str] = dataclasses.field(default_factory=lambda: {"X": "d", "Z": "d"})
    #: Per basis, the resolved distances its fit needs (the rare estimator is asked for no more).
    min_points: Mapping[str, int] = dataclasses.field(default_factory=lambda: {"X": 2, "Z": 2})

    def qubits(self, distances: Mapping[str, int], *, logical: int = 1) -> int:
        """Physical qubits for ``logical`` logical qubits: whole patches of ``logical_per_patch`` each."""
        require_int_at_least("logical", logical, 1)
        per = self.logical_per_patch if self.patch_logical is None else self.patch_logical(distances)
        return -(-logical // per) * self.patch_qubits(distances)

    def memory_metadata(self, d: int, *, basis: str, noise: str, params: Mapping[str, Any], rounds: int,
                        boundary: str, ancilla: str | None = None, bit_d: int | None = None) -> dict[str, Any]:
        """Metadata of one memory experiment; :func:`catcode.experiment.build_circuit` rebuilds it."""
        from catcode.experiment import experiment_metadata

        kind = ancilla if self.ancilla is not None and ancilla is not None else self.ancilla
        meta = experiment_metadata(self.layout, d, rounds=rounds, basis=basis, noise=noise, ancilla=kind,
                                   bit_distance=bit_d, **dict(params))
        meta["boundary_noise"] = boundary
        return meta


def _explain(which: str) -> Callable[..., str]:
    def explain(cands: Sequence[Any], target: float, d_max: int | None) -> str:
        from catcode.overhead import search

        return getattr(search, f"{which}_reason")(cands, target, d_max)

    return explain


def _fit(module: str, cls: str) -> Callable[..., Any]:
    def fit(points: Mapping[Any, Any], *, z: float, cat_params: Mapping[str, Any]) -> Any:
        import importlib

        return getattr(importlib.import_module(module), cls).from_points(points, z=z)

    return fit


def _fit_ldpc(points: Mapping[Any, Any], *, z: float, cat_params: Mapping[str, Any]) -> Any:
    from catcode.errors import CatcodeError
    from catcode.overhead.published import LdpcPublishedModel

    if "k1_over_k2" not in cat_params:
        raise CatcodeError("architecture ldpc_cat is rated by Ruiz et al.'s published fit in k1_over_k2: pass "
                           f"--cat_param k1_over_k2=... (cat_noise cat_cat); got cat params {sorted(cat_params)}")
    return LdpcPublishedModel(float(cat_params["k1_over_k2"]))


def _both(keys: list[tuple[int, int | None, float | None]]) -> list[PointKey]:
    return [(d, b, n, basis) for d, b, n in keys for basis in "XZ"]


#: The architectures by name. To add one, see the package docstring.
REGISTRY: dict[str, Architecture] = {a.name: a for a in (
    Architecture("repetition", "chain", lambda ds: repetition_qubits(ds["d"]), ("d", "nbar"), _explain("repetition"),
                 ancilla="transmon", title="cat repetition",
                 grid=lambda g: _both([(d, None, n) for d in g.cat_distances for n in g.nbars]),
                 key=lambda k: (k[0], k[2], k[3]), fit=_fit("catcode.overhead.fits", "RepetitionModel"),
                 min_points={"X": 2, "Z": 1}),  # eps_Z = v d through one resolved distance (RepetitionModel)
    Architecture("rectangular", "rectangular_surface", lambda ds: rectangular_qubits(ds["d"], ds["bit_d"]),
                 ("d", "bit_d", "nbar"), _explain("rectangular"), ancilla="transmon", title="rectangular surface of cats",
                 grid=lambda g: [(d, g.bit_distances[0], n, "X") for d in g.cat_distances for n in g.nbars]
                 + [(g.cat_distances[0], b, n, "Z") for b in g.bit_distances for n in g.nbars],
                 fit=_fit("catcode.overhead.fits", "RectangularModel"), axis={"X": "d", "Z": "bit_d"}),
    Architecture("surface", "rotated_surface", lambda ds: surface_qubits(ds["d"]), ("d",), _explain("surface"),
                 title="rotated surface", noise_role="surface",
                 grid=lambda g: _both([(d, None, None) for d in g.surface_distances]),
                 key=lambda k: (k[0], k[3]), fit=_fit("catcode.overhead.fits", "SurfaceModel")),
    Architecture("ldpc_cat", "ldpc_cat", lambda ds: _ldpc_patch(ds), ("width",), _explain("published"),
                 title="LDPC-cat (published fit)", fit=_fit_ldpc, patch_logical=lambda ds: 2 * ds["width"]),
)}

#: Architecture names, in table order.
ARCHITECTURES = tuple(REGISTRY)


def _ldpc_patch(ds: Mapping[str, int]) -> int:
    """Cats of one open H = 8 LDPC-cat patch of width ``ds["width"]``: data + one ancilla per check."""
    from catcode.ldpc_cat import LdpcCatCode

    code = LdpcCatCode(8, ds["width"], "open")
    return code.n + code.num_checks


def _qubits(architecture: str, d: int) -> int:
    return REGISTRY[architecture].qubits({"d": d})


def reduction_percent(cat_qubits: int, surface_qubits: int) -> float:
    """Qubit saving of the cat code in percent: ``100 (1 - cat_qubits / surface_qubits)``.

    >>> reduction_percent(9, 49)
    81.63265306122449
    """
    return 100.0 * (1.0 - cat_qubits / surface_qubits)

