"""The noise pass: rules per operation, idle noise with durations, heralds, and its errors."""

import dataclasses

import numpy as np
import pytest
import stim

from catcode import CatcodeError, Layout, memory_circuit, noise
from catcode.compiler import ideal_memory_circuit
from catcode.noise import NoiseModel, OpNoise, grouped
from catcode.verify import herald_detectors, verify_memory_circuit


class Timed(NoiseModel):
    """Test model: CX lasts 300 ns, measurement 1000 ns; idle Z flip proportional to time."""

    name = "timed"
    params = {}

    def __init__(self, erasure=0.0, idle_rate_per_ns=1e-6):
        self.erasure = erasure
        self.idle_rate_per_ns = idle_rate_per_ns

    def duration_ns(self, op, ctx):
        return {"prepare": 100.0, "cx": 300.0, "measure": 1000.0, "gate1": 20.0}[op.kind]

    def prepare(self, op, ctx):
        return OpNoise()

    def measure(self, op, ctx):
        return OpNoise()

    def cx(self, op, ctx):
        controls = [c for c, _ in op.pairs if ctx.kind(c) == "transmon"]
        return OpNoise(after=grouped("HERALDED_ERASE", [(controls, (self.erasure,))]))

    def idle(self, qubits, layer, ctx):
        return grouped("Z_ERROR", [(qubits, (self.idle_rate_per_ns * layer.duration_ns,))])


def test_idle_noise_uses_layer_duration_and_skips_active_qubits():
    c = memory_circuit(Layout.chain(3), Timed(), rounds=1, basis="X")
    idles = [(i.targets_copy(), i.gate_args_copy()) for i in c.flattened() if i.name == "Z_ERROR"]
    # Prep layer: all qubits active. CX layers: ancillas and data all active in d=3? No: D1 idles
    # in layer 2 and D3 in layer 1 (300 ns). Final ancilla measurement: data idle for 1000 ns.
    # Final data measurement: ancillas idle for 1000 ns.
    got = sorted((tuple(t.value for t in ts), round(a[0], 12)) for ts, a in idles)
    assert got == sorted([((4,), 3e-4), ((0,), 3e-4), ((0, 2, 4), 1e-3), ((1, 3), 1e-3)])


def test_heralds_become_detectors_and_lookbacks_are_reindexed():
    layout = Layout.chain(4)
    rounds = 5
    noisy = memory_circuit(layout, Timed(erasure=0.02, idle_rate_per_ns=0.0), rounds=rounds, basis="X")
    heralds = herald_detectors(noisy)
    # Two CX layers per round, every ancilla is a control in both.
    assert len(heralds) == 2 * (layout.distance - 1) * rounds
    verify_memory_circuit(noisy, layout, rounds=rounds, basis="X", distance=None)
    # The syndrome detectors still compare the same ancilla measurements: with erasures off,
    # the detector error model of the idle noise equals that of the ideal structure.
    zero = memory_circuit(layout, Timed(erasure=0.0, idle_rate_per_ns=1e-5), rounds=rounds, basis="X")
    with_heralds_no_erasure = Timed(erasure=1e-300, idle_rate_per_ns=1e-5)
    a = zero.detector_error_model()
    b = memory_circuit(layout, with_heralds_no_erasure, rounds=rounds, basis="X").detector_error_model(approximate_disjoint_errors=True)
    syndrome = sorted(set(range(b.num_detectors)) - set(heralds))
    remap = {old: new for new, old in enumerate(syndrome)}

    def mechanisms(dem, relabel=None):
        out = set()
        for inst in dem.flattened():
            if inst.type == "error" and inst.args_copy()[0] > 1e-200:
                ts = []
                for t in inst.targets_copy():
                    if t.is_relative_detector_id():
                        ts.append(f"D{relabel[t.val] if relabel else t.val}")
                    else:
                        ts.append(str(t))
                out.add((tuple(sorted(ts)), round(inst.args_copy()[0], 15)))
        return out

    assert mechanisms(a) == mechanisms(b, remap)
    # Heralds fire at the erasure rate, and only heralds fire when only erasures act on the
    # ancilla right before it is measured... (they also randomise the syndrome).
    dets = noisy.compile_detector_sampler(seed=11).sample(20_000)
    rate = dets[:, heralds].mean()
    sigma = np.sqrt(0.02 * 0.98 / dets[:, heralds].size)
    assert abs(rate - 0.02) < 5 * sigma
    coords = noisy.get_detector_coordinates()
    assert all(len(coords[k]) == 4 and coords[k][3] == 1 for k in heralds)
    assert all(len(v) == 3 for k, v in coords.items() if k not in set(heralds))


