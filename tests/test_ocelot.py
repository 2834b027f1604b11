"""The calibrated Ocelot preset: the compiled circuits, their error models, and the reproduction of
Putterman et al., Nature 638, 927 (2025) (docs/calibration.md).

Sampling is done in-process with fixed seeds (stim detector sampler + the erasure-aware matching
decoder of catcode.decoders), so every statistical assertion is reproducible; envelopes are 5 sigma.
"""

from __future__ import annotations

import math
import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import stim

from catcode import Layout, memory_circuit, physics
from catcode.errors import CatcodeError
from catcode.decoders import ErasureMatchingCompiledDecoder
from catcode.noise import ocelot
from catcode.noise.cat import OCELOT_DEFAULTS, cycle_flip_probabilities
from catcode.verify import herald_detectors, verify_memory_circuit

ROOT = Path(__file__).resolve().parents[1]
CALIBRATION = runpy.run_path(str(ROOT / "scripts" / "calibrate_ocelot.py"))


# ----------------------------------------------------------------------------- sampling helpers
def logical_error_count(circuit: stim.Circuit, shots: int, seed: int, *, use_heralds: bool = True) -> int:
    """Decoded logical errors in ``shots`` shots (fixed seed), erasure-aware matching by default."""
    dem = circuit.detector_error_model(decompose_errors=True, approximate_disjoint_errors=True)
    decoder = ErasureMatchingCompiledDecoder(dem, use_heralds=use_heralds)
    dets, obs = circuit.compile_detector_sampler(seed=seed).sample(shots, separate_observables=True, bit_packed=True)
    pred = decoder.decode_shots_bit_packed(bit_packed_detection_event_data=dets)
    return int(np.count_nonzero((pred ^ obs)[:, 0] & 1))


def per_cycle(layout: Layout, basis: str, shots: int, seed: int, rounds: tuple[int, int] = (5, 15), **params) -> tuple[float, float, float]:
    """(slope estimate, its 1-sigma, single-r estimate at rounds[0]) of the logical error per cycle."""
    model = ocelot(**params)
    p = []
    for k, r in enumerate(rounds):
        circuit = memory_circuit(layout, model, rounds=r, basis=basis)
        p.append(logical_error_count(circuit, shots, seed + k) / shots)
    (r1, r2) = rounds
    slope = CALIBRATION["per_cycle_slope"](p[0], r1, p[1], r2)
    sigma = CALIBRATION["per_cycle_slope_sigma"](p[0], shots, r1, p[1], shots, r2)
    return slope, sigma, CALIBRATION["per_round"](p[0], r1)


def observable_mechanisms(dem: stim.DetectorErrorModel) -> dict[tuple[str, ...], float]:
    """DEM error mechanisms that flip L0, keyed by their symptoms."""
    out: dict[tuple[str, ...], float] = {}
    for inst in dem.flattened():
        if inst.type != "error":
            continue
        targets = inst.targets_copy()
        if any(t.is_logical_observable_id() for t in targets):
            key = tuple(sorted(str(t) for t in targets))
            p = inst.args_copy()[0]
            out[key] = out.get(key, 0.0) * (1 - p) + p * (1 - out.get(key, 0.0))
    return out


def odd_probability(probabilities) -> float:
    prod = 1.0
    for p in probabilities:
        prod *= 1.0 - 2.0 * p
    return (1.0 - prod) / 2.0


# ----------------------------------------------------------------------------- calibrated physics
def test_regression_calibrated_preset_reproduces_the_fitted_per_cycle_flips():
    """Regression, passes by construction (these two numbers were fitted): per data cat and cycle at
    n = 2, bit flip 3.5(4)e-3 and phase flip 9.6(4)e-2 (physics.md section 5), within 1 % of the
    published value (the recorded factors are rounded to 3 decimals)."""
    bit, phase = cycle_flip_probabilities(ocelot(nbar=2.0))
    assert bit == pytest.approx(3.5e-3, rel=1e-2)
    assert phase == pytest.approx(9.6e-2, rel=1e-2)
    # Stage 1 of the calibration script reproduces the recorded factors.
    factors = CALIBRATION["fit_cx_factors"]()
    for name, (value, sigma) in factors.items():
        assert value == pytest.approx(OCELOT_DEFAULTS[name], abs=1e-3)
        assert 0 < sigma < value
    # Ocelot's published numbers that are inputs (fixed), not fits.
    assert OCELOT_DEFAULTS["kappa_1_hz"] == physics.OCELOT_KAPPA_1_HZ
    assert 292 <= OCELOT_DEFAULTS["cx_duration_ns"] <= 552


