"""Tests of catcode.analysis, catcode.plotting and the ``catcode plot`` CLI."""

from __future__ import annotations

import math
import pathlib

import numpy as np
import pytest
import sinter
import stim

from catcode import analysis, plotting
from catcode.analysis import (
    error_rate,
    error_rates,
    fit_scaling,
    pair_memories,
    per_round_error_rate,
    per_shot_error_rate,
    suppression_factors,
    fit_parameter_x_th,
    total_error_rate,
    total_error_rates,
)
from catcode.cli import main as catcode_main
from catcode.cli.plot import main as plot_main
from catcode.errors import CatcodeError

# ------------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------------


def _stat(metadata: dict, shots: int, errors: int, *, sid: str | None = None, discards: int = 0) -> sinter.TaskStats:
    return sinter.TaskStats(
        strong_id=sid or analysis.freeze(metadata),
        decoder="pymatching",
        json_metadata=metadata,
        shots=shots,
        errors=errors,
        discards=discards,
    )


def _write_csv(path: pathlib.Path, stats: list[sinter.TaskStats]) -> pathlib.Path:
    path.write_text("\n".join([sinter.CSV_HEADER] + [s.to_csv_line() for s in stats]) + "\n")
    return path


A_TRUE, XTH_TRUE, C_TRUE = 0.08, 0.02, 1.2
DISTANCES = (3, 5, 7)
XS = (0.004, 0.007, 0.01, 0.014)


def _model(x: float, d: int) -> float:
    return A_TRUE * (x / XTH_TRUE) ** (C_TRUE * (d + 1) / 2)


def _synthetic_stats(seed: int = 2024, *, bases: str = "X", bit_scale: float = 0.1) -> list[sinter.TaskStats]:
    """Counts drawn from the model with binomial noise: per-round rate -> per-shot over r = d rounds."""
    rng = np.random.default_rng(seed)
    stats = []
    for d in DISTANCES:
        for x in XS:
            for b in bases:
                q = _model(x, d) * (1.0 if b == "X" else bit_scale)
                p_shot = per_shot_error_rate(q, rounds=d)
                shots = int(max(20_000, 500 / p_shot))
                errors = int(rng.binomial(shots, p_shot))
                stats.append(_stat({"d": d, "r": d, "b": b, "p": x, "noise": "depolarizing"}, shots, errors))
    return stats


# ------------------------------------------------------------------------------------------------
# per-round conversion
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("p", [0.0, 1e-12, 1e-5, 0.013, 0.3, 0.5, 0.7, 1.0])
def test_one_round_is_identity(p):
    assert per_round_error_rate(p, rounds=1) == p
    assert per_shot_error_rate(p, rounds=1) == p


@pytest.mark.parametrize("rounds", [2, 3, 5, 10, 101, 2.5])
@pytest.mark.parametrize("p_shot", [1e-9, 1e-4, 0.01, 0.2, 0.45, 0.5])
def test_per_round_inverts_and_composes(p_shot, rounds):
    q = per_round_error_rate(p_shot, rounds=rounds)
    assert 0 <= q <= p_shot
    assert per_shot_error_rate(q, rounds=rounds) == pytest.approx(p_shot, rel=1e-12, abs=1e-15)
    # agrees with sinter's conversion
    assert q == pytest.approx(sinter.shot_error_rate_to_piece_error_rate(p_shot, pieces=rounds), rel=1e-9)
    if isinstance(rounds, int) and rounds <= 101:
        # XOR-composing r independent rounds of q flips the observable with probability p_shot
        acc = 0.0
        for _ in range(rounds):
            acc = acc * (1 - q) + q * (1 - acc)
        assert acc == pytest.approx(p_shot, rel=1e-9, abs=1e-15)


