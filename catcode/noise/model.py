"""The noise pass: an ideal tagged circuit + a :class:`NoiseModel` -> a noisy circuit.

The pass walks the ideal circuit one layer (``TICK`` to ``TICK``) at a time. For each layer it

1. asks the model for the duration of every operation and takes the longest as the layer's
   duration (a negative or non-finite duration raises :class:`CatcodeError`), so an operation
   longer than the others lengthens its layer and never overruns it;
2. inserts the model's ``round_start`` noise before the layer that starts each round — where
   Stim's ``before_round_data_depolarization`` sits. :func:`catcode.memory_circuit` declares
   these layers (its first CX layer of every round) out of band (:func:`handoff`); for any other
   circuit the fallback rule applies: a CX layer that follows a layer without CX gates;
3. wraps every operation in the model's rule for its kind (``prepare``, ``cx``, ``measure``):
   noise before it and after it. An operation with no rule raises :class:`CatcodeError`. An
   operation then gets the model's ``pad`` noise for the rest of the layer, if any (default: none;
   cat presets idle the qubits, see :meth:`NoiseModel.pad`);
4. applies the model's ``idle`` rule to every qubit the layer does not act on, with the
   :class:`Layer` (its operations and duration). A TICK-delimited layer with no operations is
   an *idle step*: every qubit idles for :meth:`NoiseModel.idle_step_ns`.

Models may emit heralded channels (``HERALDED_ERASE``, ``HERALDED_PAULI_CHANNEL_1``). Their herald
bits are exposed as ``DETECTOR(x, y, 0, 1)`` (a fourth coordinate of 1 marks a herald), and every
measurement-record lookback of the ideal circuit is re-indexed so that detectors and observables
still refer to the same measurements. ``REPEAT`` blocks stay blocks and the pass is
O(circuit size): the body is processed once, the record map holds one segment per block (not
per iteration), and only lookbacks that can reach before the block are re-checked for the
iterations that reach it, to make sure the noisy body is the same in every iteration.

The pass writes the noisy circuit as text (arguments at full precision, :func:`num`) and parses
it once; rules are called once per distinct layer (a layer's noise depends only on its
operations, so rules must be pure functions of their arguments).
"""

from __future__ import annotations

import bisect
import contextlib
import contextvars
import functools
import itertools
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import stim

from catcode.errors import CatcodeError
from catcode.layout import Layout

#: Noise-channel gates a rule may emit that add bits to the measurement record (heralds).
HERALDED_GATES = frozenset({"HERALDED_ERASE", "HERALDED_PAULI_CHANNEL_1"})

#: Fourth detector coordinate marking a herald: heralds are ``DETECTOR(x, y, t, HERALD_FLAG)``,
#: ordinary detectors have exactly three coordinates.
HERALD_FLAG = 1.0


def is_herald(coordinates: Sequence[float]) -> bool:
    """Whether detector ``coordinates`` mark a herald (four of them, the fourth HERALD_FLAG).

    >>> is_herald([1, 0, 2, 1]), is_herald([1, 0, 2])
    (True, False)
    """
    return len(coordinates) == 4 and coordinates[3] == HERALD_FLAG

_RESETS = {"R": "Z", "RZ": "Z", "RX": "X", "RY": "Y"}
_MEASUREMENTS = {"M": "Z", "MZ": "Z", "MX": "X", "MY": "Y"}
_SINGLE_QUBIT_CLIFFORDS = frozenset({"H", "S", "S_DAG", "SQRT_X", "SQRT_X_DAG", "X", "Y", "Z"})


@dataclass(frozen=True)
class Operation:
    """One gate instruction of the ideal circuit, as a noise rule sees it.

    ``kind`` is ``"prepare"``, ``"cx"``, ``"measure"`` or ``"gate1"`` (a single-qubit Clifford such
    as the ``H`` of a basis change); ``basis`` is the basis of a preparation
    or measurement (``None`` for CX); ``targets`` are qubit indices (control, target pairs
    flattened for CX); ``tag`` is the hardware tag the compiler put on it (``cx:transmon-cat``).
    """

    gate: str
    kind: str
    basis: str | None
    targets: tuple[int, ...]
    tag: str

    @property
    def pairs(self) -> tuple[tuple[int, int], ...]:
        """(control, target) pairs of a two-qubit gate."""
        return tuple(zip(self.targets[::2], self.targets[1::2]))


