"""Overhead across architectures: rectangular surface code of cats, LDPC-cat codes, the generic search."""

from __future__ import annotations

import itertools
import math

import pytest

from catcode import Layout, overhead
from catcode.cli import main as cli_main
from catcode.overhead import (
    REGISTRY,
    Estimate,
    OverheadStudy,
    RectangularModel,
    RepetitionModel,
    SurfaceModel,
    find_requirement,
)
from catcode.overhead.results import TargetRow

# ------------------------------------------------------------------------------------ qubit counts


@pytest.mark.parametrize("ancilla", ["transmon", "cat"])
def test_rectangular_qubits_equal_the_layout(ancilla):
    arch = REGISTRY["rectangular"]
    for d, b in itertools.product((3, 5, 7, 11), (2, 3, 4, 5)):
        n = Layout.rectangular_surface(d, b, ancilla=ancilla).num_qubits
        assert arch.qubits({"d": d, "bit_d": b}) == n
        assert arch.qubits({"d": d, "bit_d": b}, logical=4) == 4 * n


def test_ldpc_patch_of_100_logical_qubits_is_758_cats():
    # Ruiz et al.: [165 + 8*33, 34 + 2*33, 22] = [429, 100, 22] with 329 checks (one ancilla each).
    assert REGISTRY["ldpc_cat"].qubits({"width": 17 + 33}, logical=100) == 429 + 329
    assert overhead.ldpc_patch_qubits(100) == (758, 1, 33)
    assert REGISTRY["ldpc_cat"].qubits({"width": 17 + 33}, logical=101) == 2 * 758  # k = 100 per patch
    model = overhead.LdpcPublishedModel(1e-4)
    (cand,) = model.candidates(101, logical=100)
    assert cand.qubits == 758 and cand.d == 22 and dict(cand.extra)["width"] == 50


# ------------------------------------------------------------------------------------ closed-form models


def _band(r: float) -> Estimate:
    return Estimate(r, r * 0.97, r / 0.97, "rare")


NBARS = (2.0, 4.0, 6.0)


