"""Benchmark (not a test): catcode's BP+OSD ('bposd') against stimbposd, Tesseract and PyMatching.

For the periodic LDPC-cat codes (default H = 4 and H = 8, L = 17, d rounds, X memory, ``cat_cat``
preset at n-bar = 11) and the cat repetition code of the same distance and kappa_1/kappa_2:

* compile time (``memory_circuit``) and detector-error-model time, peak Python memory
  (tracemalloc, compile + DEM + decoder set-up) and the process's peak RSS so far;
* decoding throughput in shots/s, min and median over ``--reps`` repetitions on the same shots,
  decoders interleaved (who runs first alternates): catcode ``bposd`` and ``stimbposd`` with the
  same settings (min-sum, scaling 0.625, max_iter 1000, OSD-CS order 60, capped at n - rank by
  both), Tesseract (``--tesseract``, H = 4 only by default: a search decoder, not BP-OSD) and
  PyMatching on the repetition code;
* the ratio catcode / stimbposd of their decoding times (wall min and median, and the min CPU
  time of this process, which load disturbs least); the goal is <= 1;
* failures on the same shots (decoders that agree fail on the same shots) and the machine load
  before and after each case (2 shared cores: compare ratios, not absolute rates).

Relay-BP (``relay-bp``) has no wheel for this machine and its source build needs crates.io,
which is unreachable here, so it is not compared.

    .venv/bin/python benchmarks/bench_bposd.py --heights 4 8 --shots 200 20 --reps 3 --k1_over_k2 1e-4
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time
import tracemalloc
from collections.abc import Callable

import numpy as np

from catcode import Layout, noise
from catcode.bposd import DEFAULT_MAX_ITER, DEFAULT_MS_SCALING, DEFAULT_OSD_ORDER, BpOsdCompiledDecoder
from catcode.compiler import memory_circuit
from catcode.ldpc_cat import code_distance

Decode = Callable[[np.ndarray], np.ndarray]


def _decoders(dem, *, bposd: bool, matching: bool, tesseract: bool) -> dict[str, Decode]:
    out: dict[str, Decode] = {}
    if bposd:
        from stimbposd import BPOSD

        out["catcode bposd"] = BpOsdCompiledDecoder(dem).decode
        out["stimbposd"] = BPOSD(dem, max_bp_iters=DEFAULT_MAX_ITER, bp_method="minimum_sum",
                                 ms_scaling_factor=DEFAULT_MS_SCALING, osd_order=DEFAULT_OSD_ORDER,
                                 osd_method="osd_cs").decode_batch
    if tesseract:
        try:
            import tesseract_decoder.tesseract as ts
        except ImportError:
            print("    (tesseract-decoder not installed: pip install -e '.[bench]')")
        else:
            out["tesseract beam=5"] = ts.TesseractConfig(dem=dem, det_beam=5).compile_decoder().decode_batch
    if matching:
        import pymatching

        out["pymatching"] = pymatching.Matching.from_detector_error_model(dem).decode_batch
    return out


def bench(name: str, layout: Layout, rounds: int, k1_over_k2: float, shots: int, reps: int, *,
          tesseract: bool, matching_shots: int) -> None:
    """Print one block of lines: set-up costs, then one line per decoder."""
    load0 = os.getloadavg()[0]
    model = noise.cat_cat(nbar=11, k1_over_k2=k1_over_k2)
    matching = layout.code == "repetition"
    t = time.perf_counter()
    circuit = memory_circuit(layout, model, rounds=rounds, basis="X")
    compile_s = time.perf_counter() - t
    t = time.perf_counter()
    dem = circuit.detector_error_model(approximate_disjoint_errors=True, decompose_errors=matching)
    dem_s = time.perf_counter() - t
    t = time.perf_counter()
    decoders = _decoders(dem, bposd=True, matching=matching, tesseract=tesseract)
    setup_s = time.perf_counter() - t
    tracemalloc.start()  # memory on a second, untimed pass (tracemalloc slows Python down several-fold)
    again = memory_circuit(layout, model, rounds=rounds, basis="X")
    _decoders(again.detector_error_model(approximate_disjoint_errors=True, decompose_errors=matching),
              bposd=True, matching=matching, tesseract=tesseract)
    peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    del again
    print(f"{name}: {circuit.num_qubits} qubits, {dem.num_detectors} detectors, {dem.num_errors} DEM errors; "
          f"compile {compile_s:.2f} s, DEM {dem_s:.2f} s, decoder set-up {setup_s:.2f} s, "
          f"peak Python memory {peak_mb:.0f} MB, peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3:.0f} MB",
          flush=True)
    sampler = circuit.compile_detector_sampler(seed=1)
    dets, obs = sampler.sample(max(shots, matching_shots if matching else 0), separate_observables=True)
    times: dict[str, list[float]] = {k: [] for k in decoders}
    cpu: dict[str, list[float]] = {k: [] for k in decoders}
    fails: dict[str, int] = {}
    for rep in range(reps):
        order = list(decoders.items())
        for key, decode in order if rep % 2 == 0 else order[::-1]:  # who runs first alternates
            n = matching_shots if key == "pymatching" else shots
            t, c = time.perf_counter(), time.process_time()
            pred = decode(dets[:n])
            times[key].append(time.perf_counter() - t)
            cpu[key].append(time.process_time() - c)
            fails[key] = int((pred != obs[:n]).any(axis=1).sum())
    for key, ts in times.items():
        n = matching_shots if key == "pymatching" else shots
        print(f"    {key:18s} {n / min(ts):10.1f} shots/s (median {n / statistics.median(ts):10.1f})  "
              f"failures {fails[key]}/{n}", flush=True)
    ours, theirs = "catcode bposd", "stimbposd"
    print(f"    {ours} / {theirs} time (goal <= 1): wall min {min(times[ours]) / min(times[theirs]):.2f}, "
          f"median {statistics.median(times[ours]) / statistics.median(times[theirs]):.2f}; "
          f"CPU min {min(cpu[ours]) / min(cpu[theirs]):.2f}", flush=True)
    print(f"    load {load0:.2f} -> {os.getloadavg()[0]:.2f}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--heights", type=int, nargs="+", default=[4, 8])
    ap.add_argument("--shots", type=int, nargs="+", default=[200, 20], help="BP-OSD shots per height (one per --heights)")
    ap.add_argument("--matching_shots", type=int, default=20000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--k1_over_k2", type=float, default=1e-4)
    ap.add_argument("--tesseract", type=int, nargs="*", default=[4], help="heights also decoded with Tesseract")
    args = ap.parse_args()
    if len(args.shots) != len(args.heights):
        ap.error(f"--shots needs one count per height ({len(args.heights)}); got {len(args.shots)}")
    for h, shots in zip(args.heights, args.shots):
        d = code_distance(h, 17)
        bench(f"ldpc_cat H={h} L=17 (d={d}, {d} rounds)", Layout.ldpc_cat(h, 17), d, args.k1_over_k2, shots, args.reps,
              tesseract=h in args.tesseract, matching_shots=0)
        bench(f"cat repetition d={d} ({d} rounds)", Layout.chain(d, ancilla="cat"), d, args.k1_over_k2, shots, args.reps,
              tesseract=False, matching_shots=args.matching_shots)


if __name__ == "__main__":
    main()