@dataclass(frozen=True)
class NoiseContext:
    """What a rule may ask about the device: node names, kinds, roles and parameter overrides.

    Answers per qubit are read from the layout once per context (one ``apply``), not per call.
    """

    layout: Layout
    _memo: dict = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)

    def _qubit(self, qubit: int) -> tuple[str, str, str, dict[str, Any]]:
        """(node, kind, role, overrides) of a Stim qubit index, memoised."""
        got = self._memo.get(qubit)
        if got is None:
            node = self.layout.qubits[qubit]
            attrs = self.layout.graph.nodes[node]
            got = self._memo[qubit] = (node, attrs["kind"], attrs["role"], self.layout.node_params(node))
        return got

    def node(self, qubit: int) -> str:
        """Layout node name of a Stim qubit index."""
        return self._qubit(qubit)[0]

    def kind(self, qubit: int) -> str:
        return self._qubit(qubit)[1]

    def role(self, qubit: int) -> str:
        return self._qubit(qubit)[2]

    def overrides(self, qubit: int) -> dict[str, Any]:
        """Per-node parameter overrides of this qubit (empty if none)."""
        return dict(self._qubit(qubit)[3])

    def edge_overrides(self, a: int, b: int) -> dict[str, Any]:
        """Per-coupling overrides of the coupling between two qubits (empty if none)."""
        na, nb = self.node(a), self.node(b)
        if not self.layout.graph.has_edge(na, nb):
            return {}
        return self.layout.edge_params(na, nb)

    @property
    def data_qubits(self) -> tuple[int, ...]:
        return tuple(sorted(self.layout.qubit_index[q] for q in self.layout.data_qubits))

    @property
    def all_qubits(self) -> tuple[int, ...]:
        return tuple(range(self.layout.num_qubits))


@dataclass(frozen=True)
class Layer:
    """One layer (``TICK`` to ``TICK``) as the idle rule sees it: its operations and duration."""

    operations: tuple[Operation, ...]
    duration_ns: float

    def has(self, kind: str) -> bool:
        """Whether any operation of this kind (``prepare``, ``cx``, ``measure``, ``gate1``) runs."""
        return any(op.kind == kind for op in self.operations)


@dataclass
class OpNoise:
    """Noise instructions a rule puts before and after one operation."""

    before: list[stim.CircuitInstruction] = field(default_factory=list)
    after: list[stim.CircuitInstruction] = field(default_factory=list)


class NoiseModel(ABC):
    """A set of noise rules; subclasses implement the rules for each operation kind.

    Subclasses set :attr:`name` and :attr:`params` (used as sinter metadata and in file
    headers) and implement ``prepare``, ``cx``, ``measure`` and ``idle``. ``duration_ns`` and
    ``round_start`` have neutral defaults.
    """

    name: str = "custom"

    @property
    @abstractmethod
    def params(self) -> dict[str, Any]:
        """The model's parameters, as flat JSON-able ``name -> value`` metadata."""

    @abstractmethod
    def prepare(self, op: Operation, ctx: NoiseContext) -> OpNoise: ...

    @abstractmethod
    def cx(self, op: Operation, ctx: NoiseContext) -> OpNoise: ...

    @abstractmethod
    def measure(self, op: Operation, ctx: NoiseContext) -> OpNoise: ...

    @abstractmethod
    def idle(self, qubits: Sequence[int], layer: Layer, ctx: NoiseContext) -> list[stim.CircuitInstruction]:
        """Noise on ``qubits``, idle while ``layer`` runs (for ``layer.duration_ns``)."""

    def gate1(self, op: Operation, ctx: NoiseContext) -> OpNoise:
        """Rule for single-qubit Clifford gates (basis changes); models without one raise."""
        raise CatcodeError(
            f"noise model {self!r} has no rule for single-qubit gate {op.gate}[{op.tag}]; "
            "use a model that defines gate1 (depolarizing, biased, si1000)"
        )

    def duration_ns(self, op: Operation, ctx: NoiseContext) -> float:
        """How long ``op`` takes; the layer lasts as long as its longest operation."""
        return 0.0

    def pad(self, op: Operation, rest_ns: float, layer: Layer, ctx: NoiseContext) -> list[stim.CircuitInstruction]:
        """Noise on ``op``'s qubits while they wait ``rest_ns`` (>= 0) for ``layer`` to end.

        The pass calls it after every operation's own noise, with ``rest_ns = layer.duration_ns -
        duration_ns(op)``; an instruction holding several gates of different durations (one CX
        instruction, several pairs) can pad each gate to ``layer.duration_ns``. Default: no noise
        (models whose rules already cover the whole layer).

        >>> from catcode.noise.generic import depolarizing
        >>> depolarizing(p=1e-3).pad(Operation("RX", "prepare", "X", (0,), ""), 5.0, Layer((), 10.0), None)
        []
        """
        return []

    def round_start(self, data_qubits: Sequence[int], ctx: NoiseContext) -> list[stim.CircuitInstruction]:
        """Noise on the data qubits before the first CX layer of every round (default: none)."""
        return []

    def metadata(self) -> dict[str, Any]:
        """``{"noise": name, **params}`` for sinter's json_metadata."""
        return {"noise": self.name, **self.params}

    def idle_step_ns(self, ctx: NoiseContext) -> float:
        """Duration of an *idle step*: a TICK-delimited layer without operations (default 0.0).

        On such a layer the pass emits ``idle(all qubits, Layer((), idle_step_ns(ctx)), ctx)``; a
        model returns ``[]`` for a zero duration.

        >>> from catcode.noise.generic import depolarizing
        >>> depolarizing(1e-3).idle_step_ns(None)
        0.0
        """
        return 0.0

    def apply(self, circuit: stim.Circuit, layout: Layout) -> stim.Circuit:
        """The noisy version of an ideal circuit compiled from ``layout``.

        A circuit from :func:`catcode.memory_circuit` comes with the layers that start a round
        (:func:`handoff`); any other circuit uses the fallback rule: a round starts at a CX layer
        that follows a layer without CX gates.
        """
        return _NoisePass(self, NoiseContext(layout)).run(_program_for(circuit))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{type(self).__name__}({args})"


