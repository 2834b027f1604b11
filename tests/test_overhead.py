"""catcode.overhead and ``catcode overhead``: qubit counts, the (d, nbar) search, fits, CLI, real sampling."""

from __future__ import annotations

import csv
import dataclasses
import itertools
import math

import numpy as np
import pytest
import sinter
import stim

from catcode import Layout, memory_circuit, noise, overhead
from catcode.cli import main as cli_main
from catcode.cli.overhead import main as overhead_main
from catcode.errors import CatcodeError
from catcode.overhead import Candidate, Estimate, RepetitionModel, SurfaceModel, find_requirement

# ------------------------------------------------------------------------------------ qubit counts


@pytest.mark.parametrize("d", [2, 3, 5, 7, 9])
def test_qubit_counts_match_layouts(d):
    assert overhead.repetition_qubits(d) == 2 * d - 1 == Layout.chain(d).num_qubits == Layout.chain(d, ancilla="cat").num_qubits
    assert overhead.surface_qubits(d) == 2 * d * d - 1 == Layout.rotated_surface(d).num_qubits


def test_nine_versus_fortynine():
    assert (overhead.repetition_qubits(5), overhead.surface_qubits(5)) == (9, 49)
    assert Layout.ocelot().num_qubits == 9
    assert overhead.reduction_percent(9, 49) == pytest.approx(100 * 40 / 49)


# ------------------------------------------------------------------------------------ the search


def _est(rate: float, rel: float) -> Estimate:
    return Estimate(rate, rate / rel, rate * rel, "fit")


def _oracle(cands, target, attr):
    """Independent selection: walk distances upwards; at the first distance with a feasible
    candidate, take the lowest rate there, then the lowest nbar among equal rates.

    Correct because qubits = 2d - 1 is strictly increasing in d, so the fewest qubits is the
    smallest feasible d (a different route from find_requirement's min over (qubits, rate, nbar)).
    """
    for d in sorted({c.d for c in cands}):
        chosen = None
        for c in cands:
            if c.d != d or not getattr(c.total, attr) <= target:
                continue
            rate, best = getattr(c.total, attr), None if chosen is None else getattr(chosen.total, attr)
            if chosen is None or rate < best or (rate == best and c.nbar < chosen.nbar):
                chosen = c
        if chosen is not None:
            return chosen
    return None


def _closed_form_optimum(phase, bit, ds, nbars, target):
    """Oracle for exact models: the smallest odd d whose best nbar total (phase + bit) / 2 meets target."""
    for d in ds:
        totals = sorted(((phase(d, n) + bit(d, n)) / 2, n) for n in nbars)
        if totals[0][0] <= target:
            return d, totals[0][1]
    return None, None


def _synthetic_grid(rng, ds, nbars):
    """A cat-like grid: phase flips fall with d and rise with nbar, bit flips grow with d and fall with nbar."""
    cands = []
    for d, n in itertools.product(ds, nbars):
        phase = 0.3 * (0.02 * n) ** ((d + 1) / 2) * math.exp(rng.normal(0, 0.3))
        bit = 1e-2 * d * math.exp(-2.0 * n) * math.exp(rng.normal(0, 0.3))
        ph, bt = _est(phase, math.exp(rng.uniform(0.05, 1.0))), _est(bit, math.exp(rng.uniform(0.05, 1.0)))
        total = Estimate((ph.best + bt.best) / 2, (ph.low + bt.low) / 2, (ph.high + bt.high) / 2, "fit")
        cands.append(Candidate(d, float(n), 2 * d - 1, ph, bt, total))
    return cands


