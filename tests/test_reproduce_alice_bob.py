"""Reproduction: catcode's cat-cat channels equal Alice & Bob's provider formulas, in the circuit.

The expected values below are re-derived here from the Alice & Bob ``qiskit-alice-bob-provider``
(``qiskit_alice_bob_provider/processor/physical_cat.py`` and ``processor/utils.py``, read
2026-11; docs/physics.md §1-§3b), without calling ``catcode.physics``. They are compared with the
probabilities present in the compiled noisy circuit, found by walking its instructions layer by
layer and by tag, so the test covers the noise pass as well as the formulas.

Slot and duration conventions of the provider: every operation lasts 1/k2 except |0> preparation
(0.1 / (k2 n)) and Z readout (850 ns); a round is 5 slots of 1/k2, ordered prep | CX | idle | CX |
measure as in Le Régent et al.'s ``qsim/logical_gate/lidle.py`` (docs/physics.md §3a′).
"""

from __future__ import annotations

import decimal
import math
from decimal import Decimal

import pytest
import stim

from catcode.compiler import memory_circuit
from catcode.layout import Layout
from catcode.noise import cat_cat
from catcode.verify import verify_memory_circuit

K2_HZ = 1e6  # cat_cat's default time unit
GRID = [(n, r) for n in (4.0, 8.0, 12.0) for r in (1e-4, 1e-3, 1e-2)]
REL = 1e-9

# Stim's PAULI_CHANNEL_2 argument order: first letter on the first target (the control).
STIM_ORDER = [a + b for a in "IXYZ" for b in "IXYZ"][1:]


# ----------------------------------------------------------------- the provider's formulas
def ab_full_flip(rx: float, ry: float, rz: float) -> tuple[float, float, float]:
    """utils.full_flip_error: exact Pauli probabilities of linearised rates (t already folded in).

    pX = (1 + e^{-2(rY+rZ)} - e^{-2(rX+rZ)} - e^{-2(rX+rY)}) / 4, cyclically. Evaluated with 40
    significant digits: in float64 the cancellation costs ~1e-6 relative when pX ~ 1e-11 (the
    provider's own numbers carry that rounding), which a 1e-9 comparison must not inherit.
    """
    def one(a: float, b: float, c: float) -> float:
        with decimal.localcontext() as ctx:
            ctx.prec = 40
            a, b, c = Decimal(a), Decimal(b), Decimal(c)
            e = lambda x: (-2 * x).exp()  # noqa: E731
            return float((1 + e(b + c) - e(a + c) - e(a + b)) / 4)
    return one(rx, ry, rz), one(ry, rz, rx), one(rz, rx, ry)


def ab_idle(n: float, k1: float, t: float) -> tuple[float, float, float]:
    """physical_cat._idle_error: bit flip 0.5 * 1.1e-3 n k1 e^{-2n} t each for X and Y; Z n k1 t."""
    bit = 0.5 * 1.1e-3 * n * k1 * math.exp(-2 * n) * t
    return ab_full_flip(bit, bit, k1 * n * t)


def ab_cx(n: float, k1: float, k2: float) -> dict[str, float]:
    """physical_cat._cx_error at t = 1/k2, relabelled from Qiskit's little-endian labels to stim's.

    Qiskit labels read right to left (the last letter is qubit 0, the control): their 'IZ' is Z on
    the control, 'ZI' Z on the target; their six bit-flip labels IX, XX, XI, IY, XY, XZ are, control
    first, XI, XX, IX, YI, YX, ZX.
    """
    t = 1 / k2
    zi = n * k1 * t + math.pi**2 / 64 / n / k2 / t
    zz = 0.5 * n * k1 * t
    bit = 2631 * n * k1 * math.exp(-2 * n) * t / 6
    qiskit = {"IZ": zi, "ZZ": zz, "ZI": zz, "IX": bit, "XX": bit, "XI": bit, "IY": bit, "XY": bit, "XZ": bit}
    return {label[::-1]: p for label, p in qiskit.items()}


def ab_duration_s(op: str, n: float, k2: float) -> float:
    """Durations of the provider: p0 0.1/(k2 n), mz 850 ns, everything else 1/k2."""
    return {"R": 0.1 / k2 / n, "M": 850e-9}.get(op, 1 / k2)


