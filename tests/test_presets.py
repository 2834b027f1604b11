"""Tests of the physics-derived noise presets: ocelot, cat_cat and transmon.

Registration and metadata, parameter validation, per-node and per-edge overrides (each changes
exactly its own component's channels), the hook-up of the physics formulas, and ranges of every
emitted probability over random valid parameters.
"""

from __future__ import annotations

import json
import math
from collections import Counter

import pytest
import stim
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catcode import Layout, memory_circuit, physics
from catcode.cli.generate import main as generate_main
from catcode.errors import CatcodeError
from catcode.experiment import build_circuit, experiment_metadata, metadata_filename
from catcode.noise import PRESETS, cat_cat, ocelot, preset, transmon
from catcode.noise.cat import OCELOT_DEFAULTS, cycle_flip_probabilities
from catcode.noise.model import NoiseContext, Operation
from catcode.noise.transmon import TRANSMON_DEFAULTS
from catcode.verify import herald_detectors, verify_memory_circuit

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


# ----------------------------------------------------------------------------- helpers
def noise_entries(circuit: stim.Circuit) -> Counter:
    """Multiset of (layer, gate, targets, args) with one entry per target (pair for 2-qubit channels).

    Layers are counted by TICKs of the flattened circuit, so equal entries mean the same channel
    on the same qubit(s) at the same time.
    """
    out: Counter = Counter()
    layer = 0
    for inst in circuit.flattened():
        if inst.name == "TICK":
            layer += 1
            continue
        if not stim.gate_data(inst.name).is_noisy_gate:
            continue
        targets = [t.value for t in inst.targets_copy()]
        step = 2 if stim.gate_data(inst.name).is_two_qubit_gate else 1
        args = tuple(round(a, 15) for a in inst.gate_args_copy())
        for k in range(0, len(targets), step):
            out[(layer, inst.name, tuple(targets[k : k + step]), args)] += 1
    return out


def changed_qubits(a: stim.Circuit, b: stim.Circuit) -> set[int]:
    """Qubits whose noise differs between two circuits of the same structure."""
    ea, eb = noise_entries(a), noise_entries(b)
    diff = (ea - eb) + (eb - ea)
    return {q for (_, _, targets, _) in diff for q in targets}


def all_noise_args(circuit: stim.Circuit) -> list[float]:
    return [a for inst in circuit.flattened() if stim.gate_data(inst.name).is_noisy_gate for a in inst.gate_args_copy()]


# ----------------------------------------------------------------------------- registry, metadata
def test_presets_registered_and_built_by_name():
    for name in ("ocelot", "cat_cat", "transmon"):
        assert name in PRESETS
    assert isinstance(preset("ocelot", nbar=1.5), type(ocelot()))
    assert preset("cat_cat", nbar=3, k1_over_k2=1e-3).params == {"nbar": 3.0, "k1_over_k2": 0.001}
    assert preset("transmon").params == {}
    with pytest.raises(CatcodeError, match=r"no parameter 'kappa1'.*valid names: nbar, kappa_1_hz"):
        preset("ocelot", kappa1=3)
    with pytest.raises(CatcodeError, match=r"noise preset 'cat_cat'.*k1_over_k2"):
        preset("cat_cat", nbar=3)  # missing required parameter


def test_params_are_user_set_plus_nbar_and_json_able():
    m = ocelot(nbar=2, t1_us=40, erasure_flagged=False, bit_flip_time_convention="decay")
    assert m.params == {"nbar": 2.0, "bit_flip_time_convention": "decay", "t1_us": 40.0, "erasure_flagged": False}
    assert ocelot().params == {"nbar": OCELOT_DEFAULTS["nbar"]}
    json.dumps(m.metadata())
    meta = experiment_metadata("ocelot", 5, rounds=3, basis="X", noise="ocelot", **m.params)
    assert metadata_filename(meta) == (  # canonical form: parameters sorted by name
        "layout=ocelot,d=5,r=3,b=X,noise=ocelot,bit_flip_time_convention=decay,erasure_flagged=False,nbar=2.0,t1_us=40.0.stim"
    )
    # The metadata rebuilds the same circuit (defaults fill in the rest).
    direct = memory_circuit(Layout.ocelot(), m, rounds=3, basis="X")
    assert build_circuit(meta) == direct
    # Bools arrive as strings from key=value file names.
    assert ocelot(erasure_flagged="False").value("erasure_flagged") is False


def test_metadata_round_trip_for_every_preset():
    cases = [
        ("chain", 3, {"ancilla": "cat"}, "cat_cat", {"nbar": 3.0, "k1_over_k2": 1e-3, "variant": "guillaud_mirrahimi"}),
        ("rotated_surface", 3, {}, "transmon", {"cx_error": 0.002}),
        ("ocelot", 3, {"section": "1-3"}, "ocelot", {"nbar": 1.5}),
    ]
    for layout, d, extra, name, params in cases:
        meta = experiment_metadata(layout, d, rounds=2, basis="X", noise=name, **extra, **params)
        circuit = build_circuit(meta)
        model = preset(name, **params)
        assert model.params == params
        rebuilt = build_circuit({**meta, **model.params})
        assert rebuilt == circuit


def test_cli_generate_ocelot(tmp_path):
    assert generate_main(command_line_args=["--layout", "ocelot", "--rounds", "2", "--basis", "X", "--noise", "ocelot",
                                            "--param", "nbar=1.5", "--out_dir", str(tmp_path)]) == 0
    (path,) = tmp_path.glob("*.stim")
    assert path.name == "layout=ocelot,d=5,r=2,b=X,noise=ocelot,nbar=1.5.stim"
    circuit = stim.Circuit.from_file(path)
    assert herald_detectors(circuit)