def test_held_out_one_cat_phase_flip_time_at_nbar_2():
    """Held out (kappa_1 comes from the storage lifetime, not from this number): one idle cat at
    n = 2 has a phase-flip time inside the measured 27-33 us."""
    assert 27.0 <= CALIBRATION["phase_flip_time_us"]() <= 33.0


def test_idle_cat_bias_above_1e3_at_nbar_4():
    circuit = memory_circuit(Layout.ocelot(), ocelot(nbar=4.0), rounds=3, basis="X")
    layout = Layout.ocelot()
    cats = {layout.qubit_index[q] for q in layout.data_qubits}
    channels = [i for i in circuit.flattened() if i.name == "PAULI_CHANNEL_1"]
    assert channels
    for inst in channels:
        assert {t.value for t in inst.targets_copy()} <= cats
        px, py, pz = inst.gate_args_copy()
        assert pz / px > 1e3 and pz / (px + py) > 500
    # The fitted gamma keeps the bias above 1e3 with margin over a whole idle cycle.
    assert OCELOT_DEFAULTS["bit_flip_gamma"] > CALIBRATION["gamma_floor"]() + 0.05


# ----------------------------------------------------------------------------- per-component, timing
def _channels_by_target(circuit: stim.Circuit) -> dict[tuple, tuple]:
    """Every noise channel split per target group: ``(layer, gate, targets) -> args``."""
    out, layer = {}, 0
    for inst in circuit.flattened():
        if inst.name == "TICK":
            layer += 1
            continue
        args = tuple(inst.gate_args_copy())
        if not args or inst.name in ("DETECTOR", "OBSERVABLE_INCLUDE", "QUBIT_COORDS", "SHIFT_COORDS"):
            continue
        width = 2 if inst.name == "PAULI_CHANNEL_2" else 1
        targets = [t.value for t in inst.targets_copy()]
        for k in range(0, len(targets), width):
            out[(layer, inst.name, tuple(targets[k:k + width]))] = args
    return out


@pytest.mark.parametrize(
    "component, params, touched",
    [
        (("A1", "D1"), {"cx_duration_ns": 292.0}, {"A1", "D1"}),  # shorter than its layer: layer unchanged
        ("D2", {"kappa_1_hz": 2.0e4}, {"D2"}),
        ("A3", {"readout_error": 0.02, "t1_us": 30.0}, {"A3"}),
    ],
    ids=["cx-A1-D1", "cat-D2", "transmon-A3"],
)
def test_per_component_parameters_change_only_their_components_channels(component, params, touched):
    base = Layout.ocelot()
    other = Layout.ocelot({component: params})
    a, b = (_channels_by_target(memory_circuit(lay, ocelot(), rounds=3, basis="X")) for lay in (base, other))
    # New, removed or changed channels (a shorter CX adds idle pads on its own two qubits).
    changed = (a.keys() ^ b.keys()) | {key for key in a.keys() & b.keys() if a[key] != b[key]}
    assert changed
    name = {v: k for k, v in base.qubit_index.items()}
    for _, _, targets in changed:
        assert {name[t] for t in targets} & touched, targets
    # A channel on the touched component alone is changed wherever that component has noise.
    assert any({name[t] for t in targets} <= touched for _, _, targets in changed)


def test_data_preparation_longer_than_the_transmon_preparation_lengthens_its_layer():
    """Issue 9: a |+> preparation of 1/kappa_2 = 500 ns in a layer of 300 ns (transmon
    preparation). The layer lasts 500 ns; a faster cat's preparation is padded with idling up to
    500 ns, never truncated, and a cat whose preparation is the longest gets no pad at all."""
    layout = Layout.ocelot({"D1": {"kappa_2_hz": 1.0e7}})  # D1 prepares in 100 ns, the others in 500 ns
    model = ocelot(nbar=1.5)
    circuit = memory_circuit(layout, model, rounds=1, basis="X")
    first = circuit[: next(k for k, inst in enumerate(circuit) if inst.name == "TICK")]
    d1, d2 = layout.qubit_index["D1"], layout.qubit_index["D2"]
    cat = model.device_cat()
    k1n = cat.kappa_1_hz * cat.nbar
    z = {}
    for inst in first:
        if inst.name in ("Z_ERROR", "PAULI_CHANNEL_1"):
            for t in inst.targets_copy():
                args = inst.gate_args_copy()
                z.setdefault(t.value, []).append(args[-1] + (args[1] if len(args) == 3 else 0.0))
    # D2: n k1 * 500 ns, one channel. D1: n k1 * 100 ns, then idle for the remaining 400 ns.
    assert z[d2] == [pytest.approx(k1n * 500e-9, rel=1e-9)]
    assert z[d1][0] == pytest.approx(k1n * 100e-9, rel=1e-9)
    px, py, pz = physics.cat_idle_channel(cat, 400.0)
    assert z[d1][1] == pytest.approx(py + pz, rel=1e-9)


