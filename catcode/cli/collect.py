"""``catcode collect``: sample a sweep of memory circuits into a resumable sinter CSV."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from typing import Any

from catcode.cli._sweep_args import add_sweep_arguments, sweep_from_args
from catcode.cli import ArgumentParser, int_at_least, positive_float
from catcode.errors import CatcodeError

EPILOG = """\
Decoder: the default "auto" decodes a circuit with herald (erasure-flag) detectors with
pymatching_erasure and any other with pymatching (catcode.decoders.default_decoder); the choice
is printed and recorded in the CSV's decoder column. Name decoders with --decoders to override.

Trust model of --scheduler tcp://...: a Dask scheduler has no authentication and exchanges
pickled Python objects, so anyone who can reach it can run code on it and on this machine's
client. Use only schedulers on networks you trust (e.g. through an SSH tunnel). --scheduler local
binds the scheduler and its dashboard to 127.0.0.1, and runs without Dask's statistical profiler
and with slower health ticks (catcode.sampling.cluster.LOCAL_CLUSTER_CONFIG), which on two cores
took CPU from the sampling; the dashboard's profile page stays empty. Workers you start yourself
(`dask worker ADDRESS`) take the same settings from the environment:
DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False DASK_DISTRIBUTED__ADMIN__TICK__INTERVAL=1s.

A sweep is the product of the values given to --d, --b, --noise, --layout and every noise
parameter (--nbar, --k1_over_k2, --param key=v1,v2,...). Each point is a sinter task whose
json_metadata holds d, r, b, noise, layout and every noise parameter. Rerunning the same command
resumes: shots already in --out count towards --max_shots/--max_errors, and a run killed at any
moment loses no recorded shot. The CSV is sinter's format: `sinter plot` and `sinter combine` read it.
The environment variable CATCODE_MAX_SHOTS, when set, caps --max_shots (for quick checks).

