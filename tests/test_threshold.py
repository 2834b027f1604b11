"""Tests of catcode.threshold (crossings with bootstrap bands) and the ``catcode threshold`` CLI."""

from __future__ import annotations

import dataclasses
import math
import pathlib
import re

import numpy as np
import pytest
import sinter

from catcode import analysis
from catcode.cli import main as catcode_main
from catcode.errors import CatcodeError
from catcode.threshold import (
    SATURATION_RATE,
    Crossing,
    CrossingEstimate,
    crossing_threshold,
    crossing_thresholds,
    format_crossings,
)

# A family of curves that all cross at X0: q_d(x) = A (x / X0)^(C (d + 1) / 2), rounds = d.
A, X0, C = 0.05, 0.01, 1.0
DISTANCES = (3, 5, 7)
XS = tuple(float(x) for x in np.geomspace(0.005, 0.016, 7))
SHOTS = 20_000


def _stat(md: dict, shots: int, errors: int) -> sinter.TaskStats:
    return sinter.TaskStats(strong_id=analysis.freeze(md), decoder="pymatching", json_metadata=md,
                            shots=shots, errors=errors)


def _model(x: float, d: int) -> float:
    return A * (x / X0) ** (C * (d + 1) / 2)


def _synthetic(seed: int, *, xs=XS, extra: dict | None = None, model=_model, shots: int = SHOTS) -> list[sinter.TaskStats]:
    rng = np.random.default_rng(seed)
    stats = []
    for d in DISTANCES:
        for x in xs:
            errors = int(rng.binomial(shots, model(x, d)))
            stats.append(_stat({"d": d, "r": d, "b": "X", "p": x, **(extra or {})}, shots, errors))
    return stats


def _write_csv(path: pathlib.Path, stats: list[sinter.TaskStats]) -> pathlib.Path:
    path.write_text("\n".join([sinter.CSV_HEADER] + [s.to_csv_line() for s in stats]) + "\n")
    return path


# ------------------------------------------------------------------------------------------------
# recovery, exact root, coverage
# ------------------------------------------------------------------------------------------------


