"""Wall time of ``catcode collect`` against plain ``sinter collect``, raw Stim + PyMatching and Dask.

Not a test: prints figures. Every figure is a ratio against a reference measured in the same run,
interleaved, because the machine may be shared: absolute times mean little, ratios of neighbouring
runs do. Each repetition prints its own line with ``os.getloadavg()``; the summary gives the min
and median over ``--repeats`` (>= 3) repetitions.

For each distance (default 5 and 11; repetition code, X basis, rounds = d, circuit noise
p = 1e-3; the same ``.stim`` file for every contender, named ``d=..,b=X,p=...stim`` so that
``sinter collect --metadata_func auto`` and ``catcode collect --circuits`` give the task the same
strong id, which is checked), one repetition measures:

- ``raw``: one process, ``compile_detector_sampler().sample(bit_packed=True,
  separate_observables=True)`` + ``pymatching.Matching.decode_batch`` in batches of 1024 and
  16384 shots, steady state; the faster counts. It sizes the runs: ``--seconds`` of raw work;
- ``raw2/1``: two such processes at once (1 s, the faster batch size), over one: what the two
  cores deliver together at that moment with no sinter or catcode involved, the reference for
  the 2 / 1 worker figures (on a shared virtual machine it is not always 2);
- ``sinter 1w`` / ``catcode 1w``: ``sinter collect --processes 1`` and ``catcode collect
  --workers 1`` as subprocesses, on a fresh CSV, wall clock of the whole command;
- ``sinter 2w`` / ``catcode 2w``: the same with 2 workers and twice the shots;
- ``dask 2w``: ``catcode collect --scheduler local --workers 2`` (a 2-worker LocalCluster started
  by the command), same shots as the 2-worker runs (skip with ``--no_dask``);
- start-up: each command with ``--max_shots 1`` (catcode also with 2 workers, for the Dask comparison).

Figures (shots/s ratios, so > 1 is faster): catcode/sinter at 1 and 2 workers (goal >= 0.95),
catcode 2w / catcode 1w (goal >= 1.8 on an idle 2-core machine), dask / catcode 2w (goal >= 0.9;
also with each command's 1-shot wall time subtracted, i.e. once running), each against raw; start-up seconds and catcode's minus sinter's. Optionally (``--memory_d``) a
d = 101 study's peak resident memory in a fresh process.

Run: ``python benchmarks/bench_collect.py`` (about 2.5 minutes on 2 cores with the defaults).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import pymatching
import stim

BIN = pathlib.Path(sys.executable).parent


def make_circuit(d: int, p: float) -> stim.Circuit:
    return stim.Circuit.generated(
        "repetition_code:memory", distance=d, rounds=d, after_clifford_depolarization=p,
        before_round_data_depolarization=p, before_measure_flip_probability=p, after_reset_flip_probability=p)


def raw_rate(circuit: stim.Circuit, *, batch: int, seconds: float) -> float:
    """Shots per second of sampling + decode_batch in this process (steady state)."""
    dem = circuit.detector_error_model(decompose_errors=True, approximate_disjoint_errors=True)
    matching = pymatching.Matching.from_detector_error_model(dem)
    sampler = circuit.compile_detector_sampler()

    def one() -> None:
        dets, obs = sampler.sample(shots=batch, bit_packed=True, separate_observables=True)
        pred = matching.decode_batch(dets, bit_packed_shots=True, bit_packed_predictions=True)
        int((pred != obs).any(axis=1).sum())

    one()
    shots = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        one()
        shots += batch
    return shots / (time.perf_counter() - t0)


def _raw_worker(circuit: stim.Circuit, batch: int, seconds: float, results) -> None:
    results.put(raw_rate(circuit, batch=batch, seconds=seconds))


def raw_parallel_rate(circuit: stim.Circuit, *, batch: int, seconds: float, processes: int = 2) -> float:
    """Total shots per second of ``processes`` concurrent copies of :func:`raw_rate`.

    Divided by one process's rate measured just before, it is the 2 / 1 ratio of the raw loop
    itself, with no sinter or catcode involved: the reference for the 2 / 1 worker figures (on a
    shared virtual machine it is not always 2, and it drifts as much as they do).
    """
    import multiprocessing

    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    results = ctx.Queue()
    procs = [ctx.Process(target=_raw_worker, args=(circuit, batch, seconds, results)) for _ in range(processes)]
    for proc in procs:
        proc.start()
    total = sum(results.get() for _ in procs)
    for proc in procs:
        proc.join()
    return total


def command(kind: str, path: str, out: str, shots: int, workers: int) -> list[str]:
    if kind == "sinter":
        return [str(BIN / "sinter"), "collect", "--circuits", path, "--decoders", "pymatching",
                "--metadata_func", "auto", "--save_resume_filepath", out, "--max_shots", str(shots),
                "--processes", str(workers), "--quiet"]
    cmd = [sys.executable, "-m", "catcode", "collect", "--circuits", path, "--out", out,
           "--max_shots", str(shots), "--workers", str(workers), "--quiet"]
    return cmd + (["--scheduler", "local"] if kind == "dask" else [])


def timed(kind: str, path: str, shots: int, workers: int, folder: str) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the command and its children, strong id) of one fresh run."""
    out = os.path.join(folder, f"{kind}-{workers}-{shots}.csv")
    if os.path.exists(out):
        os.unlink(out)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(command(kind, path, out, shots, workers), check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    with open(out) as f:
        rows = [line.split(",") for line in f.read().splitlines()[1:]]
    total = sum(int(r[0]) for r in rows)
    if total != shots:
        raise RuntimeError(f"{kind} recorded {total} shots, expected {shots}")
    ids = {r[5] for r in rows}
    if len(ids) != 1:
        raise RuntimeError(f"{kind} recorded {len(ids)} strong ids")
    return wall, cpu, ids.pop()


def memory_study(d: int, p: float, shots: int) -> dict:
    """Run a d-study in this (fresh) process and report its peak RSS."""
    import sinter

    from catcode.sampling import collect

    task = sinter.Task(circuit=make_circuit(d, p), json_metadata={"d": d, "b": "X"})
    with tempfile.TemporaryDirectory() as folder:
        t0 = time.perf_counter()
        (stats,) = collect([task], out=os.path.join(folder, "stats.csv"), max_shots=shots, processes=1)
        dt = time.perf_counter() - t0
    return {"d": d, "shots": stats.shots, "seconds": dt,
            "driver_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "worker_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def load() -> str:
    return "load " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def summary(name: str, values: list[float], unit: str = "") -> str:
    return f"  {name:<34} min {min(values):7.3f}{unit}  median {statistics.median(values):7.3f}{unit}"


def bench_distance(d: int, args: argparse.Namespace, folder: str) -> None:
    circuit = make_circuit(d, args.p)
    path = os.path.join(folder, f"d={d},b=X,p={args.p}.stim")
    circuit.to_file(path)
    figures: dict[str, list[float]] = {}

    def note(key: str, value: float) -> None:
        figures.setdefault(key, []).append(value)

    print(f"\nd = {d} ({circuit.num_detectors} detectors); shots/s relative to the same repetition's references")
    print(f"{'rep':>3} {'raw/s':>9} {'sinter1':>7} {'cat1':>6} {'cat/sin1':>8} {'sinter2':>7} {'cat2':>6} "
          f"{'cat/sin2':>8} {'cat2/1':>6} {'raw2/1':>6} {'dask2':>6} {'dask/cat2':>9} {'cpu c/s':>7} "
          f"{'start s':>7} {'c':>5} {'dask':>5}")
    shots1 = shots2 = 0
    for rep in range(args.repeats):
        by_batch = {b: raw_rate(circuit, batch=b, seconds=1.0) for b in (1024, 16384)}
        best = max(by_batch, key=by_batch.__getitem__)
        raw = by_batch[best]
        raw2 = raw_parallel_rate(circuit, batch=best, seconds=1.0) / raw
        if rep == 0:
            shots1 = int(raw * args.seconds)
            shots2 = 2 * shots1
        runs = [("sinter", 1, shots1), ("catcode", 1, shots1), ("sinter", 2, shots2), ("catcode", 2, shots2)]
        if args.dask:
            runs.append(("dask", 2, shots2))
        starts = [("sinter", 1, 1), ("catcode", 1, 1)] + ([("catcode", 2, 1), ("dask", 2, 1)] if args.dask else [])
        order = runs + starts
        if rep % 2:  # alternate the order so that neither side always runs first
            order = order[::-1]
        res = {(k, w, n): timed(k, path, n, w, folder) for k, w, n in order}
        ids = {r[2] for r in res.values()}
        if len(ids) != 1:
            raise RuntimeError(f"sinter and catcode disagree on the strong id: {ids}")
        rate = {(k, w): n / res[(k, w, n)][0] for k, w, n in runs}
        s1, c1 = rate[("sinter", 1)] / raw, rate[("catcode", 1)] / raw
        s2, c2 = rate[("sinter", 2)] / raw, rate[("catcode", 2)] / raw
        cpu = (res[("catcode", 1, shots1)][1] + res[("catcode", 2, shots2)][1]) / (
            res[("sinter", 1, shots1)][1] + res[("sinter", 2, shots2)][1])
        st_s, st_c = res[("sinter", 1, 1)][0], res[("catcode", 1, 1)][0]
        note("catcode/sinter 1w", c1 / s1)
        note("catcode/sinter 2w", c2 / s2)
        note("catcode 2w / 1w", c2 / c1)
        note("sinter 2w / 1w", s2 / s1)
        note("raw 2 processes / 1", raw2)
        note("catcode 1w / raw", c1)
        note("catcode 2w / raw", c2)
        note("CPU catcode / sinter", cpu)
        note("start-up sinter (s)", st_s)
        note("start-up catcode (s)", st_c)
        note("start-up catcode - sinter (s)", st_c - st_s)
        line = (f"{rep:>3} {raw:>9.3g} {s1:>7.2f} {c1:>6.2f} {c1 / s1:>8.3f} {s2:>7.2f} {c2:>6.2f} {c2 / s2:>8.3f} "
                f"{c2 / c1:>6.2f} {raw2:>6.2f}")
        if args.dask:
            k2 = rate[("dask", 2)] / raw
            note("dask 2w / catcode 2w", k2 / c2)
            note("dask 2w / raw", k2)
            st_k, st_c2 = res[("dask", 2, 1)][0], res[("catcode", 2, 1)][0]
            note("start-up dask (s)", st_k)
            # Throughput once running: each 2-worker run's wall minus its own 1-shot run's.
            steady = (res[("catcode", 2, shots2)][0] - st_c2) / max(1e-9, res[("dask", 2, shots2)][0] - st_k)
            note("dask / catcode 2w, start-up removed", steady)
            line += f" {k2:>6.2f} {k2 / c2:>9.3f}"
        else:
            line += f" {'-':>6} {'-':>9}"
        line += f" {cpu:>7.2f} {st_s:>7.2f} {st_c:>5.2f}"
        line += f" {st_k:>5.2f}" if args.dask else f" {'-':>5}"
        print(line + f"   ({load()})", flush=True)
    print(f"  runs: {shots1} shots with 1 worker, {shots2} with 2 (about {args.seconds:g} s of raw work per worker)")
    for key, values in figures.items():
        print(summary(key, values))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--distances", type=int, nargs="+", default=[5, 11])
    ap.add_argument("--p", type=float, default=1e-3)
    ap.add_argument("--seconds", type=float, default=2.5, help="raw work per worker in each timed run")
    ap.add_argument("--repeats", type=int, default=3, help="interleaved repetitions per distance (>= 3)")
    ap.add_argument("--no_dask", dest="dask", action="store_false", help="skip the Dask LocalCluster runs")
    ap.add_argument("--memory_d", type=int, default=0, help="also measure a study at this d's peak memory")
    ap.add_argument("--memory_shots", type=int, default=20_000)
    ap.add_argument("--memory_only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.memory_only:
        print(json.dumps(memory_study(args.memory_d, args.p, args.memory_shots)))
        return
    if args.repeats < 3:
        ap.error(f"--repeats must be at least 3; got {args.repeats}")
    if args.dask:
        try:
            import distributed  # noqa: F401
        except ImportError:
            print("dask.distributed is not installed: skipping the Dask runs (pip install -e '.[cluster]')")
            args.dask = False
    print(f"catcode collect vs sinter collect vs raw stim + pymatching; {os.cpu_count()} cores; start: {load()}")
    with tempfile.TemporaryDirectory() as folder:
        for d in args.distances:
            bench_distance(d, args, folder)
    print("columns: shots/s of each command / raw (1 process, in-process); cat/sin: catcode / sinter at the same "
          "worker count; cat2/1: catcode 2 workers / 1 worker; raw2/1: two raw processes at once / one (what the cores "
          "deliver together, no sinter or catcode); dask/cat2: Dask LocalCluster (2 workers) / catcode "
          "local 2 workers; cpu c/s: CPU seconds catcode / sinter (1w + 2w runs); start s: 1-shot run wall seconds")
    if args.memory_d:
        out = subprocess.run([sys.executable, __file__, "--memory_only", "--p", str(args.p), "--memory_d",
                              str(args.memory_d), "--memory_shots", str(args.memory_shots)],
                             check=True, capture_output=True, text=True)
        mem = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"d = {mem['d']} study ({mem['shots']} shots, {mem['seconds']:.1f} s): peak RSS driver "
              f"{mem['driver_peak_mb']:.0f} MB, worker {mem['worker_peak_mb']:.0f} MB")


if __name__ == "__main__":
    main()