@pytest.mark.parametrize("seed", range(8))
def test_optimiser_returns_the_enumerated_optimum(seed):
    rng = np.random.default_rng(seed)
    ds, nbars = range(3, 24, 2), [1, 2, 3, 4, 5, 6, 7, 8]
    cands = _synthetic_grid(rng, ds, nbars)
    rng.shuffle(cands)
    for target in 10.0 ** rng.uniform(-9, -2, size=12):
        req = find_requirement(cands, float(target), architecture="repetition")
        best = _oracle(cands, target, "best")
        if best is None:
            assert not req.reachable and req.qubits is None and req.reason
        else:
            assert req.reachable
            assert (req.d, req.nbar, req.qubits) == (best.d, best.nbar, best.qubits)
            assert req.rate == best.total
        for attr, got in (("low", req.qubits_low), ("high", req.qubits_high)):
            ref = _oracle(cands, target, attr)
            assert got == (ref.qubits if ref else None)
        if req.reachable:
            assert req.qubits_low <= req.qubits <= (req.qubits_high or math.inf)


def test_ties_go_to_the_most_margin():
    e = lambda r: Estimate(r, r, r, "fit")  # noqa: E731
    cands = [Candidate(5, n, 9, e(1e-7), e(1e-7), e(r)) for n, r in ((2.0, 5e-7), (3.0, 2e-7), (4.0, 2e-7))]
    req = find_requirement(cands, 1e-6, architecture="repetition")
    assert (req.d, req.nbar) == (5, 3.0)


def _cands_from(phase, bit, ds, nbars):
    out = []
    for d, n in itertools.product(ds, nbars):
        ph, bt = _est(phase(d, n), 1.5), _est(bit(d, n), 1.5)
        out.append(Candidate(d, n, 2 * d - 1, ph, bt, overhead._mean_of(ph, bt)))
    return out


def test_unreachable_bit_flip_floor():
    ds, nbars = range(3, 42, 2), [2.0, 4.0, 6.0]
    cands = _cands_from(lambda d, n: 0.1 * 0.01 ** ((d + 1) / 2), lambda d, n: 1e-3 * d * math.exp(-2 * n), ds, nbars)
    floor = 1e-3 * 3 * math.exp(-12) / 2  # bit part at d = 3, largest nbar: 9.2e-9
    req = find_requirement(cands, floor / 3, architecture="repetition", d_max=41)
    assert not req.reachable
    assert req.reason.startswith("bit-flip floor") and "largest nbar (6)" in req.reason
    # Just above the floor the target is reachable again.
    assert find_requirement(cands, floor * 3, architecture="repetition", d_max=41).reachable


def test_unreachable_phase_above_threshold_and_d_max():
    ds, nbars = range(3, 22, 2), [2.0, 4.0]
    above = _cands_from(lambda d, n: 0.05 * 1.1 ** d, lambda d, n: 1e-9 * d, ds, nbars)
    req = find_requirement(above, 1e-4, architecture="repetition", d_max=21)
    assert not req.reachable and "not suppressed by distance" in req.reason
    slow = _cands_from(lambda d, n: 0.1 * 0.7 ** ((d + 1) / 2), lambda d, n: 1e-12 * d, ds, nbars)
    req = find_requirement(slow, 1e-8, architecture="repetition", d_max=21)
    assert not req.reachable and "d <= 21" in req.reason
    tradeoff = _cands_from(lambda d, n: 0.1 * 0.1 ** ((d + 1) / 2), lambda d, n: 1e-6 * d, ds, nbars)
    req = find_requirement(tradeoff, 3e-6, architecture="repetition", d_max=21)
    assert not req.reachable and req.reason.startswith("bit flips grow with d") and "d=9" in req.reason
    surf = [Candidate(d, None, 2 * d * d - 1, _est(1e-2 * 0.5 ** d, 1.2), _est(1e-2 * 0.5 ** d, 1.2), _est(1e-2 * 0.5 ** d, 1.2))
            for d in range(3, 12, 2)]
    req = find_requirement(surf, 1e-12, architecture="surface", d_max=11)
    assert not req.reachable and "d_max = 11" in req.reason


