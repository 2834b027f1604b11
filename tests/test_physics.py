"""Tests of catcode.physics: hand-computed values from the sources, exact invariants, properties."""

from __future__ import annotations

import dataclasses
import doctest
import itertools
import math

import numpy as np
import pytest
import stim
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catcode import physics
from catcode.errors import CatcodeError
from catcode.physics import (
    OCELOT_KAPPA_1_HZ,
    PAULI_CHANNEL_2_ORDER,
    CatParams,
    Timings,
    TransmonParams,
    cat_bit_flip_rate_hz,
    cat_cat_cx_channel,
    cat_cat_cx_optimal_duration_ns,
    cat_idle_channel,
    cat_measure_x,
    cat_measure_z,
    cat_phase_flip_rate_hz,
    cat_prepare_plus,
    cat_prepare_zero,
    cat_transmon_cx_channel,
    compose_flips,
    compose_pauli_channels,
    flip_probability,
    kappa_2_from_buffer,
    pauli_channel_2_args,
    pauli_probabilities,
    transmon_ancilla_idle_channel,
    transmon_decay_probability,
    transmon_decay_split,
    transmon_dephasing_probability,
    transmon_idle_channel,
)

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


def cat_with(k1_over_k2: float = 1e-3, nbar: float = 4.0, kappa_2_hz: float = 1e7, **kw) -> CatParams:
    return CatParams(nbar=nbar, kappa_1_hz=k1_over_k2 * kappa_2_hz, kappa_2_hz=kappa_2_hz, **kw)


def ocelot_cat(nbar: float, **kw) -> CatParams:
    """Ocelot-like cat: kappa_1 = 1/(60 us) [S x2]; empirical bit flips calibrated to 1 ms at n = 2
    with gamma = 2 (the defaults); kappa_2 = 1e6 s^-1 is a placeholder that idling does not use."""
    return CatParams(nbar=nbar, kappa_1_hz=OCELOT_KAPPA_1_HZ, kappa_2_hz=1e6, bit_flip_model="empirical", **kw)


