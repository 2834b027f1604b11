"""Sweep specifications: the product of distances, bases, noise presets and parameters -> sinter tasks.

A :class:`Sweep` lists, per metadata key, the values to take; its points are the Cartesian
product of those values. Each point becomes one ``sinter.Task`` per decoder, with the canonical
metadata of :func:`catcode.experiment.experiment_metadata` as ``json_metadata``: ``layout``,
``d``, (``ancilla``, ``section`` where they apply), ``r``, ``b``, ``noise`` and **every**
parameter of the noise model (the swept ones and the preset's defaults, as the built model
reports them in ``NoiseModel.params``), so ``sinter plot`` can group by any of them and the
metadata alone rebuilds the circuit through :func:`catcode.experiment.build_circuit`.

Dimensions that only apply to one layout are only multiplied in for it: ``ancilla`` for
``chain``, ``section`` for ``ocelot``. Ocelot is the d = 5 device; its d = 3 points are its two
sections ``1-3`` and ``3-5`` unless ``section`` says otherwise.

>>> sweep = Sweep.from_dict({"d": [3, 5], "b": "X", "noise": "depolarizing", "p": [1e-3, 2e-3]})
>>> [(m["d"], m["r"], m["p"]) for m in sweep.points()]
[(3, 3, 0.001), (3, 3, 0.002), (5, 5, 0.001), (5, 5, 0.002)]
>>> len(sweep.tasks())
4
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from catcode.circuit_files import DEFAULT_DECODER, read_circuit_file, tasks_from_circuit_files
from catcode.compiler import BASES, MAX_ROUNDS
from catcode.errors import CatcodeError, _short, require_choice, require_int_at_least, value_tuple
from catcode.experiment import LAYOUTS, STRUCTURE_KEYS, build_layout, experiment_metadata, max_distance
from catcode.layout import QUBIT_KINDS
from catcode.ldpc_cat import BOUNDARIES as LDPC_BOUNDARIES
from catcode.noise import PRESETS, check_preset_params

__all__ = [
    "BASES",
    "DEFAULT_DECODER",
    "LAYOUTS",
    "Sweep",
    "build_circuit",
    "noise_presets",
    "parse_value",
    "read_circuit_file",
    "rounds_for",
    "tasks_from_circuit_files",
]

#: Keys of a sweep dict that are not noise parameters.
SWEEP_KEYS: tuple[str, ...] = ("d", "b", "noise", "layout", "ancilla", "section", "bit_d", "height", "width",
                               "boundary", "rounds", "decoders", "params")
#: Layouts whose ancillas can be cats or transmons (``ancilla``); the others fix their ancillas.
_ANCILLA_LAYOUTS = ("chain", "rectangular_surface")
_ROUNDS_RE = re.compile(r"^\s*(?:(\d+)\s*\*?\s*)?d\s*$")
_OCELOT_SECTIONS_D3 = ("1-3", "3-5")


def build_circuit(metadata: Mapping[str, Any]) -> Any:
    """The circuit a task's metadata names: :func:`catcode.experiment.build_circuit`.

    >>> build_circuit({"layout": "chain", "d": 3, "r": 3, "b": "X", "noise": "depolarizing", "p": 0.001}).num_detectors
    8
    """
    from catcode.experiment import build_circuit as _build

    return _build(metadata)


def noise_presets() -> dict[str, Callable[..., Any]]:
    """Noise preset factories by name: ``catcode.noise.PRESETS``."""
    return dict(PRESETS)


def rounds_for(rule: int | str, d: int) -> int:
    """Number of rounds for distance ``d`` under ``rule``: an integer, ``"d"``, or ``"k*d"``/``"kd"``.

    >>> rounds_for("d", 5), rounds_for("3d", 5), rounds_for("2*d", 5), rounds_for(7, 5), rounds_for("7", 5)
    (5, 15, 10, 7, 7)
    """
    if isinstance(rule, bool):
        raise CatcodeError(f"rounds must be a positive integer, 'd' or 'k*d'; got {_short(rule)}")
    if isinstance(rule, int) or (hasattr(rule, "__index__") and not isinstance(rule, str)):
        return require_int_at_least("rounds", rule, 1, MAX_ROUNDS)
    if isinstance(rule, str):
        text = rule.strip()
        if text.isascii() and text.isdigit():
            if len(text) > 18:  # over the bound whatever the digits; int() of 4300+ digits would raise
                raise CatcodeError(f"rounds must be an integer >= 1 and <= {MAX_ROUNDS}; got {_short(text)}")
            return require_int_at_least("rounds", int(text), 1, MAX_ROUNDS)
        m = _ROUNDS_RE.match(text) if text.isascii() and len(text) <= 40 else None
        if m and len(m.group(1) or "") <= 18:
            d = require_int_at_least("d (code distance)", d, 1)
            k = int(m.group(1)) if m.group(1) else 1
            return require_int_at_least("rounds", k * d, 1, MAX_ROUNDS)
    raise CatcodeError(f"rounds must be a positive integer, 'd' or 'k*d' (e.g. '3d'); got {_short(rule)}")


def parse_value(text: str) -> int | float | str | bool | None:
    """Parse one command-line value: int, then finite float, then true/false, none, else the string itself.

    The one parser of ``key=value`` values (``generate``, ``collect``, ``overhead``); inf and nan are refused.

    >>> parse_value("3"), parse_value("1e-3"), parse_value("true"), parse_value("None"), parse_value("chain")
    (3, 0.001, True, None, 'chain')
    """
    if not isinstance(text, str):
        raise CatcodeError(f"a command-line value must be a string; got {_short(text)}")
    t = text.strip()
    try:
        return int(t)
    except ValueError:
        pass
    try:
        value = float(t)
    except ValueError:
        pass
    else:
        if not math.isfinite(value):
            raise CatcodeError(f"parameter values must be finite numbers; got {text!r}")
        return value
    if t.lower() in ("true", "false"):
        return t.lower() == "true"
    return None if t.lower() == "none" else t


def _python_scalar(value: Any) -> Any:
    """A numpy scalar as the Python number it holds (``np.int64(3)`` -> ``3``); anything else unchanged."""
    item = getattr(value, "item", None)
    if type(value).__module__ == "numpy" and callable(item) and getattr(value, "shape", None) == ():
        return item()
    return value


def _json_scalar(value: Any) -> bool:
    if isinstance(value, (bool, int, str)):
        return True
    return isinstance(value, float) and math.isfinite(value)


def _float_if_number(value: Any) -> Any:
    """Numbers become floats so that ``nbar=2`` and ``nbar=2.0`` name the same task."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    return float(value)


