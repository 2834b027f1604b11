"""Generic Pauli noise presets as rule tables: depolarizing (Stim-equivalent), biased, SI1000.

Each preset is data: a table from a place in the circuit (operation kind, idle layer, round start)
to a channel whose arguments follow from the preset's parameters. :class:`RuleTableModel` applies
any such table; the presets validate their parameters once (real, finite, in range) and reject every
per-node or per-coupling override on the layout, since they have no per-component parameters.

>>> [str(i) for i in depolarizing(0.001).round_start((0, 2), None)]
['DEPOLARIZE1(0.001) 0 2']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import stim

from catcode.errors import CatcodeError, require_positive, require_probability
from catcode.layout import Layout
from catcode.noise.model import Layer, NoiseContext, NoiseModel, Operation, OpNoise, grouped

#: Stim's PAULI_CHANNEL_2 argument order: first letter acts on the first target of the pair.
PAULI_PAIRS = tuple(a + b for a in "IXYZ" for b in "IXYZ")[1:]

#: The flip that corrupts a preparation or measurement in a basis: Z for X, X for Z (and Y).
_FLIP_FOR_BASIS = {"X": "Z_ERROR", "Z": "X_ERROR", "Y": "X_ERROR"}

#: Places a rule table may fill. ``idle`` is a qubit idle in a gate layer; ``idle_reset_measure``
#: one idle in a layer that prepares or measures (default: ``idle``'s rule).
PLACES = ("prepare", "measure", "cx", "gate1", "idle", "idle_reset_measure", "round_start")


@dataclass(frozen=True)
class Channel:
    """One rule: a Stim channel and its arguments as a function of the model's parameters.

    ``gate`` is a Stim noise gate, or ``"FLIP"`` for the flip of the operation's basis
    (:data:`_FLIP_FOR_BASIS`). Two-qubit channels act on the CX pairs as written (not regrouped).
    """

    gate: str
    args: Callable[[Mapping[str, float]], tuple[float, ...]]


@dataclass(frozen=True)
class ParamRange:
    """A parameter of a generic preset: a real number in ``[0, maximum]`` (probability) or ``> 0``."""

    name: str
    probability_max: float | None  # None: a finite number > 0

    def check(self, value: Any) -> float:
        if self.probability_max is None:
            return require_positive(self.name, value)
        return require_probability(self.name, value, maximum=self.probability_max)


class RuleTableModel(NoiseModel):
    """A noise model given by a rule table (place -> :class:`Channel`) and validated parameters."""

    rules: Mapping[str, Channel] = {}
    ranges: tuple[ParamRange, ...] = ()

    def __init__(self, **params: Any) -> None:
        self._p = {r.name: r.check(params[r.name]) for r in self.ranges}
        self._args = {place: rule.args(self._p) for place, rule in self.rules.items()}
        for name, value in self._p.items():  # model.p, model.eta
            setattr(self, name, value)

    @property
    def params(self) -> dict[str, Any]:
        return dict(self._p)

    def apply(self, circuit: stim.Circuit, layout: Layout) -> stim.Circuit:
        reject_overrides(self.name, layout)
        return super().apply(circuit, layout)

    def _one(self, place: str, op: Operation | None, qubits: Sequence[int]) -> list[stim.CircuitInstruction]:
        rule = self.rules.get(place)
        if rule is None:
            return []
        args = self._args[place]
        gate = _FLIP_FOR_BASIS[op.basis] if rule.gate == "FLIP" else rule.gate
        # One (targets, args) entry: grouped keeps the pairs' order and builds the instruction from
        # text, which Stim 1.16 parses far faster than it converts a Python list of targets.
        return grouped(gate, [(qubits, args)])

    def prepare(self, op: Operation, ctx: NoiseContext) -> OpNoise:
        return OpNoise(after=self._one("prepare", op, op.targets))

    def measure(self, op: Operation, ctx: NoiseContext) -> OpNoise:
        return OpNoise(before=self._one("measure", op, op.targets))

    def cx(self, op: Operation, ctx: NoiseContext) -> OpNoise:
        return OpNoise(after=self._one("cx", op, op.targets))

    def gate1(self, op: Operation, ctx: NoiseContext) -> OpNoise:
        return OpNoise(after=self._one("gate1", op, op.targets))

    def idle(self, qubits: Sequence[int], layer: Layer, ctx: NoiseContext) -> list[stim.CircuitInstruction]:
        busy = layer.has("measure") or layer.has("prepare")
        place = "idle_reset_measure" if busy and "idle_reset_measure" in self.rules else "idle"
        return self._one(place, None, qubits)

    def round_start(self, data_qubits: Sequence[int], ctx: NoiseContext) -> list[stim.CircuitInstruction]:
        return self._one("round_start", None, data_qubits)


def reject_overrides(preset_name: str, layout: Layout, valid: Sequence[str] = ()) -> None:
    """Raise :class:`CatcodeError` for the first node or coupling override not in ``valid``.

    >>> reject_overrides("depolarizing", Layout.chain(3).with_params("D1", nbar=2.0))
    Traceback (most recent call last):
    ...
    catcode.errors.CatcodeError: layout node 'D1' has override 'nbar', which noise preset 'depolarizing' cannot use; valid override names: none (it has no per-component parameters)
    """
    for component, key, _ in layout.overrides:  # cached per layout: a sweep re-applies presets often
        if key not in valid:
            element = f"layout coupling {component[0]}-{component[1]}" if isinstance(component, tuple) else f"layout node {component!r}"
            valid_text = ", ".join(valid) if valid else "none (it has no per-component parameters)"
            raise CatcodeError(f"{element} has override {key!r}, which noise preset {preset_name!r} "
                               f"cannot use; valid override names: {valid_text}")


# ------------------------------------------------------------------------------ depolarizing
def _const(*names_scale: tuple[str, float]) -> Callable[[Mapping[str, float]], tuple[float, ...]]:
    """Arguments ``(scale * params[name], ...)``: ``_const(("p", 2))`` is ``(2p,)``."""
    def args(p: Mapping[str, float]) -> tuple[float, ...]:
        return tuple(scale * p[name] for name, scale in names_scale)
    return args


class Depolarizing(RuleTableModel):
    """Uniform depolarising noise with the semantics of ``stim.Circuit.generated``'s knobs.

    With one parameter ``p`` in [0, 0.5] (it is both a flip probability, for which 1/2 is the
    maximum that means anything, and DEPOLARIZE1/2's total probability): ``DEPOLARIZE2(p)`` after
    every CX, ``DEPOLARIZE1(p)`` after every single-qubit Clifford (the Hadamards of surface-code
    basis changes), a flip with probability ``p`` after every reset and before every measurement (a
    flip of the prepared or measured basis), ``DEPOLARIZE1(p)`` on the data before each round, and
    no idle noise. Under this model catcode's X-basis repetition memory is the Hadamard conjugate of
    Stim's ``repetition_code:memory`` generated with all four knobs equal to ``p``, and its rotated
    surface code has the error model of Stim's ``surface_code:rotated_memory_x/z`` (docs/physics.md §4).

    >>> depolarizing(0.001).params
    {'p': 0.001}
    """

    name = "depolarizing"
    ranges = (ParamRange("p", 0.5),)
    rules = {
        "prepare": Channel("FLIP", _const(("p", 1))),
        "measure": Channel("FLIP", _const(("p", 1))),
        "cx": Channel("DEPOLARIZE2", _const(("p", 1))),
        "gate1": Channel("DEPOLARIZE1", _const(("p", 1))),
        "round_start": Channel("DEPOLARIZE1", _const(("p", 1))),
    }

    def __init__(self, p: float) -> None:
        super().__init__(p=p)


# ------------------------------------------------------------------------------ biased
def biased_single(p: Mapping[str, float]) -> tuple[float, float, float]:
    """``(p_X, p_Y, p_Z)``: ``p_Z = p eta / (1 + eta)``, ``p_X = p_Y = p / (2 (1 + eta))``."""
    pz = p["p"] * p["eta"] / (1 + p["eta"])
    px = p["p"] / (2 * (1 + p["eta"]))
    return (px, px, pz)


def biased_two(p: Mapping[str, float]) -> tuple[float, ...]:
    """The 15 PAULI_CHANNEL_2 arguments of the biased CX, in Stim's order (IX, IY, ..., ZZ)."""
    z_type = {"IZ", "ZI", "ZZ"}
    pz_each = p["p"] * p["eta"] / (1 + p["eta"]) / 3
    other_each = p["p"] / (1 + p["eta"]) / 12
    return tuple(pz_each if pair in z_type else other_each for pair in PAULI_PAIRS)


class Biased(RuleTableModel):
    """Generic biased Pauli noise of strength ``p`` in [0, 0.5] and bias ``eta = p_Z / (p_X + p_Y)`` > 0.

    Single-qubit channel (after preparation, before measurement, after single-qubit gates, on every
    qubit idle in a layer and on the data before each round): ``PAULI_CHANNEL_1(p_X, p_Y, p_Z)``
    with ``p_Z = p * eta / (1 + eta)`` and ``p_X = p_Y = p / (2 (1 + eta))``.

    CX: a bias-preserving gate (Puri et al., Sci. Adv. 6, eaay5901 (2020); Guillaud & Mirrahimi,
    PRX 9, 041053 (2019)): Z-type errors ``ZI, IZ, ZZ`` share ``p * eta / (1 + eta)`` equally, the
    twelve Paulis with an X or Y part share ``p / (1 + eta)`` equally, so X-type errors are
    suppressed by ``eta``. A biased CX never turns a Z error into an X error.

    >>> biased(0.01, eta=100).single_qubit_probabilities()
    (4.950495049504951e-05, 4.950495049504951e-05, 0.009900990099009901)
    """

    name = "biased"
    ranges = (ParamRange("p", 0.5), ParamRange("eta", None))
    rules = {place: Channel("PAULI_CHANNEL_1", biased_single) for place in ("prepare", "measure", "gate1", "idle", "round_start")}
    rules["cx"] = Channel("PAULI_CHANNEL_2", biased_two)

    def __init__(self, p: float, eta: float) -> None:
        super().__init__(p=p, eta=eta)

    def single_qubit_probabilities(self) -> tuple[float, float, float]:
        """``(p_X, p_Y, p_Z)`` of the single-qubit channel."""
        return biased_single(self._p)

    def two_qubit_probabilities(self) -> tuple[float, ...]:
        """The 15 PAULI_CHANNEL_2 arguments of the CX channel, in Stim's order (IX, IY, ..., ZZ)."""
        return biased_two(self._p)


# ------------------------------------------------------------------------------ SI1000
class SI1000(RuleTableModel):
    """Superconducting-inspired circuit noise with one parameter ``p`` in [0, 0.1] (5p must stay a
    flip probability <= 0.5) (SI1000).

    Source: Gidney, Newman, Fowler & Broughton, "A fault-tolerant honeycomb memory",
    Quantum 5, 605 (2021), arXiv:2108.10457, Table 2 (docs/physics.md §4):

    ===========================  =====================
    CX (two-qubit Clifford)      ``DEPOLARIZE2(p)`` after
    single-qubit Clifford        ``DEPOLARIZE1(p/10)`` after
    reset                        flip with ``2p`` after
    measurement                  flip with ``5p`` before
    idle in a gate layer         ``DEPOLARIZE1(p/10)``
    idle in a measure/reset layer ``DEPOLARIZE1(2p)``
    ===========================  =====================

    >>> si1000(0.001).params
    {'p': 0.001}
    """

    name = "si1000"
    ranges = (ParamRange("p", 0.1),)
    rules = {
        "prepare": Channel("FLIP", _const(("p", 2))),
        "measure": Channel("FLIP", _const(("p", 5))),
        "cx": Channel("DEPOLARIZE2", _const(("p", 1))),
        "gate1": Channel("DEPOLARIZE1", lambda p: (p["p"] / 10,)),
        "idle": Channel("DEPOLARIZE1", lambda p: (p["p"] / 10,)),
        "idle_reset_measure": Channel("DEPOLARIZE1", _const(("p", 2))),
    }

    def __init__(self, p: float) -> None:
        super().__init__(p=p)


def depolarizing(p: float) -> Depolarizing:
    """Stim-equivalent uniform depolarising noise of strength ``p`` in [0, 0.5] (see :class:`Depolarizing`)."""
    return Depolarizing(p)


def biased(p: float, eta: float) -> Biased:
    """Biased Pauli noise of strength ``p`` in [0, 0.5] and bias ``eta`` > 0 (see :class:`Biased`)."""
    return Biased(p, eta)


def si1000(p: float) -> SI1000:
    """SI1000 noise of strength ``p`` in [0, 0.1] (5p must stay a probability); see :class:`SI1000`."""
    return SI1000(p)
