"""``catcode plot``: logical error per round from sinter stats CSVs, as a figure and a table."""

from __future__ import annotations

import argparse
import math
import pathlib
import sys
from typing import Any

from catcode.cli import ArgumentParser, int_at_least
from catcode.errors import CatcodeError

EPILOG = """\
examples:
  # logical error per round against n̄, one curve per distance, with likelihood bands
  catcode plot --in stats.csv --x nbar --out nbar.png

  # Ocelot-style total error per cycle (mean of X and Z memories) next to its phase and bit parts
  catcode plot --in stats.csv --x nbar --total --out total.svg

  # threshold study of the cat-cat code (rounds = d): per-shot curves with their crossings marked
  catcode plot --in sweep.csv --x k1_over_k2 --filter b=X --filter nbar=4 \\
      --no-per_round --mark_thresholds --out threshold.png

  # scaling fit with its fit parameter x_th (bootstrap interval) and Λ
  catcode plot --in sweep.csv --x k1_over_k2 --filter b=X --filter nbar=4 \\
      --fit --suppression --bootstrap 200 --out fit.png

  # per-shot rates against distance, only print the table (no --out)
  catcode plot --in a.csv b.csv --x d --no-per_round --filter noise=depolarizing

Filters: --filter key=value keeps rows whose metadata key equals value; key=v1,v2 accepts either;
repeat --filter to require several keys (use decoder=NAME for the decoder column).
The fit is p_L = A (x/x_th)^(c (d+1)/2), weighted least squares on ln p_L (see catcode.analysis);
its x_th is a fit parameter, not a threshold. Thresholds are crossings: see `catcode threshold`.
"""


def _parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="catcode plot",
        description=(
            "Plot logical error per round (converted from per-shot rates, with likelihood bands) from "
            "sinter-format stats CSVs, and print the plotted points as a table."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--in", dest="inputs", nargs="+", required=True, metavar="CSV",
                        help="sinter-format stats CSV file(s); rows of the same task are summed")
    parser.add_argument("--out", default=None, metavar="FIG",
                        help="figure to write, .png or .svg (omit to only print the table)")
    parser.add_argument("--x", dest="x_key", default=None, metavar="KEY",
                        help="numeric metadata key for the x axis, e.g. nbar, d, k1_over_k2, p")
    parser.add_argument("--group", default=None, metavar="KEY",
                        help="metadata key that colours the curves (default: d, or none when --x d); 'none' for no group")
    parser.add_argument("--per_round", action=argparse.BooleanOptionalAction, default=True,
                        help="convert per-shot rates to per-round rates using metadata r (default on)")
    parser.add_argument("--total", action="store_true",
                        help="plot the total (mean of X- and Z-basis memories) next to its phase and bit parts")
    parser.add_argument("--fit", action="store_true",
                        help="fit p_L = A (x/x_th)^(c (d+1)/2), overlay it, print it and its fit parameter x_th")
    parser.add_argument("--suppression", action="store_true",
                        help="print the suppression factor Λ = p_L(d)/p_L(d') between consecutive distances")
    parser.add_argument("--bootstrap", type=int, default=0, metavar="N",
                        help="with --fit: also estimate the fit parameter x_th's uncertainty from N bootstrap resamples")
    parser.add_argument("--mark_thresholds", action="store_true",
                        help="with --no-per_round: mark the crossings of consecutive distances (catcode threshold) "
                             "as vertical lines with their bootstrap bands")
    parser.add_argument("--seed", type=int_at_least(0), default=0, help="random seed for --bootstrap and --mark_thresholds (default 0)")
    parser.add_argument("--filter", dest="filters", action="append", default=[], metavar="KEY=VALUE",
                        help="keep rows whose metadata KEY equals VALUE (repeatable; VALUE may be v1,v2)")
    parser.add_argument("--max_likelihood_factor", type=float, default=1e3,
                        help="Bayes factor of the likelihood bands (default 1000, as sinter plot)")
    parser.add_argument("--xscale", default="auto", help="auto, linear or log (default auto)")
    parser.add_argument("--yscale", default="auto", help="auto, linear or log (default auto)")
    parser.add_argument("--title", default=None, help="figure title")
    parser.add_argument("--reference", dest="references", action="append", default=[], metavar="VALUE=LABEL",
                        help="draw a labelled horizontal line at VALUE on the (first) panel, e.g. a published "
                        "rate: --reference '0.0175=Putterman 2025, d = 3' (repeatable)")
    return parser


def _parse_reference(text: str) -> tuple[float, str]:
    """``VALUE=LABEL`` of ``--reference``: a finite number and a label.

    >>> _parse_reference("0.0175=published d = 3")
    (0.0175, 'published d = 3')
    """
    value, sep, label = text.partition("=")
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not sep or not label.strip() or not math.isfinite(number):
        raise CatcodeError(f"--reference takes VALUE=LABEL with a finite number, e.g. 0.0175=published; got {text!r}")
    return number, label.strip()