def test_per_round_above_half_follows_sinter_and_inverts():
    q = per_round_error_rate(0.6, rounds=10)
    assert q == pytest.approx(sinter.shot_error_rate_to_piece_error_rate(0.6, pieces=10))
    assert per_shot_error_rate(q, rounds=10) == pytest.approx(0.6)


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan")])
def test_per_round_rejects_bad_probability(bad):
    with pytest.raises(CatcodeError, match=r"\[0, 1\]"):
        per_round_error_rate(bad, rounds=3)
    with pytest.raises(CatcodeError, match="rounds"):
        per_round_error_rate(0.1, rounds=0)


def test_error_rate_band_is_converted_fit_binomial():
    stat = _stat({"d": 5, "r": 7, "b": "X"}, shots=12_000, errors=345, discards=2000)
    rate = error_rate(stat, max_likelihood_factor=1e3)
    fit = sinter.fit_binomial(num_shots=10_000, num_hits=345, max_likelihood_factor=1e3)
    assert rate.shots == 10_000 and rate.errors == 345 and rate.rounds == 7
    assert rate.best == per_round_error_rate(fit.best, rounds=7)
    assert rate.low == per_round_error_rate(fit.low, rounds=7)
    assert rate.high == per_round_error_rate(fit.high, rounds=7)
    per_shot = error_rate(stat, per_round=False)
    assert per_shot.best == pytest.approx(0.0345) and per_shot.rounds == 1


def test_error_rate_needs_rounds_for_per_round():
    stat = _stat({"d": 3, "b": "X"}, 1000, 10)
    with pytest.raises(CatcodeError, match="'r'"):
        error_rate(stat)
    assert error_rate(stat, per_round=False).best == pytest.approx(0.01)


def test_metadata_is_normalized_from_other_spellings():
    md = analysis.normalize_metadata({"distance": "5", "rounds": "15", "basis": "z", "nbar": "1.5", "noise": "ocelot"})
    assert md == {"d": 5, "r": 15, "b": "Z", "nbar": 1.5, "noise": "ocelot"}
    assert analysis.normalize_metadata(None) == {}
    assert analysis.normalize_metadata([1, 2]) == {"metadata": [1, 2]}


# ------------------------------------------------------------------------------------------------
# totals: pairing X and Z memories
# ------------------------------------------------------------------------------------------------


def test_pairing_matches_all_metadata_but_basis():
    rows = [
        _stat({"d": 3, "r": 3, "b": "X", "nbar": 1.0}, 10_000, 300),
        _stat({"d": 3, "r": 3, "b": "Z", "nbar": 1.0}, 10_000, 30),
        _stat({"d": 3, "r": 3, "b": "X", "nbar": 2.0}, 10_000, 500),
        _stat({"d": 3, "r": 3, "b": "Z", "nbar": 2.0}, 10_000, 5),
        _stat({"d": 5, "r": 5, "b": "X", "nbar": 1.0}, 10_000, 200),  # no Z partner
        _stat({"d": 3, "r": 6, "b": "Z", "nbar": 1.0}, 10_000, 50),  # differs in r: no partner
    ]
    rates = error_rates(rows)
    pairs, unpaired = pair_memories(rates)
    assert len(pairs) == 2 and len(unpaired) == 2
    for x, z in pairs:
        assert x.metadata["b"] == "X" and z.metadata["b"] == "Z"
        assert {k: v for k, v in x.metadata.items() if k != "b"} == {k: v for k, v in z.metadata.items() if k != "b"}
    totals = total_error_rates(rates)
    assert sorted(t.metadata["nbar"] for t in totals) == [1.0, 2.0]
    for t in totals:
        assert "b" not in t.metadata
        assert t.best == pytest.approx((t.phase.best + t.bit.best) / 2, rel=1e-15)
        assert t.low <= t.best <= t.high
        assert (t.phase.low + t.bit.low) / 2 <= t.low and t.high <= (t.phase.high + t.bit.high) / 2


def test_pairing_rejects_ambiguous_duplicates():
    rows = [
        _stat({"d": 3, "r": 3, "b": "X"}, 1000, 30, sid="aaaa"),
        _stat({"d": 3, "r": 3, "b": "X"}, 1000, 31, sid="bbbb"),
    ]
    with pytest.raises(CatcodeError, match="aaaa.*bbbb"):
        pair_memories(error_rates(rows))


