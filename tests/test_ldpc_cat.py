"""LDPC-cat codes (catcode.ldpc_cat, Layout.ldpc_cat) and the BP+OSD decoder (catcode.bposd)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import stim

from catcode import Layout, noise
from catcode.bposd import BpOsdCompiledDecoder
from catcode.compiler import memory_circuit
from catcode.errors import CatcodeError
from catcode.experiment import build_circuit, experiment_metadata
from catcode.ldpc_cat import LdpcCatCode, cx_schedule, minimum_distance

# [n, k, d] of the periodic L = 17 codes: Ruiz et al., Nat. Commun. 16, 1040 (2025), Table 1.
PAPER = {4: (68, 34, 5), 5: (85, 34, 9)}


@pytest.mark.parametrize("height", [4, 5])
def test_periodic_parameters_match_the_paper(height):
    code = LdpcCatCode(height, 17)
    n, k, d = PAPER[height]
    assert (code.n, code.k) == (n, k)
    result = minimum_distance(height, 17)
    assert result.exact and result.value == result.lower_bound == d
    word = np.array(result.codeword)
    assert word.sum() == d and not (code.parity_check_matrix.astype(int) @ word % 2).any()


@pytest.mark.parametrize("ell", [0, 1])
def test_open_h8_family_n_and_k(ell):
    code = LdpcCatCode(8, 17 + ell, "open")
    assert (code.n, code.k, code.num_checks) == (165 + 8 * ell, 34 + 2 * ell, 131 + 6 * ell)


def test_check_weights():
    for h in range(4, 9):
        assert {len(c.qubits) for c in LdpcCatCode(h, 17).checks} == {4}
        open_weights = {len(c.qubits) for c in LdpcCatCode(h, 17, "open").checks}
        assert open_weights <= {2, 3, 4} and 4 in open_weights
    assert {len(s.data) for s in Layout.ldpc_cat(5, 6).stabilizers} == {4}


@pytest.mark.slow
def test_schedule_is_conflict_free_and_the_authors():
    for h in range(4, 9):
        assert set(cx_schedule(h, 17)) == {(0, 2, 4, 6)}
    lay = Layout.ldpc_cat(6, 7, "open")  # Layout validation rejects two CX on one qubit per layer
    for layer in lay.cx_layers:
        data = [d for _, d in layer]
        assert len(data) == len(set(data))


def test_layout_counts_and_logicals():
    lay = Layout.ldpc_cat(4, 17)
    assert lay.num_qubits == 68 + 34 and len(lay.ancilla_qubits) == 34 and lay.distance == 5
    assert all(lay.kind(q) == "cat" for q in lay.qubits)
    assert len(lay.graph.graph["logicals"]["X"]) == len(lay.graph.graph["logicals"]["Z"]) == 34


@pytest.mark.parametrize("basis", ["X", "Z"])
def test_circuit_has_k_observables_deterministic_detectors_and_canonical_bytes(basis):
    lay = Layout.ldpc_cat(4, 5)
    model = noise.cat_cat(nbar=11, k1_over_k2=1e-4)
    c = memory_circuit(lay, model, rounds=3, basis=basis)
    assert c.num_observables == 10
    n_checks = len(lay.stabilizers)
    assert c.num_detectors == (n_checks * 4 if basis == "X" else n_checks * 2)
    memory_circuit(lay, None, rounds=3, basis=basis).detector_error_model()  # raises if non-deterministic
    c.detector_error_model(approximate_disjoint_errors=True)
    assert str(c) == str(memory_circuit(Layout.ldpc_cat(4, 5), model, rounds=3, basis=basis))
    assert "cx:cat-cat" in str(c)


def _round_layers(circuit: stim.Circuit) -> list[list[stim.CircuitInstruction]]:
    """The TICK-delimited layers of the REPEAT body (one noisy round), noise included."""
    body = next(item for item in circuit if isinstance(item, stim.CircuitRepeatBlock)).body_copy()
    layers: list[list[stim.CircuitInstruction]] = []
    for inst in body:
        if inst.name == "TICK":
            layers.append([])
        elif layers:
            layers[-1].append(inst)
    return layers


GATES = {"RX", "CX", "MX", "R", "M", "H"}


def test_round_has_the_authors_nine_steps():
    # Ruiz et al. (Methods): prepare, CX1, idle, CX2, idle, CX3, idle, CX4, measure.
    lay = Layout.ldpc_cat(4, 5)
    assert [len(layer) for layer in lay.cx_layers] == [10, 0, 10, 0, 10, 0, 10]
    assert [len(layer) for layer in Layout.chain(5, ancilla="cat").cx_layers] == [4, 4]  # no gaps: unchanged
    layers = _round_layers(memory_circuit(lay, None, rounds=3, basis="X"))
    gates = [[inst.name for inst in layer if inst.name in GATES] for layer in layers]
    assert gates == [["RX"], ["CX"], [], ["CX"], [], ["CX"], [], ["CX"], ["MX"]]
    noisy = memory_circuit(lay, noise.cat_cat(nbar=11, k1_over_k2=1e-4), rounds=3, basis="X")
    assert len(_round_layers(noisy)) == 9
    # The layout's empty layers are its idle steps: alice_bob's implicit idle slot after CX1 (the
    # repetition code's fifth step) must not be added on top of them.
    assert "idle_slot" not in str(noisy)
    assert "idle_slot" in str(memory_circuit(Layout.chain(3, ancilla="cat"), noise.cat_cat(nbar=11, k1_over_k2=1e-4),
                                             rounds=2, basis="X"))


def _assert_authors_idle_steps(c: stim.Circuit, lay: Layout, nbar: float, k1: float) -> None:
    """Each of a round's 3 idle steps gives every cat Z with probability n-bar k1/k2 (Ruiz et al., Methods)."""
    layers = _round_layers(c)
    for step in (2, 4, 6):
        z: dict[int, float] = {}
        for inst in layers[step]:
            assert inst.name in ("PAULI_CHANNEL_1", "Z_ERROR"), inst
            p_z = inst.gate_args_copy()[-1]
            for t in inst.targets_copy():
                z[t.value] = z.get(t.value, 0.0) + p_z
        assert sorted(z) == list(range(lay.num_qubits))
        assert all(v == pytest.approx(nbar * k1, rel=2e-2) for v in z.values())
    err = c.search_for_undetectable_logical_errors(
        dont_explore_detection_event_sets_with_size_above=6, dont_explore_edges_with_degree_above=9999,
        dont_explore_edges_increasing_symptom_degree=False, canonicalize_circuit_errors=True)
    assert len(err) == lay.distance == 5


