"""Rules evaluated once per noise class give the same circuits as rules evaluated on every qubit.

The pass copies a representative's noise to the qubits (CX pairs) with its label
(:meth:`NoiseModel.noise_labels`, :mod:`catcode.noise._classes`). These tests compile the same
layouts with the labels switched off (every rule on every qubit, the reference) and compare the
circuits byte for byte, on layouts whose overrides split the qubits into many classes.
"""

from __future__ import annotations

import random

import pytest
import stim

from catcode import Layout, memory_circuit, noise
from catcode.noise import _pass
from catcode.noise._classes import expand, reduce_groups
from catcode.noise.model import GROUPED_LOG, Layer, NoiseContext, NoiseLabels, NoiseModel, Operation, OpNoise, grouped


def _reference(layout_fn, model, monkeypatch, **kw) -> stim.Circuit:
    """The circuit with every rule called on every qubit (labels switched off)."""
    with monkeypatch.context() as m:
        m.setattr(type(model), "noise_labels", lambda self, layout: None)
        return memory_circuit(layout_fn(), model, verify=False, **kw)


def _with_overrides(layout: Layout, seed: int, node_params: dict, edge_params: dict) -> Layout:
    """``layout`` with a random third of its qubits and couplings given random override values."""
    rng = random.Random(seed)
    for node in sorted(layout.graph.nodes):
        kind = layout.kind(node)
        if kind in node_params and rng.random() < 0.35:
            name, values = node_params[kind]
            layout = layout.with_params(node, **{name: rng.choice(values)})
    for a, b in sorted(tuple(sorted(e)) for e in layout.graph.edges):
        if layout.graph.edges[a, b]["kind"] == "cx" and edge_params and rng.random() < 0.3:
            name, values = edge_params["cx"]
            layout = layout.with_params((a, b), **{name: rng.choice(values)})
    return layout


OCELOT_NODES = {"cat": ("nbar", [1.2, 1.5, 2.0]), "transmon": ("t1_us", [30.0, 40.0])}
OCELOT_EDGES = {"cx": ("cx_duration_ns", [300.0, 400.0, 450.0])}
CAT_NODES = {"cat": ("nbar", [3.0, 4.0, 5.0])}
CAT_EDGES = {"cx": ("cx_duration_ns", [800.0, 1000.0, 1200.0])}
TRANSMON_NODES = {"transmon": ("t1_us", [30.0, 40.0, 50.0])}
TRANSMON_EDGES = {"cx": ("cx_error", [1e-3, 2e-3])}

CASES = [
    ("ocelot chain", lambda: Layout.chain(9), lambda: noise.ocelot(nbar=1.5), OCELOT_NODES, OCELOT_EDGES),
    ("ocelot rectangular", lambda: Layout.rectangular_surface(5, 3), lambda: noise.ocelot(nbar=2.0), OCELOT_NODES, OCELOT_EDGES),
    ("cat_cat chain", lambda: Layout.chain(9, ancilla="cat"), lambda: noise.cat_cat(nbar=4, k1_over_k2=1e-3), CAT_NODES, CAT_EDGES),
    ("cat_cat gm", lambda: Layout.chain(7, ancilla="cat"),
     lambda: noise.cat_cat(nbar=4, k1_over_k2=1e-3, convention="guillaud_mirrahimi"), CAT_NODES, CAT_EDGES),
    ("cat_cat rectangular", lambda: Layout.rectangular_surface(5, 3, ancilla="cat"),
     lambda: noise.cat_cat(nbar=4, k1_over_k2=1e-3), CAT_NODES, CAT_EDGES),
    ("cat_cat ldpc", lambda: Layout.ldpc_cat(4, 4), lambda: noise.cat_cat(nbar=4, k1_over_k2=1e-4), CAT_NODES, CAT_EDGES),
    ("transmon surface", lambda: Layout.rotated_surface(5), lambda: noise.transmon(), TRANSMON_NODES, TRANSMON_EDGES),
]


@pytest.mark.parametrize("overrides", [False, True], ids=["uniform", "overrides"])
@pytest.mark.parametrize("name,layout_fn,model_fn,nodes,edges", CASES, ids=[c[0] for c in CASES])
def test_classes_match_every_qubit(name, layout_fn, model_fn, nodes, edges, overrides, monkeypatch):
    for seed in range(3 if overrides else 1):
        make = (lambda: _with_overrides(layout_fn(), seed, nodes, edges)) if overrides else layout_fn
        model = model_fn()
        for basis in "XZ":
            for rounds in (1, 4):
                ours = memory_circuit(make(), model, rounds=rounds, basis=basis, verify=False)
                ref = _reference(make, model, monkeypatch, rounds=rounds, basis=basis)
                assert str(ours) == str(ref), (name, seed, basis, rounds)