# ----------------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        (dict(nbar=0), r"nbar must be a finite number > 0; got 0"),
        (dict(nbar=-1.0), r"nbar must be a finite number > 0"),
        (dict(kappa_1_hz=0), r"kappa_1_hz must be a finite number > 0"),
        (dict(kappa_2_hz=-5), r"kappa_2_hz must be a finite number >= 1 and <= 1e\+12; got -5.0"),
        (dict(cx_duration_ns=3000), r"cx_duration_ns must be <= cycle_ns = 2800"),
        (dict(cx_duration_ns=1500), r"must fit in cycle_ns = 2800 .* valid cx_duration_ns: \(0, 1250\]"),
        (dict(readout_error=0.7), r"readout_error must be a probability in \[0, 0.5\]; got 0.7"),
        (dict(t1_us=10, t2_us=30), r"t2_us must be <= 2 \* t1_us = 20"),
        (dict(kappa_1_hz=5e6), r"outside \[0, 0.5\] after conversion"),
        (dict(t1_us=0.3, t2_us=0.3), r"outside \[0, 0.5\] after conversion.*t1_us"),
        (dict(cx_bit_flip_factor=0.5), r"cx_bit_flip_factor must be a finite number >= 1 and <= 1e\+06; got 0.5"),
        (dict(bit_flip_model="magic"), r"bit_flip_model must be one of 'two_photon', 'empirical'; got 'magic'"),
        (dict(nbar="two"), r"nbar must be a finite number > 0; got 'two'"),
        (dict(erasure_flagged="maybe"), r"erasure_flagged must be True or False"),
        (dict(kappa_b_hz=1e6), r"has no parameter 'kappa_b_hz'"),
    ],
)
def test_ocelot_rejects_bad_parameters_naming_the_range(kwargs, pattern):
    with pytest.raises(CatcodeError, match=pattern):
        ocelot(**kwargs)


def test_unknown_layout_overrides_are_rejected_listing_valid_names():
    layout = Layout.ocelot().with_params("D2", kappa1_hz=1.0)
    with pytest.raises(CatcodeError, match=r"node 'D2' \(cat\) has override\(s\) 'kappa1_hz' unknown to noise preset 'ocelot'; valid names for this node: nbar, kappa_1_hz"):
        memory_circuit(layout, ocelot(), rounds=2, basis="X")
    edge = Layout.ocelot().with_params(("A1", "D1"), t1_us=3.0)
    with pytest.raises(CatcodeError, match=r"coupling .* has override\(s\) 't1_us' .* valid names for a coupling: cx_duration_ns"):
        memory_circuit(edge, ocelot(), rounds=2, basis="X")
    buffer = Layout.ocelot().with_params("BD3", g2_hz=1e6)
    with pytest.raises(CatcodeError, match=r"needs both g2_hz and kappa_b_hz"):
        memory_circuit(buffer, ocelot(), rounds=2, basis="X")
    bad_value = Layout.ocelot().with_params("A2", t1_us=1.0, t2_us=5.0)
    with pytest.raises(CatcodeError, match=r"t2_us must be <= 2 \* t1_us"):
        memory_circuit(bad_value, ocelot(), rounds=2, basis="X")
    slow = Layout.ocelot().with_params(("A1", "D1"), cx_duration_ns=2200)
    with pytest.raises(CatcodeError, match=r"must fit in cycle_ns = 2800"):
        memory_circuit(slow, ocelot(), rounds=2, basis="X")


def test_presets_refuse_layouts_they_do_not_model():
    with pytest.raises(CatcodeError, match=r"'ocelot' models ancilla qubits that are transmons; .* A1, A2 are cat\. Layouts with transmon ancillas: Layout.ocelot\(\)"):
        memory_circuit(Layout.chain(3, ancilla="cat"), ocelot(), rounds=2, basis="X")
    with pytest.raises(CatcodeError, match=r"'cat_cat' models ancilla qubits that are cats"):
        memory_circuit(Layout.chain(3), cat_cat(nbar=3, k1_over_k2=1e-3), rounds=2, basis="X")
    with pytest.raises(CatcodeError, match=r"'transmon' models data qubits that are transmons"):
        memory_circuit(Layout.chain(3), transmon(), rounds=2, basis="X")
    with pytest.raises(CatcodeError, match=r"'ocelot' models data qubits that are cats"):
        memory_circuit(Layout.rotated_surface(3), ocelot(), rounds=2, basis="X")
    # The rules themselves refuse what they do not model, even when called directly.
    ctx = NoiseContext(Layout.chain(2, ancilla="cat"))
    with pytest.raises(CatcodeError, match=r"cx:transmon-cat"):
        ocelot().cx(Operation("CX", "cx", None, (1, 0), "cx:cat-cat"), ctx)


_CAT_CAT = dict(nbar=3, k1_over_k2=1e-3)


@pytest.mark.parametrize(
    "layout, wrong, right",
    [
        (Layout.ldpc_cat(4, 4), ocelot(), cat_cat(**_CAT_CAT)),
        (Layout.rectangular_surface(3, 2, ancilla="cat"), ocelot(), cat_cat(**_CAT_CAT)),
        (Layout.rectangular_surface(3, 2), cat_cat(**_CAT_CAT), ocelot()),
        (Layout.ocelot(), cat_cat(**_CAT_CAT), ocelot()),
    ],
    ids=["ldpc_cat", "rectangular_cat", "rectangular_transmon", "ocelot"],
)
def test_a_preset_that_does_not_model_the_ancillas_names_the_one_that_does(layout, wrong, right):
    with pytest.raises(CatcodeError, match=rf"use noise\.{right.name}\("):
        memory_circuit(layout, wrong, rounds=1, basis="X")
    assert memory_circuit(layout, right, rounds=1, basis="X").num_detectors > 0


