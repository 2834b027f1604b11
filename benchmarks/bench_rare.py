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
  surface7   catcode's rotated surface code, d = 7, 7 rounds, X memory, si1000 p = 5e-4 (issue 15: method
           "auto" must pick direct sampling when it is sooner; use --target 1.1).
  surface15  the same at d = 15, 15 rounds (issue 15: converge or say why within 2 minutes; use
           --max_seconds 120).
Swap in another circuit by editing :func:`benchmark_circuit`.

Every timing is the min and median of ``--reps`` repetitions, printed with the machine load
(``os.getloadavg``) and as a ratio against a reference measured in the same run: the estimator
against plain ``sinter.collect`` (1 worker) throughput on the same circuit, and (``--from_dem``)
``FaultModel.from_dem`` on a rotated surface d = 21 DEM against stim building that DEM.

    python benchmarks/bench_rare.py --case cat_cat --workers 2
    python benchmarks/bench_rare.py --case surface7 --target 1.1 --reps 1
    python benchmarks/bench_rare.py --case surface15 --max_seconds 120 --reps 1 --direct_seconds 30
    python benchmarks/bench_rare.py --from_dem
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
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
    if case in ("surface7", "surface15"):
        from catcode.experiment import build_circuit, experiment_metadata

        d = int(case.removeprefix("surface"))
        meta = experiment_metadata("rotated_surface", d, rounds=d, basis="X", noise="si1000", p=5e-4)
        return build_circuit(meta), meta
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


def sinter_shots_per_second(circuit: stim.Circuit, shots: int) -> float:
    """Plain ``sinter.collect`` throughput (1 worker, pymatching) on the circuit: the reference."""
    import sinter

    task = sinter.Task(circuit=circuit, json_metadata={"bench": 1})
    t0 = time.perf_counter()
    stats = sinter.collect(num_workers=1, tasks=[task], decoders=["pymatching"], max_shots=shots)
    return sum(s.shots for s in stats) / (time.perf_counter() - t0)


def sinter_time_to_interval(circuit: stim.Circuit, target: float, workers: int, max_seconds: float) -> str:
    """Wall time of plain ``sinter.collect`` (pymatching) until its 95 % interval is within ``target``.

    Collects in doubling chunks of shots until the observed errors reach :func:`hits_for_factor`
    (the rare-limit count for that factor) or ``max_seconds`` pass; then the time still missing is
    extrapolated from the measured throughput and the rate seen (or, with no error, not at all).
    """
    import sinter

    task = sinter.Task(circuit=circuit, json_metadata={"bench": 1})
    hits = hits_for_factor(target)
    shots = errors = 0
    chunk = 10_000
    t0 = time.perf_counter()
    while errors < hits and time.perf_counter() - t0 < max_seconds:
        (st,) = sinter.collect(num_workers=workers, tasks=[task], decoders=["pymatching"], max_shots=chunk,
                               max_errors=hits - errors)
        shots, errors = shots + st.shots, errors + st.errors
        chunk = min(2 * chunk, 50_000_000)
    wall = time.perf_counter() - t0
    if errors >= hits:
        return f"{wall:.3g} s measured ({shots} shots, {errors} errors)"
    if errors == 0:
        return f"> {wall:.3g} s (no error in {shots} shots; stopped at --direct_seconds)"
    more = (hits - errors) / (errors / shots) / (shots / wall)
    return f"~{_human(wall + more)} ({wall:.3g} s measured: {shots} shots, {errors} errors; the rest extrapolated)"


def _load() -> str:
    return "load %.2f/%.2f/%.2f" % os.getloadavg()


def _min_median(values: list[float]) -> str:
    return f"min {min(values):.3g} s, median {statistics.median(values):.3g} s over {len(values)} reps"