def test_idle_steps_charge_every_cat_the_authors_idle_error():
    lay = Layout.ldpc_cat(4, 5)
    c = memory_circuit(lay, noise.cat_cat(nbar=11, k1_over_k2=1e-4), rounds=3, basis="X")
    _assert_authors_idle_steps(c, lay, 11, 1e-4)


def test_published_fits_and_per_logical_convention():
    from catcode.ldpc_cat import per_cycle_per_logical, published_rate

    # Ruiz et al.: 6.4e-10 per cycle for the d = 22 family at k1/k2 = 1e-4 (abstract / Fig. 4).
    assert published_rate(22, 1e-4) == pytest.approx(6.4e-10, rel=0.02)
    # Per logical qubit = per cycle / L: 34 observables, 1 of 10 shots failed in 1 round, L = 17.
    assert per_cycle_per_logical(0.1, rounds=1, width=17) == pytest.approx(0.1 / 17)
    # Any-observable rule: two independent rounds each failing 1/2 -> 3/4 of shots fail.
    assert per_cycle_per_logical(0.75, rounds=2, width=1) == pytest.approx(0.5)
    with pytest.raises(CatcodeError, match="d"):
        published_rate(7, 1e-4)
    with pytest.raises(CatcodeError, match="p_shot"):
        per_cycle_per_logical(1.5, rounds=3, width=17)


