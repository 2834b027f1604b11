"""Benchmark (not a test): time to a 1e-12-level logical error rate, rare-event estimator vs direct sampling.

For one circuit it runs :func:`catcode.rare.estimate_logical_error` until the rate is known within
a factor ``--target`` (95 % interval), then measures direct sampling's throughput on the same
circuit (stim detector sampling + PyMatching ``decode_batch``, what sinter does per shot) and
extrapolates the time direct sampling would need for the same relative precision at that rate:
the number of shots whose Clopper-Pearson 95 % interval is within the same factor, divided by the
measured shots per second on all ``--workers`` cores.

Cases (``--case``):
  cat_cat  the cat-cat repetition code (catcode's ``cat_cat`` preset, chain layout with cat
           ancillas), d = 15, X (phase-flip) memory, nbar = 4, k1/k2 = 3.5e-5: ~1e-12 per shot.
  ocelot   catcode's Ocelot-like preset on ``Layout.ocelot()`` (d = 5, its only distance), X memory.
  rep      Stim's generated repetition_code:memory, d = 15, p = 2.3e-3 (no catcode presets needed).
Swap in another circuit by editing :func:`benchmark_circuit`.

    python benchmarks/bench_rare.py --case cat_cat --workers 2
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import stim

from catcode.rare import estimate_logical_error


def benchmark_circuit(case: str) -> tuple[stim.Circuit, dict]:
    """The circuit to benchmark and its metadata (edit here to benchmark something else)."""
    if case in ("cat_cat", "ocelot"):
        import catcode

        if hasattr(catcode, "build_circuit"):
            from catcode.experiment import build_circuit, experiment_metadata

            if case == "cat_cat":
                meta = experiment_metadata("chain", 15, rounds=15, basis="X", noise="cat_cat", ancilla="cat",
                                           nbar=4, k1_over_k2=3.5e-5)
            else:
                meta = experiment_metadata("ocelot", 5, rounds=5, basis="X", noise="ocelot")
            return build_circuit(meta), meta
        print(f"catcode presets unavailable: falling back to --case rep instead of {case}")
    p = 2.3e-3
    circuit = stim.Circuit.generated(
        "repetition_code:memory", distance=15, rounds=15, after_clifford_depolarization=p,
        before_round_data_depolarization=p, before_measure_flip_probability=p, after_reset_flip_probability=p,
    )
    return circuit, {"generated": "repetition_code:memory", "d": 15, "r": 15, "p": p}


def direct_shots_per_second(circuit: stim.Circuit, seconds: float = 10.0) -> float:
    """Single-core throughput of direct sampling: stim samples + PyMatching decodes (bit-packed)."""
    import pymatching

    dem = circuit.detector_error_model(decompose_errors=True, approximate_disjoint_errors=True)
    matching = pymatching.Matching.from_detector_error_model(dem)
    sampler = circuit.compile_detector_sampler(seed=1)
    shots = 0
    batch = 1 << 14
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        dets, obs = sampler.sample(batch, separate_observables=True, bit_packed=True)
        pred = matching.decode_batch(dets, bit_packed_shots=True, bit_packed_predictions=True)
        np.any(pred != obs, axis=1).sum()
        shots += batch
    return shots / (time.perf_counter() - t0)


def hits_for_factor(factor: float, confidence: float = 0.95) -> int:
    """Smallest number of observed errors whose Clopper-Pearson interval is within ``factor``.

    In the rare limit the interval of k errors in N shots is N^-1 times the Poisson interval of k,
    so the count depends on the factor only.
    """
    from scipy import stats

    a = 1 - confidence
    for k in range(1, 100_000):
        lo = stats.gamma.ppf(a / 2, k)
        hi = stats.gamma.ppf(1 - a / 2, k + 1)
        if max(hi / k, k / lo) <= factor:
            return k
    raise ValueError(f"factor {factor} too small")


def _human(seconds: float) -> str:
    for unit, size in (("years", 3.156e7), ("days", 86400.0), ("hours", 3600.0), ("minutes", 60.0)):
        if seconds >= size:
            return f"{seconds / size:.3g} {unit}"
    return f"{seconds:.3g} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", default="cat_cat", choices=["cat_cat", "ocelot", "rep"])
    parser.add_argument("--target", type=float, default=2.0, help="relative CI factor to reach (default 2)")
    parser.add_argument("--workers", type=int, default=2, help="cores used by both methods (default 2)")
    parser.add_argument("--max_shots", type=int, default=200_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()

    circuit, meta = benchmark_circuit(args.case)
    print(f"case {args.case}: {meta}")
    print(f"  {circuit.num_detectors} detectors, distance {len(circuit.shortest_graphlike_error())}")

    t0 = time.perf_counter()
    est = estimate_logical_error(
        circuit, target_relative_ci=args.target, max_shots=args.max_shots, seed=args.seed,
        workers=args.workers, progress=not args.quiet,
    )
    t_est = time.perf_counter() - t0
    print(f"rare-event estimator ({args.workers} workers): {est}")
    print(f"  method {est.method}, converged {est.converged}, chain steps {est.chain_steps}, "
          f"round trips {est.chain_round_trips:.2f}, wall time {t_est:.1f} s")

    rate = direct_shots_per_second(circuit)
    factor = est.relative_ci if math.isfinite(est.relative_ci) else args.target
    hits = hits_for_factor(factor)
    shots_needed = hits / est.rate if est.rate > 0 else math.inf
    t_direct = shots_needed / (rate * args.workers)
    print(f"direct sampling: {rate:.3g} shots/s per core; for a rate {est.rate:.3g} known within x{factor:.3g} "
          f"it needs ~{hits} errors = {shots_needed:.3g} shots = {_human(t_direct)} on {args.workers} cores")
    hits2 = hits_for_factor(args.target)
    print(f"  (within x{args.target}: {hits2} errors = {hits2 / est.rate:.3g} shots = "
          f"{_human(hits2 / est.rate / (rate * args.workers))})")
    print(f"speed-up of the estimator: {t_direct / t_est:.3g}x")


if __name__ == "__main__":
    main()
