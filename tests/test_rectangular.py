"""The thin rectangular surface code of cats (Layout.rectangular_surface): structure, distances, noise."""

from collections.abc import Sequence

import networkx as nx
import numpy as np
import pytest
import stim

from catcode import Layout, memory_circuit, noise
from catcode.errors import CatcodeError
from catcode.experiment import build_circuit, build_layout, experiment_metadata
from catcode.noise.model import Layer, NoiseContext, NoiseModel, Operation, OpNoise, grouped
from catcode.verify import verify_memory_circuit
from test_surface import _errors_by_coordinates, _stim_surface  # the relabelling-free DEM form

ANCILLAS = ("transmon", "cat")


def _closed_form_checks(p: int, b: int) -> tuple[int, int]:
    """(X checks, Z checks) of a p-wide, b-tall rotated patch, counted by hand.

    X checks sit at (2a, 2y) with 1 <= a <= p - 1, 0 <= y <= b, a + y odd: a (p-1) x (b+1) grid
    whose corner (1, 0) is odd, so ceil((p-1)(b+1)/2) of them; Z checks at 0 <= a <= p,
    1 <= y <= b - 1, a + y even: a (p+1) x (b-1) grid whose corner (0, 1) is odd, so the floor.
    """
    return -(-(p - 1) * (b + 1) // 2), (p + 1) * (b - 1) // 2


@pytest.mark.parametrize("ancilla", ANCILLAS)
@pytest.mark.parametrize("rounds", [1, 3])
def test_counts_equal_closed_forms(ancilla, rounds):
    for p in range(2, 10):
        for b in range(2, 6):
            layout = Layout.rectangular_surface(p, b, ancilla=ancilla)
            n_x, n_z = _closed_form_checks(p, b)
            assert n_x + n_z == p * b - 1  # one logical qubit
            assert (layout.phase_distance, layout.bit_distance, layout.distance) == (p, b, p)
            assert layout.num_qubits == 2 * p * b - 1
            buffers = sum(1 for _, a in layout.graph.nodes(data=True) if a["kind"] == "buffer")
            assert buffers == (p * b if ancilla == "transmon" else 2 * p * b - 1)
            for basis in "XZ":
                c = memory_circuit(layout, None, rounds=rounds, basis=basis)
                same, other = (n_x, n_z) if basis == "X" else (n_z, n_x)
                assert c.num_detectors == same * (rounds + 1) + other * (rounds - 1)
                assert c.num_observables == 1
                assert c.num_qubits == 2 * p * b - 1


def test_which_dimension_carries_which_distance():
    layout = Layout.rectangular_surface(5, 3)
    xs = sorted({layout.coords(q)[0] for q in layout.data_qubits})
    ys = sorted({layout.coords(q)[1] for q in layout.data_qubits})
    assert (xs, ys) == ([1, 3, 5, 7, 9], [1, 3, 5])
    # X-type weight-2 checks on the top and bottom edges, Z-type on the left and right.
    for s in layout.stabilizers:
        x, y = layout.coords(s.ancilla)
        if len(s.data) == 2:
            assert (s.basis == "X") == (y in (0, 6)) and (s.basis == "Z") == (x in (0, 10))


def test_square_patch_is_todays_rotated_surface_with_cats():
    square = Layout.rotated_surface(4)
    rect = Layout.rectangular_surface(4, 4, ancilla="transmon")
    qubits = lambda lay: {n: (a["role"], tuple(a["coords"]), a.get("check")) for n, a in lay.graph.nodes(data=True) if a["kind"] != "buffer"}
    cx = lambda lay: {(a, b, d["layer"]) for a, b, d in lay.graph.edges(data=True) if d["kind"] == "cx"}
    assert qubits(square) == qubits(rect)
    assert cx(square) == cx(rect)
    assert square.stabilizers == rect.stabilizers


# ----------------------------------------------------------------------------- against Stim
def _with_hadamard_basis_change(layout: Layout) -> Layout:
    """The same patch with X-check ancillas prepared/measured through Hadamards, as Stim's are."""
    g = nx.Graph(layout.graph)
    g.graph["ancilla_x_basis_via_h"] = True
    return Layout(g, name=layout.name, code=layout.code)


@pytest.mark.parametrize("d, rounds", [(2, 2), (3, 3), (5, 2), (3, 5)])
@pytest.mark.parametrize("basis", "XZ")
@pytest.mark.parametrize("ancilla", ANCILLAS)
def test_dem_equals_stims_up_to_relabelling(d, rounds, basis, ancilla):
    """Square patch, depolarizing(p): Stim's DEM exactly once its Hadamard basis change is adopted.

    Cat (and Ocelot-style transmon) ancillas are prepared and read in X directly, so without the
    Hadamards the error mechanisms are the same sets of detectors, with other probabilities (Stim
    adds DEPOLARIZE1 after each H).
    """
    layout = Layout.rectangular_surface(d, d, ancilla=ancilla)
    ref = _errors_by_coordinates(_stim_surface(d, rounds, basis, 2e-3))
    exact = _errors_by_coordinates(memory_circuit(_with_hadamard_basis_change(layout), noise.depolarizing(2e-3), rounds=rounds, basis=basis))
    assert exact.keys() == ref.keys()
    for key in exact:
        assert exact[key] == pytest.approx(ref[key], rel=1e-12, abs=1e-15)
    direct = _errors_by_coordinates(memory_circuit(layout, noise.depolarizing(2e-3), rounds=rounds, basis=basis))
    assert direct.keys() == ref.keys()


# ----------------------------------------------------------------------------- distances
class _OnePauli(NoiseModel):
    """Noise of a single Pauli type: every channel keeps only ``letter`` (Z-only or X-only noise)."""

    def __init__(self, letter: str, p: float = 1e-3) -> None:
        self.letter, self.p = letter, p
        self.name = f"only_{letter}"

    @property
    def params(self):
        return {"p": self.p}

    def _one(self, qubits: Sequence[int]) -> list[stim.CircuitInstruction]:
        return grouped(f"{self.letter}_ERROR", [(tuple(qubits), (self.p,))])

    def prepare(self, op: Operation, ctx: NoiseContext) -> OpNoise:
        return OpNoise(after=self._one(op.targets))

    def measure(self, op: Operation, ctx: NoiseContext) -> OpNoise:
        return OpNoise(before=self._one(op.targets))

    def cx(self, op: Operation, ctx: NoiseContext) -> OpNoise:
        keys = ("I" + self.letter, self.letter + "I", 2 * self.letter)
        args = [self.p if a + b in keys else 0.0 for a in "IXYZ" for b in "IXYZ" if a + b != "II"]
        return OpNoise(after=[stim.CircuitInstruction("PAULI_CHANNEL_2", list(op.targets), args)])

    def idle(self, qubits: Sequence[int], layer: Layer, ctx: NoiseContext) -> list[stim.CircuitInstruction]:
        return self._one(qubits)

    def round_start(self, data_qubits: Sequence[int], ctx: NoiseContext) -> list[stim.CircuitInstruction]:
        return self._one(data_qubits)


@pytest.mark.parametrize("p, b", [(2, 2), (3, 2), (5, 3), (4, 3), (3, 5), (7, 2)])
@pytest.mark.parametrize("ancilla", ANCILLAS)
def test_z_only_noise_gives_phase_distance_and_x_only_bit_distance(p, b, ancilla):
    """Hooks included: Z-check ancillas kick Z back onto the data, X-check ancillas spread X."""
    layout = Layout.rectangular_surface(p, b, ancilla=ancilla)
    rounds = 3
    x_mem = memory_circuit(layout, _OnePauli("Z"), rounds=rounds, basis="X")
    z_mem = memory_circuit(layout, _OnePauli("X"), rounds=rounds, basis="Z")
    assert len(x_mem.detector_error_model(decompose_errors=True, approximate_disjoint_errors=True).shortest_graphlike_error()) == p
    assert len(z_mem.detector_error_model(decompose_errors=True, approximate_disjoint_errors=True).shortest_graphlike_error()) == b


def _physics(ancilla: str) -> NoiseModel:
    return noise.ocelot(nbar=2.0) if ancilla == "transmon" else noise.cat_cat(nbar=4.0, k1_over_k2=1e-3)


@pytest.mark.parametrize("p, b", [(3, 2), (5, 3), (2, 3)])
@pytest.mark.parametrize("ancilla", ANCILLAS)
@pytest.mark.parametrize("basis", "XZ")
def test_physics_presets_compile_with_the_code_distances(p, b, ancilla, basis):
    layout = Layout.rectangular_surface(p, b, ancilla=ancilla)
    c = memory_circuit(layout, _physics(ancilla), rounds=3, basis=basis)
    verify_memory_circuit(c, layout, rounds=3, basis=basis, distance=p if basis == "X" else b)
    assert str(c) == str(memory_circuit(layout, _physics(ancilla), rounds=3, basis=basis))  # canonical


# ----------------------------------------------------------------------------- gates and rules
@pytest.mark.parametrize("ancilla", ANCILLAS)
def test_gate_tags_and_cx_directions(ancilla):
    layout = Layout.rectangular_surface(3, 2, ancilla=ancilla)
    c = memory_circuit(layout, None, rounds=1, basis="Z")
    check = {layout.qubit_index[s.ancilla]: s.basis for s in layout.stabilizers}
    tags = set()
    for inst in c.flattened():
        if inst.name == "CX":
            tags.add(inst.tag)
            ts = [t.value for t in inst.targets_copy()]
            for ctrl, targ in zip(ts[::2], ts[1::2]):
                # X checks: the ancilla controls; Z checks: the data cat controls.
                assert check.get(ctrl) == "X" or check.get(targ) == "Z"
        elif inst.name in ("R", "RX", "M", "MX"):
            tags.add(f"{inst.name}[{inst.tag}]")
    a = ancilla
    assert tags == {
        f"cx:{a}-cat", f"cx:cat-{a}", "R[prepare:cat]", f"R[prepare:{a}]", f"RX[prepare:{a}]",
        "M[measure:cat]", f"M[measure:{a}]", f"MX[measure:{a}]",
    }


def test_ocelot_z_check_rules():
    layout = Layout.rectangular_surface(3, 2)
    c = memory_circuit(layout, noise.ocelot(nbar=2.0), rounds=2, basis="Z")
    z_anc = {layout.qubit_index[s.ancilla] for s in layout.stabilizers if s.basis == "Z"}
    heralds = [i for i in c.flattened() if i.name == "HERALDED_PAULI_CHANNEL_1"]
    assert heralds
    for inst in heralds:
        _, px, py, pz = inst.gate_args_copy()
        on_z = {t.value for t in inst.targets_copy()} <= z_anc
        # A heralded decay randomises the syndrome bit in the ancilla's readout basis.
        assert (px, py, pz)[0 if on_z else 2] > 0 and py == 0.0 and (pz if on_z else px) == 0.0
    reset_flips = [i for i in c.flattened() if i.name == "X_ERROR" and {t.value for t in i.targets_copy()} <= z_anc]
    assert reset_flips  # |g> preparation and Z readout flips of Z-check transmons


def test_ocelot_cat_controlled_cx_parameters_are_used():
    layout = Layout.rectangular_surface(3, 2)
    base = memory_circuit(layout, noise.ocelot(nbar=2.0), rounds=2, basis="X")
    slower = memory_circuit(layout, noise.ocelot(nbar=2.0, cat_cx_phase_flip_factor=3.0), rounds=2, basis="X")
    assert str(base) != str(slower)
    with pytest.raises(CatcodeError, match="cat_cx_phase_flip_factor must be a finite number >= 1"):
        memory_circuit(layout, noise.ocelot(nbar=2.0, cat_cx_phase_flip_factor=0.5), rounds=2, basis="X")


@pytest.mark.parametrize("ancilla", ANCILLAS)
def test_no_transmon_or_ancilla_fault_makes_an_unseen_data_bit_flip(ancilla):
    """Invariants, on the Z memory's decomposed DEM under the physics preset:

    (a) every error mechanism that flips the logical observable (so has an X part on data)
        flips at least one Z-check detector;
    (b) for transmon ancillas, no fault located on transmons alone flips the observable: the
        bias-preserving gates never turn a transmon error into a cat bit flip.
    """
    layout = Layout.rectangular_surface(3, 2, ancilla=ancilla)
    c = memory_circuit(layout, _physics(ancilla), rounds=2, basis="Z")
    dem = c.detector_error_model(decompose_errors=True, approximate_disjoint_errors=True)
    coords = c.get_detector_coordinates()
    z_xy = {layout.coords(s.ancilla) for s in layout.stabilizers if s.basis == "Z"}
    is_z_check = {k: len(v) == 3 and (v[0], v[1]) in z_xy for k, v in coords.items()}
    for inst in dem.flattened():
        if inst.type != "error":
            continue
        targets = inst.targets_copy()
        if any(t.is_logical_observable_id() for t in targets):
            assert any(t.is_relative_detector_id() and is_z_check[t.val] for t in targets), inst
    if ancilla == "transmon":
        transmons = {layout.qubit_index[q] for q in layout.ancilla_qubits}
        explained = c.explain_detector_error_model_errors(reduce_to_one_representative_error=False)
        for err in explained:
            flips_obs = any(t.is_logical_observable_id() for t in (term.dem_target for term in err.dem_error_terms))
            for loc in err.circuit_error_locations:
                on = {p.gate_target.value for p in loc.flipped_pauli_product}
                assert not (flips_obs and on <= transmons), loc


def test_cat_cat_z_check_cx_swaps_the_roles():
    """Z checks run the same cat-cat CX with the data cat as control: its big Z is on the data."""
    layout = Layout.rectangular_surface(3, 2, ancilla="cat")
    model = noise.cat_cat(nbar=4.0, k1_over_k2=1e-3)
    c = memory_circuit(layout, model, rounds=1, basis="X")
    data = {layout.qubit_index[q] for q in layout.data_qubits}
    seen = set()
    for inst in c.flattened():
        if inst.name != "PAULI_CHANNEL_2":
            continue
        args = inst.gate_args_copy()
        ts = [t.value for t in inst.targets_copy()]
        for ctrl, targ in zip(ts[::2], ts[1::2]):
            seen.add(ctrl in data)
            zi, iz = args[11], args[2]  # Z on the control, Z on the target
            assert zi > 2 * iz  # the control carries the non-adiabatic term
    assert seen == {True, False}  # both directions occur


def test_transmon_preset_serves_the_square_transmon_patch_only():
    verify_memory_circuit(
        memory_circuit(Layout.rotated_surface(3), noise.transmon(), rounds=2, basis="Z"),
        Layout.rotated_surface(3), rounds=2, basis="Z", distance=3,
    )
    with pytest.raises(CatcodeError, match="noise preset 'transmon' models data qubits that are transmons"):
        memory_circuit(Layout.rectangular_surface(3, 2), noise.transmon(), rounds=2, basis="Z")


# ----------------------------------------------------------------------------- metadata, bad input
@pytest.mark.parametrize("ancilla", ANCILLAS)
def test_metadata_rebuilds_the_circuit(ancilla):
    preset, params = ("ocelot", {"nbar": 2.0}) if ancilla == "transmon" else ("cat_cat", {"nbar": 4.0, "k1_over_k2": 1e-3})
    meta = experiment_metadata("rectangular_surface", 5, bit_distance=3, ancilla=ancilla, rounds=2, basis="Z", noise=preset, **params)
    assert meta["d"] == 5 and meta["bit_d"] == 3
    want = memory_circuit(Layout.rectangular_surface(5, 3, ancilla=ancilla), noise.preset(preset, **params), rounds=2, basis="Z")
    assert str(build_circuit(meta)) == str(want)


@pytest.mark.parametrize("args, kwargs, match", [
    ((1, 3), {}, r"phase_distance must be an integer >= 2 and <= 101; got 1"),
    ((3, 1), {}, r"bit_distance must be an integer >= 2 and <= 101; got 1"),
    ((3, 2.0), {}, r"bit_distance must be an integer >= 2"),
    ((3, 2), {"ancilla": "fluxonium"}, r"ancilla must be one of 'cat', 'transmon'; got 'fluxonium'"),
])
def test_bad_input_raises(args, kwargs, match):
    with pytest.raises(CatcodeError, match=match):
        Layout.rectangular_surface(*args, **kwargs)


def test_bad_metadata_and_mismatched_presets_raise():
    with pytest.raises(CatcodeError, match=r"needs d \(phase distance\) and bit_d"):
        build_layout("rectangular_surface", 5)
    with pytest.raises(CatcodeError, match=r"bit_d .* layout 'rectangular_surface' only"):
        build_layout("chain", 5, bit_distance=3)
    with pytest.raises(CatcodeError, match="models ancilla qubits that are cats"):
        memory_circuit(Layout.rectangular_surface(3, 2), noise.cat_cat(nbar=4, k1_over_k2=1e-3), rounds=1, basis="X")
    with pytest.raises(CatcodeError, match="models ancilla qubits that are transmons"):
        memory_circuit(Layout.rectangular_surface(3, 2, ancilla="cat"), noise.ocelot(), rounds=1, basis="X")


# ----------------------------------------------------------------------------- decoders
def _predict(decoder, circuit, shots, seed):
    dem = circuit.detector_error_model(decompose_errors=True, approximate_disjoint_errors=True)
    dets, obs = circuit.compile_detector_sampler(seed=seed).sample(shots, separate_observables=True, bit_packed=True)
    compiled = decoder.compile_decoder_for_dem(dem=dem)
    pred = compiled.decode_shots_bit_packed(bit_packed_detection_event_data=dets)
    return (pred != obs).any(axis=1)


def test_correlated_matching_is_registered_and_uses_correlations():
    import sinter

    from catcode.decoders import CUSTOM_DECODERS

    corr, plain = CUSTOM_DECODERS["pymatching_correlated"], sinter.BUILT_IN_DECODERS["pymatching"]
    # Without hyperedges (Z-only noise on a repetition chain) it is plain matching, shot by shot.
    c = memory_circuit(Layout.chain(5), _OnePauli("Z", 0.03), rounds=5, basis="X")
    assert (_predict(corr, c, 4000, 3) == _predict(plain, c, 4000, 3)).all()
    # Depolarizing noise (Y errors make hyperedges): fewer failures on the same shots, by > 5 sigma
    # of the paired difference (sigma = sqrt of the number of shots where the two disagree).
    c = memory_circuit(Layout.rectangular_surface(5, 5), noise.depolarizing(7e-3), rounds=5, basis="X")
    a, b = _predict(corr, c, 40000, 4), _predict(plain, c, 40000, 4)
    assert b.sum() - a.sum() > 5 * max(1.0, float((a != b).sum()) ** 0.5)


def test_correlated_matching_answers_repeated_syndromes_from_memory_with_pymatchings_predictions():
    import pymatching

    from catcode.decoders import CUSTOM_DECODERS

    c = memory_circuit(Layout.rectangular_surface(3, 3), noise.depolarizing(2e-3), rounds=3, basis="X")
    dem = c.detector_error_model(decompose_errors=True, approximate_disjoint_errors=True)
    dets = c.compile_detector_sampler(seed=8).sample(5000, bit_packed=True)
    expected = pymatching.Matching.from_detector_error_model(dem, enable_correlations=True).decode_batch(
        dets, bit_packed_shots=True, bit_packed_predictions=True, enable_correlations=True)
    compiled = CUSTOM_DECODERS["pymatching_correlated"].compile_decoder_for_dem(dem=dem)
    pieces = [compiled.decode_shots_bit_packed(bit_packed_detection_event_data=dets[i : i + 1024])
              for i in range(0, 5000, 1024)]
    np.testing.assert_array_equal(np.concatenate(pieces), expected)
    decoded = compiled.memo.decoded
    again = compiled.decode_shots_bit_packed(bit_packed_detection_event_data=dets)
    np.testing.assert_array_equal(again, expected)
    assert 0 < decoded < 5000 and compiled.memo.decoded == decoded


def test_params_are_set_on_every_qubit_node():
    layout = Layout.rectangular_surface(3, 2, params={"nbar": 3.0})
    assert all(layout.node_params(q) == {"nbar": 3.0} for q in layout.qubits)
    overridden = memory_circuit(layout, noise.ocelot(nbar=2.0), rounds=2, basis="X")
    assert str(overridden) == str(memory_circuit(Layout.rectangular_surface(3, 2), noise.ocelot(nbar=3.0), rounds=2, basis="X"))