def test_metadata_rebuilds_the_circuit():
    meta = experiment_metadata("ldpc_cat", 5, rounds=2, basis="X", noise="cat_cat", height=4, width=5,
                               boundary="periodic", nbar=11, k1_over_k2=1e-4)
    expected = memory_circuit(Layout.ldpc_cat(4, 5), noise.cat_cat(nbar=11, k1_over_k2=1e-4), rounds=2, basis="X")
    assert build_circuit(meta) == expected
    with pytest.raises(CatcodeError, match="distance"):
        build_circuit({**meta, "d": 4})


def test_no_undetectable_logical_error_below_d():
    # X memory: only Z errors act (X errors commute with the X-basis readout and do not propagate
    # from CX targets to controls), so the circuit DEM is the Z-only model. Stim's search returns a
    # minimum-weight undetectable logical error; it must have the code distance (MILP, above).
    lay = Layout.ldpc_cat(4, 5)
    c = memory_circuit(lay, noise.cat_cat(nbar=11, k1_over_k2=1e-4), rounds=2, basis="X")
    err = c.search_for_undetectable_logical_errors(
        dont_explore_detection_event_sets_with_size_above=6, dont_explore_edges_with_degree_above=9999,
        dont_explore_edges_increasing_symptom_degree=False, canonicalize_circuit_errors=True)
    assert len(err) == minimum_distance(4, 5).value == lay.distance


def _code_capacity_dem(code: LdpcCatCode, p: float) -> stim.DetectorErrorModel:
    index = {q: i for i, q in enumerate(code.qubits)}
    info = {q: k for k, q in enumerate(code.information_set)}
    h = code.parity_check_matrix
    text = []
    for q, col in index.items():
        targets = [f"D{r}" for r in np.flatnonzero(h[:, col])] + ([f"L{info[q]}"] if q in info else [])
        text.append(f"error({p}) " + " ".join(targets))
    return stim.DetectorErrorModel("\n".join(text))


def test_bposd_matches_maximum_likelihood_failure_probability():
    # Exact (no sampling): enumerate all 2^12 Z patterns on the 12 qubits of the H = 4, L = 3 code,
    # take the ML decision per syndrome, and compare the decoders' exact failure probabilities.
    code, p = LdpcCatCode(4, 3), 0.05
    dem = _code_capacity_dem(code, p)
    h = code.parity_check_matrix.astype(int)
    info = [code.qubits.index(q) for q in code.information_set]
    weight: dict[tuple, dict[tuple, float]] = {}
    patterns = []
    for bits in itertools.product((0, 1), repeat=code.n):
        e = np.array(bits)
        syn, obs = tuple(h @ e % 2), tuple(e[info])
        prob = p ** e.sum() * (1 - p) ** (code.n - e.sum())
        weight.setdefault(syn, {}).setdefault(obs, 0.0)
        weight[syn][obs] += prob
        patterns.append((syn, obs, prob))
    ml = {s: max(w, key=w.get) for s, w in weight.items()}
    decoder = BpOsdCompiledDecoder(dem)
    syndromes = list(weight)
    pred = decoder.decode(np.array(syndromes, dtype=np.uint8))
    bp = {s: tuple(int(v) for v in row) for s, row in zip(syndromes, pred)}
    fail_ml = sum(pr for s, o, pr in patterns if ml[s] != o)
    fail_bp = sum(pr for s, o, pr in patterns if bp[s] != o)
    assert fail_ml <= fail_bp <= 1.05 * fail_ml


