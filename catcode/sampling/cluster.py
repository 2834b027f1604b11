"""The Dask backend: sampling chunks farmed out to ``dask.distributed`` workers.

The driver (this process) owns the stopping rules and the CSV:

- each task's remaining budget is ``max_shots`` (and ``max_errors``) minus what the CSV already
  holds for its strong id minus what was recorded since;
- a task is cut into chunks; a chunk's size is chosen from the measured time per shot (aiming at
  ``chunk_seconds`` of work) and from the measured error rate (so the errors expected from all
  chunks in flight stay within the errors still wanted); the first chunks of a task, one small
  chunk per worker thread (each worker compiles the task meanwhile), measure both; no chunk is bigger than an even share (over twice the worker threads) of the
  shots not yet handed out, so chunks shrink towards the end and the workers finish together;
  chunks never cover more shots than are left, so ``max_shots`` is met exactly;
- at most ``2 x`` (worker threads) chunks are outstanding, so nothing is submitted far beyond
  what the stopping rule will need;
- each finished chunk becomes one CSV row (``flush`` + ``fsync``) as soon as its result arrives;
  a chunk whose worker dies is recomputed by Dask (or resubmitted here after ``KilledWorker``),
  and only results that arrived are ever recorded, so nothing is lost or counted twice.

A worker runs :func:`sample_chunk`: compile (once per task, cached) a Stim detector sampler and
the decoder for the task's detector error model, sample detection events and observable flips
in bit-packed batches, decode them, and count errors and discards as sinter does.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import math
import os
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import sinter

from catcode.errors import CatcodeError
from catcode.forkserver import WORKER_PRELOAD, prestart_local_workers  # noqa: F401 (public here too)
from catcode.sampling.csvio import ResumableCsv
from catcode.sampling.progress import ProgressPrinter
from catcode.sampling.tasks import default_batch_size, describe, task_limits

__all__ = ["ChunkJob", "LOCAL_CLUSTER_CONFIG", "connect", "collect_dask", "prestart_local_workers", "sample_chunk"]


@dataclasses.dataclass(frozen=True)
class ChunkJob:
    """Everything a worker needs to sample one task (sent as text; no stim objects are pickled)."""

    strong_id: str
    circuit_text: str
    dem_text: str
    decoder: str
    decoder_object: Any = None  # custom decoders only; built-ins are looked up on the worker
    postselection_mask: bytes | None = None
    postselected_observables_mask: bytes | None = None
    batch_size: int = 1024


# ---------------------------------------------------------------------------------------------
# Worker side


class _Compiled:
    def __init__(self, job: ChunkJob):
        import stim

        circuit = stim.Circuit(job.circuit_text)
        dem = stim.DetectorErrorModel(job.dem_text)
        decoder = job.decoder_object
        if decoder is None:
            decoder = sinter.BUILT_IN_DECODERS.get(job.decoder)
        if not isinstance(decoder, sinter.Decoder):
            raise ValueError(f"decoder {job.decoder!r} is not a sinter.Decoder available on this worker")
        self.sampler = circuit.compile_detector_sampler()
        self.decoder = decoder.compile_decoder_for_dem(dem=dem)
        self.num_obs = circuit.num_observables
        self.post_mask = None if job.postselection_mask is None else np.frombuffer(job.postselection_mask, np.uint8)
        self.post_obs_mask = (None if job.postselected_observables_mask is None
                              else np.frombuffer(job.postselected_observables_mask, np.uint8))


_CACHE: collections.OrderedDict[str, _Compiled] = collections.OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 4


def _compiled(job: ChunkJob) -> _Compiled:
    with _CACHE_LOCK:
        hit = _CACHE.get(job.strong_id)
        if hit is not None:
            _CACHE.move_to_end(job.strong_id)
            return hit
    made = _Compiled(job)
    with _CACHE_LOCK:
        _CACHE[job.strong_id] = made
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return made


def _count(compiled: _Compiled, dets: np.ndarray, obs: np.ndarray) -> tuple[int, int]:
    """(errors, discards) of one batch, with sinter's rules for discards and postselection."""
    discards = 0
    if compiled.post_mask is not None:
        drop = np.any(dets & compiled.post_mask, axis=1)
        discards += int(np.count_nonzero(drop))
        dets, obs = dets[~drop], obs[~drop]
    predictions = compiled.decoder.decode_shots_bit_packed(bit_packed_detection_event_data=dets)
    if predictions.shape[1] == obs.shape[1] + 1:  # decoder asked to discard via an extra byte
        drop = predictions[:, -1] != 0
        discards += int(np.count_nonzero(drop))
        predictions, obs = predictions[~drop, :-1], obs[~drop]
    if compiled.post_obs_mask is not None:
        drop = np.any((obs ^ predictions) & compiled.post_obs_mask, axis=1)
        discards += int(np.count_nonzero(drop))
        predictions, obs = predictions[~drop], obs[~drop]
    errors = int(np.count_nonzero(np.any(predictions != obs, axis=1)))
    return errors, discards