@pytest.mark.parametrize(
    "preset, layouts",
    [
        (ocelot(), {"Layout.ocelot()": Layout.ocelot(), "Layout.chain(d)": Layout.chain(3),
                    "Layout.rectangular_surface(phase_distance, bit_distance)": Layout.rectangular_surface(3, 2)}),
        (cat_cat(**_CAT_CAT), {"Layout.chain(d, ancilla='cat')": Layout.chain(3, ancilla="cat"),
                               "Layout.rectangular_surface(phase_distance, bit_distance, ancilla='cat')":
                                   Layout.rectangular_surface(3, 2, ancilla="cat"),
                               "Layout.ldpc_cat(height, width)": Layout.ldpc_cat(4, 4)}),
    ],
    ids=["ocelot", "cat_cat"],
)
def test_the_layouts_a_preset_suggests_compile_with_it(preset, layouts):
    other = Layout.rotated_surface(3)  # transmon data qubits: no cat preset models them
    with pytest.raises(CatcodeError) as info:
        memory_circuit(Layout.chain(3, ancilla="cat" if preset.name == "ocelot" else "transmon"), preset,
                       rounds=1, basis="X")
    for shown, layout in layouts.items():
        assert shown in str(info.value)
        assert memory_circuit(layout, preset, rounds=1, basis="X").num_detectors > 0
    with pytest.raises(CatcodeError, match="models data qubits that are cats"):
        memory_circuit(other, preset, rounds=1, basis="X")


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        (dict(nbar=0, k1_over_k2=1e-3), r"nbar must be a finite number > 0"),
        (dict(nbar=3, k1_over_k2=0), r"k1_over_k2 must be a finite number > 0"),
        (dict(nbar=3, k1_over_k2=1e-3, variant="fast"), r"variant must be one of 'chamberland', 'guillaud_mirrahimi'"),
        (dict(nbar=3, k1_over_k2=1e-3, cx_bit_flip="x"), r"cx_bit_flip must be one of"),
        (dict(nbar=3, k1_over_k2=1e-3, anc_k2_factor=0.5), r"anc_k2_factor must be a finite number >= 1 and <= 1e\+06; got 0.5"),
        (dict(nbar=3, k1_over_k2=1e-3, cx_duration_ns=-1), r"cx_duration_ns must be a finite number > 0 and <= 1e\+09; got -1.0"),
        (dict(nbar=1, k1_over_k2=0.5), r"outside \[0, 0.5\] after conversion"),
        (dict(nbar=3, k1_over_k2=1e-3, t1_us=3), r"no parameter 't1_us'"),
    ],
)
def test_cat_cat_rejects_bad_parameters(kwargs, pattern):
    with pytest.raises(CatcodeError, match=pattern):
        cat_cat(**kwargs)


def test_transmon_rejects_bad_parameters():
    with pytest.raises(CatcodeError, match=r"cx_error must be a probability in \[0, 0.5\]"):
        transmon(cx_error=0.6)
    with pytest.raises(CatcodeError, match=r"t1_us must be a finite number > 0"):
        transmon(t1_us=0)
    with pytest.raises(CatcodeError, match=r"no parameter 'nbar'"):
        transmon(nbar=2)


# ----------------------------------------------------------------------------- overrides
def test_node_override_changes_exactly_that_cats_channels():
    base = Layout.ocelot()
    d2 = base.qubit_index["D2"]
    for basis in "XZ":
        ref = memory_circuit(base, ocelot(), rounds=3, basis=basis)
        for override in ({"kappa_1_hz": 3e4}, {"nbar": 2.5}, {"bit_flip_gamma": 2.0}, {"cx_phase_flip_factor": 2.0}):
            changed = memory_circuit(base.with_params("D2", **override), ocelot(), rounds=3, basis=basis)
            assert changed_qubits(ref, changed) <= {d2, base.qubit_index["A1"], base.qubit_index["A2"]}
            # Single-qubit channels change only on D2; two-qubit ones only on pairs containing D2.
            diff = (noise_entries(ref) - noise_entries(changed)) + (noise_entries(changed) - noise_entries(ref))
            assert diff and all(d2 in targets for (_, _, targets, _) in diff), override
    # The device-wide value is overridden, not combined: D2 at kappa_1 = 3e4 equals a device at 3e4 on D2.
    everywhere = memory_circuit(base, ocelot(kappa_1_hz=3e4), rounds=3, basis="X")
    one = memory_circuit(base.with_params("D2", kappa_1_hz=3e4), ocelot(), rounds=3, basis="X")
    d2_entries = lambda c: Counter({k: v for k, v in noise_entries(c).items() if d2 in k[2]})  # noqa: E731
    assert d2_entries(everywhere) == d2_entries(one)


def test_ocelot_channels_validated_at_construction_are_not_computed_again(monkeypatch):
    """A compile reuses the CX, preparation and readout channels the constructor computed for a
    component without overrides; a node with an override gets its own (issue 15)."""
    calls = Counter()
    for name in ("cat_transmon_cx_channel", "cat_prepare_plus", "cat_prepare_zero", "cat_measure_x"):
        original = getattr(physics, name)
        monkeypatch.setattr(physics, name, lambda *a, _f=original, _n=name, **k: (calls.update([_n]), _f(*a, **k))[1])
    model = ocelot(nbar=1.7)
    assert calls == Counter({"cat_transmon_cx_channel": 1, "cat_prepare_plus": 1, "cat_prepare_zero": 1,
                             "cat_measure_x": 1})
    calls.clear()
    for basis in "XZ":
        memory_circuit(Layout.chain(7), model, rounds=3, basis=basis)
    assert calls == Counter()
    memory_circuit(Layout.chain(7).with_params("D2", nbar=2.5), model, rounds=3, basis="X")
    # D2's own CX with each neighbour ancilla (one channel: same transmons), preparation, readout
    assert calls == Counter({"cat_transmon_cx_channel": 1, "cat_prepare_plus": 1, "cat_measure_x": 1})