@pytest.mark.parametrize("name,layout_fn,model_fn,nodes,edges", CASES, ids=[c[0] for c in CASES])
def test_presets_never_fall_back_on_uniform_layouts(name, layout_fn, model_fn, nodes, edges, monkeypatch):
    """Every layer of a preset on a layout without overrides is evaluated per class (the speed path)."""
    calls = []
    original = _pass._NoisePass._by_class
    monkeypatch.setattr(_pass._NoisePass, "_by_class", lambda self, *a: calls.append(original(self, *a)) or calls[-1])
    for basis in "XZ":
        memory_circuit(layout_fn(), model_fn(), rounds=3, basis=basis, verify=False)
    assert calls and all(c is not None for c in calls)


def test_one_class_per_label_and_copies_in_grouped_order():
    red = reduce_groups([(4, 1), (2, 3), (0, 5)], {(4, 1): "a", (2, 3): "b", (0, 5): "a"}.get)
    assert red.reps == ((4, 1), (2, 3)) and red.members == (((4, 1), (0, 5)), ((2, 3),))
    token = GROUPED_LOG.set([])
    try:
        insts = grouped("PAULI_CHANNEL_2", [((4, 1), (0.01,) * 15), ((2, 3), (0.02,) * 15)])
        insts += grouped("Z_ERROR", [((1,), (0.3,)), ((3,), (0.3,))])
        log = GROUPED_LOG.get()
    finally:
        GROUPED_LOG.reset(token)
    full = expand(insts, log, red)
    # the reference: grouped on the full operation
    ref = grouped("PAULI_CHANNEL_2", [((4, 1), (0.01,) * 15), ((0, 5), (0.01,) * 15), ((2, 3), (0.02,) * 15)])
    ref += grouped("Z_ERROR", [((1,), (0.3,)), ((5,), (0.3,)), ((3,), (0.3,))])
    assert [(i.name, copy.targets) for i, copy in full] == [(i.name, [t.value for t in i.targets_copy()]) for i in ref]


def test_copies_refused_when_not_exact():
    red = reduce_groups([(0,), (1,), (2,)], lambda g: "ab"[g[0] % 2])
    token = GROUPED_LOG.set([])
    try:
        spanning = grouped("DEPOLARIZE1", [((0, 1), (0.1,))])  # one entry over two representatives
        outside = grouped("Z_ERROR", [((7,), (0.1,))])  # a qubit outside the operation
        log = GROUPED_LOG.get()
    finally:
        GROUPED_LOG.reset(token)
    assert expand(spanning, log, red) is None
    assert expand(outside, log, red) is None
    assert expand([stim.CircuitInstruction("X_ERROR", [0], [0.1])], log, red) is None  # not built by grouped


class _Neighbourly(NoiseModel):
    """A model whose output cannot be copied: measuring ancillas also flips data qubit 0."""

    name = "neighbourly"
    params = {}

    def noise_labels(self, layout):
        return _uniform_labels(layout)

    def prepare(self, op: Operation, ctx: NoiseContext) -> OpNoise:
        return OpNoise(after=grouped("Z_ERROR", [((q,), (0.01,)) for q in op.targets]))

    def cx(self, op: Operation, ctx: NoiseContext) -> OpNoise:
        return OpNoise(after=grouped("DEPOLARIZE2", [(p, (0.01,)) for p in op.pairs]))

    def measure(self, op: Operation, ctx: NoiseContext) -> OpNoise:
        outside = grouped("X_ERROR", [((0,), (0.5,))]) if 0 not in op.targets else []
        return OpNoise(before=grouped("Z_ERROR", [((q,), (0.02,)) for q in op.targets]) + outside)

    def idle(self, qubits, layer: Layer, ctx: NoiseContext):
        return grouped("Z_ERROR", [((q,), (0.001,)) for q in qubits])


def _uniform_labels(layout):
    idx = layout.qubit_index
    pairs = {(idx[a], idx[b]): "cx" for gates in layout.cx_layers for a, b in gates}
    return NoiseLabels(tuple("q" for _ in layout.qubits), pairs)