def test_doctests():
    result = doctest.testmod(physics, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 20
    assert result.failed == 0


# ----------------------------------------------------------------------------- rate -> probability


@pytest.mark.parametrize("rate_hz, duration_ns", [(0.0, 100.0), (1e3, 1.0), (3.3e4, 2800.0), (1e6, 1e4), (1e9, 1e6)])
def test_flip_probability_matches_exp_form(rate_hz, duration_ns):
    t = duration_ns * 1e-9
    assert flip_probability(rate_hz, duration_ns) == pytest.approx((1 - math.exp(-2 * rate_hz * t)) / 2, rel=1e-8, abs=1e-300)


def test_flip_probability_small_time_is_linear_and_saturates_at_half():
    assert flip_probability(1e3, 1.0) == pytest.approx(1e3 * 1e-9, rel=1e-5)
    assert flip_probability(1e12, 1e9) == 0.5
    assert flip_probability(1e4, 0.0) == 0.0


@SETTINGS
@given(
    st.floats(0, 1e7),
    st.floats(0, 1e5),
    st.sampled_from([0, 1, 2]),
)
def test_pauli_probabilities_reduce_to_flip_probability_with_one_rate(rate, duration_ns, which):
    rates = [0.0, 0.0, 0.0]
    rates[which] = rate
    probs = pauli_probabilities(*rates, duration_ns)
    assert probs[which] == pytest.approx(flip_probability(rate, duration_ns), rel=1e-12, abs=1e-300)
    assert [p for i, p in enumerate(probs) if i != which] == [0.0, 0.0]


@SETTINGS
@given(st.floats(0, 1e6), st.floats(0, 1e6), st.floats(0, 1e6), st.floats(0, 1e4))
def test_pauli_probabilities_match_closed_form_of_physics_md(rx, ry, rz, duration_ns):
    t = duration_ns * 1e-9
    e = lambda a, b: math.exp(-2 * (a + b) * t)  # noqa: E731
    expected = (
        0.25 * (1 + e(ry, rz) - e(rx, rz) - e(rx, ry)),
        0.25 * (1 + e(rx, rz) - e(ry, rz) - e(rx, ry)),
        0.25 * (1 + e(rx, ry) - e(ry, rz) - e(rx, rz)),
    )
    got = pauli_probabilities(rx, ry, rz, duration_ns)
    for g, x in zip(got, expected):
        assert 0.0 <= g <= 0.5
        assert g == pytest.approx(x, abs=1e-12)
    assert sum(got) <= 0.75 + 1e-12


def test_compose_flips_hand_values_and_validation():
    assert compose_flips(0.1, 0.2) == pytest.approx(0.26)
    assert compose_flips(0.5, 0.3) == pytest.approx(0.5)
    assert compose_flips(0.0, 0.0) == 0.0
    with pytest.raises(CatcodeError, match=r"\[0, 0.5\]"):
        compose_flips(0.6, 0.1)


def test_compose_pauli_channels_single_qubit_matches_independent_flips():
    qx, qy, qz = 0.01, 0.002, 0.05
    c = compose_pauli_channels(compose_pauli_channels({"X": qx}, {"Y": qy}), {"Z": qz})
    assert c["X"] == pytest.approx(qx * (1 - qy) * (1 - qz) + (1 - qx) * qy * qz)
    assert c["Z"] == pytest.approx(qz * (1 - qx) * (1 - qy) + (1 - qz) * qx * qy)
    assert list(c) == ["X", "Y", "Z"]
    assert list(compose_pauli_channels({"ZZ": 0.1}, {"XI": 0.1})) == list(PAULI_CHANNEL_2_ORDER)


@SETTINGS
@given(
    st.dictionaries(st.sampled_from(PAULI_CHANNEL_2_ORDER), st.floats(0, 0.06), min_size=1),
    st.dictionaries(st.sampled_from(PAULI_CHANNEL_2_ORDER), st.floats(0, 0.06), min_size=1),
)
def test_compose_pauli_channels_is_commutative_and_conserves_probability(a, b):
    ab, ba = compose_pauli_channels(a, b), compose_pauli_channels(b, a)
    for key in PAULI_CHANNEL_2_ORDER:
        assert ab[key] == pytest.approx(ba[key], abs=1e-15)
        assert ab[key] >= 0.0
    p_id = (1 - sum(a.values())) * (1 - sum(b.values())) + sum(a.get(k, 0.0) * b.get(k, 0.0) for k in PAULI_CHANNEL_2_ORDER)
    assert sum(ab.values()) + p_id == pytest.approx(1.0, abs=1e-12)


def _pauli_product(p: str, q: str) -> str:
    """Letter-wise product ignoring phases, from the multiplication table (independent of catcode)."""
    table = {("I", x): x for x in "IXYZ"} | {(x, "I"): x for x in "IXYZ"} | {(x, x): "I" for x in "XYZ"}
    table |= {("X", "Y"): "Z", ("Y", "X"): "Z", ("Y", "Z"): "X", ("Z", "Y"): "X", ("X", "Z"): "Y", ("Z", "X"): "Y"}
    return "".join(table[a, b] for a, b in zip(p, q))


@SETTINGS
@given(
    st.dictionaries(st.sampled_from(PAULI_CHANNEL_2_ORDER), st.one_of(st.just(0.0), st.floats(0, 0.06)), min_size=1),
    st.dictionaries(st.sampled_from(PAULI_CHANNEL_2_ORDER), st.one_of(st.just(0.0), st.floats(0, 0.06)), min_size=1),
)
def test_compose_pauli_channels_equals_the_double_sum_bit_for_bit(a, b):
    # p(R) = sum over P Q = R of a(P) b(Q), identity terms included, summed in a's then b's order:
    # the fast path (XOR codes, zero terms skipped) must give the same floats exactly.
    fa = {**a, "II": max(0.0, 1.0 - sum(a.values()))}
    fb = {**b, "II": max(0.0, 1.0 - sum(b.values()))}
    want = dict.fromkeys(PAULI_CHANNEL_2_ORDER, 0.0)
    for p, pa in fa.items():
        for q, pb in fb.items():
            r = _pauli_product(p, q)
            if r != "II":
                want[r] += pa * pb
    assert compose_pauli_channels(a, b) == want


def test_compose_pauli_channels_rejects_bad_input():
    with pytest.raises(CatcodeError, match="same number of qubits"):
        compose_pauli_channels({"X": 0.1}, {"XX": 0.1})
    with pytest.raises(CatcodeError, match="non-identity"):
        compose_pauli_channels({"II": 0.1}, {"XX": 0.1})
    with pytest.raises(CatcodeError, match="sum to <= 1"):
        compose_pauli_channels({"X": 0.7, "Z": 0.7}, {"X": 0.1})
    with pytest.raises(CatcodeError, match="channel 3 keys must be non-identity"):
        compose_pauli_channels({"ZI": 0.1}, {"IZ": 0.1}, {"II": 0.1})
    with pytest.raises(CatcodeError, match="same number of qubits; got 2 and 1"):
        compose_pauli_channels({"ZI": 0.1}, {"IZ": 0.1}, {"Z": 0.1})


@SETTINGS
@given(st.lists(st.dictionaries(st.sampled_from(PAULI_CHANNEL_2_ORDER), st.floats(0, 0.06), min_size=1), min_size=3, max_size=5))
def test_compose_pauli_channels_of_several_is_the_nested_composition_bit_for_bit(channels):
    nested = compose_pauli_channels(channels[0], channels[1])
    for c in channels[2:]:
        nested = compose_pauli_channels(nested, c)
    assert compose_pauli_channels(*channels) == nested


def test_pauli_channel_2_order_matches_stim_semantics():
    """Each slot of our 15-tuple, alone at probability 1, applies the named Pauli pair in stim."""
    assert PAULI_CHANNEL_2_ORDER == ("IX", "IY", "IZ", "XI", "XX", "XY", "XZ", "YI", "YX", "YY", "YZ", "ZI", "ZX", "ZY", "ZZ")
    for key in PAULI_CHANNEL_2_ORDER:
        args = pauli_channel_2_args({key: 0.5})
        args = tuple(1.0 if a else 0.0 for a in args)  # probability 1 for an exact check
        flips_z = stim.Circuit(f"PAULI_CHANNEL_2{args} 0 1\nM 0 1").compile_sampler().sample(1)[0]
        flips_x = stim.Circuit(f"RX 0 1\nPAULI_CHANNEL_2{args} 0 1\nMX 0 1").compile_sampler().sample(1)[0]
        for q, letter in enumerate(key):
            assert bool(flips_z[q]) == (letter in "XY"), key
            assert bool(flips_x[q]) == (letter in "ZY"), key


def test_pauli_channel_2_args_validation():
    with pytest.raises(CatcodeError, match=r"\[0, 0.5\]"):
        pauli_channel_2_args({"ZI": 0.6})
    with pytest.raises(CatcodeError, match="two-letter"):
        pauli_channel_2_args({"Z": 0.1})
    with pytest.raises(CatcodeError, match="I, X, Y, Z"):
        pauli_channel_2_args({"ZQ": 0.1})


# ----------------------------------------------------------------------------- parameters


def test_kappa_2_from_buffer_is_4_g2_squared_over_kappa_b():
    g2 = 2 * math.pi * 375e3
    kb = 2 * math.pi * 10e6
    expected = 4 * g2**2 / kb  # = 2 pi * 56.25 kHz
    assert kappa_2_from_buffer(g2, kb) == pytest.approx(expected, rel=1e-15)
    assert expected == pytest.approx(2 * math.pi * 56.25e3, rel=1e-12)
    cat = CatParams.from_buffer(g2, kb, nbar=2, kappa_1_hz=OCELOT_KAPPA_1_HZ, n_thermal=0.01)
    assert cat.kappa_2_hz == pytest.approx(expected, rel=1e-15)
    assert cat.n_thermal == 0.01
    with pytest.raises(CatcodeError, match="kappa_2_hz"):
        CatParams.from_buffer(g2, kb, nbar=2, kappa_1_hz=1e4, kappa_2_hz=1e6)
    with pytest.raises(CatcodeError, match=r"g2_hz must be a finite number > 0"):
        kappa_2_from_buffer(0.0, kb)


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        (dict(nbar=0.0), r"nbar must be a finite number > 0; got 0"),
        (dict(nbar=-1.0), r"nbar must be a finite number > 0"),
        (dict(nbar=float("nan")), r"nbar must be a finite number > 0"),
        (dict(kappa_1_hz=0.0), r"kappa_1_hz must be a finite number > 0"),
        (dict(kappa_2_hz=-5.0), r"kappa_2_hz must be a finite number > 0"),
        (dict(kappa_phi_hz=-1.0), r"kappa_phi_hz must be a finite number >= 0"),
        (dict(n_thermal=-0.1), r"n_thermal must be a finite number >= 0"),
        (dict(bit_flip_model="kerr"), r"bit_flip_model must be one of 'two_photon', 'empirical'; got 'kerr'"),
        (dict(bit_flip_time_ref_us=0), r"bit_flip_time_ref_us must be a finite number > 0"),
        (dict(bit_flip_gamma=-1), r"bit_flip_gamma must be a finite number >= 0"),
        (dict(bit_flip_time_convention="T1"), r"must be one of 'rate', 'decay'"),
    ],
)
def test_cat_params_validation_names_the_range(kwargs, pattern):
    base = dict(nbar=2.0, kappa_1_hz=1e4, kappa_2_hz=1e6)
    base.update(kwargs)
    with pytest.raises(CatcodeError, match=pattern):
        CatParams(**base)