def test_cat_cat_channels_validated_at_construction_are_not_computed_again(monkeypatch):
    calls = Counter()
    for name in ("cat_cat_cx_channel", "cat_prepare_plus", "cat_measure_x"):
        original = getattr(physics, name)
        monkeypatch.setattr(physics, name, lambda *a, _f=original, _n=name, **k: (calls.update([_n]), _f(*a, **k))[1])
    model = cat_cat(nbar=4.0, k1_over_k2=1e-3, anc_k2_factor=2.0)  # ancilla and data cats differ
    assert calls == Counter({"cat_cat_cx_channel": 1, "cat_prepare_plus": 2, "cat_measure_x": 2})
    calls.clear()
    memory_circuit(Layout.chain(7, ancilla="cat"), model, rounds=3, basis="X")
    assert calls == Counter()


def test_node_override_of_a_transmon_changes_only_its_gates():
    base = Layout.ocelot()
    a2 = base.qubit_index["A2"]
    ref = memory_circuit(base, ocelot(), rounds=3, basis="X")
    changed = memory_circuit(base.with_params("A2", t1_us=20.0, t2_us=20.0, readout_error=0.05), ocelot(), rounds=3, basis="X")
    diff = (noise_entries(ref) - noise_entries(changed)) + (noise_entries(changed) - noise_entries(ref))
    assert diff and all(a2 in targets for (_, _, targets, _) in diff)
    names = {name for (_, name, _, _) in diff}
    assert names == {"PAULI_CHANNEL_2", "HERALDED_PAULI_CHANNEL_1", "Z_ERROR"}


def test_shorter_cx_on_one_edge_changes_that_gate_and_pads_it_with_idle():
    base = Layout.ocelot()
    a1, d1 = base.qubit_index["A1"], base.qubit_index["D1"]
    ref = memory_circuit(base, ocelot(), rounds=2, basis="X")
    changed = memory_circuit(base.with_params(("A1", "D1"), cx_duration_ns=292.0), ocelot(), rounds=2, basis="X")
    assert changed_qubits(ref, changed) == {a1, d1}
    model = ocelot()
    cat = physics.CatParams(**{k: OCELOT_DEFAULTS[k] for k in (
        "nbar", "kappa_1_hz", "kappa_2_hz", "bit_flip_model", "bit_flip_gamma", "bit_flip_time_ref_us")})
    pad = physics.cat_idle_channel(cat, 400.0 - 292.0)
    entries = noise_entries(changed)
    assert any(name == "PAULI_CHANNEL_1" and targets == (d1,) and args == tuple(round(p, 15) for p in pad)
               for (_, name, targets, args) in entries)
    assert model.params == {"nbar": 1.5}


def test_longer_cx_on_one_edge_lengthens_its_layer_and_the_measurement_takes_less():
    layout = Layout.ocelot().with_params(("A2", "D3"), cx_duration_ns=552.0)
    model = ocelot()
    ctx = NoiseContext(layout)
    assert model.measure_ns(ctx) == 2800 - 300 - 400 - 552
    layer_of = {frozenset((layout.qubit_index[a], layout.qubit_index[d])) for a, d in layout.cx_layers[1]}
    assert frozenset((layout.qubit_index["A2"], layout.qubit_index["D3"])) in layer_of
    # A data cat idles through a whole cycle: its idle + gate intervals add up to 2800 ns.
    op = Operation("CX", "cx", None, tuple(i for a, d in layout.cx_layers[1] for i in (layout.qubit_index[a], layout.qubit_index[d])), "cx:transmon-cat")
    assert model.duration_ns(op, ctx) == 552.0
    assert model.timings().slack_ns == 0.0 and model.timings().ancilla_measure_ns == 1700.0


def test_buffer_override_sets_kappa_2_of_its_cat():
    base = Layout.ocelot()
    d3 = base.qubit_index["D3"]
    layout = base.with_params("BD3", g2_hz=1e6, kappa_b_hz=1e6)  # kappa_2 = 4e6
    ref = memory_circuit(base, ocelot(), rounds=2, basis="X")
    changed = memory_circuit(layout, ocelot(), rounds=2, basis="X")
    assert changed_qubits(ref, changed) == {d3}
    via_node = memory_circuit(base.with_params("D3", kappa_2_hz=4e6), ocelot(), rounds=2, basis="X")
    assert changed == via_node


def test_chain_params_on_every_node_apply_to_the_right_kind():
    # Layout.chain(params=...) puts the same overrides on cats and transmons alike.
    layout = Layout.chain(3, params={"nbar": 2.5, "t1_us": 30.0, "t2_us": 30.0})
    circuit = memory_circuit(layout, ocelot(), rounds=2, basis="X")
    assert circuit == memory_circuit(Layout.chain(3), ocelot(nbar=2.5, t1_us=30.0, t2_us=30.0), rounds=2, basis="X")


# ----------------------------------------------------------------------------- formulas hooked up
def _instructions(circuit: stim.Circuit, name: str, tag: str | None = None) -> list[stim.CircuitInstruction]:
    return [i for i in circuit.flattened() if i.name == name]


