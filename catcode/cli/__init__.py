"""The ``catcode`` command line: one module per verb, each with ``main(*, command_line_args)``.

The verb list and the help text are generated from :data:`COMMANDS`, so adding a verb is
adding one line here and one module beside this file.
"""

from __future__ import annotations

import importlib
import sys

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


def _usage() -> str:
    lines = ["usage: catcode <command> [flags]", "", "commands:"]
    width = max(len(v) for v in COMMANDS)
    for verb, (_, summary) in COMMANDS.items():
        lines.append(f"  {verb.ljust(width)}  {summary}")
    lines += ["", "Run `catcode <command> --help` for a command's flags and examples."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``catcode`` console script.

    Bad input is reported as one line ``catcode: error: ...`` on stderr with exit code 2.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(_usage())
        return 0 if args else 2
    verb, rest = args[0], args[1:]
    if verb not in COMMANDS:
        print(f"catcode: error: unknown command {verb!r}; choices: {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[verb][0])
    try:
        return int(module.main(command_line_args=rest) or 0)
    except CatcodeError as exc:
        print(f"catcode {verb}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