def _check_args(args: argparse.Namespace) -> list[tuple[float, str]]:
    """Validate the flags before any file is read; returns the parsed ``--reference`` lines."""
    from catcode import plotting
    from catcode.errors import require_choice
    from catcode.io import check_input_file, check_output_path

    if args.out is not None:
        check_output_path(args.out)
        require_choice("--out extension", pathlib.Path(args.out).suffix.lower() or "(none)", plotting.FIGURE_FORMATS)
    for path in args.inputs:
        check_input_file(path, what="--in file")
    if not (args.max_likelihood_factor >= 1 and math.isfinite(args.max_likelihood_factor)):
        raise CatcodeError(f"--max_likelihood_factor must be a finite number >= 1; got {args.max_likelihood_factor}")
    references = [_parse_reference(text) for text in args.references]
    require_choice("--xscale", args.xscale, ("auto", "linear", "log"))
    require_choice("--yscale", args.yscale, ("auto", "linear", "log"))
    if args.bootstrap and not args.fit:
        raise CatcodeError(f"--bootstrap {args.bootstrap} needs --fit (x_th is a parameter of the fit)")
    if args.mark_thresholds and (args.per_round or args.total):
        raise CatcodeError("--mark_thresholds marks crossings of the error per shot of single memories; "
                           "add --no-per_round and drop --total")
    if args.bootstrap < 0:
        raise CatcodeError(f"--bootstrap must be an integer >= 0; got {args.bootstrap}")
    return references


def _axes_keys(args: argparse.Namespace, stats: list[Any]) -> tuple[str, str | None]:
    """The x key and the group key (default ``d`` unless x is d or no task has it), canonical names."""
    from catcode import analysis

    if args.x_key is None:
        raise CatcodeError("choose the x axis with --x KEY; numeric metadata keys present: "
                           + ", ".join(analysis.numeric_keys(stats)))
    x_key = analysis.METADATA_ALIASES.get(args.x_key, args.x_key)
    if args.group is None:
        group_key = None if x_key == "d" or "d" not in analysis.metadata_keys(stats) else "d"
    elif args.group.lower() == "none":
        group_key = None
    else:
        group_key = analysis.METADATA_ALIASES.get(args.group, args.group)
    return x_key, group_key


def main(*, command_line_args: list[str] | None = None) -> int:
    """Run ``catcode plot``; returns the exit code. Bad input raises CatcodeError."""
    args = _parser().parse_args(command_line_args)
    from catcode import analysis, plotting

    references = _check_args(args)
    stats = analysis.read_stats(*args.inputs)
    if not stats:
        raise CatcodeError(f"no rows in {', '.join(args.inputs)}: nothing to plot")
    stats = analysis.filter_stats(stats, analysis.parse_filters(args.filters))
    x_key, group_key = _axes_keys(args, stats)
    if args.fit and x_key == "d":
        raise CatcodeError("--fit sweeps x across distances; choose --x other than d (e.g. p, k1_over_k2, nbar)")
    plotting.check_keys(stats, x_key=x_key, group_key=group_key)
    notes: list[str] = []
    points = analysis.rate_points(stats, x_key=x_key, per_round=args.per_round, total=args.total,
                                  max_likelihood_factor=args.max_likelihood_factor, notes=notes)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    stats = [s for s in stats if x_key in s.json_metadata]
    fit = analysis.fit_scaling(points, x_key=x_key, d_key="d") if args.fit else None

    print(analysis.format_rates_table(points, x_key=x_key, group_key=group_key))
    if fit is not None:
        print(f"\n{analysis.format_fit(fit)}")
        print(analysis.format_x_th(analysis.fit_parameter_x_th(points, x_key=x_key, method="covariance"), x_key))
        if args.bootstrap:
            est = analysis.fit_parameter_x_th(points, x_key=x_key, method="bootstrap",
                                              num_resamples=args.bootstrap, seed=args.seed)
            print(analysis.format_x_th(est, x_key))
    if args.suppression:
        print(f"\n{analysis.format_suppressions(analysis.suppression_factors(points, d_key='d'), x_key=x_key, fit=fit)}")
    crossings: list[Any] = []
    if args.mark_thresholds:
        from catcode import threshold

        crossings = threshold.crossing_thresholds(stats, x_key=x_key, group_key=group_key or "d", seed=args.seed,
                                                  max_likelihood_factor=args.max_likelihood_factor)
        print(f"\n{threshold.format_crossings(crossings)}")
    if args.out is not None:
        fig = plotting.plot_rate_points(
            points, x_key=x_key, group_key=group_key, fit=fit, per_round=args.per_round, total=args.total,
            crossings=crossings, references=references, max_likelihood_factor=args.max_likelihood_factor,
            xscale=args.xscale, yscale=args.yscale, title=args.title,
        )
        print(f"wrote {plotting.save_figure(fig, args.out)}", file=sys.stderr)
    return 0
