"""Noise presets for all-transmon hardware: the SI1000 model and a T1/T2-based transmon model.

These are the baseline for the surface-code comparison: the rotated surface code compiled by
catcode under the same noise machinery as the cat repetition code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import stim

from catcode.errors import require_probability
from catcode.noise.generic import _FLIP_FOR_BASIS
from catcode.noise.model import Layer, NoiseContext, NoiseModel, Operation, OpNoise, grouped


class SI1000(NoiseModel):
    """Superconducting-inspired circuit noise with one parameter ``p`` (SI1000).

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

    def __init__(self, p: float) -> None:
        self.p = require_probability("p", p, maximum=0.1)

    @property
    def params(self) -> dict[str, Any]:
        return {"p": self.p}

    def prepare(self, op: Operation, ctx: NoiseContext) -> OpNoise:
        return OpNoise(after=grouped(_FLIP_FOR_BASIS[op.basis], [(op.targets, (2 * self.p,))]))

    def measure(self, op: Operation, ctx: NoiseContext) -> OpNoise:
        return OpNoise(before=grouped(_FLIP_FOR_BASIS[op.basis], [(op.targets, (5 * self.p,))]))

    def cx(self, op: Operation, ctx: NoiseContext) -> OpNoise:
        return OpNoise(after=[stim.CircuitInstruction("DEPOLARIZE2", list(op.targets), [self.p])] if self.p else [])

    def gate1(self, op: Operation, ctx: NoiseContext) -> OpNoise:
        return OpNoise(after=grouped("DEPOLARIZE1", [(op.targets, (self.p / 10,))]))

    def idle(self, qubits: Sequence[int], layer: Layer, ctx: NoiseContext) -> list[stim.CircuitInstruction]:
        strength = 2 * self.p if layer.has("measure") or layer.has("prepare") else self.p / 10
        return grouped("DEPOLARIZE1", [(qubits, (strength,))])


def si1000(p: float) -> SI1000:
    """SI1000 noise of strength ``p`` in [0, 0.1] (5p must stay a probability); see :class:`SI1000`."""
    return SI1000(p)