examples:
  # generic biased noise: two distances, two error rates, both bases
  catcode collect --d 3 5 --noise biased --param p=1e-3,3e-3 --param eta=100 \\
      --out stats.csv --max_shots 1e5

  # Ocelot-style chain, both bases, three photon numbers, rounds = d
  catcode collect --d 3 5 --b X Z --noise ocelot --nbar 1 1.5 2 --rounds d \\
      --out stats.csv --max_shots 1e6 --max_errors 1000

  # cat-cat repetition code: threshold scan in k1/k2 at fixed nbar, 3d rounds
  catcode collect --d 3 5 7 --noise cat_cat --param nbar=4 --k1_over_k2 1e-4 3e-4 1e-3 \\
      --rounds 3d --out threshold.csv --max_shots 1e7 --max_errors 500

  # pre-generated circuits (catcode generate); metadata from file names like
  # layout=chain,d=5,r=5,b=X,noise=biased,p=0.001,eta=100.0.stim
  catcode collect --circuits circuits/*.stim --out stats.csv --max_shots 1e6

  # the same sweep on a Dask cluster (or --scheduler local for a LocalCluster of --workers)
  catcode collect --d 3 5 --noise ocelot --nbar 1 2 --out stats.csv --max_shots 1e8 \\
      --max_errors 1000 --scheduler tcp://10.0.0.5:8786

  # list the tasks (and the decoder each gets) and how many shots each already has, without sampling
  catcode collect --d 3 5 --noise ocelot --nbar 1 2 --out stats.csv --max_shots 1e6 --dry_run
"""


def _count(text: str) -> int:
    """argparse type: an integer, also written like 1e6."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number such as 1000 or 1e6; got {text!r}") from None
    if not value.is_integer():
        raise argparse.ArgumentTypeError(f"expected a whole number such as 1000 or 1e6; got {text!r}")
    return int(value)


def _parser() -> argparse.ArgumentParser:
    p = ArgumentParser(
        prog="catcode collect",
        description="Sample a sweep of memory circuits with sinter (or Dask) into a resumable sinter CSV.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_sweep_arguments(p, what="sampled", circuits_help="sample these circuit files instead of a sweep (metadata from key=value,...stim names)")

    run = p.add_argument_group("sampling")
    run.add_argument("--out", required=True, help="stats CSV to create or resume (sinter format)")
    run.add_argument("--max_shots", type=int_at_least(1), required=True, help="shots per task, old and new together (e.g. 1e6)")
    run.add_argument("--max_errors", type=int_at_least(0), default=None, help="stop a task after this many errors")
    run.add_argument("--decoders", nargs="+", default=["auto"], metavar="NAME",
                     help="decoders by name (sinter built-ins, pymatching_erasure or custom ones; default: auto = "
                     "pymatching_erasure for circuits with herald detectors, else pymatching)")
    run.add_argument("--custom_decoders_module_function", default=None, metavar="MODULE:FUNCTION",
                     help="a function returning a dict name -> sinter.Decoder, as in sinter collect")
    run.add_argument("--workers", "--processes", dest="processes", type=int_at_least(1), default=None,
                     help="worker processes (default: CPU count); with --scheduler local, Dask workers; "
                     "--processes is an alias")
    run.add_argument("--scheduler", default=None, metavar="ADDRESS",
                     help="run on Dask: 'local' for a LocalCluster or an address like tcp://host:8786")
    run.add_argument("--scheduler_timeout", type=positive_float, default=5.0, help="seconds to reach the scheduler (default 5)")
    run.add_argument("--max_batch_size", type=int_at_least(1), default=None, help="largest batch sampled at once")
    run.add_argument("--max_batch_seconds", type=int_at_least(1), default=None, help="sinter: target seconds per batch")
    run.add_argument("--start_batch_size", type=int_at_least(1), default=None, help="shots in a task's first batch")
    run.add_argument("--chunk_seconds", type=positive_float, default=2.0,
                     help="Dask: target seconds of work per chunk, one CSV row each (default 2)")
    run.add_argument("--quiet", action="store_true", help="no progress on stderr")
    run.add_argument("--dry_run", action="store_true",
                     help="check everything and list the tasks with their recorded shots; sample nothing")
    return p


def _load_custom_decoders(spec: str | None) -> dict[str, Any]:
    if spec is None:
        return {}
    module_name, sep, func_name = spec.partition(":")
    if not sep or not module_name or not func_name:
        raise CatcodeError(f"--custom_decoders_module_function takes MODULE:FUNCTION; got {spec!r}")
    try:
        func = getattr(importlib.import_module(module_name), func_name)
    except (ImportError, AttributeError) as exc:
        raise CatcodeError(f"cannot load {spec!r}: {exc}") from None
    if not callable(func):
        raise CatcodeError(f"--custom_decoders_module_function {spec!r} is not a function")
    try:
        result = func()
    except Exception as exc:  # noqa: BLE001 - user code: report it in one line
        raise CatcodeError(f"--custom_decoders_module_function {spec}() failed: {type(exc).__name__}: {exc}") from None
    if not isinstance(result, dict) or not all(isinstance(k, str) for k in result):
        raise CatcodeError(f"{spec} must return a dict of name -> sinter.Decoder; got {type(result).__name__}")
    return result


def capped_max_shots(max_shots: int) -> int:
    """``max_shots``, capped by the environment variable ``CATCODE_MAX_SHOTS`` when it is set.

    Tests and the README-examples check run the documented commands with a few shots this way.
    """
    cap = os.environ.get("CATCODE_MAX_SHOTS", "").strip()
    if not cap:
        return max_shots
    try:
        return min(max_shots, _count(cap))
    except argparse.ArgumentTypeError as exc:
        raise CatcodeError(f"environment variable CATCODE_MAX_SHOTS: {exc}") from None


def _print_decoders(tasks: list[Any]) -> None:
    from collections import Counter

    counts = Counter(t.decoder for t in tasks)
    names = ", ".join(f"{name} ({n} task{'s' if n != 1 else ''})" for name, n in counts.items())
    print(f"catcode collect: decoders: {names}", file=sys.stderr)


def _tasks(args: argparse.Namespace) -> list[Any]:
    from catcode.circuit_files import tasks_from_circuit_files  # not catcode.sweep: no compiler to import

    sweep = sweep_from_args(args, decoders=args.decoders)
    if sweep is None:
        return tasks_from_circuit_files(args.circuits, decoders=args.decoders)
    return sweep.tasks()


def main(*, command_line_args: list[str] | None = None) -> int:
    """Run ``catcode collect``; see ``catcode collect --help``."""
    args = _parser().parse_args(command_line_args)
    if args.scheduler == "local" and not args.dry_run:
        from catcode.forkserver import prestart_local_workers

        prestart_local_workers()  # its imports overlap with everything below
    from catcode.sampling import collect, prepare_tasks, resolve_decoders
    from catcode.sampling.csvio import check_output_path, scan_csv

    check_output_path(args.out)
    custom = _load_custom_decoders(args.custom_decoders_module_function)
    resolve_decoders([d for d in args.decoders if d != "auto"], custom)  # unknown names fail before any work
    tasks = _tasks(args)
    if not args.quiet:
        _print_decoders(tasks)
    if args.dry_run:
        prepared = prepare_tasks(tasks, decoders=args.decoders)
        resolve_decoders([t.decoder for t in prepared], custom)
        existing = scan_csv(args.out).stats if os.path.exists(args.out) else {}
        for t in prepared:
            have = existing.get(t.strong_id())
            print(f"{have.shots if have else 0:>12} shots {have.errors if have else 0:>8} errors  "
                  f"{t.decoder}  {json.dumps(t.json_metadata, sort_keys=True)}")
        print(f"{len(prepared)} tasks; nothing sampled (--dry_run)", file=sys.stderr)
        return 0
    try:
        stats = collect(
            tasks, out=args.out, max_shots=capped_max_shots(args.max_shots), max_errors=args.max_errors,
            decoders=args.decoders, custom_decoders=custom, processes=args.processes,
            scheduler=args.scheduler, scheduler_timeout=args.scheduler_timeout,
            print_progress=not args.quiet, max_batch_size=args.max_batch_size,
            max_batch_seconds=args.max_batch_seconds, start_batch_size=args.start_batch_size,
            chunk_seconds=args.chunk_seconds,
        )
    except KeyboardInterrupt:
        print(f"catcode collect: interrupted; every recorded row is kept in {args.out}; "
              "rerun the same command to resume", file=sys.stderr)
        return 130
    if not args.quiet:
        shots = sum(s.shots for s in stats)
        errors = sum(s.errors for s in stats)
        print(f"catcode collect: {len(stats)} tasks, {shots} shots and {errors} errors in {args.out}",
              file=sys.stderr)
    return 0
