"""The settings shared by :func:`compare_at_distance` and :func:`qubits_for_target`: one dataclass."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from catcode import analysis
from catcode.errors import CatcodeError, require_choice, require_int_at_least, require_positive, require_seed
from catcode.noise.boundary import BOUNDARIES

if TYPE_CHECKING:
    from catcode.noise import NoiseModel

#: Receives one progress message (a line of text).
ProgressFn = Callable[[str], None]


@dataclasses.dataclass(frozen=True)
class OverheadOptions:
    """Noise, memory and sampling settings of an overhead study; checked when built.

    * ``cat_noise``/``surface_noise``: a preset name or a :class:`~catcode.noise.NoiseModel`, with
      ``cat_params``/``surface_params`` on top (``surface_params=None``: ``p = 1e-3`` for ``si1000``
      and ``depolarizing``). ``cat_ancilla``: the chain's ancilla kind (default: cat for
      ``cat_cat``, transmon otherwise).
    * ``rounds`` per memory (default ``d``); ``boundary``: ``"ideal"`` removes preparation and final
      readout noise (bulk per-cycle rates), ``"noisy"`` keeps them.
    * Sampling: ``max_shots``, ``max_errors`` per memory; fewer than ``min_errors`` errors hands a
      point to the rare-event estimator (``rare``; ``rare_seconds``, ``rare_max_shots`` per
      estimate); ``num_workers`` processes; bands of likelihood ratio ``max_likelihood_factor``;
      ``seed`` of the rare-event estimator; ``progress`` receives progress lines.

    The library calls take these as keywords (``qubits_for_target(..., max_shots=1e5)``) or as
    ``options=OverheadOptions(...)``.

    >>> OverheadOptions(max_shots=1000).with_(seed=3).seed
    3
    >>> OverheadOptions(boundary="open")
    Traceback (most recent call last):
    ...
    catcode.errors.CatcodeError: boundary must be one of 'ideal', 'noisy'; got 'open'
    """

    cat_noise: str | NoiseModel = "ocelot"
    cat_params: Mapping[str, Any] | None = None
    surface_noise: str | NoiseModel = "si1000"
    surface_params: Mapping[str, Any] | None = None
    cat_ancilla: str | None = None
    rounds: int | None = None
    boundary: str = "ideal"
    max_shots: int = 1_000_000
    max_errors: int = 1000
    min_errors: int = 10
    rare: bool = True
    rare_seconds: float = 30.0
    rare_max_shots: int = 20_000_000
    num_workers: int = 2
    max_likelihood_factor: float = 1e3
    seed: int | None = None
    progress: ProgressFn | None = None

    def __post_init__(self) -> None:
        for name in ("max_shots", "max_errors", "rare_max_shots"):
            value = getattr(self, name)
            if isinstance(value, float) and value.is_integer():  # 1e6 as the CLI writes it
                object.__setattr__(self, name, int(value))
        require_int_at_least("max_shots", self.max_shots, 1)
        require_int_at_least("max_errors", self.max_errors, 1)
        require_int_at_least("min_errors", self.min_errors, 1)
        require_int_at_least("num_workers", self.num_workers, 1)
        require_positive("rare_seconds", self.rare_seconds)
        require_int_at_least("rare_max_shots", self.rare_max_shots, 1)
        f = self.max_likelihood_factor
        if not (isinstance(f, (int, float)) and not isinstance(f, bool) and f > 1):
            raise CatcodeError(f"max_likelihood_factor must be a number > 1; got {f!r}")
        require_seed(self.seed)
        if self.rounds is not None:
            require_int_at_least("rounds", self.rounds, 1)
        require_choice("boundary", self.boundary, BOUNDARIES)
        if self.cat_ancilla is not None:
            require_choice("cat_ancilla", self.cat_ancilla, ("transmon", "cat"))
        object.__setattr__(self, "rare", bool(self.rare))
        object.__setattr__(self, "rare_seconds", float(self.rare_seconds))
        object.__setattr__(self, "max_likelihood_factor", float(f))

    @classmethod
    def of(cls, options: OverheadOptions | None, settings: Mapping[str, Any]) -> OverheadOptions:
        """``options`` (default: the defaults) with the keyword ``settings`` on top; unknown names refused."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(settings) - names)
        if unknown:
            raise TypeError(f"unexpected keyword argument(s) {', '.join(unknown)}; settings are {', '.join(sorted(names))}")
        return dataclasses.replace(options or cls(), **settings)

    def with_(self, **changes: Any) -> OverheadOptions:
        """A copy with ``changes`` (checked again)."""
        return dataclasses.replace(self, **changes)

    @property
    def z(self) -> float:
        """Gaussian sigmas of the bands: ``sqrt(2 ln max_likelihood_factor)``."""
        return analysis.z_of_factor(self.max_likelihood_factor)

    def say(self, message: str) -> None:
        """Send one progress line (nothing when ``progress`` is None)."""
        if self.progress is not None:
            self.progress(message)