# ---------------------------------------------------------------------- instruction helpers
def grouped(gate: str, entries: Iterable[tuple[Sequence[int], Sequence[float]]], *, tag: str = "") -> list[stim.CircuitInstruction]:
    """Canonical instructions for per-target channels: targets sharing arguments are merged.

    ``entries`` holds ``(targets, args)``; entries whose probabilities are all zero are dropped;
    instructions are ordered by their first target, targets kept in the given order.

    >>> [str(i) for i in grouped("Z_ERROR", [((2,), (0.1,)), ((0,), (0.1,)), ((1,), (0.0,))])]
    ['Z_ERROR(0.1) 0 2']
    """
    by_args: dict[tuple[float, ...], list[tuple[int, ...]]] = {}
    for targets, args in entries:
        args_t = tuple(float(a) for a in args)
        if not any(args_t):
            continue
        by_args.setdefault(args_t, []).append(tuple(targets))
    out = []
    for args_t, target_groups in by_args.items():
        flat = [t for group in sorted(target_groups) for t in group]
        out.append((flat[0], _fast_instruction(gate, flat, list(args_t), tag)))
    return [inst for _, inst in sorted(out, key=lambda p: (p[0], str(p[1])))]


def operation_of(name: str, targets: tuple[int, ...], tag: str) -> Operation:
    """The :class:`Operation` a rule sees for gate ``name`` (canonical Stim name) on ``targets``.

    >>> operation_of("MX", (3,), "measure:transmon").kind
    'measure'
    """
    if name in _RESETS:
        return Operation(name, "prepare", _RESETS[name], targets, tag)
    if name in _MEASUREMENTS:
        return Operation(name, "measure", _MEASUREMENTS[name], targets, tag)
    if name in ("CX", "CNOT", "ZCX"):
        return Operation(name, "cx", None, targets, tag)
    if name in _SINGLE_QUBIT_CLIFFORDS:
        return Operation(name, "gate1", None, targets, tag)
    raise CatcodeError(
        f"the noise pass has no rule for operation {name}{'[' + tag + ']' if tag else ''}; "
        f"supported operations: resets {sorted(_RESETS)}, measurements {sorted(_MEASUREMENTS)}, CX, "
        f"single-qubit gates {sorted(_SINGLE_QUBIT_CLIFFORDS)}"
    )


# ---------------------------------------------------------------------- exact instruction text
def num(x: float) -> str:
    """A number as Stim text that parses back to exactly the same double (Python's shortest repr).

    ``str(stim.CircuitInstruction)`` prints arguments with 6 significant digits, so it cannot be
    used to rebuild a circuit; this can.

    >>> num(0.1), num(2), num(1e-300)
    ('0.1', '2.0', '1e-300')
    """
    return repr(float(x))