def test_fits_recover_an_exact_model_and_its_optimum():
    """Points from an exact model (log-linear phase flips, affine bit flips) -> fits -> search == enumeration."""

    def phase(d, n):
        return 0.2 * (0.03 * n) ** ((d + 1) / 2)

    def bit(d, n):
        return (2e-3 * d - 1e-3) * math.exp(-1.7 * n)

    nbars = [2.0, 4.0, 6.0, 8.0]
    points = {}
    for d, n in itertools.product((3, 5, 7), nbars):
        points[(d, n, "X")] = Estimate(phase(d, n), phase(d, n) * 0.97, phase(d, n) / 0.97, "sampled", 10**6, 1000)
        points[(d, n, "Z")] = Estimate(bit(d, n), bit(d, n) * 0.97, bit(d, n) / 0.97, "rare")
    model = RepetitionModel.from_points(points, z=3.7)
    assert model.nbars == tuple(nbars) and not model.excluded
    assert model.lambda_factor(4.0) == pytest.approx(1 / 0.12, rel=1e-9)
    assert model.bit_rate(41, 6.0).best == pytest.approx(bit(41, 6.0), rel=1e-9)
    fitted = model.candidates(61)
    for target in (1e-4, 3e-7, 1e-9, 2e-11):
        got = find_requirement(fitted, target, architecture="repetition", d_max=61)
        assert (got.d, got.nbar) == _closed_form_optimum(phase, bit, range(3, 62, 2), nbars, target)
        if got.reachable:
            assert got.qubits_low <= got.qubits <= got.qubits_high


def test_surface_model_needs_two_distances():
    pts = {(3, "X"): _est(1e-3, 1.2), (3, "Z"): _est(1e-3, 1.2), (5, "X"): Estimate(0.0, 0.0, 1e-4, "sampled"),
           (5, "Z"): _est(1e-4, 1.2)}
    with pytest.raises(CatcodeError, match="X-memory errors at >= 2 distances"):
        SurfaceModel.from_points(pts, z=3.7)


def test_check_steps_to_the_directly_estimated_optimum(monkeypatch):
    """The direct checks move a fit's pick up (fit too optimistic) or down (too pessimistic)."""
    nbars = [2.0, 4.0]
    truth = {(d, n): 1e-2 * 0.3 ** ((d + 1) / 2) for d in range(3, 30, 2) for n in nbars}

    def direct(memories, predicted, opts):
        (c,) = memories
        r = truth[(c.d, c.nbar)]
        return Estimate(r, r * 0.9, r * 1.1, "rare")

    from catcode.overhead import sampling as ov_sampling

    monkeypatch.setattr(ov_sampling, "_direct", direct)
    opts = overhead.OverheadOptions(max_shots=10, max_errors=1, min_errors=1, num_workers=1, rare=True, rare_seconds=1,
                             rare_max_shots=10, max_likelihood_factor=1e3, seed=0, progress=None)
    target = 1e-7  # truly needs the smallest d with 1e-2 * 0.3^((d+1)/2) <= 1e-7: d = 19
    for bias in (0.05, 20.0):  # fit too optimistic / too pessimistic by this factor
        cands = [Candidate(d, n, 2 * d - 1, _est(r * bias, 30.0), _est(0.0 + 1e-30, 1.1), _est(r * bias, 30.0))
                 for (d, n), r in truth.items()]
        req = find_requirement(cands, target, architecture="repetition")
        checked = ov_sampling._check(req, cands, target, lambda c: [c], opts, max_checks=8)
        assert checked.d == 19 and checked.checked.best <= target, checked
        assert checked.note.startswith("moved from")


# ------------------------------------------------------------------------------------ circuits


