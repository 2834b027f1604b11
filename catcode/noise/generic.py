"""Generic Pauli noise presets: Stim-equivalent depolarising noise and biased Pauli noise."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import stim

from catcode.errors import require_positive, require_probability
from catcode.noise.model import Layer, NoiseContext, NoiseModel, Operation, OpNoise, grouped

#: Stim's PAULI_CHANNEL_2 argument order: first letter acts on the first target of the pair.
PAULI_PAIRS = tuple(a + b for a in "IXYZ" for b in "IXYZ")[1:]

_FLIP_FOR_BASIS = {"X": "Z_ERROR", "Z": "X_ERROR", "Y": "X_ERROR"}


class Depolarizing(NoiseModel):
    """Uniform depolarising noise with the semantics of ``stim.Circuit.generated``'s knobs.

    With one parameter ``p``: ``DEPOLARIZE2(p)`` after every CX, ``DEPOLARIZE1(p)`` after every
    single-qubit Clifford (the Hadamards of surface-code basis changes), a flip with probability ``p``
    after every reset and before every measurement (a flip of the prepared or measured basis),
    ``DEPOLARIZE1(p)`` on the data before each round, and no idle noise. Under this model
    catcode's X-basis repetition memory is the Hadamard conjugate of Stim's
    ``repetition_code:memory`` generated with all four knobs equal to ``p``, and its rotated
    surface code has the error model of Stim's ``surface_code:rotated_memory_x/z``.

    >>> depolarizing(0.001).params
    {'p': 0.001}
    """

    name = "depolarizing"

    def __init__(self, p: float) -> None:
        # p is both a flip probability (reset/measure) and DEPOLARIZE1/2's total probability;
        # a flip above 1/2 is nonsense, so the common valid range is [0, 0.5].
        self.p = require_probability("p", p, maximum=0.5)

    @property
    def params(self) -> dict[str, Any]:
        return {"p": self.p}

    def prepare(self, op: Operation, ctx: NoiseContext) -> OpNoise:
        return OpNoise(after=grouped(_FLIP_FOR_BASIS[op.basis], [(op.targets, (self.p,))]))

    def measure(self, op: Operation, ctx: NoiseContext) -> OpNoise:
        return OpNoise(before=grouped(_FLIP_FOR_BASIS[op.basis], [(op.targets, (self.p,))]))

    def cx(self, op: Operation, ctx: NoiseContext) -> OpNoise:
        after = [stim.CircuitInstruction("DEPOLARIZE2", list(op.targets), [self.p])] if self.p else []
        return OpNoise(after=after)

    def gate1(self, op: Operation, ctx: NoiseContext) -> OpNoise:
        return OpNoise(after=grouped("DEPOLARIZE1", [(op.targets, (self.p,))]))

    def idle(self, qubits: Sequence[int], layer: Layer, ctx: NoiseContext) -> list[stim.CircuitInstruction]:
        return []

    def round_start(self, data_qubits: Sequence[int], ctx: NoiseContext) -> list[stim.CircuitInstruction]:
        return grouped("DEPOLARIZE1", [(data_qubits, (self.p,))])


class Biased(NoiseModel):
    """Generic biased Pauli noise of strength ``p`` and bias ``eta = p_Z / (p_X + p_Y)``.

    Single-qubit channel (after preparation, before measurement, on every qubit idle in a layer
    and on the data before each round): ``PAULI_CHANNEL_1(p_X, p_Y, p_Z)`` with
    ``p_Z = p * eta / (1 + eta)`` and ``p_X = p_Y = p / (2 (1 + eta))``.

    CX: a bias-preserving gate (Puri et al., Sci. Adv. 6, eaay5901 (2020); Guillaud & Mirrahimi,
    PRX 9, 041053 (2019)): Z-type errors ``ZI, IZ, ZZ`` share ``p * eta / (1 + eta)`` equally, the
    twelve Paulis with an X or Y part share ``p / (1 + eta)`` equally, so X-type errors are
    suppressed by ``eta``. A biased CX never turns a Z error into an X error.

    >>> biased(0.01, eta=100).single_qubit_probabilities()
    (4.950495049504951e-05, 4.950495049504951e-05, 0.009900990099009901)
    """

    name = "biased"

    def __init__(self, p: float, eta: float) -> None:
        self.p = require_probability("p", p)
        self.eta = require_positive("eta", eta)

    @property
    def params(self) -> dict[str, Any]:
        return {"p": self.p, "eta": self.eta}

    def single_qubit_probabilities(self) -> tuple[float, float, float]:
        """``(p_X, p_Y, p_Z)`` of the single-qubit channel."""
        pz = self.p * self.eta / (1 + self.eta)
        px = self.p / (2 * (1 + self.eta))
        return (px, px, pz)

    def two_qubit_probabilities(self) -> tuple[float, ...]:
        """The 15 PAULI_CHANNEL_2 arguments of the CX channel, in Stim's order (IX, IY, ..., ZZ)."""
        z_type = {"IZ", "ZI", "ZZ"}
        pz_each = self.p * self.eta / (1 + self.eta) / 3
        other_each = self.p / (1 + self.eta) / 12
        return tuple(pz_each if pair in z_type else other_each for pair in PAULI_PAIRS)

    def _single(self, qubits: Sequence[int]) -> list[stim.CircuitInstruction]:
        return grouped("PAULI_CHANNEL_1", [(qubits, self.single_qubit_probabilities())])

    def prepare(self, op: Operation, ctx: NoiseContext) -> OpNoise:
        return OpNoise(after=self._single(op.targets))

    def measure(self, op: Operation, ctx: NoiseContext) -> OpNoise:
        return OpNoise(before=self._single(op.targets))

    def gate1(self, op: Operation, ctx: NoiseContext) -> OpNoise:
        return OpNoise(after=self._single(op.targets))

    def cx(self, op: Operation, ctx: NoiseContext) -> OpNoise:
        args = self.two_qubit_probabilities()
        return OpNoise(after=[stim.CircuitInstruction("PAULI_CHANNEL_2", list(op.targets), list(args))] if self.p else [])

    def idle(self, qubits: Sequence[int], layer: Layer, ctx: NoiseContext) -> list[stim.CircuitInstruction]:
        return self._single(qubits)

    def round_start(self, data_qubits: Sequence[int], ctx: NoiseContext) -> list[stim.CircuitInstruction]:
        return self._single(data_qubits)


def depolarizing(p: float) -> Depolarizing:
    """Stim-equivalent uniform depolarising noise of strength ``p`` (see :class:`Depolarizing`)."""
    return Depolarizing(p)


def biased(p: float, eta: float) -> Biased:
    """Biased Pauli noise of strength ``p`` and bias ``eta`` (see :class:`Biased`)."""
    return Biased(p, eta)
