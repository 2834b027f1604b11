"""Sampling sweeps into a resumable sinter CSV, with local sinter processes or a Dask cluster.

:func:`collect` is the library call under ``catcode collect``. It checks everything before
sampling anything (the sweep, every circuit's error model, the decoders, the output file, the
scheduler), so a bad request fails fast with a CatcodeError and leaves an existing CSV as it was.
Then it resumes from the CSV: the stopping rules count the shots and errors already recorded
there for the same task (same sinter strong id), and every newly finished batch is appended as
one durable row. Killing the run at any moment and starting it again loses no recorded shot and
counts none twice; ``max_shots`` totals come out exact.

>>> import os, tempfile, stim, sinter
>>> from catcode.sampling import collect
>>> task = sinter.Task(circuit=stim.Circuit.generated("repetition_code:memory", distance=3, rounds=3,
...                    before_round_data_depolarization=0.02), json_metadata={"d": 3})
>>> path = os.path.join(tempfile.mkdtemp(), "stats.csv")
>>> [s.shots for s in collect([task], out=path, max_shots=500, processes=1)]
[500]
>>> [s.shots for s in collect([task], out=path, max_shots=800, processes=1)]  # resumes: 300 more
[800]
"""

from __future__ import annotations

import pathlib
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sinter

from catcode.errors import CatcodeError, require_int_at_least, require_positive
from catcode.sampling.csvio import ResumableCsv, check_output_path, read_stats, scan_csv
from catcode.sampling.main_script import require_rerunnable_main
from catcode.sampling.tasks import (
    DECODER_REGISTRY,
    default_batch_size,
    detector_error_model_like_sinter,
    prepare_tasks,
    register_decoder,
    resolve_decoders,
    task_limits,
)

__all__ = [
    "DECODER_REGISTRY",
    "ResumableCsv",
    "check_output_path",
    "collect",
    "default_batch_size",
    "detector_error_model_like_sinter",
    "prepare_tasks",
    "read_stats",
    "register_decoder",
    "resolve_decoders",
    "scan_csv",
]


def collect(
    tasks: Iterable[sinter.Task] | Any,
    *,
    out: str | pathlib.Path,
    max_shots: int,
    max_errors: int | None = None,
    decoders: Sequence[str] | None = None,
    custom_decoders: Mapping[str, sinter.Decoder | sinter.Sampler] | None = None,
    processes: int | None = None,
    scheduler: str | None = None,
    scheduler_timeout: float = 5.0,
    print_progress: bool = False,
    max_batch_size: int | None = None,
    max_batch_seconds: int | None = None,
    start_batch_size: int | None = None,
    chunk_seconds: float = 2.0,
) -> list[sinter.TaskStats]:
    """Sample tasks until each has ``max_shots`` shots or ``max_errors`` errors, resuming from ``out``.

    Args:
        tasks: sinter tasks, or a :class:`catcode.sweep.Sweep` (its circuits are built here).
        out: the stats CSV (sinter format); created if missing, resumed if present.
        max_shots: per-task total (existing + new); met exactly.
        max_errors: per-task total errors after which a task stops (in-flight batches may
            overshoot it, as in sinter). Defaults to no limit.
        decoders: decoder names for tasks without one (default ``["auto"]``:
            :func:`catcode.decoders.default_decoder`, erasure matching iff the circuit has heralds).
        custom_decoders: extra decoders by name (``sinter.Decoder`` objects); they take
            precedence over :data:`DECODER_REGISTRY` and ``catcode.decoders.sinter_decoders()``
            (which already provide ``pymatching_erasure``). For Dask their classes must be
            importable on the workers.
        processes: local sinter worker processes (default: CPU count); with
            ``scheduler="local"``, the number of LocalCluster worker processes.
        scheduler: None for local sinter processes, ``"local"`` for a Dask LocalCluster, or a
            Dask scheduler address such as ``"tcp://10.0.0.5:8786"``.
        scheduler_timeout: seconds to wait for the scheduler to answer before failing.
        print_progress: print progress to stderr.
        max_batch_size: largest number of shots sampled at once (default: per circuit,
            :func:`default_batch_size`; the smallest over the tasks for local sinter workers).
        max_batch_seconds, start_batch_size: sinter's batching options (``start_batch_size``
            is also the first Dask chunk of a task).
        chunk_seconds: Dask backend only: target work per chunk (one CSV row per chunk).

    Returns:
        One ``sinter.TaskStats`` per task: the totals in ``out`` (old and new rows) for it.
    """
    # 1. Everything that can be checked without touching the file or sampling.
    max_shots, max_errors = _check_args(max_shots=max_shots, max_errors=max_errors, processes=processes,
                                        max_batch_size=max_batch_size, max_batch_seconds=max_batch_seconds,
                                        start_batch_size=start_batch_size, chunk_seconds=chunk_seconds,
                                        scheduler_timeout=scheduler_timeout)
    if scheduler in (None, "local"):
        require_rerunnable_main("collect()")
    if scheduler == "local":  # its worker processes start while the tasks are prepared here
        from catcode.forkserver import prestart_local_workers

        prestart_local_workers()
    prepared, custom = _prepare(tasks, decoders, custom_decoders, dask=scheduler is not None)
    check_output_path(out)

    # 2. The scheduler (fails fast when unreachable, before the file is touched).
    client = cluster = None
    if scheduler is not None:
        from catcode.sampling.cluster import connect

        client, cluster = connect(scheduler, processes=processes, timeout=scheduler_timeout)
    try:
        # 3. Open (create / repair / lock) the CSV and sample.
        with ResumableCsv(out) as csv_out:
            existing = dict(csv_out.existing)
            if client is None:
                new = _sample_local(prepared, csv_out, max_shots=max_shots, max_errors=max_errors,
                                    processes=processes, custom=custom, print_progress=print_progress,
                                    max_batch_size=max_batch_size, max_batch_seconds=max_batch_seconds,
                                    start_batch_size=start_batch_size)
            else:
                from catcode.sampling.cluster import collect_dask

                new = collect_dask(prepared, csv_out, client=client, max_shots=max_shots, max_errors=max_errors,
                                   custom_decoders=custom, print_progress=print_progress,
                                   start_batch_size=start_batch_size or 100, max_batch_size=max_batch_size,
                                   chunk_seconds=chunk_seconds)
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    return _totals(prepared, existing, new)


