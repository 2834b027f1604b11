"""The noise pass machinery behind :meth:`catcode.noise.model.NoiseModel.apply`.

It reads an ideal circuit as a :class:`Program` (the compiler hands one over with :func:`handoff`;
any other circuit is read by :func:`program_of`), walks it layer by layer asking the model's rules
for noise (see :mod:`catcode.noise.model` for the rules' contract), keeps the map from ideal to
noisy measurement records (:class:`_Records`, one segment per REPEAT block) and writes the noisy
circuit as exact text. Import the public names from :mod:`catcode.noise.model`.
"""

from __future__ import annotations

import bisect
import contextlib
import contextvars
import dataclasses
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import stim

from catcode.errors import CatcodeError
from catcode.layout import derived_cache
from catcode.noise._classes import Copy, Reduction, expand, reduce_groups
from catcode.noise.model import (
    GROUPED_LOG,
    HERALD_FLAG,
    HERALDED_GATES,
    Layer,
    NoiseContext,
    NoiseLabels,
    NoiseModel,
    Operation,
    _Pending,
    _PendingLog,
    exact_head,
    instruction_text,
    num,
    operation_of,
)

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
    ``persistent``: the items live as long as the layout (the compiler's cache), so the pass may
    keep what it derives from them per layout, keyed by their identity; otherwise per pass only.
    """

    items: tuple
    declares_round_starts: bool
    num_qubits: int
    persistent: bool = False


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
    head = exact_head(inst.name, inst.tag, tuple(inst.gate_args_copy()))
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

    def noisy_range(self, lo: int, hi: int) -> list[int]:
        """``[noisy_of(i) for i in range(lo, hi)]``, walking the segments once.

        >>> r = _Records(); r.add(2, 0); r.noisy += 3; r.add(2, 5); r.noisy_range(0, 4)
        [0, 1, 5, 6]
        """
        out: list[int] = []
        i = lo
        j = bisect.bisect_right(self.starts, lo) - 1
        while i < hi:
            seg = self.segs[j]
            if isinstance(seg, list):
                end = min(hi, seg[0] + seg[2])
                out.extend(range(seg[1] + i - seg[0], seg[1] + end - seg[0]))
            else:
                i0, n0, ideal_per, noisy_per, reps, inner = seg
                end = min(hi, i0 + ideal_per * reps)
                while i < end:
                    it, r = divmod(i - i0, ideal_per)
                    stop = min(end - i0 - it * ideal_per, ideal_per)
                    base = n0 + it * noisy_per
                    out.extend(map(base.__add__, inner.noisy_range(r, stop)))
                    i = i0 + it * ideal_per + stop
            i = end
            j += 1
        return out

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


_NO_NOISE = _Chunk("", 0, 0, 0)


class _NoisePass:
    def __init__(self, model: NoiseModel, ctx: NoiseContext) -> None:
        self.model = model
        self.ctx = ctx
        self._coords: dict[int, tuple[str, str]] | None = None  # herald coordinates, built on first use
        self.all_qubits = ctx.all_qubits
        self.data_qubits = ctx.data_qubits
        self.rules = {"prepare": model.prepare, "cx": model.cx, "measure": model.measure, "gate1": model.gate1}
        self.pads = type(model).pad is not NoiseModel.pad  # the default pad adds nothing: not called
        self.layers: dict[tuple, tuple] = {}
        self.gate_kinds: dict[str, int] = {}
        self.logs: list[list] = []
        self.declared = False
        self.layout_memo = derived_cache(ctx.layout, "noise pass")
        self.labels_key = type(model).noise_labels
        if ("labels", self.labels_key) not in self.layout_memo:
            self.layout_memo[("labels", self.labels_key)] = model.noise_labels(ctx.layout)
        self.labels: NoiseLabels | None = self.layout_memo[("labels", self.labels_key)]
        # models whose rules only pass grouped()'s output on let the copying path skip building it
        self.pending = bool(getattr(type(model), "_pending_instructions", False))

    @property
    def coords(self) -> dict[int, tuple[str, str]]:
        """Herald coordinates (exact text) per qubit index, once per layout."""
        if self._coords is None:
            layout = self.ctx.layout
            self._coords = self.layout_memo.get("coords")
            if self._coords is None:
                self._coords = self.layout_memo["coords"] = {layout.qubit_index[q]: tuple(map(num, layout.coords(q))) for q in layout.qubits}
        return self._coords

    def run(self, program: Program) -> stim.Circuit:
        if program.num_qubits > self.ctx.layout.num_qubits:
            raise CatcodeError(
                f"circuit uses {program.num_qubits} qubits but the layout has {self.ctx.layout.num_qubits}; "
                "apply a noise model to a circuit compiled from the same layout"
            )
        self.declared = program.declares_round_starts
        # memos keyed by the identity of program items (they keep the items alive): per layout for
        # the compiler's cached items, per pass for any other program (no growth across calls)
        self.item_memo = self.layout_memo if program.persistent else {}
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
        # A lookback to record t of the first iteration is re-indexed alike in iteration ``it`` iff
        # noisy(t + it * per_ideal) - noisy(t) == it * per_noisy; inside the body that holds by
        # construction, so only the records before the block need checking.
        before = self._reaching_before(block, log, i0)
        if same and before:
            lo = before[0]
            last = min(block.count, 2 + ((i0 - lo) // per_ideal if per_ideal else 0))
            table = rec.noisy_range(lo, before[-1] + (last - 1) * per_ideal + 1)  # every record they reach
            offsets = [t - lo for t in before]
            start = list(map(table.__getitem__, offsets))
            for it in range(1, last):
                shift, want = it * per_ideal, it * per_noisy
                if list(map(table.__getitem__, map(shift.__add__, offsets))) != list(map(want.__add__, start)):
                    same = False
                    break
        if not same:
            raise CatcodeError(
                f"noise model {self.model!r} gives a different noisy body in different iterations of a "
                "REPEAT block (record offsets or noise depend on the iteration); this is not supported"
            )

    def _reaching_before(self, block: Repeat, log: list, i0: int) -> list[int]:
        """The records before ``block`` (which starts at ideal record ``i0``) that the lookbacks
        logged in its first iteration reach, sorted. They depend on the program only (``log``
        holds every annotation with its ideal position), so they are kept per block body (the
        compiler rebuilds the ``Repeat`` around a cached body for every number of rounds)."""
        key = ("before", id(block.items), i0, len(log))
        hit = self.item_memo.get(key)
        if hit is not None and hit[0] is block.items:
            return hit[1]
        before = sorted({t for item, ideal_at, _ in log if ideal_at + _deepest(item) < i0
                         for n in (item.notes if isinstance(item, Notes) else (item,))
                         for t in (ideal_at + k for k in n.recs) if t < i0})
        self.item_memo[key] = (block.items, before)
        return before

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
        operations), in the order: round_start, then per gate its rule and pad, then idle; once
        per noise class when the model declares :meth:`NoiseModel.noise_labels` and its output
        can be copied exactly (:mod:`catcode.noise._classes`), else on every qubit.
        """
        touched = set(itertools.chain.from_iterable(g.op.targets for g in gates))
        if len(touched) != sum(len(g.op.targets) for g in gates):
            seen: set[int] = set()
            for g in gates:
                for q in g.op.targets:
                    if q in seen:
                        raise CatcodeError(f"qubit {q} is used twice in one layer (at {g.text}); separate the operations with TICK")
                    seen.add(q)
        if self.labels is not None:
            by_class = self._by_class(gates, starts, touched)
            if by_class is not None:
                return by_class
        op_ns = [self._duration(g.op) for g in gates]
        duration = max(op_ns)
        head = self._noise(self.model.round_start(self.data_qubits, self.ctx)) if starts else None
        layer = Layer(tuple(g.op for g in gates), duration)
        chunks = []
        for g, ns in zip(gates, op_ns):
            noise = self.rules[g.op.kind](g.op, self.ctx)
            before = self._noise(noise.before)
            after = self._noise(noise.after)
            pad = self._noise(self.model.pad(g.op, duration - ns, layer, self.ctx)) if self.pads else _NO_NOISE
            text = "\n".join(t for t in (before.text, g.text, after.text, pad.text) if t)
            total = before.noisy_total + g.num_measurements + after.noisy_total + pad.noisy_total
            chunks.append(_Chunk(text, before.noisy_total, g.num_measurements, total))
        idle_qubits = [q for q in self.all_qubits if q not in touched]
        idle = self._noise(self.model.idle(idle_qubits, layer, self.ctx)) if idle_qubits else None
        return head, chunks, idle

    # -- rules once per noise class ----------------------------------------------------------
    def _by_class(self, gates: list[Gate], starts: bool, touched: set[int]) -> tuple | None:
        """:meth:`_noisy_layer` with every rule called on one representative per noise class."""
        reduced = [self._reduction(g.op) for g in gates]
        reds, ops = [r for r, _ in reduced], [op for _, op in reduced]
        if all(len(r.reps) == sum(map(len, r.members)) > 1 for r in reds):
            return None  # no two qubits (pairs) share a class (overrides everywhere): copying would only cost
        op_ns = [self._duration(op) for op in ops]
        duration = max(op_ns)
        layer = Layer(tuple(g.op for g in gates), duration)
        head = None
        if starts:
            red = self._qubit_reduction(self.data_qubits)
            head = self._copied(lambda: self.model.round_start(red.targets, self.ctx), red)
            if head is None:
                return None
        chunks = []
        for g, op, red, ns in zip(gates, ops, reds, op_ns):
            noise = self._copied_noise(lambda: self.rules[op.kind](op, self.ctx), red)
            pad = self._copied(lambda: self.model.pad(op, duration - ns, layer, self.ctx), red) if self.pads else _NO_NOISE
            if noise is None or pad is None:
                return None
            before, after = noise
            text = "\n".join(t for t in (before.text, g.text, after.text, pad.text) if t)
            total = before.noisy_total + g.num_measurements + after.noisy_total + pad.noisy_total
            chunks.append(_Chunk(text, before.noisy_total, g.num_measurements, total))
        idle = None
        red = self._idle_reduction(layer.operations, touched)
        if red is not None:
            idle = self._copied(lambda: self.model.idle(red.targets, layer, self.ctx), red)
            if idle is None:
                return None
        return head, chunks, idle

    def _reduction(self, op: Operation) -> tuple[Reduction, Operation]:
        """``op``'s groups (pairs for a CX, else qubits) by noise class, and ``op`` on their
        representatives; once per layout.

        Keyed by identity (the compiler's operations live as long as the layout); the memo keeps
        the operation, so an id is never reused for another one while it is cached.
        """
        key = ("op", self.labels_key, id(op))
        hit = self.item_memo.get(key)
        if hit is not None and hit[0] is op:
            return hit[1]
        if op.kind == "cx":
            red = reduce_groups(op.pairs, self.labels.pair.get)
        else:
            red = reduce_groups([(q,) for q in op.targets], lambda g: self.labels.qubit[g[0]])
        got = (red, dataclasses.replace(op, targets=red.targets))
        self.item_memo[key] = (op, got)
        return got

    def _idle_reduction(self, ops: tuple[Operation, ...], touched: set[int]) -> Reduction | None:
        """The qubits a layer of ``ops`` leaves idle, by noise class (``None``: no idle qubit)."""
        key = ("idle", self.labels_key, tuple(map(id, ops)))
        hit = self.item_memo.get(key)
        if hit is not None and all(a is b for a, b in zip(hit[0], ops)):
            return hit[1]
        idle = tuple(q for q in self.all_qubits if q not in touched)
        red = self._qubit_reduction(idle) if idle else None
        self.item_memo[key] = (ops, red)
        return red

    def _qubit_reduction(self, qubits: tuple[int, ...]) -> Reduction:
        key = ("qubits", self.labels_key, qubits)
        red = self.layout_memo.get(key)
        if red is None:
            red = self.layout_memo[key] = reduce_groups([(q,) for q in qubits], lambda g: self.labels.qubit[g[0]])
        return red

    def _copied(self, rule, red: Reduction) -> _Chunk | None:
        """The chunk of ``rule()``'s noise on the representatives, copied to their classes."""
        insts, log = _logged(rule, self.pending)
        full = expand(insts, log, red)
        return None if full is None else self._noise_of(full)

    def _copied_noise(self, rule, red: Reduction) -> tuple[_Chunk, _Chunk] | None:
        """:meth:`_copied` for a rule that returns an :class:`OpNoise` (noise before and after)."""
        noise, log = _logged(rule, self.pending)
        before, after = expand(noise.before, log, red), expand(noise.after, log, red)
        if before is None or after is None:
            return None
        return self._noise_of(before), self._noise_of(after)

    def _idle_step(self) -> _Chunk:
        """A TICK-delimited layer without operations: every qubit idles ``model.idle_step_ns``."""
        if "idle_step" not in self.layers:
            ns = self._checked_ns(self.model.idle_step_ns(self.ctx), "an idle step")
            self.layers["idle_step"] = self._noise(self.model.idle(self.all_qubits, Layer((), ns), self.ctx))
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
        return self._checked_ns(self.model.duration_ns(op, self.ctx), f"operation {op.gate}[{op.tag}]")

    def _checked_ns(self, ns: object, what: str) -> float:
        """A duration the model gave ``what``, as a float; anything but a finite number >= 0 raises."""
        if isinstance(ns, bool) or not isinstance(ns, int | float) or not 0.0 <= ns < float("inf"):
            raise CatcodeError(
                f"noise model {self.model!r} gives {what} a duration of {ns!r} ns; valid durations are finite numbers >= 0"
            )
        return float(ns)

    def _noise(self, noise: Sequence[stim.CircuitInstruction]) -> _Chunk:
        """Text of noise instructions; each herald bit becomes ``DETECTOR(x, y, 0, 1)``."""
        return self._noise_of([(inst, None) for inst in noise])

    def _noise_of(self, noise: Sequence[tuple[stim.CircuitInstruction, Copy | None]]) -> _Chunk:
        """:meth:`_noise` of instructions, each with the targets to write instead of its own (or None)."""
        lines: list[str] = []
        heralds = 0
        for inst, targets in noise:
            name = inst.name
            kind = self.gate_kinds.get(name)
            if kind is None:
                data = stim.gate_data(name)
                kind = self.gate_kinds[name] = (
                    0 if not data.is_noisy_gate else 2 if name in HERALDED_GATES else 3 if data.produces_measurements else 1
                )
            if kind == 0:
                raise CatcodeError(f"noise model {self.model!r} emitted {inst}, which is not a noise channel")
            if targets is None:
                lines.append(instruction_text(inst))
            else:  # a copied instruction: the head from its fields, the targets' text from the copy
                args = inst.args if type(inst) is _Pending else tuple(inst.gate_args_copy())
                lines.append(exact_head(name, inst.tag, args) + " " + targets.text)
            if kind == 2:
                qubits = [t.value for t in inst.targets_copy()] if targets is None else targets.targets
                n = len(qubits)
                heralds += n
                lines.append(self._herald_detectors(tuple(qubits)))
            elif kind == 3 and (targets is not None or inst.num_measurements):
                raise CatcodeError(f"noise model {self.model!r} emitted {inst}, which adds unsupported measurement results")
        return _Chunk("\n".join(lines), heralds, 0, heralds)

    def _herald_detectors(self, qubits: tuple[int, ...]) -> str:
        """The ``DETECTOR(x, y, 0, 1)`` lines of one heralded instruction's bits, once per layout."""
        key = ("heralds", qubits)
        text = self.layout_memo.get(key)
        if text is None:
            n, flag = len(qubits), num(HERALD_FLAG)
            text = self.layout_memo[key] = "\n".join(
                f"DETECTOR({self.coords[q][0]}, {self.coords[q][1]}, 0.0, {flag}) rec[{k - n}]" for k, q in enumerate(qubits)
            )
        return text

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
            out.append(self._remapped_run(item, rec))

    def _remapped_run(self, item: Notes, rec: _Records) -> str:
        """A run of annotations re-indexed; its lookbacks all land in the last ``-deepest`` records,
        so those are mapped once, and the text is kept per layout for that record shape."""
        lo = max(0, rec.ideal + item.deepest)
        noisy = rec.noisy_range(lo, rec.ideal)
        key = ("notes", id(item), tuple(map((-rec.noisy).__add__, noisy)))  # the records' shape, relative to here
        hit = self.item_memo.get(key)
        if hit is not None and hit[0] is item and lo == rec.ideal + item.deepest:  # the item itself is kept: ids stay unique
            for log in self.logs:
                log.append((item, rec.ideal, rec.noisy))
            return hit[1]
        window = (lo, noisy)
        text = "\n".join(self._remapped(note, rec, window) for note in item.notes)
        self.item_memo[key] = (item, text)
        return text

    def _remapped(self, note: Note, rec: _Records, window: tuple[int, list[int]] | None = None) -> str:
        """``note``'s text with its lookbacks re-indexed; ``window`` = (ideal index i0, noisy
        positions of records i0, i0 + 1, ...) when the caller mapped the records it reaches."""
        if not note.recs:
            return note.text
        if rec.ideal + min(note.recs) < 0:
            raise CatcodeError(f"{note.text} looks back before the first measurement")
        for log in self.logs:
            log.append((note, rec.ideal, rec.noisy))
        if rec.identity:
            return note.text
        if window is None:
            new_t = tuple(rec.noisy_of(rec.ideal + k) - rec.noisy for k in note.recs)
        else:
            at = rec.ideal - window[0]
            new_t = tuple(window[1][at + k] - rec.noisy for k in note.recs)
        if new_t == note.recs:
            return note.text
        if note.inst is None:
            return note.head + "".join(f" rec[{v}]" for v in new_t)
        it = iter(new_t)
        targets = [stim.target_rec(next(it)) if t.is_measurement_record_target else t for t in note.inst.targets_copy()]
        return instruction_text(stim.CircuitInstruction(note.inst.name, targets, note.inst.gate_args_copy(), tag=note.inst.tag))


def _logged(rule, pending: bool = False):
    """``(rule(), what grouped() built while it ran)`` (see :data:`GROUPED_LOG`); with
    ``pending``, ``grouped`` returns instructions it has not built (:class:`_Pending`)."""
    token = GROUPED_LOG.set(_PendingLog() if pending else [])
    try:
        return rule(), GROUPED_LOG.get()
    finally:
        GROUPED_LOG.reset(token)


def _deepest(item: Note | Notes) -> int:
    """The most negative record lookback of an annotation or a run of them (0 if none)."""
    return item.deepest if isinstance(item, Notes) else min(item.recs, default=0)


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