def test_ideal_boundaries_keep_records_and_drop_only_boundary_noise():
    layout = Layout.chain(3)
    noisy = memory_circuit(layout, noise.preset("ocelot", nbar=2.0), rounds=4, basis="Z")
    ideal = overhead.strip_boundary_noise(noisy)
    assert ideal.num_measurements == noisy.num_measurements
    assert ideal.num_detectors == noisy.num_detectors and ideal.num_observables == 1
    dem_n = noisy.detector_error_model(decompose_errors=True, approximate_disjoint_errors=True)
    dem_i = ideal.detector_error_model(decompose_errors=True, approximate_disjoint_errors=True)
    def total(dem):
        return sum(i.args_copy()[0] for i in dem.flattened() if i.type == "error")

    assert total(dem_i) < total(dem_n)
    # The REPEAT block (the bulk rounds) is untouched.
    blocks = [[str(op) for op in c if isinstance(op, stim.CircuitRepeatBlock)] for c in (noisy, ideal)]
    assert blocks[0] == blocks[1] and blocks[0]
    # A circuit with noise only at its time boundaries becomes noiseless.
    c = stim.Circuit("R 0 1\nX_ERROR(0.1) 0 1\nTICK\nCX 0 1\nTICK\nDEPOLARIZE1(0.2) 0\nM(0.05) 0 1\nDETECTOR rec[-1] rec[-2]")
    assert overhead.strip_boundary_noise(c).detector_error_model().num_errors == 0


# ------------------------------------------------------------------------------------ real sampling


def _rate(stat: sinter.TaskStats) -> tuple[float, float]:
    p = stat.errors / stat.shots
    return p, p * (1 - p) / stat.shots


@pytest.mark.slow
def test_compare_at_distance_3_matches_stim_generated_codes():
    """Depolarizing noise, noisy boundaries: catcode's memories sample like Stim's generated circuits."""
    p_rep, p_surf, shots = 0.03, 0.006, 20_000
    cmp = overhead.compare_at_distance(
        3, cat_noise="depolarizing", cat_params={"p": p_rep}, surface_noise="depolarizing",
        surface_params={"p": p_surf}, boundary="noisy", max_shots=shots, max_errors=10**6, rare=False,
        num_workers=2,
    )
    assert (cmp.repetition.qubits, cmp.surface.qubits) == (5, 17)
    assert cmp.reduction_percent == pytest.approx(100 * (1 - 5 / 17))
    knobs = lambda p: dict(after_clifford_depolarization=p, before_round_data_depolarization=p,  # noqa: E731
                           before_measure_flip_probability=p, after_reset_flip_probability=p)
    refs = {
        ("rep", "X"): stim.Circuit.generated("repetition_code:memory", distance=3, rounds=3, **knobs(p_rep)),
        ("surf", "X"): stim.Circuit.generated("surface_code:rotated_memory_x", distance=3, rounds=3, **knobs(p_surf)),
        ("surf", "Z"): stim.Circuit.generated("surface_code:rotated_memory_z", distance=3, rounds=3, **knobs(p_surf)),
    }
    tasks = [sinter.Task(circuit=c, json_metadata={"k": "/".join(k)}) for k, c in refs.items()]
    stats = {s.json_metadata["k"]: s for s in sinter.collect(num_workers=2, tasks=tasks, decoders=["pymatching"], max_shots=shots)}
    ours = {("rep", "X"): cmp.repetition.x, ("surf", "X"): cmp.surface.x, ("surf", "Z"): cmp.surface.z}
    for key, est in ours.items():
        ref = stats["/".join(key)]
        assert est.source == "sampled" and est.shots == shots
        q_ours = est.errors / est.shots
        q_ref, var_ref = _rate(ref)
        sigma = math.sqrt(var_ref + q_ours * (1 - q_ours) / shots)
        assert q_ref > 0 and abs(q_ours - q_ref) <= 5 * sigma, (key, q_ours, q_ref)
    for m in (cmp.repetition, cmp.surface):
        assert m.total.best == pytest.approx((m.x.best + m.z.best) / 2)
        assert m.total.low <= m.total.best <= m.total.high
        assert m.x.low <= m.x.best <= m.x.high
    assert cmp.surface.total.best < cmp.repetition.total.best  # p = 0.6 % vs 3 %


