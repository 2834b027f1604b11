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
from dataclasses import dataclass
from typing import TYPE_CHECKING

import stim

from catcode.errors import CatcodeError, require_bool, require_choice, require_int_at_least
from catcode.layout import Layout, Stabilizer, derived_cache, require_layout
from catcode.noise.model import ROUND_START, Gate, Note, Notes, Program, Repeat, Tick, handoff, num, operation_of

if TYPE_CHECKING:
    from catcode.noise import NoiseModel

#: Upper bound on ``rounds``: Stim's detector/measurement counters must not overflow, and Stim's
#: own analyses of a circuit (detector error model, sampling) still walk every round.
MAX_ROUNDS = 10**6

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
    require_layout(layout)
    require_int_at_least("rounds", rounds, 1, MAX_ROUNDS)
    require_choice("basis", basis, BASES)
    require_bool("verify", verify)
    if noise is not None and not hasattr(noise, "apply"):
        raise CatcodeError(f"noise must be a catcode.noise model (e.g. noise.depolarizing(1e-3)) or None; got {noise!r}")
    program = ideal_program(layout, rounds=rounds, basis=basis)
    circuit = _ideal_circuit(layout, rounds, basis)
    if noise is not None:
        with handoff(circuit, program):  # tells the pass which layers start a round
            circuit = noise.apply(circuit, layout)
    if verify:
        from catcode.verify import verify_structure

        verify_structure(circuit, layout, rounds=rounds, basis=basis)
    return circuit


def ideal_memory_circuit(layout: Layout, *, rounds: int, basis: str) -> stim.Circuit:
    """The noiseless, tagged memory circuit (see :func:`memory_circuit`)."""
    require_layout(layout)
    require_int_at_least("rounds", rounds, 1, MAX_ROUNDS)
    require_choice("basis", basis, BASES)
    return _ideal_circuit(layout, rounds, basis)


#: How many (rounds, basis) ideal circuits a layout keeps parsed (a sweep uses a few).
_IDEAL_CIRCUITS_KEPT = 8


def _ideal_circuit(layout: Layout, rounds: int, basis: str) -> stim.Circuit:
    """A new copy of the parsed ideal circuit; the parse is kept per layout (issue 15: copying a
    ``stim.Circuit`` costs ~1/15 of parsing its text), the last few (rounds, basis) only."""
    kept = derived_cache(layout, "compiler").setdefault("ideal circuits", {})
    circuit = kept.pop((rounds, basis), None)
    if circuit is None:
        circuit = stim.Circuit(_ideal_text(layout, rounds, basis))
        if len(kept) >= _IDEAL_CIRCUITS_KEPT:
            del kept[next(iter(kept))]  # the least recently used
    kept[rounds, basis] = circuit  # most recently used last
    return circuit.copy()


def ideal_program(layout: Layout, *, rounds: int, basis: str) -> Program:
    """The ideal memory circuit as a :class:`~catcode.noise.model.Program` for the noise pass.

    Besides the circuit's instructions it marks the layer that starts every round (the first CX
    layer), which the pass reads instead of guessing. :func:`program_text` gives its Stim text.
    """
    require_int_at_least("rounds", rounds, 1, MAX_ROUNDS)
    require_choice("basis", basis, BASES)
    pieces = _pieces(layout, basis)
    repeat = (Repeat(rounds - 1, pieces.body),) if rounds > 1 else ()
    return Program(pieces.prefix + repeat + pieces.suffix, True, layout.num_qubits, persistent=True)


@dataclass(frozen=True)
class _Pieces:
    """A memory circuit of one layout and basis, but for its number of rounds: the first round
    (with the qubit coordinates and data preparation), the body of the REPEAT block, and the
    final data measurement; as program items and as Stim text."""

    prefix: tuple
    body: tuple
    suffix: tuple
    prefix_text: str
    body_text: str
    suffix_text: str


