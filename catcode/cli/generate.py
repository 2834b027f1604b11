"""``catcode generate``: write a memory-experiment circuit to a ``.stim`` file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from catcode.cli import ArgumentParser
from catcode.errors import CatcodeError
from catcode.experiment import LAYOUTS, build_circuit, metadata_filename, stim_file_text
from catcode.layout import QUBIT_KINDS
from catcode.io import check_output_path, write_atomically
from catcode.noise import PRESETS
from catcode.sweep import Sweep, parse_value

EPILOG = """examples:
  # Ocelot's distance-5 phase-flip memory under Stim-equivalent depolarising noise
  catcode generate --layout ocelot --rounds 5 --basis X --noise depolarizing --param p=0.001 --out_dir circuits/

  # a distance-7 cat-ancilla chain under biased noise, to an explicit path
  catcode generate --layout chain --ancilla cat --d 7 --rounds 7 --basis Z \\
      --noise biased --param p=0.001 --param eta=1000 --out rep.stim

  # a rectangular surface code of cats (phase distance 5, bit distance 3) and an LDPC-cat code
  catcode generate --layout rectangular_surface --d 5 --bit_d 3 --rounds 5 --basis X \\
      --noise depolarizing --param p=0.001 --out_dir circuits/
  catcode generate --layout ldpc_cat --height 4 --width 17 --rounds 5 --basis X \\
      --noise depolarizing --param p=0.001 --out_dir circuits/

  # then sample it with sinter, reading the metadata back from the file name
  sinter collect --circuits circuits/*.stim --metadata_func auto --decoders pymatching \\
      --max_shots 100000 --save_resume_filepath stats.csv
"""


def parse_param(text: str) -> tuple[str, Any]:
    """``key=value`` with the value read by :func:`catcode.sweep.parse_value` (int, float, bool, string).

    >>> parse_param("p=0.001"), parse_param("gamma=2")
    (('p', 0.001), ('gamma', 2))
    """
    if "=" not in text:
        raise CatcodeError(f"--param must look like key=value (e.g. p=0.001); got {text!r}")
    key, raw = text.split("=", 1)
    return key.strip(), parse_value(raw)


def add_layout_shape_arguments(parser: argparse.ArgumentParser) -> None:
    """``--ancilla``, ``--section``, ``--bit_d``, ``--height``, ``--width``, ``--boundary``: one value each
    (shared by ``catcode generate`` and ``catcode layout``)."""
    parser.add_argument("--ancilla", choices=QUBIT_KINDS, default=None,
                        help="chain and rectangular_surface ancillas (default: transmon)")
    parser.add_argument("--section", help="ocelot sub-chain of data cats, e.g. 1-3 or 3-5")
    parser.add_argument("--bit_d", type=int, help="bit distance of rectangular_surface (>= 2)")
    parser.add_argument("--height", type=int, help="ldpc_cat height (4 to 8)")
    parser.add_argument("--width", type=int, help="ldpc_cat width (>= 3)")
    parser.add_argument("--boundary", help="ldpc_cat columns: periodic (default) or open")


def layout_shape(args: argparse.Namespace) -> dict[str, tuple]:
    """The :class:`catcode.sweep.Sweep` keywords of the shape flags that were given, as one-value tuples."""
    names = ("ancilla", "section", "bit_d", "height", "width", "boundary")
    return {k: (getattr(args, k),) for k in names if getattr(args, k) is not None}


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="catcode generate", description=__doc__, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--layout", choices=LAYOUTS, default="chain", help="device layout (default: chain)")
    parser.add_argument("--d", type=int, help="code distance (chain, rotated_surface; the phase distance of "
                        "rectangular_surface; ocelot is 5 or its section's; ldpc_cat's follows from its shape)")
    add_layout_shape_arguments(parser)
    parser.add_argument("--rounds", type=int, required=True, help="syndrome rounds (>= 1)")
    parser.add_argument("--basis", required=True, help="memory basis: X (phase-flip memory) or Z (bit-flip memory)")
    parser.add_argument("--noise", required=True, help=f"noise preset: {', '.join(sorted(PRESETS))}")
    parser.add_argument("--param", action="append", default=[], metavar="KEY=VALUE", help="noise preset parameter (repeatable)")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--out", help="output .stim path")
    where.add_argument("--out_dir", help="directory (created if missing); the file is named key=value,...stim from the metadata")
    return parser


def main(*, command_line_args: list[str] | None = None) -> int:
    args = build_parser().parse_args(command_line_args)
    out = check_output_path(args.out) if args.out else None
    if args.out_dir is not None:
        out_dir = Path(args.out_dir)
        if out_dir.exists() and not out_dir.is_dir():
            raise CatcodeError(f"--out_dir {args.out_dir!r} exists and is not a directory")
        check_output_path(out_dir / "x.stim", create_dir=True, what="--out_dir")
    params: dict[str, Any] = {}
    for text in args.param:
        key, value = parse_param(text)
        if key in params:
            raise CatcodeError(f"--param {key} is given twice ({params[key]!r} and {value!r}); give it once")
        params[key] = value
    distance = args.d
    if args.layout == "ocelot" and distance is None:
        distance = 3 if args.section else 5
    if distance is None and args.layout != "ldpc_cat":
        raise CatcodeError(f"--layout {args.layout} needs a distance --d (an integer >= 2)")
    # Through a one-point Sweep: the same metadata (every preset parameter, canonical form) and
    # circuit text as `catcode collect`, so the file and the sweep share one sinter task id.
    sweep = Sweep(d=() if distance is None else (distance,), b=(args.basis,), noise=(args.noise,),
                  layout=(args.layout,), rounds=args.rounds, params={k: (v,) for k, v in params.items()},
                  **layout_shape(args))
    points = sweep.points()
    if len(points) != 1:  # ocelot at d = 3 without --section means two sections
        raise CatcodeError(f"--layout {args.layout} --d {distance} names {len(points)} circuits; "
                           "choose one with --section (e.g. 1-3 or 3-5)")
    (meta,) = points
    circuit = build_circuit(meta)
    if out is None:
        Path(args.out_dir).mkdir(parents=True, exist_ok=True)
        out = Path(args.out_dir) / metadata_filename(meta)
    write_atomically(out, stim_file_text(circuit, meta))
    print(f"wrote {out} ({circuit.num_qubits} qubits, {circuit.num_detectors} detectors)", file=sys.stderr)
    return 0