def test_ocelot_channels_are_the_physics_formulas():
    model = ocelot(nbar=2.0)
    layout = Layout.ocelot()
    circuit = memory_circuit(layout, model, rounds=2, basis="X")
    cat = physics.CatParams(nbar=2.0, **{k: OCELOT_DEFAULTS[k] for k in (
        "kappa_1_hz", "kappa_2_hz", "bit_flip_model", "bit_flip_gamma", "bit_flip_time_ref_us")})
    tr = physics.TransmonParams(**{k: OCELOT_DEFAULTS[k] for k in ("t1_us", "t2_us", "readout_error", "reset_error")})
    # CX: the physics channel with the cat's rates scaled during the gate.
    base = physics.cat_transmon_cx_channel(
        cat, tr, 400.0,
        residual_bit_flip=physics.flip_probability(
            (OCELOT_DEFAULTS["cx_bit_flip_factor"] - 1) * physics.cat_bit_flip_rate_hz(cat), 400.0
        ),
    )
    half = physics.flip_probability((OCELOT_DEFAULTS["cx_phase_flip_factor"] - 1) * physics.cat_phase_flip_rate_hz(cat), 200.0)
    expected = physics.compose_pauli_channels(physics.compose_pauli_channels(base.pauli, {"ZZ": half}), {"IZ": half})
    (cx_args,) = {tuple(i.gate_args_copy()) for i in _instructions(circuit, "PAULI_CHANNEL_2")}
    assert cx_args == pytest.approx(physics.pauli_channel_2_args(expected), rel=1e-6)
    assert all(cx_args[k] == 0 for k, key in enumerate(physics.PAULI_CHANNEL_2_ORDER) if key[0] in "XY")
    # Erasure as a heralded random syndrome bit on the transmon (no X: it would reach a cat).
    (herald,) = {tuple(i.gate_args_copy()) for i in _instructions(circuit, "HERALDED_PAULI_CHANNEL_1")}
    assert herald == pytest.approx(base.heralded_pauli_channel_1_args)
    assert herald[1] == herald[2] == 0.0
    # Idle cats: the measurement layer lasts 2800 - 300 - 800 = 1700 ns, the prep layer 300 ns,
    # and a CX layer (end cats) 400 ns.
    idles = {tuple(round(a, 12) for a in i.gate_args_copy()) for i in _instructions(circuit, "PAULI_CHANNEL_1")}
    for ns in (1700.0, 300.0, 400.0):
        assert tuple(round(p, 12) for p in physics.cat_idle_channel(cat, ns)) in idles
    # Transmon readout / reset flips; data preparation and readout (section 3b).
    z_errors = {tuple(i.gate_args_copy()) for i in _instructions(circuit, "Z_ERROR")}
    assert (tr.readout_error,) in z_errors
    assert (pytest.approx(physics.cat_prepare_plus(cat).probability),) == min(z_errors, key=lambda a: abs(a[0] - physics.cat_prepare_plus(cat).probability))
    # A cycle with CX running: the calibrated per-cycle flips of physics.md section 5.
    bit, phase = cycle_flip_probabilities(model)
    assert bit == pytest.approx(3.5e-3, rel=2e-3)
    assert phase == pytest.approx(9.6e-2, rel=2e-3)


def test_ocelot_z_basis_preparation_and_readout():
    model = ocelot(nbar=1.0, cat_readout_error=0.02)
    circuit = memory_circuit(Layout.ocelot(), model, rounds=2, basis="Z")
    x_errors = [tuple(i.gate_args_copy()) for i in _instructions(circuit, "X_ERROR")]
    assert (pytest.approx(0.39 * math.exp(-4.0)),) in x_errors  # |0>: 0.39 e^{-4n}
    assert (0.02,) in x_errors  # final data readout flip
    assert not _instructions(circuit, "Y_ERROR")


def test_erasure_flag_off_removes_heralds_and_moves_decays_into_syndrome_errors():
    layout = Layout.ocelot()
    on = memory_circuit(layout, ocelot(), rounds=3, basis="X")
    off = memory_circuit(layout, ocelot(erasure_flagged=False), rounds=3, basis="X")
    assert len(herald_detectors(on)) == 2 * 4 * 3  # every transmon in both CX layers of every round
    assert herald_detectors(off) == []
    zi = lambda c: max(i.gate_args_copy()[physics.PAULI_CHANNEL_2_ORDER.index("ZI")] for i in _instructions(c, "PAULI_CHANNEL_2"))  # noqa: E731
    assert zi(off) > 2 * zi(on)


def test_cat_cat_channels_and_optimal_time():
    gm_convention = {"convention": "guillaud_mirrahimi"}
    model = cat_cat(nbar=4, k1_over_k2=1e-3, **gm_convention)
    layout = Layout.chain(3, ancilla="cat")
    circuit = memory_circuit(layout, model, rounds=2, basis="X")
    (args,) = {tuple(i.gate_args_copy()) for i in _instructions(circuit, "PAULI_CHANNEL_2")}
    ch = dict(zip(physics.PAULI_CHANNEL_2_ORDER, args))
    p = math.pi / (8 * math.sqrt(2)) * math.sqrt(1e-3)  # physics.md section 3a: p = 8.8e-3 at T*
    assert ch["ZI"] == pytest.approx(3 * p, rel=1e-9) and ch["ZI"] == pytest.approx(0.026, abs=5e-4)
    assert ch["IZ"] == pytest.approx(p / 2) and ch["ZZ"] == pytest.approx(p / 2)
    t_star = physics.cat_cat_cx_optimal_duration_ns(physics.CatParams(nbar=4, kappa_1_hz=1e3, kappa_2_hz=1e6))
    assert model.cx_duration_ns() == pytest.approx(t_star)
    # Variant, faster ancilla and a fixed duration change the gate as the formulas say.
    gm = cat_cat(nbar=4, k1_over_k2=1e-3, variant="guillaud_mirrahimi", **gm_convention)
    assert gm.cx_duration_ns() == pytest.approx(1e9 / (2 * 4 * math.sqrt(math.pi * 1e3 * 1e6)))
    fast = cat_cat(nbar=4, k1_over_k2=1e-3, anc_k2_factor=3.0, **gm_convention)
    assert fast.cx_duration_ns() < model.cx_duration_ns()
    fixed = cat_cat(nbar=4, k1_over_k2=1e-3, cx_duration_ns=1000.0)
    assert fixed.cx_duration_ns() == 1000.0
    # Preparation / readout of the ancillas: Z with n k1 T in one slot, T = T* here (section 3b).
    z = [i.gate_args_copy()[0] for i in _instructions(circuit, "Z_ERROR")]
    assert any(v == pytest.approx(4 * 1e3 * t_star * 1e-9) for v in z)
    for basis in "XZ":
        c = memory_circuit(Layout.chain(5, ancilla="cat"), fast, rounds=3, basis=basis)
        verify_memory_circuit(c, Layout.chain(5, ancilla="cat"), rounds=3, basis=basis, distance=5 if basis == "X" else 1)