def _ideal_text(layout: Layout, rounds: int, basis: str) -> str:
    """:func:`program_text` of :func:`ideal_program`, from the cached pieces' text."""
    p = _pieces(layout, basis)
    middle = [f"REPEAT {rounds - 1} {{", p.body_text, "}"] if rounds > 1 else []
    return "\n".join([p.prefix_text, *middle, p.suffix_text])


def _pieces(layout: Layout, basis: str) -> _Pieces:
    """The :class:`_Pieces` of ``layout`` in ``basis``, built once per layout object and basis."""
    by_basis = derived_cache(layout, "compiler")
    if ("pieces", basis) in by_basis:
        return by_basis["pieces", basis]
    stabs = layout.stabilizers
    checked = [s for s in stabs if s.basis == basis]  # deterministic from the first round on

    b = _Builder(layout)
    b.items.extend(Note(line) for line in b.tables.coords_lines)
    # Data preparation shares the first layer with the first ancilla preparation.
    b.prepare(layout.data_qubits, basis)
    b.extend(_round_items(layout))
    for s in checked:
        b.detector(s.ancilla, [b.check_record(s, rounds_back=0)])
    b.items.append(_SHIFT)

    body = _Builder(layout)
    body.tick()
    body.extend(_round_items(layout))
    for s in stabs:
        body.detector(s.ancilla, [body.check_record(s, rounds_back=0), body.check_record(s, rounds_back=1)])
    body.items.append(_SHIFT)

    # Final data measurement, the checks it reconstructs, and the observable.
    end = _Builder(layout)
    end.tick()
    end.measure(layout.data_qubits, basis)
    data_rec = end.data_records()
    for s in checked:
        recs = [data_rec[q] for q in s.data] + [end.check_record(s, rounds_back=0, after_data=True)]
        end.detector(s.ancilla, recs)
    for k, support in enumerate(logical_supports(layout, basis)):
        end.note("OBSERVABLE_INCLUDE", (k,), recs=[data_rec[q] for q in support])
    pieces = by_basis["pieces", basis] = _Pieces(
        _runs(b.items), _runs(body.items), _runs(end.items),
        "\n".join(_lines(b.items)), "\n".join(_lines(body.items)), "\n".join(_lines(end.items)),
    )
    return pieces


def program_text(program: Program) -> str:
    """Stim text of an ideal :class:`~catcode.noise.model.Program` (round-start markers dropped).

    >>> from catcode import Layout
    >>> print(program_text(ideal_program(Layout.chain(2), rounds=1, basis="X")).splitlines()[3])
    RX[prepare:cat] 0 2
    """
    return "\n".join(_lines(program.items))


def _lines(items) -> list[str]:
    out: list[str] = []
    for item in items:
        if isinstance(item, Repeat):
            out.append(f"REPEAT {item.count} {{")
            out.extend(_lines(item.items))
            out.append("}")
        elif item is not ROUND_START:
            out.append(item.text)
    return out


