"""The Dask backend on a LocalCluster of two worker processes: format, exact counts, lost workers."""

from __future__ import annotations

import gc
import os
import pathlib
import signal
import subprocess
import sys
import threading
import time

import pytest
import sinter
import stim

distributed = pytest.importorskip("distributed")

from catcode.cli import main as catcode_main  # noqa: E402
from catcode.errors import CatcodeError  # noqa: E402
from catcode.sampling import collect  # noqa: E402
from catcode.sampling.cluster import sample_chunk  # noqa: E402


def _noisy() -> stim.Circuit:
    return stim.Circuit.generated("repetition_code:memory", distance=9, rounds=9,
                                  before_round_data_depolarization=0.08, after_clifford_depolarization=0.02)


def _flip() -> stim.Circuit:  # every shot is a logical error
    return stim.Circuit("R 0 1\nX_ERROR(1) 0\nM 0 1\nDETECTOR rec[-1]\nOBSERVABLE_INCLUDE(0) rec[-2]")


def _clean() -> stim.Circuit:  # no shot is
    return stim.Circuit.generated("repetition_code:memory", distance=3, rounds=3)


def _tasks() -> list[sinter.Task]:
    return [sinter.Task(circuit=c, json_metadata={"name": n})
            for n, c in (("noisy", _noisy()), ("flip", _flip()), ("clean", _clean()))]


@pytest.fixture(scope="module")
def cluster():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    client = distributed.Client(cluster)
    yield cluster, client
    client.close()
    cluster.close()


@pytest.fixture()
def address(cluster) -> str:
    _, client = cluster
    client.wait_for_workers(2, timeout=60)  # a previous test may have killed one
    return cluster[0].scheduler_address


def _rows(path: pathlib.Path) -> list[str]:
    try:
        return path.read_text().splitlines()[1:]
    except FileNotFoundError:
        return []


def _totals(*paths: pathlib.Path) -> dict[str, tuple[int, int]]:
    stats = sinter.read_stats_from_csv_files(*(str(p) for p in paths))
    return {s.json_metadata["name"]: (s.shots, s.errors) for s in stats}


@pytest.mark.slow
def test_same_csv_format_exact_counts_and_merges_with_local_sinter(address: str, tmp_path: pathlib.Path) -> None:
    path = tmp_path / "dask.csv"
    stats = collect(_tasks(), out=path, max_shots=60_000, scheduler=address, chunk_seconds=0.1)
    assert {s.json_metadata["name"]: s.shots for s in stats} == {"noisy": 60_000, "flip": 60_000, "clean": 60_000}
    lines = path.read_text().splitlines()
    assert lines[0] == sinter.CSV_HEADER
    per_id: dict[str, int] = {}
    for line in lines[1:]:  # every row is exactly what TaskStats.to_csv_line writes
        (row,) = sinter.read_stats_from_csv_files(_as_file(tmp_path, line))
        assert row.to_csv_line() == line
        per_id[row.strong_id] = per_id.get(row.strong_id, 0) + row.shots
    assert sorted(per_id.values()) == [60_000] * 3
    assert len(lines) - 1 > 3  # chunked: several rows per task
    totals = _totals(path)
    assert totals["flip"] == (60_000, 60_000) and totals["clean"] == (60_000, 0)

    # Same strong ids as local sinter processes: the two files merge task by task.
    local = tmp_path / "local.csv"
    collect(_tasks(), out=local, max_shots=1_000, processes=1)
    assert {s.strong_id for s in sinter.read_stats_from_csv_files(str(local))} == set(per_id)
    merged = _totals(path, local)
    assert {k: v[0] for k, v in merged.items()} == {"noisy": 61_000, "flip": 61_000, "clean": 61_000}


def _as_file(folder: pathlib.Path, line: str) -> str:
    one = folder / "one_row.csv"
    one.write_text(sinter.CSV_HEADER + "\n" + line + "\n")
    return str(one)


@pytest.mark.slow
def test_max_errors_applies_across_workers_without_oversubmitting(address: str, tmp_path: pathlib.Path) -> None:
    path = tmp_path / "s.csv"
    stats = collect(_tasks()[:2], out=path, max_shots=10**7, max_errors=500, scheduler=address, chunk_seconds=0.1)
    got = {s.json_metadata["name"]: (s.shots, s.errors) for s in stats}
    assert got["flip"] == (500, 500)  # error rate 1: chunks never cover more errors than are left
    shots, errors = got["noisy"]
    assert 500 <= errors <= 750 and shots < 10**6
    # Resuming with a higher target continues from the file, counting old errors too.
    again = collect(_tasks()[:2], out=path, max_shots=10**7, max_errors=800, scheduler=address, chunk_seconds=0.1)
    assert {s.json_metadata["name"]: s.errors for s in again}["flip"] == 800


