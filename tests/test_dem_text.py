"""Tests of catcode.rare._dem_text: the vectorised reading of a DEM's error lines.

The reference is stim's own parse of the same text (its instruction objects), read in a plain
Python loop, so every expected value comes from stim, not from the code under test.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import stim

from catcode import Layout, memory_circuit, noise
from catcode.errors import CatcodeError
from catcode.rare._dem_text import _numbers, parse_error_lines


def stims_reading(dem: stim.DetectorErrorModel) -> tuple[list[float], list[list[int]]]:
    """Probabilities and coded targets (Dk -> k, Lk -> -2 - k, ^ -> -1) of each error, from stim's objects."""
    probabilities, targets = [], []
    for inst in dem.flattened():
        if inst.type != "error":
            continue
        probabilities.append(inst.args_copy()[0])
        coded = []
        for t in inst.targets_copy():
            if t.is_separator():
                coded.append(-1)
            elif t.is_relative_detector_id():
                coded.append(t.val)
            else:
                coded.append(-2 - t.val)
        targets.append(coded)
    return probabilities, targets


def assert_reads_as_stim_does(dem: stim.DetectorErrorModel) -> None:
    p, ptr, t = parse_error_lines(str(dem.flattened()))
    want_p, want_t = stims_reading(dem)
    assert p.dtype == np.float64 and ptr.dtype == np.int64 and t.dtype == np.int64
    assert p.tolist() == want_p  # exact: the same decimal text, correctly rounded both ways
    assert [t[ptr[i]:ptr[i + 1]].tolist() for i in range(len(p))] == want_t


def test_reads_a_hand_written_dem_as_stim_does():
    """Separators, observables, cancelling repeats, coordinates, a tag, a target-free error, big indices."""
    assert_reads_as_stim_does(stim.DetectorErrorModel(
        "error(0.1) D0 L0 ^ D1 L0 L1\n"
        "error(0) D1\n"
        "detector(0, -1, 2.5) D2\n"
        "error[a tag (with) spaces](0.01) D1 ^ D2 L1\n"
        "logical_observable L3\n"
        "error(1e-300) L12345 D987654\n"
        "repeat 2 {\n    error(0.125) D0 D1\n    shift_detectors 2\n}\n"
        "error(0.2)\n"
    ))


@pytest.mark.parametrize("decompose", [False, True])
def test_reads_catcode_and_stim_circuits_dems_as_stim_does(decompose):
    """Tagged (cat-ancilla chain), biased (Ocelot) and circuit-noise (surface, Stim's generator) models."""
    circuits = [
        memory_circuit(Layout.ocelot(), noise.ocelot(nbar=1.5), rounds=5, basis="X"),
        memory_circuit(Layout.chain(7, "cat"), noise.cat_cat(nbar=8, k1_over_k2=1e-3), rounds=7, basis="X"),
        stim.Circuit.generated("surface_code:rotated_memory_x", distance=5, rounds=5, after_clifford_depolarization=1e-3,
                               before_measure_flip_probability=2e-3, after_reset_flip_probability=3e-3),
    ]
    for circuit in circuits:
        dem = circuit.detector_error_model(decompose_errors=decompose, approximate_disjoint_errors=True)
        assert "error" in str(dem)
        assert_reads_as_stim_does(dem)


def test_empty_texts_and_indented_lines():
    p, ptr, t = parse_error_lines("")
    assert (p.tolist(), ptr.tolist(), t.tolist()) == ([], [0], [])
    p, ptr, t = parse_error_lines("detector D0\n")
    assert (p.tolist(), ptr.tolist(), t.tolist()) == ([], [0], [])
    p, ptr, t = parse_error_lines("  error(0.5) D0\n    error(0.25) L0 D1")
    assert (p.tolist(), ptr.tolist(), t.tolist()) == ([0.5, 0.25], [0, 1, 3], [0, -2, 1])


@pytest.mark.parametrize("text, token", [
    ("error(0.1) D1 X3", "X3"),
    ("error(0.1) Dx", "Dx"),
    ("error(0.1) L", "L"),
    ("error(0.1) D1 ^^ D2", "^^"),
    ("error(0.1) D-1", "D-1"),
    ("error(0.1) D1234567890123456789", "D1234567890123456789"),
    ("error() D1", "error()"),
    ("error(0.1 D1", "error(0.1"),
    ("error(abc) D0", "abc"),
    ("error(0.1) D0\nerror(0.5x) D1", "0.5x"),
    ("error(0.1) D0\nshift_detectors 2\nerror(0.1) D0", "shift_detectors"),
    ("repeat 2 {\n    error(0.1) D0\n}", "repeat"),
])
def test_an_unreadable_token_is_named(text, token):
    with pytest.raises(CatcodeError, match=re.escape(f"token FaultModel cannot read: {token!r}")):
        parse_error_lines(text)


def test_dem_text_numbers_are_all_read_or_the_token_is_named():
    """numpy's text parser stops at the first token that is not a number and only warns: the
    parse must refuse that instead of returning a truncated fault model."""
    assert _numbers(" -5 0.25 3 -3 \n -5 1e-300 -2 0 -3 ").tolist() == [-5.0, 0.25, 3.0, -3.0, -5.0, 1e-300, -2.0, 0.0, -3.0]
    assert _numbers("").tolist() == [] and _numbers("  \n ").tolist() == []  # numpy alone gives [-1.0]
    with pytest.raises(CatcodeError, match="token FaultModel cannot read: 'D7'"):
        _numbers(" -5 0.25 3 D7 -3 ")
