"""One memory experiment as flat metadata, and the circuit it denotes.

The same ``key=value`` metadata names a circuit everywhere: in sinter's ``json_metadata``, in
``.stim`` file names (``sinter collect --metadata_func auto`` reads them back), and in the
header of generated files. Keys: ``layout`` (``chain``, ``ocelot``, ``rotated_surface``,
``rectangular_surface``, ``ldpc_cat``), ``d`` (the distance against phase flips), optional ``bit_d``
(rectangular_surface: the distance against bit flips), ``ancilla`` (chain and rectangular_surface:
``transmon``/``cat``), ``section`` (ocelot: ``"1-3"``), ``height``, ``width`` and ``boundary``
(ldpc_cat: the code's shape, ``boundary`` = ``periodic``/``open`` columns),
``r`` (rounds), ``b`` (basis), ``noise`` (preset name), optional ``boundary_noise`` (``ideal``:
noiseless preparation and final readout, :func:`catcode.noise.strip_boundary_noise`; default
``noisy``) and the preset's parameters.

>>> meta = experiment_metadata("chain", 3, rounds=3, basis="X", noise="depolarizing", p=0.001)
>>> meta
{'layout': 'chain', 'd': 3, 'r': 3, 'b': 'X', 'noise': 'depolarizing', 'p': 0.001}
>>> metadata_filename(meta)
'layout=chain,d=3,r=3,b=X,noise=depolarizing,p=0.001.stim'
>>> build_circuit(meta).num_detectors
8
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import stim

from catcode._version import __version__
from catcode.compiler import BASES, MAX_ROUNDS, memory_circuit
from catcode.errors import CatcodeError, _short, require_choice, require_int_at_least
from catcode.layout import MAX_CHAIN_DISTANCE, MAX_DISTANCE, Layout
from catcode.layout_kinds import LAYOUTS
from catcode.noise import BOUNDARIES, preset, strip_boundary_noise

#: Metadata keys that name the structure (layout, rounds, basis, preset); the others are noise parameters.
STRUCTURE_KEYS = (
    "layout", "d", "bit_d", "ancilla", "section", "height", "width", "boundary", "r", "b", "noise", "boundary_noise",
)


#: The layout :func:`build_layout` made last, with the arguments that named it. A sweep's
#: consecutive circuits share their layout (:meth:`catcode.sweep.Sweep.points` puts the structure
#: outermost), and handing them the same object lets the compiler and the noise pass reuse what
#: they derived from it (issue 15). One entry only, so at most one layout is kept beyond its use.
_last_layout: tuple[tuple, Layout] | None = None


def build_layout(
    layout: str, distance: int | None = None, *, ancilla: str = "transmon", section: str | None = None,
    bit_distance: int | None = None, **shape: Any,
) -> Layout:
    """The layout named by metadata.

    ``ocelot`` ignores ``distance`` unless a ``section`` like ``"1-3"`` is given, and checks it
    against the section's size when both are. ``rectangular_surface`` needs both ``distance``
    (phase) and ``bit_distance``. Called again with the same arguments, it returns the same
    (immutable) layout object as the call before.

    >>> build_layout("rectangular_surface", 5, bit_distance=3, ancilla="cat").name
    'rectangular_surface_cat'
    >>> build_layout("chain", 5) is build_layout("chain", 5)
    True
    """
    global _last_layout
    key = _reuse_key(layout, distance, ancilla, section, bit_distance, shape)
    last = _last_layout
    if key is not None and last is not None and last[0] == key:
        return last[1]
    result = _new_layout(layout, distance, ancilla=ancilla, section=section, bit_distance=bit_distance, **shape)
    if key is not None:
        _last_layout = (key, result)
    return result


def _reuse_key(layout: Any, distance: Any, ancilla: Any, section: Any, bit_distance: Any,
               shape: dict[str, Any]) -> tuple | None:
    """The arguments with their exact types, or None unless every value is a str, an int or None.

    Types are part of the key so that a reused layout never skips a check: ``5.0`` and ``True``
    equal ``5`` and ``1`` but :func:`_new_layout` refuses them.
    """
    named = (("layout", layout), ("distance", distance), ("ancilla", ancilla), ("section", section),
             ("bit_distance", bit_distance), *sorted(shape.items()))
    if any(type(value) not in (str, int, type(None)) for _, value in named):
        return None
    return tuple((name, type(value), value) for name, value in named)


def _new_layout(
    layout: str, distance: int | None = None, *, ancilla: str = "transmon", section: str | None = None,
    bit_distance: int | None = None, **shape: Any,
) -> Layout:
    """A new layout named by metadata (see :func:`build_layout`, which reuses the last one)."""
    require_choice("layout", layout, LAYOUTS)
    if section is not None and layout != "ocelot":
        raise CatcodeError(f"section is a key of layout 'ocelot' only; got section={_short(section)} for layout {layout!r}")
    if ancilla != "transmon" and layout not in ("chain", "rectangular_surface"):
        raise CatcodeError(f"ancilla is a key of layouts 'chain' and 'rectangular_surface' only; "
                           f"got ancilla={_short(ancilla)} for layout {layout!r}")
    for key, value in (("d (code distance)", distance), ("bit_d (bit distance)", bit_distance)):
        if value is not None:
            require_int_at_least(key, value, 2, max_distance(layout))
    if layout == "ldpc_cat":  # keys height, width, boundary (catcode.ldpc_cat); d checked if given
        return _ldpc_cat_layout(distance, **shape)
    if layout == "rectangular_surface":
        if distance is None or bit_distance is None:
            raise CatcodeError(
                f"layout 'rectangular_surface' needs d (phase distance) and bit_d (bit distance), integers >= 2; "
                f"got d={distance!r}, bit_d={bit_distance!r}"
            )
        return Layout.rectangular_surface(distance, bit_distance, ancilla=ancilla)
    if shape:
        raise CatcodeError(f"{', '.join(sorted(shape))} are keys of layout 'ldpc_cat' only; got them for layout {layout!r}")
    if bit_distance is not None:
        raise CatcodeError(f"bit_d (bit distance) is a parameter of layout 'rectangular_surface' only; got bit_d={bit_distance!r} for layout {layout!r}")
    if layout == "chain":
        if distance is None:
            raise CatcodeError("layout 'chain' needs a distance d (an integer >= 2)")
        return Layout.chain(distance, ancilla=ancilla)
    if layout == "rotated_surface":
        if distance is None:
            raise CatcodeError("layout 'rotated_surface' needs a distance d (an integer >= 2)")
        return Layout.rotated_surface(distance)
    result = Layout.ocelot()
    if section is not None:
        try:
            first, last = (int(v) for v in str(section).split("-"))
        except ValueError:
            raise CatcodeError(f"section must look like '1-3' (first-last data cat, 1-based); got {section!r}") from None
        result = result.section(first, last)
    if distance is not None and distance != result.distance:
        raise CatcodeError(f"layout 'ocelot'{' section ' + str(section) if section else ''} has distance {result.distance}; got d={distance}")
    return result


def max_distance(layout: str) -> int:
    """The largest distance a layout kind is built with: :data:`catcode.layout.MAX_CHAIN_DISTANCE` for
    ``chain`` (linear in d), :data:`catcode.layout.MAX_DISTANCE` for 2-D patches (quadratic).

    >>> max_distance("chain"), max_distance("rotated_surface")
    (10001, 101)
    """
    return MAX_CHAIN_DISTANCE if layout in ("chain", "ocelot") else MAX_DISTANCE


def experiment_metadata(
    layout: str, distance: int, *, rounds: int, basis: str, noise: str, ancilla: str | None = None,
    section: str | None = None, bit_distance: int | None = None, height: int | None = None,
    width: int | None = None, boundary: str | None = None, **noise_params: Any,
) -> dict[str, Any]:
    """Canonical metadata dict for one memory experiment: structure keys in a fixed order, then the
    noise parameters sorted by name, numbers as floats (so ``eta=100`` and ``eta=100.0``, in any
    order, name the same task).

    >>> experiment_metadata("chain", 3, rounds=3, basis="Z", noise="biased", p=1e-3, eta=100)
    {'layout': 'chain', 'd': 3, 'r': 3, 'b': 'Z', 'noise': 'biased', 'eta': 100.0, 'p': 0.001}
    """
    meta: dict[str, Any] = {"layout": layout, "d": distance}
    if bit_distance is not None:
        meta["bit_d"] = bit_distance
    if ancilla is not None and ancilla != "transmon":
        meta["ancilla"] = ancilla
    if section is not None:
        meta["section"] = section
    meta.update({k: v for k, v in (("height", height), ("width", width), ("boundary", boundary)) if v is not None})
    meta.update({"r": rounds, "b": basis, "noise": noise})
    for key in sorted(noise_params):
        value = noise_params[key]
        meta[key] = float(value) if isinstance(value, int) and not isinstance(value, bool) else value
    return meta


def build_circuit(metadata: Mapping[str, Any]) -> stim.Circuit:
    """The noisy memory circuit named by ``metadata`` (see the module docstring)."""
    if not isinstance(metadata, Mapping):
        raise CatcodeError(f"circuit metadata must be a mapping of key -> value; got {_short(metadata)}")
    meta = dict(metadata)
    for key in ("layout", "r", "b", "noise"):
        if key not in meta:
            raise CatcodeError(f"circuit metadata needs the key {key!r}; got keys {sorted(map(str, meta))}")
    # Checked here under the metadata's own names (r, b) before any layout or model is built.
    require_int_at_least("r (rounds)", meta["r"], 1, MAX_ROUNDS)
    require_choice("b (basis)", meta["b"], BASES)
    if not isinstance(meta["noise"], str):
        raise CatcodeError(f"noise must name a preset (a string); got {_short(meta['noise'])}")
    require_choice("boundary_noise", meta.get("boundary_noise", "noisy"), BOUNDARIES)
    shape = {k: meta[k] for k in ("height", "width", "boundary") if k in meta}
    layout = build_layout(
        meta["layout"], meta.get("d"), ancilla=meta.get("ancilla", "transmon"), section=meta.get("section"),
        bit_distance=meta.get("bit_d"), **shape,
    )
    params = {k: v for k, v in meta.items() if k not in STRUCTURE_KEYS}
    model = preset(meta["noise"], **params)
    boundary = meta.get("boundary_noise", "noisy")
    circuit = memory_circuit(layout, model, rounds=meta["r"], basis=meta["b"])
    return strip_boundary_noise(circuit) if boundary == "ideal" else circuit


def metadata_filename(metadata: Mapping[str, Any], suffix: str = ".stim") -> str:
    """``key=value,...`` file name that ``sinter collect --metadata_func auto`` parses back."""
    if not isinstance(metadata, Mapping):
        raise CatcodeError(f"metadata must be a mapping of key -> value; got {_short(metadata)}")
    for k, v in metadata.items():
        if any(ch in f"{k}{v}" for ch in ",=/"):
            raise CatcodeError(f"metadata {k}={v!r} contains ',', '=' or '/' and cannot go in a file name")
    return ",".join(f"{k}={v}" for k, v in metadata.items()) + suffix


def stim_file_text(circuit: stim.Circuit, metadata: Mapping[str, Any]) -> str:
    """Circuit text with a header comment recording every parameter and the catcode version."""
    lines = [f"# generated by catcode {__version__}"]
    lines += [f"# {k} = {v!r}" for k, v in metadata.items()]
    return "\n".join(lines) + "\n" + str(circuit) + "\n"


def _ldpc_cat_layout(distance: int | None, height: Any = None, width: Any = None, boundary: Any = "periodic") -> Layout:
    """``Layout.ldpc_cat`` from metadata keys ``height``, ``width``, ``boundary``; ``d`` must match."""
    if height is None or width is None:
        raise CatcodeError(f"layout 'ldpc_cat' needs keys height and width (e.g. height=4, width=17); got height={height!r}, width={width!r}")
    result = Layout.ldpc_cat(height, width, boundary)
    if distance is not None and distance != result.distance:
        raise CatcodeError(f"layout 'ldpc_cat' height={height} width={width} {boundary} has distance {result.distance}; got d={distance}")
    return result
