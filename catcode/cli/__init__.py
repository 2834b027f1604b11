"""The ``catcode`` command line: one module per verb, each with ``main(*, command_line_args)``.

The verb list and the help text are generated from :data:`COMMANDS`, so adding a verb is
adding one line here and one module beside this file.

Errors are one line on stderr (``catcode VERB: error: ...``), exit code 2 for bad input and 1 for
an unexpected failure; the traceback is shown only with ``--debug`` (any position) or the
environment variable ``CATCODE_DEBUG=1``.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import math
import os
import sys
from collections.abc import Callable
from typing import NoReturn

from catcode.errors import CatcodeError

#: verb -> (module implementing it, one-line summary)
COMMANDS: dict[str, tuple[str, str]] = {
    "generate": ("catcode.cli.generate", "write a memory-experiment circuit to a .stim file"),
    "layout": ("catcode.cli.layout", "draw a device layout to PNG or SVG"),
    "collect": ("catcode.cli.collect", "sample a sweep of circuits with sinter into a resumable CSV"),
    "plot": ("catcode.cli.plot", "plot logical error per round from a stats CSV"),
    "threshold": ("catcode.cli.threshold", "locate thresholds as crossings of consecutive distances, with bands"),
    "estimate": ("catcode.cli.estimate", "estimate rare logical error rates below sampling reach"),
    "overhead": ("catcode.cli.overhead", "compare qubit overhead with the surface code"),
}


class ArgumentParser(argparse.ArgumentParser):
    """argparse parser whose errors are one-line :class:`CatcodeError` s (no usage block).

    >>> p = ArgumentParser(prog="catcode x"); _ = p.add_argument("--n", type=int)
    >>> try:
    ...     p.parse_args(["--n", "a"])
    ... except CatcodeError as exc:
    ...     print(exc)
    argument --n: invalid int value: 'a' (see `catcode x --help`)
    """

    def error(self, message: str) -> NoReturn:
        raise CatcodeError(f"{message} (see `{self.prog} --help`)")


def int_at_least(minimum: int) -> Callable[[str], int]:
    """argparse type: an integer >= ``minimum``, also written like ``1e6`` (a whole number).

    >>> int_at_least(1)("1e3")
    1000
    >>> int_at_least(1)("0")
    Traceback (most recent call last):
    argparse.ArgumentTypeError: expected an integer >= 1; got '0'
    """
    def parse(text: str) -> int:
        value: int | None = None
        t = text.strip()
        if t.lstrip("+-").isdigit() and len(t) <= 19:
            value = int(t)
        else:
            try:
                f = float(t)
                value = int(f) if f.is_integer() and abs(f) < 2**63 else None
            except ValueError:
                value = None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}; got {text!r}")
        return value

    parse.__name__ = f"integer >= {minimum}"
    return parse


def float_between(low: float, high: float = math.inf) -> Callable[[str], float]:
    """argparse type: a finite number strictly between ``low`` and ``high``.

    >>> float_between(0, 1)("0.95")
    0.95
    >>> float_between(1)("1")
    Traceback (most recent call last):
    argparse.ArgumentTypeError: expected a finite number > 1; got '1'
    """
    bound = f"> {low:g}" + ("" if high == math.inf else f" and < {high:g}")

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (low < value < high and math.isfinite(value)):
            raise argparse.ArgumentTypeError(f"expected a finite number {bound}; got {text!r}")
        return value

    parse.__name__ = f"number {bound}"
    return parse


#: argparse type: a finite number > 0 (durations, timeouts).
positive_float = float_between(0)


def _usage() -> str:
    lines = ["usage: catcode <command> [flags]", "", "commands:"]
    width = max(len(v) for v in COMMANDS)
    for verb, (_, summary) in COMMANDS.items():
        lines.append(f"  {verb.ljust(width)}  {summary}")
    lines += ["", "Run `catcode <command> --help` for a command's flags and examples.",
              "Global flags: --version; --debug (or CATCODE_DEBUG=1) shows tracebacks."]
    return "\n".join(lines)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _run(args: list[str]) -> int:
    from catcode import __version__

    if not args:
        raise CatcodeError(f"give a command: {', '.join(COMMANDS)} (see `catcode --help`)")
    if args[0] in ("-h", "--help", "help"):
        print(_usage())
        return 0
    if args[0] in ("--version", "-V"):
        print(f"catcode {__version__}")
        return 0
    verb, rest = args[0], args[1:]
    if verb not in COMMANDS:
        raise CatcodeError(f"unknown command {verb!r}; choices: {', '.join(COMMANDS)}")
    module = importlib.import_module(COMMANDS[verb][0])
    return int(module.main(command_line_args=rest) or 0)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``catcode`` console script; returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or os.environ.get("CATCODE_DEBUG", "") not in ("", "0")
    args = [a for a in args if a != "--debug"]
    verb = args[0] if args and args[0] in COMMANDS else None
    name = f"catcode {verb}" if verb else "catcode"
    try:
        return _run(args)
    except CatcodeError as exc:
        if debug:
            raise
        print(f"{name}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `catcode --help | head -1`: stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        if debug:
            raise
        print(f"{name}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the one place that turns failures into one line
        if debug:
            raise
        print(f"{name}: error: {type(exc).__name__}: {_one_line(exc)} (rerun with --debug for the traceback)",
              file=sys.stderr)
        return 1


def console_main() -> NoReturn:
    """The ``catcode`` console script and ``python -m catcode``: :func:`main`, then exit with its code.

    Before exiting it freezes the garbage collector (:func:`gc.freeze`). At exit CPython runs
    full collections over every object still alive: ≈ 0.15 s of a ``collect --scheduler local``
    run, whose driver holds 735 modules with Dask's (issue 15, ``docs/speed_sampling.md``). Frozen
    objects are skipped; ``atexit`` handlers and ``weakref.finalize`` callbacks still run, and
    catcode closes every file it writes before returning. :func:`main` itself never freezes: it
    also runs inside long-lived processes (tests, notebooks).
    """
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    console_main()