def test_cat_params_frozen_and_replace_revalidates():
    cat = CatParams(nbar=2, kappa_1_hz=1e4, kappa_2_hz=1e6)
    assert isinstance(cat.nbar, float)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cat.nbar = 3.0  # type: ignore[misc]
    assert dataclasses.replace(cat, nbar=3).nbar == 3.0
    with pytest.raises(CatcodeError, match="nbar"):
        dataclasses.replace(cat, nbar=0)


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        (dict(t1_us=0), r"t1_us must be a finite number > 0"),
        (dict(t1_us=50, t2_us=101), r"t2_us must be <= 2 \* t1_us = 100 \(T2 <= 2 T1\); got t2_us=101"),
        (dict(readout_error=0.6), r"readout_error must be a probability in \[0, 0.5\]; got 0.6"),
        (dict(reset_error=-0.1), r"reset_error must be a probability in \[0, 0.5\]"),
        (dict(erasure_flagged=1), r"erasure_flagged must be True or False"),
        (dict(flaggable_decay_fraction=1.5), r"flaggable_decay_fraction must be a probability in \[0, 1.0\]"),
    ],
)
def test_transmon_params_validation(kwargs, pattern):
    with pytest.raises(CatcodeError, match=pattern):
        TransmonParams(**kwargs)


def test_transmon_t2_equal_2_t1_allowed():
    assert TransmonParams(t1_us=40, t2_us=80).t2_us == 80.0


def test_timings_defaults_fit_ocelot_cycle():
    t = Timings()
    assert 292 <= t.cx_duration_ns <= 552
    assert t.busy_ns + t.slack_ns == t.cycle_ns
    assert t.slack_ns >= 0


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        (dict(cx_duration_ns=3000), r"cx_duration_ns must be <= cycle_ns = 2800 .*got 3000"),
        (dict(cx_duration_ns=900, cycle_ns=800, ancilla_prep_ns=0, ancilla_measure_ns=0), r"<= cycle_ns = 800"),
        (dict(cx_duration_ns=1000), r"must fit in cycle_ns = 2800: .* = 3500 ns"),
        (dict(cx_duration_ns=0), r"cx_duration_ns must be a finite number > 0"),
        (dict(ancilla_measure_ns=-1), r"ancilla_measure_ns must be a finite number >= 0"),
        (dict(cx_layers=0), r"cx_layers must be an integer >= 1"),
    ],
)
def test_timings_validation_names_the_cycle(kwargs, pattern):
    with pytest.raises(CatcodeError, match=pattern):
        Timings(**kwargs)


# ----------------------------------------------------------------------------- cat at rest


def test_cat_rates_hand_values():
    cat = CatParams(nbar=2, kappa_1_hz=OCELOT_KAPPA_1_HZ, kappa_2_hz=1e6)
    assert cat_phase_flip_rate_hz(cat) == pytest.approx(2 / 60e-6)  # 1/Gamma_Z = 30 us
    assert cat_bit_flip_rate_hz(cat) == pytest.approx(1.1e-3 * 2 * OCELOT_KAPPA_1_HZ * math.exp(-4))
    thermal = dataclasses.replace(cat, n_thermal=0.1, kappa_phi_hz=1e3, dephasing_z_prefactor=0.5)
    assert cat_phase_flip_rate_hz(thermal) == pytest.approx(OCELOT_KAPPA_1_HZ * (2 * 1.2 + 0.1) + 0.5 * 1e3 * 2)


