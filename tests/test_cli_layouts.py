"""The rectangular surface code of cats and LDPC-cat codes through sweeps and the CLI.

Each path (Sweep, ``catcode generate``, ``catcode layout``, ``catcode collect``'s flags) must name
the circuit the library builds directly from the same parameters: ``memory_circuit`` of
``Layout.rectangular_surface`` / ``Layout.ldpc_cat``, with ldpc_cat's ``d`` taken from the layout.
"""

from __future__ import annotations

import sinter
import pytest
import stim

from catcode import Layout, memory_circuit, noise
from catcode.cli import main
from catcode.cli._sweep_args import sweep_from_args
from catcode.cli.collect import _parser as collect_parser
from catcode.errors import CatcodeError
from catcode.experiment import build_circuit
from catcode.sweep import Sweep

P = {"p": (1e-3,)}


def _direct(layout: Layout, rounds: int, basis: str) -> stim.Circuit:
    return memory_circuit(layout, noise.depolarizing(1e-3), rounds=rounds, basis=basis)


def test_rectangular_sweep_is_the_product_of_d_bit_d_and_ancilla_and_rebuilds_the_circuit():
    sweep = Sweep(d=(3, 5), bit_d=(2, 3), ancilla=("transmon", "cat"), layout=("rectangular_surface",),
                  noise=("depolarizing",), b=("Z",), params=P)
    points = sweep.points()
    assert [(m["d"], m["bit_d"], m.get("ancilla", "transmon")) for m in points] == [
        (3, 2, "transmon"), (3, 2, "cat"), (3, 3, "transmon"), (3, 3, "cat"),
        (5, 2, "transmon"), (5, 2, "cat"), (5, 3, "transmon"), (5, 3, "cat")]
    meta = points[-1]
    assert meta["r"] == 5 and meta["layout"] == "rectangular_surface"
    assert build_circuit(meta) == _direct(Layout.rectangular_surface(5, 3, ancilla="cat"), 5, "Z")


def test_ldpc_cat_sweep_derives_d_from_the_shape():
    sweep = Sweep(layout=("ldpc_cat",), height=(4,), width=(5, 6), boundary=("periodic", "open"),
                  noise=("depolarizing",), b=("X",), params=P, rounds="2d")
    points = sweep.points()
    shapes = [(m["width"], m["boundary"]) for m in points]
    assert shapes == [(5, "periodic"), (5, "open"), (6, "periodic"), (6, "open")]
    for meta in points:
        layout = Layout.ldpc_cat(meta["height"], meta["width"], meta["boundary"])
        assert meta["d"] == layout.distance and meta["r"] == 2 * layout.distance
    meta = points[1]
    assert build_circuit(meta) == _direct(Layout.ldpc_cat(4, 5, "open"), meta["r"], "X")


def test_a_mixed_sweep_applies_d_to_the_other_layouts_only():
    sweep = Sweep(d=(3,), layout=("chain", "ldpc_cat"), height=(4,), width=(5,), noise=("depolarizing",),
                  b=("X",), params=P)
    assert [(m["layout"], m["d"]) for m in sweep.points()] == [("chain", 3), ("ldpc_cat", 5)]