def sample_chunk(job: ChunkJob, shots: int) -> sinter.AnonTaskStats:
    """Sample and decode exactly ``shots`` shots of ``job``'s task (runs on a Dask worker).

    ``seconds`` counts sampling and decoding only, as sinter's does (not compilation).
    """
    compiled = _compiled(job)
    errors = discards = 0
    t0 = time.monotonic()
    left = shots
    while left > 0:
        n = min(left, job.batch_size)
        dets, obs = compiled.sampler.sample(shots=n, bit_packed=True, separate_observables=True)
        e, dsc = _count(compiled, dets, obs)
        errors += e
        discards += dsc
        left -= n
    return sinter.AnonTaskStats(shots=shots, errors=errors, discards=discards, seconds=time.monotonic() - t0)


# ---------------------------------------------------------------------------------------------
# Driver side


@contextlib.contextmanager
def _forkserver_workers():
    """Start LocalCluster processes from a fork server that has imported :data:`WORKER_PRELOAD`.

    With Dask's default ``spawn``, each of the 2n processes (a nanny and a worker per worker)
    starts a fresh interpreter and imports Dask, and each worker then imports Stim, PyMatching
    and catcode for its first chunk: seconds of CPU on a small machine, while sinter's local
    workers import them once each. A fork server imports them once and forks every process from
    that state (Dask supports it: ``distributed.worker.multiprocessing-method``). Where there is
    no fork server (Windows), Dask's default stays.
    """
    import multiprocessing

    import dask

    if "forkserver" not in multiprocessing.get_all_start_methods():
        yield
        return
    import distributed.utils

    if not getattr(distributed.utils, "_forkserver_preload_set", True):
        # Dask's own preload imports its optional packages (pandas, ...) here and in the server.
        prestart_local_workers()
        distributed.utils._forkserver_preload_set = True
    with dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"}):
        yield


#: Dask settings of the LocalCluster that ``connect("local")`` starts. By default the event loop of
#: the scheduler, of each nanny and of each worker wakes every 20 ms to check its own health
#: (``tick``), and each worker's wakes every 10 ms more for its statistical profiler, which then
#: waits for the GIL that the sampling thread holds inside Stim and PyMatching. With both workers
#: sampling on 2 cores, those wake-ups cost 0.6–0.7 of 7 CPU-seconds in a 3.5 s run; with these
#: settings 0.25–0.3 (issue 15, ``docs/speed_sampling.md``). Profiles and the 0.5 s system monitor
#: only feed Dask's dashboard; the memory monitor, which enforces the workers' memory limit, keeps
#: Dask's 100 ms.
LOCAL_CLUSTER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
}


