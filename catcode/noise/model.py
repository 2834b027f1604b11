"""Noise models: the rule interface a model implements, and the noise pass entry point.

A :class:`NoiseModel` gives, for each operation kind of an ideal tagged circuit (an
:class:`Operation` in a :class:`Layer`, seen with a :class:`NoiseContext`), the noise around it
(:class:`OpNoise`); :meth:`NoiseModel.apply` runs the noise pass. The pass itself (how it walks
layers, re-indexes measurement records and writes the noisy text) lives in
:mod:`catcode.noise._pass`; the names of the ideal program it reads (:class:`Program`,
:func:`program_of`, :func:`handoff`, ...) are re-exported here.

The noise pass turns an ideal tagged circuit and a :class:`NoiseModel` into a noisy circuit.

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

import contextvars
import functools
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import stim

from catcode.errors import CatcodeError
from catcode.heralds import HERALD_FLAG, is_herald  # noqa: F401 (re-exported)
from catcode.layout import Layout, derived_cache

#: Noise-channel gates a rule may emit that add bits to the measurement record (heralds).
HERALDED_GATES = frozenset({"HERALDED_ERASE", "HERALDED_PAULI_CHANNEL_1"})

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

    def __post_init__(self) -> None:
        if isinstance(self.layout, Layout):  # answers depend on the layout only: kept with it
            object.__setattr__(self, "_memo", derived_cache(self.layout, "noise context"))

    def _qubit(self, qubit: int) -> tuple[str, str, str, dict[str, Any]]:
        """(node, kind, role, overrides) of a Stim qubit index, memoised per layout."""
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


@dataclass(frozen=True)
class NoiseLabels:
    """What :meth:`NoiseModel.noise_labels` returns: a hashable label per qubit index, and one per
    CX pair ``(control, target)`` (``None`` for a pair the model does not label: no copying)."""

    qubit: tuple[Any, ...]
    pair: dict[tuple[int, int], Any]


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

    def noise_labels(self, layout: Layout) -> NoiseLabels | None:
        """Optional: labels under which the rules treat qubits and CX couplings alike (default ``None``).

        A model that returns :class:`NoiseLabels` promises that its rules

        * build every instruction with :func:`grouped`, one entry per qubit of the operation (of
          the idle qubits, of the data qubits) or per CX pair, or per qubit of a CX pair, and
        * give each such entry the arguments they give any other entry of the same label (a
          layer's duration, the longest of its operations, is the same either way),

        whatever else the operation holds. The pass then calls each rule on one representative
        per label and copies the result to the others (issue 15: O(labels) rule work per layer,
        not O(qubits)); ``tests/test_noise_classes.py`` checks the copies byte for byte against
        the rules called on every qubit. Labels may depend on the layout only (they are
        computed once per layout and model class). Outputs the pass cannot copy exactly (noise on
        a qubit outside the operation, an entry spanning representatives, instructions not
        built by :func:`grouped`) make it call the rules on every qubit of that layer instead.
        """
        return None

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
    log = GROUPED_LOG.get()
    if type(entries) is list and len(entries) == 1:  # the common case: one entry, one instruction
        targets, args = entries[0]
        args_t = tuple(map(float, args))
        if not any(args_t):
            return []
        group = tuple(targets)
        if type(log) is _PendingLog:
            inst = _pending(gate, group, args_t, tag)
        else:
            inst = _INSTRUCTIONS.get((gate, group, args_t, tag))
            if inst is None:
                inst = _fast_instruction(gate, group, args_t, tag)
        if log is not None:
            log.append((inst, len(log), [group]))
        return [inst]
    build = _pending if type(log) is _PendingLog else _fast_instruction
    by_args: dict[tuple[float, ...], list[tuple[int, ...]]] = {}
    for targets, args in entries:
        args_t = tuple(map(float, args))
        if any(args_t):
            by_args.setdefault(args_t, []).append(tuple(targets))
    if not by_args:
        return []
    out = []
    for args_t, target_groups in by_args.items():
        if len(target_groups) > 1:
            target_groups.sort()
        flat = tuple(t for group in target_groups for t in group) if len(target_groups) > 1 else target_groups[0]
        out.append((flat[0], build(gate, flat, args_t, tag), target_groups))
    if len(out) > 1:
        out.sort(key=lambda p: p[0])
        if any(a[0] == b[0] for a, b in zip(out, out[1:])):  # ties (rare): by text, as documented
            out.sort(key=lambda p: (p[0], str(p[1])))
    if log is not None:  # the noise pass copies a representative's noise to its class (noise_labels)
        call = len(log)
        log.extend((inst, call, groups) for _, inst, groups in out)
    return [inst for _, inst, _ in out]


#: While the noise pass evaluates rules on representatives, :func:`grouped` logs here what it
#: built: ``(instruction, call number, its sorted target groups)``.
GROUPED_LOG: contextvars.ContextVar[list | None] = contextvars.ContextVar("catcode_grouped_log", default=None)


class _PendingLog(list):
    """A :data:`GROUPED_LOG` under which :func:`grouped` returns :class:`_Pending` instructions
    (the pass sets it for models whose rules only pass ``grouped``'s output on)."""


class _Pending:
    """A noise instruction :func:`grouped` has not built: canonical name, targets, args, tag.

    The noise pass writes a copied instruction's text from these fields alone (issue 15: a new
    argument tuple otherwise costs a parse by Stim that the copy never reads). Anything else
    asked of it builds the ``stim.CircuitInstruction`` it stands for and answers from that.

    >>> p = _Pending("Z_ERROR", (3,), (0.1,), "")
    >>> str(p), p.num_measurements, p.gate_args_copy()
    ('Z_ERROR(0.1) 3', 0, [0.1])
    """

    __slots__ = ("name", "targets", "args", "tag", "_inst")

    def __init__(self, name: str, targets: tuple, args: tuple[float, ...], tag: str) -> None:
        self.name, self.targets, self.args, self.tag, self._inst = name, targets, args, tag, None

    def built(self) -> stim.CircuitInstruction:
        """The ``stim.CircuitInstruction`` this stands for (built once)."""
        if self._inst is None:
            self._inst = _fast_instruction(self.name, self.targets, self.args, self.tag)
        return self._inst

    def gate_args_copy(self) -> list[float]:
        return list(self.args)

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.built(), attr)

    def __str__(self) -> str:
        return str(self.built())

    def __repr__(self) -> str:
        return repr(self.built())


def _pending(gate: str, targets: tuple, args: tuple[float, ...], tag: str) -> _Pending:
    return _Pending(_canonical_name(gate), targets, args, tag)


@functools.lru_cache(maxsize=256)
def _canonical_name(gate: str) -> str:
    """Stim's canonical name of a gate (``CORRELATED_ERROR`` -> ``E``)."""
    return stim.gate_data(gate).name


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
def _stim_head(name: str, tag: str, args: tuple[float, ...]) -> str:
    """Stim's own text of an instruction's head ``name[tag](args)`` (arguments at 6 digits)."""
    return str(stim.CircuitInstruction(name, [], list(args), tag=tag))


@functools.lru_cache(maxsize=256)
def _stim_escapes(tag: str) -> bool:
    """Whether Stim escapes ``tag`` in its text (it holds ``[``, ``]``, ``\\`` or a line break)."""
    return any(c in tag for c in "[]\\\r\n")


@functools.lru_cache(maxsize=8192)
def exact_head(name: str, tag: str, args: tuple[float, ...]) -> str:
    """``name[tag](args)`` as exact Stim text, every argument at full precision (:func:`num`).

    Written without asking Stim, except for a tag Stim escapes, whose text is taken from Stim's
    own head; equal to Stim's head with exact arguments for every noise channel Stim has
    (``tests/test_noise_pass.py``). ``name`` is the canonical gate name; ``args`` are floats.

    >>> exact_head("PAULI_CHANNEL_1", "t", (0.1, 0.0, 1e-300))
    'PAULI_CHANNEL_1[t](0.1, 0.0, 1e-300)'
    """
    arg_text = f"({', '.join(map(num, args))})" if args else ""
    if _stim_escapes(tag):
        head = _stim_head(name, tag, args)
        return head[: head.rfind("(")] + arg_text if args else head
    return name + (f"[{tag}]" if tag else "") + arg_text


def instruction_text(inst: stim.CircuitInstruction) -> str:
    """Stim text of ``inst`` with its arguments at full precision (Stim prints its targets).

    >>> instruction_text(stim.CircuitInstruction("X_ERROR", [0, 2], [0.123456789]))
    'X_ERROR(0.123456789) 0 2'
    """
    args = tuple(inst.gate_args_copy())
    return exact_head(inst.name, inst.tag, args) + str(inst)[len(_stim_head(inst.name, inst.tag, args)):]


def _fast_instruction(gate: str, targets: tuple, args: tuple[float, ...], tag: str) -> stim.CircuitInstruction:
    """``stim.CircuitInstruction(gate, targets, args, tag=tag)`` built by parsing text.

    Stim 1.16 converts Python target lists at ~10 us per target (Stim issue #1087); parsing the
    same instruction as text is ~50x faster and gives the identical instruction (exact doubles).
    Instructions are immutable, so identical requests share one (memoised).
    """
    if not targets or (tag and _stim_escapes(tag)) or not all(type(t) is int for t in targets):
        return stim.CircuitInstruction(gate, list(targets), list(args), tag=tag)
    return _parsed_instruction(gate, targets, args, tag)


#: Instructions :func:`_parsed_instruction` built, by (gate, targets, args, tag): a plain dict
#: read first by :func:`grouped` (cleared when it reaches 4096 entries).
_INSTRUCTIONS: dict[tuple, stim.CircuitInstruction] = {}


def _parsed_instruction(gate: str, targets: tuple[int, ...], args: tuple[float, ...], tag: str) -> stim.CircuitInstruction:
    key = (gate, targets, args, tag)
    inst = _INSTRUCTIONS.get(key)
    if inst is None:
        if len(_INSTRUCTIONS) >= 4096:
            _INSTRUCTIONS.clear()
        inst = _INSTRUCTIONS[key] = stim.Circuit(exact_head(gate, tag, args) + " " + " ".join(map(str, targets)))[0]
    return inst


# The pass and the ideal program it reads live in catcode.noise._pass (imported last: it uses the
# names above); they are re-exported so ``catcode.noise.model.X`` keeps working.
from catcode.noise._pass import (  # noqa: E402
    ROUND_START,
    Gate,
    Note,
    Notes,
    Program,
    Repeat,
    Tick,
    _NoisePass,
    _program_for,
    handoff,
    program_of,
)

__all__ = [
    "HERALDED_GATES", "HERALD_FLAG", "ROUND_START", "Gate", "Layer", "NoiseContext", "NoiseLabels", "NoiseModel", "Note",
    "Notes", "OpNoise", "Operation", "Program", "Repeat", "Tick", "grouped", "handoff", "instruction_text",
    "is_herald", "num", "operation_of", "program_of",
]
