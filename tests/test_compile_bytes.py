"""Byte identity of compiled circuits across a matrix of layouts, presets, rounds and bases.

The oracle is the *previous implementation*: ``tests/data/compile_bytes.json`` holds the sha256 of
``str(memory_circuit(...))`` for every case below, generated from the compiler and noise pass as
they were before the text-emitting rewrite (commit 8f93a52), and never regenerated since. Any
change of a single byte in any case (an argument's formatting, an instruction's order, a fused
or split target list) fails the test. Cases a preset does not support (it raises
``CatcodeError``) are recorded as such and must still raise.

Regenerating (``python tests/test_compile_bytes.py``) is only legitimate when a brief names a
change to the circuits.
"""

from __future__ import annotations

import hashlib
import json
import pathlib
import sys

import pytest

from catcode import CatcodeError, Layout, memory_circuit, noise

DATA = pathlib.Path(__file__).parent / "data" / "compile_bytes.json"

LAYOUTS = {
    "chain3_transmon": lambda: Layout.chain(3),
    "chain5_transmon": lambda: Layout.chain(5),
    "chain3_cat": lambda: Layout.chain(3, ancilla="cat"),
    "chain5_cat": lambda: Layout.chain(5, ancilla="cat"),
    "ocelot": lambda: Layout.ocelot(),
    "ocelot_overrides": lambda: Layout.ocelot().with_params("D2", kappa_1_hz=2e4).with_params(("A1", "D1"), cx_duration_ns=352),
    "rotated3": lambda: Layout.rotated_surface(3),
    "rotated5": lambda: Layout.rotated_surface(5),
    "rect53_transmon": lambda: Layout.rectangular_surface(5, 3),
    "rect53_cat": lambda: Layout.rectangular_surface(5, 3, ancilla="cat"),
    "ldpc45": lambda: Layout.ldpc_cat(4, 5),
    "chain15_transmon": lambda: Layout.chain(15),
    "rotated7": lambda: Layout.rotated_surface(7),
}

PRESETS = {
    "ideal": lambda: None,
    "depolarizing": lambda: noise.depolarizing(1e-3),
    "biased": lambda: noise.biased(1e-3, eta=100),
    "si1000": lambda: noise.si1000(1e-3),
    "ocelot": lambda: noise.ocelot(nbar=2.0),
    "cat_cat": lambda: noise.cat_cat(nbar=4.0, k1_over_k2=1e-3),
    "cat_cat_gm": lambda: noise.cat_cat(nbar=4.0, k1_over_k2=1e-3, convention="guillaud_mirrahimi"),
    "transmon": lambda: noise.transmon(),
}

ROUNDS = (1, 2, 5)
BASES = ("X", "Z")


def cases() -> list[tuple[str, str, int, str]]:
    return [(lay, pre, r, b) for lay in LAYOUTS for pre in PRESETS for r in ROUNDS for b in BASES]


def case_id(lay: str, pre: str, rounds: int, basis: str) -> str:
    return f"{lay}/{pre}/r{rounds}/{basis}"


def digest(lay: str, pre: str, rounds: int, basis: str, layout: Layout | None = None) -> str:
    """sha256 of the compiled circuit's text, or ``"error"`` if the preset rejects the layout.

    ``layout`` is the object to compile on (a new ``LAYOUTS[lay]()`` by default)."""
    try:
        layout = LAYOUTS[lay]() if layout is None else layout
        circuit = memory_circuit(layout, PRESETS[pre](), rounds=rounds, basis=basis)
    except CatcodeError:
        return "error"
    return hashlib.sha256(str(circuit).encode()).hexdigest()


def _expected() -> dict[str, str]:
    return json.loads(DATA.read_text())


@pytest.mark.parametrize("lay", sorted(LAYOUTS))
def test_circuits_are_byte_identical_to_the_previous_implementation(lay):
    want = _expected()
    mismatches = []
    for lay_, pre, r, b in cases():
        if lay_ != lay:
            continue
        key = case_id(lay, pre, r, b)
        got = digest(lay, pre, r, b)
        if got != want[key]:
            mismatches.append(f"{key}: {want[key][:12]} -> {got[:12]}")
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("lay", sorted(LAYOUTS))
def test_circuits_compiled_on_one_reused_layout_object_are_byte_identical_too(lay):
    """The warm path: every case of ``lay`` compiled on one layout object, in reverse order, so
    each compile finds what the compiler and the noise pass derived from the layout for earlier
    cases (other rounds, bases and presets), as in a sweep (``experiment.build_layout`` hands
    consecutive points the same object)."""
    want = _expected()
    layout = LAYOUTS[lay]()
    mismatches = []
    for _, pre, r, b in reversed([c for c in cases() if c[0] == lay]):
        key = case_id(lay, pre, r, b)
        got = digest(lay, pre, r, b, layout)
        if got != want[key]:
            mismatches.append(f"{key}: {want[key][:12]} -> {got[:12]}")
    assert not mismatches, "\n".join(mismatches)


def test_oracle_covers_the_matrix_and_enough_valid_cases():
    want = _expected()
    assert set(want) == {case_id(*c) for c in cases()}
    assert sum(v != "error" for v in want.values()) >= 150


if __name__ == "__main__":  # regenerate the oracle (see the module docstring)
    out = {case_id(*c): digest(*c) for c in cases()}
    DATA.write_text(json.dumps(out, indent=0, sort_keys=True) + "\n")
    print(f"{sum(v != 'error' for v in out.values())} valid, {sum(v == 'error' for v in out.values())} errors", file=sys.stderr)
