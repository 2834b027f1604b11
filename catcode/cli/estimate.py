"""``catcode estimate``: logical error rates below direct sampling reach, with confidence intervals."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from catcode.cli._sweep_args import add_sweep_arguments, sweep_from_args
from catcode.cli import ArgumentParser, float_between, int_at_least, positive_float
from catcode.errors import CatcodeError

EPILOG = """\
Circuit files are named like sinter's `--metadata_func auto` inputs, e.g.
`d=15,r=15,b=X,noise=cat_cat,nbar=4.stim`; the key=value terms become the
row's json_metadata. Rows are appended to --out (created if missing), one per
circuit, as soon as each estimate finishes.

Instead of files, a sweep (the same flags as `catcode collect`) names the
circuits; their metadata is the sweep's, as in collect's CSV.

examples:
  catcode estimate --circuits circuits/*.stim --out estimates.csv
  catcode estimate --layout chain --ancilla cat --noise cat_cat --d 11 15 --b X \\
      --nbar 4 --k1_over_k2 3.5e-5 1e-4 --out est.csv
  catcode estimate --circuits 'd=15,r=15,b=X.stim' --target_relative_ci 1.5 \\
      --max_shots 200000000 --max_seconds 3600 --seed 7 --workers 2 --out est.csv
  catcode estimate --circuits c.stim --method subset --confidence 0.99
"""


def _metadata_of(path: str) -> dict:
    import sinter

    try:
        return sinter.comma_separated_key_values(path)
    except ValueError:
        return {"path": Path(path).name}


def build_parser() -> argparse.ArgumentParser:
    from catcode.rare._estimate import METHODS

    p = ArgumentParser(
        prog="catcode estimate",
        description="Estimate rare logical error rates of Stim circuits (printed per round when the "
        "metadata names the rounds r, and per shot; the CSV stores per-shot rates) by stratified "
        "sampling over fault counts, extended by a failing-set Markov chain where needed. --workers sets the decoding processes.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_sweep_arguments(p, what="estimated", circuits_help="estimate these .stim files instead of a sweep "
                        "(metadata from key=value,...stim names)")
    p.add_argument("--out", default=None, help="CSV file to append estimate rows to")
    p.add_argument("--decoder", default="auto", help="auto (default: pymatching_erasure if the circuit has "
                   "herald detectors, else pymatching), pymatching, pymatching_erasure or a sinter decoder name")
    p.add_argument("--method", default="auto", choices=METHODS, help="auto (default), subset or splitting")
    p.add_argument("--target_relative_ci", type=float_between(1), default=2.0,
                   help="stop when the rate is known within this factor (default 2)")
    p.add_argument("--confidence", type=float_between(0, 1), default=0.95, help="interval coverage (default 0.95)")
    p.add_argument("--max_shots", type=int_at_least(1), default=20_000_000, help="decode budget per circuit")
    p.add_argument("--max_seconds", type=positive_float, default=None, help="time budget per circuit")
    p.add_argument("--max_weight", type=int_at_least(1), default=None, help="largest fault count to sample")
    p.add_argument("--seed", type=int_at_least(0), default=None, help="random seed (offset by the circuit's position)")
    p.add_argument("--workers", type=int_at_least(1), default=os.cpu_count() or 1,
                   help="decoding processes (default: CPU count, as in collect and overhead)")
    p.add_argument("--skip_existing", action="store_true",
                   help="skip circuits that already have a row in --out (same strong_id and decoder)")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    return p


def main(*, command_line_args: list[str] | None = None) -> int:
    """Run ``catcode estimate``; bad input raises CatcodeError (exit 2 via the dispatcher)."""
    from catcode.rare._storage import estimate_tasks, format_table, per_round, rounds_of

    args = build_parser().parse_args(command_line_args)
    from catcode.io import check_output_path
    from catcode.circuit_files import read_circuit_file
    _ = args.out is None or check_output_path(args.out)
    sweep = sweep_from_args(args, decoders=[args.decoder])
    tasks: list = []
    names: list[str] = []
    if sweep is not None:
        tasks = [(task.circuit, task.json_metadata) for task in sweep.tasks()]
        names = [",".join(f"{k}={v}" for k, v in meta.items()) for _, meta in tasks]
    for path in args.circuits or ():
        if not path.endswith(".stim"):
            raise CatcodeError(f"--circuits files must end in .stim; got {path!r}")
        circuit = read_circuit_file(path, what="--circuits file")
        tasks.append((circuit, _metadata_of(path)))
        names.append(path)

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    records = []
    for i, (record, est) in enumerate(
        estimate_tasks(
            tasks, out=args.out, skip_existing=args.skip_existing, seed=args.seed, decoder=args.decoder,
            method=args.method, target_relative_ci=args.target_relative_ci, confidence=args.confidence,
            max_shots=args.max_shots, max_seconds=args.max_seconds, max_weight=args.max_weight, workers=args.workers,
            progress=False if args.quiet else progress,
        )
    ):
        if not args.quiet:
            status = "skipped (already in --out)" if est is None else f"per shot: {est}"
            rounds = rounds_of(record.json_metadata)
            if est is not None and rounds:
                pr = per_round(est.rate, est.ci_low, est.ci_high, rounds)
                status += f"; per round (r={rounds}): {pr[0]:.4g} [{pr[1]:.4g}, {pr[2]:.4g}]"
            if est is not None and est.note:
                status += f"\n    {est.note}"
            print(f"[{i + 1}/{len(tasks)}] {names[i]} (decoder {record.decoder}): {status}", file=sys.stderr, flush=True)
        records.append(record)
    print(format_table(records))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
