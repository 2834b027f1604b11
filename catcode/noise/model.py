"""The noise pass: an ideal tagged circuit + a :class:`NoiseModel` -> a noisy circuit.

The pass walks the ideal circuit one layer (``TICK`` to ``TICK``) at a time. For each layer it

1. asks the model for the duration of every operation and takes the longest as the layer's
   duration (a negative or non-finite duration raises :class:`CatcodeError`), so an operation
   longer than the others lengthens its layer and never overruns it;
2. inserts the model's ``round_start`` noise before the first CX layer of every round (the
   layer after one without CX gates) — where Stim's ``before_round_data_depolarization`` sits;
3. wraps every operation in the model's rule for its kind (``prepare``, ``cx``, ``measure``):
   noise before it and after it. An operation with no rule raises :class:`CatcodeError`. An
   operation then gets the model's ``pad`` noise for the rest of the layer, if any (default: none;
   cat presets idle the qubits, see :meth:`NoiseModel.pad`);
4. applies the model's ``idle`` rule to every qubit the layer does not act on, with the
   :class:`Layer` (its operations and duration).

Models may emit heralded channels (``HERALDED_ERASE``, ``HERALDED_PAULI_CHANNEL_1``). Their herald
bits are exposed as ``DETECTOR(x, y, 0, 1)`` (a fourth coordinate of 1 marks a herald), and every
measurement-record lookback of the ideal circuit is re-indexed so that detectors and observables
still refer to the same measurements. ``REPEAT`` blocks stay blocks: the body is processed once,
and a second time to check that the noisy body is the same in every iteration.
"""

from __future__ import annotations

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
    """What a rule may ask about the device: node names, kinds, roles and parameter overrides."""

    layout: Layout

    def node(self, qubit: int) -> str:
        """Layout node name of a Stim qubit index."""
        return self.layout.qubits[qubit]

    def kind(self, qubit: int) -> str:
        return self.layout.kind(self.node(qubit))

    def role(self, qubit: int) -> str:
        return self.layout.graph.nodes[self.node(qubit)]["role"]

    def overrides(self, qubit: int) -> dict[str, Any]:
        """Per-node parameter overrides of this qubit (empty if none)."""
        return self.layout.node_params(self.node(qubit))

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

    def apply(self, circuit: stim.Circuit, layout: Layout) -> stim.Circuit:
        """The noisy version of an ideal circuit compiled from ``layout``."""
        return _NoisePass(self, NoiseContext(layout)).run(circuit)

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
        out.append((flat[0], stim.CircuitInstruction(gate, flat, list(args_t), tag=tag)))
    return [inst for _, inst in sorted(out, key=lambda p: (p[0], str(p[1])))]


def _operation(inst: stim.CircuitInstruction) -> Operation:
    name = inst.name
    targets = tuple(t.value for t in inst.targets_copy())
    if name in _RESETS:
        return Operation(name, "prepare", _RESETS[name], targets, inst.tag)
    if name in _MEASUREMENTS:
        return Operation(name, "measure", _MEASUREMENTS[name], targets, inst.tag)
    if name in ("CX", "CNOT", "ZCX"):
        return Operation(name, "cx", None, targets, inst.tag)
    if name in _SINGLE_QUBIT_CLIFFORDS:
        return Operation(name, "gate1", None, targets, inst.tag)
    raise CatcodeError(
        f"the noise pass has no rule for operation {name}{'[' + inst.tag + ']' if inst.tag else ''}; "
        f"supported operations: resets {sorted(_RESETS)}, measurements {sorted(_MEASUREMENTS)}, CX, "
        f"single-qubit gates {sorted(_SINGLE_QUBIT_CLIFFORDS)}"
    )


# ---------------------------------------------------------------------- the pass
@dataclass
class _RecordState:
    """Where each ideal measurement ended up in the noisy measurement record."""

    ideal_count: int = 0
    noisy_count: int = 0
    noisy_of_ideal: list[int] = field(default_factory=list)
    previous_layer_had_cx: bool = False

    def copy(self) -> _RecordState:
        return _RecordState(self.ideal_count, self.noisy_count, list(self.noisy_of_ideal), self.previous_layer_had_cx)