def connect(scheduler: str, *, processes: int | None = None, timeout: float = 5.0) -> tuple[Any, Any]:
    """A ``(client, cluster)`` pair: ``"local"`` starts a LocalCluster, else connect to an address.

    ``cluster`` is None for an external scheduler. Raises CatcodeError when dask.distributed is
    missing or the scheduler does not answer within ``timeout`` seconds.
    """
    try:
        import distributed
    except ImportError:
        raise CatcodeError("--scheduler needs dask.distributed; pip install 'dask[distributed]' "
                           "(the 'cluster' extra of catcode)") from None
    if scheduler == "local":
        n = processes or os.cpu_count() or 1
        import logging

        import dask

        # Scheduler and dashboard listen on the loopback interface only: Dask has no
        # authentication, so nothing of it is reachable from other hosts. The nannies pass the
        # configuration in force here on to their workers.
        with _forkserver_workers(), dask.config.set(LOCAL_CLUSTER_CONFIG):
            cluster = distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                                               dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR)
        return distributed.Client(cluster), cluster
    if not isinstance(scheduler, str) or not scheduler.strip():
        raise CatcodeError(f"scheduler must be 'local' or an address like tcp://host:8786; got {scheduler!r}")
    try:
        client = distributed.Client(scheduler, timeout=timeout)
    except Exception as exc:  # noqa: BLE001 - a non-Dask service answers with garbage (e.g. MemoryError)
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        if isinstance(exc, MemoryError):  # a length prefix read from a non-Dask protocol
            reason = "the service there does not speak Dask's protocol"
        raise CatcodeError(
            f"cannot reach the Dask scheduler at {scheduler!r} within {timeout:g} s ({reason}); start one with "
            "`dask scheduler` (and workers with `dask worker ADDRESS`), or use --scheduler local") from None
    return client, None


@dataclasses.dataclass
class _Run:
    task: sinter.Task
    strong_id: str
    job: ChunkJob
    shots_left: int
    errors_left: int
    total_shots: int  # existing + recorded: for the error-rate estimate
    total_errors: int
    new: sinter.AnonTaskStats = dataclasses.field(default_factory=sinter.AnonTaskStats)
    in_flight: dict[Any, int] = dataclasses.field(default_factory=dict)
    failures: int = 0
    largest: int = 0  # largest finished chunk: chunks grow at most 8x (1024x while tiny) per step

    def done(self) -> bool:
        return (self.shots_left <= 0 or self.errors_left <= 0) and not self.in_flight

    def record(self, stats: sinter.AnonTaskStats) -> sinter.TaskStats:
        """Count a finished chunk against the budget; return it as a CSV row of this task."""
        self.new += stats
        self.largest = max(self.largest, stats.shots)
        self.shots_left -= stats.shots
        self.errors_left -= stats.errors
        self.total_shots += stats.shots
        self.total_errors += stats.errors
        return sinter.TaskStats(strong_id=self.strong_id, decoder=self.task.decoder,
                                json_metadata=self.task.json_metadata, shots=stats.shots, errors=stats.errors,
                                discards=stats.discards, seconds=stats.seconds, custom_counts=stats.custom_counts)

    def next_chunk(self, *, slots: int, start: int, chunk_seconds: float, max_chunk: int | None) -> int:
        if self.shots_left <= 0 or self.errors_left <= 0:
            return 0
        flying = sum(self.in_flight.values())
        unassigned = self.shots_left - flying
        if unassigned <= 0:
            return 0
        if self.new.shots == 0 or self.new.seconds <= 0:
            # Nothing measured yet: one small chunk per worker (each compiles the task meanwhile).
            return 0 if len(self.in_flight) >= slots else min(unassigned, start)
        rate = self.new.shots / self.new.seconds
        # While everything measured so far is a small fraction of one chunk's work, the timing is
        # mostly overhead and each step costs a round trip: grow faster.
        grow = 1024 if self.new.seconds < chunk_seconds / 20 else 8
        size = min(chunk_seconds * rate, grow * self.largest)
        # Guided self-scheduling: no chunk takes more than an even share of what is left, so the
        # last chunks shrink and all workers finish together (one 2 s chunk alone at the end
        # would leave the others idle), down to chunks of chunk_seconds / 20.
        size = min(size, max(unassigned / (2 * max(1, slots)), chunk_seconds * rate / 20, start))
        if self.total_errors > 0:
            rate = self.total_errors / self.total_shots
            budget = self.errors_left / rate - flying
            if budget <= 0:
                return 0 if self.in_flight else min(unassigned, start)
            size = min(size, math.ceil(budget / max(1, slots)))
        if max_chunk is not None:
            size = min(size, max_chunk)
        return int(max(1, min(size, unassigned)))