@functools.lru_cache(maxsize=8192)
def _heads(name: str, tag: str, args: tuple[float, ...]) -> tuple[str, int]:
    """(exact head text, length of Stim's own head text) of an instruction ``name[tag](args)``."""
    stim_head = str(stim.CircuitInstruction(name, [], list(args), tag=tag))
    if not args:
        return stim_head, len(stim_head)
    return stim_head[: stim_head.rfind("(")] + "(" + ", ".join(map(num, args)) + ")", len(stim_head)


def instruction_text(inst: stim.CircuitInstruction) -> str:
    """Stim text of ``inst`` with its arguments at full precision (Stim prints its targets).

    >>> instruction_text(stim.CircuitInstruction("X_ERROR", [0, 2], [0.123456789]))
    'X_ERROR(0.123456789) 0 2'
    """
    head, stim_len = _heads(inst.name, inst.tag, tuple(inst.gate_args_copy()))
    return head + str(inst)[stim_len:]


def _fast_instruction(gate: str, targets: list[int], args: list[float], tag: str) -> stim.CircuitInstruction:
    """``stim.CircuitInstruction(gate, targets, args, tag=tag)`` built by parsing text.

    Stim 1.16 converts Python target lists at ~10 us per target (Stim issue #1087); parsing the
    same instruction as text is ~50x faster and gives the identical instruction (exact doubles).
    Instructions are immutable, so identical requests share one (memoised).
    """
    if not targets or any(c in tag for c in "[]\\\r\n") or not set(map(type, targets)) <= {int}:
        return stim.CircuitInstruction(gate, targets, args, tag=tag)
    return _parsed_instruction(gate, tuple(targets), tuple(args), tag)


@functools.lru_cache(maxsize=4096)
def _parsed_instruction(gate: str, targets: tuple[int, ...], args: tuple[float, ...], tag: str) -> stim.CircuitInstruction:
    head = gate + (f"[{tag}]" if tag else "") + (f"({', '.join(map(num, args))})" if args else "")
    return stim.Circuit(head + " " + " ".join(map(str, targets)))[0]


# ---------------------------------------------------------------------- the ideal program
# The pass reads an ideal circuit as a *program*: gates (with the Operation a rule sees and their
# exact text), annotations (with their measurement-record lookbacks), TICKs, REPEAT blocks, and
# markers of the layers that start a round. The compiler builds the program directly and hands
# it to the pass out of band (:func:`handoff`); any other circuit is read into one by
# :func:`program_of`, with round starts found by the fallback rule.
_ANNOTATIONS = frozenset({"DETECTOR", "OBSERVABLE_INCLUDE", "SHIFT_COORDS", "QUBIT_COORDS"})


@dataclass(frozen=True)
class Gate:
    """One gate instruction of an ideal program."""

    op: Operation
    text: str
    num_measurements: int


@dataclass(frozen=True)
class Note:
    """One annotation: its text, and the record lookbacks it holds (re-indexed by the pass).

    ``head`` is the text before the targets; when every target is a record lookback the pass
    rewrites ``head rec[..] rec[..]``; otherwise ``inst`` (the Stim instruction) is rebuilt.
    """

    text: str
    recs: tuple[int, ...] = ()
    head: str = ""
    inst: stim.CircuitInstruction | None = None


@dataclass(frozen=True)
class Notes:
    """A run of consecutive annotations, with their joined text (one item for the pass to copy
    when no lookback needs re-indexing)."""

    notes: tuple[Note, ...]
    text: str
    has_recs: bool
    deepest: int  # the most negative lookback (0 if none)

    @classmethod
    def of(cls, notes: Sequence[Note]) -> Notes:
        deepest = min((k for n in notes for k in n.recs), default=0)
        return cls(tuple(notes), "\n".join(n.text for n in notes), any(n.recs for n in notes), deepest)


@dataclass(frozen=True)
class Tick:
    text: str = "TICK"


@dataclass(frozen=True)
class Repeat:
    count: int
    items: tuple
    tag: str = ""


#: Marker item: the layer holding it starts a round (the model's ``round_start`` noise goes first).
ROUND_START = "round_start"


@dataclass(frozen=True)
class Program:
    """An ideal circuit as the noise pass reads it (see :func:`program_of`).

    ``declares_round_starts``: the layers that start a round carry :data:`ROUND_START` markers;
    otherwise the pass uses the fallback rule (a CX layer after a layer without CX).
    """

    items: tuple
    declares_round_starts: bool
    num_qubits: int


