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
Every repetition compiles new decoders, so the erasure decoder's syndrome memo
(:mod:`catcode.syndrome_memo`) starts empty each time.

The first block gives all the shots in one call (the issue's protocol); the second gives them in
batches of 1,024 shots (sinter's default) and of ``catcode.sampling.default_batch_size`` (what
``catcode collect`` uses), over 10^6 shots for the Ocelot circuit, as a sinter worker would.
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
from catcode.decoders import CUSTOM_DECODERS, herald_detectors
from catcode.sampling import default_batch_size


def cases(scale: float) -> list[tuple[str, stim.Circuit, int]]:
    return [
        ("ocelot d=5 nbar=1.5 r=5",
         memory_circuit(Layout.ocelot(), noise.ocelot(nbar=1.5), rounds=5, basis="X"), int(2e5 * scale)),
        ("chain d=15 ocelot r=15",
         memory_circuit(Layout.chain(15), noise.ocelot(), rounds=15, basis="X"), int(4e4 * scale)),
    ]


#: Shots of the batched runs: the Ocelot circuit repeats its syndromes, and how often grows with
#: the number of shots a worker decodes; 10^6 is about 1.5 s of plain PyMatching.
STREAM_SHOTS = {"ocelot d=5 nbar=1.5 r=5": 10**6}


def timed(fn) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process): decoding is single-threaded, so on a loaded
    machine the CPU time is the steadier measure of the two."""
    t0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0


def compile_fresh(decoder: sinter.Decoder, dem: stim.DetectorErrorModel) -> tuple[sinter.CompiledDecoder, float]:
    """A new compiled decoder (so that no syndrome memo carries over between repetitions) with its
    lazily built graph made, and the seconds that took."""
    t0 = time.perf_counter()
    compiled = decoder.compile_decoder_for_dem(dem=dem)
    if hasattr(compiled, "gadget_graph"):
        compiled.gadget_graph()
    return compiled, time.perf_counter() - t0


def compare(label: str, circuit: stim.Circuit, shots: int, reps: int, batch: int | None) -> None:
    """One line: both decoders on the same shots, given ``batch`` shots per call (None: all at once)."""
    dem = circuit.detector_error_model(decompose_errors=True, approximate_disjoint_errors=True)
    dets = circuit.compile_detector_sampler(seed=15).sample(shots, bit_packed=True)
    decoders = {"erasure": CUSTOM_DECODERS["pymatching_erasure"], "plain": sinter.BUILT_IN_DECODERS["pymatching"]}
    step = batch or shots
    times: dict[str, list[float]] = {name: [] for name in decoders}
    cpu: dict[str, list[float]] = {name: [] for name in decoders}
    compile_s: dict[str, list[float]] = {name: [] for name in decoders}
    for _ in range(reps):
        for name, decoder in decoders.items():
            c, seconds = compile_fresh(decoder, dem)
            compile_s[name].append(seconds)

            def run(c: sinter.CompiledDecoder = c) -> None:
                for start in range(0, shots, step):
                    c.decode_shots_bit_packed(bit_packed_detection_event_data=dets[start : start + step])

            wall, used = timed(run)
            times[name].append(wall)
            cpu[name].append(used)
    cpu_ratio = min(cpu["erasure"]) / min(cpu["plain"])
    mins = {k: min(v) for k, v in times.items()}
    meds = {k: statistics.median(v) for k, v in times.items()}
    loud = herald_fraction(dets, dem)
    print(
        f"{label:<24} {shots:>7} {step:>6} {loud:>5.2f} "
        f"{mins['erasure']:>7.3f} {meds['erasure']:>7.3f} {shots / mins['erasure']:>9.3g} "
        f"{mins['plain']:>7.3f} {meds['plain']:>7.3f} {shots / mins['plain']:>9.3g} "
        f"{mins['erasure'] / mins['plain']:>6.2f} {meds['erasure'] / meds['plain']:>6.2f} "
        f"{cpu_ratio:>6.2f} {min(compile_s['erasure']):>6.2f} {min(compile_s['plain']):>6.2f}   "
        f"load {os.getloadavg()[0]:.2f}",
        flush=True,
    )


def herald_fraction(dets: np.ndarray, dem: stim.DetectorErrorModel) -> float:
    """Fraction of shots with at least one fired herald (they take the gadget graph)."""
    heralds = herald_detectors(dem)
    if not heralds:
        return 0.0
    mask = np.zeros(dets.shape[1], dtype=np.uint8)
    for h in heralds:
        mask[h // 8] |= 1 << (h % 8)
    return float((dets & mask).any(axis=1).mean())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3, help="interleaved repetitions (>= 3)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the shot counts")
    args = parser.parse_args(argv)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}  (cores: {os.cpu_count()})")
    print(f"{'circuit':<24} {'shots':>7} {'batch':>6} {'loud':>5} {'er min':>7} {'er med':>7} {'er shot/s':>9} "
          f"{'pm min':>7} {'pm med':>7} {'pm shot/s':>9} {'r min':>6} {'r med':>6} {'r cpu':>6} {'er cmp':>6} {'pm cmp':>6}")
    for label, circuit, shots in cases(args.scale):
        compare(label, circuit, shots, max(3, args.reps), None)
    print("the same decoders given the shots in batches, as sinter (1024 by default) and catcode collect "
          "(default_batch_size) do; a new compiled decoder each repetition:")
    for label, circuit, shots in cases(args.scale):
        stream = int(STREAM_SHOTS.get(label, shots) * args.scale)
        for batch in sorted({1024, default_batch_size(circuit)}):
            compare(label, circuit, stream, max(3, args.reps), batch)


if __name__ == "__main__":
    main()
