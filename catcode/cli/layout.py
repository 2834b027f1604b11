"""``catcode layout``: draw a device layout to PNG or SVG."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from catcode.cli import ArgumentParser
from catcode.cli.generate import add_layout_shape_arguments, layout_shape
from catcode.errors import CatcodeError
from catcode.experiment import LAYOUTS, build_layout
from catcode.io import check_output_path
from catcode.plotting import FIGURE_FORMATS, save_figure

EPILOG = """examples:
  catcode layout --layout ocelot --out ocelot.png
  catcode layout --layout ocelot --section 3-5 --out section.svg
  catcode layout --layout chain --ancilla cat --d 7 --out chain7.svg
  catcode layout --layout rectangular_surface --d 5 --bit_d 3 --ancilla cat --out rect.svg
  catcode layout --layout ldpc_cat --height 4 --width 17 --out ldpc.png
"""


def main(*, command_line_args: list[str] | None = None) -> int:
    parser = ArgumentParser(
        prog="catcode layout", description=__doc__, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--layout", choices=LAYOUTS, default="ocelot", help="device layout (default: ocelot)")
    parser.add_argument("--d", type=int, help="code distance (chain, rotated_surface; phase distance of "
                        "rectangular_surface; ldpc_cat's follows from its shape)")
    add_layout_shape_arguments(parser)
    parser.add_argument("--out", required=True, help="output file, .png or .svg")
    args = parser.parse_args(command_line_args)
    out = Path(args.out)
    if out.suffix.lower() not in FIGURE_FORMATS:
        raise CatcodeError(f"--out must end in one of {', '.join(FIGURE_FORMATS)}; got {args.out!r}")
    check_output_path(out)
    shape = {k: v for (k, (v,)) in layout_shape(args).items()}
    layout = build_layout(args.layout, args.d, bit_distance=shape.pop("bit_d", None), **shape)
    fig = layout.draw()
    save_figure(fig, out)
    print(f"wrote {out}", file=sys.stderr)
    return 0
