"""Compiled memory circuits: structure, counts, distance, canonical bytes, Stim equivalence."""

import pytest
import stim

from catcode import CatcodeError, Layout, memory_circuit, noise
from catcode.noise import NoiseModel, OpNoise, grouped
from catcode.verify import expected_detector_count, verify_memory_circuit

PRESETS = {
    "depolarizing": lambda: noise.depolarizing(1e-3),
    "biased": lambda: noise.biased(1e-3, eta=100),
}


@pytest.mark.parametrize("d", [*range(2, 8), *(pytest.param(d, marks=pytest.mark.slow) for d in range(8, 16))])
@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_sweep_structure(d, preset):
    """Deterministic detectors, graphlike DEM, closed-form counts for every rounds and basis."""
    layout = Layout.chain(d)
    for basis in "XZ":
        for rounds in range(1, 21):
            c = memory_circuit(layout, PRESETS[preset](), rounds=rounds, basis=basis)
            verify_memory_circuit(c, layout, rounds=rounds, basis=basis)
            want = (d - 1) * (rounds + 1) if basis == "X" else (d - 1) * (rounds - 1)
            assert c.num_detectors == want == expected_detector_count(layout, rounds=rounds, basis=basis)
            assert c.num_observables == 1
            assert c.num_qubits == 2 * d - 1


class ZOnly(NoiseModel):
    """Test model: Z flips after every operation and on idle qubits, nothing else."""

    name = "z_only"

    def __init__(self, gate="Z_ERROR"):
        self.gate = gate

    @property
    def params(self):
        return {}

    def _flip(self, qubits):
        return grouped(self.gate, [(qubits, (0.01,))])

    def prepare(self, op, ctx):
        return OpNoise(after=self._flip(op.targets))

    def measure(self, op, ctx):
        return OpNoise(before=self._flip(op.targets))

    def cx(self, op, ctx):
        return OpNoise(after=self._flip(op.targets))

    def idle(self, qubits, layer, ctx):
        return self._flip(qubits)


@pytest.mark.parametrize("d", [2, 3, 5, 9])
@pytest.mark.parametrize("ancilla", ["transmon", "cat"])
def test_distance_by_error_type(d, ancilla):
    layout = Layout.chain(d, ancilla=ancilla)
    x_mem = memory_circuit(layout, ZOnly("Z_ERROR"), rounds=d, basis="X")
    z_mem = memory_circuit(layout, ZOnly("X_ERROR"), rounds=d, basis="Z")
    assert len(x_mem.shortest_graphlike_error()) == d
    assert len(z_mem.shortest_graphlike_error()) == 1
    for basis in "XZ":
        c = memory_circuit(layout, noise.biased(1e-3, eta=1e4), rounds=3, basis=basis)
        verify_memory_circuit(c, layout, rounds=3, basis=basis, distance=d if basis == "X" else 1)


def _merged_errors(dem: stim.DetectorErrorModel) -> dict:
    out: dict = {}
    for inst in dem.flattened():
        if inst.type == "error":
            key = tuple(sorted(str(t) for t in inst.targets_copy()))
            q = inst.args_copy()[0]
            p = out.get(key, 0.0)
            out[key] = p * (1 - q) + q * (1 - p)
    return out


def _stim_repetition(d, rounds, p):
    return stim.Circuit.generated(
        "repetition_code:memory", distance=d, rounds=rounds, after_clifford_depolarization=p,
        before_round_data_depolarization=p, before_measure_flip_probability=p, after_reset_flip_probability=p,
    )


