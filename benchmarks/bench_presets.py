"""Compile time of the physics presets against the generic ones on the same layouts (issue 15).

Usage: python benchmarks/bench_presets.py [--reps N]

For each layout (repetition chain d = 51 and 501 with transmon and with cat ancillas, rotated
surface d = 21 and 51), rounds = d, basis X, ``verify=False``: the ideal compile + noise pass of a
physics preset and of each of three generic presets, measured pair by pair: for each generic
reference, ``--reps`` repetitions compile the physics preset and the reference, in that order in
even repetitions and reversed in odd ones (the compile that runs first after another model's
pays for the switch, which alone moved the ratio by 15-20 %; a third and fourth model in the same
loop moved it again), each repetition with new models whose parameter differs by a factor
1 + 1e-6 k, k never repeated in the run (as a sweep over p or nbar does, so nothing computed
from the parameters is reused). The generic references differ in what they
emit: ``depolarizing`` has no idle noise (the smallest circuit), ``si1000`` idles with
DEPOLARIZE1, ``biased`` puts PAULI_CHANNEL_1 on every idle qubit and PAULI_CHANNEL_2 on every CX
(the channel structure of the cat presets). The layout is built once, outside the timed region,
as in a sweep. Prints, per generic reference, the medians (ms) of the physics preset and of the
reference measured in that pair's loop and the ratios physics / generic of the mins and of the
medians; the last column is the machine load.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import time
from collections.abc import Callable

from catcode import Layout, memory_circuit, noise

GENERIC: dict[str, Callable[[float], object]] = {
    "depolarizing": lambda f: noise.depolarizing(1e-3 * f),
    "si1000": lambda f: noise.si1000(1e-3 * f),
    "biased": lambda f: noise.biased(1e-3 * f, eta=100.0),
}


#: Every model of the run gets parameter values no other model had: values repeated between loops
#: (the same k in every loop) let a model find instructions and heads built for an earlier
#: model with the same arguments (module-level caches), which favoured whichever came later.
FRESH = itertools.count(1)


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
    head = "".join(f"  {'ms med':>7} {name[:6]:>6} ratio min  med" for name in GENERIC)
    print(f"{'layout':<24} {'preset':<9}{head}  load(1,5,15)")
    for case, make_layout, preset, make_model, d in cases():
        layout = make_layout()
        compile_ = lambda model: memory_circuit(layout, model, rounds=d, basis="X", verify=False)  # noqa: E731
        cols = ""
        for make_reference in GENERIC.values():
            compile_(make_model(1 + 1e-6 * next(FRESH)))
            compile_(make_reference(1 + 1e-6 * next(FRESH)))
            ours, theirs = [], []
            for k in range(1, args.reps + 1):
                pair = [(make_model(1 + 1e-6 * next(FRESH)), ours), (make_reference(1 + 1e-6 * next(FRESH)), theirs)]
                for model, times in (pair if k % 2 == 0 else pair[::-1]):
                    t0 = time.perf_counter()
                    compile_(model)
                    times.append(time.perf_counter() - t0)
            med, ref_med = statistics.median(ours), statistics.median(theirs)
            cols += f"  {med * 1e3:>7.2f} {ref_med * 1e3:>6.2f} {min(ours) / min(theirs):>9.2f} {med / ref_med:>4.2f}"
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"{case:<24} {preset:<9}{cols}  {load}", flush=True)


if __name__ == "__main__":
    main()