def test_empirical_bit_flip_law_hits_its_reference_point_and_scales():
    cat = ocelot_cat(2.0)
    assert cat_bit_flip_rate_hz(cat) == pytest.approx(1e3)  # 1 / (1 ms)
    assert cat_bit_flip_rate_hz(dataclasses.replace(cat, bit_flip_time_convention="decay")) == pytest.approx(500.0)
    # T_X(n) = T0 e^{gamma n} / n: from n = 2 to n = 3 at gamma = 2 the time grows by e^2 * 2/3.
    ratio = cat_bit_flip_rate_hz(cat) / cat_bit_flip_rate_hz(dataclasses.replace(cat, nbar=3.0))
    assert ratio == pytest.approx(math.exp(2) * 2 / 3)
    steeper = dataclasses.replace(cat, nbar=3.0, bit_flip_gamma=4.3)
    assert cat_bit_flip_rate_hz(cat) / cat_bit_flip_rate_hz(steeper) == pytest.approx(math.exp(4.3) * 2 / 3)


def test_cat_idle_channel_uses_split_bit_flip_and_phase_rates():
    cat = ocelot_cat(2.0)
    px, py, pz = cat_idle_channel(cat, 2800.0)
    assert px == py
    assert (px, py, pz) == pauli_probabilities(500.0, 500.0, 2 / 60e-6, 2800.0)
    assert px == pytest.approx((1 - math.exp(-4 * 500.0 * 2.8e-6)) / 4, rel=1e-12)  # rX = rY makes pX = (1-e^{-4 r t})/4


@pytest.mark.parametrize("duration_ns", [10.0, 2800.0, 10_000.0])
def test_ocelot_idle_cat_bias_above_1e3_at_nbar_4(duration_ns):
    """Ocelot-like cat (kappa_1 = 1/60 us, empirical T_X = 1 ms at n = 2, gamma = 2): pZ/pX > 1e3."""
    px, py, pz = cat_idle_channel(ocelot_cat(4.0), duration_ns)
    assert pz / px > 1e3
    assert pz / (px + py) > 1e3


@SETTINGS
@given(
    duration_ns=st.floats(1.0, 10_000.0),
    t_ref_us=st.floats(1000.0, 1e6),
    gamma=st.floats(2.0, 4.3),
    convention=st.sampled_from(["rate", "decay"]),
    model=st.sampled_from(["empirical", "two_photon"]),
)
def test_bias_above_1e3_property(duration_ns, t_ref_us, gamma, convention, model):
    cat = ocelot_cat(4.0, bit_flip_time_ref_us=t_ref_us, bit_flip_gamma=gamma, bit_flip_time_convention=convention)
    cat = dataclasses.replace(cat, bit_flip_model=model)
    px, _, pz = cat_idle_channel(cat, duration_ns)
    assert px > 0
    assert pz / px > 1e3


cat_strategy = st.builds(
    CatParams,
    nbar=st.floats(0.05, 20.0),
    kappa_1_hz=st.floats(1.0, 1e6),
    kappa_2_hz=st.floats(1e3, 1e9),
    kappa_phi_hz=st.floats(0.0, 1e5),
    dephasing_z_prefactor=st.floats(0.0, 3.0),
    n_thermal=st.floats(0.0, 0.5),
    bit_flip_model=st.sampled_from(["two_photon", "empirical"]),
    bit_flip_time_ref_us=st.floats(1.0, 1e7),
    bit_flip_nbar_ref=st.floats(0.5, 10.0),
    bit_flip_gamma=st.floats(0.0, 5.0),
    bit_flip_time_convention=st.sampled_from(["rate", "decay"]),
)
transmon_strategy = st.builds(
    lambda t1, ratio, ro, rs, flagged, frac: TransmonParams(
        t1_us=t1, t2_us=t1 * ratio, readout_error=ro, reset_error=rs, erasure_flagged=flagged, flaggable_decay_fraction=frac
    ),
    st.floats(1.0, 1000.0),
    st.floats(0.01, 2.0),
    st.floats(0.0, 0.5),
    st.floats(0.0, 0.5),
    st.booleans(),
    st.floats(0.0, 1.0),
)


def _all_in_range(values) -> bool:
    return all(0.0 <= v <= 0.5 for v in values)


@SETTINGS
@given(cat=cat_strategy, duration_ns=st.floats(0.0, 1e6))
def test_cat_idle_probabilities_in_range(cat, duration_ns):
    probs = cat_idle_channel(cat, duration_ns)
    assert _all_in_range(probs)
    assert sum(probs) <= 0.75 + 1e-12


@SETTINGS
@given(
    n1=st.floats(1.0, 9.0),
    dn=st.floats(0.01, 2.0),
    k1=st.floats(10.0, 1e5),
    gamma=st.floats(1.1, 4.3),
    model=st.sampled_from(["two_photon", "empirical"]),
    duration_ns=st.floats(1.0, 5000.0),
)
def test_bit_flip_decreases_and_phase_flip_increases_with_nbar(n1, dn, k1, gamma, model, duration_ns):
    """Valid for nbar > 1/gamma (the n e^{-gamma n} laws); tested on nbar >= 1 with gamma > 1.

    The rates are monotone everywhere. The closed-form p_Z also depends (at second order) on the
    bit-flip rate, so it is monotone in nbar only where phase flips dominate, the regime of a
    stabilised cat (bias > 1); e.g. kappa_1 = 10/s, gamma = 4, nbar = 1 has bias < 1 and is not.
    """
    lo = CatParams(nbar=n1, kappa_1_hz=k1, kappa_2_hz=1e7, bit_flip_model=model, bit_flip_gamma=gamma)
    hi = dataclasses.replace(lo, nbar=n1 + dn)
    px_lo, py_lo, pz_lo = cat_idle_channel(lo, duration_ns)
    px_hi, py_hi, pz_hi = cat_idle_channel(hi, duration_ns)
    assert px_hi + py_hi < px_lo + py_lo
    if cat_phase_flip_rate_hz(lo) > cat_bit_flip_rate_hz(lo):
        assert pz_hi > pz_lo
    assert cat_bit_flip_rate_hz(hi) < cat_bit_flip_rate_hz(lo)
    assert cat_phase_flip_rate_hz(hi) > cat_phase_flip_rate_hz(lo)