def _job_for(task: sinter.Task, batch_size: int, custom: Mapping[str, Any]) -> ChunkJob:
    def mask(m: Any) -> bytes | None:
        return None if m is None else np.asarray(m, dtype=np.uint8).tobytes()

    return ChunkJob(
        strong_id=task.strong_id(),
        circuit_text=str(task.circuit),
        dem_text=str(task.detector_error_model),
        decoder=task.decoder,
        decoder_object=custom.get(task.decoder),
        postselection_mask=mask(task.postselection_mask),
        postselected_observables_mask=mask(task.postselected_observables_mask),
        batch_size=batch_size,
    )


def _status(runs: Sequence[_Run], max_errors: int | None) -> str:
    active = [r for r in runs if not r.done()]
    flying = sum(len(r.in_flight) for r in runs)
    lines = [f"{len(active)} tasks left, {flying} chunks in flight:"]
    if active:
        lines.append(f"  {'chunks':>6} {'shots_left':>12} {'errors_left' if max_errors is not None else 'errors_seen':>11}"
                     "  json_metadata [decoder]")
    for r in active[:30]:
        err = r.errors_left if max_errors is not None else r.total_errors
        lines.append(f"  {len(r.in_flight):>6} {r.shots_left:>12} {err:>11}  {describe(r.task)}")
    if len(active) > 30:
        lines.append(f"  ... ({len(active) - 30} more tasks)")
    return "\n".join(lines)


def collect_dask(
    tasks: Sequence[sinter.Task],
    out: ResumableCsv,
    *,
    client: Any,
    max_shots: int,
    max_errors: int | None,
    custom_decoders: Mapping[str, Any] | None = None,
    print_progress: bool = False,
    start_batch_size: int = 100,
    max_batch_size: int | None = None,
    chunk_seconds: float = 2.0,
    max_chunk_shots: int | None = None,
    max_resubmits: int = 5,
    result_timeout: float = 120.0,
) -> dict[str, sinter.TaskStats]:
    """Sample ``tasks`` (from :func:`~catcode.sampling.prepare_tasks`) on a Dask cluster; append rows to ``out``.

    Returns the new statistics per strong id. See the module docstring for the rules.
    """
    import distributed

    runs = _runs(tasks, out.existing, max_shots=max_shots, max_errors=max_errors,
                 max_batch_size=max_batch_size, custom=dict(custom_decoders or {}))
    printer = ProgressPrinter(enabled=print_progress, min_interval=1.0)
    submitter = _Submitter(client, runs, start=start_batch_size, chunk_seconds=chunk_seconds,
                           max_chunk=max_chunk_shots)
    owner = submitter.owner
    new: dict[str, sinter.TaskStats] = {}
    try:
        with _short_connect_timeout():
            submitter.submit_more()
            while owner:
                try:
                    finished = distributed.wait(list(owner), timeout=1.0, return_when="FIRST_COMPLETED").done
                except TimeoutError:
                    finished = set()
                for fut in list(finished):
                    run = owner.pop(fut)
                    stats = _chunk_result(fut, run, run.in_flight.pop(fut), result_timeout=result_timeout,
                                          max_resubmits=max_resubmits)
                    if stats is not None:
                        row = run.record(stats)
                        out.append(row)
                        old = new.get(run.strong_id)
                        new[run.strong_id] = row if old is None else old + row
                    fut.release()
                submitter.submit_more()
                printer.show(_status(runs, max_errors))
    finally:
        if owner:
            client.cancel(list(owner))
        printer.flush()
    return new


