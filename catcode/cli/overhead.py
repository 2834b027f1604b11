"""``catcode overhead``: qubits of cat-code architectures (repetition, rectangular, LDPC-cat) against the surface code."""

from __future__ import annotations

import argparse
import math
import os
import pathlib
import sys
from typing import Any

from catcode.cli import ArgumentParser
from catcode.cli.collect import capped_max_shots
from catcode.errors import CatcodeError
from catcode.sweep import parse_value

EPILOG = """\
examples:
  # 9 vs 49 qubits at d = 5: simulated logical error per cycle of each, Ocelot-like cats vs SI1000(p=1e-3)
  catcode overhead --d 5

  # the same with cat-cat ancillas at nbar = 6 and a noisier surface code, written to a CSV
  catcode overhead --d 5 --cat_noise cat_cat --cat_param nbar=6 --cat_param k1_over_k2=1e-3 \\
      --surface_noise si1000 --surface_param p=2e-3 --out d5.csv

  # fewest qubits for three targets; cat search over nbar = 2, 4, ..., 12 and odd d <= 61
  catcode overhead --targets 1e-6 1e-9 1e-12 --cat_noise cat_cat --cat_param k1_over_k2=1e-3 \\
      --nbar_range 2 12 2 --d_max 61 --out table.csv --plot overhead.png

  # improved Ocelot-like cats (kappa_1 halved), fits only (no direct checks), quick sampling
  catcode overhead --targets 1e-4 1e-6 --cat_param kappa_1_hz=8333 --no-check --max_shots 100000

  # three architectures (rectangular: searched over d, bit_d and nbar) and LDPC-cat (published fit)
  # for 100 logical qubits; the notes say which wins and where the repetition code's floor sits
  catcode overhead --targets 1e-6 1e-9 1e-12 --architectures repetition rectangular surface ldpc_cat \\
      --logical_qubits 100 --cat_noise cat_cat --cat_param k1_over_k2=1e-4 --nbar_range 4 12 4 --no-check

  # Ruiz et al.'s 758 / 2,100 / 33,700 comparison from the published fits (no sampling)
  catcode overhead --ruiz --logical_qubits 100

Logical error per cycle = mean of the X- and Z-memory per-round rates (rounds = d), for both codes.
--boundary ideal (default) removes preparation and final-readout noise, giving bulk per-cycle rates;
--boundary noisy keeps it. Bands are likelihood-ratio 1000 bands (as sinter plot); a target's qubit
range [optimistic-pessimistic] comes from the fits' bands. Points with fewer than --min_errors errors
use the rare-event estimator (catcode.rare) when available (--no-rare to disable).
The environment variable CATCODE_MAX_SHOTS, when set, caps --max_shots (quick checks, tests).
Parameter values: key=value with value an int, a float, true/false, none, or a string.
"""