# ----------------------------------------------------------------------------- cat-cat CX


@pytest.mark.parametrize("nbar", [1.0, 4.0, 10.0])
def test_cat_cat_cx_hand_check_k1_over_k2_1e_3(nbar):
    """physics.md §3a: k1/k2 = 1e-3 gives p = n k1 T* ~ 8.8e-3 and Z_control = 3p ~ 2.6 %."""
    cat = cat_with(1e-3, nbar=nbar)
    p_expected = math.pi / (8 * math.sqrt(2)) * math.sqrt(1e-3)
    assert p_expected == pytest.approx(8.78e-3, abs=0.01e-3)
    t_star = cat_cat_cx_optimal_duration_ns(cat)
    assert nbar * cat.kappa_1_hz * t_star * 1e-9 == pytest.approx(p_expected, rel=1e-12)
    ch = cat_cat_cx_channel(cat, bit_flip="none")
    assert ch["ZI"] == pytest.approx(3 * p_expected, rel=1e-12)
    assert round(ch["ZI"], 3) == 0.026
    assert ch["IZ"] == pytest.approx(p_expected / 2, rel=1e-12)
    assert ch["ZZ"] == pytest.approx(p_expected / 2, rel=1e-12)
    assert sum(v for k, v in ch.items() if k not in ("ZI", "IZ", "ZZ")) == 0.0


def test_cat_cat_cx_optimal_time_formulas():
    cat = cat_with(1e-4, nbar=3.0, kappa_2_hz=2e6)
    k1, k2, n = cat.kappa_1_hz, cat.kappa_2_hz, cat.nbar
    assert cat_cat_cx_optimal_duration_ns(cat) == pytest.approx(math.pi / (8 * n * math.sqrt(2 * k1 * k2)) * 1e9, rel=1e-12)
    t_gm = cat_cat_cx_optimal_duration_ns(cat, variant="guillaud_mirrahimi")
    assert t_gm == pytest.approx(1 / (2 * n * math.sqrt(math.pi * k1 * k2)) * 1e9, rel=1e-12)
    p_gm = math.sqrt(k1 / k2) / (2 * math.sqrt(math.pi))
    ch = cat_cat_cx_channel(cat, variant="guillaud_mirrahimi", bit_flip="none")
    assert ch["ZI"] == pytest.approx(3 * p_gm, rel=1e-12)
    assert ch["ZZ"] == pytest.approx(p_gm / 2, rel=1e-12)


@pytest.mark.parametrize("variant", ["chamberland", "guillaud_mirrahimi"])
def test_optimal_time_minimises_total_z_error(variant):
    cat = cat_with(3e-4, nbar=5.0)
    t_star = cat_cat_cx_optimal_duration_ns(cat, variant=variant)

    def total_z(t):
        ch = cat_cat_cx_channel(cat, duration_ns=t, variant=variant, bit_flip="none")
        return ch["ZI"] + ch["IZ"] + ch["ZZ"]

    best = total_z(t_star)
    for factor in (0.5, 0.9, 0.99, 1.01, 1.1, 2.0):
        assert total_z(t_star * factor) > best


def test_faster_ancilla_uses_mean_kappa_2_and_own_losses():
    data = CatParams(nbar=4, kappa_1_hz=1e3, kappa_2_hz=1e6)
    ancilla = CatParams(nbar=4, kappa_1_hz=2e3, kappa_2_hz=4e6)
    t_ns = 500.0
    t = t_ns * 1e-9
    ch = cat_cat_cx_channel(ancilla, data, t_ns, bit_flip="none")
    assert ch["ZI"] == pytest.approx(4 * 2e3 * t + math.pi**2 / (64 * 4 * 2.5e6 * t), rel=1e-12)
    assert ch["IZ"] == pytest.approx(4 * 1e3 * t / 2, rel=1e-12)
    assert ch["ZZ"] == pytest.approx(4 * 1e3 * t / 2, rel=1e-12)
    slow = cat_cat_cx_channel(data, data, t_ns, bit_flip="none")
    assert ch["ZI"] - 4 * 2e3 * t < slow["ZI"] - 4 * 1e3 * t  # non-adiabatic term shrinks
    # T* balances loss B = Gamma_Z(control) + Gamma_Z(target) against the mean-k2 term.
    t_star = cat_cat_cx_optimal_duration_ns(ancilla, data) * 1e-9
    assert t_star == pytest.approx(math.sqrt(math.pi**2 / (64 * 4 * 2.5e6) / (4 * 2e3 + 4 * 1e3)), rel=1e-12)


