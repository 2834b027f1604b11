"""Compile time of the physics presets against the generic ones on the same layouts (issue 15).

Usage: python benchmarks/bench_presets.py [--reps N]

For each layout (repetition chain d = 51 and 501 with transmon and with cat ancillas, rotated
surface d = 21 and 51), rounds = d, basis X, ``verify=False``: the ideal compile + noise pass of a
physics preset and of ``depolarizing`` (the generic reference), interleaved in every repetition,
each repetition with a new model whose parameter differs by a factor 1 + 1e-6 k (as a sweep over
p or nbar does, so nothing computed from the parameters is reused). The layout is built once,
outside the timed region, as in a sweep. Prints min and median of ``--reps`` repetitions (default
9), the ratios physics / generic of the mins and of the medians, and the machine load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

from catcode import Layout, memory_circuit, noise


def cases() -> list[tuple[str, Callable[[], Layout], str, Callable[[float], object], int]]:
    out = []
    for d in (51, 501):
        out.append((f"chain d={d}", lambda d=d: Layout.chain(d, ancilla="transmon"), "ocelot",
                    lambda f: noise.ocelot(nbar=1.5 * f), d))
        out.append((f"chain d={d} (cat anc.)", lambda d=d: Layout.chain(d, ancilla="cat"), "cat_cat",
                    lambda f: noise.cat_cat(nbar=4.0 * f, k1_over_k2=1e-3), d))
    for d in (21, 51):
        out.append((f"surface d={d}", lambda d=d: Layout.rotated_surface(d), "transmon",
                    lambda f: noise.transmon(cx_error=1e-3 * f), d))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=9)
    args = parser.parse_args()
    print(f"{'layout':<24} {'preset':<9} {'min ms':>8} {'med ms':>8} {'generic min':>11} {'med':>8} "
          f"{'ratio min':>9} {'med':>6}  load(1,5,15)")
    for name, make_layout, preset, make_model, d in cases():
        layout = make_layout()
        compile_ = lambda model: memory_circuit(layout, model, rounds=d, basis="X", verify=False)  # noqa: E731
        compile_(make_model(1.0))
        compile_(noise.depolarizing(1e-3))
        ours, generic = [], []
        for k in range(1, args.reps + 1):
            model, reference = make_model(1 + 1e-6 * k), noise.depolarizing(1e-3 * (1 + 1e-6 * k))
            t0 = time.perf_counter()
            compile_(model)
            t1 = time.perf_counter()
            compile_(reference)
            t2 = time.perf_counter()
            ours.append(t1 - t0)
            generic.append(t2 - t1)
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        med, gmed = statistics.median(ours), statistics.median(generic)
        print(f"{name:<24} {preset:<9} {min(ours) * 1e3:>8.2f} {med * 1e3:>8.2f} {min(generic) * 1e3:>11.2f} "
              f"{gmed * 1e3:>8.2f} {min(ours) / min(generic):>9.2f} {med / gmed:>6.2f}  {load}", flush=True)


if __name__ == "__main__":
    main()
