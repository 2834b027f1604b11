"""The noise pass: rules per operation, idle noise with durations, heralds, and its errors."""

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