def test_fallback_to_every_qubit_when_the_output_cannot_be_copied(monkeypatch):
    model = _Neighbourly()
    ours = memory_circuit(Layout.chain(5), model, rounds=3, basis="X", verify=False)
    ref = _reference(lambda: Layout.chain(5), model, monkeypatch, rounds=3, basis="X")
    assert str(ours) == str(ref)
    assert "X_ERROR(0.5) 0" in str(ours)


def test_noisy_range_matches_noisy_of():
    rng = random.Random(7)
    for _ in range(30):
        rec = _pass._Records()
        inner = _pass._Records()
        for _ in range(rng.randint(1, 4)):
            inner.noisy += rng.randint(0, 3)
            n = rng.randint(1, 4)
            inner.add(n, inner.noisy)
            inner.noisy += n
        rec.add(3, 0)
        rec.noisy = 3 + rng.randint(0, 2)
        i0, n0, reps = rec.ideal, rec.noisy, rng.randint(1, 5)
        rec.starts.append(i0)
        rec.segs.append((i0, n0, inner.ideal, inner.noisy, reps, inner))
        rec.ideal, rec.noisy = i0 + inner.ideal * reps, n0 + inner.noisy * reps
        rec.add(2, rec.noisy + 1)
        for _ in range(10):
            lo = rng.randint(0, rec.ideal)
            hi = rng.randint(lo, rec.ideal)
            assert rec.noisy_range(lo, hi) == [rec.noisy_of(i) for i in range(lo, hi)]


def test_memos_of_other_programs_do_not_grow_across_calls():
    """Items of a circuit read by ``program_of`` are new objects on every call: what the pass derives
    from them by identity stays in the pass, not in the layout's cache."""
    from catcode.compiler import ideal_memory_circuit
    from catcode.layout import derived_cache

    layout = Layout.chain(5)
    model = noise.ocelot(nbar=1.5)
    circuit = ideal_memory_circuit(layout, rounds=3, basis="X")
    model.apply(circuit, layout)
    size = len(derived_cache(layout, "noise pass"))
    outputs = {str(model.apply(circuit, layout)) for _ in range(5)}
    assert len(derived_cache(layout, "noise pass")) == size and len(outputs) == 1
    compiled = memory_circuit(layout, model, rounds=3, basis="X")  # the compiler's items: kept per layout
    assert str(compiled) in outputs and len(derived_cache(layout, "noise pass")) > size


def test_pending_instructions_stand_for_the_instructions_grouped_would_build():
    # Under a _PendingLog (the pass's copying path, for models that opt in) grouped returns
    # instructions it has not built; each must answer as the instruction it stands for.
    from catcode.noise.model import _canonical_name, _Pending, _PendingLog

    entries = [((4,), (0.25, 0.0, 1e-9)), ((1,), (0.25, 0.0, 1e-9)), ((2,), (0.1, 0.0, 0.0))]
    built = grouped("PAULI_CHANNEL_1", entries, tag="t")
    token = GROUPED_LOG.set(_PendingLog())
    try:
        pending = grouped("PAULI_CHANNEL_1", entries, tag="t")
        single = grouped("Z_ERROR", [((3,), (0.125,))])
    finally:
        GROUPED_LOG.reset(token)
    assert all(type(p) is _Pending for p in pending + single)
    assert [str(p) for p in pending] == [str(b) for b in built]
    assert [p.built() for p in pending] == built
    assert [p.targets_copy() for p in pending] == [b.targets_copy() for b in built]
    assert single[0].built() == stim.Circuit("Z_ERROR(0.125) 3")[0] and single[0].num_measurements == 0
    assert _canonical_name("CORRELATED_ERROR") == "E"  # pending instructions carry Stim's own names


def test_models_that_do_not_opt_in_get_built_instructions_on_the_copying_path():
    # A custom model with noise labels but without _pending_instructions sees real
    # stim.CircuitInstruction objects from grouped, even while the pass copies its noise.
    from catcode.noise.generic import Depolarizing

    seen = []

    class Labelled(Depolarizing):
        def noise_labels(self, layout):
            return NoiseLabels(tuple("q" for _ in range(layout.num_qubits)), {})

        def _one(self, place, op, qubits):
            out = super()._one(place, op, qubits)
            seen.extend(out)
            return out

    memory_circuit(Layout.chain(5), Labelled(1e-3), rounds=2, basis="X", verify=False)
    assert seen and all(type(i) is stim.CircuitInstruction for i in seen)
