"""Rotated surface code compiled by catcode's own compiler, checked against Stim's generator."""

import numpy as np
import pytest
import sinter
import stim

from catcode import Layout, memory_circuit, noise
from catcode.verify import verify_memory_circuit


def _stim_surface(d, rounds, basis, p):
    return stim.Circuit.generated(
        f"surface_code:rotated_memory_{basis.lower()}", distance=d, rounds=rounds, after_clifford_depolarization=p,
        before_round_data_depolarization=p, before_measure_flip_probability=p, after_reset_flip_probability=p,
    )


def _errors_by_coordinates(circuit: stim.Circuit) -> dict:
    """Error mechanisms keyed by the coordinates of the detectors they flip (a relabelling-free form)."""
    coords = circuit.get_detector_coordinates()
    out: dict = {}
    for inst in circuit.detector_error_model(decompose_errors=True).flattened():
        if inst.type != "error":
            continue
        key = tuple(sorted(
            str(tuple(coords[t.val])) if t.is_relative_detector_id() else str(t)
            for t in inst.targets_copy() if not t.is_separator()
        ))
        q = inst.args_copy()[0]
        p = out.get(key, 0.0)
        out[key] = p * (1 - q) + q * (1 - p)
    return out


@pytest.mark.parametrize("d", [2, 3, 4, 5, 7])
@pytest.mark.parametrize("basis", "XZ")
def test_structure_and_distance(d, basis):
    layout = Layout.rotated_surface(d)
    assert layout.num_qubits == 2 * d * d - 1
    c = memory_circuit(layout, noise.depolarizing(1e-3), rounds=d, basis=basis)
    verify_memory_circuit(c, layout, rounds=d, basis=basis, distance=d)
    n_x = sum(1 for s in layout.stabilizers if s.basis == "X")
    n_z = len(layout.stabilizers) - n_x
    assert (n_x, n_z) == ((d * d - 1) // 2, (d * d - 1) // 2) if d % 2 else (d * d // 2, d * d // 2 - 1)
    same, other = (n_x, n_z) if basis == "X" else (n_z, n_x)
    assert c.num_detectors == same * (d + 1) + other * (d - 1)


@pytest.mark.parametrize("d, rounds", [(2, 2), (3, 3), (5, 5), (3, 7)])
@pytest.mark.parametrize("basis", "XZ")
def test_dem_equals_stims_up_to_relabelling(d, rounds, basis):
    ours = memory_circuit(Layout.rotated_surface(d), noise.depolarizing(2e-3), rounds=rounds, basis=basis)
    ref = _stim_surface(d, rounds, basis, 2e-3)
    a, b = _errors_by_coordinates(ours), _errors_by_coordinates(ref)
    assert a.keys() == b.keys()
    for key in a:
        assert a[key] == pytest.approx(b[key], rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("d, p, basis", [(3, 0.01, "X"), (3, 0.006, "Z"), (5, 0.008, "Z")])
def test_logical_rate_matches_stim(d, p, basis):
    tasks = [
        sinter.Task(circuit=memory_circuit(Layout.rotated_surface(d), noise.depolarizing(p), rounds=d, basis=basis), json_metadata={"src": "catcode"}),
        sinter.Task(circuit=_stim_surface(d, d, basis, p), json_metadata={"src": "stim"}),
    ]
    stats = {s.json_metadata["src"]: s for s in sinter.collect(num_workers=1, tasks=tasks, decoders=["pymatching"], max_shots=20_000)}
    rates = {k: s.errors / s.shots for k, s in stats.items()}
    sigma = np.sqrt(sum(r * (1 - r) / stats[k].shots for k, r in rates.items()))
    assert rates["stim"] > 0
    assert abs(rates["catcode"] - rates["stim"]) <= 5 * sigma


def test_hadamard_basis_changes_are_tagged_layers():
    c = memory_circuit(Layout.rotated_surface(3), None, rounds=1, basis="X")
    assert {i.tag for i in c.flattened() if i.name == "H"} == {"basis_change:transmon"}


@pytest.mark.parametrize("d", [3, 5])
@pytest.mark.parametrize("basis", "XZ")
def test_si1000_surface_code_structure(d, basis):
    layout = Layout.rotated_surface(d)
    c = memory_circuit(layout, noise.si1000(1e-3), rounds=d, basis=basis)
    verify_memory_circuit(c, layout, rounds=d, basis=basis, distance=d)
    args = {i.name: set() for i in c.flattened()}
    for i in c.flattened():
        args[i.name].update(i.gate_args_copy())
    # Gidney et al. (2021) SI1000: 2p reset flips, 5p measurement flips, p two-qubit depolarisation,
    # p/10 one-qubit and gate-layer idle, 2p idle during measurement and reset layers.
    assert args["DEPOLARIZE2"] == {1e-3}
    assert args["DEPOLARIZE1"] == {1e-4, 2e-3}
    assert args["X_ERROR"] | args.get("Z_ERROR", set()) == {2e-3, 5e-3}


def test_si1000_rejects_p_that_makes_5p_invalid():
    with pytest.raises(Exception, match=r"\[0, 0.1\]"):
        noise.si1000(0.2)