def test_cat_cat_cx_bit_flip_models():
    cat = cat_with(1e-3, nbar=2.0, kappa_2_hz=1e6)
    n, r = 2.0, 1e-3
    at_1_over_k2 = 1e9 / cat.kappa_2_hz
    ab = cat_cat_cx_channel(cat, duration_ns=at_1_over_k2, bit_flip="alice_bob")
    total_ab = 2631 * n * r * math.exp(-2 * n)
    slots = ("XI", "IX", "XX", "YI", "YX", "ZX")
    for key in slots:
        assert ab[key] == pytest.approx(total_ab / 6, rel=1e-12)
    others = set(PAULI_CHANNEL_2_ORDER) - set(slots) - {"ZI", "IZ", "ZZ"}
    assert all(ab[k] == 0.0 for k in others)
    gm = cat_cat_cx_channel(cat, bit_flip="guillaud_mirrahimi")
    total_gm = (5.58 * math.sqrt(r) + 1.68 * r) * math.exp(-2 * n)
    assert sum(gm[k] for k in slots) == pytest.approx(total_gm, rel=1e-12)
    t_ns = 300.0
    idle = cat_cat_cx_channel(cat, duration_ns=t_ns, bit_flip="idle")
    q = flip_probability(cat_bit_flip_rate_hz(cat) / 2, t_ns)
    assert (idle["XI"], idle["YI"], idle["IX"], idle["IY"]) == (q, q, q, q)
    none = cat_cat_cx_channel(cat, duration_ns=t_ns, bit_flip="none")
    assert all(none[k] == 0.0 for k in PAULI_CHANNEL_2_ORDER if "X" in k or "Y" in k)
    # The phase-flip part does not depend on the bit-flip model.
    assert (idle["ZI"], idle["IZ"], idle["ZZ"]) == (none["ZI"], none["IZ"], none["ZZ"])


def test_cat_cat_cx_channel_is_accepted_by_stim():
    ch = cat_cat_cx_channel(cat_with(1e-3, nbar=2.0))
    circuit = stim.Circuit()
    circuit.append("CX", [0, 1])
    circuit.append("PAULI_CHANNEL_2", [0, 1], pauli_channel_2_args(ch))
    assert circuit.num_qubits == 2


def test_cat_cat_cx_rejects_probability_above_half_naming_parameters():
    cat = cat_with(1e-2, nbar=4.0, kappa_2_hz=1e6)
    with pytest.raises(CatcodeError, match=r"probability .* outside \[0, 0.5\] after conversion; reduce duration_ns"):
        cat_cat_cx_channel(cat, duration_ns=1e5)
    with pytest.raises(CatcodeError, match=r"non-adiabatic.*increase duration_ns, nbar or kappa_2_hz"):
        cat_cat_cx_channel(cat, duration_ns=1e-3)
    with pytest.raises(CatcodeError, match=r"variant must be one of 'chamberland', 'guillaud_mirrahimi'"):
        cat_cat_cx_channel(cat, variant="gouzien")
    with pytest.raises(CatcodeError, match=r"bit_flip must be one of"):
        cat_cat_cx_channel(cat, bit_flip="depolarizing")
    with pytest.raises(CatcodeError, match=r"duration_ns must be a finite number > 0"):
        cat_cat_cx_channel(cat, duration_ns=0.0)


@SETTINGS
@given(
    control=cat_strategy,
    target=cat_strategy,
    duration_ns=st.one_of(st.none(), st.floats(0.01, 1e5)),
    variant=st.sampled_from(["chamberland", "guillaud_mirrahimi"]),
    bit_flip=st.sampled_from(["alice_bob", "guillaud_mirrahimi", "idle", "none"]),
)
def test_cat_cat_cx_probabilities_in_range_or_rejected(control, target, duration_ns, variant, bit_flip):
    try:
        ch = cat_cat_cx_channel(control, target, duration_ns, variant=variant, bit_flip=bit_flip)
    except CatcodeError as e:
        assert "0.5" in str(e) or "> 1" in str(e)
        return
    assert set(ch) == set(PAULI_CHANNEL_2_ORDER)
    assert _all_in_range(ch.values())
    assert sum(ch.values()) <= 1.0
    assert len(pauli_channel_2_args(ch)) == 15


# ----------------------------------------------------------------------------- cat prep / measure


def test_cat_preparation_and_measurement_hand_values():
    cat = CatParams(nbar=3, kappa_1_hz=2e3, kappa_2_hz=1e6)
    assert cat_prepare_plus(cat) == (1000.0, pytest.approx(3 * 2e3 * 1e-6), "Z")
    assert cat_prepare_plus(cat, duration_ns=500.0).probability == pytest.approx(3 * 2e3 * 5e-7)
    assert cat_measure_x(cat) == (1000.0, pytest.approx(6e-3), "Z")
    prep0 = cat_prepare_zero(cat)
    assert prep0.duration_ns == pytest.approx(0.1 / (1e6 * 3) * 1e9)
    assert prep0.probability == pytest.approx(0.39 * math.exp(-12))
    assert prep0.pauli == "X"
    mz = cat_measure_z(cat)
    assert mz == (850.0, pytest.approx(math.exp(-1.5 - 2.7)), "X")


def test_cat_preparation_rejects_probability_above_half():
    cat = CatParams(nbar=3, kappa_1_hz=2e3, kappa_2_hz=1e6)
    with pytest.raises(CatcodeError, match=r"outside \[0, 0.5\] after conversion; reduce the preparation time"):
        cat_prepare_plus(cat, duration_ns=1e5)
    with pytest.raises(CatcodeError, match=r"reduce the measurement time .* or kappa_1_hz"):
        cat_measure_x(dataclasses.replace(cat, kappa_2_hz=1e3))


@SETTINGS
@given(cat=cat_strategy)
def test_cat_prep_measure_in_range_or_rejected(cat):
    for op in (cat_prepare_plus, cat_prepare_zero, cat_measure_x, cat_measure_z):
        try:
            result = op(cat)
        except CatcodeError as e:
            assert "0.5" in str(e)
            continue
        assert 0.0 <= result.probability <= 0.5
        assert result.duration_ns > 0


# ----------------------------------------------------------------------------- transmons


