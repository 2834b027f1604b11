"""Structural checks every compiled memory circuit must pass.

:func:`verify_memory_circuit` checks deterministic detectors, that the error model decomposes
into a matching graph, detector and observable counts against closed-form formulas, and the
code distance of the compiled circuit. Failures raise :class:`CircuitCheckError` with what was
expected and what was found.
"""

from __future__ import annotations

import stim

from catcode.errors import CatcodeError, require_choice, require_instance, require_int_at_least
from catcode.layout import Layout, require_layout
from catcode.heralds import is_herald


class CircuitCheckError(CatcodeError):
    """A compiled circuit failed a structural check."""


def expected_detector_count(layout: Layout, *, rounds: int, basis: str) -> int:
    """Closed-form number of syndrome detectors (heralds excluded).

    Checks of the memory basis give a detector every round plus one from the final data
    measurement; the other checks only compare consecutive rounds. For a repetition chain:
    ``(d - 1) * (rounds + 1)`` in the X basis and ``(d - 1) * (rounds - 1)`` in the Z basis.

    >>> expected_detector_count(Layout.chain(5), rounds=5, basis="X")
    24
    """
    same = sum(1 for s in layout.stabilizers if s.basis == basis)
    other = len(layout.stabilizers) - same
    return same * (rounds + 1) + other * (rounds - 1)


def herald_detectors(circuit: stim.Circuit) -> list[int]:
    """Indices of herald detectors (four coordinates, the fourth equal to 1).

    O(detectors): it lists every one. :func:`count_heralds` counts them in O(circuit size).
    """
    coords = circuit.get_detector_coordinates()
    return [k for k, c in coords.items() if is_herald(c)]


def count_heralds(circuit: stim.Circuit) -> int:
    """Number of herald detectors, counted structurally: a ``REPEAT`` body's count times its repeat count.

    Valid while no ``SHIFT_COORDS`` moves the fourth coordinate (catcode's circuits shift only
    the time coordinate); otherwise it counts through :func:`herald_detectors`.

    >>> count_heralds(stim.Circuit("REPEAT 1000 {\\n HERALDED_ERASE(0.1) 0\\n DETECTOR(0, 0, 0, 1) rec[-1]\\n}"))
    1000
    """
    def count(block: stim.Circuit) -> int | None:
        total = 0
        for inst in block:
            if isinstance(inst, stim.CircuitRepeatBlock):
                inner = count(inst.body_copy())
                if inner is None:
                    return None
                total += inner * inst.repeat_count
            elif inst.name == "SHIFT_COORDS" and len(inst.gate_args_copy()) >= 4 and inst.gate_args_copy()[3] != 0:
                return None
            elif inst.name == "DETECTOR" and is_herald(inst.gate_args_copy()):
                total += 1
        return total

    structural = count(circuit)
    return len(herald_detectors(circuit)) if structural is None else structural


def _require_inputs(circuit: object, layout: object, *, rounds: object, basis: object) -> None:
    """One-line CatcodeErrors for arguments of the wrong kind or out of range."""
    from catcode.compiler import BASES, MAX_ROUNDS

    require_instance("circuit", circuit, stim.Circuit, expected="a stim.Circuit")
    require_layout(layout)
    require_int_at_least("rounds", rounds, 1, MAX_ROUNDS)
    require_choice("basis", basis, BASES)


def verify_structure(circuit: stim.Circuit, layout: Layout, *, rounds: int, basis: str) -> None:
    """The cheap checks every compiled memory circuit passes (``memory_circuit`` runs them).

    Deterministic detectors (Stim's error analysis, without decomposition, so LDPC-cat error
    models qualify), syndrome-detector, observable and qubit counts against their closed forms.

    >>> from catcode import memory_circuit
    >>> verify_structure(memory_circuit(Layout.chain(3), None, rounds=2, basis="X"), Layout.chain(3), rounds=2, basis="X")
    """
    from catcode.compiler import logical_supports

    _require_inputs(circuit, layout, rounds=rounds, basis=basis)
    try:
        circuit.detector_error_model(approximate_disjoint_errors=True)
    except ValueError as exc:  # non-deterministic detectors or observables
        raise CircuitCheckError(f"circuit fails Stim's error analysis: {str(exc).splitlines()[0]}") from None
    heralds = count_heralds(circuit)
    want = expected_detector_count(layout, rounds=rounds, basis=basis)
    if circuit.num_detectors - heralds != want:
        raise CircuitCheckError(f"expected {want} syndrome detectors, found {circuit.num_detectors - heralds} (+{heralds} heralds)")
    observables = len(logical_supports(layout, basis))
    if circuit.num_observables != observables:
        raise CircuitCheckError(f"expected {observables} observable(s), found {circuit.num_observables}")
    if circuit.num_qubits != layout.num_qubits:
        raise CircuitCheckError(f"expected {layout.num_qubits} qubits, found {circuit.num_qubits}")


def verify_memory_circuit(
    circuit: stim.Circuit,
    layout: Layout,
    *,
    rounds: int,
    basis: str,
    distance: int | None = None,
) -> None:
    """Raise :class:`CircuitCheckError` unless ``circuit`` is a well-formed, matchable memory experiment.

    :func:`verify_structure`, plus a graphlike (matchable) error model and, when ``distance`` is
    given, that length of the shortest graphlike logical error of this circuit's own noise (the
    slowest check).

    >>> from catcode import memory_circuit, noise
    >>> layout = Layout.chain(3)
    >>> c = memory_circuit(layout, noise.depolarizing(0.01), rounds=2, basis="X")
    >>> verify_memory_circuit(c, layout, rounds=2, basis="X", distance=3)
    """
    if distance is not None:
        require_int_at_least("distance", distance, 1)
    verify_structure(circuit, layout, rounds=rounds, basis=basis)
    try:
        dem = circuit.detector_error_model(decompose_errors=True, approximate_disjoint_errors=True)
    except ValueError as exc:  # no graphlike decomposition
        raise CircuitCheckError(f"circuit has no graphlike error model: {str(exc).splitlines()[0]}") from None
    if distance is not None:
        if dem.num_errors == 0:
            raise CircuitCheckError(f"expected graphlike distance {distance}, but the circuit has no noise to measure it with")
        found = len(dem.shortest_graphlike_error())
        if found != distance:
            raise CircuitCheckError(f"expected graphlike distance {distance}, found {found}")
