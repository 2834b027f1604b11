"""Noise models and the noise pass.

A :class:`NoiseModel` is a set of rules (per operation kind and per idle layer) applied to the
ideal circuit by :meth:`NoiseModel.apply`. Presets are factories registered by name in
:data:`PRESETS`, so sweeps and the CLI can build them from metadata with :func:`preset`.

>>> preset("biased", p=0.001, eta=1000).params
{'p': 0.001, 'eta': 1000.0}
"""

from __future__ import annotations

from collections.abc import Callable
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


def preset(name: str, **params: Any) -> NoiseModel:
    """Build a registered noise preset by name from keyword parameters.

    Unknown names and parameters raise :class:`CatcodeError` listing the valid ones.
    """
    if name not in PRESETS:
        raise CatcodeError(f"unknown noise preset {name!r}; choices: {', '.join(sorted(PRESETS))}")
    import inspect

    factory = PRESETS[name]
    sig = inspect.signature(factory)
    accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in sig.parameters.values())
    known = [n for n, p in sig.parameters.items() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    unknown = sorted(set(params) - set(known))
    if unknown and not accepts_any:
        raise CatcodeError(f"noise preset {name!r} has no parameter {', '.join(unknown)}; its parameters: {', '.join(known)}")
    try:
        return factory(**params)
    except TypeError as exc:
        raise CatcodeError(f"noise preset {name!r}: {exc}; its parameters: {', '.join(known)}") from None


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
    "preset",
    "BOUNDARIES",
    "strip_boundary_noise",
]