def test_cat_cat_per_edge_duration_override_changes_that_gate():
    base = Layout.chain(3, ancilla="cat")
    ref = memory_circuit(base, cat_cat(nbar=3, k1_over_k2=1e-3), rounds=2, basis="X")
    changed = memory_circuit(base.with_params(("A1", "D1"), cx_duration_ns=500.0), cat_cat(nbar=3, k1_over_k2=1e-3), rounds=2, basis="X")
    a1, d1 = base.qubit_index["A1"], base.qubit_index["D1"]
    diff = (noise_entries(ref) - noise_entries(changed)) + (noise_entries(changed) - noise_entries(ref))
    assert {targets for (_, name, targets, _) in diff if name == "PAULI_CHANNEL_2"} == {(a1, d1)}


def test_transmon_preset_channels():
    model = transmon()
    layout = Layout.rotated_surface(3)
    tr = physics.TransmonParams(**{k: TRANSMON_DEFAULTS[k] for k in ("t1_us", "t2_us", "readout_error", "reset_error")})
    circuit = memory_circuit(layout, model, rounds=2, basis="Z")
    assert {tuple(i.gate_args_copy()) for i in _instructions(circuit, "DEPOLARIZE2")} == {(1e-3,)}
    singles = {tuple(round(a, 12) for a in i.gate_args_copy()) for i in _instructions(circuit, "PAULI_CHANNEL_1")}
    for ns in (40.0, 25.0, 500.0):  # a CX layer, a basis change, the measurement (data idle)
        assert tuple(round(p, 12) for p in physics.transmon_idle_channel(tr, ns)) in singles
    assert {tuple(i.gate_args_copy()) for i in _instructions(circuit, "X_ERROR")} == {(tr.reset_error,)} | {(tr.readout_error,)}
    assert model.timings().cycle_ns == 200 + 2 * 25 + 4 * 40 + 500
    for basis in "XZ":
        c = memory_circuit(layout, model, rounds=3, basis=basis)
        verify_memory_circuit(c, layout, rounds=3, basis=basis, distance=3)
    # The Ocelot ancilla calibration is the default transmon.
    assert TRANSMON_DEFAULTS["readout_error"] == OCELOT_DEFAULTS["readout_error"]


# ----------------------------------------------------------------------------- ranges (hypothesis)
@SETTINGS
@given(
    nbar=st.floats(0.3, 6.0),
    kappa_1_hz=st.floats(1e3, 1e6),
    kappa_2_hz=st.floats(1e5, 1e8),
    gamma=st.floats(0.5, 4.0),
    convention=st.sampled_from(["rate", "decay"]),
    bit_flip_model=st.sampled_from(["empirical", "two_photon"]),
    t1_us=st.floats(1.0, 500.0),
    t2_ratio=st.floats(0.05, 2.0),
    readout_error=st.floats(0.0, 0.5),
    cx_duration_ns=st.floats(50.0, 1200.0),
    factors=st.tuples(st.floats(1.0, 5.0), st.floats(1.0, 50.0)),
    erasure=st.booleans(),
    basis=st.sampled_from("XZ"),
)
def test_ocelot_probabilities_in_range_or_rejected(
    nbar, kappa_1_hz, kappa_2_hz, gamma, convention, bit_flip_model, t1_us, t2_ratio, readout_error,
    cx_duration_ns, factors, erasure, basis,
):
    try:
        model = ocelot(
            nbar=nbar, kappa_1_hz=kappa_1_hz, kappa_2_hz=kappa_2_hz, bit_flip_gamma=gamma,
            bit_flip_time_convention=convention, bit_flip_model=bit_flip_model, t1_us=t1_us,
            t2_us=t2_ratio * t1_us, readout_error=readout_error, reset_error=readout_error / 2,
            cx_duration_ns=cx_duration_ns, cx_phase_flip_factor=factors[0], cx_bit_flip_factor=factors[1],
            erasure_flagged=erasure,
        )
        circuit = memory_circuit(Layout.chain(3), model, rounds=2, basis=basis)
    except CatcodeError as exc:
        assert "0.5" in str(exc) or "cycle_ns" in str(exc) or "allow_extrapolation" in str(exc), str(exc)
        lo, hi = physics.NBAR_VALIDITY[bit_flip_model]
        assert ("allow_extrapolation" not in str(exc)) or not lo <= nbar <= hi, str(exc)
        return
    args = all_noise_args(circuit)
    assert args and all(0.0 <= a <= 0.5 for a in args)
    assert bool(herald_detectors(circuit)) == bool(erasure)


@SETTINGS
@given(
    nbar=st.floats(0.5, 8.0),
    k1_over_k2=st.floats(1e-5, 0.1),
    variant=st.sampled_from(["chamberland", "guillaud_mirrahimi"]),
    cx_bit_flip=st.sampled_from(["alice_bob", "guillaud_mirrahimi", "idle", "none"]),
    anc=st.floats(1.0, 10.0),
    duration=st.one_of(st.none(), st.floats(10.0, 1e5)),
    basis=st.sampled_from("XZ"),
    convention=st.sampled_from(["alice_bob", "guillaud_mirrahimi"]),
)
def test_cat_cat_probabilities_in_range_or_rejected(nbar, k1_over_k2, variant, cx_bit_flip, anc, duration, basis, convention):
    try:
        model = cat_cat(nbar=nbar, k1_over_k2=k1_over_k2, variant=variant, cx_bit_flip=cx_bit_flip,
                        anc_k2_factor=anc, cx_duration_ns=duration, convention=convention)
        circuit = memory_circuit(Layout.chain(3, ancilla="cat"), model, rounds=2, basis=basis)
    except CatcodeError as exc:
        assert "0.5" in str(exc) or "sum to" in str(exc), str(exc)
        return
    args = all_noise_args(circuit)
    assert args and all(0.0 <= a <= 0.5 for a in args)


