"""Layout + rounds + basis -> a detector-annotated Stim memory circuit (ideal, then the noise pass).

The ideal circuit is built layer by layer from the layout's stabilisers:

* preparation: data in the memory basis (``|+>`` for ``basis="X"``, ``|0>`` for ``"Z"``),
  ancillas in their check basis;
* each round: ancilla preparation, one CX layer per slot of the CX order, ancilla measurement,
  then ``DETECTOR(x, y, t)`` comparing each check with its previous value, then
  ``SHIFT_COORDS(0, 0, 1)``; rounds after the first sit in a ``REPEAT`` block;
* the final data measurement in the memory basis, the checks it can reconstruct, and the observable.

Every gate carries a Stim tag naming the hardware operation (``prepare:cat``, ``cx:transmon-cat``
for a transmon-controlled CX on a cat, ``measure:transmon``, ...) so that the noise pass and a
reader can tell them apart. Targets are sorted, so identical inputs give byte-identical circuits.

>>> from catcode import Layout
>>> c = memory_circuit(Layout.chain(3), None, rounds=3, basis="X")
>>> c.num_detectors, c.num_observables, c.num_qubits
(8, 1, 5)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import stim

from catcode.errors import CatcodeError, require_choice, require_int_at_least

#: Upper bound on ``rounds``: the noise pass walks every round (O(rounds) time and memory: 1e7
#: rounds took 10 s and 808 MB), and Stim's detector/measurement counters must not overflow.
MAX_ROUNDS = 10**6
from catcode.layout import Layout, Stabilizer

if TYPE_CHECKING:
    from catcode.noise import NoiseModel

BASES = ("X", "Z")


def op_tag(operation: str, *nodes_kinds: str) -> str:
    """The Stim tag naming a hardware operation, e.g. ``op_tag("cx", "transmon", "cat")``.

    >>> op_tag("cx", "transmon", "cat")
    'cx:transmon-cat'
    """
    return f"{operation}:{'-'.join(nodes_kinds)}"


def memory_circuit(
    layout: Layout,
    noise: NoiseModel | None,
    *,
    rounds: int,
    basis: str,
    verify: bool = True,
) -> stim.Circuit:
    """A memory experiment on ``layout``: ``rounds`` of stabiliser measurement in ``basis``.

    ``basis="X"`` is the phase-flip memory of a cat repetition code (detects Z errors, logical
    observable = X of the last data qubit, as in Stim's ``repetition_code:memory`` conjugated by
    Hadamards). ``basis="Z"`` is the bit-flip memory (observable = product of the data Z outcomes,
    so a single data bit flip is a logical error). For the rotated surface code the observable is
    the logical operator of ``basis`` along the corresponding boundary.

    ``noise`` is a :class:`catcode.noise.NoiseModel` applied as a separate pass (``None`` gives
    the ideal circuit). The result is checked by :func:`catcode.verify.verify_structure`
    (deterministic detectors, detector/observable/qubit counts) unless ``verify=False``, an
    opt-out for loops that compile many circuits of an already-checked family.

    >>> from catcode import Layout, noise
    >>> c = memory_circuit(Layout.chain(5), noise.depolarizing(1e-3), rounds=5, basis="X")
    >>> len(c.shortest_graphlike_error())
    5
    """
    if not isinstance(layout, Layout):
        raise CatcodeError(f"layout must be a catcode.Layout (e.g. Layout.chain(5)); got {type(layout).__name__}")
    require_int_at_least("rounds", rounds, 1, MAX_ROUNDS)
    require_choice("basis", basis, BASES)
    if noise is not None and not hasattr(noise, "apply"):
        raise CatcodeError(f"noise must be a catcode.noise model (e.g. noise.depolarizing(1e-3)) or None; got {noise!r}")
    circuit = ideal_memory_circuit(layout, rounds=rounds, basis=basis)
    if noise is not None:
        circuit = noise.apply(circuit, layout)
    if verify:
        from catcode.verify import verify_structure

        verify_structure(circuit, layout, rounds=rounds, basis=basis)
    return circuit


def ideal_memory_circuit(layout: Layout, *, rounds: int, basis: str) -> stim.Circuit:
    """The noiseless, tagged memory circuit (see :func:`memory_circuit`)."""
    require_int_at_least("rounds", rounds, 1, MAX_ROUNDS)
    require_choice("basis", basis, BASES)
    stabs = layout.stabilizers
    checked = [s for s in stabs if s.basis == basis]  # deterministic from the first round on

    b = _Builder(layout)
    for q in layout.qubits:
        b.circuit.append("QUBIT_COORDS", [layout.qubit_index[q]], list(layout.coords(q)))
    # Data preparation shares the first layer with the first ancilla preparation.
    b.prepare(layout.data_qubits, basis)
    b.round(stabs)
    for s in checked:
        b.detector(s.ancilla, [b.check_record(s, rounds_back=0)])
    b.circuit.append("SHIFT_COORDS", [], [0, 0, 1])

    if rounds > 1:
        body = _Builder(layout)
        body.circuit.append("TICK")
        body.round(stabs)
        for s in stabs:
            body.detector(s.ancilla, [body.check_record(s, rounds_back=0), body.check_record(s, rounds_back=1)])
        body.circuit.append("SHIFT_COORDS", [], [0, 0, 1])
        b.circuit.append(stim.CircuitRepeatBlock(rounds - 1, body.circuit))

    # Final data measurement, the checks it reconstructs, and the observable.
    b.circuit.append("TICK")
    b.measure(layout.data_qubits, basis)
    data_rec = b.data_records()
    for s in checked:
        recs = [data_rec[q] for q in s.data] + [b.check_record(s, rounds_back=0, after_data=True)]
        b.detector(s.ancilla, recs)
    for k, support in enumerate(logical_supports(layout, basis)):
        b.circuit.append("OBSERVABLE_INCLUDE", _canonical_recs([data_rec[q] for q in support]), [k])
    return b.circuit


def logical_supports(layout: Layout, basis: str) -> tuple[tuple[str, ...], ...]:
    """One support per logical qubit (observable ``k`` is the ``k``-th).

    A layout may declare them in ``layout.graph.graph["logicals"][basis]`` (a tuple of supports,
    as :meth:`Layout.ldpc_cat` does); otherwise the code has one, :func:`logical_support`.

    >>> from catcode import Layout
    >>> logical_supports(Layout.chain(3), "X")
    (('D3',),)
    """
    declared = layout.graph.graph.get("logicals")
    if declared is not None:
        return tuple(tuple(s) for s in declared[basis])
    return (logical_support(layout, basis),)


def logical_support(layout: Layout, basis: str) -> tuple[str, ...]:
    """Data qubits whose ``basis`` outcomes multiply to the logical observable.

    Repetition code: ``X`` -> the last data qubit (any single one is equivalent); ``Z`` -> every
    data qubit. Rotated surface code: the data qubits of one boundary row (``Z``) or column (``X``)
    along which the logical operator of that type runs.
    """
    if layout.code == "repetition":
        return (layout.data_qubits[-1],) if basis == "X" else layout.data_qubits
    ys = sorted({layout.coords(q)[1] for q in layout.data_qubits})
    xs = sorted({layout.coords(q)[0] for q in layout.data_qubits})
    if basis == "X":  # logical X runs across X-type (top/bottom) boundaries: a column.
        return tuple(q for q in layout.data_qubits if layout.coords(q)[0] == xs[0])
    return tuple(q for q in layout.data_qubits if layout.coords(q)[1] == ys[0])


def _canonical_recs(recs: Sequence[stim.GateTarget]) -> list[stim.GateTarget]:
    """Record targets sorted from oldest to newest, so equal inputs print identically."""
    return sorted(recs, key=lambda t: t.value)


class _Builder:
    """Appends canonical (sorted, tagged) instructions for one layout."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.circuit = stim.Circuit()
        self.stabilizer_position = {s.ancilla: k for k, s in enumerate(layout.stabilizers)}

    def _kind(self, q: str) -> str:
        return self.layout.kind(q)

    def _grouped(self, qubits: Sequence[str]) -> dict[str, list[int]]:
        groups: dict[str, list[int]] = {}
        for q in qubits:
            groups.setdefault(self._kind(q), []).append(self.layout.qubit_index[q])
        return {k: sorted(v) for k, v in sorted(groups.items())}

    def prepare(self, qubits: Sequence[str], basis: str) -> None:
        gate = "RX" if basis == "X" else "R"
        for kind, targets in self._grouped(qubits).items():
            self.circuit.append(gate, targets, tag=op_tag("prepare", kind))

    def measure(self, qubits: Sequence[str], basis: str) -> None:
        ordered = sorted(qubits, key=lambda q: self.layout.qubit_index[q])
        self.measure_in_order(ordered, [basis] * len(ordered))

    def measure_in_order(self, qubits: Sequence[str], bases: Sequence[str]) -> None:
        """Measure in exactly this order, merging runs of the same gate and kind."""
        run: list[int] = []
        run_key: tuple[str, str] | None = None
        for q, basis in zip(qubits, bases):
            key = ("MX" if basis == "X" else "M", self._kind(q))
            if key != run_key and run:
                self.circuit.append(run_key[0], run, tag=op_tag("measure", run_key[1]))
                run = []
            run_key = key
            run.append(self.layout.qubit_index[q])
        if run:
            self.circuit.append(run_key[0], run, tag=op_tag("measure", run_key[1]))

    def cx(self, pairs: Sequence[tuple[str, str]]) -> None:
        groups: dict[str, list[tuple[int, int]]] = {}
        for c, t in pairs:
            tag = op_tag("cx", self._kind(c), self._kind(t))
            groups.setdefault(tag, []).append((self.layout.qubit_index[c], self.layout.qubit_index[t]))
        for tag, gs in sorted(groups.items()):
            flat = [i for pair in sorted(gs) for i in pair]
            self.circuit.append("CX", flat, tag=tag)

    def round(self, stabs: Sequence[Stabilizer]) -> None:
        """One syndrome round: ancilla preparation, the CX layers, ancilla measurement.

        Ancillas are measured in stabiliser order, so a check's record offset is fixed.
        """
        via_h = [s.ancilla for s in stabs if s.basis == "X"] if self.layout.ancilla_x_basis_via_h else []
        by_basis: dict[str, list[str]] = {}
        for s in stabs:
            by_basis.setdefault("Z" if s.ancilla in via_h else s.basis, []).append(s.ancilla)
        for basis in sorted(by_basis):
            self.prepare(by_basis[basis], basis)
        if via_h:
            self.circuit.append("TICK")
            self.hadamard(via_h)
        check_basis = {s.ancilla: s.basis for s in stabs}
        for layer in self.layout.cx_layers:
            self.circuit.append("TICK")
            # An X check's ancilla controls the CX onto the data; a Z check's data controls it.
            self.cx([(anc, dq) if check_basis[anc] == "X" else (dq, anc) for anc, dq in layer])
        if via_h:
            self.circuit.append("TICK")
            self.hadamard(via_h)
        self.circuit.append("TICK")
        self.measure_in_order([s.ancilla for s in stabs], ["Z" if s.ancilla in via_h else s.basis for s in stabs])

    def hadamard(self, qubits: Sequence[str]) -> None:
        for kind, targets in self._grouped(qubits).items():
            self.circuit.append("H", targets, tag=op_tag("basis_change", kind))

    def check_record(self, s: Stabilizer, *, rounds_back: int, after_data: bool = False) -> stim.GateTarget:
        """Record target of check ``s`` measured ``rounds_back`` rounds before the latest one."""
        n = len(self.layout.stabilizers)
        offset = len(self.layout.data_qubits) if after_data else 0
        return stim.target_rec(-n + self.stabilizer_position[s.ancilla] - n * rounds_back - offset)

    def data_records(self) -> dict[str, stim.GateTarget]:
        """Record target of each data qubit right after the final data measurement."""
        data = sorted(self.layout.data_qubits, key=lambda q: self.layout.qubit_index[q])
        return {q: stim.target_rec(i - len(data)) for i, q in enumerate(data)}

    def detector(self, ancilla: str, recs: Sequence[stim.GateTarget]) -> None:
        x, y = self.layout.coords(ancilla)
        self.circuit.append("DETECTOR", _canonical_recs(recs), [x, y, 0])