def _rep_phase(d: int, n: float) -> float:
    return 0.2 * (0.03 * n) ** ((d + 1) // 2)


def _bit_per_cat(n: float) -> float:
    return 2e-3 * math.exp(-1.5 * n)


def _rect_phase(d: int, b: int, n: float) -> float:
    return b * 0.05 * (0.04 * n) ** ((d + 1) // 2)


def _rect_bit(d: int, b: int, n: float) -> float:
    return d * 0.3 * (30 * _bit_per_cat(n)) ** ((b + 1) // 2)


def _surface(d: int) -> float:
    return 0.03 * 0.2 ** ((d + 1) / 2)


def _models():
    rep = {}
    for d, n in itertools.product((3, 5, 7), NBARS):
        rep[(d, n, "X")] = _band(_rep_phase(d, n))
        rep[(d, n, "Z")] = _band(d * _bit_per_cat(n))  # the floor: every data bit flip is logical
    rect = {}
    for d, n in itertools.product((3, 5, 7), NBARS):
        rect[(d, 2, n, "X")] = _band(_rect_phase(d, 2, n))
    for b, n in itertools.product((2, 3), NBARS):
        rect[(3, b, n, "Z")] = _band(_rect_bit(3, b, n))
    surf = {(d, b): _band(_surface(d)) for d in (3, 5, 7) for b in "XZ"}
    return (RepetitionModel.from_points(rep, z=3.7), RectangularModel.from_points(rect, z=3.7),
            SurfaceModel.from_points(surf, z=3.7))


def _oracle(target: float, d_max: int, bit_d_max: int) -> dict[str, tuple[int, tuple] | None]:
    """Brute force over the closed forms themselves (no fit, no Candidate): fewest qubits per architecture."""
    ds = range(3, d_max + 1, 2)
    options = {
        "repetition": [((2 * d - 1), (_rep_phase(d, n) + d * _bit_per_cat(n)) / 2, (d, n)) for d in ds for n in NBARS],
        "rectangular": [(2 * d * b - 1, (_rect_phase(d, b, n) + _rect_bit(d, b, n)) / 2, (d, b, n))
                        for d in ds for b in range(2, bit_d_max + 1) for n in NBARS],
        "surface": [(2 * d * d - 1, _surface(d), (d,)) for d in ds],
    }
    out = {}
    for arch, opts in options.items():
        ok = [o for o in opts if o[1] <= target]
        out[arch] = None if not ok else (min(ok)[0], min(ok, key=lambda o: (o[0], o[1]))[2])
    return out


@pytest.mark.parametrize("target", [1e-3, 1e-5, 1e-7, 1e-9, 1e-12])
def test_generic_search_picks_the_closed_form_optimum_and_winner(target):
    rep, rect, surf = _models()
    d_max, bit_d_max = 41, 9
    got = {
        "repetition": find_requirement(rep.candidates(d_max), target, architecture="repetition", d_max=d_max),
        "rectangular": find_requirement(rect.candidates(d_max, bit_d_max=bit_d_max), target, architecture="rectangular",
                                        d_max=d_max),
        "surface": find_requirement(surf.candidates(d_max), target, architecture="surface", d_max=d_max),
    }
    want = _oracle(target, d_max, bit_d_max)
    for arch, req in got.items():
        if want[arch] is None:
            assert not req.reachable and req.reason
            continue
        qubits, config = want[arch]
        assert req.reachable and req.qubits == qubits
        if arch == "repetition":
            assert (req.d, req.nbar) == config
        elif arch == "rectangular":
            assert (req.d, dict(req.extra)["bit_d"], req.nbar) == config
        else:
            assert (req.d,) == config
    reachable = {a: w[0] for a, w in want.items() if w is not None}
    row = TargetRow(target, got)
    assert row.winner == (min(reachable, key=reachable.get) if reachable else None)


def test_bit_distance_lifts_the_repetition_floor():
    rep, rect, _ = _models()
    floor = min(c.total.best for c in rep.candidates(61))
    target = floor / 10
    assert not find_requirement(rep.candidates(61), target, architecture="repetition").reachable
    # Without room to grow the bit distance the rectangular code hits a floor too ...
    stuck = find_requirement(rect.candidates(61, bit_d_max=2), target, architecture="rectangular", d_max=61)
    assert not stuck.reachable and stuck.reason.startswith("bit flips")
    # ... with it, the target is reached at a bit distance above the smallest sampled one.
    free = find_requirement(rect.candidates(61, bit_d_max=9), target, architecture="rectangular", d_max=61)
    assert free.reachable and dict(free.extra)["bit_d"] >= 3
    assert free.qubits == 2 * free.d * dict(free.extra)["bit_d"] - 1
    study = OverheadStudy((), {"repetition": rep, "rectangular": rect}, {}, {"repetition": ("x", {}), "rectangular": ("x", {})},
                          61, None, "ideal", 1e3, 1, 9)
    text = overhead.floor_crossover(study)
    assert f"{floor:.2g}" in text and "removes the floor" in text


def test_rectangular_model_recovers_the_closed_form():
    _, rect, _ = _models()
    for d, b, n in ((11, 5, 4.0), (31, 7, 2.0)):
        assert rect.phase_rate(d, b, n).best == pytest.approx(_rect_phase(d, b, n), rel=1e-9)
        assert rect.bit_rate(d, b, n).best == pytest.approx(_rect_bit(d, b, n), rel=1e-9)


# ------------------------------------------------------------------------------------ Ruiz et al.


def test_ruiz_comparison_matches_hand_computed_values():
    rows = {r.architecture: r for r in overhead.ruiz_comparison()}
    # LDPC-cat: 0.1 * (1613e-4)^(0.94 * 11) = 6.41e-10 (the paper's 6.4e-10), 429 + 329 cats.
    assert rows["ldpc_cat"].qubits == 758 and rows["ldpc_cat"].rate == pytest.approx(6.4112e-10, rel=1e-4)
    # Repetition: d = 9 gives 0.07 * 0.0486^4.7 = 4.70e-8 > 1e-8, d = 11 gives 2.74e-9: 100 x 21 = 2100.
    assert overhead.published.repetition_rate(9, 1e-4) == pytest.approx(4.7021e-8, rel=1e-4)
    assert rows["repetition"].qubits == 2100 and rows["repetition"].rate == pytest.approx(2.7398e-9, rel=1e-4)
    # Surface at p = nbar k1/k2 = 1.1e-3: d = 13 gives 0.1 * 0.11^7 = 1.95e-8 > 1e-8, so d = 15: 100 x 449.
    assert rows["surface"].qubits == 44900 and rows["surface"].rate == pytest.approx(2.1436e-9, rel=1e-4)
    # At p = 1e-3, d = 13 gives 0.1 * 0.1^7 = 1e-8: 100 x 337 = 33,700, the paper's number.
    assert [r.qubits for r in overhead.ruiz_comparison(surface_p=1e-3)] == [758, 2100, 33700]


def test_cli_ruiz_and_ldpc_targets(capsys):
    assert cli_main(["overhead", "--ruiz", "--surface_param", "p=1e-3"]) == 0
    out = capsys.readouterr().out
    assert "758" in out and "2100" in out and "33700" in out
    args = ["overhead", "--targets", "1e-8", "1e-12", "--architectures", "ldpc_cat", "--logical_qubits", "100",
            "--cat_noise", "cat_cat", "--cat_param", "k1_over_k2=1e-4", "--quiet"]
    assert cli_main(args) == 0
    out = capsys.readouterr().out
    lines = [ln for ln in out.splitlines() if ln.startswith(("1e-08", "1e-12"))]
    assert "758" in lines[0] and "<- fewest" in lines[0]
    assert "unreachable" in lines[1]
    assert "1e-12 ldpc_cat: the published fit gives 6.4e-10" in out


@pytest.mark.parametrize("args, message", [
    (["--targets", "1e-6", "--architectures", "color"], "architecture must be one of"),
    (["--targets", "1e-6", "--architectures", "ldpc_cat"], "k1_over_k2"),
    (["--targets", "1e-6", "--logical_qubits", "0", "--architectures", "ldpc_cat"], "logical_qubits must be"),
    (["--ruiz", "--cat_param", "eta=3"], "--ruiz takes"),
])
def test_cli_errors_are_one_line(args, message, capsys):
    assert cli_main(["overhead", *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err


@pytest.mark.slow
def test_sampled_three_architecture_study(monkeypatch):
    """A tiny end-to-end study: every answer's qubits are the layout's count at the chosen configuration."""
    study = overhead.qubits_for_target(
        [1e-3, 1e-5], architectures=("repetition", "rectangular", "surface"), cat_noise="cat_cat",
        cat_params={"k1_over_k2": 1e-3}, surface_noise="depolarizing", surface_params={"p": 2e-3},
        nbar_values=(2.0, 4.0), cat_distances=(3, 5), bit_distances=(2, 3), surface_distances=(3, 5), d_max=31,
        max_shots=20_000, max_errors=200, rare=True, rare_seconds=2, check=False, num_workers=1, seed=3,
    )
    for row in study.rows:
        assert set(row.requirements) == {"repetition", "rectangular", "surface"}
        rect = row.requirements["rectangular"]
        if rect.reachable:
            b = dict(rect.extra)["bit_d"]
            assert rect.qubits == Layout.rectangular_surface(rect.d, b, ancilla="cat").num_qubits
    assert "fits:" in study.table() and len(study.rows_for_csv()) == 6


def test_rectangular_global_bit_law_carries_nbar_without_its_own_bit_fit():
    """eps_Z / d = A (B e^{-gamma nbar})^ceil(bit_d/2): bit_d = 3 resolved at nbar = 1 only; the law predicts
    every (bit_d, nbar) exactly, and an unusable point (band x1e4) is left out."""
    a, b, gamma = 0.05, 0.04, 1.5
    law = lambda d, bd, n: d * a * (b * math.exp(-gamma * n)) ** ((bd + 1) // 2)
    pts = {(d, 2, n, "X"): _band(_rect_phase(d, 2, n)) for d in (3, 5, 7) for n in (1.0, 2.0, 3.0)}
    pts |= {(3, 2, n, "Z"): _band(law(3, 2, n)) for n in (1.0, 2.0, 3.0)}
    pts[(3, 3, 1.0, "Z")] = _band(law(3, 3, 1.0))
    pts[(3, 3, 3.0, "Z")] = Estimate(1e-20, 1e-20, 1e-16, "rare")  # loose rare-event bound: must not be used
    model = RectangularModel.from_points(pts, z=3.7)
    assert model.nbars == (1.0, 2.0, 3.0) and model.bit_global is not None
    for d, bd, n in ((11, 3, 3.0), (21, 5, 2.0), (31, 7, 3.0)):
        assert model.bit_rate(d, bd, n).best == pytest.approx(law(d, bd, n), rel=1e-6)