@pytest.mark.slow
def test_a_worker_killed_mid_run_loses_no_recorded_shots(cluster, address: str, tmp_path: pathlib.Path) -> None:
    _, client = cluster
    path = tmp_path / "s.csv"
    victim = next(iter(client.run(os.getpid).values()))
    seen: dict[str, object] = {}

    def kill_after_some_rows() -> None:
        deadline = time.monotonic() + 60
        while len(_rows(path)) < 3 and time.monotonic() < deadline:
            time.sleep(0.005)
        seen["rows"] = len(_rows(path))
        seen["shots"] = sum(_totals(path).get("noisy", (0, 0))[:1])
        os.kill(victim, signal.SIGKILL)

    killer = threading.Thread(target=kill_after_some_rows)
    killer.start()
    stats = collect(_tasks()[:1], out=path, max_shots=400_000, scheduler=address, chunk_seconds=0.1)
    killer.join()
    assert 0 < seen["shots"] < 400_000  # the kill landed mid-run
    assert [s.shots for s in stats] == [400_000]
    assert _totals(path)["noisy"][0] == 400_000


@pytest.mark.slow
def test_killed_driver_resumes_exactly(address: str, tmp_path: pathlib.Path) -> None:
    folder = tmp_path / "circuits"
    folder.mkdir()
    files = []
    for task in _tasks():
        f = folder / f"name={task.json_metadata['name']}.stim"
        task.circuit.to_file(f)
        files.append(str(f))
    path = tmp_path / "s.csv"
    args = ["collect", "--circuits", *files, "--out", str(path), "--max_shots", "300000", "--scheduler", address,
            "--chunk_seconds", "0.1", "--quiet"]
    proc = subprocess.Popen([sys.executable, "-m", "catcode", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while len(_rows(path)) < 3 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    before = _totals(path)
    assert sum(shots for shots, _ in before.values()) < 3 * 300_000
    with open(path, "a") as f:
        f.write("    300000,        12,         0,")  # a row cut short
    assert catcode_main(args) == 0
    after = _totals(path)
    assert after["flip"] == (300_000, 300_000) and after["clean"] == (300_000, 0)
    assert after["noisy"][0] == 300_000


@pytest.mark.slow
def test_local_cluster_option_and_bad_schedulers(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "s.csv"
    stats = collect(_tasks()[1:], out=path, max_shots=5_000, scheduler="local", processes=2)
    assert sorted((s.shots, s.errors) for s in stats) == [(5_000, 0), (5_000, 5_000)]
    before = path.read_bytes()
    with pytest.raises(CatcodeError, match="cannot reach the Dask scheduler"):
        collect(_tasks(), out=path, max_shots=10_000, scheduler="tcp://127.0.0.1:9", scheduler_timeout=1)
    assert path.read_bytes() == before


def test_sample_chunk_counts_like_sinter() -> None:
    from catcode.sampling import prepare_tasks
    from catcode.sampling.cluster import _job_for

    flip, clean = (prepare_tasks([t])[0] for t in _tasks()[1:])
    stats = sample_chunk(_job_for(flip, 64, {}), 1000)  # 16 batches, the last one partial
    assert (stats.shots, stats.errors, stats.discards) == (1000, 1000, 0)
    stats = sample_chunk(_job_for(clean, 100, {}), 250)
    assert (stats.shots, stats.errors, stats.discards) == (250, 0, 0)


def _simulate_chunks(shots: int, *, rate: float, slots: int, chunk_seconds: float) -> list[float]:
    """Idle times of equally fast workers when ``_Run.next_chunk`` feeds them (event simulation).

    Each worker takes a chunk when free (at most ``2 * slots`` in flight, as the driver does);
    returns, per worker, how long it sat idle before the last worker finished.
    """
    import heapq

    from catcode.sampling.cluster import _Run

    run = _Run(task=None, strong_id="x", job=None, shots_left=shots, errors_left=shots,  # type: ignore[arg-type]
               total_shots=0, total_errors=0)
    run.new = sinter.AnonTaskStats(shots=100, seconds=100 / rate)  # the first, measuring chunk is done
    run.largest = 10**12  # ramp-up finished
    free_at = [0.0] * slots
    events: list[tuple[float, int, object]] = []
    key = 0
    while True:
        worker = min(range(slots), key=free_at.__getitem__)
        n = run.next_chunk(slots=slots, start=100, chunk_seconds=chunk_seconds, max_chunk=None)
        if n <= 0 and not events:
            break
        if n > 0 and len(run.in_flight) < 2 * slots:
            key += 1
            run.in_flight[key] = n
            free_at[worker] += n / rate
            heapq.heappush(events, (free_at[worker], key, n))
            continue
        _, done, n = heapq.heappop(events)  # the earliest chunk finishes: record it
        del run.in_flight[done]
        run.shots_left -= n
    assert run.shots_left == 0  # every shot assigned exactly once
    end = max(free_at)
    return [end - t for t in free_at]


def test_chunks_shrink_towards_the_end_so_workers_finish_together() -> None:
    rate = 1e6  # shots per second per worker
    for shots in (7_654_321, 40_000_000):
        idle = _simulate_chunks(shots, rate=rate, slots=2, chunk_seconds=2.0)
        # Without shrinking, a last 2 s chunk would leave the other worker idle for up to 2 s;
        # the smallest chunks are chunk_seconds / 20 = 0.1 s of work.
        assert max(idle) <= 0.1 + 1e-9, (shots, idle)


@pytest.fixture(scope="module")
def own_cluster():
    """The LocalCluster that ``--scheduler local`` starts (one worker)."""
    from catcode.sampling.cluster import connect

    client, cluster = connect("local", processes=1)
    yield client, cluster
    client.close()
    cluster.close()


@pytest.mark.slow
def test_local_cluster_workers_start_with_the_sampling_modules_loaded(own_cluster) -> None:
    """--scheduler local forks its workers from a server that imported Stim, PyMatching, catcode (issue 15)."""
    from catcode.sampling.cluster import WORKER_PRELOAD

    client, _ = own_cluster
    probe = "[m for m in %r if m not in __import__('sys').modules]" % (WORKER_PRELOAD,)
    missing = client.run(eval, probe)  # eval: a builtin, so nothing of this module is pickled
    assert list(missing.values()) == [[]]  # with Dask's default (spawn) every module is missing here


@pytest.mark.slow
def test_local_cluster_workers_inherit_the_preloaded_objects_frozen(own_cluster) -> None:
    """The fork server freezes what it imported; each worker's collector is on for its own garbage (issue 15)."""
    client, _ = own_cluster
    assert all(n > 0 for n in client.run(gc.get_freeze_count).values())  # 0 before: nothing was frozen
    assert list(client.run(gc.isenabled).values()) == [True]


def test_forkserver_preload_leaves_a_disabled_collector_disabled() -> None:
    """The preload pauses the collector and restores the state it found (here: off)."""
    probe = ("import gc, sys; gc.disable(); import catcode.forkserver_preload; "
             "from catcode.forkserver import WORKER_PRELOAD; "
             "print(gc.isenabled(), gc.get_freeze_count() > 0, all(m in sys.modules for m in WORKER_PRELOAD))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "True", "True"]


def _periodic_callbacks(dask_worker=None, dask_scheduler=None) -> dict[str, float]:
    return {name: pc.callback_time for name, pc in (dask_worker or dask_scheduler).periodic_callbacks.items()}


@pytest.mark.slow
def test_local_cluster_event_loops_leave_the_cores_to_the_workers(own_cluster) -> None:
    """No event loop of catcode's LocalCluster wakes more than 4 times a second but for the memory monitor.

    Dask's defaults wake the scheduler, each nanny and each worker every 20 ms (``tick``), and
    each worker every 10 ms more (``profile``): ≈ 9 % of two busy cores (issue 15).
    """
    client, cluster = own_cluster
    loops = {"scheduler": client.run_on_scheduler(_periodic_callbacks)}
    loops.update({f"worker {a}": pcs for a, pcs in client.run(_periodic_callbacks).items()})
    loops.update({f"nanny {k}": _periodic_callbacks(dask_worker=n) for k, n in cluster.workers.items()})
    assert len(loops) == 3
    fast = {(where, name, ms) for where, pcs in loops.items() for name, ms in pcs.items()
            if ms < 250 and name != "memory_monitor"}
    assert fast == set()
    assert all(pcs.get("memory_monitor") == 100 for where, pcs in loops.items() if where != "scheduler")