def program_of(circuit: stim.Circuit) -> Program:
    """Read any ideal circuit into a :class:`Program` (round starts by the fallback rule).

    >>> p = program_of(stim.Circuit("R 0 1\\nTICK\\nCX 0 1\\nM 1\\nDETECTOR rec[-1]"))
    >>> [type(i).__name__ for i in p.items], p.declares_round_starts
    (['Gate', 'Tick', 'Gate', 'Gate', 'Note'], False)
    """
    return Program(_items_of(circuit), False, circuit.num_qubits)


def _items_of(circuit: stim.Circuit) -> tuple:
    items: list = []
    for inst in circuit:
        if isinstance(inst, stim.CircuitRepeatBlock):
            items.append(Repeat(inst.repeat_count, _items_of(inst.body_copy()), inst.tag))
        elif inst.name == "TICK":
            items.append(Tick(instruction_text(inst)))
        elif inst.name in _ANNOTATIONS:
            items.append(_note_of(inst))
        else:
            op = operation_of(inst.name, tuple(t.value for t in inst.targets_copy()), inst.tag)
            items.append(Gate(op, instruction_text(inst), inst.num_measurements))
    return tuple(items)


def _note_of(inst: stim.CircuitInstruction) -> Note:
    targets = inst.targets_copy()
    recs = tuple(t.value for t in targets if t.is_measurement_record_target)
    text = instruction_text(inst)
    if not recs:
        return Note(text)
    head, _ = _heads(inst.name, inst.tag, tuple(inst.gate_args_copy()))
    return Note(text, recs, head, None if len(recs) == len(targets) else inst)


_HANDOFF: contextvars.ContextVar[tuple[stim.Circuit, Program] | None] = contextvars.ContextVar("catcode_handoff", default=None)


@contextlib.contextmanager
def handoff(circuit: stim.Circuit, program: Program):
    """While active, :meth:`NoiseModel.apply` on exactly ``circuit`` reads ``program`` instead.

    The compiler uses it to tell the pass which layers start a round (and to spare re-reading
    the circuit), without tags in the circuit: the bytes stay those of the plain circuit, and a
    model whose ``apply`` validates and then calls ``super().apply(circuit, layout)`` still works.
    """
    token = _HANDOFF.set((circuit, program))
    try:
        yield
    finally:
        _HANDOFF.reset(token)


def _program_for(circuit: stim.Circuit) -> Program:
    handed = _HANDOFF.get()
    if handed is not None and handed[0] is circuit:
        return handed[1]
    return program_of(circuit)


# ---------------------------------------------------------------------- measurement records
class _Records:
    """Where each ideal measurement sits in the noisy record, in O(segments) memory.

    Segments cover the ideal record in order: a run ``[ideal_start, noisy_start, length]``, or a
    REPEAT ``(ideal_start, noisy_start, ideal_per, noisy_per, reps, inner)`` whose ``inner``
    :class:`_Records` maps one iteration (relative to its start).
    """

    def __init__(self) -> None:
        self.ideal = 0
        self.noisy = 0
        self.identity = True  # noisy record == ideal record so far
        self.starts: list[int] = []
        self.segs: list = []
        self.prev_cx = False  # fallback round-start rule: did the previous gate layer hold a CX?
        self.floor = 0  # segments below this index belong outside the current REPEAT body

    def add(self, n: int, noisy_at: int) -> None:
        """``n`` ideal measurements land at noisy positions ``noisy_at ...``."""
        last = self.segs[-1] if len(self.segs) > self.floor else None
        if isinstance(last, list) and last[0] + last[2] == self.ideal and last[1] + last[2] == noisy_at:
            last[2] += n
        else:
            self.starts.append(self.ideal)
            self.segs.append([self.ideal, noisy_at, n])
        if noisy_at != self.ideal or self.noisy != self.ideal:
            self.identity = False
        self.ideal += n

    def noisy_of(self, i: int) -> int:
        j = bisect.bisect_right(self.starts, i) - 1
        seg = self.segs[j]
        if isinstance(seg, list):
            return seg[1] + i - seg[0]
        i0, n0, ideal_per, noisy_per, _, inner = seg
        it, r = divmod(i - i0, ideal_per)
        return n0 + it * noisy_per + inner.noisy_of(r)