def test_operation_without_rule_raises():
    layout = Layout.chain(2)
    circuit = ideal_memory_circuit(layout, rounds=1, basis="X")
    bad = stim.Circuit("CZ[mystery] 0 1\nTICK\n") + circuit
    with pytest.raises(CatcodeError, match=r"no rule for operation CZ\[mystery\]"):
        noise.depolarizing(0.01).apply(bad, layout)
    # A model without a single-qubit-gate rule refuses the Hadamards of a basis change.
    with_h = stim.Circuit("H[basis_change:transmon] 1\nTICK\n") + circuit
    with pytest.raises(CatcodeError, match=r"no rule for single-qubit gate H\[basis_change:transmon\]"):
        Timed().apply(with_h, layout)


def test_qubit_used_twice_in_a_layer_raises():
    layout = Layout.chain(2)
    with pytest.raises(CatcodeError, match="used twice in one layer"):
        noise.depolarizing(0.01).apply(stim.Circuit("R 0\nRX 0\n"), layout)


def test_circuit_from_another_layout_is_rejected():
    big = ideal_memory_circuit(Layout.chain(5), rounds=1, basis="X")
    with pytest.raises(CatcodeError, match="same layout"):
        noise.depolarizing(0.01).apply(big, Layout.chain(2))


def test_biased_channels_follow_eta():
    model = noise.biased(0.01, eta=99)
    px, py, pz = model.single_qubit_probabilities()
    assert pz / (px + py) == pytest.approx(99)
    assert px + py + pz == pytest.approx(0.01)
    two = dict(zip((a + b for a in "IXYZ" for b in "IXYZ"), (0.0,) + model.two_qubit_probabilities()))
    z_type = two["ZI"] + two["IZ"] + two["ZZ"]
    assert z_type / (sum(two.values()) - z_type) == pytest.approx(99)
    assert sum(two.values()) == pytest.approx(0.01)


def test_biased_cx_never_creates_data_bit_flip_from_ancilla_fault():
    """No single fault of a biased model with huge eta flips the Z-memory observable through a CX
    except the (eta-suppressed) X-type terms: with eta -> large, the bit-flip logical rate falls."""
    layout = Layout.chain(3)
    rates = []
    for eta in (1.0, 1e4):
        c = memory_circuit(layout, noise.biased(0.01, eta=eta), rounds=3, basis="Z")
        _, obs = c.compile_detector_sampler(seed=3).sample(50_000, separate_observables=True)
        rates.append(obs.mean())
    assert rates[1] < rates[0] / 20


# ---------------------------------------------------------------------- O(circuit size)
def _best_time(fn, reps=3):
    import time

    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


@pytest.mark.parametrize("model", [noise.depolarizing(1e-3), noise.ocelot(nbar=2.0)], ids=["depolarizing", "ocelot_heralds"])
def test_compile_and_verify_time_does_not_grow_with_rounds(model):
    """Rounds sit in a REPEAT block: the pass processes its body once and verify counts heralds
    structurally, so 10**5 rounds cost about what 10 rounds cost (the previous pass took ~3 s
    for the pass and ~2 s for verify at 10**5 rounds, against ~10 ms at 10)."""
    layout = Layout.chain(5)
    small = memory_circuit(layout, model, rounds=10, basis="X")
    big = memory_circuit(layout, model, rounds=10**5, basis="X")
    assert str(big) == str(small).replace("REPEAT 9 {", "REPEAT 99999 {")
    t_small = _best_time(lambda: memory_circuit(layout, model, rounds=10, basis="X"))
    t_big = _best_time(lambda: memory_circuit(layout, model, rounds=10**5, basis="X"))
    assert t_big < 3 * t_small + 0.05, (t_small, t_big)