def _check_args(*, max_shots: Any, max_errors: Any, processes: Any, max_batch_size: Any,
                max_batch_seconds: Any, start_batch_size: Any, chunk_seconds: Any,
                scheduler_timeout: Any) -> tuple[int, int | None]:
    """Check :func:`collect`'s numeric options; return ``(max_shots, max_errors)`` as integers."""
    max_shots = _count_arg("max_shots", max_shots, 1)
    if max_errors is not None:
        max_errors = _count_arg("max_errors", max_errors, 0)
    if processes is not None:
        require_int_at_least("processes", processes, 1)
    for name, value in (("max_batch_size", max_batch_size), ("max_batch_seconds", max_batch_seconds),
                        ("start_batch_size", start_batch_size)):
        if value is not None:
            require_int_at_least(name, value, 1)
    require_positive("chunk_seconds", chunk_seconds)
    require_positive("scheduler_timeout", scheduler_timeout)
    return max_shots, max_errors


def _prepare(tasks: Any, decoders: Sequence[str] | None,
             custom_decoders: Mapping[str, sinter.Decoder | sinter.Sampler] | None, *,
             dask: bool) -> tuple[list[sinter.Task], dict[str, Any]]:
    """The prepared tasks (circuits built, decoders chosen, DEMs made) and the custom decoders they use."""
    sweep_module = sys.modules.get("catcode.sweep")  # a Sweep exists only once it is imported
    if sweep_module is not None and isinstance(tasks, sweep_module.Sweep):
        if decoders is None:
            decoders = list(tasks.decoders)
        tasks = tasks.tasks()
    if isinstance(tasks, sinter.Task):
        tasks = [tasks]
    prepared = prepare_tasks(tasks, decoders=decoders)
    if not prepared:
        raise CatcodeError("no tasks to collect: the sweep or the list of circuits is empty")
    custom = resolve_decoders([t.decoder for t in prepared], custom_decoders)
    if dask:
        _check_dask_decoders(prepared, custom)
    return prepared, custom


def _check_dask_decoders(prepared: Sequence[sinter.Task], custom: Mapping[str, Any]) -> None:
    """The Dask backend decodes on its workers: every task needs a ``sinter.Decoder``."""
    for name, obj in custom.items():
        if not isinstance(obj, sinter.Decoder):
            raise CatcodeError(f"the Dask backend needs sinter.Decoder objects; {name!r} is a "
                               f"{type(obj).__name__}")
    for t in prepared:
        if t.decoder in sinter.BUILT_IN_SAMPLERS and t.decoder not in sinter.BUILT_IN_DECODERS \
                and t.decoder not in custom:
            raise CatcodeError(f"the Dask backend cannot use the sampler {t.decoder!r}; choose a decoder")


def _sample_local(prepared: Sequence[sinter.Task], csv_out: ResumableCsv, *, max_shots: int,
                  max_errors: int | None, max_batch_size: int | None, custom: Mapping[str, Any],
                  **sinter_options: Any) -> dict[str, sinter.TaskStats]:
    """Sample the tasks the CSV does not already complete with local sinter processes."""
    from catcode.sampling.local import collect_local

    existing = csv_out.existing
    todo = [t for t in prepared if not _complete(t, existing.get(t.strong_id()), max_shots, max_errors)]
    batch = max_batch_size or min((default_batch_size(t.circuit) for t in todo), default=1024)
    return collect_local(todo, csv_out, max_shots=max_shots, max_errors=max_errors, max_batch_size=batch,
                         custom_decoders=custom, **sinter_options)


def _totals(prepared: Sequence[sinter.Task], existing: Mapping[str, sinter.TaskStats],
            new: Mapping[str, sinter.TaskStats]) -> list[sinter.TaskStats]:
    """Per task, in order: its old rows plus its new ones (empty stats when it has none)."""
    results = []
    for t in prepared:
        key = t.strong_id()
        parts = [s for s in (existing.get(key), new.get(key)) if s is not None]
        if parts:
            total = parts[0] if len(parts) == 1 else parts[0] + parts[1]
        else:
            total = sinter.TaskStats(strong_id=key, decoder=t.decoder, json_metadata=t.json_metadata)
        results.append(total)
    return results


def _complete(task: sinter.Task, have: sinter.TaskStats | None, max_shots: int, max_errors: int | None) -> bool:
    if have is None:
        return False
    shots, errors = task_limits(task, max_shots, max_errors)
    return have.shots >= shots or have.errors >= errors


def _count_arg(name: str, value: Any, minimum: int) -> int:
    """Accept integers and integral floats such as 1e6 (CLI style); reject anything else."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return require_int_at_least(name, value, minimum)


