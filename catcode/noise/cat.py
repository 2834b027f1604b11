"""Physics-derived noise presets for cat qubits: Ocelot (transmon ancillas) and the cat-cat code.

Both presets turn physical parameters (``catcode.physics``) into Pauli channels for every operation
and every idle interval of a compiled memory circuit. Every parameter is overridable: device-wide
through the factory's keyword arguments, and per component through the layout, where a node's or
an edge's ``params`` take precedence over the device-wide value::

    layout = Layout.ocelot().with_params("D2", kappa_1_hz=2e4).with_params(("A1", "D1"), cx_duration_ns=552)
    circuit = memory_circuit(layout, ocelot(nbar=1.5), rounds=5, basis="X")

Sources and trust tags ([P] paper, [C] authors' code, [S] summaries, [D] derived here, [U] placeholder,
[F] fitted by ``scripts/calibrate_ocelot.py``) follow ``docs/physics.md``; the calibration is
documented in ``docs/calibration.md``.

Metadata (:attr:`NoiseModel.params`): the parameters the user set, plus ``nbar`` always, so that file
names stay short (``noise=ocelot,nbar=1.5``) while ``preset(name, **params)`` rebuilds the same model:
a parameter left at its default is not listed because the default is part of the preset's definition
(and of the catcode version recorded in every file header).

>>> model = ocelot(nbar=2.0, t1_us=40.0)
>>> model.params
{'nbar': 2.0, 't1_us': 40.0}
>>> cat_cat(nbar=4, k1_over_k2=1e-3).params
{'nbar': 4.0, 'k1_over_k2': 0.001}
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import stim

from catcode import physics
from catcode.errors import CatcodeError, _real, _short, name_list, require_choice, require_probability
from catcode.layout import Layout, derived_cache
from catcode.noise._classes import reduce_groups
from catcode.noise.model import Layer, NoiseContext, NoiseLabels, NoiseModel, Operation, OpNoise, grouped
from catcode.physics import CatParams, Timings, TransmonParams

__all__ = [
    "CatCat",
    "EdgeParams",
    "OCELOT_DEFAULTS",
    "Ocelot",
    "ParamSpec",
    "cat_cat",
    "cycle_flip_probabilities",
    "ocelot",
]


# =============================================================================== parameter specs
#: Upper bounds shared by the presets' parameters: rates (s^-1), durations and times (ns, us).
#: Far above any device (a THz rate, a 1 s gate) and low enough that no product of them overflows.
MAX_RATE_HZ = 1e12
MAX_DURATION_NS = 1e9
MAX_TIME_US = 1e9


@dataclasses.dataclass(frozen=True)
class ParamSpec:
    """One preset parameter: its default, where it may be overridden, its valid range and provenance.

    ``scope`` says which layout element may override it: ``"cat"`` / ``"transmon"`` (a node of
    that kind), ``"edge"`` (a CX coupling), ``"buffer"`` (a buffer node; not settable
    device-wide) or ``"device"`` (only device-wide, through the factory). ``kind`` is ``"float"``,
    ``"float?"`` (a float or None), ``"str"`` or ``"bool"``. A float lies in ``[low, high]``
    (``(low, high]`` when ``low_open``); ``None`` means unbounded on that side.
    """

    name: str
    default: Any
    scope: str
    kind: str
    source: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False

    def range_text(self) -> str:
        """The valid range in words, e.g. ``"> 0 and <= 1e+09"``."""
        parts = []
        if self.low is not None:
            parts.append(f"{'>' if self.low_open else '>='} {self.low:g}")
        if self.high is not None:
            parts.append(f"<= {self.high:g}")
        return " and ".join(parts)


def _spec(name: str, default: Any, scope: str, kind: str, source: str, range_: str = "") -> ParamSpec:
    """A :class:`ParamSpec` with its range written compactly: ``"(0, 1e9]"``, ``"[0, 0.5]"``, ``"[1,)"``."""
    if not range_:
        return ParamSpec(name, default, scope, kind, source)
    lo, hi = range_[1:-1].split(",")
    return ParamSpec(name, default, scope, kind, source, float(lo) if lo.strip() else None,
                     float(hi) if hi.strip() else None, range_[0] == "(")


def _coerce(spec: ParamSpec, value: Any, where: str) -> Any:
    """Type- and range-check one parameter value; one line naming it, the value and the valid range.

    Real numbers only (ints, floats, numpy scalars; not bools or strings), finite, in the spec's range.
    """
    if spec.kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"  # from key=value file names
        raise CatcodeError(f"{where}{spec.name} must be True or False; got {_short(value)}")
    if spec.kind == "str":
        if not isinstance(value, str):
            raise CatcodeError(f"{where}{spec.name} must be a string; got {_short(value)}")
        return value
    if spec.kind == "float?" and value is None:
        return None
    v = _real(value)
    if spec.low == 0.0 and not spec.low_open and spec.high in (0.5, 1.0):
        what = f"a probability in [0, {spec.high:g}]"
    else:
        what = "a finite number" + (" " + spec.range_text() if spec.range_text() else "")
    if not math.isfinite(v):
        raise CatcodeError(f"{where}{spec.name} must be {what}; got {repr(value) if isinstance(value, str) else _short(value)}")
    low_ok = spec.low is None or (v > spec.low if spec.low_open else v >= spec.low)
    if not low_ok or (spec.high is not None and v > spec.high):
        raise CatcodeError(f"{where}{spec.name} must be {what}; got {v!r}")
    return v


class _SpecTable:
    """The parameter table of one preset: defaults, scopes, name validation."""

    def __init__(self, preset_name: str, specs: Sequence[ParamSpec]) -> None:
        self.preset_name = preset_name
        self.specs = {s.name: s for s in specs}
        self._names: dict[tuple[str, ...], list[str]] = {}

    def names(self, *scopes: str) -> list[str]:
        """Parameter names of these scopes, in table order (computed once per scope set)."""
        if scopes not in self._names:
            self._names[scopes] = [n for n, s in self.specs.items() if s.scope in scopes]
        return self._names[scopes]

    def device_values(self, given: Mapping[str, Any]) -> dict[str, Any]:
        settable = [n for n, s in self.specs.items() if s.scope != "buffer"]
        unknown = sorted(set(given) - set(settable))
        if unknown:
            raise CatcodeError(
                f"noise preset {self.preset_name!r} has no parameter {', '.join(map(repr, unknown))}; "
                f"valid names: {', '.join(settable)}"
            )
        out = {n: s.default for n, s in self.specs.items() if s.scope != "buffer"}
        for name, value in given.items():
            out[name] = _coerce(self.specs[name], value, "")
        return out

    def check_layout(self, layout: Layout) -> tuple[dict[str, dict[str, Any]], dict[frozenset, dict[str, Any]]]:
        """Validate every override on the layout once: its name must be a parameter of this preset for
        that element, its value of the right type and in range. Returns the coerced overrides
        ``(by node, by coupling frozenset((a, b)))`` that resolution reads.
        """
        if not layout.overrides:
            return {}, {}
        g = layout.graph
        node_names = self.names("cat", "transmon")
        used = _settings_used_by_their_kind(layout, self)
        nodes: dict[str, dict[str, Any]] = {}
        for node, attrs in g.nodes(data=True):
            params = attrs.get("params", {}) or {}
            if attrs["kind"] == "buffer":
                valid = self.names("buffer")
            else:
                valid = node_names
            bad = sorted(set(params) - set(valid))
            if bad:
                raise CatcodeError(
                    f"layout node {node!r} ({attrs['kind']}) has override(s) {', '.join(map(repr, bad))} "
                    f"unknown to noise preset {self.preset_name!r}; valid names for this node: "
                    f"{', '.join(valid) or '(none)'}"
                )
            _check_other_kind_overrides(node, attrs["kind"], params, self, used)
            if params:
                nodes[node] = {k: _coerce(self.specs[k], v, f"layout node {node!r}: ") for k, v in params.items()}
        valid_edge = self.names("edge")
        edges: dict[frozenset, dict[str, Any]] = {}
        for a, b, attrs in g.edges(data=True):
            params = attrs.get("params", {}) or {}
            bad = sorted(set(params) - set(valid_edge))
            if bad:
                raise CatcodeError(
                    f"layout coupling {a}-{b} has override(s) {', '.join(map(repr, bad))} unknown to noise "
                    f"preset {self.preset_name!r}; valid names for a coupling: {', '.join(valid_edge) or '(none)'}"
                )
            if params:
                edges[frozenset((a, b))] = {k: _coerce(self.specs[k], v, f"layout coupling {a}-{b}: ") for k, v in params.items()}
        return nodes, edges


def _settings_used_by_their_kind(layout: Layout, table: _SpecTable) -> set[tuple[str, str]]:
    """``(name, repr(value))`` of every qubit-kind override set on a node of the kind that uses it."""
    own = {kind: set(table.names(kind)) for kind in ("cat", "transmon")}
    return {
        (name, repr(value))
        for node, name, value in layout.overrides
        if not isinstance(node, tuple) and name in own.get(layout.kind(node), ())
    }


def _check_other_kind_overrides(node: str, kind: str, params: Mapping[str, Any], table: _SpecTable,
                                used: set[tuple[str, str]]) -> None:
    """Reject an override of the other qubit kind on ``node`` unless a qubit of that kind carries the
    same setting (``Layout.chain(params=...)`` puts layout-wide overrides on every qubit node).

    ``Layout.chain(3).with_params("D1", t1_us=30)`` (a transmon time on a cat, which no rule reads)
    is an error instead of silence.
    """
    if kind not in ("cat", "transmon"):
        return
    other = "transmon" if kind == "cat" else "cat"
    foreign = set(table.names(other)) - set(table.names(kind))
    for name in sorted(foreign & set(params)):
        if (name, repr(params[name])) not in used:
            raise CatcodeError(
                f"layout node {node!r} ({kind}) has override {name!r}, a {other} parameter that noise preset "
                f"{table.preset_name!r} never reads on a {kind}; set it on a {other} node"
            )


def _naming_inputs(exc: CatcodeError, inputs: Mapping[str, Any]) -> CatcodeError:
    """``exc`` with the user's inputs appended when its message names only an internal quantity.

    A physics formula reports the quantity it computes ("cat-cat CX Z on the control ... after
    conversion", "duration_ns"); the user set ``cx_duration_ns`` or ``n_thermal``. Messages that
    already name an input (except conversion results, which involve several), or describe the
    layout, are returned unchanged.
    """
    msg = str(exc)
    internal = "after conversion" in msg or not any(k in msg for k in inputs)
    if not inputs or not internal or "layout" in msg or "noise preset" in msg:
        return exc
    listed = ", ".join(f"{k}={_short(v)}" for k, v in inputs.items())
    return CatcodeError(f"{msg} (inputs: {listed})")


def _layout_inputs(layout: Layout) -> dict[str, Any]:
    """Every per-node and per-coupling override of a layout, keyed ``"node: name"`` / ``"a-b: name"``."""
    return {f"{'-'.join(c) if isinstance(c, tuple) else c}: {k}": v for c, k, v in layout.overrides}


def _metadata_params(values: Mapping[str, Any], given: Mapping[str, Any], always: Sequence[str]) -> dict[str, Any]:
    """``always`` first (in that order), then every user-set name in the preset's spec order."""
    out = {n: values[n] for n in always}
    for name in values:
        if name in given and name not in out:
            out[name] = values[name]
    return out


# =============================================================================== Ocelot
R = "(0, 1e12]"  # a rate, s^-1 (MAX_RATE_HZ)
R0 = "[0, 1e12]"
K2 = "[1, 1e12]"  # kappa_2 (s^-1): a two-photon rate below 1/s would not stabilise any cat
T_NS = "(0, 1e9]"  # a duration, ns (MAX_DURATION_NS)
T0_NS = "[0, 1e9]"
T_US = "(0, 1e9]"  # a time constant, us (MAX_TIME_US)
FLIP = "[0, 0.5]"  # a flip probability
FACTOR = "[1, 1e6]"  # a rate during a gate in units of the idle rate

#: The Ocelot preset's parameters, each written once: default, scope, kind, provenance, valid range.
#: Tags: [S]/[P] from Putterman et al., Nature 638, 927 (2025) via docs/physics.md §5; [U]
#: placeholders; [F] fitted by scripts/calibrate_ocelot.py to the published numbers
#: (docs/calibration.md). The fitted values are recorded here, not computed at import.
_OCELOT_SPECS = (
    # cats (data qubits)
    _spec("nbar", 1.5, "cat", "float", "mean photon number of each data cat; Ocelot's d=5 operating point [S]", "(0,)"),
    _spec("kappa_1_hz", physics.OCELOT_KAPPA_1_HZ, "cat", "float", "single-photon loss 1/(60 us) [S x2]", R),
    _spec("kappa_2_hz", 2.0e6, "cat", "float", "two-photon dissipation [U]; sets only the cat preparation / X-readout time 1/kappa_2", K2),
    _spec("kappa_phi_hz", 0.0, "cat", "float", "storage pure dephasing [U]", R0),
    _spec("n_thermal", 0.0, "cat", "float", "storage thermal photons [U]", "[0, 100]"),
    _spec("bit_flip_model", "empirical", "cat", "str", "'empirical' T_X(n) law (docs/physics.md §2; Ocelot is not described by the pure-kappa_1 law) or 'two_photon'"),
    _spec("bit_flip_gamma", 1.64, "cat", "float", "gamma of T_X(n) = T0 e^{gamma n}/n [F] to the d = 3 section minima (d = 5 held out); 2 ideal, 4.3 squeezed [P]", "[0, 10]"),
    _spec("bit_flip_time_ref_us", 1000.0, "cat", "float", "idle bit-flip time at bit_flip_nbar_ref: one cat at n = 2, '> 1 ms' [S x2]", T_US),
    _spec("bit_flip_nbar_ref", 2.0, "cat", "float", "nbar of that measurement: 2 [S x2]", "(0, 100]"),
    _spec("bit_flip_time_convention", "rate", "cat", "str", "'rate' (Gamma = 1/T) or 'decay' (1/(2T)) [U]; degenerate with cx_bit_flip_factor"),
    _spec("cx_phase_flip_factor", 1.445, "cat", "float", "cat phase-flip rate during a CX / idle rate [F] to 9.6e-2 phase flips per cycle at n = 2 [S x2]", FACTOR),
    _spec("cx_bit_flip_factor", 1.890, "cat", "float", "cat bit-flip rate during a CX / idle rate [F] to 3.5e-3 bit flips per cycle at n = 2 [S x2]", FACTOR),
    _spec("cat_readout_error", 0.0, "cat", "float", "final data-cat readout flip [U] (SPAM only; see calibration.md)", FLIP),
    _spec("cat_readout_ns", None, "cat", "float?", "data-cat readout duration (ns); None = 1/kappa_2 [C: Le Régent et al.]", T_NS),
    # transmons (ancillas)
    _spec("t1_us", 50.0, "transmon", "float", "transmon T1 [U] placeholder (docs/physics.md §4), held fixed in the fit", T_US),
    _spec("t2_us", 50.0, "transmon", "float", "transmon T2 [U] placeholder, held fixed in the fit", T_US),
    _spec("readout_error", 0.0015, "transmon", "float", "transmon readout flip [F] with reset_error, to the d = 3 section minima", FLIP),
    _spec("reset_error", 0.0015, "transmon", "float", "transmon preparation flip [F] tied to readout_error", FLIP),
    _spec("erasure_flagged", True, "transmon", "bool", "f->e decays heralded by the three-state readout (erasures) [S]"),
    _spec("flaggable_decay_fraction", 1.0, "transmon", "float", "share of decays that are f->e [U]", "[0, 1]"),
    # timings
    _spec("cx_duration_ns", 400.0, "edge", "float", "CX duration, 400 ns inside 292-552 ns across the device [S x2]", T_NS),
    _spec("ancilla_prep_ns", 300.0, "device", "float", "transmon reset + preparation [U]", T0_NS),
    _spec("cycle_ns", 2800.0, "device", "float", "cycle, 2.8 us [S x2]; the ancilla measurement takes the slack", T_NS),
    # cat-controlled CX onto a transmon (Z-type checks; Hann et al. arXiv:2410.23363): assumption [U],
    # as disruptive to the cat as Ocelot's own CX (docs/reproductions.md §4)
    _spec("cat_cx_duration_ns", 400.0, "edge", "float", "cat-controlled CX onto a transmon (Z checks) [U]: as cx_duration_ns", T_NS),
    _spec("cat_cx_phase_flip_factor", 1.445, "cat", "float", "cat phase-flip rate during that CX / idle rate [U]: as Ocelot's CX", FACTOR),
    _spec("cat_cx_bit_flip_factor", 1.890, "cat", "float", "cat bit-flip rate during that CX / idle rate [U]: as Ocelot's CX", FACTOR),
    _spec("allow_extrapolation", False, "device", "bool", "allow nbar outside the formulas' validity range, with a warning (docs/physics.md §2)"),
    _spec("g2_hz", None, "buffer", "float?", "buffer two-photon coupling (with kappa_b_hz: kappa_2 = 4 g2^2/kappa_b)", R),
    _spec("kappa_b_hz", None, "buffer", "float?", "buffer decay rate", R),
)
_OCELOT_TABLE = _SpecTable("ocelot", _OCELOT_SPECS)

#: Ocelot preset defaults (derived from the parameter table above; documented in docs/calibration.md).
OCELOT_DEFAULTS: dict[str, Any] = {sp.name: sp.default for sp in _OCELOT_SPECS if sp.scope != "buffer"}

_CAT_FIELDS = (
    "nbar",
    "kappa_1_hz",
    "kappa_2_hz",
    "kappa_phi_hz",
    "n_thermal",
    "bit_flip_model",
    "bit_flip_gamma",
    "bit_flip_time_ref_us",
    "bit_flip_nbar_ref",
    "bit_flip_time_convention",
)
_TRANSMON_FIELDS = ("t1_us", "t2_us", "readout_error", "reset_error", "erasure_flagged", "flaggable_decay_fraction")


@dataclasses.dataclass(frozen=True)
class EdgeParams:
    """The parameters of one CX coupling, as the CX rules read them: device-wide values, then the
    coupling's ``params`` overrides (validated by the preset's :class:`ParamSpec` table). Resolved
    once per coupling per layout (:meth:`_PresetBase.edge`); a field the preset has no
    ``"edge"``-scope parameter for stays None (``cx_duration_ns`` is also None on a ``cat_cat``
    coupling that takes the convention's CX time).

    >>> EdgeParams(cx_duration_ns=552.0).cat_cx_duration_ns is None
    True
    """

    cx_duration_ns: float | None = None
    cat_cx_duration_ns: float | None = None  # ocelot: cat-controlled CX onto a transmon (Z checks)
    cx_error: float | None = None  # transmon: DEPOLARIZE2 infidelity on top of decoherence


class _PresetBase(NoiseModel):
    """Shared machinery: parameter resolution with per-node / per-edge overrides, caching."""

    _table: _SpecTable
    #: The rules only concatenate what grouped() returns: the noise pass may hand them
    #: instructions it has not built yet (catcode.noise.model._Pending).
    _pending_instructions = True

    def __init__(self, values: dict[str, Any], given: Mapping[str, Any], always: Sequence[str]) -> None:
        self._values = values
        self._params = _metadata_params(values, given, always)
        self._cache: dict[tuple, Any] = {}
        self._memo_layout: Layout | None = None
        self._memo: dict[tuple, Any] = {}

    @property
    def params(self) -> dict[str, Any]:
        return dict(self._params)

    def value(self, name: str) -> Any:
        """Device-wide value of a parameter (default or user-set)."""
        return self._values[name]

    #: Required qubit kind per role ("data", "ancilla"), and the hint given when a layout differs.
    _kinds: dict[str, str] = {}
    _layout_hint: str = ""

    def apply(self, circuit: stim.Circuit, layout: Layout) -> stim.Circuit:
        for role, kind in self._kinds.items():
            if _facts(layout).kinds[role] <= {kind}:
                continue
            wrong = [q for q in (layout.data_qubits if role == "data" else layout.ancilla_qubits) if layout.kind(q) != kind]
            if wrong:
                raise CatcodeError(
                    f"noise preset {self.name!r} models {role} qubits that are {kind}s; in layout {layout.name!r} "
                    f"{name_list(wrong)} {'is a' if len(wrong) == 1 else 'are'} {layout.kind(wrong[0])}. {self._layout_hint}"
                )
        try:
            self._overrides(NoiseContext(layout))  # every override validated once, before the pass
            return super().apply(circuit, layout)
        except CatcodeError as exc:
            raise _naming_inputs(exc, {**self._params, **_layout_inputs(layout)}) from None

    def noise_labels(self, layout: Layout) -> NoiseLabels:
        """Qubits the rules treat alike: same kind, role, check basis and overrides (a cat's buffer's
        included); CX pairs: same qubit labels, coupling overrides and CX layer.

        Every rule reads a qubit only through these (its parameters resolve from them, its check
        basis picks the Z-check rules, its CX layer's longest gate sets the layer's duration), so
        the pass may evaluate one qubit per label (:meth:`NoiseModel.noise_labels`).

        >>> labels = ocelot().noise_labels(Layout.chain(3).with_params("D1", nbar=2.0))
        >>> len(set(labels.qubit)), len(set(labels.pair.values()))  # D1 / D2, D3 / A1, A2; pairs both ways
        (3, 6)
        """
        return _facts(layout).labels

    # -- resolution ---------------------------------------------------------------------
    def _resolved(self, ctx: NoiseContext, key: tuple, build: Any) -> Any:
        """Per-layout memo: every component's parameters are resolved (defaults + overrides,
        validated) once per layout, then rules read the records (issue 15: no per-operation work)."""
        if self._memo_layout is not ctx.layout:
            self._memo_layout, self._memo = ctx.layout, {}
        try:
            return self._memo[key]
        except KeyError:
            value = self._memo[key] = build()
            return value

    def _node_values(self, ctx: NoiseContext, qubit: int, scope: str) -> dict[str, Any]:
        return self._resolved(ctx, ("vals", qubit, scope), lambda: self._resolve_node(ctx, qubit, scope))

    def _overrides(self, ctx: NoiseContext) -> tuple[dict[str, dict[str, Any]], dict[frozenset, dict[str, Any]]]:
        """The layout's overrides, validated once per layout and preset (:meth:`_SpecTable.check_layout`)."""
        return self._per_layout(ctx.layout, ("overrides",), lambda: self._table.check_layout(ctx.layout))

    def _per_layout(self, layout: Layout, key: tuple, build: Any) -> Any:
        """What depends only on the layout and this preset's table (not on the model's values):
        kept on the layout (:func:`~catcode.layout.derived_cache`), shared by every model of the preset."""
        memo = derived_cache(layout, "cat presets")
        full = (id(self._table), *key)  # tables are module-level constants: ids are never reused
        if full not in memo:
            memo[full] = build()
        return memo[full]

    def _device_values(self, scope: str) -> dict[str, Any]:
        """The device-wide values of the parameters in ``scope``: those of a component without overrides."""
        return {n: self._values[n] for n in self._table.names(scope)}

    def _resolve_node(self, ctx: NoiseContext, qubit: int, scope: str) -> dict[str, Any]:
        vals = self._device_values(scope)
        vals.update(self._per_layout(ctx.layout, ("node", qubit, scope), lambda: self._node_overrides(ctx, qubit, scope)))
        return vals

    def _node_overrides(self, ctx: NoiseContext, qubit: int, scope: str) -> dict[str, Any]:
        """The overrides of ``qubit``'s node in ``scope``; for a cat, its buffer's kappa_2 too."""
        nodes = self._overrides(ctx)[0]
        if not nodes:
            return {}
        node = ctx.node(qubit)
        vals = {k: v for k, v in nodes.get(node, {}).items() if self._table.specs[k].scope == scope}
        if scope == "cat":
            buf = next((nodes.get(n, {}) for n in ctx.layout.graph[node] if ctx.layout.graph.nodes[n]["kind"] == "buffer"), {})
            if buf:
                if set(buf) != {"g2_hz", "kappa_b_hz"}:
                    raise CatcodeError(
                        f"the buffer of {ctx.node(qubit)!r} needs both g2_hz and kappa_b_hz "
                        f"(kappa_2 = 4 g2^2 / kappa_b); got {sorted(buf)}"
                    )
                vals["kappa_2_hz"] = physics.kappa_2_from_buffer(float(buf["g2_hz"]), float(buf["kappa_b_hz"]))
        return vals

    def _cat_idle(self, cat: CatParams, duration_ns: float) -> tuple[float, float, float]:
        """:func:`~catcode.physics.cat_idle_channel`, computed once per (cat parameters, duration)."""
        return self._cached(("cat_idle", cat, duration_ns), lambda: physics.cat_idle_channel(cat, duration_ns))

    def _channel_args(self, channel: Mapping[str, float]) -> tuple[float, ...]:
        """:func:`~catcode.physics.pauli_channel_2_args`, computed once per distinct channel."""
        return self._cached(("pauli2", tuple(channel.items())), lambda: physics.pauli_channel_2_args(channel))

    def _cached(self, key: tuple, build: Any) -> Any:
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    def edge(self, ctx: NoiseContext, a: int, b: int) -> EdgeParams:
        """The :class:`EdgeParams` of the coupling between qubits ``a`` and ``b`` (either order)."""
        return self._resolved(ctx, ("edge", frozenset((a, b))), lambda: self._resolve_edge(ctx, a, b))

    def _resolve_edge(self, ctx: NoiseContext, a: int, b: int) -> EdgeParams:
        over = self._overrides(ctx)[1].get(frozenset((ctx.node(a), ctx.node(b))), {})
        return EdgeParams(**{n: over.get(n, self._values[n]) for n in self._table.names("edge")})


@dataclasses.dataclass(frozen=True)
class _LayoutFacts:
    """What the presets read off one layout, computed once per layout object (:func:`_facts`)."""

    labels: NoiseLabels
    of_pair: dict[frozenset, int]  # CX layer of each (ancilla, data) coupling, by qubit indices
    layer_reps: tuple[tuple[tuple[int, int], ...], ...]  # per CX layer, one (ancilla, data) pair per label
    kinds: dict[str, frozenset[str]]  # qubit kinds of each role
    first_layer: frozenset[tuple[int, int]]  # (ancilla, data) pairs of the first CX layer
    check: tuple[str | None, ...]  # per qubit index: the check basis of an ancilla, None for data

    def only(self, kind: str) -> bool:
        """Whether every qubit of the layout is a ``kind``."""
        return self.kinds["data"] | self.kinds["ancilla"] <= {kind}


def _facts(layout: Layout) -> _LayoutFacts:
    memo = derived_cache(layout, "cat presets")
    if "facts" not in memo:
        labels = _labels(layout)
        idx = layout.qubit_index
        layers = [[(idx[a], idx[b]) for a, b in gates] for gates in layout.cx_layers]
        of_pair = {frozenset(p): k for k, pairs in enumerate(layers) for p in pairs}
        reps = tuple(reduce_groups(pairs, labels.pair.get).reps for pairs in layers)
        kinds = {role: frozenset(map(layout.kind, qubits)) for role, qubits in (("data", layout.data_qubits), ("ancilla", layout.ancilla_qubits))}
        g = layout.graph
        check = tuple(g.nodes[q].get("check", "X") if g.nodes[q]["role"] == "ancilla" else None for q in layout.qubits)
        memo["facts"] = _LayoutFacts(labels, of_pair, reps, kinds, frozenset(map(tuple, layers[0] if layers else ())), check)
    return memo["facts"]


def _labels(layout: Layout) -> NoiseLabels:
    """:meth:`_PresetBase.noise_labels` (overrides compared by ``repr``: never coarser than equality)."""
    g = layout.graph

    def qubit_label(node: str) -> tuple:
        attrs = g.nodes[node]
        buffers = [repr(sorted(layout.node_params(n).items())) for n in g[node] if g.nodes[n]["kind"] == "buffer"]
        return (attrs["kind"], attrs["role"], attrs.get("check"), repr(sorted(layout.node_params(node).items())), tuple(buffers))

    qubit = tuple(qubit_label(node) for node in layout.qubits)
    idx = layout.qubit_index
    pair = {}
    for k, gates in enumerate(layout.cx_layers):
        for a, b in gates:
            i, j = idx[a], idx[b]
            edge = repr(sorted(layout.edge_params(a, b).items()))
            pair[(i, j)] = (qubit[i], qubit[j], edge, k)
            pair[(j, i)] = (qubit[j], qubit[i], edge, k)
    return NoiseLabels(qubit, pair)


def _require_factor(name: str, value: float) -> float:
    if not value >= 1.0:
        raise CatcodeError(
            f"{name} must be >= 1 (the rate during a CX in units of the idle rate; 1 adds nothing); got {value!r}"
        )
    return value


class Ocelot(_PresetBase):
    """Ocelot: cat data qubits, transmon ancillas, noise from physical parameters (see :func:`ocelot`)."""

    name = "ocelot"
    _table = _OCELOT_TABLE
    _kinds = {"data": "cat", "ancilla": "transmon"}
    _layout_hint = (
        "Layouts with transmon ancillas: Layout.ocelot(), Layout.chain(d), "
        "Layout.rectangular_surface(phase_distance, bit_distance); for cat ancillas use noise.cat_cat(nbar, k1_over_k2)."
    )

    def __init__(self, nbar: float = OCELOT_DEFAULTS["nbar"], **overrides: Any) -> None:
        given = {"nbar": nbar, **overrides}
        values = self._table.device_values(given)
        super().__init__(values, given, always=("nbar",))
        try:
            self._validate(values)
        except CatcodeError as exc:
            raise _naming_inputs(exc, self._params) from None

    def _validate(self, values: Mapping[str, Any]) -> None:
        """Validate the device-wide values now, so bad parameters fail at construction.

        The channels computed here are those of a component without overrides, kept under the
        keys the rules look them up by (:meth:`cat`, :meth:`transmon`, :meth:`cx`, ...): a
        compile does not compute them again.
        """
        self.timings()
        cat_vals = self._device_values("cat")
        cat = self._cat_of(cat_vals)
        tr = self._transmon_of(self._device_values("transmon"))
        _require_factor("cx_phase_flip_factor", values["cx_phase_flip_factor"])
        _require_factor("cx_bit_flip_factor", values["cx_bit_flip_factor"])
        require_probability("cat_readout_error", values["cat_readout_error"])
        self._cx_cached(cat, cat_vals, tr, values["cx_duration_ns"])
        self._prep_error(cat, "X")
        self._prep_error(cat, "Z")
        self._measure_flip(cat, cat_vals, "X")
        physics.cat_idle_channel(cat, values["cycle_ns"])
        physics.transmon_ancilla_idle_channel(tr, values["cycle_ns"])

    # -- parameter objects --------------------------------------------------------------
    @staticmethod
    def _cat_params(vals: Mapping[str, Any]) -> CatParams:
        return CatParams(**{k: vals[k] for k in _CAT_FIELDS})

    @staticmethod
    def _transmon_params(vals: Mapping[str, Any]) -> TransmonParams:
        return TransmonParams(**{k: vals[k] for k in _TRANSMON_FIELDS})

    def timings(self) -> Timings:
        """The device-wide cycle :class:`~catcode.physics.Timings`; the ancilla measurement takes the slack.

        ``cycle = ancilla_prep_ns + 2 * cx_duration_ns + measurement``: the measurement (with the
        transmon reset that ends it) lasts whatever the cycle leaves after the preparation and the
        two CX layers (default ``2800 - 300 - 2 * 400 = 1700`` ns), so ``slack_ns`` is 0.

        >>> ocelot().timings().ancilla_measure_ns
        1700.0
        """
        v = self._values
        measure = self._check_layers([v["cx_duration_ns"]] * 2)
        return Timings(
            cx_duration_ns=v["cx_duration_ns"], ancilla_prep_ns=v["ancilla_prep_ns"],
            ancilla_measure_ns=measure, cycle_ns=v["cycle_ns"], cx_layers=2,
        )

    def _check_layers(self, layers: Sequence[float]) -> float:
        """The ancilla measurement time left when the CX layers last ``layers`` ns; raise if none is left."""
        v = self._values
        cycle, prep = v["cycle_ns"], v["ancilla_prep_ns"]
        # Timings names the valid range of a single CX (<= cycle) and of the durations themselves.
        Timings(cx_duration_ns=max(layers), ancilla_prep_ns=prep, ancilla_measure_ns=0.0, cycle_ns=cycle, cx_layers=1)
        busy = prep + sum(layers)
        if busy > cycle:
            raise CatcodeError(
                f"the ancilla preparation ({prep:g} ns) and the {len(layers)} CX layers "
                f"({' + '.join(f'{t:g}' for t in layers)} ns) must fit in cycle_ns = {cycle:g} (the measurement "
                f"takes the rest); valid cx_duration_ns: (0, {(cycle - prep) / len(layers):g}] per layer; "
                f"got a total of {busy:g} ns"
            )
        return cycle - busy

    def cat(self, ctx: NoiseContext, qubit: int) -> CatParams:
        """The :class:`CatParams` of a cat qubit: device-wide values, then its node's overrides."""
        return self._resolved(ctx, ("cat", qubit), lambda: self._cat_of(self._node_values(ctx, qubit, "cat")))

    def _cat_of(self, vals: Mapping[str, Any]) -> CatParams:
        """:meth:`_validated_cat`, computed once per distinct set of cat values."""
        return self._cached(("cat", tuple(sorted(vals.items()))), lambda: self._validated_cat(vals))

    def device_cat(self) -> CatParams:
        """The :class:`CatParams` of a cat without per-node overrides (the device-wide values).

        >>> ocelot(nbar=2.0).device_cat().nbar
        2.0
        """
        return self._validated_cat(self._values)

    def device_transmon(self) -> TransmonParams:
        """The :class:`TransmonParams` of a transmon without per-node overrides."""
        return self._transmon_params(self._values)

    def cycle_flip_probabilities(self, nbar: float | None = None, *, cx_per_cycle: int = 2) -> tuple[float, float]:
        """(bit flip, phase flip) probability of one data cat over one cycle with CX running.

        The convention-free per-cycle quantities of docs/physics.md §5 (3.5e-3 and 9.6e-2 at n = 2): a
        cat in the bulk of the chain does ``cx_per_cycle`` CX gates and idles for the rest of the
        cycle (device-wide values; ``nbar`` replaces the model's). Bit flip = X or Y (flips of Z);
        phase flip = Z or Y.

        >>> b, z = ocelot().cycle_flip_probabilities(nbar=2.0)
        >>> round(b, 4), round(z, 3)
        (0.0035, 0.096)
        """
        vals = dict(self._values)
        if nbar is not None:
            vals["nbar"] = float(nbar)
        cat = self._validated_cat(vals)
        tr = self._transmon_params(vals)
        t_cx = vals["cx_duration_ns"]
        idle_ns = vals["cycle_ns"] - cx_per_cycle * t_cx
        px, py, pz = physics.cat_idle_channel(cat, idle_ns)
        ch = self._cx_channel(cat, vals, tr, t_cx)
        # Marginal on the cat of the CX channel (the first letter is the transmon).
        cx_x = sum(p for k, p in ch.pauli.items() if k[1] == "X")
        cx_y = sum(p for k, p in ch.pauli.items() if k[1] == "Y")
        cx_z = sum(p for k, p in ch.pauli.items() if k[1] == "Z")
        total = {"X": px, "Y": py, "Z": pz}
        for _ in range(cx_per_cycle):
            total = physics.compose_pauli_channels(total, {"X": cx_x, "Y": cx_y, "Z": cx_z})
        return total["X"] + total["Y"], total["Z"] + total["Y"]

    def _validated_cat(self, vals: Mapping[str, Any]) -> CatParams:
        cat = self._cat_params(vals)
        physics.check_nbar_validity(cat.nbar, cat.bit_flip_model, allow_extrapolation=self._values["allow_extrapolation"])
        _require_factor("cx_phase_flip_factor", vals["cx_phase_flip_factor"])
        _require_factor("cx_bit_flip_factor", vals["cx_bit_flip_factor"])
        require_probability("cat_readout_error", vals["cat_readout_error"])
        _cat_readout_ns(cat, vals)
        return cat

    def _cat_vals(self, ctx: NoiseContext, qubit: int) -> dict[str, Any]:
        return self._node_values(ctx, qubit, "cat")

    def transmon(self, ctx: NoiseContext, qubit: int) -> TransmonParams:
        """The :class:`TransmonParams` of a transmon: device-wide values, then its node's overrides."""
        return self._resolved(ctx, ("transmon", qubit), lambda: self._transmon_of(self._node_values(ctx, qubit, "transmon")))

    def _transmon_of(self, vals: Mapping[str, Any]) -> TransmonParams:
        """:meth:`_transmon_params`, computed once per distinct set of transmon values."""
        return self._cached(("transmon", tuple(sorted(vals.items()))), lambda: self._transmon_params(vals))

    # -- geometry: CX layer durations ------------------------------------------------------
    def _cx_ns(self, ctx: NoiseContext, a: int, b: int) -> float:
        edge = self.edge(ctx, a, b)
        t = edge.cat_cx_duration_ns if _in_z_check(ctx, a, b) else edge.cx_duration_ns
        if not t > 0:
            raise CatcodeError(f"cx_duration_ns of {ctx.node(a)}-{ctx.node(b)} must be > 0; got {t!r}")
        return t

    def _layers(self, ctx: NoiseContext) -> tuple[dict[frozenset, int], list[float]]:
        """Which CX layer each (ancilla, data) coupling runs in, and each layer's duration."""
        layout = ctx.layout

        def build() -> tuple[dict[frozenset, int], list[float]]:
            facts = _facts(layout)  # pairs with one label have one duration: one per label is enough
            durations = [max([0.0] + [self._cx_ns(ctx, a, d) for a, d in reps]) for reps in facts.layer_reps]
            self._check_layers(durations or [self._values["cx_duration_ns"]])  # they must fit in the cycle
            return facts.of_pair, durations

        return self._resolved(ctx, ("layers",), build)

    def measure_ns(self, ctx: NoiseContext) -> float:
        """Ancilla measurement duration: the cycle minus the preparation and the CX layers."""
        _, durations = self._layers(ctx)
        return self._values["cycle_ns"] - self._values["ancilla_prep_ns"] - sum(durations)

    # -- channels ---------------------------------------------------------------------------
    def _cx_cached(
        self, cat: CatParams, cat_vals: Mapping[str, Any], tr: TransmonParams, t_ns: float
    ) -> physics.CatTransmonCXChannel:
        """:meth:`_cx_channel`, computed once per (transmon, cat values, duration)."""
        key = ("cx", tr, tuple(sorted(cat_vals.items())), t_ns)
        return self._cached(key, lambda: self._cx_channel(cat, cat_vals, tr, t_ns))

    def _cx_channel(
        self, cat: CatParams, cat_vals: Mapping[str, Any], tr: TransmonParams, t_ns: float
    ) -> physics.CatTransmonCXChannel:
        """physics.cat_transmon_cx_channel plus the CX's extra cat phase and bit flips.

        During the gate the cat's phase-flip rate is ``cx_phase_flip_factor`` times its idle rate
        and its bit-flip rate ``cx_bit_flip_factor`` times (model choice [D], factors fitted [F]).
        The excess bit flips enter as physics' ``residual_bit_flip`` (X on the cat, §3c); the
        excess phase flips are split half before the gate (Z on the cat -> ZZ) and half after (IZ),
        as the cat's own losses are.
        """
        extra_x = physics.flip_probability((cat_vals["cx_bit_flip_factor"] - 1.0) * physics.cat_bit_flip_rate_hz(cat), t_ns)
        base = physics.cat_transmon_cx_channel(cat, tr, t_ns, residual_bit_flip=extra_x)
        half = physics.flip_probability((cat_vals["cx_phase_flip_factor"] - 1.0) * physics.cat_phase_flip_rate_hz(cat), t_ns / 2)
        pauli = base.pauli
        if half > 0:
            pauli = physics.compose_pauli_channels(pauli, {"ZZ": half}, {"IZ": half})
        for key, p in pauli.items():
            if p > 0.5:
                raise CatcodeError(
                    f"cat-transmon CX {key} error: probability {p:.4g} is outside [0, 0.5] after conversion; "
                    "reduce cx_duration_ns, kappa_1_hz, nbar or cx_phase_flip_factor"
                )
        return physics.CatTransmonCXChannel(pauli, base.erasure)

    @staticmethod
    def _cat_prep(cat: CatParams, basis: str) -> physics.OperationError:
        return physics.cat_prepare_plus(cat) if basis == "X" else physics.cat_prepare_zero(cat)

    def _prep_error(self, cat: CatParams, basis: str) -> physics.OperationError:
        """:meth:`_cat_prep`, computed once per (cat parameters, basis)."""
        return self._cached(("prep", cat, basis), lambda: self._cat_prep(cat, basis))

    def _measure_flip(self, cat: CatParams, vals: Mapping[str, Any], basis: str) -> float:
        """:meth:`_cat_measure_flip`, computed once per (cat parameters, readout settings, basis)."""
        key = ("measure", cat, vals["cat_readout_error"], vals["cat_readout_ns"], basis)
        return self._cached(key, lambda: self._cat_measure_flip(cat, vals, basis))

    @staticmethod
    def _cat_measure_flip(cat: CatParams, vals: Mapping[str, Any], basis: str) -> float:
        """Final data-cat readout flip: readout error, plus (X basis) the parity readout's n k1 T.

        T is ``cat_readout_ns`` (default 1/kappa_2).
        """
        p = vals["cat_readout_error"]
        if basis == "X":
            p = physics.compose_flips(physics.cat_measure_x(cat, _cat_readout_ns(cat, vals)).probability, p)
        return p

    # -- NoiseModel rules -------------------------------------------------------------------
    def idle_step_ns(self, ctx: NoiseContext) -> float:
        """Duration of an idle step (a layer with no operations): one CX duration (``cx_duration_ns``).

        An idle step stands for a CX layer in which this check does not act (a gap in a code's CX
        schedule), so it lasts what a CX layer lasts on this device (docs/physics.md §3a′ names the
        convention; Ocelot's cycle is built from CX layers of ``cx_duration_ns``, §5).

        >>> ocelot().idle_step_ns(None)
        400.0
        """
        return self._values["cx_duration_ns"]

    def duration_ns(self, op: Operation, ctx: NoiseContext) -> float:
        kind = ctx.kind(op.targets[0]) if op.targets else "cat"
        if op.kind == "cx":
            of_pair, durations = self._layers(ctx)
            return max(durations[of_pair[frozenset(p)]] if frozenset(p) in of_pair else self._cx_ns(ctx, *p) for p in op.pairs)
        if op.kind == "prepare":
            if kind == "transmon":
                return self._values["ancilla_prep_ns"]
            return max(self._prep_error(self.cat(ctx, q), op.basis).duration_ns for q in op.targets)
        if op.kind == "measure":
            if kind == "transmon":
                return self.measure_ns(ctx)
            return max(_cat_readout_ns(self.cat(ctx, q), self._cat_vals(ctx, q)) for q in op.targets)
        return 0.0

    def prepare(self, op: Operation, ctx: NoiseContext) -> OpNoise:
        kind = _single_kind(op, ctx)
        if kind == "transmon":
            flip = _transmon_flip_gate(op)  # Z-check ancillas: |g>, Z readout (docs/reproductions.md §4)
            return OpNoise(after=grouped(flip, [((q,), (self.transmon(ctx, q).reset_error,)) for q in op.targets]))
        entries, pad = [], []
        errors = [(q, self.cat(ctx, q)) for q in op.targets]
        errors = [(q, cat, self._prep_error(cat, op.basis)) for q, cat in errors]
        # The data are prepared in the layer of the first ancilla preparation, which lasts as long
        # as its longest preparation (duration_ns: the layer is lengthened, never truncated); a
        # faster cat preparation is followed by idling until the layer ends.
        layer_ns = max([self._values["ancilla_prep_ns"]] + [err.duration_ns for _, _, err in errors])
        for q, cat, err in errors:
            entries.append(((q,), (err.probability,)))
            rest = layer_ns - err.duration_ns
            if rest > 0:
                pad.append(((q,), self._cat_idle(cat, rest)))
        return OpNoise(after=grouped("Z_ERROR" if op.basis == "X" else "X_ERROR", entries) + grouped("PAULI_CHANNEL_1", pad))

    def measure(self, op: Operation, ctx: NoiseContext) -> OpNoise:
        kind = _single_kind(op, ctx)
        if kind == "transmon":
            flip = _transmon_flip_gate(op)
            return OpNoise(before=grouped(flip, [((q,), (self.transmon(ctx, q).readout_error,)) for q in op.targets]))
        entries = []
        for q in op.targets:
            entries.append(((q,), (self._measure_flip(self.cat(ctx, q), self._cat_vals(ctx, q), op.basis),)))
        return OpNoise(before=grouped("Z_ERROR" if op.basis == "X" else "X_ERROR", entries))

    def cx(self, op: Operation, ctx: NoiseContext) -> OpNoise:
        if op.tag == "cx:cat-transmon":  # Z-type checks: the data cat controls (Hann et al.)
            return _ocelot_cat_controlled_cx(self, op, ctx)
        if op.tag != "cx:transmon-cat":
            raise CatcodeError(
                f"noise preset 'ocelot' models CX gates between a cat and a transmon (tags cx:transmon-cat, cx:cat-transmon); "
                f"got {op.gate}[{op.tag}]. {self._layout_hint}"
            )
        of_pair, durations = self._layers(ctx)
        pauli_entries, herald_entries, pad_cat, pad_tr = [], [], [], []
        for c, t in op.pairs:
            tr = self.transmon(ctx, c)
            cat = self.cat(ctx, t)
            cat_vals = self._cat_vals(ctx, t)
            t_ns = self._cx_ns(ctx, c, t)
            ch = self._cx_cached(cat, cat_vals, tr, t_ns)
            pauli_entries.append(((c, t), self._channel_args(ch.pauli)))
            if tr.erasure_flagged and ch.erasure > 0:
                herald_entries.append(((c,), ch.heralded_pauli_channel_1_args))
            layer_ns = durations[of_pair[frozenset((c, t))]] if frozenset((c, t)) in of_pair else t_ns
            rest = layer_ns - t_ns
            if rest > 0:  # a shorter gate in a longer layer: both qubits idle for the rest
                pad_cat.append(((t,), self._cat_idle(cat, rest)))
                pad_tr.append((c, tr, rest))
        after = grouped("PAULI_CHANNEL_2", pauli_entries)
        after += grouped("HERALDED_PAULI_CHANNEL_1", herald_entries)
        after += grouped("PAULI_CHANNEL_1", pad_cat)
        after += self._transmon_idle([(q, tr, ns) for q, tr, ns in pad_tr])
        return OpNoise(after=after)

    def _transmon_idle(self, items: Sequence[tuple[int, TransmonParams, float]]) -> list[stim.CircuitInstruction]:
        """Transmon ancilla idling between its CX gates: heralded erasure + Z (physics §3c)."""
        heralds, zs = [], []
        for q, tr, ns in items:
            erasure, pz = self._cached(("anc_idle", tr, ns), lambda: physics.transmon_ancilla_idle_channel(tr, ns))
            if tr.erasure_flagged and erasure > 0:
                heralds.append(((q,), (erasure / 2, 0.0, 0.0, erasure / 2)))
            zs.append(((q,), (pz,)))
        return grouped("HERALDED_PAULI_CHANNEL_1", heralds) + grouped("Z_ERROR", zs)

    def idle(self, qubits: Sequence[int], layer: Layer, ctx: NoiseContext) -> list[stim.CircuitInstruction]:
        """Idle noise for one layer.

        Cats: :func:`~catcode.physics.cat_idle_channel` over the layer (every layer: they are
        stabilised continuously). Transmons: :func:`~catcode.physics.transmon_ancilla_idle_channel`,
        only in CX layers (a transmon waiting between its two CX gates). Outside CX layers an idle
        transmon is either not yet prepared or already measured for the last time, where noise has
        no effect and a herald would have no readout to come from. An idle step (a layer with no
        operations, :meth:`idle_step_ns`) sits between CX layers, so its transmons idle too.
        """
        cats, transmons = [], []
        for q in qubits:
            if ctx.kind(q) == "cat":
                cats.append(((q,), self._cat_idle(self.cat(ctx, q), layer.duration_ns)))
            elif layer.has("cx") or not layer.operations:  # an idle step sits between CX layers
                transmons.append((q, self.transmon(ctx, q), layer.duration_ns))
        out = grouped("PAULI_CHANNEL_1", cats)
        if transmons:
            x_check, z_check = _split_by_check(ctx, transmons)
            out += self._transmon_idle(x_check) + _z_check_transmon_idle(z_check)
        return out


def _cat_readout_ns(cat: CatParams, vals: Mapping[str, Any]) -> float:
    """Data-cat readout duration (ns): ``cat_readout_ns``, or 1/kappa_2 when it is None.

    >>> _cat_readout_ns(ocelot().device_cat(), {"cat_readout_ns": None})
    500.0
    """
    t = vals["cat_readout_ns"]
    if t is None:
        return 1e9 / cat.kappa_2_hz
    if not t > 0:
        raise CatcodeError(f"cat_readout_ns must be > 0 ns (or None for 1/kappa_2); got {t!r}")
    return float(t)


def _single_kind(op: Operation, ctx: NoiseContext) -> str:
    kinds = {ctx.kind(q) for q in op.targets}
    if len(kinds) != 1:
        raise CatcodeError(f"{op.gate}[{op.tag}] mixes qubit kinds {sorted(kinds)}; the compiler groups them by kind")
    return kinds.pop()


def ocelot(nbar: float = OCELOT_DEFAULTS["nbar"], **overrides: Any) -> Ocelot:
    """Ocelot's repetition code: cat data qubits, transmon ancillas, calibrated defaults.

    Putterman et al., Nature 638, 927 (2025) (docs/physics.md §5). Every operation's noise follows from
    physical parameters through ``catcode.physics``:

    =====================  =========================================================================
    data cat, idle         :func:`~catcode.physics.cat_idle_channel` over each layer's duration
    CX (transmon -> cat)   :func:`~catcode.physics.cat_transmon_cx_channel` (§3c), with the cat's phase
                           and bit-flip rates during the gate raised by ``cx_phase_flip_factor`` and
                           ``cx_bit_flip_factor``; transmon f->e decays as heralded
                           ``HERALDED_PAULI_CHANNEL_1(e/2, 0, 0, e/2)`` (a heralded random syndrome bit,
                           never an X that would spread to a cat)
    transmon between CX    :func:`~catcode.physics.transmon_ancilla_idle_channel` (erasure + Z)
    transmon prep / read   Z flip ``reset_error`` after ``RX``, ``readout_error`` before ``MX``
    data cat prep          |+>: Z with ``n k1 / k2``; |0>: X with ``0.39 e^{-4n}`` (§3b)
    data cat readout       ``cat_readout_error``; X basis also Z with ``n k1 T``, T = ``cat_readout_ns``
                           (default 1/k2) (§3b)
    =====================  =========================================================================

    Timing: ``ancilla_prep_ns`` + the CX layers + the ancilla measurement = ``cycle_ns`` (2.8 us);
    the measurement takes the slack. A layer lasts as long as its longest operation; an operation
    shorter than its layer (per-edge ``cx_duration_ns``, a cat preparation faster than the
    transmon's) idles for the rest. The first round's preparation layer therefore lasts
    max(``ancilla_prep_ns``, the data preparations): 500 ns for |+> at the default kappa_2, so the
    first cycle is 200 ns longer than the others (no noise is ever dropped).

    Overrides: any parameter device-wide as a keyword; per cat / per transmon / per CX coupling
    through the layout's node and edge ``params`` (they take precedence); a buffer node may carry
    ``g2_hz`` and ``kappa_b_hz``, which set its cat's ``kappa_2_hz = 4 g2^2 / kappa_b``. Defaults and
    their provenance: :data:`OCELOT_DEFAULTS` and docs/calibration.md. Every parameter has a stated
    valid range (its :class:`ParamSpec`); values outside it, bools, strings and non-finite numbers are
    a one-line :class:`CatcodeError` naming it. ``nbar`` must lie where the bit-flip law is valid
    (:data:`catcode.physics.NBAR_VALIDITY`: [0.75, 12] for ``"empirical"``, docs/physics.md §2);
    ``allow_extrapolation=True`` accepts other values with a warning.

    >>> m = ocelot(nbar=1.5)
    >>> m.name, m.params
    ('ocelot', {'nbar': 1.5})
    >>> ocelot(nbar=0)
    Traceback (most recent call last):
    ...
    catcode.errors.CatcodeError: nbar must be a finite number > 0; got 0.0
    """
    return Ocelot(nbar=nbar, **overrides)


def cycle_flip_probabilities(model: Ocelot, nbar: float | None = None, *, cx_per_cycle: int = 2) -> tuple[float, float]:
    """(bit flip, phase flip) probability of one Ocelot data cat over one cycle: :meth:`Ocelot.cycle_flip_probabilities`.

    >>> b, z = cycle_flip_probabilities(ocelot(), nbar=2.0)
    >>> round(b, 4), round(z, 3)
    (0.0035, 0.096)
    """
    return model.cycle_flip_probabilities(nbar, cx_per_cycle=cx_per_cycle)


# =============================================================================== cat-cat
_CAT_CAT_SPECS = (
    _spec("nbar", None, "cat", "float", "mean photon number", "(0,)"),
    _spec("k1_over_k2", None, "cat", "float", "kappa_1 / kappa_2 (also of a faster ancilla); the formulas need k1/k2 << 1", "(0, 1]"),
    _spec("convention", "alice_bob", "device", "str", "timing convention: 'alice_bob' (1/kappa_2, 5 slots) or 'guillaud_mirrahimi' (T*) (§3a′)"),
    _spec("kappa_2_hz", 1.0e6, "cat", "float", "[U] time unit only: every probability depends on k1/k2 and nbar", K2),
    _spec("kappa_phi_hz", 0.0, "cat", "float", "pure dephasing [U]", R0),
    _spec("n_thermal", 0.0, "cat", "float", "thermal photons [U]", "[0, 100]"),
    _spec("bit_flip_model", "two_photon", "cat", "str", "idle bit-flip law (§2): 1.1e-3 n k1 e^{-2n} [C]"),
    _spec("variant", "chamberland", "device", "str", "non-adiabatic CX term: 'chamberland' or 'guillaud_mirrahimi' (§3a)"),
    _spec("cx_bit_flip", "guillaud_mirrahimi", "device", "str", "CX bit-flip law (§3a)"),
    _spec("anc_k2_factor", 1.0, "device", "float", "faster ancillas: kappa_2(ancilla) / kappa_2(data) (Le Régent et al.)", "[1, 1e6]"),
    _spec("cx_duration_ns", None, "edge", "float?", "CX duration; None = the convention's CX time, 1/kappa_2 or T* (§3a′)", T_NS),
    _spec("measure_z_ns", physics.CAT_MEASURE_Z_NS, "device", "float", "data-cat Z readout duration, 850 ns [C] (§3b)", T_NS),
    _spec("allow_extrapolation", False, "device", "bool", "allow nbar outside the formulas' validity range, with a warning (docs/physics.md §3a)"),
)
_CAT_CAT_TABLE = _SpecTable("cat_cat", _CAT_CAT_SPECS)

#: cat_cat preset defaults (derived from the parameter table; nbar and k1_over_k2 are required).
CAT_CAT_DEFAULTS: dict[str, Any] = {sp.name: sp.default for sp in _CAT_CAT_SPECS if sp.default is not None or sp.kind == "float?"}


class CatCat(_PresetBase):
    """The repetition cat code with cat ancillas (see :func:`cat_cat`)."""

    name = "cat_cat"
    _table = _CAT_CAT_TABLE
    _kinds = {"data": "cat", "ancilla": "cat"}
    _layout_hint = (
        "Layouts with cat ancillas: Layout.chain(d, ancilla='cat'), "
        "Layout.rectangular_surface(phase_distance, bit_distance, ancilla='cat'), Layout.ldpc_cat(height, width); "
        "for transmon ancillas use noise.ocelot(nbar)."
    )

    def __init__(self, nbar: float, k1_over_k2: float, **overrides: Any) -> None:
        given = {"nbar": nbar, "k1_over_k2": k1_over_k2, **overrides}
        values = self._table.device_values(given)
        super().__init__(values, given, always=("nbar", "k1_over_k2"))
        try:
            self._validate(values)
        except CatcodeError as exc:
            raise _naming_inputs(exc, self._params) from None

    def _validate(self, values: Mapping[str, Any]) -> None:
        """Validate the device-wide values now, so bad parameters fail at construction."""
        require_choice("convention", values["convention"], physics.CAT_CAT_CONVENTIONS)
        require_choice("variant", values["variant"], physics.CX_VARIANTS)
        require_choice("cx_bit_flip", values["cx_bit_flip"], physics.CX_BIT_FLIP_MODELS)
        if not values["anc_k2_factor"] >= 1.0:
            raise CatcodeError(f"anc_k2_factor (ancilla kappa_2 / data kappa_2) must be >= 1; got {values['anc_k2_factor']!r}")
        if values["cx_duration_ns"] is not None and not values["cx_duration_ns"] > 0:
            raise CatcodeError(f"cx_duration_ns must be > 0 (or None for the convention's time); got {values['cx_duration_ns']!r}")
        if not values["measure_z_ns"] > 0:
            raise CatcodeError(f"measure_z_ns must be > 0; got {values['measure_z_ns']!r}")
        # Kept under the keys the rules look them up by (see :meth:`cat`, :meth:`_resolve_cx`): a
        # compile does not compute a component's channels again when it has no overrides.
        data = self._cat_from(values, role="data")
        anc = self._cat_from(values, role="ancilla")
        duration = values["cx_duration_ns"]
        self._cx_cached(anc, data, duration)
        for cat in (anc, data):
            self._prep(cat, "X")
            self._meas(cat, "X")

    def _cat_from(self, vals: Mapping[str, Any], role: str) -> CatParams:
        """CatParams of a data or ancilla cat; a faster ancilla keeps k1/k2 (k1 scales with k2).

        Le Régent et al., Quantum 7, 1198 (2023), code ``run_fixedcnot.py`` [C via
        docs/physics.md §3a]: ``k1_ancilla = k2_ancilla * k1/k2``.
        """
        k1_over_k2 = vals["k1_over_k2"]
        if not (k1_over_k2 > 0):
            raise CatcodeError(f"k1_over_k2 must be a finite number > 0; got {k1_over_k2!r}")
        k2 = vals["kappa_2_hz"]
        if not (k2 > 0):
            raise CatcodeError(f"kappa_2_hz must be a finite number > 0; got {k2!r}")
        factor = self._values["anc_k2_factor"] if role == "ancilla" else 1.0
        physics.check_nbar_validity(vals["nbar"], vals["bit_flip_model"], allow_extrapolation=self._values["allow_extrapolation"])
        return CatParams(
            nbar=vals["nbar"],
            kappa_1_hz=k1_over_k2 * k2 * factor,
            kappa_2_hz=k2 * factor,
            kappa_phi_hz=vals["kappa_phi_hz"],
            n_thermal=vals["n_thermal"],
            bit_flip_model=vals["bit_flip_model"],
        )

    def cat(self, ctx: NoiseContext, qubit: int) -> CatParams:
        """The :class:`CatParams` of a cat: device-wide values, then its node's overrides."""
        def build() -> CatParams:
            vals, role = self._node_values(ctx, qubit, "cat"), ctx.role(qubit)
            return self._cached(("cat", role, tuple(sorted(vals.items()))), lambda: self._cat_from(vals, role))

        return self._resolved(ctx, ("cat", qubit), build)

    # -- timing convention (docs/physics.md §3a′) -------------------------------------------
    def _slot_ns(self, cat: CatParams | None) -> float:
        """Duration of one slot (|+> preparation, X readout, idle slot); the same for every cat.

        ``"alice_bob"``: ``1/kappa_2`` of the ancilla cats (Le Régent et al.'s ``run_fixedcnot.py``
        sets every gate time to ``1/k2_ancilla`` [C]; equal to 1/kappa_2 without a faster ancilla);
        ``"guillaud_mirrahimi"``: the device's CX time (T* unless ``cx_duration_ns`` is set).
        """
        if self._values["convention"] == "alice_bob":
            return self._cached(("slot",), lambda: 1e9 / self._cat_from(self._values, role="ancilla").kappa_2_hz)
        return self._cached(("slot",), self.cx_duration_ns)

    def _default_cx_ns(self, control: CatParams, target: CatParams) -> float:
        """The convention's CX time: one slot (``1/kappa_2`` of the ancilla), or the optimal T*."""
        if self._values["convention"] == "alice_bob":
            return 1e9 / control.kappa_2_hz
        return physics.cat_cat_cx_optimal_duration_ns(control, target, variant=self._values["variant"])

    def _cx(self, control: CatParams, target: CatParams, duration_ns: float | None) -> tuple[float, dict[str, float]]:
        v = self._values
        t = duration_ns if duration_ns is not None else self._default_cx_ns(control, target)
        ch = physics.cat_cat_cx_channel(control, target, t, variant=v["variant"], bit_flip=v["cx_bit_flip"])
        return t, ch

    def cx_duration_ns(self) -> float:
        """Device-wide CX duration (ns): ``cx_duration_ns``, else the convention's CX time.

        >>> cat_cat(nbar=4, k1_over_k2=1e-3).cx_duration_ns()  # alice_bob: 1/kappa_2
        1000.0
        """
        if self._values["cx_duration_ns"] is not None:
            return self._values["cx_duration_ns"]
        anc = self._cat_from(self._values, role="ancilla")
        data = self._cat_from(self._values, role="data")
        return self._default_cx_ns(anc, data)

    def _cx_of(self, ctx: NoiseContext, c: int, t: int) -> tuple[float, dict[str, float]]:
        return self._resolved(ctx, ("cx", c, t), lambda: self._resolve_cx(ctx, c, t))

    def _resolve_cx(self, ctx: NoiseContext, c: int, t: int) -> tuple[float, dict[str, float]]:
        control, target = self.cat(ctx, c), self.cat(ctx, t)
        duration = self.edge(ctx, c, t).cx_duration_ns
        if duration is not None and not duration > 0:
            raise CatcodeError(f"cx_duration_ns of {ctx.node(c)}-{ctx.node(t)} must be > 0; got {duration!r}")
        return self._cx_cached(control, target, duration)

    def _cx_cached(self, control: CatParams, target: CatParams, duration_ns: float | None) -> tuple[float, dict[str, float]]:
        """:meth:`_cx`, computed once per (control, target, duration)."""
        return self._cached(("cx", control, target, duration_ns), lambda: self._cx(control, target, duration_ns))

    def duration_ns(self, op: Operation, ctx: NoiseContext) -> float:
        if op.kind == "cx":
            return max(self._cx_of(ctx, c, t)[0] for c, t in op.pairs)
        if op.kind == "prepare":
            return max(self._prep(self.cat(ctx, q), op.basis).duration_ns for q in op.targets)
        if op.kind == "measure":
            return max(self._meas(self.cat(ctx, q), op.basis).duration_ns for q in op.targets)
        return 0.0

    def _prep(self, cat: CatParams, basis: str) -> physics.OperationError:
        return self._cached(("prep", cat, basis), lambda: self._prep_of(cat, basis))

    def _prep_of(self, cat: CatParams, basis: str) -> physics.OperationError:
        return physics.cat_prepare_plus(cat, self._slot_ns(cat)) if basis == "X" else physics.cat_prepare_zero(cat)

    def _meas(self, cat: CatParams, basis: str) -> physics.OperationError:
        return self._cached(("meas", cat, basis), lambda: self._meas_of(cat, basis))

    def _meas_of(self, cat: CatParams, basis: str) -> physics.OperationError:
        if basis == "X":
            return physics.cat_measure_x(cat, self._slot_ns(cat))
        return physics.cat_measure_z(cat, self._values["measure_z_ns"])

    def _check_cats(self, op: Operation, ctx: NoiseContext) -> None:
        if _facts(ctx.layout).only("cat"):
            return
        kinds = {ctx.kind(q) for q in op.targets}
        if kinds != {"cat"}:
            raise CatcodeError(
                f"noise preset 'cat_cat' models cat qubits only; {op.gate}[{op.tag}] acts on {sorted(kinds)}. "
                "Use Layout.chain(d, ancilla='cat')"
            )

    # -- NoiseModel rules -------------------------------------------------------------------
    def prepare(self, op: Operation, ctx: NoiseContext) -> OpNoise:
        self._check_cats(op, ctx)
        entries = [((q,), (self._prep(self.cat(ctx, q), op.basis).probability,)) for q in op.targets]
        return OpNoise(after=grouped("Z_ERROR" if op.basis == "X" else "X_ERROR", entries))

    def measure(self, op: Operation, ctx: NoiseContext) -> OpNoise:
        self._check_cats(op, ctx)
        entries = [((q,), (self._meas(self.cat(ctx, q), op.basis).probability,)) for q in op.targets]
        return OpNoise(before=grouped("Z_ERROR" if op.basis == "X" else "X_ERROR", entries))

    def cx(self, op: Operation, ctx: NoiseContext) -> OpNoise:
        self._check_cats(op, ctx)
        pauli = [((c, t), self._channel_args(self._cx_of(ctx, c, t)[1])) for c, t in op.pairs]
        return OpNoise(after=grouped("PAULI_CHANNEL_2", pauli))

    def pad(self, op: Operation, rest_ns: float, layer: Layer, ctx: NoiseContext) -> list[stim.CircuitInstruction]:
        """Each of ``op``'s cats idles for the rest of the layer (per gate, when gates differ)."""
        entries = []
        for group in (op.pairs if op.kind == "cx" else [(q,) for q in op.targets]):
            # a CX instruction's gates may differ in duration: each pads to the layer's end
            rest = layer.duration_ns - max(self._cx_of(ctx, *group)[0], 0.0) if op.kind == "cx" else rest_ns
            if rest > 0:
                entries += [((q,), self._cat_idle(self.cat(ctx, q), rest)) for q in group]
        slot = self._idle_slot(op.targets, ctx) if op.kind == "cx" and self._first_cx_layer(layer, ctx) else []
        return grouped("PAULI_CHANNEL_1", entries) + slot

    def _idle_slot(self, qubits: Sequence[int], ctx: NoiseContext) -> list[stim.CircuitInstruction]:
        """``"alice_bob"``: the round's fifth slot, between the two CX layers (docs/physics.md §3a′).

        Every cat idles one slot, tagged ``idle_slot``; emitted with the first CX layer, after its
        gates, as Le Régent et al.'s ``IdleGateInterCNOTData`` / ``...Ancilla`` [C].
        """
        slot = self._slot_ns(None)
        return grouped("PAULI_CHANNEL_1", [((q,), self._cat_idle(self.cat(ctx, q), slot)) for q in qubits], tag="idle_slot")

    def idle_step_ns(self, ctx: NoiseContext) -> float:
        """Duration of an idle step (a layer with no operations): one time step of the convention.

        ``"alice_bob"``: one slot, ``1/kappa_2`` (of the ancilla cats), the unit in which Le Régent
        et al. and Alice & Bob's provider count every operation and idle slot; ``"guillaud_mirrahimi"``:
        the CX time (T* unless ``cx_duration_ns`` is set), since every operation lasts T* there
        (docs/physics.md §3a′).

        >>> cat_cat(nbar=4, k1_over_k2=1e-3).idle_step_ns(None)
        1000.0
        >>> round(cat_cat(nbar=4, k1_over_k2=1e-3, convention="guillaud_mirrahimi").idle_step_ns(None), 1)
        2195.3
        """
        return self._slot_ns(None)

    def _first_cx_layer(self, layer: Layer, ctx: NoiseContext) -> bool:
        """Whether ``layer`` holds the first CX layer of a round (the idle slot follows it)."""
        if self._values["convention"] != "alice_bob" or not layer.has("cx") or not ctx.layout.cx_layers:
            return False
        if any(not gates for gates in ctx.layout.cx_layers):  # the layout's empty layers are its idle steps
            return False
        first = _facts(ctx.layout).first_layer
        return any(not first.isdisjoint(op.pairs) for op in layer.operations if op.kind == "cx")

    def idle(self, qubits: Sequence[int], layer: Layer, ctx: NoiseContext) -> list[stim.CircuitInstruction]:
        """Every idle cat: :func:`~catcode.physics.cat_idle_channel` over the layer's duration."""
        entries = []
        all_cats = _facts(ctx.layout).only("cat")
        for q in qubits:
            if not all_cats and ctx.kind(q) != "cat":
                raise CatcodeError(f"noise preset 'cat_cat' models cat qubits only; qubit {ctx.node(q)!r} is a {ctx.kind(q)}")
            entries.append(((q,), self._cat_idle(self.cat(ctx, q), layer.duration_ns)))
        slot = self._idle_slot(qubits, ctx) if self._first_cx_layer(layer, ctx) else []
        return grouped("PAULI_CHANNEL_1", entries) + slot


def cat_cat(nbar: float, k1_over_k2: float, **overrides: Any) -> CatCat:
    """The repetition cat code with cat ancillas, noise from nbar and kappa_1/kappa_2.

    Guillaud & Mirrahimi, PRX 9, 041053 (2019); Chamberland et al., PRX Quantum 3, 010329 (2022);
    Le Régent et al., Quantum 7, 1198 (2023) (docs/physics.md §2, §3a, §3a′, §3b). Use with
    ``Layout.chain(d, ancilla="cat")``.

    ``convention`` names the published timing convention (docs/physics.md §3a′):

    * ``"alice_bob"`` (default): every operation (|+> preparation, CX, X readout, idle slot) lasts
      ``1/kappa_2`` and a round has 5 slots: ancilla preparation, CX, idle slot (every cat, tagged
      ``idle_slot``), CX, ancilla readout, as in Le Régent et al.'s code (``qsim/logical_gate/
      lidle.py``) and Alice & Bob's ``qiskit-alice-bob-provider`` (cycle ``5/kappa_2`` per round).
      It is the default because the published cat-cat thresholds catcode is compared with use it.
    * ``"guillaud_mirrahimi"``: every operation lasts the optimal CX time T* (4 slots per round),
      Guillaud & Mirrahimi's convention ("PRA" in Le Régent et al.'s code).

    ====================  ==========================================================================
    CX (ancilla -> data)  :func:`~catcode.physics.cat_cat_cx_channel`, ``variant`` ("chamberland" or
                          "guillaud_mirrahimi"), bit flips by ``cx_bit_flip``; duration the
                          convention's unless ``cx_duration_ns`` is set (device-wide or per coupling)
    prepare |+> / |0>     Z with ``n k1 T`` in one slot T / X with ``0.39 e^{-4n}`` in ``0.1/(k2 n)``
    measure X / Z         Z with ``n k1 T`` in one slot T / flip ``exp(-1.5 - 0.9 n)`` in ``measure_z_ns``
    idle                  :func:`~catcode.physics.cat_idle_channel` over the layer (``bit_flip_model``)
    ====================  ==========================================================================

    An operation shorter than its layer idles for the rest (:meth:`CatCat.pad`). ``anc_k2_factor``
    > 1 gives faster ancillas: kappa_2 of the ancillas that many times the data's, and kappa_1 too
    (same k1/k2, Le Régent et al.'s code); the CX's non-adiabatic term uses the mean kappa_2.
    ``kappa_2_hz`` only sets the time unit. Per-cat overrides go on the layout's nodes. ``nbar`` must
    lie in [1, 30], where the formulas hold (:data:`catcode.physics.NBAR_VALIDITY`, docs/physics.md
    §2, §3a); ``allow_extrapolation=True`` accepts other values with a warning.

    >>> m = cat_cat(nbar=4, k1_over_k2=1e-3, convention="guillaud_mirrahimi")
    >>> round(m.cx_duration_ns(), 1)  # T* = pi / (8 n sqrt(2 k1 k2)) with k2 = 1e6 / s
    2195.3
    """
    return CatCat(nbar=nbar, k1_over_k2=k1_over_k2, **overrides)


# =============================================================================== Z-type checks
# Rules for the Z-type checks of the thin rectangular surface code (Layout.rectangular_surface),
# dispatched to from the presets above: the data cat controls the CX onto the ancilla.


def _check_of(ctx: NoiseContext, qubit: int) -> str | None:
    """The check basis (``"X"``/``"Z"``) of an ancilla qubit; ``None`` for a data qubit."""
    return _facts(ctx.layout).check[qubit]


def _in_z_check(ctx: NoiseContext, a: int, b: int) -> bool:
    """Whether the coupling ``a``-``b`` belongs to a Z-type check."""
    return "Z" in (_check_of(ctx, a), _check_of(ctx, b))


def _transmon_flip_gate(op: Operation) -> str:
    """Flip channel of a transmon preparation / readout: Z for X-check ancillas, X for Z-check ones."""
    if op.basis not in ("X", "Z"):
        raise CatcodeError(f"transmon ancillas are prepared and measured in X (X checks) or Z (Z checks); got {op.gate}[{op.tag}]")
    return "Z_ERROR" if op.basis == "X" else "X_ERROR"


def _split_by_check(ctx: NoiseContext, items: Sequence[tuple[int, Any, float]]) -> tuple[list, list]:
    """Split ``(qubit, params, ns)`` items of idle transmon ancillas into X-check and Z-check ones."""
    x_check = [it for it in items if _check_of(ctx, it[0]) != "Z"]
    return x_check, [it for it in items if _check_of(ctx, it[0]) == "Z"]


def _z_check_transmon_idle(items: Sequence[tuple[int, TransmonParams, float]]) -> list[stim.CircuitInstruction]:
    """Z-check transmon idling between CX gates (:func:`~catcode.physics.transmon_z_check_idle_channel`)."""
    heralds, flips = [], []
    for q, tr, ns in items:
        erasure, px, pz = physics.transmon_z_check_idle_channel(tr, ns)
        if tr.erasure_flagged and erasure > 0:
            heralds.append(((q,), (erasure / 2, erasure / 2, 0.0, 0.0)))
        flips.append(((q,), (px, 0.0, pz)))
    return grouped("HERALDED_PAULI_CHANNEL_1", heralds) + grouped("PAULI_CHANNEL_1", flips)


def _ocelot_cat_controlled_cx(model: Ocelot, op: Operation, ctx: NoiseContext) -> OpNoise:
    """Ocelot preset, ``cx:cat-transmon``: :func:`~catcode.physics.cat_controlled_transmon_cx_channel`.

    Duration ``cat_cx_duration_ns``, cat flip factors ``cat_cx_phase_flip_factor`` and
    ``cat_cx_bit_flip_factor`` (defaults: Ocelot's CX, an assumption [U]); heralded f->e decays as
    ``HERALDED_PAULI_CHANNEL_1(e/2, e/2, 0, 0)`` on the transmon; a gate shorter than its layer
    idles for the rest.
    """
    of_pair, durations = model._layers(ctx)
    pauli, heralds, pad_cat, pad_tr = [], [], [], []
    for c, t in op.pairs:
        cat, cat_vals, tr = model.cat(ctx, c), model._cat_vals(ctx, c), model.transmon(ctx, t)
        t_ns = model._cx_ns(ctx, c, t)
        key = ("cat_cx", tr, tuple(sorted(cat_vals.items())), t_ns)
        ch = model._cached(key, lambda: physics.cat_controlled_transmon_cx_channel(
            cat, tr, t_ns, phase_flip_factor=_require_factor("cat_cx_phase_flip_factor", cat_vals["cat_cx_phase_flip_factor"]),
            bit_flip_factor=_require_factor("cat_cx_bit_flip_factor", cat_vals["cat_cx_bit_flip_factor"]),
        ))
        pauli.append(((c, t), model._resolved(ctx, ("cat_cx_args", c, t), lambda: physics.pauli_channel_2_args(ch.pauli))))
        if tr.erasure_flagged and ch.erasure > 0:
            heralds.append(((t,), ch.heralded_pauli_channel_1_args))
        rest = durations[of_pair[frozenset((c, t))]] - t_ns if frozenset((c, t)) in of_pair else 0.0
        if rest > 0:
            pad_cat.append(((c,), model._cat_idle(cat, rest)))
            pad_tr.append((t, tr, rest))
    after = grouped("PAULI_CHANNEL_2", pauli) + grouped("HERALDED_PAULI_CHANNEL_1", heralds)
    return OpNoise(after=after + grouped("PAULI_CHANNEL_1", pad_cat) + _z_check_transmon_idle(pad_tr))