@SETTINGS
@given(
    t1_us=st.floats(1.0, 1000.0),
    t2_ratio=st.floats(0.05, 2.0),
    err=st.floats(0.0, 0.5),
    cx_ns=st.floats(1.0, 5000.0),
    measure_ns=st.floats(0.0, 20000.0),
)
def test_transmon_probabilities_in_range(t1_us, t2_ratio, err, cx_ns, measure_ns):
    model = transmon(t1_us=t1_us, t2_us=t2_ratio * t1_us, readout_error=err, reset_error=err, cx_error=err,
                     cx_duration_ns=cx_ns, ancilla_measure_ns=measure_ns)
    circuit = memory_circuit(Layout.rotated_surface(2), model, rounds=2, basis="X")
    assert all(0.0 <= a <= 0.5 for a in all_noise_args(circuit))


# ---------------------------------------------------------------- conventions and layer durations
def test_cat_cat_faster_ancilla_keeps_k1_over_k2():
    """Le Régent et al.'s run_fixedcnot.py: k1_ancilla = k2_ancilla * k1/k2 (docs/physics.md §3a)."""
    model = cat_cat(nbar=4, k1_over_k2=1e-3, anc_k2_factor=3.0, kappa_2_hz=1e6)
    layout = Layout.chain(3, ancilla="cat")
    ctx = NoiseContext(layout)
    anc, data = model.cat(ctx, layout.qubit_index["A1"]), model.cat(ctx, layout.qubit_index["D1"])
    assert (anc.kappa_2_hz, anc.kappa_1_hz) == (3e6, pytest.approx(3e3, rel=1e-12))
    assert (data.kappa_2_hz, data.kappa_1_hz) == (1e6, pytest.approx(1e3, rel=1e-12))
    # Ancilla |+> preparation: Z with n k1_anc / k2_anc = 4e-3, in 1/k2_anc = 333 ns.
    circuit = memory_circuit(layout, model, rounds=2, basis="X")
    a1 = layout.qubit_index["A1"]
    anc_z = [i.gate_args_copy()[0] for i in _instructions(circuit, "Z_ERROR") if a1 in [t.value for t in i.targets_copy()]]
    assert anc_z and all(z == pytest.approx(4e-3, rel=1e-12) for z in anc_z)


def test_cat_cat_gm_bit_flip_law_scales_with_gate_time():
    """The GM fit's sqrt(k1/k2) term is n k1 T* times a constant, so it scales as T/T* (§3a)."""
    r, n = 1e-3, 4.0
    cat = physics.CatParams(nbar=n, kappa_1_hz=r * 1e6, kappa_2_hz=1e6)
    t_star = physics.cat_cat_cx_optimal_duration_ns(cat)
    bits = lambda t: physics.cat_cat_cx_channel(cat, duration_ns=t)["XI"] * 6  # noqa: E731
    at_star = (5.58 * math.sqrt(r) + 1.68 * r) * math.exp(-2 * n)  # the published value at T*
    assert bits(None) == pytest.approx(at_star, rel=1e-12) and bits(t_star) == pytest.approx(at_star, rel=1e-12)
    assert bits(2 * t_star) == pytest.approx((2 * 5.58 * math.sqrt(r) + 1.68 * r) * math.exp(-2 * n), rel=1e-12)


def test_cat_cat_measure_z_duration_is_a_parameter():
    layout = Layout.chain(3, ancilla="cat")
    r = 1e-3
    for ns in (850.0, 4000.0):
        circuit = memory_circuit(layout, cat_cat(nbar=4, k1_over_k2=r, measure_z_ns=ns), rounds=1, basis="Z")
        last = str(circuit).split("M[measure:cat]")[-1]
        # Ancillas idle during the final Z readout layer, which lasts measure_z_ns.
        pz = float(last.split("PAULI_CHANNEL_1(")[1].split(")")[0].split(",")[2])
        assert pz == pytest.approx(0.5 * (1 - math.exp(-2 * 4 * r * 1e6 * ns * 1e-9)), rel=1e-3)
    with pytest.raises(CatcodeError, match="measure_z_ns must be a finite number > 0 and <= 1e\\+09; got -1.0"):
        cat_cat(nbar=4, k1_over_k2=r, measure_z_ns=-1.0)
    with pytest.raises(CatcodeError, match="convention.*alice_bob"):
        cat_cat(nbar=4, k1_over_k2=r, convention="hybrid")


def test_cat_cat_longer_gate_lengthens_its_layer():
    """A 3 us CX in a 1 us-slot layer: the layer lasts 3 us; the other gate pads, idle cats idle 3 us."""
    layout = Layout.chain(3, ancilla="cat").with_params(("A1", "D1"), cx_duration_ns=3000.0)
    model = cat_cat(nbar=4, k1_over_k2=1e-3)
    circuit = memory_circuit(layout, model, rounds=1, basis="X")
    idx = layout.qubit_index
    first_cx = str(circuit).split("CX[cx:cat-cat]")[1].split("TICK")[0]
    cat = physics.CatParams(nbar=4, kappa_1_hz=1e3, kappa_2_hz=1e6)
    lines = [ln.strip() for ln in first_cx.splitlines() if ln.strip().startswith("PAULI_CHANNEL_1(")]  # not the idle slot
    by_targets = {tuple(int(t) for t in ln.split(")")[1].split()): [float(a) for a in ln.split("(")[1].split(")")[0].split(",")] for ln in lines}
    pair_a2 = {idx["A2"], idx["D2"]} if {idx["A2"], idx["D2"]} <= set(sum(by_targets, ())) else set()
    assert pair_a2, by_targets  # the 1 us gate A2-D2 waits 2 us
    for targets, args in by_targets.items():
        want = 2000.0 if set(targets) <= pair_a2 else 3000.0
        assert args == pytest.approx(list(physics.cat_idle_channel(cat, want)), rel=1e-5), (targets, want)  # printed to 6 digits