@pytest.mark.parametrize("d, rounds, p", [(2, 1, 0.05), (3, 3, 0.01), (5, 7, 0.003), (7, 20, 0.02), (11, 4, 0.1)])
def test_depolarizing_dem_equals_stims_repetition_code(d, rounds, p):
    """Same error mechanisms on the same detector indices with the same probabilities."""
    mine = _merged_errors(memory_circuit(Layout.chain(d), noise.depolarizing(p), rounds=rounds, basis="X").detector_error_model())
    ref = _merged_errors(_stim_repetition(d, rounds, p).detector_error_model())
    assert mine.keys() == ref.keys()
    for key in mine:
        assert mine[key] == pytest.approx(ref[key], rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("basis", "XZ")
@pytest.mark.parametrize("layout", [Layout.chain(5), Layout.chain(4, ancilla="cat"), Layout.ocelot().section(3, 5)])
def test_zero_noise_gives_zero_errors(layout, basis):
    for model in (None, noise.depolarizing(0.0), noise.biased(0.0, eta=10)):
        c = memory_circuit(layout, model, rounds=6, basis=basis)
        dets, obs = c.compile_detector_sampler(seed=5).sample(20_000, separate_observables=True)
        assert not dets.any() and not obs.any()


def test_rounds_live_in_a_repeat_block():
    layout = Layout.chain(5)
    # Only the repeat count's digits change with the number of rounds.
    sizes = {r: len(str(memory_circuit(layout, noise.depolarizing(1e-3), rounds=r, basis="X"))) - len(str(r - 1)) for r in (2, 10, 1000)}
    assert sizes[2] == sizes[10] == sizes[1000]
    text = str(memory_circuit(layout, None, rounds=10, basis="X"))
    assert "REPEAT 9 {" in text
    assert "SHIFT_COORDS(0, 0, 1)" in text


def test_operations_are_tagged_with_hardware_kinds():
    c = memory_circuit(Layout.chain(3), None, rounds=2, basis="X")
    tags = {(i.name, i.tag) for i in c.flattened() if i.name in ("R", "RX", "M", "MX", "CX")}
    assert tags == {
        ("RX", "prepare:cat"), ("RX", "prepare:transmon"), ("CX", "cx:transmon-cat"),
        ("MX", "measure:transmon"), ("MX", "measure:cat"),
    }
    cat_cat = memory_circuit(Layout.chain(3, ancilla="cat"), None, rounds=2, basis="Z")
    assert {i.tag for i in cat_cat.flattened() if i.name == "CX"} == {"cx:cat-cat"}


def test_coordinates():
    c = memory_circuit(Layout.chain(3), None, rounds=3, basis="X")
    assert c.get_final_qubit_coordinates() == {0: [0, 0], 1: [1, 0], 2: [2, 0], 3: [3, 0], 4: [4, 0]}
    coords = c.get_detector_coordinates()
    assert coords[0] == [1, 0, 0] and coords[1] == [3, 0, 0]
    assert coords[2] == [1, 0, 1]  # round 1
    assert coords[len(coords) - 1] == [3, 0, 3]  # final data-measurement checks


def test_canonical_bytes():
    a = str(memory_circuit(Layout.ocelot(), noise.biased(1e-3, eta=300), rounds=4, basis="X"))
    b = str(memory_circuit(Layout.ocelot(), noise.biased(1e-3, eta=300), rounds=4, basis="X"))
    assert a == b


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"rounds": 0, "basis": "X"}, "rounds must be an integer >= 1"),
        ({"rounds": 2.5, "basis": "X"}, "rounds must be an integer >= 1"),
        ({"rounds": 3, "basis": "Y"}, "basis must be one of 'X', 'Z'"),
    ],
)
def test_bad_compiler_input(kwargs, message):
    with pytest.raises(CatcodeError, match=message):
        memory_circuit(Layout.chain(3), None, **kwargs)
    with pytest.raises(CatcodeError, match="catcode.Layout"):
        memory_circuit("chain", None, rounds=3, basis="X")


@pytest.mark.parametrize(
    "factory, message",
    [
        (lambda: noise.depolarizing(-0.1), r"\[0, 0.5\]"),
        (lambda: noise.depolarizing(0.9), r"\[0, 0.5\]"),
        (lambda: noise.biased(0.6, eta=10), r"\[0, 0.5\]"),
        (lambda: noise.biased(0.1, eta=0), "eta must be a finite number > 0"),
        (lambda: noise.biased(0.1, eta=float("nan")), "eta must be a finite number > 0"),
        (lambda: noise.preset("nope"), "unknown noise preset .nope.; choices: biased, cat_cat, depolarizing"),
    ],
)
def test_bad_noise_parameters(factory, message):
    with pytest.raises(CatcodeError, match=message):
        factory()


def test_memory_circuit_verifies_its_output_by_default(monkeypatch):
    import catcode.compiler as compiler
    from catcode.errors import CatcodeError
    from catcode.verify import CircuitCheckError

    real = compiler._ideal_text

    def broken(layout, rounds, basis):  # a compiler bug: data cat 0 left in the wrong basis
        lines = real(layout, rounds, basis).splitlines()
        first_reset = next(i for i, line in enumerate(lines) if line.startswith("R"))
        return "\n".join(lines[: first_reset + 1] + ["H 0"] + lines[first_reset + 1 :])

    monkeypatch.setattr(compiler, "_ideal_text", broken)
    with pytest.raises(CircuitCheckError, match="expected|error analysis"):
        memory_circuit(Layout.chain(3), None, rounds=2, basis="Z")
    memory_circuit(Layout.chain(3), None, rounds=2, basis="Z", verify=False)  # the opt-out
    with pytest.raises(CatcodeError, match="noise must be"):
        memory_circuit(Layout.chain(3), "depolarizing", rounds=2, basis="Z")


@pytest.mark.parametrize("layout", [Layout.chain(4), Layout.ocelot(), Layout.rotated_surface(3), Layout.rectangular_surface(3, 2, ancilla="cat")],
                         ids=lambda lay: lay.name)
@pytest.mark.parametrize("rounds", [1, 3])
def test_cached_ideal_text_is_the_text_of_the_program(layout, rounds):
    """memory_circuit parses the cached text and hands the pass the program: they must agree."""
    from catcode.compiler import _ideal_text, ideal_memory_circuit, ideal_program, program_text

    for basis in ("X", "Z"):
        program = ideal_program(layout, rounds=rounds, basis=basis)
        assert _ideal_text(layout, rounds, basis) == program_text(program)
        assert str(stim.Circuit(program_text(program))) == str(ideal_memory_circuit(layout, rounds=rounds, basis=basis))


def test_layout_caches_are_per_object_and_released():
    import gc

    from catcode import layout as layout_module

    before = len(layout_module._DERIVED)
    a, b = Layout.chain(3), Layout.chain(3).with_params("D2", nbar=3.0)
    assert str(memory_circuit(a, None, rounds=2, basis="X")) == str(memory_circuit(b, None, rounds=2, basis="X"))
    assert len(layout_module._DERIVED) == before + 2
    del a, b
    gc.collect()
    assert len(layout_module._DERIVED) == before


@pytest.mark.parametrize("verify", [0, 1, "no", None, [False]])
def test_verify_takes_only_a_bool(verify):
    with pytest.raises(CatcodeError, match=r"^verify must be True or False; got "):
        memory_circuit(Layout.chain(3), None, rounds=2, basis="X", verify=verify)
