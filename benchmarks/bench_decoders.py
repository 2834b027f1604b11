"""Erasure-aware matching (``pymatching_erasure``) against plain PyMatching, measured in one run.

    python benchmarks/bench_decoders.py [--reps 3] [--scale 1.0]

Both decoders go through sinter's compiled-decoder interface
(``compile_decoder_for_dem(dem=...).decode_shots_bit_packed``) on the same fixed-seed shots of

* Ocelot d = 5: ``Layout.ocelot()``, ``noise.ocelot(nbar=1.5)``, 5 rounds, X basis, 2e5 shots;
* chain d = 15: ``Layout.chain(15)``, ``noise.ocelot()``, 15 rounds, X basis, 4e4 shots.

Repetitions are interleaved (erasure, plain, erasure, plain, ...) so that both see the same load;
each line gives min and median decode seconds, shots/s at the min, the ratio erasure / plain of the
mins and of the medians, that of the minimum CPU seconds of this process (``r cpu``: the figure
that load disturbs least), and ``os.getloadavg()`` (1 min) at the end of the line: the machine is
shared, so only ratios are meaningful. Decoder compilation (DEM -> graphs) is timed separately.
Issue 15's target: ratio <= 1.3 on both circuits.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import sinter
import stim

from catcode import Layout, memory_circuit, noise
from catcode.decoders import CUSTOM_DECODERS


def cases(scale: float) -> list[tuple[str, stim.Circuit, int]]:
    return [
        ("ocelot d=5 nbar=1.5 r=5",
         memory_circuit(Layout.ocelot(), noise.ocelot(nbar=1.5), rounds=5, basis="X"), int(2e5 * scale)),
        ("chain d=15 ocelot r=15",
         memory_circuit(Layout.chain(15), noise.ocelot(), rounds=15, basis="X"), int(4e4 * scale)),
    ]


def timed(fn) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process): decoding is single-threaded, so on a loaded
    machine the CPU time is the steadier measure of the two."""
    t0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0


def compare(label: str, circuit: stim.Circuit, shots: int, reps: int) -> None:
    dem = circuit.detector_error_model(decompose_errors=True, approximate_disjoint_errors=True)
    dets = circuit.compile_detector_sampler(seed=15).sample(shots, bit_packed=True)
    decoders = {"erasure": CUSTOM_DECODERS["pymatching_erasure"], "plain": sinter.BUILT_IN_DECODERS["pymatching"]}
    compiled, compile_s = {}, {}
    for name, decoder in decoders.items():
        t0 = time.perf_counter()
        compiled[name] = decoder.compile_decoder_for_dem(dem=dem)
        compiled[name].decode_shots_bit_packed(bit_packed_detection_event_data=dets[:256])  # lazy graphs
        compile_s[name] = time.perf_counter() - t0
    times: dict[str, list[float]] = {name: [] for name in decoders}
    cpu: dict[str, list[float]] = {name: [] for name in decoders}
    for _ in range(reps):
        for name, c in compiled.items():
            wall, used = timed(lambda: c.decode_shots_bit_packed(bit_packed_detection_event_data=dets))
            times[name].append(wall)
            cpu[name].append(used)
    cpu_ratio = min(cpu["erasure"]) / min(cpu["plain"])
    mins = {k: min(v) for k, v in times.items()}
    meds = {k: statistics.median(v) for k, v in times.items()}
    loud = herald_fraction(compiled["erasure"], dets)
    print(
        f"{label:<24} {shots:>7} {loud:>5.2f} "
        f"{mins['erasure']:>7.3f} {meds['erasure']:>7.3f} {shots / mins['erasure']:>9.3g} "
        f"{mins['plain']:>7.3f} {meds['plain']:>7.3f} {shots / mins['plain']:>9.3g} "
        f"{mins['erasure'] / mins['plain']:>6.2f} {meds['erasure'] / meds['plain']:>6.2f} "
        f"{cpu_ratio:>6.2f} {compile_s['erasure']:>6.2f} {compile_s['plain']:>6.2f}   load {os.getloadavg()[0]:.2f}",
        flush=True,
    )


def herald_fraction(compiled, dets: np.ndarray) -> float:
    """Fraction of shots with at least one fired herald (they take the gadget graph)."""
    mask = getattr(compiled, "_herald_byte_mask", None)
    return float((dets & mask).any(axis=1).mean()) if mask is not None else float("nan")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3, help="interleaved repetitions (>= 3)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the shot counts")
    args = parser.parse_args(argv)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}  (cores: {os.cpu_count()})")
    print(f"{'circuit':<24} {'shots':>7} {'loud':>5} {'er min':>7} {'er med':>7} {'er shot/s':>9} "
          f"{'pm min':>7} {'pm med':>7} {'pm shot/s':>9} {'r min':>6} {'r med':>6} {'r cpu':>6} {'er cmp':>6} {'pm cmp':>6}")
    for label, circuit, shots in cases(args.scale):
        compare(label, circuit, shots, max(3, args.reps))


if __name__ == "__main__":
    main()
