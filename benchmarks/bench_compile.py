"""Compile time of catcode memory circuits against ``stim.Circuit.generated``, measured in one run.

    python benchmarks/bench_compile.py [--quick]

For the repetition code (d = 5, 51, 501) and the rotated surface code (d = 5, 21, 51, 101; 101 is
``catcode.layout.MAX_DISTANCE``, so catcode builds no d = 501 patch), rounds = d:
the time to build catcode's memory circuit (ideal compile + noise pass, ``verify=False``; the
layout is built outside the timed region) under a generic preset and a physics preset, and the time
of Stim's generated circuit of the same code, distance, rounds and p. Each line prints the min and
median of ``REPS`` repetitions (interleaved: catcode then Stim in each repetition), the ratios
catcode / Stim of the mins and of the medians, and the machine load (``os.getloadavg()``) when the
line was measured. ``cold`` is the first compile on a new layout object (the layout built outside
the timed region): catcode caches what depends only on the layout (kinds, coordinates, one
round's instructions) on the layout object, so the repetitions measure a sweep that reuses it.
Every repetition uses a new noise model whose parameter differs by a factor 1 + 1e-6 k, k never
repeated in the run (as a
sweep over p or nbar does), so nothing computed from the noise parameters is reused between
repetitions. ``--quick`` drops the largest distances. ``benchmarks/bench_presets.py`` compares the
physics presets with the generic ones directly (interleaved).

A second block times whole sweeps as ``catcode collect`` builds them (``Sweep.tasks()``: for every
point the layout, the preset, the compile, ``verify_structure`` and the text round trip), per
point, against ``stim.Circuit.generated`` for the same points, and against the same sweep with a
new layout object for every point (``build_layout`` hands consecutive points the same object).

A last block checks that compile time does not grow with rounds (REPEAT blocks): rounds = 10 and
rounds = 10**5 on a d = 51 chain, with and without ``verify_structure``.
"""

from __future__ import annotations

import itertools
import os
import statistics
import sys
import time
from collections.abc import Callable

import stim

from catcode import Layout, experiment, memory_circuit, noise
from catcode.experiment import build_circuit
from catcode.layout import MAX_DISTANCE
from catcode.sweep import Sweep

P = 1e-3
REPS = 5
#: Parameter factors are never repeated within a run (a model repeating an earlier model's
#: arguments would find its instructions in module-level caches).
FRESH = itertools.count(1)


def times(fn: Callable[[], object], reps: int) -> list[float]:
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def best_time(fn: Callable[[], object], reps: int) -> float:
    """The fastest of ``reps`` timed calls (other benchmarks import it)."""
    return min(times(fn, reps))


def stim_reference(code: str, d: int) -> Callable[[], stim.Circuit]:
    task = "repetition_code:memory" if code == "repetition" else "surface_code:rotated_memory_x"
    return lambda: stim.Circuit.generated(
        task, distance=d, rounds=d, after_clifford_depolarization=P, before_round_data_depolarization=P,
        before_measure_flip_probability=P, after_reset_flip_probability=P,
    )


def cases(quick: bool) -> list[tuple[str, int, str, Callable[[], Layout], Callable[[], object]]]:
    rep = (5, 51) if quick else (5, 51, 501)
    surf = (5, 21) if quick else (5, 21, 51, MAX_DISTANCE)
    out = []
    for d in rep:
        out.append(("repetition", d, "depolarizing", lambda d=d: Layout.chain(d), lambda f: noise.depolarizing(P * f)))
        out.append(("repetition", d, "ocelot", lambda d=d: Layout.chain(d), lambda f: noise.ocelot(nbar=2.0 * f)))
        out.append(("repetition", d, "cat_cat", lambda d=d: Layout.chain(d, ancilla="cat"),
                    lambda f: noise.cat_cat(nbar=4.0 * f, k1_over_k2=1e-3)))
    for d in surf:
        out.append(("surface", d, "depolarizing", lambda d=d: Layout.rotated_surface(d), lambda f: noise.depolarizing(P * f)))
        out.append(("surface", d, "si1000", lambda d=d: Layout.rotated_surface(d), lambda f: noise.si1000(P * f)))
        out.append(("surface", d, "transmon", lambda d=d: Layout.rotated_surface(d), lambda f: noise.transmon(cx_error=1e-3 * f)))
    return out


