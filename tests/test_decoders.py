"""Tests of catcode.decoders: erasure-aware matching driven by herald detectors.

Test circuits are built here (a bit-flip repetition code whose data and ancilla qubits get a
HERALDED_ERASE each round, heralds marked ``DETECTOR(x, 0, t, 1)``), independent of the compiler.
"""

from __future__ import annotations

import math
import pickle

import numpy as np
import pymatching
import pytest
import sinter
import stim

from catcode.decoders import (
    CUSTOM_DECODERS,
    ErasureMatchingDecoder,
    erasure_model,
    herald_detectors,
    sinter_decoders,
)
from catcode.errors import CatcodeError


def heralded_repetition_circuit(
    d: int,
    rounds: int,
    *,
    p_data: float = 0.0,
    p_meas: float = 0.0,
    pe_data: float = 0.0,
    pe_anc: float = 0.0,
    heralded_x: bool = False,
) -> stim.Circuit:
    """Z-basis repetition-code memory (Z_i Z_{i+1} checks) with heralded erasures.

    Each round: X_ERROR(p_data) and HERALDED_ERASE(pe_data) on the data, the two CX layers,
    HERALDED_ERASE(pe_anc) on the ancillas, X_ERROR(p_meas), MR. Every herald bit gets
    ``DETECTOR(x, 0, t, 1)``; syndrome detectors are ``DETECTOR(x, 0, t)``. With
    ``heralded_x`` the channel is HERALDED_PAULI_CHANNEL_1(0, pe, 0, 0): a herald always
    accompanies an X flip.
    """
    data = [2 * i for i in range(d)]
    anc = [2 * i + 1 for i in range(d - 1)]
    c = stim.Circuit()
    n_meas = 0

    def rec(k: int) -> stim.GateTarget:  # absolute measurement index -> rec[-k] target
        return stim.target_rec(k - n_meas)

    for q in data + anc:
        c.append("QUBIT_COORDS", [q], [q, 0])
    c.append("R", data + anc)
    previous = None
    for t in range(rounds):
        c.append("TICK")
        if p_data:
            c.append("X_ERROR", data, p_data)
        for qubits, pe in ((data, pe_data), (anc, pe_anc)):
            if qubits is anc:
                c.append("CX", [x for i, a in enumerate(anc) for x in (data[i], a)])
                c.append("CX", [x for i, a in enumerate(anc) for x in (data[i + 1], a)])
            if heralded_x:
                c.append("HERALDED_PAULI_CHANNEL_1", qubits, [0, pe, 0, 0])
            else:
                c.append("HERALDED_ERASE", qubits, pe)
            n_meas += len(qubits)
            for j, q in enumerate(qubits):
                c.append("DETECTOR", [rec(n_meas - len(qubits) + j)], [q, 0, t, 1])
        if p_meas:
            c.append("X_ERROR", anc, p_meas)
        c.append("MR", anc)
        first = n_meas
        n_meas += len(anc)
        for j, q in enumerate(anc):
            targets = [rec(first + j)] + ([rec(previous + j)] if previous is not None else [])
            c.append("DETECTOR", targets, [q, 0, t])
        previous = first
    if p_data:
        c.append("X_ERROR", data, p_data)
    c.append("M", data)
    first = n_meas
    n_meas += len(data)
    for j, q in enumerate(anc):
        targets = [rec(first + j), rec(first + j + 1), rec(previous + j)]
        c.append("DETECTOR", targets, [q, 0, rounds])
    c.append("OBSERVABLE_INCLUDE", [rec(first + d - 1)], 0)
    return c


def sinter_dem(circuit: stim.Circuit) -> stim.DetectorErrorModel:
    """The DEM sinter builds for a task."""
    return circuit.detector_error_model(decompose_errors=True, approximate_disjoint_errors=True)