class _NoisePass:
    def __init__(self, model: NoiseModel, ctx: NoiseContext) -> None:
        self.model = model
        self.ctx = ctx
        self.coords = {ctx.layout.qubit_index[q]: ctx.layout.coords(q) for q in ctx.layout.qubits}

    def run(self, circuit: stim.Circuit) -> stim.Circuit:
        if circuit.num_qubits > self.ctx.layout.num_qubits:
            raise CatcodeError(
                f"circuit uses {circuit.num_qubits} qubits but the layout has {self.ctx.layout.num_qubits}; "
                "apply a noise model to a circuit compiled from the same layout"
            )
        out, _ = self._block(circuit, _RecordState())
        return out

    def _block(self, block: stim.Circuit, state: _RecordState) -> tuple[stim.Circuit, _RecordState]:
        out = stim.Circuit()
        layer: list[stim.CircuitInstruction] = []
        for item in block:
            if isinstance(item, stim.CircuitRepeatBlock):
                self._layer(layer, out, state)
                layer = []
                out.append(self._repeat(item, state))
            elif item.name == "TICK":
                self._layer(layer, out, state)
                layer = []
                out.append(item)
            else:
                layer.append(item)
        self._layer(layer, out, state)
        return out, state

    def _repeat(self, block: stim.CircuitRepeatBlock, state: _RecordState) -> stim.CircuitRepeatBlock:
        start = state.copy()
        body, after_one = self._block(block.body_copy(), start.copy())
        if block.repeat_count > 1:
            again, _ = self._block(block.body_copy(), after_one.copy())
            if again != body:
                raise CatcodeError(
                    f"noise model {self.model!r} gives a different noisy body in different iterations of a "
                    "REPEAT block (record offsets or noise depend on the iteration); this is not supported"
                )
        per_ideal = after_one.ideal_count - start.ideal_count
        per_noisy = after_one.noisy_count - start.noisy_count
        new_positions = after_one.noisy_of_ideal[start.ideal_count :]
        for k in range(block.repeat_count):
            state.noisy_of_ideal.extend(p + k * per_noisy for p in new_positions)
        state.ideal_count += per_ideal * block.repeat_count
        state.noisy_count += per_noisy * block.repeat_count
        state.previous_layer_had_cx = after_one.previous_layer_had_cx
        return stim.CircuitRepeatBlock(block.repeat_count, body, tag=block.tag)

    def _layer(self, items: list[stim.CircuitInstruction], out: stim.Circuit, state: _RecordState) -> None:
        ops: list[tuple[stim.CircuitInstruction, Operation]] = []
        for inst in items:
            if _is_annotation(inst):
                continue
            ops.append((inst, _operation(inst)))
        if not ops:
            for inst in items:
                out.append(self._remapped(inst, state))
            return
        touched: set[int] = set()
        for inst, op in ops:
            for q in op.targets:
                if q in touched:
                    raise CatcodeError(f"qubit {q} is used twice in one layer (at {inst}); separate the operations with TICK")
                touched.add(q)
        op_ns = {id(inst): self._duration(op) for inst, op in ops}
        duration = max(op_ns.values())
        has_cx = any(op.kind == "cx" for _, op in ops)
        if has_cx and not state.previous_layer_had_cx:
            self._emit(self.model.round_start(self.ctx.data_qubits, self.ctx), out, state)
        state.previous_layer_had_cx = has_cx
        layer = Layer(tuple(op for _, op in ops), duration)
        rules = {"prepare": self.model.prepare, "cx": self.model.cx, "measure": self.model.measure, "gate1": self.model.gate1}
        op_of = {id(inst): op for inst, op in ops}
        for inst in items:
            if _is_annotation(inst):
                out.append(self._remapped(inst, state))
                continue
            op = op_of[id(inst)]
            noise = rules[op.kind](op, self.ctx)
            self._emit(noise.before, out, state)
            out.append(inst)
            n = inst.num_measurements
            if n:
                state.noisy_of_ideal.extend(range(state.noisy_count, state.noisy_count + n))
                state.ideal_count += n
                state.noisy_count += n
            self._emit(noise.after, out, state)
            self._emit(self.model.pad(op, duration - op_ns[id(inst)], layer, self.ctx), out, state)
        idle = [q for q in self.ctx.all_qubits if q not in touched]
        if idle:
            self._emit(self.model.idle(idle, layer, self.ctx), out, state)

    def _duration(self, op: Operation) -> float:
        """The model's duration of ``op``, checked to be a finite number >= 0."""
        ns = self.model.duration_ns(op, self.ctx)
        if isinstance(ns, bool) or not isinstance(ns, int | float) or not 0.0 <= ns < float("inf"):
            raise CatcodeError(
                f"noise model {self.model!r} gives operation {op.gate}[{op.tag}] a duration of {ns!r} ns; "
                "valid durations are finite numbers >= 0"
            )
        return float(ns)

    def _emit(self, noise: Sequence[stim.CircuitInstruction], out: stim.Circuit, state: _RecordState) -> None:
        for inst in noise:
            data = stim.gate_data(inst.name)
            if not data.is_noisy_gate:
                raise CatcodeError(f"noise model {self.model!r} emitted {inst}, which is not a noise channel")
            out.append(inst)
            if inst.name in HERALDED_GATES:
                qubits = [t.value for t in inst.targets_copy()]
                state.noisy_count += len(qubits)
                for k, q in enumerate(qubits):
                    x, y = self.coords[q]
                    out.append("DETECTOR", [stim.target_rec(k - len(qubits))], [x, y, 0, HERALD_FLAG])
            elif inst.num_measurements:
                raise CatcodeError(f"noise model {self.model!r} emitted {inst}, which adds unsupported measurement results")

    def _remapped(self, inst: stim.CircuitInstruction, state: _RecordState) -> stim.CircuitInstruction:
        targets = inst.targets_copy()
        if not any(t.is_measurement_record_target for t in targets):
            return inst
        new = []
        for t in targets:
            if not t.is_measurement_record_target:
                new.append(t)
                continue
            ideal_abs = state.ideal_count + t.value
            if ideal_abs < 0:
                raise CatcodeError(f"{inst} looks back before the first measurement")
            new.append(stim.target_rec(state.noisy_of_ideal[ideal_abs] - state.noisy_count))
        return stim.CircuitInstruction(inst.name, new, inst.gate_args_copy(), tag=inst.tag)


def _is_annotation(inst: stim.CircuitInstruction) -> bool:
    return inst.name in ("DETECTOR", "OBSERVABLE_INCLUDE", "SHIFT_COORDS", "QUBIT_COORDS")