def test_cat_readout_duration_is_a_parameter_in_ns():
    cat = ocelot(nbar=2.0).device_cat()
    for t_ns, expected in ((None, 2.0 * cat.kappa_1_hz * 500e-9), (200.0, 2.0 * cat.kappa_1_hz * 200e-9)):
        circuit = memory_circuit(Layout.ocelot().section(1, 3), ocelot(nbar=2.0, cat_readout_ns=t_ns), rounds=1, basis="X")
        last = [i for i in circuit if i.name == "Z_ERROR"][-1]
        assert last.gate_args_copy()[0] == pytest.approx(expected, rel=1e-9)
    with pytest.raises(CatcodeError, match=r"cat_readout_ns must be a finite number > 0 and <= 1e\+09; got -1"):
        ocelot(cat_readout_ns=-1.0)


# ----------------------------------------------------------------------------- structure
CASES = [
    ("ocelot", Layout.ocelot()),
    ("ocelot[1-3]", Layout.ocelot().section(1, 3)),
    ("ocelot[3-5]", Layout.ocelot().section(3, 5)),
    ("chain2", Layout.chain(2)),
    ("chain7", Layout.chain(7)),
]


@pytest.mark.parametrize("name, layout", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("basis", ["X", "Z"])
@pytest.mark.parametrize("flagged", [True, False])
def test_compiled_circuits_pass_the_structural_checks(name, layout, basis, flagged):
    rounds = 3
    circuit = memory_circuit(layout, ocelot(erasure_flagged=flagged), rounds=rounds, basis=basis)
    # X memory: distance d against its own (phase-flip) noise; Z memory: a single cat bit flip.
    verify_memory_circuit(circuit, layout, rounds=rounds, basis=basis, distance=layout.distance if basis == "X" else 1)
    heralds = herald_detectors(circuit)
    assert len(heralds) == (2 * len(layout.ancilla_qubits) * rounds if flagged else 0)
    coords = circuit.get_detector_coordinates()
    assert all(len(coords[k]) == 4 and coords[k][3] == 1 for k in heralds)


def test_the_two_d3_sections_have_the_same_error_model():
    a, b = (memory_circuit(Layout.ocelot().section(*s), ocelot(), rounds=3, basis="X") for s in ((1, 3), (3, 5)))
    dem_a = a.detector_error_model(approximate_disjoint_errors=True)
    dem_b = b.detector_error_model(approximate_disjoint_errors=True)
    errors = lambda dem: [str(i) for i in dem.flattened() if i.type == "error"]  # noqa: E731
    assert errors(dem_a) == errors(dem_b)


# ----------------------------------------------------------------------------- no cat X from transmons
def _z_memory_dem(layout: Layout, rounds: int, **params) -> stim.DetectorErrorModel:
    return memory_circuit(layout, ocelot(**params), rounds=rounds, basis="Z").detector_error_model(
        approximate_disjoint_errors=True
    )


BAD_TRANSMONS = dict(t1_us=8.0, t2_us=5.0, readout_error=0.2, reset_error=0.2)


def test_no_transmon_fault_flips_a_cat_bit():
    """Structure: every circuit fault that flips the Z-memory observable puts an X or Y on a cat.

    Explains each observable-flipping DEM mechanism down to its circuit faults (all of them, not a
    representative) under very noisy transmons: none of those faults acts on transmons alone.
    """
    layout = Layout.chain(3)
    cats = {layout.qubit_index[q] for q in layout.data_qubits}
    circuit = memory_circuit(layout, ocelot(**BAD_TRANSMONS), rounds=2, basis="Z")
    dem = circuit.detector_error_model(approximate_disjoint_errors=True)
    flips = stim.DetectorErrorModel()
    for inst in dem.flattened():
        if inst.type == "error" and any(t.is_logical_observable_id() for t in inst.targets_copy()):
            flips.append(inst)
    explained = circuit.explain_detector_error_model_errors(dem_filter=flips, reduce_to_one_representative_error=False)
    locations = [loc for e in explained for loc in e.circuit_error_locations]
    assert len(explained) == len(flips) and locations
    for loc in locations:
        on_cats = [t.gate_target for t in loc.flipped_pauli_product if t.gate_target.qubit_value in cats]
        assert any(t.is_x_target or t.is_y_target for t in on_cats), str(loc)


@pytest.mark.parametrize("layout", [Layout.ocelot(), Layout.ocelot().section(1, 3)], ids=["d5", "d3"])
def test_observable_flips_do_not_depend_on_the_transmons_and_sit_at_the_calibrated_level(layout):
    """Quantitative: the probability that the Z-memory observable flips is the same with
    near-perfect, calibrated or terrible transmons (erasure flagging on or off): no transmon fault
    contributes to a cat bit flip at any probability. Their total per round equals the calibrated
    cat bit-flip budget (idle + ``cx_bit_flip_factor`` during the CX), and with bit flips suppressed
    (n = 10, no CX residual) every one of them is below 1e-6 while transmon faults are ~1e-2."""
    reference = odd_probability(observable_mechanisms(_z_memory_dem(layout, 3)).values())
    for other in (BAD_TRANSMONS, dict(erasure_flagged=False), dict(t1_us=1e3, t2_us=1e3, readout_error=0, reset_error=0)):
        # A transmon Z can coincide with a cat Y (the CX channel's ZY slot instead of IY), which
        # moves the cat's flip between symptom sets, but the observable's flip probability stays:
        # equal up to the second-order disjoint/independent approximation of the DEM.
        total = odd_probability(observable_mechanisms(_z_memory_dem(layout, 3, **other)).values())
        assert total == pytest.approx(reference, rel=1e-3)
    # Per round: the DEM's added observable-flip probability equals the closed-form budget.
    for nbar in (1.5, 2.0):
        dem_r = {r: odd_probability(observable_mechanisms(_z_memory_dem(layout, r, nbar=nbar)).values()) for r in (2, 4)}
        per_round = CALIBRATION["per_cycle_slope"](dem_r[2], 2, dem_r[4], 4)
        expected = CALIBRATION["analytic_bit_part"](layout, nbar)
        assert per_round == pytest.approx(expected, rel=2e-3)
    if layout.distance == 5:
        # At n = 2 a bulk cat flips with the calibrated 3.5e-3 per cycle: 5 cats (two at the ends with
        # one CX) give about 4.8 * 3.5e-3.
        assert CALIBRATION["analytic_bit_part"](layout, 2.0) == pytest.approx(4.8 * 3.5e-3, rel=0.03)
    suppressed = observable_mechanisms(_z_memory_dem(layout, 3, nbar=10.0, cx_bit_flip_factor=1.0, **BAD_TRANSMONS))
    assert suppressed and max(suppressed.values()) < 1e-6
    x_dem = memory_circuit(layout, ocelot(nbar=10.0, **BAD_TRANSMONS), rounds=3, basis="X").detector_error_model(
        approximate_disjoint_errors=True
    )
    assert max(i.args_copy()[0] for i in x_dem.flattened() if i.type == "error") > 1e-2


# ----------------------------------------------------------------------------- the reproduction
SHOTS = 100_000
#: Published d = 5 logical error per cycle and its 1-sigma [P], held out of the fit.
D5_PUBLISHED = (0.0165, 0.0003)
#: 1-sigma of the model's d = 5 prediction at n = 1.5 propagated from the fitted parameters'
#: covariance, as printed by scripts/calibrate_ocelot.py (docs/calibration.md).
D5_PARAM_SIGMA = 0.0003


def total_per_cycle(layout: Layout, nbar: float, seed: int) -> tuple[float, float]:
    """(total, 1-sigma): sampled X-memory slope and the exact Z-memory (bit) part, averaged."""
    x, sx, _ = per_cycle(layout, "X", SHOTS, seed, nbar=nbar)
    return (x + CALIBRATION["analytic_bit_part"](layout, nbar)) / 2, sx / 2


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="held out: the model predicts 1.81(3) % at n = 1.5 against the published "
                   "1.65(3) % (about +3.8 sigma); see docs/calibration.md")