def bench_from_dem(reps: int) -> None:
    """``FaultModel.from_dem`` on a rotated surface d = 21 memory DEM vs stim building that DEM."""
    from catcode.rare import FaultModel

    circuit = stim.Circuit.generated(
        "surface_code:rotated_memory_x", distance=21, rounds=21, after_clifford_depolarization=1e-3,
        before_round_data_depolarization=1e-3, before_measure_flip_probability=1e-3, after_reset_flip_probability=1e-3,
    )
    build, parse = [], []
    for _ in range(reps):
        print(f"  rep: {_load()}")
        t0 = time.perf_counter()
        dem = circuit.detector_error_model(decompose_errors=True, approximate_disjoint_errors=True)
        build.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        FaultModel.from_dem(dem)
        parse.append(time.perf_counter() - t0)
    print(f"stim DEM (reference): {_min_median(build)}")
    print(f"FaultModel.from_dem ({dem.num_errors} errors): {_min_median(parse)}; "
          f"ratio to stim (min/min) {min(parse) / min(build):.2f}; {_load()}")


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
    parser.add_argument("--case", default="cat_cat", choices=["cat_cat", "ocelot", "rep", "surface7", "surface15"])
    parser.add_argument("--direct_seconds", type=float, default=120.0,
                        help="cap on the measured direct sinter sampling to the interval (then extrapolated)")
    parser.add_argument("--target", type=float, default=2.0, help="relative CI factor to reach (default 2)")
    parser.add_argument("--workers", type=int, default=2, help="cores used by both methods (default 2)")
    parser.add_argument("--max_shots", type=int, default=200_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("--max_seconds", type=float, default=None, help="time budget of each estimate")
    parser.add_argument("--reps", type=int, default=3, help="repetitions for min/median (default 3)")
    parser.add_argument("--from_dem", action="store_true", help="only time FaultModel.from_dem (d = 21)")
    args = parser.parse_args()
    if args.from_dem:
        bench_from_dem(args.reps)
        return

    circuit, meta = benchmark_circuit(args.case)
    print(f"case {args.case}: {meta}")
    print(f"  {circuit.num_detectors} detectors, distance {len(circuit.shortest_graphlike_error())}")

    walls = []
    for rep in range(args.reps):
        load = _load()
        t0 = time.perf_counter()
        est = estimate_logical_error(
            circuit, target_relative_ci=args.target, max_shots=args.max_shots, seed=args.seed + rep,
            workers=args.workers, progress=not args.quiet, max_seconds=args.max_seconds,
        )
        walls.append(time.perf_counter() - t0)
        print(f"rare-event estimator ({args.workers} workers, {load}): {est}")
        print(f"  method {est.method}, converged {est.converged}, chain steps {est.chain_steps}, "
              f"round trips {est.chain_round_trips:.2f}, wall time {walls[-1]:.1f} s")
        print(f"  choice: {est.choice}")
        if est.note:
            print(f"  {est.note}")
    t_est = statistics.median(walls)
    print(f"estimator: {_min_median(walls)}")

    load = _load()
    direct = sinter_time_to_interval(circuit, args.target, args.workers, args.direct_seconds)
    print(f"time to a x{args.target:g} interval: estimator {_min_median(walls)} vs plain sinter.collect "
          f"({args.workers} workers, same run, {load}): {direct}")
    ref = sinter_shots_per_second(circuit, shots=max(1000, int(2 * direct_shots_per_second(circuit, 1.0))))
    print(f"plain sinter.collect, 1 worker: {ref:.3g} shots/s ({_load()})")
    rate = direct_shots_per_second(circuit)
    if not est.converged:
        print(f"direct sampling: {rate:.3g} shots/s per core; the estimator did not converge, so no rate to "
              f"extrapolate direct sampling's time from: at a rate P it needs ~{hits_for_factor(args.target)}/P "
              f"shots = {_human(hits_for_factor(args.target) / (rate * args.workers))} x (1/P) on {args.workers} cores")
        return
    factor = est.relative_ci if math.isfinite(est.relative_ci) else args.target
    hits = hits_for_factor(factor)
    shots_needed = hits / est.rate if est.rate > 0 else math.inf
    t_direct = shots_needed / (rate * args.workers)
    print(f"direct sampling: {rate:.3g} shots/s per core; for a rate {est.rate:.3g} known within x{factor:.3g} "
          f"it needs ~{hits} errors = {shots_needed:.3g} shots = {_human(t_direct)} on {args.workers} cores")
    hits2 = hits_for_factor(args.target)
    print(f"  (within x{args.target}: {hits2} errors = {hits2 / est.rate:.3g} shots = "
          f"{_human(hits2 / est.rate / (rate * args.workers))})")
    print(f"speed-up of the estimator: {t_direct / t_est:.3g}x (median wall); against plain sinter.collect's "
          f"throughput: {shots_needed / (ref * args.workers) / t_est:.3g}x")


if __name__ == "__main__":
    main()
