"""Property-based fuzz of every noise preset parameter and per-node / per-coupling override (issue 14).

Each case sets one parameter (device-wide, or as a layout override) to an adversarial value and
compiles a small memory circuit. The outcome must be either a valid circuit (deterministic
detectors, every noise probability in [0, 1]) or a :class:`CatcodeError` whose message names the
parameter; never another exception, never more than a few seconds.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pytest
import stim
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catcode import Layout, memory_circuit
from catcode.errors import CatcodeError
from catcode.noise import preset
from catcode.noise.cat import _CAT_CAT_TABLE, _OCELOT_TABLE
from catcode.noise.transmon import _TABLE as _TRANSMON_TABLE

FUZZ = settings(max_examples=400, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])

ADVERSARIAL = (
    0, -1, -0.5, 0.1, 0.5, 1, 2, 100, 1500, 1e9, 1e12,
    float("nan"), float("inf"), -float("inf"), 1e300, -1e300, 1e-300, 5e-324, 10**400, -(10**400),
    "0.01", "abc", "", None, True, False, [0.1], {"a": 1},
    np.float64(0.01), np.int64(2), np.float32(1.5), np.bool_(True),
)

#: preset -> (required parameters, parameter names with their scope, layout)
PRESETS = {
    "ocelot": ({}, {n: s.scope for n, s in _OCELOT_TABLE.specs.items()}, lambda: Layout.chain(3)),
    "cat_cat": ({"nbar": 4, "k1_over_k2": 1e-3}, {n: s.scope for n, s in _CAT_CAT_TABLE.specs.items()},
                lambda: Layout.chain(3, ancilla="cat")),
    "transmon": ({}, {n: s.scope for n, s in _TRANSMON_TABLE.specs.items()}, lambda: Layout.rotated_surface(3)),
    "depolarizing": ({"p": 1e-3}, {"p": "device"}, lambda: Layout.chain(3)),
    "biased": ({"p": 1e-3, "eta": 100}, {"p": "device", "eta": "device"}, lambda: Layout.chain(3)),
    "si1000": ({"p": 1e-3}, {"p": "device"}, lambda: Layout.rotated_surface(3)),
}
DEVICE_CASES = [(name, key) for name, (_, keys, _) in PRESETS.items() for key, scope in keys.items() if scope != "buffer"]
OVERRIDE_CASES = [(name, key) for name, (_, keys, _) in PRESETS.items() for key in keys] + [
    (name, "no_such_key") for name in PRESETS
]


def _check_valid(circuit: stim.Circuit) -> None:
    circuit.detector_error_model(approximate_disjoint_errors=True)  # raises on a non-deterministic detector
    for inst in circuit.flattened():
        if stim.gate_data(inst.name).is_noisy_gate:
            args = inst.gate_args_copy()
            assert all(0.0 <= a <= 1.0 for a in args), str(inst)


def _outcome(build, key: str) -> None:
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # allow_extrapolation=True warns by design
        try:
            _check_valid(build())
        except CatcodeError as exc:
            assert key in str(exc), f"message does not name {key!r}: {exc}"
            assert "\n" not in str(exc)
    assert time.perf_counter() - start < 5.0


def _set_override(layout: Layout, scope: str, key: str, value: object) -> Layout:
    """Put ``key=value`` on a node or coupling of ``layout`` that fits ``scope``.

    Written into the graph directly, so the preset's own validation is what is tested (the
    layout's ``with_params`` checks are layout.py's).
    """
    g = layout.graph
    if scope == "edge":
        a, b = next(iter(g.edges()))
        g.edges[a, b]["params"] = {key: value}
        return layout
    if scope == "buffer":
        buffers = [n for n, d in g.nodes(data=True) if d["kind"] == "buffer"]
        if buffers:
            g.nodes[buffers[0]]["params"] = {key: value}
            return layout
    node = layout.ancilla_qubits[0] if scope == "transmon" else layout.data_qubits[0]
    g.nodes[node]["params"] = {key: value}
    return layout


@FUZZ
@given(case=st.sampled_from(DEVICE_CASES), value=st.sampled_from(ADVERSARIAL))
def test_device_parameter_gives_a_valid_circuit_or_a_named_error(case, value):
    name, key = case
    required, _, layout = PRESETS[name]
    _outcome(lambda: memory_circuit(layout(), preset(name, **{**required, key: value}), rounds=2, basis="X"), key)


@FUZZ
@given(case=st.sampled_from(OVERRIDE_CASES), value=st.sampled_from(ADVERSARIAL))
def test_layout_override_gives_a_valid_circuit_or_a_named_error(case, value):
    name, key = case
    required, keys, layout = PRESETS[name]
    model = preset(name, **required)
    _outcome(lambda: memory_circuit(_set_override(layout(), keys.get(key, "cat"), key, value), model, rounds=2, basis="X"), key)


@pytest.mark.parametrize("name", ["depolarizing", "biased", "si1000"])
def test_generic_presets_reject_every_override_naming_node_key_and_valid_keys(name):
    required, _, layout = PRESETS[name]
    lay = layout().with_params("D1", p=0.01)
    with pytest.raises(CatcodeError, match=r"layout node 'D1' has override 'p', which noise preset .* cannot use; valid override names: none"):
        memory_circuit(lay, preset(name, **required), rounds=2, basis="X")


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        (dict(name="ocelot", bit_flip_gamma=1500), r"bit_flip_gamma must be a finite number >= 0 and <= 10; got 1500"),
        (dict(name="ocelot", nbar=10**400), r"nbar must be a finite number > 0; got 1e\+400 \(approx.\)"),
        (dict(name="ocelot", nbar=1e-6), r"nbar = 1e-06 is outside \[0.75, 12\].*allow_extrapolation=True"),
        (dict(name="depolarizing", p=10**400), r"p must be a probability in \[0, 0.5\]"),
        (dict(name="depolarizing", p=0.7), r"p must be a probability in \[0, 0.5\]; got 0.7"),
        (dict(name="cat_cat", nbar=1e300, k1_over_k2=1e-3), r"nbar = 1e\+300 is outside \[1, 30\]"),
        (dict(name="transmon", cx_duration_ns=1e308), r"cx_duration_ns must be a finite number > 0 and <= 1e\+09"),
        (dict(name="transmon", ancilla_prep_ns=-1), r"ancilla_prep_ns must be a finite number >= 0 and <= 1e\+09; got -1"),
    ],
)
def test_issue_14_examples_are_named_errors(kwargs, pattern):
    name = kwargs.pop("name")
    with pytest.raises(CatcodeError, match=pattern):
        preset(name, **kwargs)


def test_extrapolation_is_an_explicit_opt_in_with_a_warning():
    with pytest.warns(UserWarning, match=r"nbar = 0.5 is outside \[0.75, 12\]"):
        circuit = memory_circuit(Layout.chain(3), preset("ocelot", nbar=0.5, allow_extrapolation=True), rounds=2, basis="X")
    _check_valid(circuit)


def test_denormal_coherence_time_saturates_instead_of_dividing_by_zero():
    # t2_us = 5e-324 us: complete dephasing (Z with 1/2 on the transmon), not ZeroDivisionError
    circuit = memory_circuit(Layout.chain(3), preset("ocelot", t2_us=5e-324), rounds=2, basis="X")
    _check_valid(circuit)
