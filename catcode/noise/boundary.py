"""Boundary noise: remove the noise of a memory circuit's first and last layers (ideal preparation and readout).

With noisy boundaries a d-round memory adds its readout error divided by d to every per-round
rate; removing it gives the bulk per-cycle rate of a long memory. ``build_circuit`` applies this
transform when the metadata key ``boundary`` is ``"ideal"`` (:data:`BOUNDARIES`).
"""

from __future__ import annotations

import stim

__all__ = ["BOUNDARIES", "strip_boundary_noise"]

#: Values of the structural metadata key ``boundary``: ``"noisy"`` (the compiled circuit as is)
#: or ``"ideal"`` (:func:`strip_boundary_noise` applied).
BOUNDARIES = ("ideal", "noisy")


def strip_boundary_noise(circuit: stim.Circuit) -> stim.Circuit:
    """``circuit`` with the noise of its first and last layers removed (ideal preparation and readout).

    The first layer is everything before the first top-level ``TICK`` (state preparation), the last
    layer everything after the last top-level ``TICK`` (the final data measurement). Noise
    channels there are dropped; measurement gates keep their targets but lose a flip probability;
    heralded channels (which write a herald bit to the measurement record) stay with probability 0
    so every record lookback is unchanged. Rounds in ``REPEAT`` blocks are untouched.

    >>> c = stim.Circuit("R 0\\nX_ERROR(0.1) 0\\nTICK\\nX_ERROR(0.01) 0\\nTICK\\nX_ERROR(0.2) 0\\nM(0.1) 0")
    >>> print(strip_boundary_noise(c))
    R 0
    TICK
    X_ERROR(0.01) 0
    TICK
    M 0
    """
    items = list(circuit)
    ticks = [i for i, inst in enumerate(items) if isinstance(inst, stim.CircuitInstruction) and inst.name == "TICK"]
    if not ticks:
        edge = set(range(len(items)))
    else:
        edge = set(range(ticks[0])) | set(range(ticks[-1] + 1, len(items)))
    out = stim.Circuit()
    for i, inst in enumerate(items):
        if i in edge and isinstance(inst, stim.CircuitInstruction):
            data = stim.gate_data(inst.name)
            if data.is_noisy_gate:
                if not data.produces_measurements:
                    continue
                args = inst.gate_args_copy()
                if inst.name.startswith("HERALDED_"):
                    inst = stim.CircuitInstruction(inst.name, inst.targets_copy(), [0.0] * len(args), tag=inst.tag)
                elif args:
                    inst = stim.CircuitInstruction(inst.name, inst.targets_copy(), [], tag=inst.tag)
        out.append(inst)
    return out
