"""CPU that the Dask LocalCluster's own event loops take from the sampling, with catcode's settings
and with Dask's defaults.

    python benchmarks/bench_dask_loops.py [--reps 3] [--shots 1500000] [--d 11]

One repetition starts, in a fresh process each, the 2-worker LocalCluster of ``--scheduler local``
(``catcode.sampling.cluster.connect``) twice: once as catcode configures it
(``LOCAL_CLUSTER_CONFIG``) and once with Dask's defaults (the reference), in alternating order.
Both workers then sample and decode ``--shots`` shots twice each (``sample_chunk`` on
``bench_collect.py``'s repetition code, rounds = d, p = 1e-3), and psutil counts the CPU seconds
of every thread meanwhile:

- ``driver``: the driver process (scheduler, nannies, client);
- ``loops``: the workers' threads other than the sampling thread (event loop, profiler);
- ``share``: (driver + loops) / (2 cores x wall): what the cluster itself takes of the machine;
- ``off-core``: 1 - (sampling threads' CPU) / (their wall time inside ``sample_chunk``): how long
  the sampling threads were runnable but not running.

These are CPU counts, so they hold up on a shared machine where wall-clock ratios drift; the
summary gives min and median over ``--reps`` and catcode / default ratios of the medians.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def measure(variant: str, shots: int, d: int) -> dict[str, float]:
    """One cluster of ``variant`` ("catcode" or "dask-default"), both workers sampling; CPU counts."""
    import psutil
    from bench_collect import make_circuit  # the circuits bench_collect.py samples

    import catcode.sampling.cluster as cluster_module
    from catcode.forkserver import prestart_local_workers
    from catcode.sampling.cluster import ChunkJob, connect, sample_chunk
    from catcode.sampling.tasks import default_batch_size, detector_error_model_like_sinter

    prestart_local_workers()
    if variant == "dask-default":
        cluster_module.LOCAL_CLUSTER_CONFIG = {}
    circuit = make_circuit(d, 1e-3)
    job = ChunkJob("bench", str(circuit), str(detector_error_model_like_sinter(circuit)), "pymatching",
                   batch_size=default_batch_size(circuit))
    client, cluster = connect("local", processes=2)
    try:
        client.wait_for_workers(2)
        client.gather([client.submit(sample_chunk, job, 1000, pure=False) for _ in range(2)])  # compile
        workers = [psutil.Process(pid) for pid in client.run(os.getpid).values()]
        driver = psutil.Process()

        def snapshot() -> tuple[float, float, float]:
            t = driver.cpu_times()
            threads = [sorted((x.user_time + x.system_time for x in w.threads()), reverse=True) for w in workers]
            return t.user + t.system, sum(sum(x[1:]) for x in threads), sum(x[0] for x in threads)

        before, t0 = snapshot(), time.perf_counter()
        stats = client.gather([client.submit(sample_chunk, job, shots, pure=False) for _ in range(4)])
        wall, after = time.perf_counter() - t0, snapshot()
    finally:
        client.close()
        cluster.close()
    driver_s, loops_s, sampling_s = (a - b for a, b in zip(after, before))
    inside = sum(s.seconds for s in stats)
    return {"wall": wall, "driver": driver_s, "loops": loops_s,
            "share": (driver_s + loops_s) / (2 * wall), "off_core": 1 - sampling_s / inside}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--shots", type=int, default=1_500_000, help="shots per chunk (4 chunks on 2 workers)")
    parser.add_argument("--d", type=int, default=11)
    parser.add_argument("--variant", choices=("catcode", "dask-default"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:  # one measurement, in its own process
        print(json.dumps(measure(args.variant, args.shots, args.d)))
        return
    if args.reps < 3:
        parser.error(f"--reps must be >= 3; got {args.reps}")
    print(f"Dask LocalCluster event loops, 2 workers, d = {args.d}, 4 chunks of {args.shots} shots; "
          f"load {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"{'rep':>3} {'variant':<13} {'wall s':>7} {'driver s':>9} {'loops s':>8} {'share':>6} {'off-core':>8}  load")
    results: dict[str, list[dict[str, float]]] = {"catcode": [], "dask-default": []}
    for rep in range(args.reps):
        order = ("catcode", "dask-default") if rep % 2 == 0 else ("dask-default", "catcode")
        for variant in order:
            out = subprocess.run([sys.executable, __file__, "--variant", variant, "--shots", str(args.shots),
                                  "--d", str(args.d)], check=True, capture_output=True, text=True).stdout
            r = json.loads(out.strip().splitlines()[-1])
            results[variant].append(r)
            print(f"{rep:>3} {variant:<13} {r['wall']:7.2f} {r['driver']:9.3f} {r['loops']:8.3f} {r['share']:6.1%} "
                  f"{r['off_core']:8.1%}  {os.getloadavg()[0]:.1f}", flush=True)
    print("summary, min / median over repetitions:")
    for key, label in (("driver", "driver CPU s"), ("loops", "worker loops CPU s"),
                       ("share", "share of the 2 cores"), ("off_core", "sampling threads off-core")):
        cells = []
        for variant in ("catcode", "dask-default"):
            values = [r[key] for r in results[variant]]
            cells.append(f"{variant} {min(values):.3f} / {statistics.median(values):.3f}")
        ratio = (statistics.median(r[key] for r in results["catcode"])
                 / max(1e-12, statistics.median(r[key] for r in results["dask-default"])))
        print(f"  {label:<27} {cells[0]:<26} {cells[1]:<31} catcode / default (medians) {ratio:.2f}")


if __name__ == "__main__":
    main()