@pytest.mark.slow
def test_bposd_agrees_with_matching_on_the_cat_repetition_code():
    import pymatching

    # Every operation at T* (guillaud_mirrahimi): few Z_c Z_t errors, so matching, which decomposes
    # them into independent edges, is close to optimal; under alice_bob (CX at 1/k2) the correlated
    # errors are frequent and BP-OSD, which keeps them, fails 2.5x less often than matching.
    c = memory_circuit(Layout.chain(5, ancilla="cat"), noise.cat_cat(nbar=4, k1_over_k2=1e-3, convention="guillaud_mirrahimi"),
                       rounds=5, basis="X")
    dem = c.detector_error_model(decompose_errors=True, approximate_disjoint_errors=True)
    dets, obs = c.compile_detector_sampler(seed=7).sample(20_000, separate_observables=True)
    fails_bp = int((BpOsdCompiledDecoder(dem).decode(dets) != obs).any(axis=1).sum())
    fails_mw = int((pymatching.Matching.from_detector_error_model(dem).decode_batch(dets) != obs).any(axis=1).sum())
    sigma = math.sqrt(fails_bp + fails_mw + 1)
    assert fails_mw > 20 and abs(fails_bp - fails_mw) <= 5 * sigma


def test_bposd_is_registered_for_collect():
    from catcode.sampling import resolve_decoders

    assert "bposd" in resolve_decoders(["bposd"])


@pytest.mark.parametrize("kwargs, name", [
    ({"height": 2, "width": 17}, "height"), ({"height": 3, "width": 17}, "height"),
    ({"height": 4, "width": 2}, "width"), ({"height": 4, "width": 17, "boundary": "twisted"}, "boundary"),
])
def test_bad_input(kwargs, name):
    with pytest.raises(CatcodeError, match=name):
        Layout.ldpc_cat(**kwargs)


@pytest.mark.slow
def test_bposd_predictions_equal_stimbposd_and_the_sparse_product():
    """Same ldpc decoder and settings as stimbposd, so the same predictions shot by shot; the
    observable flips read from per-column bit masks equal the sparse matrix product they replace."""
    from stimbposd import BPOSD

    from catcode.bposd import DEFAULT_MAX_ITER, DEFAULT_MS_SCALING

    c = memory_circuit(Layout.ldpc_cat(4, 17), noise.cat_cat(nbar=11, k1_over_k2=3e-4), rounds=3, basis="X")
    dem = c.detector_error_model(decompose_errors=False, approximate_disjoint_errors=True)
    dets, _ = c.compile_detector_sampler(seed=3).sample(60, separate_observables=True)
    ours = BpOsdCompiledDecoder(dem)
    theirs = BPOSD(dem, max_bp_iters=DEFAULT_MAX_ITER, bp_method="minimum_sum", ms_scaling_factor=DEFAULT_MS_SCALING,
                   osd_method="osd_cs", osd_order=ours.osd_order)
    predictions = ours.decode(dets)
    assert predictions.any() and (predictions == theirs.decode_batch(dets)).all()
    sparse = BpOsdCompiledDecoder(dem)
    sparse._masks = None  # the generic path (more than 64 observables)
    assert (sparse.decode(dets) == predictions).all()


def test_bposd_through_sinter_answers_repeated_syndromes_from_memory():
    c = memory_circuit(Layout.chain(5, ancilla="cat"), noise.cat_cat(nbar=4, k1_over_k2=1e-3), rounds=5, basis="X")
    dem = c.detector_error_model(approximate_disjoint_errors=True)
    dets = c.compile_detector_sampler(seed=9).sample(3000, bit_packed=True)
    decoder = BpOsdCompiledDecoder(dem)
    unpacked = np.unpackbits(dets, axis=1, bitorder="little", count=dem.num_detectors)
    expected = np.packbits(BpOsdCompiledDecoder(dem).decode(unpacked), axis=1, bitorder="little")
    first = decoder.decode_shots_bit_packed(bit_packed_detection_event_data=dets)
    decoded = decoder.memo.decoded
    again = decoder.decode_shots_bit_packed(bit_packed_detection_event_data=dets[::-1].copy())
    np.testing.assert_array_equal(first, expected)
    np.testing.assert_array_equal(again, expected[::-1])
    assert 0 < decoded < len(dets) and decoder.memo.decoded == decoded
    with pytest.raises(CatcodeError, match="detection events must have shape"):
        decoder.decode_shots_bit_packed(bit_packed_detection_event_data=dets[:, :-1])
