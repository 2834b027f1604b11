"""Cost of the overhead estimator's stages, measured in one run.

    python benchmarks/bench_overhead.py            # stages 1-2
    python benchmarks/bench_overhead.py --readme   # also stage 3 (minutes)

1. The search: fit a synthetic (d, nbar) grid and find the fewest qubits for 10 targets with
   d <= 101 and 20 values of nbar (pure Python/numpy; no sampling), against building the same
   number of candidates by hand (the reference).
2. Sampling at d = 5: :func:`catcode.overhead.compare_at_distance` (Ocelot-like cats vs SI1000,
   4 circuits, 100 000 shots each at most) against one plain ``sinter.collect`` of the same four
   circuits with the same budget (the reference: what the wrapper adds is circuit building,
   erasure-aware decoding of the heralded Ocelot circuits and the band computations).
3. The README's ``catcode overhead --targets 1e-6 1e-9 --cat_noise cat_cat --cat_param
   k1_over_k2=1e-4 --nbar_range 2 8 2 --no-check ...`` example end to end (goal, issue 15: <= 2 minutes on 2 cores,
   progress at least every 5 s): wall time, the longest silence on stderr, and the machine load
   (``os.getloadavg``) before and after, since the machine is shared.
"""

from __future__ import annotations

import itertools
import math
import os
import subprocess
import sys
import tempfile
import time

import sinter

from catcode import overhead
from catcode.decoders import sinter_decoders
from catcode.overhead import Estimate, RepetitionModel, default_decoder
from catcode.overhead.sampling import _Memory


def _synthetic_points(nbars):
    pts = {}
    for d, n in itertools.product((3, 5, 7), nbars):
        ph = 0.2 * (0.03 * n) ** ((d + 1) / 2)
        bt = (2e-3 * d - 1e-3) * math.exp(-1.7 * n)
        pts[(d, n, "X")] = Estimate(ph, ph * 0.9, ph / 0.9, "sampled")
        pts[(d, n, "Z")] = Estimate(bt, bt * 0.9, bt / 0.9, "rare")
    return pts


def bench_search() -> None:
    nbars = [1.0 + 0.5 * k for k in range(20)]
    targets = [10.0 ** -k for k in range(3, 13)]
    t0 = time.perf_counter()
    model = RepetitionModel.from_points(_synthetic_points(nbars), z=3.7)
    cands = model.candidates(101)
    reqs = [overhead.find_requirement(cands, t, architecture="repetition", d_max=101) for t in targets]
    ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    ref = [Estimate(1e-3, 1e-3, 1e-3, "fit") for _ in range(len(cands) * 3)]
    ref_time = time.perf_counter() - t0
    print(f"search: {len(cands)} candidates, {len(targets)} targets: {ours * 1e3:.1f} ms "
          f"(building {len(ref)} Estimates by hand: {ref_time * 1e3:.2f} ms, ratio {ours / ref_time:.0f}); "
          f"qubits at 1e-9: {reqs[6].qubits}")


def bench_sampling() -> None:
    kw = dict(max_shots=100_000, max_errors=10**9, rare=False, num_workers=2)
    t0 = time.perf_counter()
    cmp = overhead.compare_at_distance(5, cat_noise="ocelot", surface_noise="si1000", **kw)
    ours = time.perf_counter() - t0
    mems = [_Memory(a, 5, b, n, p, "transmon", 5, "ideal") for a, n, p in (
        ("repetition", "ocelot", (("nbar", 1.5),)), ("surface", "si1000", (("p", 1e-3),))) for b in "XZ"]
    tasks = []
    for m in mems:
        c = m.circuit()
        tasks.append(sinter.Task(circuit=c, decoder=default_decoder(c),
                                 json_metadata={"k": f"{m.architecture}{m.basis}"}))
    t0 = time.perf_counter()
    sinter.collect(num_workers=2, tasks=tasks, max_shots=100_000, custom_decoders=sinter_decoders())
    ref = time.perf_counter() - t0
    print(f"compare_at_distance(5): {ours:.1f} s; plain sinter.collect of the same circuits: {ref:.1f} s "
          f"(ratio {ours / ref:.2f}); per cycle: cat {cmp.repetition.total}, surface {cmp.surface.total}")


README_ARGS = ["--targets", "1e-6", "1e-9", "--cat_noise", "cat_cat", "--cat_param", "k1_over_k2=1e-4",
               "--nbar_range", "2", "8", "2", "--no-check", "--out", "overhead.csv", "--plot", "overhead.png"]


def bench_readme_targets() -> None:
    """Stage 3: the README example as a subprocess; wall time and the longest gap between progress lines."""
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "catcode", "overhead", *README_ARGS], cwd=tmp,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        last, gap = t0, 0.0
        assert proc.stderr is not None
        for _ in proc.stderr:
            now = time.monotonic()
            gap, last = max(gap, now - last), now
        out = proc.stdout.read() if proc.stdout else ""
        code = proc.wait()
        wall = time.monotonic() - t0
    load_after = os.getloadavg()
    print(f"README overhead --targets example: {wall:.0f} s wall (goal <= 120 s), exit code {code}, longest silence "
          f"on stderr {gap:.1f} s (goal <= 5 s); load average before {load_before[0]:.1f}, after {load_after[0]:.1f}")
    print(out)


def main() -> None:
    bench_search()
    bench_sampling()
    if "--readme" in sys.argv[1:]:
        bench_readme_targets()


if __name__ == "__main__":
    main()