@pytest.mark.slow
def test_rare_estimator_takes_over_below_sampling_reach():
    pytest.importorskip("catcode.rare")
    cmp = overhead.compare_at_distance(
        3, cat_noise="cat_cat", cat_params={"nbar": 10.0, "k1_over_k2": 1e-3}, surface_noise="si1000",
        surface_params={"p": 3e-3}, max_shots=2000, max_errors=100, min_errors=10, rare=True, rare_seconds=15,
        num_workers=1, seed=1,
    )
    z = cmp.repetition.z
    assert z.source == "rare"
    assert 0 < z.low <= z.best <= z.high < 1e-6  # bit flips ~ e^{-2 nbar}: far below 2000 shots' reach
    assert cmp.repetition.x.source == "sampled"


# ------------------------------------------------------------------------------------ CLI


@pytest.mark.slow
def test_cli_targets_mode_writes_csv_and_png(tmp_path, capsys):
    out, fig = tmp_path / "table.csv", tmp_path / "fig.png"
    code = overhead_main(command_line_args=[
        "--targets", "1e-3", "1e-5", "--cat_noise", "cat_cat", "--cat_param", "k1_over_k2=1e-2",
        "--nbar_range", "2", "4", "2", "--cat_distances", "3", "5", "--surface_noise", "depolarizing",
        "--surface_param", "p=5e-3", "--surface_distances", "3", "5", "--max_shots", "4000", "--max_errors", "200",
        "--no-rare", "--no-check", "--d_max", "41", "--out", str(out), "--plot", str(fig), "--workers", "2",
    ])
    assert code == 0
    captured = capsys.readouterr()
    assert all(word in captured.out for word in ("architecture", "qubits", "cat repetition", "rotated surface"))
    assert "sampling" in captured.err  # progress on stderr
    rows = list(csv.DictReader(out.open()))
    assert list(rows[0]) == list(overhead.CSV_FIELDS)
    assert [(r["target"], r["architecture"]) for r in rows] == [
        ("0.001", "repetition"), ("0.001", "surface"), ("1e-05", "repetition"), ("1e-05", "surface")]
    for r in rows:
        if r["reachable"] == "true":
            d = int(r["d"])
            assert int(r["qubits"]) == (2 * d - 1 if r["architecture"] == "repetition" else 2 * d * d - 1)
    assert fig.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_cli_distance_mode(tmp_path, capsys):
    out = tmp_path / "d3.csv"
    code = overhead_main(command_line_args=[
        "--d", "3", "--cat_noise", "cat_cat", "--cat_param", "nbar=2", "--cat_param", "k1_over_k2=1e-2",
        "--surface_noise", "depolarizing", "--surface_param", "p=5e-3", "--max_shots", "3000", "--no-rare",
        "--out", str(out), "--quiet",
    ])
    assert code == 0
    text = capsys.readouterr()
    assert "cat code uses 5 qubits, the surface code 17" in text.out and text.err == ""
    assert "not a comparison at equal logical error" in text.out
    rows = list(csv.DictReader(out.open()))
    assert [(r["architecture"], r["qubits"]) for r in rows] == [("repetition", "5"), ("surface", "17")]


