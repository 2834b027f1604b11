"""The default backend: sinter's own worker processes on this machine.

sinter does the sampling, decoding, batching and the stopping rules (``max_shots`` is met
exactly: sinter never assigns more shots than are left; ``max_errors`` may be exceeded by what
was in flight). catcode supplies the totals already in the CSV (so the rules apply to old and
new shots together) and writes each batch sinter reports as one durable row through
:class:`~catcode.sampling.csvio.ResumableCsv`, instead of sinter's ``save_resume_filepath``,
which appends with ``print(..., flush=True)``: no ``fsync``, and no repair of a torn last line
(the next run would fail to parse it, or glue the next row onto it).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

import sinter

from catcode.sampling.csvio import ResumableCsv
from catcode.sampling.progress import ProgressPrinter

__all__ = ["collect_local"]

_WATCH_LOCK = threading.Lock()
_WATCHING = False


def _exit_when_orphaned() -> None:
    """In a sinter worker: exit as soon as the process that started it is gone.

    sinter's workers keep sampling the shots they were assigned when the driver is SIGKILLed
    (only a normal exit or Ctrl-C stops them); this makes them follow it within half a second.
    """
    global _WATCHING
    with _WATCH_LOCK:
        if _WATCHING:
            return
        _WATCHING = True
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="catcode-orphan-guard", daemon=True).start()


class _OrphanGuard(sinter.Decoder):
    """Wraps a decoder for sinter's workers; unpickling it in a worker starts the orphan watch.

    The decoder name (and so the strong id) is unchanged: sinter looks custom decoders up by
    name before its built-ins.
    """

    def __init__(self, inner: sinter.Decoder):
        self.inner = inner

    def __getstate__(self) -> dict[str, Any]:
        return {"inner": self.inner}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.inner = state["inner"]
        _exit_when_orphaned()

    def compile_decoder_for_dem(self, *, dem: Any) -> sinter.CompiledDecoder:
        return self.inner.compile_decoder_for_dem(dem=dem)

    def decode_via_files(self, **kwargs: Any) -> None:
        return self.inner.decode_via_files(**kwargs)


def _guarded(names: Sequence[str], custom: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(custom)
    for name in names:
        obj = out.get(name, sinter.BUILT_IN_SAMPLERS.get(name))
        if isinstance(obj, sinter.Decoder) and not isinstance(obj, _OrphanGuard):
            out[name] = _OrphanGuard(obj)
    return out


def collect_local(
    tasks: Sequence[sinter.Task],
    out: ResumableCsv,
    *,
    max_shots: int,
    max_errors: int | None,
    processes: int | None = None,
    custom_decoders: Mapping[str, Any] | None = None,
    print_progress: bool = False,
    max_batch_size: int | None = None,
    max_batch_seconds: int | None = None,
    start_batch_size: int | None = None,
) -> dict[str, sinter.TaskStats]:
    """Sample ``tasks`` (from :func:`~catcode.sampling.prepare_tasks`) with sinter; append rows to ``out``.

    Returns the new statistics per strong id (not including what ``out`` already held).
    """
    new: dict[str, sinter.TaskStats] = {}
    if not tasks:
        return new
    printer = ProgressPrinter(enabled=print_progress, min_interval=1.0)
    try:
        for progress in sinter.iter_collect(
            num_workers=processes or os.cpu_count() or 1,
            tasks=list(tasks),
            hint_num_tasks=len(tasks),
            additional_existing_data=dict(out.existing),
            max_shots=max_shots,
            max_errors=max_errors,
            custom_decoders=_guarded([t.decoder for t in tasks], dict(custom_decoders or {})),
            max_batch_size=max_batch_size,
            max_batch_seconds=max_batch_seconds,
            start_batch_size=start_batch_size,
        ):
            for stat in progress.new_stats:
                out.append(stat)
                old = new.get(stat.strong_id)
                new[stat.strong_id] = stat if old is None else old + stat
            printer.show(progress.status_message)
    finally:
        printer.flush()
    return new