def _parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="catcode overhead",
        description=(
            "Compare the qubit overhead of the cat repetition code (2d-1 qubits) with the rotated surface code "
            "(2d^2-1) under stated noise: at one distance (--d), or the fewest qubits for target logical errors "
            "per cycle (--targets). Progress goes to stderr, the table to stdout."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--d", type=int, default=None, metavar="D", help="compare both codes at this distance")
    mode.add_argument("--targets", type=float, nargs="+", default=None, metavar="EPS",
                      help="target logical errors per cycle, e.g. 1e-6 1e-9 1e-12")
    mode.add_argument("--ruiz", action="store_true",
                      help="Ruiz et al.'s LDPC-cat / repetition / surface comparison from the published fits "
                           "(--logical_qubits, default 100; --ruiz_target, --cat_param k1_over_k2= / nbar=, --surface_param p=)")
    parser.add_argument("--architectures", nargs="+", default=["repetition", "surface"], metavar="ARCH",
                        help="--targets mode: architectures compared (repetition rectangular surface ldpc_cat; "
                             "default repetition surface)")
    parser.add_argument("--logical_qubits", type=int, default=None, metavar="N",
                        help="qubits for N logical qubits (default 1; 100 with --ruiz)")
    parser.add_argument("--bit_distances", type=int, nargs="+", default=[2, 3], metavar="D",
                        help="--targets mode: bit distances sampled for the rectangular code's Z memories (default 2 3)")
    parser.add_argument("--bit_d_max", type=int, default=15, help="--targets mode: largest bit distance searched (default 15)")
    parser.add_argument("--ruiz_target", type=float, default=1e-8,
                        help="--ruiz mode: target per cycle per logical qubit (default 1e-8)")
    parser.add_argument("--cat_noise", default="ocelot", metavar="PRESET",
                        help="noise preset of the cat repetition code (default ocelot; e.g. cat_cat)")
    parser.add_argument("--cat_param", action="append", default=[], metavar="KEY=VALUE",
                        help="cat noise parameter (repeatable), e.g. k1_over_k2=1e-3, kappa_1_hz=8333, nbar=2 (--d mode)")
    parser.add_argument("--cat_ancilla", default=None, choices=("transmon", "cat"),
                        help="ancilla kind of the chain (default: cat for cat_cat, transmon otherwise)")
    parser.add_argument("--surface_noise", default="si1000", metavar="PRESET",
                        help="noise preset of the surface code (default si1000)")
    parser.add_argument("--surface_param", action="append", default=[], metavar="KEY=VALUE",
                        help="surface noise parameter (repeatable); default p=0.001 for si1000 and depolarizing")
    parser.add_argument("--nbar_range", type=float, nargs="+", default=None, metavar="X",
                        help="--targets mode: nbar grid as MIN MAX [STEP] (default 1 8 1)")
    parser.add_argument("--cat_distances", type=int, nargs="+", default=[3, 5, 7], metavar="D",
                        help="--targets mode: distances sampled for the cat fits (default 3 5 7)")
    parser.add_argument("--surface_distances", type=int, nargs="+", default=[3, 5, 7], metavar="D",
                        help="--targets mode: distances sampled for the surface fit (default 3 5 7)")
    parser.add_argument("--d_max", type=int, default=101, help="--targets mode: largest distance searched (default 101)")
    parser.add_argument("--rounds", type=int, default=None, help="rounds per memory experiment (default: d)")
    parser.add_argument("--boundary", default="ideal", choices=("ideal", "noisy"),
                        help="ideal (default): noiseless preparation and final readout; noisy: keep them")
    parser.add_argument("--max_shots", type=int, default=1_000_000, help="sinter shots per circuit at most (default 1e6)")
    parser.add_argument("--max_errors", type=int, default=1000, help="sinter errors per circuit at most (default 1000)")
    parser.add_argument("--min_errors", type=int, default=10,
                        help="fewer sampled errors than this hands the point to the rare-event estimator (default 10)")
    parser.add_argument("--rare", action=argparse.BooleanOptionalAction, default=True,
                        help="use the rare-event estimator below sampling reach (default on)")
    parser.add_argument("--rare_seconds", type=float, default=60.0, help="time budget per rare-event estimate (default 60)")
    parser.add_argument("--check", action=argparse.BooleanOptionalAction, default=True,
                        help="--targets mode: confirm each answer by a direct estimate (default on)")
    parser.add_argument("--max_checks", type=int, default=3, help="direct estimates per target and code at most (default 3)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="worker processes (default: CPU count, as in collect and estimate)")
    parser.add_argument("--max_likelihood_factor", type=float, default=1e3,
                        help="Bayes factor of every band (default 1000, as sinter plot)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the rare-event estimator")
    parser.add_argument("--out", default=None, metavar="CSV", help="write the table as CSV (atomically)")
    parser.add_argument("--plot", default=None, metavar="FIG",
                        help="--targets mode: qubits against target error, .png or .svg")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    return parser


def parse_params(items: list[str], flag: str) -> dict[str, Any]:
    """``["k=v", ...]`` -> dict (values by :func:`catcode.sweep.parse_value`); CatcodeError on a malformed or repeated key.

    >>> parse_params(["nbar=2", "kappa_1_hz=8333.0", "convention=none"], "--cat_param")
    {'nbar': 2, 'kappa_1_hz': 8333.0, 'convention': None}
    """""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key or not value.strip():
            raise CatcodeError(f"{flag} must look like key=value (e.g. {flag} nbar=2); got {item!r}")
        if key in out:
            raise CatcodeError(f"{flag} sets {key!r} twice; got {item!r}")
        out[key] = parse_value(value)
    return out


def nbar_grid(values: list[float] | None) -> list[float]:
    """``[MIN, MAX]`` or ``[MIN, MAX, STEP]`` -> the grid (MAX included when on the grid).

    >>> nbar_grid([2, 8, 2])
    [2.0, 4.0, 6.0, 8.0]
    """
    if values is None:
        values = [1.0, 8.0, 1.0]
    if len(values) not in (2, 3):
        raise CatcodeError(f"--nbar_range takes MIN MAX [STEP]; got {len(values)} values {values}")
    lo, hi = float(values[0]), float(values[1])
    step = float(values[2]) if len(values) == 3 else 1.0
    if not (0 < lo <= hi) or not (step > 0) or not all(math.isfinite(v) for v in (lo, hi, step)):
        raise CatcodeError(f"--nbar_range needs 0 < MIN <= MAX and STEP > 0; got MIN={lo:g} MAX={hi:g} STEP={step:g}")
    n = int(math.floor((hi - lo) / step + 1e-9)) + 1
    if n > 200:
        raise CatcodeError(f"--nbar_range gives {n} values; at most 200 (use a larger STEP)")
    return [round(lo + k * step, 10) for k in range(n)]


def main(*, command_line_args: list[str] | None = None) -> int:
    """Run ``catcode overhead``; returns the exit code. Bad input raises CatcodeError."""
    args = _parser().parse_args(command_line_args)

    import matplotlib

    matplotlib.use("Agg")

    from catcode import overhead, plotting
    from catcode.errors import require_choice
    from catcode.io import check_output_path

    if args.out is not None:
        check_output_path(args.out)
    if args.plot is not None:
        if args.d is not None:
            raise CatcodeError("--plot draws qubits against target error: it needs --targets, not --d")
        require_choice("--plot extension", pathlib.Path(args.plot).suffix.lower() or "(none)", plotting.FIGURE_FORMATS)
        check_output_path(args.plot)
    cat_params = parse_params(args.cat_param, "--cat_param")
    if args.ruiz:
        return _ruiz(args, cat_params)
    surface_params = parse_params(args.surface_param, "--surface_param") if args.surface_param else None
    progress = None if args.quiet else overhead._stderr
    common: dict[str, Any] = dict(
        cat_noise=args.cat_noise, cat_params=cat_params, surface_noise=args.surface_noise,
        surface_params=surface_params, cat_ancilla=args.cat_ancilla, rounds=args.rounds, boundary=args.boundary,
        max_shots=capped_max_shots(args.max_shots), max_errors=args.max_errors, min_errors=args.min_errors, rare=args.rare,
        rare_seconds=args.rare_seconds, num_workers=args.workers, max_likelihood_factor=args.max_likelihood_factor,
        seed=args.seed, progress=progress,
    )
    if args.d is not None:
        for flag, given in (("--nbar_range", args.nbar_range is not None),):
            if given:
                raise CatcodeError(f"{flag} belongs to --targets mode; at one distance set nbar with --cat_param nbar=X")
        result = overhead.compare_at_distance(args.d, **common)
        print(result.table())
        rows = result.rows()
    else:
        if "nbar" in cat_params:
            raise CatcodeError(f"--targets mode scans nbar over --nbar_range; do not pass --cat_param nbar={cat_params['nbar']}")
        study = overhead.qubits_for_target(
            args.targets, nbar_values=nbar_grid(args.nbar_range), cat_distances=args.cat_distances,
            surface_distances=args.surface_distances, d_max=args.d_max, check=args.check, max_checks=args.max_checks,
            architectures=args.architectures, logical_qubits=1 if args.logical_qubits is None else args.logical_qubits,
            bit_distances=args.bit_distances, bit_d_max=args.bit_d_max, **common,
        )
        print(study.table())
        rows = study.rows_for_csv()
        if args.plot is not None:
            fig = overhead.plot_overhead(study)
            plotting.save_figure(fig, args.plot)
            if progress:
                progress(f"wrote {args.plot}")
    if args.out is not None:
        overhead.write_csv(args.out, rows)
        if progress:
            progress(f"wrote {args.out}")
    return 0


def _ruiz(args: argparse.Namespace, cat_params: dict[str, Any]) -> int:
    """``--ruiz``: the published-fit comparison (no sampling)."""
    from catcode import overhead

    unknown = sorted(set(cat_params) - {"k1_over_k2", "nbar"})
    if unknown:
        raise CatcodeError(f"--ruiz takes --cat_param k1_over_k2= and nbar= only; got {', '.join(unknown)}")
    surface = parse_params(args.surface_param, "--surface_param")
    logical = 100 if args.logical_qubits is None else args.logical_qubits
    rows = overhead.ruiz_comparison(logical=logical, target=args.ruiz_target,
                                    k1_over_k2=float(cat_params.get("k1_over_k2", 1e-4)),
                                    nbar=float(cat_params.get("nbar", 11.0)), surface_p=surface.get("p"))
    print(overhead.format_ruiz(rows, logical=logical, target=args.ruiz_target))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