@pytest.mark.parametrize("args, message", [
    (["--d", "1"], "d must be an integer >= 2"),
    (["--d", "3", "--cat_param", "nbar"], "--cat_param must look like key=value"),
    (["--d", "3", "--cat_noise", "nope"], "cat_noise must be one of"),
    (["--d", "3", "--plot", "x.png"], "--plot draws qubits against target error"),
    (["--targets", "1e-6", "--cat_param", "nbar=3"], "scans nbar"),
    (["--targets", "0"], "targets must be"),
    (["--targets", "1e-6", "--nbar_range", "3", "1"], "--nbar_range needs 0 < MIN <= MAX"),
    (["--targets", "1e-6", "--cat_distances", "3"], "cat_distances needs >= 2 different distances"),
    (["--d", "3", "--cat_noise", "cat_cat", "--cat_param", "nbar=2"], "k1_over_k2"),
    (["--d", "3", "--out", "/nonexistent/dir/x.csv"], "does not exist"),
])
def test_cli_errors_are_one_line(args, message, capsys):
    assert cli_main(["overhead", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("catcode overhead: error: ") and err.count("\n") == 1
    assert message in err


def test_cli_help_has_examples(capsys):
    with pytest.raises(SystemExit) as exc:
        overhead_main(command_line_args=["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out and "--targets 1e-6 1e-9 1e-12" in out and "--d 5" in out


def test_library_rejects_bad_input():
    with pytest.raises(CatcodeError, match="boundary must be one of"):
        overhead.compare_at_distance(3, boundary="open")
    with pytest.raises(CatcodeError, match="must not set nbar"):
        overhead.qubits_for_target([1e-6], cat_params={"nbar": 2})
    with pytest.raises(CatcodeError, match="architecture must be one of"):
        find_requirement([], 1e-3, architecture="color")


# ------------------------------------------------------------------------------------ architectures


@pytest.mark.parametrize("name, layout", [("repetition", lambda d: Layout.chain(d)),
                                          ("surface", lambda d: Layout.rotated_surface(d))])
def test_architecture_counts_qubits_per_logical_and_rebuilds_circuits(name, layout):
    arch = overhead.REGISTRY[name]
    for d in (3, 5):
        assert arch.qubits({"d": d}) == layout(d).num_qubits
        assert arch.qubits({"d": d}, logical=3) == 3 * layout(d).num_qubits  # one patch per logical qubit
    with pytest.raises(CatcodeError, match="logical must be an integer >= 1"):
        arch.qubits({"d": 3}, logical=0)
    from catcode.experiment import build_circuit

    meta = arch.memory_metadata(3, basis="Z", noise="depolarizing", params={"p": 1e-3}, rounds=2, boundary="ideal")
    ideal = build_circuit(meta)
    noisy = build_circuit({**meta, "boundary_noise": "noisy"})
    assert ideal == overhead.strip_boundary_noise(noisy)
    assert ideal.num_detectors == noisy.num_detectors


def test_multi_logical_patches_round_up():
    arch = dataclasses.replace(overhead.REGISTRY["surface"], logical_per_patch=4)
    assert [arch.qubits({"d": 3}, logical=k) for k in (1, 4, 5, 8, 9)] == [17, 17, 34, 34, 51]


def test_build_circuit_rejects_unknown_boundary_noise():
    from catcode.experiment import build_circuit, experiment_metadata

    meta = experiment_metadata("chain", 3, rounds=2, basis="Z", noise="depolarizing", p=1e-3)
    with pytest.raises(CatcodeError, match="boundary_noise must be one of"):
        build_circuit({**meta, "boundary_noise": "open"})


# ------------------------------------------------------------------------------------ degenerate fits


def test_zero_width_bands_do_not_make_the_fit_singular():
    """Issue 13 item 1: a rare-event point with a (near) zero-width band made the bit-flip fit's
    normal equations singular (numpy LinAlgError 'Singular matrix' in fit_linear; with this exact
    input the previous code raised it, and gave negative variances for widths 1e-16 and 1e-18)."""
    for width in (0.0, 1e-19, 1e-18, 1e-17, 1e-16, 1e-15):
        pts = [Estimate(8.41e-7, 8.41e-7 - width, 8.41e-7 + width, "rare"), Estimate(1.4e-6, 1.0e-6, 1.8e-6, "rare"),
               Estimate(2e-6, 1.5e-6, 2.5e-6, "rare")]
        for log in (False, True):
            fit = overhead.fit_linear([(1.0, 3.0), (1.0, 5.0), (1.0, 7.0)], pts, z=3.7, features=("1", "d"), log=log)
            assert all(math.isfinite(v) for row in fit.covariance for v in row)
            assert fit.error(0) > 0 and fit.error(1) > 0  # positive variances
            assert fit.coef[1] > 0  # the rate grows with d in these points


@pytest.mark.parametrize("rows", [[(1.0, 2.0), (1.0, 2.0), (1.0, 2.0)],  # a single distance
                                  [(1.0, 2.0), (2.0, 4.0), (3.0, 6.0)]])  # collinear features
def test_degenerate_designs_say_cannot_fit(rows):
    pts = [Estimate(1e-3, 5e-4, 2e-3, "fit")] * 3
    with pytest.raises(CatcodeError, match="cannot fit the rate on 1, h"):
        overhead.fit_linear(rows, pts, z=3.7, features=("1", "h"))


def test_repetition_model_with_zero_width_rare_points_fits():
    """The README example's failure mode, without sampling: zero-width d = 3 Z points."""
    points = {}
    for d, n in itertools.product((3, 5, 7), (2.0, 4.0)):
        ph = 0.1 * (0.05 * n) ** ((d + 1) / 2)
        bt = 1e-5 * d * math.exp(-2 * n)
        points[(d, n, "X")] = Estimate(ph, ph * 0.9, ph * 1.1, "sampled", 10**6, 100)
        width = 0.0 if d == 3 else 0.2
        points[(d, n, "Z")] = Estimate(bt, bt * (1 - width), bt * (1 + width), "rare")
    model = RepetitionModel.from_points(points, z=3.7)
    assert model.nbars == (2.0, 4.0) and model.bit_global is not None
    req = find_requirement(model.candidates(41), 1e-6, architecture="repetition", d_max=41)
    assert req.reachable


def test_estimate_checks_its_invariants():
    with pytest.raises(CatcodeError, match="low <= best <= high"):
        Estimate(1e-3, 2e-3, 3e-3, "fit")
    with pytest.raises(CatcodeError, match="errors <= shots"):
        Estimate(0.5, 0.4, 0.6, "sampled", shots=2, errors=3)
    with pytest.raises(CatcodeError, match="source must be one of"):
        Estimate(0.5, 0.4, 0.6, "guessed")


def test_estimate_is_the_analysis_error_rate():
    """One rate type (issue 10 item 5): sinter counts give an ErrorRate the overhead study uses as is."""
    from catcode import analysis

    assert Estimate is analysis.ErrorRate
    stat = sinter.TaskStats(strong_id="x", decoder="pymatching", json_metadata={"r": 5}, shots=1000, errors=10)
    rate = analysis.error_rate(stat)
    assert rate.source == "sampled" and rate.resolved and rate.low <= rate.best <= rate.high
    assert rate.best == analysis.per_round_error_rate(0.01, rounds=5)


@pytest.mark.slow
def test_readme_targets_example_small_settings_does_not_crash(tmp_path, capsys):
    """Issue 13 item 1 end to end: the README's cat_cat k1_over_k2=1e-4 --targets run, with small settings,
    reaches the rare estimator's (near) zero-width d = 3 bit-flip bands and must fit them, not crash."""
    pytest.importorskip("catcode.rare")
    out = tmp_path / "overhead.csv"
    code = overhead_main(command_line_args=[
        "--targets", "1e-6", "1e-9", "--cat_noise", "cat_cat", "--cat_param", "k1_over_k2=1e-4", "--no-check",
        "--nbar_range", "6", "8", "2", "--cat_distances", "3", "5", "--surface_distances", "3", "5",
        "--max_shots", "3000", "--max_errors", "100", "--rare_seconds", "3", "--seed", "1", "--workers", "1",
        "--out", str(out), "--quiet",
    ])
    assert code == 0
    assert "bit-flip law" in capsys.readouterr().out
    rows = list(csv.DictReader(out.open()))
    assert [r["architecture"] for r in rows] == ["repetition", "surface", "repetition", "surface"]


def test_pilot_rule_keeps_only_points_that_may_reach_min_errors():
    from catcode.overhead.sampling import _worth_more_shots

    opts = overhead.OverheadOptions(max_shots=1_000_000, max_errors=1000, min_errors=10)
    stat = lambda shots, errors: sinter.TaskStats(strong_id="x", decoder="pymatching", json_metadata={}, shots=shots,
                                                  errors=errors)
    assert _worth_more_shots(stat(20_000, 0), opts)            # (0 + 1) / 2e4 * 1e6 = 50 >= 10
    assert not _worth_more_shots(stat(200_000, 0), opts)       # (0 + 1) / 2e5 * 1e6 = 5 < 10
    assert _worth_more_shots(stat(200_000, 1), opts)           # 2 / 2e5 * 1e6 = 10
    assert not _worth_more_shots(stat(20_000, 1000), opts)     # max_errors reached
    assert not _worth_more_shots(stat(1_000_000, 3), opts)     # max_shots reached


def test_rare_estimates_go_only_to_the_points_each_fit_needs(monkeypatch):
    """Waves: the smallest unresolved distances of each series, no more than its fit needs; a series stops
    at its first unusable rare estimate."""
    from catcode.overhead import sampling as ov_sampling
    from catcode.overhead.sampling import _Memory

    mems = [_Memory("repetition", d, b, "cat_cat", (("nbar", 4.0),), "cat", d, "ideal") for d in (3, 5, 7) for b in "XZ"]
    mems += [_Memory("surface", d, b, "si1000", (("p", 1e-3),), "transmon", d, "ideal") for d in (3, 5, 7) for b in "XZ"]
    good = Estimate(1e-3, 9e-4, 1.1e-3, "sampled", 10**5, 100)
    none = Estimate(0.0, 0.0, 1e-5, "sampled", 10**5, 0)
    resolved = {("repetition", 3, "X"), ("surface", 3, "X"), ("surface", 3, "Z"), ("surface", 5, "Z")}
    monkeypatch.setattr(ov_sampling, "_sample", lambda ms, opts: {
        m: ((good if (m.architecture, m.d, m.basis) in resolved else none), None) for m in ms})
    asked = []

    def rare_many(todo, opts):
        asked.append(sorted((m.architecture, m.d, m.basis) for _, m in todo))
        # surface X at d=5 comes back unusable (band x1e4): its series must stop there
        return [Estimate(1e-7, 1e-9, 1e-5, "rare") if (m.architecture, m.d, m.basis) == ("surface", 5, "X")
                else Estimate(1e-6, 8e-7, 1.2e-6, "rare") for _, m in todo]

    monkeypatch.setattr(ov_sampling, "_rare_many", rare_many)
    out = ov_sampling._estimate(mems, overhead.OverheadOptions(num_workers=1))
    # repetition X needs 2 points (has d=3): d=5; repetition Z needs 1: d=3; surface X needs 2 (has d=3): d=5
    assert asked == [[("repetition", 3, "Z"), ("repetition", 5, "X"), ("surface", 5, "X")]]
    assert out[mems[2]].source == "rare" and out[mems[4]].source == "sampled"  # d=5 X estimated, d=7 X left alone


def test_an_overhead_search_at_a_scripts_top_level_is_refused_before_sampling(tmp_path) -> None:
    """Its sinter workers re-run the main script, and with it the search (they used to hang)."""
    import subprocess
    import sys

    script = tmp_path / "search.py"
    script.write_text("from catcode.overhead import qubits_for_target\nqubits_for_target([1e-6])\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode != 0
    assert done.stderr.strip().splitlines()[-1] == (
        f"catcode.errors.CatcodeError: qubits_for_target() is called at the top level of the main script "
        f"'{script}' (line 2), outside `if __name__ == \"__main__\":`; the worker processes it starts re-run that "
        "script and would call it again: put the call under the guard"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["search.py"]