# ----------------------------------------------------------------- walking the circuit
def layers(circuit: stim.Circuit) -> list[list[stim.CircuitInstruction]]:
    out: list[list[stim.CircuitInstruction]] = [[]]
    for inst in circuit.flattened():
        if inst.name == "TICK":
            out.append([])
        elif inst.name not in ("DETECTOR", "OBSERVABLE_INCLUDE", "SHIFT_COORDS", "QUBIT_COORDS"):
            out[-1].append(inst)
    return [layer for layer in out if layer]


OPS = {"RX", "R", "CX", "MX", "M"}


def check_circuit(circuit: stim.Circuit, n: float, r: float) -> set[str]:
    """Assert every noise instruction equals the provider's value; return the kinds checked."""
    k1 = r * K2_HZ
    seen: set[str] = set()

    def close(got, want, what):
        assert got == pytest.approx(want, rel=REL, abs=0), f"{what} at n={n}, k1/k2={r}"
        seen.add(what)

    for layer in layers(circuit):
        ops = [i for i in layer if i.name in OPS]
        layer_s = max((ab_duration_s(i.name, n, K2_HZ) for i in ops), default=0.0)
        op_of = {t.value: i.name for i in ops for t in i.targets_copy()}
        for k, inst in enumerate(layer):
            args = inst.gate_args_copy()
            targets = [t.value for t in inst.targets_copy()]
            if inst.name in OPS:
                continue
            if inst.tag == "idle_slot":
                for got, want in zip(args, ab_idle(n, k1, 1 / K2_HZ)):
                    close(got, want, "idle slot")
                continue
            prev, nxt = layer[k - 1].name if k else None, layer[k + 1].name if k + 1 < len(layer) else None
            if inst.name == "Z_ERROR" and prev == "RX":
                close(args[0], n * k1 / K2_HZ, "prepare |+>")
            elif inst.name == "X_ERROR" and prev == "R":
                close(args[0], 0.39 * math.exp(-4 * n), "prepare |0>")
            elif inst.name == "Z_ERROR" and nxt == "MX":
                close(args[0], n * k1 / K2_HZ, "measure X")
            elif inst.name == "X_ERROR" and nxt == "M":
                close(args[0], math.exp(-1.5 - 0.9 * n), "measure Z")
            elif inst.name == "PAULI_CHANNEL_2":
                want = ab_cx(n, k1, K2_HZ)
                for label, got in zip(STIM_ORDER, args):
                    kind = "CX phase flip" if set(label) <= {"I", "Z"} else "CX bit flip"
                    close(got, want.get(label, 0.0), kind)
            elif inst.name == "PAULI_CHANNEL_1":
                for q in targets:
                    # A qubit acted on in this layer waits for the rest of it; others idle all of it.
                    own = ab_duration_s(op_of[q], n, K2_HZ) if q in op_of else 0.0
                    assert layer_s > own, f"noise on qubit {q} that has no time to idle ({inst})"
                    for got, want in zip(args, ab_idle(n, k1, layer_s - own)):
                        close(got, want, "idle (layer = longest operation)" if q not in op_of else "pad")
            else:
                raise AssertionError(f"unexpected noise instruction {inst} in layer {layer}")
    return seen


@pytest.mark.parametrize(("nbar", "k1_over_k2"), GRID)
def test_alice_bob_convention_reproduces_provider_channels(nbar, k1_over_k2):
    model = cat_cat(nbar=nbar, k1_over_k2=k1_over_k2, convention="alice_bob", cx_bit_flip="alice_bob")
    layout = Layout.chain(3, ancilla="cat")
    seen = set()
    for basis in "XZ":
        seen |= check_circuit(memory_circuit(layout, model, rounds=3, basis=basis), nbar, k1_over_k2)
    assert seen == {
        "idle slot", "prepare |+>", "prepare |0>", "measure X", "measure Z", "CX phase flip", "CX bit flip",
        "idle (layer = longest operation)", "pad",
    }