def test_count_heralds_matches_the_flattened_count():
    from catcode.verify import count_heralds

    circuit = memory_circuit(Layout.chain(4), Timed(erasure=0.02), rounds=6, basis="X")
    assert count_heralds(circuit) == len(herald_detectors(circuit)) == 2 * 3 * 6
    shifted = stim.Circuit("REPEAT 3 {\n HERALDED_ERASE(0.1) 0\n DETECTOR(0, 0, 0, 1) rec[-1]\n SHIFT_COORDS(0, 0, 0, 1)\n}")
    assert count_heralds(shifted) == len(herald_detectors(shifted)) == 1  # the shift moves the flag


class HeraldOnMeasure(NoiseModel):
    """Test model: a herald after every measurement of qubit 1 only."""

    name = "herald_on_measure"
    params = {}

    def prepare(self, op, ctx):
        return OpNoise()

    def measure(self, op, ctx):
        return OpNoise(after=grouped("HERALDED_ERASE", [((q,), (0.1,)) for q in op.targets if q == 1]))

    def cx(self, op, ctx):
        return OpNoise()

    def idle(self, qubits, layer, ctx):
        return []


def test_repeat_body_that_differs_between_iterations_is_rejected():
    # Iteration 1's detector looks back to M 0 before the block (no herald after it); iteration
    # 2's to M 1 of iteration 1 (a herald after it): the noisy lookbacks differ.
    circuit = stim.Circuit("R 0 1\nTICK\nM 0\nTICK\nREPEAT 3 {\n M 1\n DETECTOR rec[-2]\n TICK\n}")
    with pytest.raises(CatcodeError, match="different noisy body"):
        HeraldOnMeasure().apply(circuit, Layout.chain(2))
    # Lookbacks inside one iteration stay valid in all of them.
    ok = stim.Circuit("R 0 1\nTICK\nM 0\nTICK\nREPEAT 3 {\n M 1\n DETECTOR rec[-1]\n TICK\n}")
    noisy = HeraldOnMeasure().apply(ok, Layout.chain(2))
    assert "DETECTOR rec[-2]" in str(noisy) and noisy.num_detectors == 6


def test_lookbacks_after_a_repeat_block_are_reindexed_into_its_iterations():
    circuit = stim.Circuit("R 0 1\nTICK\nREPEAT 4 {\n M 1\n TICK\n M 0\n TICK\n}\n"
                           "DETECTOR rec[-3]\nDETECTOR rec[-4]\nDETECTOR rec[-8]")
    noisy = HeraldOnMeasure().apply(circuit, Layout.chain(2))
    # Ideal record: (M1, M0) x 4; noisy record: (M1, herald, M0) x 4, 12 bits. rec[-3] is M 0 of
    # iteration 3 (noisy bit 8), rec[-4] M 1 of iteration 3 (bit 6), rec[-8] M 1 of iteration 1 (bit 0).
    want = ["DETECTOR rec[-4]", "DETECTOR rec[-6]", "DETECTOR rec[-12]"]
    assert str(noisy).splitlines()[-3:] == want


# ---------------------------------------------------------------------- round starts
class RoundMarker(NoiseModel):
    """Test model: a distinctive channel at every round start, nothing else."""

    name = "round_marker"
    params = {}

    def prepare(self, op, ctx):
        return OpNoise()

    def measure(self, op, ctx):
        return OpNoise()

    def cx(self, op, ctx):
        return OpNoise()

    def gate1(self, op, ctx):
        return OpNoise()

    def idle(self, qubits, layer, ctx):
        return []

    def round_start(self, data_qubits, ctx):
        return grouped("Z_ERROR", [(data_qubits, (0.125,))])


@pytest.mark.parametrize("layout", [Layout.chain(5), Layout.rotated_surface(3), Layout.rectangular_surface(3, 2),
                                    Layout.ldpc_cat(4, 5)], ids=lambda lay: lay.name)
def test_declared_round_starts_agree_with_the_fallback_rule_on_every_layout(layout):
    declared = memory_circuit(layout, RoundMarker(), rounds=3, basis="X")
    fallback = RoundMarker().apply(ideal_memory_circuit(layout, rounds=3, basis="X"), layout)  # no handoff
    assert str(declared) == str(fallback)
    lines = str(declared).splitlines()
    marks = [i for i, line in enumerate(lines) if line.strip().startswith("Z_ERROR(0.125)")]
    assert len(marks) == 2  # the first round and the REPEAT body
    assert all(lines[i + 1].strip().startswith("CX") and lines[i - 1].strip() == "TICK" for i in marks)


