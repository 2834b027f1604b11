"""A T1/T2 transmon noise preset: the all-transmon baseline (rotated surface code) for comparisons.

Built from the same parameter classes as Ocelot's transmon ancillas
(:class:`~catcode.physics.TransmonParams`, :class:`~catcode.physics.Timings`), with the same
defaults for the transmons themselves (T1, T2, readout and reset errors: :data:`~catcode.noise.cat.OCELOT_DEFAULTS`,
calibrated in docs/calibration.md), so a surface code of "Ocelot-quality" transmons can be compared
with Ocelot's cat repetition code. Gate durations are those of a transmon processor [U].

>>> model = transmon(cx_error=0.002)
>>> model.params
{'cx_error': 0.002}
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import stim

from catcode import physics
from catcode.errors import CatcodeError, require_probability
from catcode.noise.cat import _OCELOT_TABLE, FLIP, T0_NS, T_NS, _naming_inputs, _PresetBase, _spec, _SpecTable
from catcode.noise.model import Layer, NoiseContext, Operation, OpNoise, grouped
from catcode.physics import Timings, TransmonParams

__all__ = ["TRANSMON_DEFAULTS", "Transmon", "transmon"]

_OCELOT = _OCELOT_TABLE.specs
#: The transmon preset's parameters, each written once. T1, T2, readout and reset errors are
#: Ocelot's ancilla values (docs/calibration.md); durations are typical of tunable-coupler transmon
#: processors [U].
_SPECS = (
    dataclasses.replace(_OCELOT["t1_us"], source="T1 (Ocelot ancilla value)"),
    dataclasses.replace(_OCELOT["t2_us"], source="T2 (Ocelot ancilla value)"),
    dataclasses.replace(_OCELOT["readout_error"], source="readout flip (Ocelot ancilla value)"),
    dataclasses.replace(_OCELOT["reset_error"], source="reset flip (Ocelot ancilla value)"),
    _spec("cx_duration_ns", 40.0, "edge", "float", "two-qubit gate duration [U]", T_NS),
    _spec("cx_error", 1e-3, "edge", "float", "DEPOLARIZE2 gate infidelity on top of decoherence [U]", FLIP),
    _spec("gate1_ns", 25.0, "device", "float", "single-qubit gate duration [U]", T0_NS),
    _spec("gate1_error", 1e-4, "device", "float", "DEPOLARIZE1 gate infidelity [U]", FLIP),
    _spec("ancilla_prep_ns", 200.0, "device", "float", "reset duration [U]", T0_NS),
    _spec("ancilla_measure_ns", 500.0, "device", "float", "readout duration [U]", T0_NS),
)
_TABLE = _SpecTable("transmon", _SPECS)
#: Defaults of the transmon preset (derived from its parameter table).
TRANSMON_DEFAULTS: dict[str, Any] = {sp.name: sp.default for sp in _SPECS}
_TRANSMON_FIELDS = ("t1_us", "t2_us", "readout_error", "reset_error")
_FLIP = {"X": "Z_ERROR", "Z": "X_ERROR", "Y": "X_ERROR"}


class Transmon(_PresetBase):
    """Transmon qubits with T1/T2 decoherence over every layer (see :func:`transmon`)."""

    name = "transmon"
    _table = _TABLE
    _kinds = {"data": "transmon", "ancilla": "transmon"}
    _layout_hint = "Use it with Layout.rotated_surface(d); cat devices take 'ocelot' or 'cat_cat'."

    def __init__(self, **overrides: Any) -> None:
        values = self._table.device_values(overrides)
        super().__init__(values, overrides, always=())
        try:
            self._validate(values)
        except CatcodeError as exc:
            raise _naming_inputs(exc, self._params) from None

    def _validate(self, values: dict[str, Any]) -> None:
        """Validate the device-wide values at construction."""
        for name in ("cx_error", "gate1_error"):
            require_probability(name, values[name])
        self.timings()
        tr = self._params_from(values)
        physics.transmon_idle_channel(tr, values["ancilla_measure_ns"])

    @staticmethod
    def _params_from(vals: dict[str, Any]) -> TransmonParams:
        return TransmonParams(**{k: vals[k] for k in _TRANSMON_FIELDS}, erasure_flagged=False)

    def timings(self, cx_layers: int = 4) -> Timings:
        """One surface-code round as :class:`~catcode.physics.Timings` (no slack).

        ``cycle = prep + 2 gate1 (basis changes) + cx_layers * cx + measure``.

        >>> transmon().timings().cycle_ns
        910.0
        """
        v = self._values
        cycle = v["ancilla_prep_ns"] + 2 * v["gate1_ns"] + cx_layers * v["cx_duration_ns"] + v["ancilla_measure_ns"]
        if not v["gate1_ns"] >= 0:
            raise CatcodeError(f"gate1_ns must be a finite number >= 0; got {v['gate1_ns']!r}")
        return Timings(
            cx_duration_ns=v["cx_duration_ns"], ancilla_prep_ns=v["ancilla_prep_ns"] + 2 * v["gate1_ns"],
            ancilla_measure_ns=v["ancilla_measure_ns"], cycle_ns=cycle, cx_layers=cx_layers,
        )

    def qubit(self, ctx: NoiseContext, q: int) -> TransmonParams:
        """The :class:`TransmonParams` of a qubit: device-wide values, then its node's overrides."""
        return self._resolved(ctx, ("q", q), lambda: self._resolve_qubit(ctx, q))

    def _resolve_qubit(self, ctx: NoiseContext, q: int) -> TransmonParams:
        if ctx.kind(q) != "transmon":
            raise CatcodeError(
                f"noise preset 'transmon' models transmon qubits only; qubit {ctx.node(q)!r} is a {ctx.kind(q)}. "
                "Use it with Layout.rotated_surface(d); cat devices take 'ocelot' or 'cat_cat'"
            )
        vals = self._node_values(ctx, q, "transmon")
        return self._cached(("q", tuple(sorted(vals.items()))), lambda: self._params_from(vals))

    def _edge(self, ctx: NoiseContext, a: int, b: int) -> tuple[float, float]:
        return self._resolved(ctx, ("cx", a, b), lambda: self._resolve_edge_pair(ctx, a, b))

    def _resolve_edge_pair(self, ctx: NoiseContext, a: int, b: int) -> tuple[float, float]:
        edge = self.edge(ctx, a, b)
        t = edge.cx_duration_ns
        if not t > 0:
            raise CatcodeError(f"cx_duration_ns of {ctx.node(a)}-{ctx.node(b)} must be > 0; got {t!r}")
        return t, require_probability("cx_error", edge.cx_error)

    def _channel(self, tr: TransmonParams, duration_ns: float) -> tuple[float, float, float]:
        """:func:`~catcode.physics.transmon_idle_channel`, computed once per (qubit parameters, duration)."""
        return self._cached(("idle", tr, duration_ns), lambda: physics.transmon_idle_channel(tr, duration_ns))

    def _decoherence(self, ctx: NoiseContext, qubits: Sequence[int], duration_ns: float) -> list[stim.CircuitInstruction]:
        return grouped("PAULI_CHANNEL_1", [((q,), self._channel(self.qubit(ctx, q), duration_ns)) for q in qubits])

    def idle_step_ns(self, ctx: NoiseContext) -> float:
        """Duration of an idle step (a layer with no operations): one CX layer, ``cx_duration_ns``
        (a gap in the CX schedule lasts what a CX layer lasts; docs/physics.md §4).

        >>> transmon().idle_step_ns(None)
        40.0
        """
        return self._values["cx_duration_ns"]

    def duration_ns(self, op: Operation, ctx: NoiseContext) -> float:
        v = self._values
        if op.kind == "cx":
            return max(self._edge(ctx, c, t)[0] for c, t in op.pairs)
        return {"prepare": v["ancilla_prep_ns"], "measure": v["ancilla_measure_ns"], "gate1": v["gate1_ns"]}[op.kind]

    def prepare(self, op: Operation, ctx: NoiseContext) -> OpNoise:
        return OpNoise(after=grouped(_FLIP[op.basis], [((q,), (self.qubit(ctx, q).reset_error,)) for q in op.targets]))

    def measure(self, op: Operation, ctx: NoiseContext) -> OpNoise:
        return OpNoise(before=grouped(_FLIP[op.basis], [((q,), (self.qubit(ctx, q).readout_error,)) for q in op.targets]))

    def gate1(self, op: Operation, ctx: NoiseContext) -> OpNoise:
        after = self._decoherence(ctx, op.targets, self._values["gate1_ns"])
        after += grouped("DEPOLARIZE1", [((q,), (self._values["gate1_error"],)) for q in op.targets])
        return OpNoise(after=after)

    def cx(self, op: Operation, ctx: NoiseContext) -> OpNoise:
        layer_ns = self.duration_ns(op, ctx)
        depol, deco = [], []
        for c, t in op.pairs:
            t_ns, err = self._edge(ctx, c, t)
            depol.append(((c, t), (err,)))
            # Decoherence over the whole layer: the gate, then idling if it is shorter than the layer.
            for q in (c, t):
                deco.append(((q,), self._channel(self.qubit(ctx, q), layer_ns)))
        return OpNoise(after=grouped("DEPOLARIZE2", depol) + grouped("PAULI_CHANNEL_1", deco))

    def idle(self, qubits: Sequence[int], layer: Layer, ctx: NoiseContext) -> list[stim.CircuitInstruction]:
        """Pauli-twirled amplitude and phase damping over the layer (physics §4)."""
        return self._decoherence(ctx, qubits, layer.duration_ns)


def transmon(**overrides: Any) -> Transmon:
    """T1/T2 transmon noise for the rotated surface code (all-transmon baseline).

    ===================  ========================================================================
    every layer          :func:`~catcode.physics.transmon_idle_channel` (Pauli-twirled amplitude
                         and phase damping, docs/physics.md §4) over the layer, for every qubit
    CX                   ``DEPOLARIZE2(cx_error)`` plus both qubits' decoherence over the layer
    single-qubit gate    ``DEPOLARIZE1(gate1_error)`` plus decoherence over ``gate1_ns``
    reset / readout      flip with ``reset_error`` after, ``readout_error`` before
    ===================  ========================================================================

    Defaults: :data:`TRANSMON_DEFAULTS` (T1, T2, readout and reset errors from Ocelot's calibrated
    ancillas). Per-qubit overrides (``t1_us``, ``t2_us``, ``readout_error``, ``reset_error``) and
    per-coupling ones (``cx_duration_ns``, ``cx_error``) go on the layout.

    >>> transmon(t1_us=100, t2_us=100).params
    {'t1_us': 100.0, 't2_us': 100.0}
    """
    return Transmon(**overrides)