def test_held_out_d5_logical_error_at_nbar_1_5():
    """Held out of the fit: the d = 5 logical error per cycle at its operating point n = 1.5 must
    match 1.65(3) % within 3 combined sigma (published, sampling and parameter uncertainties)."""
    total, sigma = total_per_cycle(Layout.ocelot(), 1.5, seed=100)
    combined = math.sqrt(D5_PUBLISHED[1] ** 2 + sigma**2 + D5_PARAM_SIGMA**2)
    assert abs(total - D5_PUBLISHED[0]) < 3 * combined, (total, combined)


@pytest.mark.slow
def test_regression_d3_section_minimum_matches_the_fit():
    """Regression, passes by construction (the d = 3 section minima were fitted): at n = 0.75, the
    model's minimum in the searched range, the d = 3 total lies between the two published section
    minima 1.67(4) % and 1.83(3) % widened by 3 of their sigmas, and within 5 sampling sigma of the
    fit's 1.772 %."""
    total, sigma = total_per_cycle(Layout.ocelot().section(1, 3), 0.75, seed=200)
    assert 0.0167 - 3 * 0.0004 < total < 0.0183 + 3 * 0.0003
    assert abs(total - 0.01772) < 5 * sigma + 2e-4, (total, sigma)  # + interpolation error of the fit grid