@dataclasses.dataclass(frozen=True)
class Sweep:
    """The product of values per metadata key; one sinter task per point and decoder.

    Attributes:
        d: code distances (integers >= 2); the phase distance for ``rectangular_surface``; not
            used by ``ldpc_cat``, whose distance follows from its shape (may be empty if every
            layout is ``ldpc_cat``).
        b: memory bases, each "X" or "Z".
        noise: noise preset names (keys of ``catcode.noise.PRESETS``).
        layout: layout kinds (``catcode.experiment.LAYOUTS``).
        rounds: rounds rule shared by all points: an integer, "d" or "k*d" (e.g. "3d"), with d the
            point's (phase) distance.
        params: noise parameter name -> values; every preset in ``noise`` must accept each name.
        ancilla: ancilla kinds ("transmon", "cat"); ``chain`` and ``rectangular_surface`` points only.
        section: Ocelot sections such as "1-3" (None = the full device); ``ocelot`` points only.
            Default: d = 5 is the full device, d = 3 both sections.
        bit_d: bit distances; ``rectangular_surface`` points only (required for them).
        height, width, boundary: LDPC-cat shapes (``Layout.ldpc_cat``); ``ldpc_cat`` points only,
            height and width required, boundary default "periodic".
        decoders: decoder names (sinter built-ins, ``catcode.decoders``' or custom ones); the
            default ``"auto"`` is :func:`catcode.decoders.default_decoder` of each circuit.

    Build one from a flat dict with :meth:`from_dict`, where every key other than
    :data:`SWEEP_KEYS` is a noise parameter.

    >>> sweep = Sweep(layout=("ldpc_cat",), height=(4,), width=(5,), noise=("depolarizing",), b=("X",),
    ...               params={"p": (1e-3,)})
    >>> [(m["d"], m["height"], m["width"], m["boundary"], m["r"]) for m in sweep.points()]
    [(5, 4, 5, 'periodic', 5)]
    """

    d: tuple[int, ...] = ()
    b: tuple[str, ...] = BASES
    noise: tuple[str, ...] = ("ocelot",)
    layout: tuple[str, ...] = ("chain",)
    rounds: int | str = "d"
    params: Mapping[str, tuple] = dataclasses.field(default_factory=dict)
    ancilla: tuple[str, ...] = ("transmon",)
    section: tuple[str | None, ...] | None = None
    decoders: tuple[str, ...] = (DEFAULT_DECODER,)
    bit_d: tuple[int, ...] | None = None
    height: tuple[int, ...] | None = None
    width: tuple[int, ...] | None = None
    boundary: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "layout", value_tuple("layout", self.layout))
        for lay in self.layout:
            require_choice("layout", lay, LAYOUTS)
        self._check_distances()
        set_(self, "b", value_tuple("b", self.b))
        for b in self.b:
            require_choice("b (basis)", b, BASES)
        set_(self, "noise", value_tuple("noise", self.noise))
        for name in self.noise:
            if not isinstance(name, str) or not name:
                raise CatcodeError(f"noise must name presets as strings; got {name!r}")
        set_(self, "ancilla", value_tuple("ancilla", self.ancilla))
        for anc in self.ancilla:
            require_choice("ancilla", anc, QUBIT_KINDS)
        if self.ancilla != ("transmon",):
            self._only_for("ancilla", _ANCILLA_LAYOUTS)
        if self.section is not None:
            set_(self, "section", value_tuple("section", self.section))
            self._only_for("section", ("ocelot",))
        self._check_ldpc_shape()
        for d in self.d:
            rounds_for(self.rounds, d)  # validates the rule
        if not isinstance(self.params, Mapping):
            raise CatcodeError(f"params must be a mapping of noise parameter name -> values; got {_short(self.params)}")
        params = {}
        for key, values in dict(self.params).items():
            if not isinstance(key, str) or not key.isidentifier():
                raise CatcodeError(f"noise parameter names must be identifiers; got {key!r}")
            if key in SWEEP_KEYS or key in STRUCTURE_KEYS:
                raise CatcodeError(f"{key!r} is a sweep key, not a noise parameter")
            params[key] = tuple(_python_scalar(v) for v in value_tuple(key, values))
            for v in params[key]:
                if not _json_scalar(v):
                    raise CatcodeError(f"values of {key} must be finite numbers, strings or booleans; got {v!r}")
        set_(self, "params", params)
        set_(self, "decoders", value_tuple("decoders", self.decoders))
        for dec in self.decoders:
            if not isinstance(dec, str) or not dec:
                raise CatcodeError(f"decoders must be names; got {dec!r}")

    def _only_for(self, key: str, layouts: tuple[str, ...]) -> None:
        if not set(layouts) & set(self.layout):
            raise CatcodeError(f"{key} applies to layout {' or '.join(repr(x) for x in layouts)} only; "
                               f"the sweep's layouts are {self.layout}")

    def _check_distances(self) -> None:
        """``d`` for every layout but ``ldpc_cat``; ``bit_d`` for ``rectangular_surface``."""
        set_ = object.__setattr__
        others = [lay for lay in self.layout if lay != "ldpc_cat"]
        if others or self.d not in ((), None):
            set_(self, "d", value_tuple("d", self.d))
        if not others and self.d:
            raise CatcodeError(f"layout 'ldpc_cat' takes no d (its distance follows from height, width and "
                               f"boundary); got d={self.d}")
        largest = min(max_distance(lay) for lay in self.layout)
        set_(self, "d", tuple(require_int_at_least("d (code distance)", d, 2, largest) for d in self.d or ()))
        if self.bit_d is None:
            if "rectangular_surface" in self.layout:
                raise CatcodeError("layout 'rectangular_surface' needs bit_d (bit distances, integers >= 2); got none")
            return
        set_(self, "bit_d", value_tuple("bit_d", self.bit_d))
        self._only_for("bit_d", ("rectangular_surface",))
        set_(self, "bit_d", tuple(require_int_at_least("bit_d (bit distance)", d, 2, max_distance("rectangular_surface"))
                                  for d in self.bit_d))

    def _check_ldpc_shape(self) -> None:
        set_ = object.__setattr__
        given = [k for k in ("height", "width", "boundary") if getattr(self, k) is not None]
        for key in given:
            set_(self, key, tuple(_python_scalar(v) for v in value_tuple(key, getattr(self, key))))
            self._only_for(key, ("ldpc_cat",))
        if "ldpc_cat" not in self.layout:
            return
        if self.height is None or self.width is None:
            raise CatcodeError(f"layout 'ldpc_cat' needs height and width (e.g. height 4, width 17); "
                               f"got height={self.height}, width={self.width}")
        if self.boundary is None:
            set_(self, "boundary", ("periodic",))
        for value in self.boundary:
            require_choice("boundary", value, LDPC_BOUNDARIES)

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any]) -> Sweep:
        """A sweep from a flat dict keyed by metadata names; other keys are noise parameters.

        Scalars count as one-value ranges.

        >>> Sweep.from_dict({"d": 3, "noise": "biased", "p": 1e-3, "eta": [10, 100]}).params
        {'p': (0.001,), 'eta': (10, 100)}
        """
        if not isinstance(spec, Mapping):
            raise CatcodeError(f"a sweep specification must be a dict; got {type(spec).__name__}")
        if "d" not in spec and set(value_tuple("layout", spec.get("layout", "chain"))) != {"ldpc_cat"}:
            raise CatcodeError("a sweep specification needs 'd' (the code distances); got keys "
                               + ", ".join(repr(k) for k in spec))
        if "r" in spec:
            raise CatcodeError("give the rounds rule as 'rounds' (an integer, 'd' or 'k*d'), not 'r'")
        kwargs: dict[str, Any] = {}
        params: dict[str, Any] = dict(spec.get("params", {}))
        for key, value in spec.items():
            if key == "params":
                continue
            if key in SWEEP_KEYS:
                kwargs[key] = value
            else:
                if key in params:
                    raise CatcodeError(f"noise parameter {key!r} is given twice (top level and in 'params')")
                params[key] = value
        return cls(params=params, **kwargs)

    # ----------------------------------------------------------------------------- points
    def _structures(self) -> list[dict[str, Any]]:
        """Keyword arguments of :func:`catcode.experiment.experiment_metadata` per structure, in order."""
        out: list[dict[str, Any]] = []
        for d in self.d:
            for lay in self.layout:
                if lay == "chain":
                    out += [{"layout": lay, "distance": d, "ancilla": anc} for anc in self.ancilla]
                elif lay == "rotated_surface":
                    out.append({"layout": lay, "distance": d})
                elif lay == "rectangular_surface":
                    out += [{"layout": lay, "distance": d, "bit_distance": bd, "ancilla": anc}
                            for bd in self.bit_d or () for anc in self.ancilla]
                elif lay == "ocelot":
                    out += [{"layout": lay, "distance": d, "section": s} for s in self._ocelot_sections(d)]
        if "ldpc_cat" in self.layout:
            for h, w, bnd in itertools.product(self.height or (), self.width or (), self.boundary or ()):
                distance = build_layout("ldpc_cat", height=h, width=w, boundary=bnd).distance
                out.append({"layout": "ldpc_cat", "distance": distance, "height": h, "width": w, "boundary": bnd})
        return out

    def _ocelot_sections(self, d: int) -> list[str | None]:
        sections = self.section
        if sections is None:
            sections = (None,) if d == 5 else _OCELOT_SECTIONS_D3 if d == 3 else ()
            if not sections:
                raise CatcodeError(f"layout 'ocelot' has d = 5 (the device) or d = 3 (its sections "
                                   f"1-3 and 3-5); got d = {d}")
        matching = [s for s in sections if build_layout("ocelot", None, section=s).distance == d]
        if not matching:
            raise CatcodeError(f"no Ocelot section of the sweep has distance {d}; sections: "
                               f"{', '.join(str(s) for s in sections)}")
        return matching

    def points(self, presets: Mapping[str, Callable[..., Any]] | None = None) -> list[dict[str, Any]]:
        """The metadata dict of every point, in a stable order (d, layout, noise, b, params).

        Noise parameters come from the built model's ``params`` (all of them, canonical types),
        or, for a factory whose result has none, the swept values with numbers as floats.
        """
        table = noise_presets() if presets is None else dict(presets)
        for name in self.noise:
            check_preset_params(name, self.params, table)
        keys = list(self.params)
        out = []
        for structure in self._structures():
            rounds = rounds_for(self.rounds, structure["distance"])
            for name in self.noise:
                for combo in itertools.product(*(self.params[k] for k in keys)):
                    swept = dict(zip(keys, combo))
                    model = table[name](**swept)
                    full = getattr(model, "params", None)
                    if isinstance(full, Mapping) and all(isinstance(k, str) for k in full):
                        noise_params = dict(full)
                    else:
                        noise_params = {k: _float_if_number(v) for k, v in swept.items()}
                    for k, v in noise_params.items():
                        if not (_json_scalar(v) or v is None):
                            raise CatcodeError(f"noise parameter {k}={v!r} of preset {name!r} is not a JSON scalar")
                    for b in self.b:
                        out.append(experiment_metadata(**structure, rounds=rounds, basis=b, noise=name,
                                                       **noise_params))
        return out

    def tasks(
        self,
        *,
        circuit_builder: Callable[[dict[str, Any]], Any] | None = None,
        presets: Mapping[str, Callable[..., Any]] | None = None,
    ) -> list[Any]:
        """One ``sinter.Task`` per point and decoder; every circuit is built (so checked) here.

        ``circuit_builder`` defaults to :func:`build_circuit`. Circuits are normalised through
        their text form, exactly as if read from a ``.stim`` file.
        """
        import sinter

        import stim

        from catcode.decoders import resolve_decoder_name

        builder = build_circuit if circuit_builder is None else circuit_builder
        tasks = []
        for meta in self.points(presets):
            # Through text, as a .stim file would be: the same point then has the same strong id
            # (and the same error model) whether it is swept here or read from `catcode generate`'s
            # files, and Dask workers, which receive the text, sample exactly this circuit.
            circuit = stim.Circuit(str(builder(dict(meta))))
            for dec in dict.fromkeys(resolve_decoder_name(d, circuit) for d in self.decoders):
                tasks.append(sinter.Task(circuit=circuit, decoder=dec, json_metadata=dict(meta)))
        return tasks