# ---------------------------------------------------------------------- the pass
@dataclass
class _Chunk:
    """Noisy text of one gate (with its noise) or one noise block, and what it adds to the record."""

    text: str
    noisy_before: int  # noisy records (heralds) before the gate's own measurements
    measurements: int  # the gate's ideal measurements
    noisy_total: int  # every record the chunk adds


class _NoisePass:
    def __init__(self, model: NoiseModel, ctx: NoiseContext) -> None:
        self.model = model
        self.ctx = ctx
        self._coords: dict[int, tuple[str, str]] | None = None  # herald coordinates, built on first use
        self.all_qubits = ctx.all_qubits
        self.data_qubits = ctx.data_qubits
        self.rules = {"prepare": model.prepare, "cx": model.cx, "measure": model.measure, "gate1": model.gate1}
        self.layers: dict[tuple, tuple] = {}
        self.gate_kinds: dict[str, int] = {}
        self.logs: list[list] = []
        self.declared = False

    @property
    def coords(self) -> dict[int, tuple[str, str]]:
        if self._coords is None:
            layout = self.ctx.layout
            self._coords = {layout.qubit_index[q]: tuple(map(num, layout.coords(q))) for q in layout.qubits}
        return self._coords

    def run(self, program: Program) -> stim.Circuit:
        if program.num_qubits > self.ctx.layout.num_qubits:
            raise CatcodeError(
                f"circuit uses {program.num_qubits} qubits but the layout has {self.ctx.layout.num_qubits}; "
                "apply a noise model to a circuit compiled from the same layout"
            )
        self.declared = program.declares_round_starts
        out: list[str] = []
        self._block(program.items, out, _Records())
        return stim.Circuit("\n".join(out))

    # -- structure ----------------------------------------------------------------------
    def _block(self, items: Sequence, out: list[str], rec: _Records) -> None:
        layer: list = []
        after_tick = False
        for item in items:
            if isinstance(item, Tick):
                self._layer(layer, out, rec, idle_step=after_tick)
                out.append(item.text)
                layer, after_tick = [], True
            elif isinstance(item, Repeat):
                self._layer(layer, out, rec, idle_step=False)
                self._repeat(item, out, rec)
                layer, after_tick = [], False
            else:
                layer.append(item)
        self._layer(layer, out, rec, idle_step=False)

    def _repeat(self, block: Repeat, out: list[str], rec: _Records) -> None:
        """Process the body once; the record map gets one REPEAT segment (O(body), not O(count))."""
        out.append(f"REPEAT{'[' + block.tag + ']' if block.tag else ''} {block.count} {{")
        i0, n0, mark, cx0, floor = rec.ideal, rec.noisy, len(rec.segs), rec.prev_cx, rec.floor
        log: list = []
        self.logs.append(log)
        rec.floor = mark
        try:
            self._block(block.items, out, rec)
        finally:
            self.logs.pop()
            rec.floor = floor
        out.append("}")
        per_ideal, per_noisy = rec.ideal - i0, rec.noisy - n0
        inner = _Records()
        inner.starts = [s - i0 for s in rec.starts[mark:]]
        inner.segs = [_shifted(seg, i0, n0) for seg in rec.segs[mark:]]
        del rec.starts[mark:], rec.segs[mark:]
        if per_ideal:
            rec.starts.append(i0)
            rec.segs.append((i0, n0, per_ideal, per_noisy, block.count, inner))
        rec.ideal, rec.noisy = i0 + per_ideal * block.count, n0 + per_noisy * block.count
        if block.count > 1:
            self._check_iterations(block, log, rec, i0, n0, per_ideal, per_noisy, cx0)

    def _check_iterations(self, block: Repeat, log: list, rec: _Records, i0: int, n0: int,
                          per_ideal: int, per_noisy: int, cx0: bool) -> None:
        """Raise unless every iteration of ``block`` gets the same noisy body as the first.

        Noise is the same in every iteration (rules see the same layers), except the fallback
        round-start rule when the body ends in a different CX state than it started, and record
        lookbacks that reach before the block: those are re-indexed for the iterations that can
        reach it (at most ``1 + depth / per_ideal``) and compared with the first.
        """
        same = True
        if not self.declared and rec.prev_cx != cx0 and _first_gate_layer_has_cx(block.items):
            same = False
        if rec.identity:  # with the noisy record equal to the ideal one, lookbacks keep their values
            log = []
        log = [(n.recs, ideal_at, noisy_at) for item, ideal_at, noisy_at in log
               for n in (item.notes if isinstance(item, Notes) else (item,)) if n.recs]
        depth = max((-k - (ideal_at - i0) for ks, ideal_at, _ in log for k in ks), default=0)
        if same and depth > 0:
            last = min(block.count, 2 + (depth // per_ideal if per_ideal else 0))
            for ks, ideal_at, noisy_at in log:
                first = tuple(rec.noisy_of(ideal_at + k) - noisy_at for k in ks)
                for it in range(1, last):
                    ia, na = ideal_at + it * per_ideal, noisy_at + it * per_noisy
                    if tuple(rec.noisy_of(ia + k) - na for k in ks) != first:
                        same = False
        if not same:
            raise CatcodeError(
                f"noise model {self.model!r} gives a different noisy body in different iterations of a "
                "REPEAT block (record offsets or noise depend on the iteration); this is not supported"
            )

    # -- layers ---------------------------------------------------------------------------
    def _layer(self, items: list, out: list[str], rec: _Records, *, idle_step: bool) -> None:
        gates = [it for it in items if isinstance(it, Gate)]
        if not gates:
            if idle_step:
                self._add(self._idle_step(), out, rec)
            for item in items:
                if isinstance(item, Note | Notes):
                    self._annotate(item, out, rec)
            return
        has_cx = any(g.op.kind == "cx" for g in gates)
        if self.declared:
            starts = any(it is ROUND_START for it in items)
        else:
            starts = has_cx and not rec.prev_cx
        rec.prev_cx = has_cx
        key = (tuple(g.op for g in gates), starts)
        cached = self.layers.get(key)
        if cached is None:
            cached = self.layers[key] = self._noisy_layer(gates, starts)
        head, chunks, idle = cached
        if head is not None:
            self._add(head, out, rec)
        k = 0
        for item in items:
            if isinstance(item, Gate):
                self._add(chunks[k], out, rec)
                k += 1
            elif isinstance(item, Note | Notes):
                self._annotate(item, out, rec)
        if idle is not None:
            self._add(idle, out, rec)

    def _noisy_layer(self, gates: list[Gate], starts: bool) -> tuple:
        """The noisy chunks of one layer: round-start noise, each gate with its noise, idle noise.

        Rules are called once per distinct layer of a pass (a layer's noise depends only on its
        operations), in the order: round_start, then per gate its rule and pad, then idle.
        """
        touched = set(itertools.chain.from_iterable(g.op.targets for g in gates))
        if len(touched) != sum(len(g.op.targets) for g in gates):
            seen: set[int] = set()
            for g in gates:
                for q in g.op.targets:
                    if q in seen:
                        raise CatcodeError(f"qubit {q} is used twice in one layer (at {g.text}); separate the operations with TICK")
                    seen.add(q)
        op_ns = [self._duration(g.op) for g in gates]
        duration = max(op_ns)
        head = self._noise(self.model.round_start(self.data_qubits, self.ctx)) if starts else None
        layer = Layer(tuple(g.op for g in gates), duration)
        chunks = []
        for g, ns in zip(gates, op_ns):
            noise = self.rules[g.op.kind](g.op, self.ctx)
            before = self._noise(noise.before)
            after = self._noise(noise.after)
            pad = self._noise(self.model.pad(g.op, duration - ns, layer, self.ctx))
            text = "\n".join(t for t in (before.text, g.text, after.text, pad.text) if t)
            total = before.noisy_total + g.num_measurements + after.noisy_total + pad.noisy_total
            chunks.append(_Chunk(text, before.noisy_total, g.num_measurements, total))
        idle_qubits = [q for q in self.all_qubits if q not in touched]
        idle = self._noise(self.model.idle(idle_qubits, layer, self.ctx)) if idle_qubits else None
        return head, chunks, idle

    def _idle_step(self) -> _Chunk:
        """A TICK-delimited layer without operations: every qubit idles ``model.idle_step_ns``."""
        if "idle_step" not in self.layers:
            ns = self.model.idle_step_ns(self.ctx)
            if isinstance(ns, bool) or not isinstance(ns, int | float) or not 0.0 <= ns < float("inf"):
                raise CatcodeError(
                    f"noise model {self.model!r} gives an idle step a duration of {ns!r} ns; "
                    "valid durations are finite numbers >= 0"
                )
            self.layers["idle_step"] = self._noise(self.model.idle(self.all_qubits, Layer((), float(ns)), self.ctx))
        return self.layers["idle_step"]

    def _add(self, chunk: _Chunk, out: list[str], rec: _Records) -> None:
        if chunk.text:
            out.append(chunk.text)
        if chunk.measurements:
            rec.add(chunk.measurements, rec.noisy + chunk.noisy_before)
        if chunk.noisy_total != chunk.measurements:
            rec.identity = False
        rec.noisy += chunk.noisy_total

    def _duration(self, op: Operation) -> float:
        """The model's duration of ``op``, checked to be a finite number >= 0."""
        ns = self.model.duration_ns(op, self.ctx)
        if isinstance(ns, bool) or not isinstance(ns, int | float) or not 0.0 <= ns < float("inf"):
            raise CatcodeError(
                f"noise model {self.model!r} gives operation {op.gate}[{op.tag}] a duration of {ns!r} ns; "
                "valid durations are finite numbers >= 0"
            )
        return float(ns)

    def _noise(self, noise: Sequence[stim.CircuitInstruction]) -> _Chunk:
        """Text of noise instructions; each herald bit becomes ``DETECTOR(x, y, 0, 1)``."""
        lines: list[str] = []
        heralds = 0
        for inst in noise:
            name = inst.name
            kind = self.gate_kinds.get(name)
            if kind is None:
                data = stim.gate_data(name)
                kind = self.gate_kinds[name] = 0 if not data.is_noisy_gate else 2 if name in HERALDED_GATES else 1
            if kind == 0:
                raise CatcodeError(f"noise model {self.model!r} emitted {inst}, which is not a noise channel")
            lines.append(instruction_text(inst))
            if kind == 2:
                qubits = [t.value for t in inst.targets_copy()]
                n = len(qubits)
                heralds += n
                for k, q in enumerate(qubits):
                    x, y = self.coords[q]
                    lines.append(f"DETECTOR({x}, {y}, 0.0, {num(HERALD_FLAG)}) rec[{k - n}]")
            elif inst.num_measurements:
                raise CatcodeError(f"noise model {self.model!r} emitted {inst}, which adds unsupported measurement results")
        return _Chunk("\n".join(lines), heralds, 0, heralds)

    def _annotate(self, item: Note | Notes, out: list[str], rec: _Records) -> None:
        if isinstance(item, Note):
            out.append(self._remapped(item, rec))
        elif not item.has_recs:
            out.append(item.text)
        elif rec.identity:
            if item.deepest + rec.ideal < 0:
                bad = next(n for n in item.notes if n.recs and rec.ideal + min(n.recs) < 0)
                raise CatcodeError(f"{bad.text} looks back before the first measurement")
            for log in self.logs:
                log.append((item, rec.ideal, rec.noisy))
            out.append(item.text)
        else:
            out.extend(self._remapped(note, rec) for note in item.notes)

    def _remapped(self, note: Note, rec: _Records) -> str:
        if not note.recs:
            return note.text
        if rec.ideal + min(note.recs) < 0:
            raise CatcodeError(f"{note.text} looks back before the first measurement")
        for log in self.logs:
            log.append((note, rec.ideal, rec.noisy))
        if rec.identity:
            return note.text
        new_t = tuple(rec.noisy_of(rec.ideal + k) - rec.noisy for k in note.recs)
        if new_t == note.recs:
            return note.text
        if note.inst is None:
            return note.head + "".join(f" rec[{v}]" for v in new_t)
        it = iter(new_t)
        targets = [stim.target_rec(next(it)) if t.is_measurement_record_target else t for t in note.inst.targets_copy()]
        return instruction_text(stim.CircuitInstruction(note.inst.name, targets, note.inst.gate_args_copy(), tag=note.inst.tag))


def _shifted(seg, i0: int, n0: int):
    if isinstance(seg, list):
        return [seg[0] - i0, seg[1] - n0, seg[2]]
    return (seg[0] - i0, seg[1] - n0, *seg[2:])


def _first_gate_layer_has_cx(items: Sequence) -> bool:
    """Whether the first layer of ``items`` holding gates holds a CX (fallback round-start rule)."""
    gates: list[Gate] = []
    for item in items:
        if isinstance(item, Gate):
            gates.append(item)
        elif isinstance(item, Tick | Repeat):
            if gates:
                break
            if isinstance(item, Repeat):
                return _first_gate_layer_has_cx(item.items)
    return any(g.op.kind == "cx" for g in gates)