def test_transmon_idle_channel_formula():
    tr = TransmonParams(t1_us=40, t2_us=30)
    t = 1.3e-6
    px, py, pz = transmon_idle_channel(tr, 1300.0)
    assert px == py == pytest.approx((1 - math.exp(-t / 40e-6)) / 4, rel=1e-12)
    assert pz == pytest.approx((1 - math.exp(-t / 30e-6)) / 2 - px, rel=1e-10)
    # T2 = 2 T1: pure-amplitude damping twirl, pZ = (1 - e^{-t/2T1})^2 / 4.
    _, _, pz_limit = transmon_idle_channel(TransmonParams(t1_us=40, t2_us=80), 1300.0)
    assert pz_limit == pytest.approx((1 - math.exp(-t / 80e-6)) ** 2 / 4, rel=1e-12)
    assert transmon_dephasing_probability(TransmonParams(t1_us=40, t2_us=80), 1300.0) == 0.0


def test_transmon_decay_split_hand_values():
    tr = TransmonParams(t1_us=50.0)
    x = 0.4 / 50
    heralded, unheralded = transmon_decay_split(tr, 400.0)
    assert heralded == pytest.approx(x * math.exp(-x), rel=1e-12)
    assert unheralded == pytest.approx(1 - math.exp(-x) * (1 + x), rel=1e-9)
    assert heralded + unheralded == pytest.approx(transmon_decay_probability(tr, 400.0), rel=1e-12)
    assert transmon_decay_split(dataclasses.replace(tr, erasure_flagged=False), 400.0) == (0.0, transmon_decay_probability(tr, 400.0))
    h0, u0 = transmon_decay_split(dataclasses.replace(tr, flaggable_decay_fraction=0.0), 400.0)
    assert h0 == 0.0 and u0 == pytest.approx(1 - math.exp(-x))
    e, pz = transmon_ancilla_idle_channel(tr, 400.0)
    assert e == heralded
    assert pz == pytest.approx(compose_flips(transmon_dephasing_probability(tr, 400.0), unheralded / 2))


@SETTINGS
@given(x=st.floats(1e-9, 0.1))
def test_second_decay_series_and_direct_forms_agree(x):
    exact = float(1 - np.exp(-np.longdouble(x)) * (1 + np.longdouble(x)))
    assert physics._at_least_two_decays(x) == pytest.approx(exact, rel=1e-9)


@SETTINGS
@given(transmon=transmon_strategy, duration_ns=st.floats(0.0, 1e6))
def test_transmon_probabilities_in_range(transmon, duration_ns):
    assert _all_in_range(transmon_idle_channel(transmon, duration_ns))
    assert 0.0 <= transmon_dephasing_probability(transmon, duration_ns) <= 0.5
    if duration_ns > math.log(2) * transmon.t1_us * 1e3:
        with pytest.raises(CatcodeError, match=r"outside \[0, 0.5\] after conversion; reduce duration_ns"):
            transmon_decay_split(transmon, duration_ns)
        return
    assert _all_in_range(transmon_decay_split(transmon, duration_ns))
    assert _all_in_range(transmon_ancilla_idle_channel(transmon, duration_ns))
    assert 0.0 <= transmon_dephasing_probability(transmon, duration_ns) <= 0.5
    h, u = transmon_decay_split(transmon, duration_ns)
    assert h + u == pytest.approx(transmon_decay_probability(transmon, duration_ns), rel=1e-9, abs=1e-15)


def test_transmon_decay_probability_above_half_is_rejected():
    with pytest.raises(CatcodeError, match=r"reduce duration_ns .* or increase t1_us"):
        transmon_decay_probability(TransmonParams(t1_us=1.0, t2_us=1.0), 1e4)


# ----------------------------------------------------------------------------- cat-transmon CX


def test_cat_transmon_cx_channel_structure_and_values():
    cat = ocelot_cat(2.0)
    tr = TransmonParams(t1_us=50, t2_us=50)
    t_ns = 400.0
    pauli, erasure = cat_transmon_cx_channel(cat, tr, t_ns, residual_bit_flip=1e-4)
    # No X or Y on the transmon control: they would spread to cat X through a CX.
    assert all(pauli[k] == 0.0 for k in PAULI_CHANNEL_2_ORDER if k[0] in "XY")
    # Cat phase flips split half before (ZZ) and half after (IZ) the gate.
    q_half = flip_probability(cat_phase_flip_rate_hz(cat), t_ns / 2)
    assert pauli["ZZ"] == pytest.approx(q_half, rel=0.02)
    assert pauli["IZ"] == pytest.approx(q_half, rel=0.02)
    assert pauli["ZZ"] == pytest.approx(pauli["IZ"], rel=1e-3)
    # Transmon dephasing + half the unheralded decays -> Z on the transmon.
    _, unheralded = transmon_decay_split(tr, t_ns)
    p_anc = compose_flips(transmon_dephasing_probability(tr, t_ns), unheralded / 2)
    assert pauli["ZI"] == pytest.approx(p_anc, rel=0.03)
    # Erasure = one f->e decay in the gate.
    x = t_ns / 50e3
    assert erasure == pytest.approx(x * math.exp(-x), rel=1e-12)
    # Cat X: the residual plus the cat's own bit flips over the gate.
    px_idle = cat_idle_channel(cat, t_ns / 2)[0]
    assert pauli["IX"] == pytest.approx(1e-4 + 2 * px_idle, rel=0.05)
    assert cat_transmon_cx_channel(cat, tr, t_ns).heralded_pauli_channel_1_args == (erasure / 2, 0.0, 0.0, erasure / 2)