def _runs(items: Sequence) -> tuple:
    """``items`` with every run of consecutive :class:`Note` merged into one :class:`Notes`."""
    out: list = []
    run: list[Note] = []
    for item in items:
        if isinstance(item, Note):
            run.append(item)
            continue
        if run:
            out.append(Notes.of(run))
            run = []
        out.append(item)
    if run:
        out.append(Notes.of(run))
    return tuple(out)


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
    along which the logical operator of that type runs. A layout with several logical qubits (an
    LDPC-cat patch) has one support each: :func:`logical_supports`.
    """
    require_layout(layout)
    require_choice("basis", basis, BASES)
    declared = layout.graph.graph.get("logicals")
    if declared is not None and len(declared[basis]) != 1:
        raise CatcodeError(
            f"layout {layout.name!r} has {len(declared[basis])} logical qubits; logical_support is for codes with one: "
            "use catcode.compiler.logical_supports"
        )
    if declared is not None:
        return tuple(declared[basis][0])
    if layout.code == "repetition":
        return (layout.data_qubits[-1],) if basis == "X" else layout.data_qubits
    ys = sorted({layout.coords(q)[1] for q in layout.data_qubits})
    xs = sorted({layout.coords(q)[0] for q in layout.data_qubits})
    if basis == "X":  # logical X runs across X-type (top/bottom) boundaries: a column.
        return tuple(q for q in layout.data_qubits if layout.coords(q)[0] == xs[0])
    return tuple(q for q in layout.data_qubits if layout.coords(q)[1] == ys[0])


_SHIFT = Note("SHIFT_COORDS(0.0, 0.0, 1.0)")


@dataclass(frozen=True)
class _Tables:
    """What the compiler reads from a layout, computed once per layout object (layouts are immutable)."""

    index: dict[str, int]
    kind: dict[str, str]
    stabilizer_position: dict[str, int]
    detector_head: dict[str, str]  # ancilla -> "DETECTOR(x, y, 0.0)"
    coords_lines: tuple[str, ...]  # the QUBIT_COORDS instructions


def _tables(layout: Layout) -> _Tables:
    cache = derived_cache(layout, "compiler")
    tables = cache.get("tables")
    if tables is None:
        nodes = layout.graph.nodes
        coords = {q: tuple(nodes[q]["coords"]) for q in layout.qubits}
        tables = cache["tables"] = _Tables(
            index=layout.qubit_index,
            kind={q: nodes[q]["kind"] for q in layout.qubits},
            stabilizer_position={s.ancilla: k for k, s in enumerate(layout.stabilizers)},
            detector_head={s.ancilla: f"DETECTOR({num(coords[s.ancilla][0])}, {num(coords[s.ancilla][1])}, 0.0)"
                           for s in layout.stabilizers},
            coords_lines=tuple(f"QUBIT_COORDS({num(coords[q][0])}, {num(coords[q][1])}) {layout.qubit_index[q]}"
                               for q in layout.qubits),
        )
    return tables


def _round_items(layout: Layout) -> tuple:
    """The items of one syndrome round (:meth:`_Builder.round`): the same in every round of a
    layout, built once per layout object."""
    cache = derived_cache(layout, "compiler")
    items = cache.get("round")
    if items is None:
        b = _Builder(layout)
        b.round(layout.stabilizers)
        items = cache["round"] = tuple(b.items)
    return items


class _Builder:
    """Appends canonical (sorted, tagged) program items for one layout.

    Consecutive gates with the same name and tag are merged into one, as Stim merges them when
    they are appended or parsed, so the program holds the instructions of the Stim circuit.
    """

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.items: list = []
        self.tables = _tables(layout)
        self.n_stabs = len(layout.stabilizers)
        self.n_data = len(layout.data_qubits)

    def _kind(self, q: str) -> str:
        return self.tables.kind[q]

    def tick(self) -> None:
        self.items.append(Tick())

    def extend(self, items: Sequence) -> None:
        """Append items, merging the first with the last one as :meth:`gate` does."""
        first = items[0] if items else None
        if isinstance(first, Gate):
            self.gate(first.op.gate, first.op.targets, first.op.tag)
            items = items[1:]
        self.items.extend(items)

    def gate(self, name: str, targets: Sequence[int], tag: str) -> None:
        last = self.items[-1] if self.items else None
        if isinstance(last, Gate) and last.op.gate == name and last.op.tag == tag:
            targets = last.op.targets + tuple(targets)
            self.items.pop()
        op = operation_of(name, tuple(targets), tag)
        text = f"{name}[{tag}] " + " ".join(map(str, targets))
        self.items.append(Gate(op, text, len(targets) if op.kind == "measure" else 0))

    def note(self, name: str, args: Sequence[float], *, recs: Sequence[int] = (), targets: str = "") -> None:
        head = f"{name}({', '.join(map(num, args))})"
        recs = tuple(sorted(recs))  # oldest first, so equal inputs print identically
        text = head + (" " + targets if targets else "") + "".join(f" rec[{r}]" for r in recs)
        self.items.append(Note(text, recs, head))

    def _grouped(self, qubits: Sequence[str]) -> dict[str, list[int]]:
        groups: dict[str, list[int]] = {}
        for q in qubits:
            groups.setdefault(self._kind(q), []).append(self.tables.index[q])
        return {k: sorted(v) for k, v in sorted(groups.items())}

    def prepare(self, qubits: Sequence[str], basis: str) -> None:
        gate = "RX" if basis == "X" else "R"
        for kind, targets in self._grouped(qubits).items():
            self.gate(gate, targets, op_tag("prepare", kind))

    def measure(self, qubits: Sequence[str], basis: str) -> None:
        ordered = sorted(qubits, key=self.tables.index.__getitem__)
        self.measure_in_order(ordered, [basis] * len(ordered))

    def measure_in_order(self, qubits: Sequence[str], bases: Sequence[str]) -> None:
        """Measure in exactly this order, merging runs of the same gate and kind."""
        run: list[int] = []
        run_key: tuple[str, str] | None = None
        for q, basis in zip(qubits, bases):
            key = ("MX" if basis == "X" else "M", self._kind(q))
            if key != run_key and run:
                self.gate(run_key[0], run, op_tag("measure", run_key[1]))
                run = []
            run_key = key
            run.append(self.tables.index[q])
        if run:
            self.gate(run_key[0], run, op_tag("measure", run_key[1]))

    def cx(self, pairs: Sequence[tuple[str, str]]) -> None:
        groups: dict[str, list[tuple[int, int]]] = {}
        kind, index = self.tables.kind, self.tables.index
        for c, t in pairs:
            groups.setdefault(op_tag("cx", kind[c], kind[t]), []).append((index[c], index[t]))
        for tag, gs in sorted(groups.items()):
            self.gate("CX", [i for pair in sorted(gs) for i in pair], tag)

    def round(self, stabs: Sequence[Stabilizer]) -> None:
        """One syndrome round: ancilla preparation, the CX layers, ancilla measurement.

        Ancillas are measured in stabiliser order, so a check's record offset is fixed. The
        first CX layer is marked as the start of the round (:data:`ROUND_START`).
        """
        via_h = [s.ancilla for s in stabs if s.basis == "X"] if self.layout.ancilla_x_basis_via_h else []
        via_h_set = set(via_h)
        by_basis: dict[str, list[str]] = {}
        for s in stabs:
            by_basis.setdefault("Z" if s.ancilla in via_h_set else s.basis, []).append(s.ancilla)
        for basis in sorted(by_basis):
            self.prepare(by_basis[basis], basis)
        if via_h:
            self.tick()
            self.hadamard(via_h)
        check_basis = {s.ancilla: s.basis for s in stabs}
        started = False
        for layer in self.layout.cx_layers:
            self.tick()
            if layer and not started:
                self.items.append(ROUND_START)
                started = True
            # An X check's ancilla controls the CX onto the data; a Z check's data controls it.
            self.cx([(anc, dq) if check_basis[anc] == "X" else (dq, anc) for anc, dq in layer])
        if via_h:
            self.tick()
            self.hadamard(via_h)
        self.tick()
        self.measure_in_order([s.ancilla for s in stabs], ["Z" if s.ancilla in via_h_set else s.basis for s in stabs])

    def hadamard(self, qubits: Sequence[str]) -> None:
        for kind, targets in self._grouped(qubits).items():
            self.gate("H", targets, op_tag("basis_change", kind))

    def check_record(self, s: Stabilizer, *, rounds_back: int, after_data: bool = False) -> int:
        """Record lookback of check ``s`` measured ``rounds_back`` rounds before the latest one."""
        n = self.n_stabs
        offset = self.n_data if after_data else 0
        return -n + self.tables.stabilizer_position[s.ancilla] - n * rounds_back - offset

    def data_records(self) -> dict[str, int]:
        """Record lookback of each data qubit right after the final data measurement."""
        data = sorted(self.layout.data_qubits, key=self.tables.index.__getitem__)
        return {q: i - len(data) for i, q in enumerate(data)}

    def detector(self, ancilla: str, recs: Sequence[int]) -> None:
        head = self.tables.detector_head[ancilla]
        recs = tuple(sorted(recs))  # oldest first, so equal inputs print identically
        self.items.append(Note(head + "".join(f" rec[{r}]" for r in recs), recs, head))