def test_the_pass_reads_round_starts_from_the_compiler_not_from_the_circuit():
    from catcode.compiler import ideal_program, program_text
    from catcode.noise.model import ROUND_START, Tick, handoff

    layout = Layout.chain(3)
    program = ideal_program(layout, rounds=1, basis="X")
    items = [i for i in program.items if i is not ROUND_START]
    ticks = [k for k, i in enumerate(items) if isinstance(i, Tick)]
    items.insert(ticks[1] + 1, ROUND_START)  # declare the round to start at the second CX layer
    moved = dataclasses.replace(program, items=tuple(items))
    circuit = stim.Circuit(program_text(moved))
    with handoff(circuit, moved):
        declared = str(RoundMarker().apply(circuit, layout)).splitlines()
    guessed = str(RoundMarker().apply(circuit, layout)).splitlines()  # outside: the fallback rule
    assert declared[declared.index("Z_ERROR(0.125) 0 2 4") + 1] == "CX[cx:transmon-cat] 1 2 3 4"
    assert guessed[guessed.index("Z_ERROR(0.125) 0 2 4") + 1] == "CX[cx:transmon-cat] 1 0 3 2"


def test_custom_circuit_uses_the_fallback_round_start_rule():
    circuit = stim.Circuit("R 0 1 2\nTICK\nCX 0 1\nTICK\nCX 2 1\nTICK\nM 1\nTICK\nCX 0 1\nTICK\nM 1")
    lines = str(RoundMarker().apply(circuit, Layout.chain(2))).splitlines()
    # A CX layer after a layer without CX: before the first and the third CX layers.
    assert [lines[i + 1] for i, line in enumerate(lines) if line.startswith("Z_ERROR(0.125)")] == ["CX 0 1", "CX 0 1"]


# ---------------------------------------------------------------------- idle steps
class StepIdle(RoundMarker):
    """Test model: idle qubits flip with 1e-3 per ns; an idle step lasts ``step_ns``."""

    def __init__(self, step_ns=None):
        self.step_ns = step_ns

    def round_start(self, data_qubits, ctx):
        return []

    def idle_step_ns(self, ctx):
        return super().idle_step_ns(ctx) if self.step_ns is None else self.step_ns

    def idle(self, qubits, layer, ctx):
        if layer.duration_ns == 0:
            return []
        return grouped("X_ERROR", [(qubits, (1e-3 * layer.duration_ns,))])


def test_an_empty_layer_is_an_idle_step_of_idle_step_ns():
    circuit = stim.Circuit("R 0 1 2\nTICK\nTICK\nDETECTOR(0, 0, 0)\nTICK\nM 0 1 2")
    lines = str(StepIdle(step_ns=50.0).apply(circuit, Layout.chain(2))).splitlines()
    assert lines == ["R 0 1 2", "TICK", "X_ERROR(0.05) 0 1 2", "TICK", "X_ERROR(0.05) 0 1 2", "DETECTOR(0, 0, 0)", "TICK", "M 0 1 2"]
    # Default idle_step_ns is 0.0: the model's idle rule returns nothing for it.
    assert str(StepIdle().apply(circuit, Layout.chain(2))) == str(circuit)
    with pytest.raises(CatcodeError, match="idle step a duration of -1"):
        StepIdle(step_ns=-1.0).apply(circuit, Layout.chain(2))


def test_layer_boundaries_at_repeat_blocks_are_not_idle_steps():
    circuit = stim.Circuit("R 0 1 2\nTICK\nREPEAT 2 {\n TICK\n M 0\n TICK\n}\nM 1")
    assert str(StepIdle(step_ns=50.0).apply(circuit, Layout.chain(2))) == str(circuit)


def test_grouped_builds_the_same_instructions_as_stims_constructor():
    """grouped() parses its instructions from text (Stim 1.16's constructor is slow); they must
    equal the constructor's, arguments to the last bit and tags included."""
    args = (0.1234567890123456, 1e-300, 2.5e-7)
    got = grouped("PAULI_CHANNEL_1", [((3,), args), ((1,), args), ((2,), (0.0, 0.0, 0.0))], tag="idle_slot")
    assert got == [stim.CircuitInstruction("PAULI_CHANNEL_1", [1, 3], list(args), tag="idle_slot")]
    assert got[0].gate_args_copy() == list(args)
    odd_tag = grouped("X_ERROR", [((0,), (0.25,))], tag="a]b")
    assert odd_tag == [stim.CircuitInstruction("X_ERROR", [0], [0.25], tag="a]b")]