@pytest.mark.slow
def test_phase_flip_part_lower_at_d5_than_d3_for_nbar_1_to_3():
    shots, r = 20_000, 5
    for k, nbar in enumerate((1.0, 2.0, 3.0)):
        counts = {}
        for d, layout in ((5, Layout.ocelot()), (3, Layout.ocelot().section(1, 3))):
            circuit = memory_circuit(layout, ocelot(nbar=nbar), rounds=r, basis="X")
            counts[d] = logical_error_count(circuit, shots, seed=300 + 10 * k + d)
        # Difference of two binomial counts, 5 sigma.
        sigma = math.sqrt(counts[5] + counts[3])
        assert counts[3] - counts[5] > 5 * sigma, (nbar, counts)


@pytest.mark.slow
def test_bit_flip_part_grows_linearly_with_d_and_falls_exponentially_with_nbar():
    shots, r = 20_000, 5
    rate = {}
    for k, nbar in enumerate((1.0, 2.0, 3.0)):
        for d, layout in ((5, Layout.ocelot()), (3, Layout.ocelot().section(1, 3))):
            circuit = memory_circuit(layout, ocelot(nbar=nbar), rounds=r, basis="Z")
            p = logical_error_count(circuit, shots, seed=400 + 10 * k + d) / shots
            rate[(d, nbar)] = CALIBRATION["per_round"](p, r)
    for nbar in (1.0, 2.0, 3.0):
        # Any single cat bit flip is a logical one: rate ~ number of cats (5/3, slightly more
        # because the two end cats run one CX instead of two).
        assert 1.45 < rate[(5, nbar)] / rate[(3, nbar)] < 2.0, (nbar, rate)
    for d in (3, 5):
        r1, r2 = rate[(d, 2.0)] / rate[(d, 1.0)], rate[(d, 3.0)] / rate[(d, 2.0)]
        # Exponential in n (T_X ~ e^{gamma n} / n): each added photon divides the rate by a
        # similar factor, here ~ e^{1.55} * n / (n + 1).
        assert r1 < 0.6 and r2 < 0.6
        assert 0.6 < math.log(r2) / math.log(r1) < 1.6, (d, r1, r2)


@pytest.mark.slow
def test_erasure_flags_help_the_decoder_on_ocelot():
    """Same shots, decoded with and without the heralds: using them gives fewer logical errors."""
    circuit = memory_circuit(Layout.ocelot(), ocelot(nbar=1.5), rounds=10, basis="X")
    dem = circuit.detector_error_model(decompose_errors=True, approximate_disjoint_errors=True)
    dets, obs = circuit.compile_detector_sampler(seed=500).sample(40_000, separate_observables=True, bit_packed=True)
    wrong = {}
    for use in (True, False):
        pred = ErasureMatchingCompiledDecoder(dem, use_heralds=use).decode_shots_bit_packed(bit_packed_detection_event_data=dets)
        wrong[use] = (pred ^ obs)[:, 0] & 1
    only_blind = int(np.count_nonzero(wrong[False] & ~wrong[True]))
    only_aware = int(np.count_nonzero(wrong[True] & ~wrong[False]))
    assert only_blind - only_aware > 5 * math.sqrt(only_blind + only_aware), (only_blind, only_aware)


@pytest.mark.slow
def test_calibration_script_quick_mode_reports_the_degrees_of_freedom():
    """``scripts/calibrate_ocelot.py --quick`` runs end to end and prints the fit's bookkeeping: the
    stage-1 factors equal the recorded ones (closed form, no sampling), and 5 numbers - 4 parameters."""
    script = ROOT / "scripts" / "calibrate_ocelot.py"
    run = subprocess.run([sys.executable, str(script), "--quick", "--no_verify"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "Fitted numbers: 5; free parameters: 4; degrees of freedom: 1" in out
    assert f"cx_phase_flip_factor   = {OCELOT_DEFAULTS['cx_phase_flip_factor']:.3f}" in out
    assert "Held-out predictions (not fitted)" in out and "d5 at n = 1.5" in out
