"""Imported by the LocalCluster fork server (only there): the workers' modules, then ``gc.freeze()``.

Importing :data:`catcode.forkserver.WORKER_PRELOAD` leaves ≈ 1.1·10⁵ objects that live as long
as the process; with the collector on, its passes over them took 0.18 s of the server's 1.3 s of
imports on the 2-core machine of issue 15, on the path to the first sample. The fork server
therefore imports them with the collector paused, then moves everything into the permanent
generation, as Python's documentation of :func:`gc.freeze` advises for a process that forks
without ``exec``: the workers' collections then never walk those objects (nor write to their
pages, which stay shared), and the workers keep an enabled collector for their own garbage.
The imports' cyclic garbage (≈ 8·10⁴ objects) is frozen too: a collection first would take
0.12 s and leave the resident size where it is (104 MB).
"""

from __future__ import annotations

import gc
import importlib

from catcode.forkserver import WORKER_PRELOAD

_was_enabled = gc.isenabled()
gc.disable()
try:
    for _name in WORKER_PRELOAD:
        try:
            importlib.import_module(_name)
        except ImportError:  # as the fork server treats its own preload list: the worker imports it, or fails, later
            pass
finally:
    gc.freeze()
    if _was_enabled:
        gc.enable()
