"""The fork server that Dask's LocalCluster processes start from (``--scheduler local``).

A module of its own, importing nothing heavy, so that ``catcode collect --scheduler local`` can
start the fork server first thing, before it imports sinter, Stim or Dask itself: the server's
imports (seconds of CPU) then overlap with all of the driver's work (see
:mod:`catcode.sampling.cluster`, which uses it).
"""

from __future__ import annotations

__all__ = ["WORKER_PRELOAD", "prestart_local_workers"]


#: Modules a LocalCluster's worker processes get from the fork server instead of importing them
#: each: everything :func:`catcode.sampling.cluster.sample_chunk` and the built-in and catcode
#: decoders need.
WORKER_PRELOAD = ("distributed", "numpy", "stim", "sinter", "pymatching", "catcode.sampling.cluster",
                  "catcode.decoders")


def prestart_local_workers() -> bool:
    """Start the LocalCluster fork server (:func:`catcode.sampling.cluster.connect`) now, without waiting for it.

    It imports :data:`WORKER_PRELOAD` in its own process (through :mod:`catcode.forkserver_preload`,
    which pauses the garbage collector meanwhile and freezes the result) while this one goes on
    (importing Dask, preparing the tasks), so that on two cores the two start-ups overlap. False
    where there is no fork server.
    """
    import multiprocessing
    import multiprocessing.forkserver

    if "forkserver" not in multiprocessing.get_all_start_methods():
        return False
    multiprocessing.get_context("forkserver").set_forkserver_preload(["catcode.forkserver_preload"])
    multiprocessing.forkserver.ensure_running()
    return True