def test_noisy_circuit_keeps_every_probability_to_the_last_bit():
    """The pass writes text; Stim prints arguments with 6 digits, so the pass must not use it."""
    model = noise.biased(0.0123456789012345, eta=123.456789)
    circuit = memory_circuit(Layout.chain(3), model, rounds=3, basis="X")
    flat = list(circuit.flattened())
    p1 = {tuple(i.gate_args_copy()) for i in flat if i.name == "PAULI_CHANNEL_1"}
    p2 = {tuple(i.gate_args_copy()) for i in flat if i.name == "PAULI_CHANNEL_2"}
    assert p1 == {model.single_qubit_probabilities()}
    assert p2 == {model.two_qubit_probabilities()}


def _random_repeat_circuit(rng) -> str:
    """R, a few measurements, then a REPEAT block of measurements and detectors looking back into
    the block and before it; the body is delimited by two QUBIT_COORDS markers (kept by flattening)."""
    lines, measured = ["R 0 1 2", "TICK"], 0
    for _ in range(rng.randint(0, 3)):
        lines += [f"M {rng.randint(0, 2)}", "TICK"]
        measured += 1
    body, inside = ["QUBIT_COORDS(1) 0"], 0
    for _ in range(rng.randint(1, 3)):
        body += [f"M {rng.randint(0, 2)}"]
        inside += 1
        for _ in range(rng.randint(0, 2)):
            body.append(f"DETECTOR rec[-{rng.randint(1, measured + inside)}]")
        body.append("TICK")
    body.append("QUBIT_COORDS(2) 0")
    return "\n".join(lines + [f"REPEAT {rng.randint(2, 4)} {{", *body, "}", "M 0 1 2"])


def test_repeat_iteration_check_agrees_with_the_flattened_circuit():
    """The pass keeps a REPEAT block iff its noisy iterations are identical, and then its result
    is exactly the pass applied to the flattened circuit (checked on random circuits whose
    lookbacks reach before the block through heralded records)."""
    import random

    rng = random.Random(11)
    layout, kept, refused = Layout.chain(2), 0, 0
    for _ in range(300):
        circuit = stim.Circuit(_random_repeat_circuit(rng))
        flat = HeraldOnMeasure().apply(circuit.flattened(), layout)
        text = str(flat)
        iterations = [chunk.split("QUBIT_COORDS(2) 0")[0] for chunk in text.split("QUBIT_COORDS(1) 0")[1:]]
        periodic = len(set(iterations)) == 1
        try:
            noisy = HeraldOnMeasure().apply(circuit, layout)
        except CatcodeError as exc:
            assert "different noisy body" in str(exc) and not periodic, circuit
            refused += 1
            continue
        assert periodic and str(noisy.flattened()) == str(flat), circuit
        kept += 1
    assert kept > 50 and refused > 20, (kept, refused)


@pytest.mark.parametrize("tag", ["", "cx:transmon-cat", "a b=1", "a]b\\c"])
def test_exact_head_equals_the_head_stim_prints_at_full_precision(tag):
    # exact_head writes a noise instruction's head without asking Stim to print it (issue 15);
    # it must match Stim's own head (name, tag) with every argument at full precision, for every
    # noise channel Stim has.
    from catcode.noise.model import exact_head

    def stim_head_at_full_precision(name, tag, args):  # Stim's own head, its 6-digit arguments rewritten
        head = str(stim.CircuitInstruction(name, [], list(args), tag=tag))
        return head[: head.rfind("(")] + "(" + ", ".join(repr(a) for a in args) + ")" if args else head

    rng = np.random.default_rng(7)
    for name, data in stim.gate_data().items():
        if not data.is_noisy_gate or data.name != name:
            continue
        count = min(data.num_parens_arguments_range[-1], 15)
        for args in [(), tuple(float(x) for x in rng.uniform(0, 1 / 32, count) * rng.choice([1, 1e-7], count))]:
            if len(args) not in data.num_parens_arguments_range:
                continue
            assert exact_head(name, tag, args) == stim_head_at_full_precision(name, tag, args), (name, tag, args)