def test_transmon_longer_preparation_lengthens_its_layer():
    """Transmon preset: data idle during the ancilla-preparation layer for ancilla_prep_ns, however long."""
    layout = Layout.rotated_surface(3)
    for prep in (50.0, 5000.0):
        model = transmon(ancilla_prep_ns=prep)
        circuit = memory_circuit(layout, model, rounds=2, basis="Z")  # round 2 resets the ancillas alone
        q = physics.TransmonParams(t1_us=TRANSMON_DEFAULTS["t1_us"], t2_us=TRANSMON_DEFAULTS["t2_us"])
        want = list(physics.transmon_idle_channel(q, prep))
        got = [i.gate_args_copy() for i in _instructions(circuit, "PAULI_CHANNEL_1")]
        assert any(g == pytest.approx(want, rel=1e-12) for g in got), (prep, want)


def test_negative_operation_duration_is_refused():
    class Broken(type(transmon())):
        def duration_ns(self, op, ctx):
            return -5.0 if op.kind == "prepare" else super().duration_ns(op, ctx)

    with pytest.raises(CatcodeError, match="duration of -5.0 ns; valid durations are finite numbers >= 0"):
        memory_circuit(Layout.rotated_surface(2), Broken(), rounds=1, basis="Z")


# ----------------------------------------------------------------------------- idle step (IDLE STEP contract)
def _idle_step(model, layout):
    """What the pass emits for an empty layer: the model's idle rule on every qubit for one idle step."""
    from catcode.noise.model import Layer, NoiseContext

    ctx = NoiseContext(layout)
    return model.idle(ctx.all_qubits, Layer((), model.idle_step_ns(ctx)), ctx)


def test_idle_step_durations_follow_each_convention():
    # alice_bob: 1/kappa_2 (kappa_2 = 1e6 /s -> 1000 ns); guillaud_mirrahimi: T* = pi / (8 n sqrt(2 k1 k2))
    assert cat_cat(nbar=4, k1_over_k2=1e-3).idle_step_ns(None) == pytest.approx(1e9 / 1e6)
    t_star = math.pi / (8 * 4 * math.sqrt(2 * 1e3 * 1e6)) * 1e9
    gm = cat_cat(nbar=4, k1_over_k2=1e-3, convention="guillaud_mirrahimi")
    assert gm.idle_step_ns(None) == pytest.approx(t_star, rel=1e-12)
    assert ocelot(cx_duration_ns=350).idle_step_ns(None) == 350
    assert transmon(cx_duration_ns=60).idle_step_ns(None) == 60


def test_cat_cat_idle_step_is_one_slot_of_idling_on_every_cat():
    layout = Layout.chain(3, ancilla="cat")
    model = cat_cat(nbar=4, k1_over_k2=1e-3)
    (inst,) = _idle_step(model, layout)
    assert inst.name == "PAULI_CHANNEL_1" and inst.tag == ""
    assert [t.value for t in inst.targets_copy()] == list(range(layout.num_qubits))
    px, py, pz = inst.gate_args_copy()
    # n k1 T with T = 1/k2: Z flip (1 - e^{-2 n k1 T}) / 2, n k1 T = 4e-3
    assert pz == pytest.approx((1 - math.exp(-2 * 4e-3)) / 2, rel=1e-3)
    assert px == py and 0 < px < pz * 1e-3


def test_ocelot_idle_step_idles_cats_and_transmons():
    layout = Layout.chain(3, ancilla="transmon")
    ops = _idle_step(ocelot(), layout)
    names = {i.name for i in ops}
    assert "PAULI_CHANNEL_1" in names and "HERALDED_PAULI_CHANNEL_1" in names and "Z_ERROR" in names
    touched = {t.value for i in ops for t in i.targets_copy()}
    assert touched == set(range(layout.num_qubits))


def test_idle_step_of_zero_duration_is_silent():
    from catcode.noise.model import Layer, NoiseContext

    for model, layout in ((cat_cat(nbar=4, k1_over_k2=1e-3), Layout.chain(3, ancilla="cat")),
                          (ocelot(), Layout.chain(3)), (transmon(), Layout.rotated_surface(3))):
        ctx = NoiseContext(layout)
        assert model.idle(ctx.all_qubits, Layer((), 0.0), ctx) == []


def test_an_override_of_the_other_qubit_kind_is_an_error_unless_layout_wide():
    # A transmon time set on one cat is read by no rule: an error naming the node, the key and the kind.
    with pytest.raises(CatcodeError, match=r"'D1' \(cat\) has override 't1_us', a transmon parameter"):
        memory_circuit(Layout.chain(3).with_params("D1", t1_us=30.0), ocelot(), rounds=2, basis="X")
    with pytest.raises(CatcodeError, match=r"'A1' \(transmon\) has override 'nbar', a cat parameter"):
        memory_circuit(Layout.chain(3).with_params("A1", nbar=2.0), ocelot(), rounds=2, basis="X")
    # Layout-wide params (set on every qubit node) reach the kind that reads them and change its noise.
    shared = memory_circuit(Layout.chain(3, params={"t1_us": 30.0, "nbar": 2.0}), ocelot(), rounds=2, basis="X")
    plain = memory_circuit(Layout.chain(3), ocelot(), rounds=2, basis="X")
    assert shared != plain
