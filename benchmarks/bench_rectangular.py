"""Compile time and sampling throughput of the thin rectangular surface code against Stim's square one.

    python benchmarks/bench_rectangular.py [--shots 20000] [--rounds 10]
    python benchmarks/bench_rectangular.py --decoders [--shots 40000]   # decoder comparison instead

For (phase, bit) distances (11, 3) and (21, 5): catcode's ``Layout.rectangular_surface`` X memory
(transmon ancillas) compiled under ``depolarizing(p)`` (like for like with Stim) and under the
``ocelot`` physics preset, against ``stim.Circuit.generated("surface_code:rotated_memory_x")`` of
the nearest square size (``d = round(sqrt(phase * bit))``: about the same number of qubits), all
with the same number of rounds and measured in the same run. Prints compile times (best of
several), detector-sampling and PyMatching decoding throughput (shots/s), the ratios catcode / Stim,
and the machine's load average (the numbers are only comparable within one run).

``--decoders`` instead compares ``pymatching``, ``pymatching_erasure`` and ``pymatching_correlated`` on the
same shots (5 rounds, seed 7) of (5, 3) patches under biased physics presets and a depolarizing (5, 5)
reference, with the paired sigma of the correlated - plain difference (docs/reproductions.md §4).
"""

from __future__ import annotations

import argparse
import math
import os
import time
import numpy as np
import pymatching
import sinter
import stim

from bench_compile import best_time  # same directory: run as a script
from catcode import Layout, memory_circuit, noise
from catcode.decoders import CUSTOM_DECODERS

P = 1e-3


def throughput(circuit: stim.Circuit, shots: int) -> tuple[float, float]:
    """(sampled shots/s, decoded shots/s) for ``shots`` shots, decoded by PyMatching."""
    sampler = circuit.compile_detector_sampler(seed=1)
    t0 = time.perf_counter()
    dets, _ = sampler.sample(shots, separate_observables=True, bit_packed=True)
    t_sample = time.perf_counter() - t0
    dem = circuit.detector_error_model(decompose_errors=True, approximate_disjoint_errors=True)
    matching = pymatching.Matching.from_detector_error_model(dem)
    t0 = time.perf_counter()
    matching.decode_batch(dets, bit_packed_shots=True, bit_packed_predictions=True)
    t_decode = time.perf_counter() - t0
    return shots / t_sample, shots / t_decode


def stim_square(d: int, rounds: int) -> stim.Circuit:
    return stim.Circuit.generated(
        "surface_code:rotated_memory_x", distance=d, rounds=rounds, after_clifford_depolarization=P,
        before_round_data_depolarization=P, before_measure_flip_probability=P, after_reset_flip_probability=P,
    )


def decoder_comparison(shots: int) -> None:
    """Failures of three matching decoders on the same shots; paired sigma = sqrt(disagreeing shots)."""
    decoders = {"pymatching": sinter.BUILT_IN_DECODERS["pymatching"], **CUSTOM_DECODERS}
    names = ("pymatching", "pymatching_erasure", "pymatching_correlated")
    cases = [
        ("(5,3) transmon, ocelot nbar=2", Layout.rectangular_surface(5, 3), noise.ocelot(nbar=2.0)),
        ("(5,3) transmon, ocelot nbar=1.5", Layout.rectangular_surface(5, 3), noise.ocelot(nbar=1.5)),
        ("(5,3) cat, cat_cat nbar=4 k1/k2=1e-3", Layout.rectangular_surface(5, 3, "cat"), noise.cat_cat(nbar=4.0, k1_over_k2=1e-3)),
        ("(5,3) cat, cat_cat nbar=6 k1/k2=1e-4", Layout.rectangular_surface(5, 3, "cat"), noise.cat_cat(nbar=6.0, k1_over_k2=1e-4)),
        ("(5,3) transmon, biased p=5e-3 eta=100", Layout.rectangular_surface(5, 3), noise.biased(5e-3, 100)),
        ("(5,5) transmon, depolarizing p=5e-3", Layout.rectangular_surface(5, 5), noise.depolarizing(5e-3)),
    ]
    print(f"| case | memory | shots | {' | '.join(names)} | correlated - plain |")
    for label, layout, model in cases:
        for basis in "XZ":
            c = memory_circuit(layout, model, rounds=5, basis=basis)
            dem = c.detector_error_model(decompose_errors=True, approximate_disjoint_errors=True)
            dets, obs = c.compile_detector_sampler(seed=7).sample(shots, separate_observables=True, bit_packed=True)
            fails = {}
            for name in names:
                compiled = decoders[name].compile_decoder_for_dem(dem=dem)
                fails[name] = np.any(compiled.decode_shots_bit_packed(bit_packed_detection_event_data=dets) != obs, axis=1)
            plain, corr = fails["pymatching"], fails["pymatching_correlated"]
            diff = int(corr.sum()) - int(plain.sum())
            sigma = max(1.0, float((corr != plain).sum()) ** 0.5)
            counts = " | ".join(str(int(fails[n].sum())) for n in names)
            print(f"| {label} | {basis} | {shots} | {counts} | {diff:+d} ({diff / sigma:+.1f} sigma) |", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--decoders", action="store_true", help="compare matching decoders instead")
    args = parser.parse_args(argv)
    if args.decoders:
        decoder_comparison(args.shots)
        return
    r = args.rounds
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}  (cores: {os.cpu_count()})")
    header = f"{'circuit':<34} {'qubits':>6} {'compile s':>10} {'x stim':>7} {'sample/s':>10} {'x stim':>7} {'decode/s':>10} {'x stim':>7}"
    print(header)
    for p, b in ((11, 3), (21, 5)):
        d = round(math.sqrt(p * b))
        ref_c = best_time(lambda: stim_square(d, r), 5)
        ref_s, ref_d = throughput(stim_square(d, r), args.shots)
        print(f"{'stim rotated_memory_x d=' + str(d):<34} {2 * d * d - 1:>6} {ref_c:>10.4f} {'1':>7} {ref_s:>10.0f} {'1':>7} {ref_d:>10.0f} {'1':>7}")
        layout = Layout.rectangular_surface(p, b)
        for label, model in (("depolarizing", noise.depolarizing(P)), ("ocelot", noise.ocelot(nbar=2.0))):
            t = best_time(lambda: memory_circuit(Layout.rectangular_surface(p, b), model, rounds=r, basis="X"), 3)
            s, dec = throughput(memory_circuit(layout, model, rounds=r, basis="X"), args.shots)
            name = f"catcode ({p},{b}) {label}"
            print(f"{name:<34} {layout.num_qubits:>6} {t:>10.4f} {t / ref_c:>7.0f} {s:>10.0f} {s / ref_s:>7.2f} {dec:>10.0f} {dec / ref_d:>7.2f}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; rounds = {r}, shots = {args.shots}")


if __name__ == "__main__":
    main()
