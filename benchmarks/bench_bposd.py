"""Benchmark (not a test): catcode's BP+OSD ('bposd') against stimbposd with the same settings.

For the periodic LDPC-cat codes H = 4 and H = 8 (L = 17, d rounds, cat_cat preset at n-bar = 11)
and the cat repetition code of the same distance and kappa_1/kappa_2: compile time, decoder
construction time, decoding throughput (shots/s, min and median of --reps repetitions on the same
shots, the two decoders interleaved), peak memory (tracemalloc) and the machine load.

    .venv/bin/python benchmarks/bench_bposd.py --shots 200 --reps 3 --k1_over_k2 1e-4
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import tracemalloc

from stimbposd import BPOSD

from catcode import Layout, noise
from catcode.bposd import DEFAULT_MAX_ITER, DEFAULT_MS_SCALING, DEFAULT_OSD_ORDER, BpOsdCompiledDecoder
from catcode.compiler import memory_circuit
from catcode.ldpc_cat import code_distance


def _bench(name, layout, rounds, k1_over_k2, shots, reps):
    model = noise.cat_cat(nbar=11, k1_over_k2=k1_over_k2)
    t = time.perf_counter()
    tracemalloc.start()
    circuit = memory_circuit(layout, model, rounds=rounds, basis="X")
    compile_s = time.perf_counter() - t
    dem = circuit.detector_error_model(approximate_disjoint_errors=True, decompose_errors=False)
    dets, obs = circuit.compile_detector_sampler(seed=1).sample(shots, separate_observables=True)
    ours = BpOsdCompiledDecoder(dem)
    theirs = BPOSD(dem, max_bp_iters=DEFAULT_MAX_ITER, bp_method="minimum_sum", ms_scaling_factor=DEFAULT_MS_SCALING,
                   osd_order=DEFAULT_OSD_ORDER, osd_method="osd_cs")
    peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    times = {"catcode": [], "stimbposd": []}
    for _ in range(reps):
        t = time.perf_counter(); p1 = ours.decode(dets); times["catcode"].append(time.perf_counter() - t)
        t = time.perf_counter(); p2 = theirs.decode_batch(dets); times["stimbposd"].append(time.perf_counter() - t)
    rate = {k: shots / min(v) for k, v in times.items()}
    print(f"{name:24s} compile {compile_s:6.2f} s  peak {peak_mb:7.1f} MB  "
          f"catcode {rate['catcode']:8.1f} shots/s (median {shots / statistics.median(times['catcode']):8.1f})  "
          f"stimbposd {rate['stimbposd']:8.1f} shots/s  ratio {rate['catcode'] / rate['stimbposd']:.2f}  "
          f"errors {int((p1 != obs).any(1).sum())}/{int((p2 != obs).any(1).sum())}  load {os.getloadavg()[0]:.2f}",
          flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shots", type=int, default=200)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--k1_over_k2", type=float, default=1e-4)
    ap.add_argument("--heights", type=int, nargs="+", default=[4, 8])
    args = ap.parse_args()
    for h in args.heights:
        d = code_distance(h, 17)
        _bench(f"ldpc_cat H={h} (d={d})", Layout.ldpc_cat(h, 17), d, args.k1_over_k2, args.shots, args.reps)
        _bench(f"cat repetition d={d}", Layout.chain(d, ancilla="cat"), d, args.k1_over_k2, args.shots, args.reps)


if __name__ == "__main__":
    main()
