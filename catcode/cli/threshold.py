"""``catcode threshold``: where the logical error per d rounds of consecutive distances cross."""

from __future__ import annotations

import argparse
import math

from catcode.cli import ArgumentParser, int_at_least
from catcode.errors import CatcodeError

EPILOG = """\
examples:
  # cat-cat repetition code, X-basis memories with rounds = d, one family per n̄
  catcode collect --layout chain --ancilla cat --b X --noise cat_cat --d 3 5 7 --nbar 4 8 \\
      --k1_over_k2 0.001 0.002 0.004 0.006 0.01 0.02 --rounds d --max_shots 40000 --max_errors 4000 --out stats.csv
  catcode threshold --in stats.csv --x k1_over_k2 --group d

  # one family, more resamples, a stricter error cut
  catcode threshold --in stats.csv --x k1_over_k2 --filter nbar=8 --resamples 4000 --min_errors 50

Method (catcode.threshold): per-shot rates become errors per d rounds (identity when r = d); each
curve is interpolated in log-log between its grid points; a pair (d, d') crosses where
ln p_d - ln p_d' changes sign. Bands are the 15.9/50/84.1 % percentiles of a parametric bootstrap
over every point's binomial likelihood; the combined value is the geometric mean of the pair
crossings, from the same resamples. Points with per-shot rate > 0.4 or a likelihood band reaching
0.5 (saturated), or with fewer than --min_errors errors, are excluded; a curve left with < 2
points, or a pair that does not change sign on the grid, is an error that names it.
Filters: --filter key=value keeps rows whose metadata key equals value (repeatable, v1,v2 accepted).
"""


def _parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="catcode threshold",
        description=(
            "Locate the threshold as the crossing of the logical error per d rounds (rounds ∝ d) of "
            "consecutive distances, with bootstrap bands, from sinter-format stats CSVs."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--in", dest="inputs", nargs="+", required=True, metavar="CSV",
                        help="sinter-format stats CSV file(s); rows of the same task are summed")
    parser.add_argument("--x", dest="x_key", required=True, metavar="KEY",
                        help="numeric metadata key swept across the crossing, e.g. k1_over_k2 or p")
    parser.add_argument("--group", default="d", metavar="KEY", help="the distance key (default d)")
    parser.add_argument("--filter", dest="filters", action="append", default=[], metavar="KEY=VALUE",
                        help="keep rows whose metadata KEY equals VALUE (repeatable; VALUE may be v1,v2)")
    parser.add_argument("--resamples", type=int_at_least(1), default=1000, help="bootstrap resamples (default 1000)")
    parser.add_argument("--seed", type=int_at_least(0), default=0, help="bootstrap seed (default 0)")
    parser.add_argument("--min_errors", type=int_at_least(1), default=10,
                        help="exclude points with fewer errors (default 10)")
    parser.add_argument("--max_likelihood_factor", type=float, default=1e3,
                        help="Bayes factor of the band that flags a point as saturated when it reaches 0.5 (default 1000)")
    return parser


def main(*, command_line_args: list[str] | None = None) -> int:
    """Run ``catcode threshold``; returns the exit code. Bad input raises CatcodeError."""
    args = _parser().parse_args(command_line_args)

    from catcode import analysis, threshold
    from catcode.io import check_input_file
    from catcode.sampling.csvio import scan_csv

    for path in args.inputs:
        scan_csv(check_input_file(path, what="--in file"))  # one-line error naming a bad row
    if not (args.max_likelihood_factor >= 1 and math.isfinite(args.max_likelihood_factor)):
        raise CatcodeError(f"--max_likelihood_factor must be a finite number >= 1; got {args.max_likelihood_factor}")
    x_key = analysis.METADATA_ALIASES.get(args.x_key, args.x_key)
    group_key = analysis.METADATA_ALIASES.get(args.group, args.group)
    stats = analysis.read_stats(*args.inputs)
    stats = analysis.filter_stats(stats, analysis.parse_filters(args.filters))
    estimates = threshold.crossing_thresholds(
        stats, x_key=x_key, group_key=group_key, num_resamples=args.resamples, seed=args.seed,
        min_errors=args.min_errors, max_likelihood_factor=args.max_likelihood_factor,
    )
    print(threshold.format_crossings(estimates))
    return 0
