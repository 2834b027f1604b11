"""Sweep flags shared by ``catcode collect`` and ``catcode estimate``.

A sweep is the product of the values given to ``--d``, ``--b``, ``--noise``, ``--layout``,
``--ancilla``, ``--section``, ``--bit_d`` (rectangular_surface), ``--height``/``--width``/``--boundary``
(ldpc_cat, whose distance follows from them) and every noise parameter (``--nbar``, ``--k1_over_k2``,
``--param key=v1,v2``); ``--circuits`` names circuit files instead.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from catcode.errors import CatcodeError
from catcode.layout_kinds import LAYOUTS

if TYPE_CHECKING:  # catcode.sweep imports the layouts (networkx): only a sweep needs it
    from catcode.sweep import Sweep

#: Flags that only some layouts take (the Sweep checks that one of those layouts is swept).
_LAYOUT_FLAGS = ("ancilla", "section", "bit_d", "height", "width", "boundary")


def add_sweep_arguments(parser: argparse.ArgumentParser, *, what: str, circuits_help: str) -> None:
    """Add the sweep flags (and ``--circuits``) to ``parser`` in a group of their own."""
    sweep = parser.add_argument_group(f"sweep (the product of all values is {what})")
    sweep.add_argument("--d", nargs="+", type=int, metavar="D",
                       help="code distances (integers >= 2; the phase distance of rectangular_surface; "
                            "ldpc_cat takes none)")
    sweep.add_argument("--b", nargs="+", default=["X", "Z"], metavar="BASIS", help="memory bases (default: X Z)")
    sweep.add_argument("--noise", nargs="+", default=None, metavar="PRESET",
                       help="noise presets of catcode.noise (default: ocelot)")
    sweep.add_argument("--layout", nargs="+", default=["chain"], metavar="KIND",
                       help=f"layout kinds: {', '.join(LAYOUTS)} (default: chain)")
    sweep.add_argument("--ancilla", nargs="+", default=None, metavar="KIND",
                       help="chain and rectangular_surface ancillas: transmon, cat (default: transmon)")
    sweep.add_argument("--bit_d", nargs="+", type=int, default=None, metavar="D",
                       help="bit distances of rectangular_surface (integers >= 2)")
    sweep.add_argument("--height", nargs="+", type=int, default=None, metavar="H", help="ldpc_cat heights (4 to 8)")
    sweep.add_argument("--width", nargs="+", type=int, default=None, metavar="W", help="ldpc_cat widths (>= 3)")
    sweep.add_argument("--boundary", nargs="+", default=None, metavar="KIND",
                       help="ldpc_cat columns: periodic, open (default: periodic)")
    sweep.add_argument("--section", nargs="+", default=None, metavar="FIRST-LAST",
                       help="Ocelot sections such as 1-3 3-5 (default: d=5 the device, d=3 both sections)")
    sweep.add_argument("--rounds", default="d", metavar="RULE",
                       help="rounds per circuit: an integer, d, or k*d such as 3d (default: d)")
    sweep.add_argument("--nbar", nargs="+", type=float, metavar="N", help="cat mean photon numbers")
    sweep.add_argument("--k1_over_k2", nargs="+", type=float, metavar="R", help="kappa_1/kappa_2 ratios")
    sweep.add_argument("--param", action="append", default=[], metavar="KEY=V1,V2",
                       help="any noise parameter and its values, e.g. --param eta=100,1000 (repeatable)")
    sweep.add_argument("--circuits", nargs="+", metavar="FILE.stim", help=circuits_help)


def sweep_params(args: argparse.Namespace) -> dict[str, tuple]:
    """Noise parameters of the sweep: ``--nbar``, ``--k1_over_k2`` and every ``--param``."""
    from catcode.sweep import parse_value

    params: dict[str, tuple] = {}
    if args.nbar is not None:
        params["nbar"] = tuple(args.nbar)
    if args.k1_over_k2 is not None:
        params["k1_over_k2"] = tuple(args.k1_over_k2)
    for item in args.param:
        key, sep, values = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise CatcodeError(f"--param takes KEY=V1,V2,...; got {item!r}")
        if key in params:
            raise CatcodeError(f"noise parameter {key!r} is given twice; list all its values once")
        parts = values.split(",")
        if not values.strip() or any(not v.strip() for v in parts):
            raise CatcodeError(f"--param {key} needs values, e.g. {key}=1,2; got {item!r}")
        params[key] = tuple(parse_value(v) for v in parts)
    return params


def sweep_from_args(args: argparse.Namespace, *, decoders: tuple[str, ...] | list[str]) -> Sweep | None:
    """The sweep the flags describe, or ``None`` when ``--circuits`` names files instead.

    Raises :class:`CatcodeError` when both or neither are given.
    """
    sweep_flags = [name for name in ("d", "nbar", "k1_over_k2", "noise") + _LAYOUT_FLAGS
                   if getattr(args, name) is not None]
    if args.param:
        sweep_flags.append("param")
    if args.circuits is not None:
        if sweep_flags:
            raise CatcodeError("give either --circuits or a sweep (--d, --noise, ...), not both; "
                               f"got --circuits with --{', --'.join(sweep_flags)}")
        return None
    from catcode.sweep import Sweep

    layouts = tuple(args.layout)
    if args.d is None and set(layouts) != {"ldpc_cat"}:
        raise CatcodeError("give the distances to sweep with --d (e.g. --d 3 5 7), or circuit files with --circuits")
    optional = {name: tuple(getattr(args, name)) for name in _LAYOUT_FLAGS if getattr(args, name) is not None}
    return Sweep(d=tuple(args.d or ()), b=tuple(args.b), noise=tuple(args.noise or ("ocelot",)),
                 layout=layouts, rounds=args.rounds, params=sweep_params(args), decoders=tuple(decoders),
                 **optional)