def test_total_band_reduces_to_known_part():
    # A Z memory measured with enormous statistics acts as a known constant: the total's band is
    # then the X memory's band shifted and halved.
    x = error_rate(_stat({"d": 3, "r": 3, "b": "X"}, 100_000, 2_000))
    z = error_rate(_stat({"d": 3, "r": 3, "b": "Z"}, 10**12, 10**9))
    t = total_error_rate(x, z)
    assert t.low == pytest.approx((x.low + z.best) / 2, rel=2e-3)
    assert t.high == pytest.approx((x.high + z.best) / 2, rel=2e-3)


def test_total_band_of_two_equal_memories_is_narrower():
    x = error_rate(_stat({"d": 3, "r": 1, "b": "X"}, 100_000, 5_000))
    z = error_rate(_stat({"d": 3, "r": 1, "b": "Z"}, 100_000, 5_000))
    t = total_error_rate(x, z)
    ratio = (t.high - t.low) / (x.high - x.low)
    assert 0.6 < ratio < 0.8  # ~1/sqrt(2) for Gaussian likelihoods


def test_total_with_no_bit_errors_still_has_positive_upper_band():
    x = error_rate(_stat({"d": 3, "r": 3, "b": "X"}, 100_000, 1_000))
    z = error_rate(_stat({"d": 3, "r": 3, "b": "Z"}, 100_000, 0))
    t = total_error_rate(x, z)
    assert z.best == 0 and t.best == pytest.approx(x.best / 2)
    assert x.low / 2 <= t.low < t.best < t.high <= (x.high + z.high) / 2


def test_total_error_rate_checks_its_inputs():
    x = error_rate(_stat({"d": 3, "r": 3, "b": "X"}, 1000, 10))
    z5 = error_rate(_stat({"d": 5, "r": 3, "b": "Z"}, 1000, 10))
    with pytest.raises(CatcodeError, match="X-basis then a Z-basis"):
        total_error_rate(z5, x)
    with pytest.raises(CatcodeError, match="share all metadata"):
        total_error_rate(x, z5)


# ------------------------------------------------------------------------------------------------
# fits, suppression, fit parameter x_th
# ------------------------------------------------------------------------------------------------


def test_fit_recovers_model_parameters_within_5_sigma():
    fit = fit_scaling(error_rates(_synthetic_stats()), x_key="p")
    assert fit.num_points == len(DISTANCES) * len(XS) and fit.num_excluded == 0
    assert abs(fit.a - A_TRUE) < 5 * fit.a_err
    assert abs(fit.x_th - XTH_TRUE) < 5 * fit.x_th_err
    assert abs(fit.c - C_TRUE) < 5 * fit.c_err
    # uncertainties are meaningful (not huge): a few percent at most with these counts
    assert fit.x_th_err / fit.x_th < 0.05 and fit.c_err < 0.1
    assert fit.dof == fit.num_points - 3 and fit.reduced_chi2 < 3
    assert fit.predict(XTH_TRUE, 11) == pytest.approx(fit.a * (XTH_TRUE / fit.x_th) ** (fit.c * 6))
    with pytest.raises(dataclasses_frozen_error()):
        fit.a = 1.0  # type: ignore[misc]


def dataclasses_frozen_error():
    import dataclasses

    return dataclasses.FrozenInstanceError


def test_fit_excludes_zero_error_points_and_needs_enough_data():
    rates = error_rates(_synthetic_stats())
    zero = error_rate(_stat({"d": 9, "r": 9, "b": "X", "p": 0.004, "noise": "depolarizing"}, 1000, 0))
    fit = fit_scaling(rates + [zero], x_key="p")
    assert fit.num_excluded == 1
    with pytest.raises(CatcodeError, match="2 values of 'd'"):
        fit_scaling([r for r in rates if r.metadata["d"] == 3], x_key="p")
    with pytest.raises(CatcodeError, match="numeric"):
        fit_scaling(rates, x_key="noise")