def test_recovers_known_crossing_within_band():
    est = crossing_threshold(_synthetic(1), x_key="p")
    assert [(p.small, p.large) for p in est.pairs] == [(3, 5), (5, 7)]
    for band in [p.crossing for p in est.pairs] + [est.combined]:
        assert band.low < band.value < band.high
        assert band.contains(X0, n_sigma=5)
        assert band.sigma_log < 0.1  # informative: a 10 % band at most with 20 000 shots per point
        assert band.num_resamples == 1000 and band.censored_low == band.censored_high == 0
    assert est.largest_pair is est.pairs[-1]
    assert est.num_points == len(DISTANCES) * len(XS) and est.excluded == ()
    assert est.rounds_per_distance == 1.0 and est.metadata == {"b": "X"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        est.x_key = "q"  # type: ignore[misc]


def test_observed_crossing_is_the_exact_log_log_root():
    # two grid points per curve: f = ln(q3/q5) goes from ln 4 to ln(1/2), root at t = ln 4 / ln 8 = 2/3
    stats = [_stat({"d": 3, "r": 3, "p": 0.01}, 10_000, 400), _stat({"d": 3, "r": 3, "p": 0.04}, 10_000, 1000),
             _stat({"d": 5, "r": 5, "p": 0.01}, 10_000, 100), _stat({"d": 5, "r": 5, "p": 0.04}, 10_000, 2000)]
    est = crossing_threshold(stats, x_key="p", num_resamples=50)
    assert est.pairs[0].crossing.observed == pytest.approx(0.01 * 4 ** (2 / 3), rel=1e-12)
    assert est.combined.observed == pytest.approx(est.pairs[0].crossing.observed, rel=1e-12)
    assert (est.pairs[0].x_low, est.pairs[0].x_high, est.pairs[0].sign_changes) == (0.01, 0.04, 1)


def test_same_seed_same_bands_other_seed_other_bands():
    stats = _synthetic(2)
    a, b = (crossing_threshold(stats, x_key="p", num_resamples=200, seed=5) for _ in range(2))
    c = crossing_threshold(stats, x_key="p", num_resamples=200, seed=6)
    assert a == b
    assert a.combined.observed == c.combined.observed and a.combined.low != c.combined.low


def test_band_coverage_over_seeds():
    """Over 20 data sets the 5σ-equivalent band always holds X0, and the 1σ band sometimes does."""
    inside_1sigma = 0
    for seed in range(20):
        est = crossing_threshold(_synthetic(100 + seed), x_key="p", num_resamples=300, seed=seed)
        assert est.combined.contains(X0, n_sigma=5), (seed, est.combined)
        inside_1sigma += est.combined.contains(X0, n_sigma=1)
    # expected 68 % of 20 = 13.7 (binomial sd 2.1): a band far too narrow would hold X0 rarely
    assert inside_1sigma >= 4


def test_orientation_does_not_matter():
    # swept parameter where the larger code is better at LARGE x: crossing at 1/X0 in y = 1/x
    stats = [_stat({**s.json_metadata, "y": 1.0 / s.json_metadata["p"]}, s.shots, s.errors) for s in _synthetic(3)]
    stats = [dataclasses.replace(s, json_metadata={k: v for k, v in s.json_metadata.items() if k != "p"}) for s in stats]
    est = crossing_threshold(stats, x_key="y", num_resamples=300)
    assert est.combined.contains(1.0 / X0, n_sigma=5)


def test_rounds_proportional_to_d_are_converted_per_d_rounds():
    # r = 3d: per-shot rates of three independent d-round blocks; the crossing per d rounds is X0
    rng = np.random.default_rng(4)
    stats = []
    for d in DISTANCES:
        for x in XS:
            p_shot = analysis.per_shot_error_rate(_model(x, d), rounds=3)
            stats.append(_stat({"d": d, "r": 3 * d, "p": x}, SHOTS, int(rng.binomial(SHOTS, p_shot))))
    est = crossing_threshold(stats, x_key="p", num_resamples=300)
    assert est.rounds_per_distance == 3.0
    assert est.combined.contains(X0, n_sigma=5)


def test_censored_resamples_open_the_band():
    # the curves barely cross at the last grid point: many resamples do not cross at all
    stats = [_stat({"d": 3, "r": 3, "p": 0.01}, 10_000, 1000), _stat({"d": 3, "r": 3, "p": 0.02}, 10_000, 2000),
             _stat({"d": 5, "r": 5, "p": 0.01}, 10_000, 500), _stat({"d": 5, "r": 5, "p": 0.02}, 10_000, 2010)]
    band = crossing_threshold(stats, x_key="p").pairs[0].crossing
    assert 159 < band.censored_high < 500 and band.censored_low == 0
    assert band.high == math.inf and band.sigma_log == math.inf
    assert band.describe().endswith(", inf]")


# ------------------------------------------------------------------------------------------------
# refusals
# ------------------------------------------------------------------------------------------------


def test_no_crossing_names_the_pair_and_range():
    below = [x for x in XS if x < 0.008]  # all below X0: d = 5 is better everywhere
    where = re.escape(f"pair d=3, d=5 does not cross over p in [{below[0]:g}, {below[-1]:g}]: d=5 has the lower")
    with pytest.raises(CatcodeError, match=where):
        crossing_threshold(_synthetic(5, xs=below), x_key="p")


def test_saturated_data_name_the_cut():
    def saturating(x: float, d: int) -> float:
        return 0.47 if d == 7 and x > 0.008 else _model(x, d)

    xs = XS[2:]  # d = 7 keeps one unsaturated point
    with pytest.raises(CatcodeError, match=rf"d=7 keeps 1 point\(s\).*4 saturated: per-shot rate > {SATURATION_RATE}"):
        crossing_threshold(_synthetic(6, xs=xs, model=saturating), x_key="p")
    # a point below 0.4 whose likelihood band reaches 0.5 is saturated too, and reported
    stats = _synthetic(6) + [_stat({"d": 9, "r": 9, "b": "X", "p": XS[0]}, 30, 11)]
    stats += [_stat({"d": 9, "r": 9, "b": "X", "p": x}, SHOTS, int(SHOTS * _model(x, 9))) for x in XS[1:-1]]
    est = crossing_threshold(stats, x_key="p", num_resamples=100)
    assert est.excluded == (f"d=9, p={XS[0]:g}: saturated (11/30 errors)",)


def test_too_few_errors_name_the_cut():
    stats = [s for s in _synthetic(7) if s.json_metadata["d"] != 7]
    shots = [40] * (len(XS) - 1) + [SHOTS]  # 40 shots: 6, 2, 1, ... errors
    stats += [_stat({"d": 7, "r": 7, "b": "X", "p": x}, n, int(n * _model(x, 7))) for x, n in zip(XS, shots)]
    with pytest.raises(CatcodeError, match=r"d=7 keeps 1 point\(s\).*6 with fewer than min_errors=10 errors"):
        crossing_threshold(stats, x_key="p")


def test_bad_inputs_are_refused_before_work():
    stats = _synthetic(8)
    with pytest.raises(CatcodeError, match="needs a number > 0 under metadata 'q'"):
        crossing_threshold(stats, x_key="q")
    with pytest.raises(CatcodeError, match="num_resamples must be an integer >= 20"):
        crossing_threshold(stats, x_key="p", num_resamples=5)
    bad_rounds = [dataclasses.replace(s, json_metadata={**s.json_metadata, "r": 10}) for s in stats]
    with pytest.raises(CatcodeError, match="rounds proportional to d"):
        crossing_threshold(bad_rounds, x_key="p")
    with pytest.raises(CatcodeError, match="2 families of curves .differing in nbar"):
        crossing_threshold(_synthetic(8, extra={"nbar": 4}) + _synthetic(9, extra={"nbar": 8}), x_key="p")
    with pytest.raises(CatcodeError, match="got none"):
        crossing_threshold([], x_key="p")


def test_families_are_split_and_named_in_errors():
    both = _synthetic(10, extra={"nbar": 4}) + _synthetic(11, extra={"nbar": 8})
    ests = crossing_thresholds(both, x_key="p", num_resamples=100)
    assert [e.metadata["nbar"] for e in ests] == [4, 8]
    text = format_crossings(ests)
    assert text.count("d=3 × d=5: p = ") == 2 and text.count("combined") == 2 and "nbar=4" in text
    flat = _synthetic(12, extra={"nbar": 8}, xs=XS[:2])
    with pytest.raises(CatcodeError, match=r"family b=X, nbar=8 .decoder pymatching.: pair d=3, d=5 does not cross"):
        crossing_thresholds(_synthetic(10, extra={"nbar": 4}) + flat, x_key="p", num_resamples=100)


def test_result_invariants_are_validated():
    with pytest.raises(CatcodeError, match="low <= value <= high"):
        Crossing(observed=1.0, value=1.0, low=1.5, high=2.0, num_resamples=10)
    with pytest.raises(CatcodeError, match="observed must be finite"):
        Crossing(observed=math.inf, value=1.0, low=0.5, high=2.0, num_resamples=10)
    with pytest.raises(CatcodeError, match="counts inconsistent"):
        Crossing(observed=1.0, value=1.0, low=0.5, high=2.0, num_resamples=10, censored_high=11)
    with pytest.raises(CatcodeError, match="at least one pair"):
        CrossingEstimate(x_key="p", group_key="d", metadata={})


# ------------------------------------------------------------------------------------------------
# command line
# ------------------------------------------------------------------------------------------------


def test_cli_prints_crossings(tmp_path, capsys):
    csv = _write_csv(tmp_path / "stats.csv", _synthetic(13, extra={"nbar": 4}) + _synthetic(14, extra={"nbar": 8}))
    assert catcode_main(["threshold", "--in", str(csv), "--x", "p", "--group", "d", "--filter", "nbar=8",
                         "--resamples", "200"]) == 0
    out = capsys.readouterr().out
    assert "d=3 × d=5: p = " in out and "d=5 × d=7: p = " in out and "combined" in out
    value = float(out.split("combined (geometric mean of 2 pair crossing(s)): p = ")[1].split()[0])
    assert abs(math.log(value / X0)) < 0.1


def test_cli_bad_input_exits_2_with_one_line(tmp_path, capsys):
    csv = _write_csv(tmp_path / "stats.csv", _synthetic(15, xs=XS[:2]))
    assert catcode_main(["threshold", "--in", str(csv), "--x", "p"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("catcode threshold: error: pair d=3, d=5 does not cross")
    assert catcode_main(["threshold", "--in", str(tmp_path / "missing.csv"), "--x", "p"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not found" in err


def test_plot_marks_thresholds(tmp_path, capsys):
    csv = _write_csv(tmp_path / "stats.csv", _synthetic(16))
    png = tmp_path / "marked.png"
    args = ["plot", "--in", str(csv), "--x", "p", "--no-per_round", "--mark_thresholds", "--out", str(png)]
    assert catcode_main(args) == 0
    assert "combined" in capsys.readouterr().out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert catcode_main(["plot", "--in", str(csv), "--x", "p", "--mark_thresholds"]) == 2
    assert "add --no-per_round" in capsys.readouterr().err
