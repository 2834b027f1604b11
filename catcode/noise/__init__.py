"""Noise models and the noise pass.

A :class:`NoiseModel` is a set of rules (per operation kind and per idle layer) applied to the
ideal circuit by :meth:`NoiseModel.apply`. Presets are factories registered by name in
:data:`PRESETS`, so sweeps and the CLI can build them from metadata with :func:`preset`.

>>> preset("biased", p=0.001, eta=1000).params
{'p': 0.001, 'eta': 1000.0}
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from catcode.errors import CatcodeError
from catcode.noise.generic import Biased, Depolarizing, biased, depolarizing
from catcode.noise.model import Layer, NoiseContext, NoiseModel, Operation, OpNoise, grouped
from catcode.noise.superconducting import SI1000, si1000
from catcode.noise.cat import CatCat, Ocelot, cat_cat, ocelot
from catcode.noise.transmon import Transmon, transmon
from catcode.noise.boundary import BOUNDARIES, strip_boundary_noise

#: preset name -> factory taking the preset's parameters as keyword arguments
PRESETS: dict[str, Callable[..., NoiseModel]] = {
    "depolarizing": depolarizing,
    "biased": biased,
    "si1000": si1000,
    "ocelot": ocelot,
    "cat_cat": cat_cat,
    "transmon": transmon,
}


def check_preset_params(name: str, params: Iterable[str], table: Mapping[str, Callable[..., Any]] = PRESETS) -> None:
    """Raise :class:`CatcodeError` unless ``table[name]`` exists, accepts every name in ``params``
    and gets each of its required parameters; the one signature check of presets (used by
    :func:`preset` and by :class:`catcode.sweep.Sweep`).

    >>> check_preset_params("biased", ["p"])
    Traceback (most recent call last):
    catcode.errors.CatcodeError: noise preset 'biased' needs parameter 'eta'; give it a value or range
    """
    if name not in table:
        raise CatcodeError(f"unknown noise preset {name!r}; choices: {', '.join(sorted(table)) or 'none'}")
    try:
        sig = inspect.signature(table[name])
    except (TypeError, ValueError):  # a callable without a signature: nothing to check
        return
    kinds = (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in sig.parameters.values())
    named = [k for k, p in sig.parameters.items() if p.kind in kinds]
    unknown = [k for k in params if k not in named]
    if unknown and not accepts_any:
        raise CatcodeError(f"unknown parameter {unknown[0]!r} for noise preset {name!r}; its parameters: "
                           + (", ".join(named) or "none"))
    for k, p in sig.parameters.items():
        if p.kind in kinds and p.default is inspect.Parameter.empty and k not in params:
            raise CatcodeError(f"noise preset {name!r} needs parameter {k!r}; give it a value or range")


def preset(name: str, **params: Any) -> NoiseModel:
    """Build a registered noise preset by name from keyword parameters.

    Unknown names and parameters raise :class:`CatcodeError` listing the valid ones
    (:func:`check_preset_params`).
    """
    check_preset_params(name, params)
    try:
        return PRESETS[name](**params)
    except TypeError as exc:
        raise CatcodeError(f"noise preset {name!r}: {exc}") from None


__all__ = [
    "CatCat",
    "Ocelot",
    "Transmon",
    "cat_cat",
    "ocelot",
    "transmon",
    "Biased",
    "Depolarizing",
    "NoiseContext",
    "NoiseModel",
    "OpNoise",
    "Operation",
    "PRESETS",
    "biased",
    "depolarizing",
    "Layer",
    "SI1000",
    "grouped",
    "si1000",
    "check_preset_params",
    "preset",
    "BOUNDARIES",
    "strip_boundary_noise",
]