def sample(circuit: stim.Circuit, shots: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    return circuit.compile_detector_sampler(seed=seed).sample(
        shots, separate_observables=True, bit_packed=True
    )


def predict(decoder: sinter.Decoder, dem: stim.DetectorErrorModel, dets: np.ndarray) -> np.ndarray:
    compiled = decoder.compile_decoder_for_dem(dem=dem)
    return compiled.decode_shots_bit_packed(bit_packed_detection_event_data=dets)


def count_errors(pred: np.ndarray, obs: np.ndarray) -> int:
    return int(np.any(pred != obs, axis=1).sum())


def herald_counts(dem: stim.DetectorErrorModel, dets: np.ndarray) -> np.ndarray:
    h = np.asarray(herald_detectors(dem))
    bits = np.unpackbits(dets, axis=1, bitorder="little")[:, h]
    return bits.sum(axis=1)


# ---------------------------------------------------------------------------------------------
# Herald identification and the model


def test_circuit_generator_is_deterministic_and_marks_heralds():
    c = heralded_repetition_circuit(3, 2, p_data=0.01, p_meas=0.01, pe_data=0.05, pe_anc=0.05)
    c.without_noise().detector_error_model()  # raises on a non-deterministic detector
    dem = sinter_dem(c)
    assert len(herald_detectors(dem)) == 2 * (3 + 2)
    assert dem.num_detectors == 2 * (3 + 2) + 2 * 2 + 2


def test_heralds_are_exactly_four_coordinates_with_fourth_one():
    dem = stim.DetectorErrorModel(
        """
        detector(0, 0, 0) D0
        detector(0, 0, 0, 1) D1
        detector(0, 0, 0, 0) D2
        detector(0, 0) D3
        detector(0, 0, 1, 1, 1) D4
        detector(5, 1, 2, 1) D5
        """
    )
    assert herald_detectors(dem) == (1, 5)
    plain = stim.Circuit.generated("repetition_code:memory", distance=3, rounds=2)
    assert herald_detectors(plain.detector_error_model()) == ()


def test_model_conditional_probabilities_by_hand():
    dem = stim.DetectorErrorModel(
        """
        error(0.01) D0 D1
        error(0.03) D2
        error(0.06) D2 ^ D0 D1 L0
        error(0.03) D1 D2
        detector(0, 0, 0) D0
        detector(1, 0, 0) D1
        detector(0, 0, 0, 1) D2
        """
    )
    m = erasure_model(dem)
    assert m.heralds == (2,)
    assert m.herald_probability[2] == pytest.approx(0.12)
    edges = {(e.node1, e.node2): e for e in m.herald_edges[2]}
    assert edges[(0, 1)].probability == pytest.approx(0.5)
    assert edges[(0, 1)].observables == (0,)
    assert edges[(1, None)].probability == pytest.approx(0.25)
    assert str(m.base_dem).count("error") == 1
    assert m.base_dem.num_detectors == 3
    # herald-blind DEM: every mechanism, heralds dropped, marginal probabilities
    blind = str(m.blind_dem)
    assert "D2" not in blind.replace("detector(0, 0, 0, 1) D2", "")
    assert m.blind_dem.num_errors == 3


def test_full_erasure_of_a_repetition_code_gives_conditional_one_half():
    c = heralded_repetition_circuit(5, 3, p_data=0.01, p_meas=0.01, pe_data=0.02, pe_anc=0.03)
    m = erasure_model(sinter_dem(c))
    coords = sinter_dem(c).get_detector_coordinates()
    for h in m.heralds:
        pe = 0.02 if coords[h][0] % 2 == 0 else 0.03
        assert m.herald_probability[h] == pytest.approx(pe)
        assert len(m.herald_edges[h]) == 1
        assert m.herald_edges[h][0].probability == pytest.approx(0.5)


def test_mechanism_with_two_heralds_is_rejected():
    dem = stim.DetectorErrorModel(
        "error(0.1) D0 D1 D2\ndetector(0,0,0) D0\ndetector(0,0,0,1) D1\ndetector(1,0,0,1) D2"
    )
    with pytest.raises(CatcodeError, match="at most one herald"):
        erasure_model(dem)


def test_non_graphlike_heralded_mechanism_is_rejected():
    dem = stim.DetectorErrorModel(
        "error(0.1) D0 D1 D2 D3\n" + "".join(f"detector(0,0,{k}) D{k}\n" for k in range(3))
        + "detector(0,0,0,1) D3"
    )
    with pytest.raises(CatcodeError, match="graphlike"):
        erasure_model(dem)


def test_wrong_shape_is_rejected_and_decoders_pickle():
    dem = sinter_dem(heralded_repetition_circuit(3, 2, p_data=0.01, pe_anc=0.01))
    compiled = ErasureMatchingDecoder().compile_decoder_for_dem(dem=dem)
    with pytest.raises(CatcodeError, match="shape"):
        compiled.decode_shots_bit_packed(
            bit_packed_detection_event_data=np.zeros((4, 99), np.uint8)
        )
    for name, dec in CUSTOM_DECODERS.items():
        assert repr(pickle.loads(pickle.dumps(dec))) == repr(dec), name
    assert {k: v for k, v in sinter_decoders().items() if k != "bposd"} == CUSTOM_DECODERS  # + catcode.bposd


def test_a_fired_herald_changes_the_matching_of_one_shot():
    # boundary -L0- D0 -- D1 -- boundary: D0 alone is matched to the left boundary (flips L0),
    # unless herald D2 fired, which makes D0-D1 and D1-boundary near-certain.
    dem = stim.DetectorErrorModel(
        """
        error(0.1) D0 L0
        error(0.05) D0 D1
        error(0.05) D1
        error(0.01) D2
        error(0.01) D2 ^ D0 D1
        error(0.01) D2 ^ D1
        detector(0, 0, 0) D0
        detector(1, 0, 0) D1
        detector(0, 0, 0, 1) D2
        """
    )
    dets = np.packbits(np.array([[1, 0, 0], [1, 0, 1]], dtype=np.uint8), axis=1, bitorder="little")
    pred = predict(ErasureMatchingDecoder(), dem, dets)
    assert pred[:, 0].tolist() == [1, 0]
    assert predict(ErasureMatchingDecoder(use_heralds=False), dem, dets)[:, 0].tolist() == [1, 1]


def looped_repetition_circuit(d: int, rounds: int, p: float, pe: float) -> stim.Circuit:
    """The compiler's style: REPEAT blocks, SHIFT_COORDS(0, 0, 1), and a heralded random
    syndrome bit HERALDED_PAULI_CHANNEL_1(pe/2, pe/2, 0, 0) on each ancilla before MR."""
    k = d - 1
    anc = " ".join(str(2 * i + 1) for i in range(k))
    data = " ".join(str(2 * i) for i in range(d))
    cx = " ".join(f"{2 * i} {2 * i + 1}" for i in range(k)) + "\nCX " + " ".join(
        f"{2 * i + 2} {2 * i + 1}" for i in range(k)
    )

    def body(first: bool) -> str:
        lines = [
            f"X_ERROR({p}) {data}",
            f"CX {cx}",
            f"HERALDED_PAULI_CHANNEL_1({pe / 2}, {pe / 2}, 0, 0) {anc}",
        ]
        lines += [f"DETECTOR({2 * i + 1}, 0, 0, 1) rec[-{k - i}]" for i in range(k)]
        lines += [f"X_ERROR({p}) {anc}", f"MR {anc}"]
        for i in range(k):
            prev = "" if first else f" rec[-{k - i + 2 * k}]"
            lines.append(f"DETECTOR({2 * i + 1}, 0, 0) rec[-{k - i}]{prev}")
        return "\n".join(lines)

    text = f"R {data} {anc}\n{body(True)}\nSHIFT_COORDS(0, 0, 1)\n"
    text += f"REPEAT {rounds - 1} {{\n{body(False)}\nSHIFT_COORDS(0, 0, 1)\n}}\n"
    text += f"X_ERROR({p}) {data}\nM {data}\n"
    for i in range(k):
        text += f"DETECTOR({2 * i + 1}, 0, 0) rec[-{d - i}] rec[-{d - i - 1}] rec[-{d + k - i}]\n"
    text += "OBSERVABLE_INCLUDE(0) rec[-1]\n"
    return stim.Circuit(text)


@pytest.mark.slow
def test_repeat_blocks_and_shifted_coordinates():
    c = looped_repetition_circuit(5, 6, p=0.03, pe=0.3)
    assert any(inst.name == "REPEAT" for inst in c)
    c.without_noise().detector_error_model()  # deterministic detectors
    dem = sinter_dem(c)
    assert len(herald_detectors(dem)) == 6 * 4
    model = erasure_model(dem)
    for h in model.heralds:
        (edge,) = model.herald_edges[h]
        assert edge.probability == pytest.approx(0.5)
    dets, obs = sample(c, 40_000, seed=21)
    flat = sinter_dem(c.flattened())
    erasure = predict(CUSTOM_DECODERS["pymatching_erasure"], dem, dets)
    same = predict(CUSTOM_DECODERS["pymatching_erasure"], flat, dets)
    np.testing.assert_array_equal(erasure, same)
    n_erasure = count_errors(erasure, obs)
    n_blind = count_errors(predict(CUSTOM_DECODERS["pymatching_ignore_heralds"], dem, dets), obs)
    assert n_blind - n_erasure > 5 * math.sqrt(n_blind + n_erasure), (n_erasure, n_blind)


# ---------------------------------------------------------------------------------------------
# Agreement with plain PyMatching


@pytest.mark.parametrize(
    "circuit",
    [
        stim.Circuit.generated(
            "repetition_code:memory", distance=5, rounds=5,
            after_clifford_depolarization=0.03, before_measure_flip_probability=0.02,
        ),
        stim.Circuit.generated(
            "surface_code:rotated_memory_x", distance=3, rounds=3,
            after_clifford_depolarization=0.01, before_round_data_depolarization=0.01,
        ),
        # herald detectors present, but their channels never fire
        heralded_repetition_circuit(5, 4, p_data=0.04, p_meas=0.03),
    ],
    ids=["repetition", "surface", "silent_heralds"],
)
def test_without_fired_heralds_predictions_equal_pymatching_shot_by_shot(circuit):
    dem = sinter_dem(circuit)
    dets, _ = sample(circuit, 5000, seed=11)
    reference = predict(sinter.BUILT_IN_DECODERS["pymatching"], dem, dets)
    for name in ("pymatching_erasure", "pymatching_ignore_heralds"):  # not pymatching_correlated
        np.testing.assert_array_equal(predict(CUSTOM_DECODERS[name], dem, dets), reference)


def test_unheralded_shots_of_a_heralded_circuit_use_the_no_herald_graph():
    c = heralded_repetition_circuit(5, 4, p_data=0.03, p_meas=0.03, pe_data=0.01, pe_anc=0.01)
    dem = sinter_dem(c)
    dets, _ = sample(c, 5000, seed=12)
    quiet = herald_counts(dem, dets) == 0
    assert 1000 < quiet.sum() < 4900
    base = pymatching.Matching.from_detector_error_model(erasure_model(dem).base_dem)
    expected = base.decode_batch(dets[quiet], bit_packed_shots=True, bit_packed_predictions=True)
    got = predict(CUSTOM_DECODERS["pymatching_erasure"], dem, dets)
    np.testing.assert_array_equal(got[quiet], expected)


def reference_weights(dem: stim.DetectorErrorModel, dets: np.ndarray) -> np.ndarray:
    """Slow reference: per shot, PyMatching on the base graph with the fired edges reweighted."""
    model = erasure_model(dem)
    base = pymatching.Matching.from_detector_error_model(model.base_dem)
    q0 = {(u, v): d["error_probability"] for u, v, d in base.edges()}
    bits = np.unpackbits(dets, axis=1, bitorder="little")[:, : dem.num_detectors]
    out = []
    for row in bits:
        m = pymatching.Matching.from_detector_error_model(model.base_dem)
        for h in model.heralds:
            if not row[h]:
                continue
            for e in model.herald_edges[h]:
                q = q0.get((e.node1, e.node2), q0.get((e.node2, e.node1), 0.0))
                p = q * (1 - e.probability) + e.probability * (1 - q)
                w = math.log((1 - p) / p)
                kw = dict(fault_ids=set(e.observables), weight=w, merge_strategy="replace")
                if e.node2 is None:
                    m.add_boundary_edge(e.node1, **kw)
                else:
                    m.add_edge(e.node1, e.node2, **kw)
        row = row.copy()
        row[list(model.heralds)] = 0
        out.append(m.decode(row, return_weight=True)[1])
    return np.asarray(out)


@pytest.mark.parametrize("heralded_x", [False, True], ids=["erasure", "heralded_x"])
def test_gadget_graph_matches_per_shot_reweighting(heralded_x):
    # The batch decoder's solution weight equals that of PyMatching run on a graph rebuilt for
    # the shot (base weights, fired edges at log((1-p)/p) with p = q0 ⊕ c_h): an exact invariant
    # up to PyMatching's 2**24-level weight discretisation.
    c = heralded_repetition_circuit(
        5, 4, p_data=0.04, p_meas=0.03, pe_data=0.05, pe_anc=0.05, heralded_x=heralded_x
    )
    dem = sinter_dem(c)
    dets, _ = sample(c, 400, seed=3)
    compiled = CUSTOM_DECODERS["pymatching_erasure"].compile_decoder_for_dem(dem=dem)
    _, weights = compiled.decode_shots_with_weights(dets)
    assert (herald_counts(dem, dets) >= 2).sum() > 100
    np.testing.assert_allclose(weights, reference_weights(dem, dets), atol=1e-3)


# ---------------------------------------------------------------------------------------------
# Erasure information helps


def test_erasure_decoding_beats_ignoring_heralds_by_five_sigma():
    c = heralded_repetition_circuit(5, 5, p_data=0.03, p_meas=0.03, pe_data=0.05, pe_anc=0.05)
    dem = sinter_dem(c)
    dets, obs = sample(c, 20_000, seed=2024)
    n_erasure = count_errors(predict(CUSTOM_DECODERS["pymatching_erasure"], dem, dets), obs)
    n_plain = count_errors(predict(sinter.BUILT_IN_DECODERS["pymatching"], dem, dets), obs)
    n_blind = count_errors(predict(CUSTOM_DECODERS["pymatching_ignore_heralds"], dem, dets), obs)
    for n_other in (n_plain, n_blind):
        # difference of two Poisson-like counts: sigma ~ sqrt(sum)
        margin = 5 * math.sqrt(n_other + n_erasure)
        assert n_other - n_erasure > margin, (n_erasure, n_plain, n_blind)


@pytest.mark.parametrize("d", [3, 5])
def test_fewer_than_d_erasures_are_always_corrected(d):
    # Only erasure noise: the heralded edges get weight 0 and every other edge is absent, so a
    # logical error needs d erased data qubits. Exact invariant on every shot with <= d-1 heralds.
    c = heralded_repetition_circuit(d, d, pe_data=0.08, pe_anc=0.08)
    dem = sinter_dem(c)
    dets, obs = sample(c, 20_000, seed=7 + d)
    n_heralds = herald_counts(dem, dets)
    few = n_heralds <= d - 1
    assert (n_heralds == d - 1).sum() > 1000
    wrong = np.any(predict(CUSTOM_DECODERS["pymatching_erasure"], dem, dets) != obs, axis=1)
    assert wrong[few].sum() == 0
    # the same shots are not all trivial: ignoring the heralds fails on some of them
    blind = np.any(predict(CUSTOM_DECODERS["pymatching_ignore_heralds"], dem, dets) != obs, axis=1)
    assert blind[few].sum() > 0


def test_heralds_that_always_flip_are_always_corrected():
    # HERALDED_PAULI_CHANNEL_1 with X only: c_h = 1, the fired edges get negative weights
    # (p > 1/2) and the decoder knows every flip, so no shot may fail, whatever the count.
    c = heralded_repetition_circuit(5, 5, pe_data=0.1, pe_anc=0.1, heralded_x=True)
    dem = sinter_dem(c)
    m = erasure_model(dem)
    assert all(e.probability == pytest.approx(1.0) for h in m.heralds for e in m.herald_edges[h])
    dets, obs = sample(c, 5000, seed=5)
    assert herald_counts(dem, dets).max() >= 8
    assert count_errors(predict(CUSTOM_DECODERS["pymatching_erasure"], dem, dets), obs) == 0
    assert count_errors(predict(CUSTOM_DECODERS["pymatching_ignore_heralds"], dem, dets), obs) > 0


# ---------------------------------------------------------------------------------------------
# Through sinter


@pytest.mark.slow
def test_sinter_collect_with_custom_decoders():
    c = heralded_repetition_circuit(3, 3, p_data=0.03, p_meas=0.03, pe_data=0.05, pe_anc=0.05)
    tasks = [sinter.Task(circuit=c, json_metadata={"d": 3, "r": 3, "b": "Z"})]
    stats = sinter.collect(
        num_workers=2,
        tasks=tasks,
        decoders=["pymatching_erasure", "pymatching_ignore_heralds", "pymatching"],
        custom_decoders=sinter_decoders(),
        max_shots=4000,
        max_errors=10**6,
    )
    by_decoder = {s.decoder: s for s in stats}
    assert set(by_decoder) == {"pymatching_erasure", "pymatching_ignore_heralds", "pymatching"}
    for s in stats:
        assert s.shots == 4000
        assert 0 < s.errors < s.shots
    assert by_decoder["pymatching_erasure"].errors < by_decoder["pymatching_ignore_heralds"].errors


# ---------------------------------------------------------------------------------------------
# Speed work must not change a single prediction (issue 15)


def frozen_erasure_decode(dem: stim.DetectorErrorModel, dets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The erasure decoding path as of commit 2db7c42, frozen here as the reference.

    Kept verbatim in substance (graph construction, node numbering, barrier weight, event
    preparation via unpack/gather/packbits, quiet/loud split) so that any later optimisation of
    catcode.decoders is checked shot by shot against it. Returns (predictions, weights).
    """
    model = erasure_model(dem)
    n_det_bytes = -(-model.num_detectors // 8)
    n_obs_bytes = -(-model.num_observables // 8)

    def matching(d: stim.DetectorErrorModel) -> pymatching.Matching:
        m = pymatching.Matching.from_detector_error_model(d)
        if m.num_fault_ids < model.num_observables:
            m.ensure_num_fault_ids(model.num_observables)
        return m

    def decode(m: pymatching.Matching, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p, w = m.decode_batch(np.ascontiguousarray(x), bit_packed_shots=True,
                              bit_packed_predictions=True, return_weights=True)
        p = np.asarray(p, dtype=np.uint8).reshape(x.shape[0], -1)
        fixed = np.zeros((x.shape[0], n_obs_bytes), dtype=np.uint8)
        k = min(p.shape[1], n_obs_bytes)
        fixed[:, :k] = p[:, :k]
        return fixed, w

    if not model.heralds:
        return decode(matching(dem), dets)
    graph = matching(model.base_dem)
    q0 = {}
    for u, v, data in graph.edges():
        key = (min(u, v), max(u, v)) if v is not None else (u, None)
        p = float(data.get("error_probability", -1.0))
        q0[key] = p if 0.0 <= p <= 1.0 else 1.0 / (1.0 + math.exp(data["weight"]))
    gadgets = []
    for pos, h in enumerate(model.heralds):
        for e in model.herald_edges[h]:
            qq = q0.get((e.node1, e.node2), 0.0)
            p = min(max(qq * (1.0 - e.probability) + e.probability * (1.0 - qq), 1e-300), 1.0 - 1e-15)
            gadgets.append((pos, e, math.log1p(-p) - math.log(p)))
    big = 200.0 + 2.0 * max((abs(w) for _, _, w in gadgets), default=0.0)
    first = 8 * n_det_bytes
    for g, (_, e, w) in enumerate(gadgets):
        a, b = first + 2 * g, first + 2 * g + 1
        side = (big + w) / 2.0
        graph.add_edge(e.node1, a, fault_ids=set(e.observables), weight=side, error_probability=-1.0)
        graph.add_edge(a, b, fault_ids=set(), weight=big, error_probability=-1.0)
        if e.node2 is None:
            graph.add_boundary_edge(b, fault_ids=set(), weight=side, error_probability=-1.0)
        else:
            graph.add_edge(b, e.node2, fault_ids=set(), weight=side, error_probability=-1.0)
    gadget_pos = np.repeat(np.asarray([pos for pos, _, _ in gadgets], dtype=np.int64), 2)
    mask = np.zeros(n_det_bytes, dtype=np.uint8)
    for h in model.heralds:
        mask[h // 8] |= np.uint8(1 << (h % 8))
    out = np.zeros((dets.shape[0], n_obs_bytes), dtype=np.uint8)
    weights = np.zeros(dets.shape[0])
    cleaned = dets & ~mask
    loud = (dets & mask).any(axis=1)
    quiet = ~loud
    if quiet.any():
        out[quiet], weights[quiet] = decode(matching(model.base_dem), cleaned[quiet])
    if loud.any():
        h = np.asarray(model.heralds, dtype=np.int64)
        fired = (dets[loud][:, h // 8] >> (h % 8).astype(np.uint8)) & np.uint8(1)
        bits = fired[:, gadget_pos]
        extra = np.packbits(bits, axis=1, bitorder="little")
        out[loud], w = decode(graph, np.concatenate([cleaned[loud], extra], axis=1))
        weights[loud] = w - big * bits.sum(axis=1) / 2
    return out, weights


def _catcode_circuit(which: str) -> stim.Circuit:
    from catcode import noise
    from catcode.compiler import memory_circuit
    from catcode.layout import Layout

    if which == "ocelot_d5":
        return memory_circuit(Layout.ocelot(), noise.ocelot(nbar=1.5), rounds=5, basis="X")
    return memory_circuit(Layout.chain(15), noise.ocelot(), rounds=15, basis="X")


def multi_edge_herald_dem(seed: int = 15) -> stim.DetectorErrorModel:
    """A graphlike DEM whose heralds each condition 1 to 5 edges (some to the boundary).

    40 ordinary detectors on a line (nearest-neighbour edges, boundary edges at both ends) and 30
    heralds at random detector indices among them, so that the herald bits and the gadget bytes
    of several heralds share bytes. Every heralded mechanism is ``error(q) D_h D_u [D_v] [L0]``.
    """
    rng = np.random.default_rng(seed)
    n = 70
    herald_ids = sorted(rng.choice(n, size=30, replace=False).tolist())
    ordinary = [k for k in range(n) if k not in herald_ids]
    lines = []
    for i, u in enumerate(ordinary):
        if i == 0 or i == len(ordinary) - 1:
            lines.append(f"error(0.02) D{u}" + (" L0" if i == 0 else ""))
        if i + 1 < len(ordinary):
            lines.append(f"error(0.02) D{u} D{ordinary[i + 1]}")
    for h in herald_ids:
        for _ in range(int(rng.integers(1, 6))):
            i = int(rng.integers(0, len(ordinary)))
            j = i + int(rng.integers(1, 4))
            target = f"D{ordinary[i]}" + (f" D{ordinary[j]}" if j < len(ordinary) else " L0")
            lines.append(f"error({rng.uniform(0.005, 0.05):.4f}) D{h} {target}")
    lines += [f"detector({k}, 0, 0{', 1' if k in herald_ids else ''}) D{k}" for k in range(n)]
    return stim.DetectorErrorModel("\n".join(lines))


def test_multi_edge_heralds_share_gadget_bytes():
    m = erasure_model(multi_edge_herald_dem())
    sizes = [len(m.herald_edges[h]) for h in m.heralds]
    assert len(m.heralds) == 30 and max(sizes) >= 4 and min(sizes) == 1
    assert any(e.node2 is None for h in m.heralds for e in m.herald_edges[h])


@pytest.mark.parametrize(
    "make, shots",
    [
        (lambda: heralded_repetition_circuit(5, 5, p_data=0.03, p_meas=0.03, pe_data=0.05, pe_anc=0.05), 20_000),
        (lambda: heralded_repetition_circuit(7, 4, p_data=0.02, pe_data=0.1, pe_anc=0.1, heralded_x=True), 5_000),
        (lambda: heralded_repetition_circuit(4, 3, pe_data=0.2, pe_anc=0.2), 5_000),
        (lambda: heralded_repetition_circuit(5, 4, p_data=0.04, p_meas=0.03), 2_000),
        (lambda: _catcode_circuit("ocelot_d5"), 20_000),
        (lambda: _catcode_circuit("chain_d15"), 3_000),
        (multi_edge_herald_dem, 5_000),
    ],
    ids=["repetition", "heralded_x", "erasure_only_dense", "silent_heralds", "ocelot_d5", "chain_d15",
         "multi_edge_heralds"],
)
def test_predictions_and_weights_equal_the_frozen_implementation_shot_by_shot(make, shots):
    c = make()
    if isinstance(c, stim.DetectorErrorModel):
        dem = c
        dets = c.compile_sampler(seed=1515).sample(shots, bit_packed=True)[0]
    else:
        dem = sinter_dem(c)
        dets, _ = sample(c, shots, seed=1515)
    expected, expected_weights = frozen_erasure_decode(dem, dets)
    compiled = CUSTOM_DECODERS["pymatching_erasure"].compile_decoder_for_dem(dem=dem)
    got = compiled.decode_shots_bit_packed(bit_packed_detection_event_data=dets)
    np.testing.assert_array_equal(got, expected)
    # weights too (the reported weight is a float sum, so compare to rounding)
    _, weights = compiled.decode_shots_with_weights(dets)
    np.testing.assert_allclose(weights, expected_weights, rtol=0, atol=1e-9)
    # and in sinter-sized pieces, including a single shot and an empty batch, by a new compiled
    # decoder (the first one would answer them from its syndrome memo)
    fresh = CUSTOM_DECODERS["pymatching_erasure"].compile_decoder_for_dem(dem=dem)
    one = fresh.decode_shots_bit_packed(bit_packed_detection_event_data=dets[-1:])
    np.testing.assert_array_equal(one, expected[-1:])
    pieces = [fresh.decode_shots_bit_packed(bit_packed_detection_event_data=dets[i : i + 997])
              for i in range(0, min(shots, 2991), 997)]
    np.testing.assert_array_equal(np.concatenate(pieces), expected[: min(shots, 2991)])
    assert fresh.decode_shots_bit_packed(bit_packed_detection_event_data=dets[:0]).shape[0] == 0


def test_gadget_events_decoded_on_the_gadget_graph_give_the_decoders_predictions():
    dem = multi_edge_herald_dem()  # heralds with 1 to 5 gadgets each, boundary edges among them
    dets = dem.compile_sampler(seed=77).sample(3000, bit_packed=True)[0]
    compiled = CUSTOM_DECODERS["pymatching_erasure"].compile_decoder_for_dem(dem=dem)
    loud, events = compiled.gadget_events(dets)
    np.testing.assert_array_equal(loud, herald_counts(dem, dets) > 0)
    assert 0 < loud.sum() < len(loud) and events.shape[0] == loud.sum()
    # both nodes of every gadget of every fired herald, and nothing else, beyond the detector bytes
    model = compiled.model
    width = -(-model.num_detectors // 8)
    fired = np.unpackbits(dets[loud], axis=1, bitorder="little")[:, list(model.heralds)]
    gadgets_per_herald = np.array([len(model.herald_edges[h]) for h in model.heralds])
    set_bits = np.unpackbits(events[:, width:], axis=1).sum(axis=1)
    np.testing.assert_array_equal(set_bits, 2 * (fired @ gadgets_per_herald))
    # the ordinary detection events are kept and the herald bits cleared
    ordinary = np.unpackbits(events[:, :width], axis=1, bitorder="little")[:, : model.num_detectors]
    expected = np.unpackbits(dets[loud], axis=1, bitorder="little")[:, : model.num_detectors]
    expected[:, list(model.heralds)] = 0
    np.testing.assert_array_equal(ordinary, expected)
    got = compiled.gadget_graph().decode_batch(events, bit_packed_shots=True, bit_packed_predictions=True)
    want = compiled.decode_shots_bit_packed(bit_packed_detection_event_data=dets)[loud]
    np.testing.assert_array_equal(np.asarray(got, dtype=np.uint8).reshape(want.shape), want)
    # without heralds no shot is loud
    plain = stim.DetectorErrorModel("error(0.1) D0 D1\ndetector(0, 0, 0) D0\ndetector(1, 0, 0) D1")
    loud, events = CUSTOM_DECODERS["pymatching_erasure"].compile_decoder_for_dem(dem=plain).gadget_events(
        np.ones((4, 1), dtype=np.uint8))
    assert not loud.any() and events.shape == (0, 1)


def test_repeated_rows_are_decoded_once_and_hash_collisions_are_kept_apart():
    from catcode.syndrome_memo import DEDUP_SAMPLE, distinct_rows

    rng = np.random.default_rng(7)
    pool = rng.integers(0, 256, size=(5, 19), dtype=np.uint8)  # 19 bytes: 3 words, padded
    rows = pool[rng.integers(0, 5, size=2 * DEDUP_SAMPLE)]
    distinct, inverse = distinct_rows(rows)
    np.testing.assert_array_equal(distinct[inverse], rows)
    assert len(distinct) == len({r.tobytes() for r in rows}) == 5
    # two 2-word rows whose keys collide (k = w0 * P xor w1): decoded apart, never merged
    prime = 0x100000001B3
    a = np.asarray([0, 12345], dtype=np.uint64)
    b = np.asarray([1, prime ^ 12345], dtype=np.uint64)
    rows = np.stack([a, b] * DEDUP_SAMPLE).view(np.uint8)
    distinct, inverse = distinct_rows(rows)
    np.testing.assert_array_equal(distinct[inverse], rows)
    assert len(distinct) > 1
    # mostly distinct rows are not worth sorting: left to PyMatching as they are
    assert distinct_rows(rng.integers(0, 256, size=(4 * DEDUP_SAMPLE, 9), dtype=np.uint8)) is None


def test_deduplicated_batches_decode_like_shot_by_shot():
    c = heralded_repetition_circuit(5, 5, p_data=0.01, p_meas=0.01, pe_data=0.02, pe_anc=0.02)
    dem = sinter_dem(c)
    dets, _ = sample(c, 4000, seed=99)
    compiled = CUSTOM_DECODERS["pymatching_erasure"].compile_decoder_for_dem(dem=dem)
    batch = compiled.decode_shots_bit_packed(bit_packed_detection_event_data=dets)
    alone = CUSTOM_DECODERS["pymatching_erasure"].compile_decoder_for_dem(dem=dem)  # an empty memo
    alone.memo.enabled = False  # every single shot decoded by PyMatching
    singles = np.concatenate([alone.decode_shots_bit_packed(bit_packed_detection_event_data=dets[i : i + 1])
                              for i in range(0, 4000, 7)])
    np.testing.assert_array_equal(batch[::7], singles)


def test_syndromes_seen_in_earlier_batches_are_answered_from_memory():
    c = heralded_repetition_circuit(5, 5, p_data=0.01, p_meas=0.01, pe_data=0.02, pe_anc=0.02)
    dem = sinter_dem(c)
    dets, _ = sample(c, 3000, seed=5)
    compiled = CUSTOM_DECODERS["pymatching_erasure"].compile_decoder_for_dem(dem=dem)
    expected, _ = frozen_erasure_decode(dem, dets)
    first = compiled.decode_shots_bit_packed(bit_packed_detection_event_data=dets)
    decoded = compiled.memo.decoded
    assert 0 < decoded <= len({row.tobytes() for row in dets})
    again = compiled.decode_shots_bit_packed(bit_packed_detection_event_data=dets[::-1].copy())
    np.testing.assert_array_equal(first, expected)
    np.testing.assert_array_equal(again, expected[::-1])
    assert compiled.memo.decoded == decoded  # nothing new to decode