def test_suppression_factor_matches_model():
    rates = error_rates(_synthetic_stats(seed=7))
    sups = suppression_factors(rates)
    assert len(sups) == len(XS) * (len(DISTANCES) - 1)
    for s in sups:
        assert (s.d_small, s.d_large) in ((3, 5), (5, 7))
        true = (XTH_TRUE / s.metadata["p"]) ** C_TRUE
        assert s.low < true < s.high  # band at likelihood factor 1e3 (~3.7 sigma)
        assert s.low < s.value < s.high
        assert "d" not in s.metadata and "r" not in s.metadata


def test_suppression_factor_exact_ratio_and_zero_errors():
    a = error_rate(_stat({"d": 3, "r": 1, "p": 0.01}, 10**6, 4000))
    b = error_rate(_stat({"d": 5, "r": 1, "p": 0.01}, 10**6, 1000))
    c = error_rate(_stat({"d": 7, "r": 1, "p": 0.01}, 10**6, 0))
    s35, s57 = sorted(suppression_factors([a, b, c]), key=lambda s: s.d_small)
    assert s35.value == pytest.approx(4.0)
    assert s57.value == math.inf and s57.high == math.inf and 0 < s57.low < math.inf


def test_fit_parameter_x_th_covariance_and_bootstrap():
    rates = error_rates(_synthetic_stats(seed=11))
    cov = fit_parameter_x_th(rates, x_key="p", method="covariance")
    boot = fit_parameter_x_th(rates, x_key="p", method="bootstrap", num_resamples=300, seed=3)
    for est in (cov, boot):
        assert est.low < est.x_th < est.high
        half_width = (est.high - est.low) / 2
        assert abs(est.x_th - XTH_TRUE) < 5 * half_width
    assert boot.method == "bootstrap" and boot.num_resamples >= 150
    # the two methods agree on the size of the uncertainty within a factor of 2
    r = (boot.high - boot.low) / (cov.high - cov.low)
    assert 0.5 < r < 2
    with pytest.raises(CatcodeError, match="'covariance', 'bootstrap'"):
        fit_parameter_x_th(rates, x_key="p", method="guess")
    with pytest.deprecated_call():
        old = analysis.threshold_crossing(rates, x_key="p", method="covariance")
    assert old == cov
    assert analysis.ThresholdEstimate is analysis.FitParameterEstimate


def test_fit_of_totals():
    totals = total_error_rates(error_rates(_synthetic_stats(bases="XZ", bit_scale=0.1)))
    fit = fit_scaling(totals, x_key="p")
    # total = (1 + 0.1)/2 * model
    assert abs(fit.a - 0.55 * A_TRUE) < 5 * fit.a_err
    assert abs(fit.x_th - XTH_TRUE) < 5 * fit.x_th_err


# ------------------------------------------------------------------------------------------------
# filtering and reading
# ------------------------------------------------------------------------------------------------


def test_read_and_filter(tmp_path):
    path = _write_csv(tmp_path / "s.csv", _synthetic_stats(bases="XZ"))
    stats = analysis.read_stats(path)
    assert len(stats) == len(DISTANCES) * len(XS) * 2
    kept = analysis.filter_stats(stats, {"d": [3, 5], "b": "x", "p": 0.007})
    assert sorted(s.json_metadata["d"] for s in kept) == [3, 5]
    with pytest.raises(CatcodeError, match="keys present: b, d, noise, p, r"):
        analysis.filter_stats(stats, {"nbar": 1})
    with pytest.raises(CatcodeError, match="values of 'd' present: 3, 5, 7"):
        analysis.filter_stats(stats, {"d": 9})
    assert analysis.parse_filter("distance=3,5") == ("d", [3, 5])
    with pytest.raises(CatcodeError, match="key=value"):
        analysis.parse_filter("d3")