#: (label, code, Sweep keyword arguments but the swept parameter, swept parameter, its 10 values).
SWEEPS = (
    ("chain ocelot, d 3..21, 10 nbar", "repetition", {"d": tuple(range(3, 22, 2)), "noise": ("ocelot",)},
     "nbar", tuple(1.0 + 0.2 * i for i in range(10))),
    ("surface si1000, d 3..11, 10 p", "surface",
     {"d": (3, 5, 7, 9, 11), "layout": ("rotated_surface",), "noise": ("si1000",)},
     "p", tuple(1e-3 * (1 + 0.4 * i) for i in range(10))),
)


def _new_layout_each_point(meta: dict) -> stim.Circuit:
    """``build_circuit`` as before layouts were reused: a new layout object for every point."""
    experiment._last_layout = None
    return build_circuit(meta)


def sweep_block(reps: int) -> None:
    """Per-point cost of ``Sweep.tasks()`` against Stim and against a new layout per point."""
    print(f"\nsweeps (Sweep.tasks(), both bases), ms per point, min / median of {reps}; ratios of mins")
    print(f"{'sweep':<32} {'points':>6} {'catcode':>8} {'med':>7} {'new layout':>10} {'stim':>7} "
          f"{'/stim':>6} {'/new layout':>11}  load")
    for label, code, kwargs, name, values in SWEEPS:
        ours, fresh, theirs = [], [], []
        for _ in range(reps):
            sweeps = [Sweep(**kwargs, params={name: tuple(v * (1 + 1e-6 * next(FRESH)) for v in values)})
                      for _ in range(2)]  # new parameter values for each timed sweep
            ours += times(lambda: sweeps[0].tasks(), 1)
            fresh += times(lambda: sweeps[1].tasks(circuit_builder=_new_layout_each_point), 1)
            points = sweeps[0].points()
            theirs += times(lambda: [stim_reference(code, m["d"])() for m in points], 1)
        n = len(points)
        print(f"{label:<32} {n:>6} {1e3 * min(ours) / n:>8.2f} {1e3 * statistics.median(ours) / n:>7.2f} "
              f"{1e3 * min(fresh) / n:>10.2f} {1e3 * min(theirs) / n:>7.3f} {min(ours) / min(theirs):>6.0f} "
              f"{min(ours) / min(fresh):>11.2f}  {os.getloadavg()[0]:.2f}", flush=True)


def main() -> None:
    quick = "--quick" in sys.argv
    print(f"stim {stim.__version__}; min / median of {REPS} interleaved repetitions; basis X; rounds = d")
    print(f"{'code':<10} {'d':>4} {'preset':<13} {'catcode min':>11} {'med':>9} {'stim min':>9} {'med':>9} "
          f"{'ratio min':>9} {'med':>7} {'cold':>8} {'ratio':>6}  load(1,5,15)")
    for code, d, preset, make_layout, make_noise in cases(quick):
        layout = make_layout()
        ref = stim_reference(code, d)
        models = iter([make_noise(1 + 1e-6 * next(FRESH)) for _ in range(REPS + 1)])  # built outside the timed region
        ours_fn = lambda: memory_circuit(layout, next(models), rounds=d, basis="X", verify=False)  # noqa: E731
        ref()
        cold = times(ours_fn, 1)[0]  # first compile on this layout object
        reps = REPS if d < 501 else 3
        ours, theirs = [], []
        for _ in range(reps):
            ours += times(ours_fn, 1)
            theirs += times(ref, 1)
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"{code:<10} {d:>4} {preset:<13} {min(ours):>11.5f} {statistics.median(ours):>9.5f} "
              f"{min(theirs):>9.5f} {statistics.median(theirs):>9.5f} {min(ours) / min(theirs):>9.1f} "
              f"{statistics.median(ours) / statistics.median(theirs):>7.1f} {cold:>8.4f} {cold / min(theirs):>6.0f}  {load}",
              flush=True)
    sweep_block(3)
    print("\nrounds independence, chain d = 51, depolarizing (min of 3):")
    layout = Layout.chain(51)
    for verify in (False, True):
        for rounds in (10, 10**5):
            t = min(times(lambda: memory_circuit(layout, noise.depolarizing(P), rounds=rounds, basis="X", verify=verify), 3))
            print(f"  verify={verify!s:<5} rounds={rounds:>6}: {t:.4f} s   load {os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    main()