def test_cat_transmon_cx_erasure_off_moves_decays_into_syndrome_errors():
    cat = ocelot_cat(2.0)
    flagged = cat_transmon_cx_channel(cat, TransmonParams(t1_us=30, t2_us=60), 500.0)
    unflagged = cat_transmon_cx_channel(cat, TransmonParams(t1_us=30, t2_us=60, erasure_flagged=False), 500.0)
    assert flagged.erasure > 0 and unflagged.erasure == 0.0
    assert unflagged.pauli["ZI"] > 10 * flagged.pauli["ZI"]
    assert unflagged.pauli["ZI"] == pytest.approx(transmon_decay_probability(TransmonParams(t1_us=30), 500.0) / 2, rel=0.05)


def _two_cx_check_cat_flip_probability(cx_pauli: dict[str, float], herald_args, between: tuple[float, float, float] | None) -> float:
    """Transmon control (|0>) runs CX onto cat 1 then cat 2 (both |0>), the given noise after each
    CX (and ``between`` as a PAULI_CHANNEL_1 on the transmon between the gates); detectors on the
    cats' Z measurements. Returns the total DEM probability of flipping a cat detector."""
    circuit = stim.Circuit()
    circuit.append("R", [0, 1, 2])
    for k, cat in enumerate((1, 2)):
        circuit.append("CX", [0, cat])
        circuit.append("PAULI_CHANNEL_2", [0, cat], pauli_channel_2_args(cx_pauli))
        circuit.append("HERALDED_PAULI_CHANNEL_1", [0], herald_args)
        circuit.append("DETECTOR", [stim.target_rec(-1)], [0, 0, 0, 1])
        if k == 0 and between is not None:
            circuit.append("PAULI_CHANNEL_1", [0], between)
    circuit.append("M", [1, 2])
    circuit.append("DETECTOR", [stim.target_rec(-2)])
    circuit.append("DETECTOR", [stim.target_rec(-1)])
    dem = circuit.detector_error_model(approximate_disjoint_errors=True)
    num_heralds = 2
    total = 0.0
    for inst in dem.flattened():
        if inst.type == "error":
            dets = [t.val for t in inst.targets_copy() if t.is_relative_detector_id()]
            if any(d >= num_heralds for d in dets):
                total += inst.args_copy()[0]
    return total


def test_no_cat_x_from_transmon_faults_in_the_detector_error_model():
    """§3c: transmon faults of the CX model (dephasing, decays, erasures) never reach a cat's Z."""
    cat = dataclasses.replace(ocelot_cat(2.0), bit_flip_model="two_photon", nbar=8.0)  # cat X ~ 1e-11 per gate
    tr = TransmonParams(t1_us=20, t2_us=15)
    ch = cat_transmon_cx_channel(cat, tr, 500.0)
    assert ch.erasure > 0.01 and ch.pauli["ZI"] > 1e-3
    e_idle, pz_idle = transmon_ancilla_idle_channel(tr, 300.0)
    cat_own = 2 * sum(ch.pauli[k] for k in ("IX", "IY", "ZY"))
    flip = _two_cx_check_cat_flip_probability(ch.pauli, ch.heralded_pauli_channel_1_args, (0.0, 0.0, pz_idle))
    assert flip == pytest.approx(cat_own, rel=0.05)  # disjoint -> independent conversion by stim
    assert flip < 1e-10
    # Contrast: the standard twirled transmon idle (X/Y parts) between the CX does reach cat 2.
    flip_twirled = _two_cx_check_cat_flip_probability(ch.pauli, ch.heralded_pauli_channel_1_args, transmon_idle_channel(tr, 300.0))
    assert flip_twirled > 1e-3


@SETTINGS
@given(
    cat=cat_strategy,
    transmon=transmon_strategy,
    duration_ns=st.floats(1.0, 5e4),
    residual=st.floats(0.0, 0.5),
)
def test_cat_transmon_cx_probabilities_in_range_or_rejected(cat, transmon, duration_ns, residual):
    try:
        pauli, erasure = cat_transmon_cx_channel(cat, transmon, duration_ns, residual_bit_flip=residual)
    except CatcodeError as e:
        assert "0.5" in str(e)
        return
    assert _all_in_range(pauli.values())
    assert 0.0 <= erasure <= 0.5
    # The herald is its own HERALDED_PAULI_CHANNEL_1 instruction, independent of the PAULI_CHANNEL_2,
    # so each channel must be valid on its own (checked above and here); their sum need not be <= 1.
    assert sum(pauli.values()) <= 1.0 + 1e-12


def test_cat_transmon_cx_validation():
    cat, tr = ocelot_cat(2.0), TransmonParams()
    with pytest.raises(CatcodeError, match=r"residual_bit_flip must be a probability in \[0, 0.5\]"):
        cat_transmon_cx_channel(cat, tr, 400.0, residual_bit_flip=0.7)
    with pytest.raises(CatcodeError, match=r"cx_duration_ns must be a finite number > 0"):
        cat_transmon_cx_channel(cat, tr, 0.0)
    with pytest.raises(CatcodeError, match=r"increase t1_us"):
        cat_transmon_cx_channel(cat, TransmonParams(t1_us=0.1, t2_us=0.1), 5e3)


def test_all_public_names_exist():
    for name in physics.__all__:
        assert hasattr(physics, name), name
    assert len(set(itertools.chain(physics.__all__))) == len(physics.__all__)


def test_cat_measure_z_duration_is_a_parameter_and_does_not_change_the_fitted_error():
    """Provider: 850 ns and exp(-1.5 - 0.9 n) (docs/physics.md §3b); the duration is now settable."""
    cat = cat_with(nbar=3.0)
    assert cat_measure_z(cat).duration_ns == 850.0
    longer = cat_measure_z(cat, 2000.0)
    assert longer.duration_ns == 2000.0 and longer.probability == pytest.approx(math.exp(-1.5 - 2.7), rel=1e-12)
    with pytest.raises(CatcodeError, match="duration_ns"):
        cat_measure_z(cat, -1.0)