def test_from_dict_needs_no_d_for_ldpc_cat():
    sweep = Sweep.from_dict({"layout": "ldpc_cat", "height": 4, "width": 5, "noise": "depolarizing", "p": 1e-3})
    assert sweep.d == () and sweep.boundary == ("periodic",)
    assert len(sweep.points()) == 2  # bases X and Z


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(d=(5,), layout=("ldpc_cat",), height=(4,), width=(5,)), "layout 'ldpc_cat' takes no d"),
        (dict(layout=("ldpc_cat",), height=(4,)), "needs height and width"),
        (dict(layout=("ldpc_cat",), height=(4,), width=(5,), boundary=("twisted",)), "boundary"),
        (dict(d=(3,), layout=("chain",), height=(4,)), "height applies to layout 'ldpc_cat' only"),
        (dict(d=(3,), layout=("rectangular_surface",)), "needs bit_d"),
        (dict(d=(3,), layout=("chain",), bit_d=(3,)), "bit_d applies to layout 'rectangular_surface' only"),
        (dict(d=(3,), layout=("rectangular_surface",), bit_d=(1,)), "bit_d (bit distance)"),
        (dict(d=(3,), layout=("rotated_surface",), ancilla=("cat",)), "ancilla applies"),
        (dict(layout=("chain",)), "d must list at least one value"),
    ],
)
def test_bad_layout_dimensions_are_one_line_errors(kwargs, message):
    with pytest.raises(CatcodeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Sweep(noise=("depolarizing",), params=P, **kwargs)


def test_generate_writes_the_rectangular_and_ldpc_cat_circuits(tmp_path):
    common = ["--rounds", "3", "--basis", "X", "--noise", "depolarizing", "--param", "p=0.001", "--out_dir", str(tmp_path)]
    assert main(["generate", "--layout", "rectangular_surface", "--d", "3", "--bit_d", "2", "--ancilla", "cat"] + common) == 0
    assert main(["generate", "--layout", "ldpc_cat", "--height", "4", "--width", "5"] + common) == 0
    files = {sinter.comma_separated_key_values(str(p))["layout"]: p for p in tmp_path.glob("*.stim")}
    rect = sinter.comma_separated_key_values(str(files["rectangular_surface"]))
    assert (rect["d"], rect["bit_d"], rect["ancilla"]) == (3, 2, "cat")
    assert stim.Circuit.from_file(str(files["rectangular_surface"])) == _direct(
        Layout.rectangular_surface(3, 2, ancilla="cat"), 3, "X")
    ldpc = sinter.comma_separated_key_values(str(files["ldpc_cat"]))
    assert (ldpc["d"], ldpc["height"], ldpc["width"], ldpc["boundary"]) == (5, 4, 5, "periodic")
    assert stim.Circuit.from_file(str(files["ldpc_cat"])) == _direct(Layout.ldpc_cat(4, 5), 3, "X")


@pytest.mark.parametrize(
    "argv",
    [
        ["--layout", "rectangular_surface", "--d", "3", "--bit_d", "2", "--ancilla", "cat"],
        ["--layout", "ldpc_cat", "--height", "4", "--width", "5", "--boundary", "open"],
    ],
)
def test_layout_draws_the_new_layouts(tmp_path, argv):
    out = tmp_path / "layout.svg"
    assert main(["layout", *argv, "--out", str(out)]) == 0
    assert out.read_text().lstrip().startswith("<?xml")


def test_layout_rejects_a_shape_flag_of_another_layout(tmp_path, capsys):
    assert main(["layout", "--layout", "chain", "--d", "3", "--height", "4", "--out", str(tmp_path / "a.svg")]) != 0
    assert "ldpc_cat" in capsys.readouterr().err
    assert not (tmp_path / "a.svg").exists()


def test_collect_flags_describe_the_new_layouts():
    def sweep(*argv: str) -> Sweep:
        args = collect_parser().parse_args([*argv, "--noise", "depolarizing", "--param", "p=0.001",
                                            "--out", "x.csv", "--max_shots", "10"])
        return sweep_from_args(args, decoders=("pymatching",))

    rect = sweep("--layout", "rectangular_surface", "--d", "5", "7", "--bit_d", "3")
    assert [(m["d"], m["bit_d"]) for m in rect.points()] == [(5, 3), (5, 3), (7, 3), (7, 3)]
    ldpc = sweep("--layout", "ldpc_cat", "--height", "4", "--width", "5", "6", "--boundary", "periodic", "--b", "X")
    assert [(m["d"], m["width"]) for m in ldpc.points()] == [(5, 5), (5, 6)]
    with pytest.raises(CatcodeError, match="--d"):
        sweep("--layout", "chain")


@pytest.mark.slow
def test_collect_samples_an_ldpc_cat_sweep(tmp_path):
    out = tmp_path / "s.csv"
    assert main(["collect", "--layout", "ldpc_cat", "--height", "4", "--width", "5", "--b", "X",
                 "--noise", "depolarizing", "--param", "p=0.001", "--max_shots", "100", "--workers", "1",
                 "--out", str(out)]) == 0
    (stat,) = sinter.read_stats_from_csv_files(str(out))
    assert stat.shots == 100 and stat.json_metadata["layout"] == "ldpc_cat" and stat.json_metadata["d"] == 5