def _runs(tasks: Sequence[sinter.Task], existing: Mapping[str, sinter.TaskStats], *, max_shots: int,
          max_errors: int | None, max_batch_size: int | None, custom: Mapping[str, Any]) -> list[_Run]:
    """A :class:`_Run` per task whose budget (limits minus the CSV's rows) is not yet used up."""
    runs = []
    for task in tasks:
        key = task.strong_id()
        have = existing.get(key)
        shots0 = have.shots if have else 0
        errors0 = have.errors if have else 0
        t_max_shots, t_max_errors = task_limits(task, max_shots, max_errors)
        run = _Run(task=task, strong_id=key, job=_job_for(task, max_batch_size or default_batch_size(task.circuit), custom),
                   shots_left=t_max_shots - shots0, errors_left=t_max_errors - errors0,
                   total_shots=shots0, total_errors=errors0)
        if not run.done():
            runs.append(run)
    return runs


class _Submitter:
    """Hands out chunks to the cluster, keeping at most ``2 x`` (worker threads) in flight."""

    def __init__(self, client: Any, runs: Sequence[_Run], *, start: int, chunk_seconds: float,
                 max_chunk: int | None):
        self.client = client
        self.runs = runs
        self.start = start
        self.chunk_seconds = chunk_seconds
        self.max_chunk = max_chunk
        self.owner: dict[Any, _Run] = {}  # future -> its run, for every chunk in flight
        self.counter = 0
        self.slots = 1
        self.slots_checked = 0.0

    def _refresh_slots(self) -> None:
        if time.monotonic() - self.slots_checked > 2.0:
            self.slots = max(1, sum(self.client.nthreads().values()))
            self.slots_checked = time.monotonic()

    def submit_more(self) -> None:
        self._refresh_slots()
        cap = max(2, 2 * self.slots)
        for run in self.runs:
            while len(self.owner) < cap:
                n = run.next_chunk(slots=self.slots, start=self.start, chunk_seconds=self.chunk_seconds,
                                   max_chunk=self.max_chunk)
                if n <= 0:
                    break
                self.counter += 1
                fut = self.client.submit(sample_chunk, run.job, n, pure=False,
                                         key=f"catcode-chunk-{run.strong_id[:16]}-{self.counter}")
                run.in_flight[fut] = n
                self.owner[fut] = run
            if len(self.owner) >= cap:
                break


@contextlib.contextmanager
def _short_connect_timeout():
    """Cap Dask's connect timeout at 5 s while sampling.

    Fetching a result from a worker that just died retries the connection until this timeout
    (30 s by default) before Dask recomputes the chunk elsewhere: keep that stall short.
    """
    import dask

    connect = dask.utils.parse_timedelta(dask.config.get("distributed.comm.timeouts.connect"), default="s")
    with dask.config.set({"distributed.comm.timeouts.connect": f"{min(connect, 5)}s"}):
        yield


def _chunk_result(fut: Any, run: _Run, shots: int, *, result_timeout: float,
                  max_resubmits: int) -> sinter.AnonTaskStats | None:
    """The statistics of a finished chunk, or None when its worker was lost (Dask resubmits it).

    Raises RuntimeError for a worker-side error, a wrong shot count or too many lost chunks.
    """
    try:
        # A worker can die between finishing a chunk and handing over its result:
        # Dask then recomputes it elsewhere; a stalled hand-over counts as lost.
        stats, exc = fut.result(timeout=result_timeout), None
    except Exception as caught:  # worker-side errors, KilledWorker, timeouts, cancellation
        stats, exc = None, caught
    if stats is not None:
        if stats.shots != shots:
            raise RuntimeError(f"a worker returned {stats.shots} shots for a chunk of {shots}")
        return stats
    if not _is_lost_worker(exc):
        raise RuntimeError(f"sampling {describe(run.task)} failed on a Dask worker: "
                           f"{type(exc).__name__}: {exc}") from exc
    run.failures += 1
    if run.failures > max_resubmits:
        raise RuntimeError(f"chunks of {describe(run.task)} were lost with their workers "
                           f"{run.failures} times; giving up (recorded rows are kept)") from exc
    return None


def _is_lost_worker(exc: BaseException | None) -> bool:
    if exc is None:
        return False
    name = type(exc).__name__
    return name in ("KilledWorker", "CommClosedError", "CancelledError", "FutureCancelledError") or isinstance(
        exc, (OSError, EOFError))  # TimeoutError is an OSError