def test_read_stats_bad_files(tmp_path):
    with pytest.raises(CatcodeError, match="not found"):
        analysis.read_stats(tmp_path / "missing.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(CatcodeError, match="could not read"):
        analysis.read_stats(bad)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(CatcodeError, match="could not read"):
        analysis.read_stats(empty)


# ------------------------------------------------------------------------------------------------
# plotting and the CLI
# ------------------------------------------------------------------------------------------------


def _is_png(path: pathlib.Path) -> bool:
    return path.stat().st_size > 1000 and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _is_svg(path: pathlib.Path) -> bool:
    return path.stat().st_size > 1000 and "<svg" in path.read_text()


def test_plot_functions_return_figures():
    rates = error_rates(_synthetic_stats(bases="XZ"))
    xs_only = [r for r in rates if r.metadata["b"] == "X"]
    fit = fit_scaling(xs_only, x_key="p")
    fig = plotting.plot_error_rates(xs_only, x_key="p", fit=fit)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    labels = [line.get_label() for line in ax.get_lines() if not line.get_label().startswith("_")]
    assert labels[:3] == ["d=3", "d=5", "d=7"] and labels[-1].startswith("fit, p_th")
    assert len(ax.collections) == 3  # one likelihood band per curve
    totals = total_error_rates(rates)
    fig3 = plotting.plot_total_and_parts(totals, x_key="p")
    assert [a.get_title() for a in fig3.axes] == [
        "total = (X + Z memories) / 2",
        "phase flips (X-basis memory)",
        "bit flips (Z-basis memory)",
    ]
    # curves split on the basis when both are plotted together
    both = plotting.plot_error_rates(rates, x_key="p")
    assert {line.get_label() for line in both.axes[0].get_lines()} == {f"d={d}, b={b}" for d in DISTANCES for b in "XZ"}


def test_save_figure_formats(tmp_path):
    fig = plotting.plot_error_rates(error_rates(_synthetic_stats()), x_key="p")
    assert _is_png(plotting.save_figure(fig, tmp_path / "a.png"))
    assert _is_svg(plotting.save_figure(fig, tmp_path / "a.SVG"))
    with pytest.raises(CatcodeError, match="'.png', '.svg'"):
        plotting.save_figure(fig, tmp_path / "a.pdf")
    with pytest.raises(CatcodeError, match="does not exist"):
        plotting.save_figure(fig, tmp_path / "nope" / "a.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.SVG", "a.png"]  # no temp files left


@pytest.mark.slow
def test_cli_end_to_end_png_and_svg(tmp_path, capsys):
    csv = _write_csv(tmp_path / "stats.csv", _synthetic_stats(bases="XZ"))
    png, svg = tmp_path / "fig.png", tmp_path / "fig.svg"
    assert plot_main(command_line_args=["--in", str(csv), "--x", "p", "--filter", "b=X", "--out", str(png)]) == 0
    out = capsys.readouterr().out
    table = out.strip().splitlines()
    assert table[0].split()[:5] == ["d", "r", "p", "shots", "errors"]
    assert len(table) == 1 + len(DISTANCES) * len(XS)
    assert _is_png(png)

    args = ["--in", str(csv), "--x", "p", "--total", "--fit", "--suppression", "--bootstrap", "50", "--out", str(svg)]
    assert plot_main(command_line_args=args) == 0
    out = capsys.readouterr().out
    assert "phase (X mem)" in out and "bit (Z mem)" in out
    assert "x_th = " in out and "(fit covariance)" in out and "(bootstrap, " in out
    assert "fit parameter x_th" in out and "threshold crossing" not in out
    assert out.count("Λ(d=") == len(XS) * 2
    assert _is_svg(svg)

    # through the dispatcher, per-shot rates against distance
    assert catcode_main(["plot", "--in", str(csv), "--x", "d", "--no-per_round", "--filter", "p=0.01"]) == 0
    out = capsys.readouterr().out
    header = out.splitlines()[0].split()
    assert header[:4] == ["b", "r", "d", "shots"]  # no group column; b and r vary (p is filtered)
    assert len(out.strip().splitlines()) == 1 + 2 * len(DISTANCES)


def test_cli_help_has_examples(capsys):
    with pytest.raises(SystemExit) as info:
        plot_main(command_line_args=["--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    assert "examples:" in text and "--total" in text and "--filter" in text


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--x", "nbar"], "unknown x key 'nbar'; numeric metadata keys present: d, p, r"),
        (["--x", "noise"], "must be numeric"),
        ([], "choose the x axis with --x KEY; numeric metadata keys present: d, p, r"),
        (["--x", "p", "--group", "eta"], "unknown group key 'eta'"),
        (["--x", "p", "--filter", "eta=1"], "unknown filter key 'eta'"),
        (["--x", "p", "--filter", "d=9"], "values of 'd' present"),
        (["--x", "p", "--out", "fig.pdf"], "'.png', '.svg'; got '.pdf'"),
        (["--x", "p", "--xscale", "cubic"], "'auto', 'linear', 'log'"),
        (["--x", "p", "--filter", "b=X", "--total"], "found none among bases X"),
        (["--x", "d", "--fit"], "--fit"),
        (["--x", "p", "--bootstrap", "20"], "needs --fit"),
    ],
)
def test_cli_bad_input(tmp_path, extra, message):
    csv = _write_csv(tmp_path / "stats.csv", _synthetic_stats(bases="XZ"))
    with pytest.raises(CatcodeError) as info:
        plot_main(command_line_args=["--in", str(csv)] + extra)
    assert message in str(info.value)
    assert not any(p.suffix in (".png", ".svg", ".pdf") for p in tmp_path.iterdir())


def test_cli_bad_files(tmp_path, capsys):
    with pytest.raises(CatcodeError, match="not found"):
        plot_main(command_line_args=["--in", str(tmp_path / "missing.csv"), "--x", "d"])
    header_only = tmp_path / "empty.csv"
    header_only.write_text(sinter.CSV_HEADER + "\n")
    with pytest.raises(CatcodeError, match="no rows"):
        plot_main(command_line_args=["--in", str(header_only), "--x", "d"])
    # the dispatcher turns it into one line on stderr and exit code 2
    assert catcode_main(["plot", "--in", str(header_only), "--x", "d"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("catcode plot: error: no rows") and err.count("\n") == 1


def test_cli_output_directory_missing(tmp_path):
    csv = _write_csv(tmp_path / "stats.csv", _synthetic_stats())
    with pytest.raises(CatcodeError, match="does not exist"):
        plot_main(command_line_args=["--in", str(csv), "--x", "p", "--out", str(tmp_path / "no" / "f.png")])


# ------------------------------------------------------------------------------------------------
# real sampling
# ------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_real_sampling_is_plotted(tmp_path, capsys):
    tasks = [
        sinter.Task(
            circuit=stim.Circuit.generated(
                "repetition_code:memory", distance=d, rounds=d, after_clifford_depolarization=p,
                before_measure_flip_probability=p, after_reset_flip_probability=p,
            ),
            json_metadata={"d": d, "r": d, "b": "X", "p": p, "noise": "depolarizing"},
        )
        for d in (3, 5)
        for p in (0.08, 0.12)
    ]
    stats = sinter.collect(num_workers=2, tasks=tasks, decoders=["pymatching"], max_shots=3000, max_errors=10**6)
    assert all(s.shots == 3000 for s in stats)
    csv = _write_csv(tmp_path / "real.csv", stats)
    png = tmp_path / "real.png"
    assert plot_main(command_line_args=["--in", str(csv), "--x", "p", "--out", str(png), "--suppression"]) == 0
    out = capsys.readouterr().out
    assert _is_png(png)
    assert len(out.split("\n\n")[0].strip().splitlines()) == 1 + 4
    rates = error_rates(analysis.read_stats(csv))
    for r in rates:
        assert 0 < r.low <= r.best <= r.high < 0.5
        # exact per-round conversion of the observed fraction
        assert r.best == pytest.approx(per_round_error_rate(r.errors / r.shots, rounds=r.metadata["r"]))