def test_alice_bob_round_has_five_slots_of_one_over_kappa_2():
    """Per round, a bulk data cat accumulates Z over 5 slots of 1/k2 of which 2 are CX gates."""
    n, r = 8.0, 1e-3
    circuit = memory_circuit(Layout.chain(3, ancilla="cat"), cat_cat(nbar=n, k1_over_k2=r), rounds=3, basis="X")
    body = next(i for i in circuit if isinstance(i, stim.CircuitRepeatBlock)).body_copy()
    # prep | CX | idle slot | CX | measure (Le Régent et al.'s lidle.py): the idle slot of every cat
    # is emitted in the first CX layer, after its gates.
    assert len(layers(body)) == 4
    slot = [i for i in body if i.name == "PAULI_CHANNEL_1" and i.tag]
    assert {i.tag for i in slot} == {"idle_slot"}
    assert sorted(t.value for i in slot for t in i.targets_copy()) == list(range(5))
    first_cx_layer = layers(body)[1]
    assert first_cx_layer[0].name == "CX" and all(i in first_cx_layer for i in slot)
    # The bulk data cat D2 (qubit 2): idle in prep and measure layers, idle slot, two CX at 1/k2.
    k1 = r * K2_HZ
    pz_idle = [i.gate_args_copy()[2] for i in body if i.name == "PAULI_CHANNEL_1" and 2 in [t.value for t in i.targets_copy()]]
    assert pz_idle == pytest.approx([ab_idle(n, k1, 1 / K2_HZ)[2]] * 3, rel=REL)


@pytest.mark.parametrize("convention", ["alice_bob", "guillaud_mirrahimi"])
@pytest.mark.parametrize("basis", ["X", "Z"])
def test_every_convention_gives_valid_circuits(convention, basis):
    """Deterministic detectors, counts, and graphlike distance d (X basis: Z noise; Z basis: 1)."""
    for d in (3, 5):
        layout = Layout.chain(d, ancilla="cat")
        model = cat_cat(nbar=6, k1_over_k2=1e-3, convention=convention)
        circuit = memory_circuit(layout, model, rounds=d, basis=basis)
        verify_memory_circuit(circuit, layout, rounds=d, basis=basis, distance=d if basis == "X" else 1)
        z_only = _z_only(circuit)
        dist = len(z_only.shortest_graphlike_error()) if basis == "X" else None
        assert dist in (d, None)


def _z_only(circuit: stim.Circuit) -> stim.DetectorErrorModel:
    """DEM of the circuit with every X and Y component of the noise removed."""
    out = stim.Circuit()
    for inst in circuit.flattened():
        args = inst.gate_args_copy()
        if inst.name == "PAULI_CHANNEL_1":
            inst = stim.CircuitInstruction("Z_ERROR", inst.targets_copy(), [args[2]])
        elif inst.name == "PAULI_CHANNEL_2":
            keep = [p if set(lbl) <= {"I", "Z"} else 0.0 for lbl, p in zip(STIM_ORDER, args)]
            inst = stim.CircuitInstruction("PAULI_CHANNEL_2", inst.targets_copy(), keep)
        elif inst.name == "X_ERROR":
            continue
        out.append(inst)
    return out.detector_error_model(decompose_errors=True, approximate_disjoint_errors=True)


@pytest.mark.parametrize("convention", ["alice_bob", "guillaud_mirrahimi"])
def test_layer_duration_is_the_longest_operation(convention):
    """Idle channels match the longest operation of each layer, with durations derived here."""
    n, r = 4.0, 1e-3
    k1 = r * K2_HZ
    model = cat_cat(nbar=n, k1_over_k2=r, convention=convention)
    t_star = math.pi / (8 * n * math.sqrt(2 * k1 * K2_HZ))  # docs/physics.md §3a
    slot = 1 / K2_HZ if convention == "alice_bob" else t_star
    durations = {"RX": slot, "MX": slot, "CX": slot, "R": 0.1 / K2_HZ / n, "M": 850e-9}
    circuit = memory_circuit(Layout.chain(3, ancilla="cat"), model, rounds=2, basis="Z")
    checked = 0
    for layer in layers(circuit):
        ops = [i for i in layer if i.name in OPS]
        if not ops:
            continue
        longest = max(durations[i.name] for i in ops)
        touched = {t.value for i in ops for t in i.targets_copy()}
        idle = [i for i in layer if i.name == "PAULI_CHANNEL_1" and not {t.value for t in i.targets_copy()} & touched]
        for inst in idle:
            assert inst.gate_args_copy()[2] == pytest.approx(ab_idle(n, k1, longest)[2], rel=REL)
            checked += 1
    assert checked >= 4
