"""Memory circuits read from ``.stim`` files, and sinter tasks made from them.

``catcode collect --circuits`` and ``catcode estimate --circuits`` read files here without
importing the compiler, the layouts or the noise models (about 0.3 s of start-up).
"""

from __future__ import annotations

import json
import pathlib
from collections.abc import Iterable, Sequence
from typing import Any

from catcode.errors import CatcodeError, _short, value_tuple

__all__ = ["DEFAULT_DECODER", "read_circuit_file", "tasks_from_circuit_files"]

#: The decoder of a task unless one is named: ``"auto"``, resolved per circuit by
#: :func:`catcode.decoders.default_decoder` (erasure-aware matching iff the circuit has heralds).
DEFAULT_DECODER = "auto"


def read_circuit_file(path: str | pathlib.Path, *, what: str = "circuit file") -> Any:
    """The Stim circuit in ``path``, checked: a non-empty regular file, valid Stim text, and
    deterministic detectors and observables (its error model exists); else a one-line CatcodeError.

    >>> read_circuit_file("/")
    Traceback (most recent call last):
    catcode.errors.CatcodeError: circuit file '/' is a directory, not a file
    """
    import os

    import stim

    from catcode.io import check_input_file

    if not isinstance(path, str | os.PathLike):
        raise CatcodeError(f"{what} must be a path (a string or os.PathLike); got {_short(path)}")
    p = check_input_file(path, what=what)
    try:
        circuit = stim.Circuit.from_file(str(p))
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise CatcodeError(f"{what} {str(p)!r} is not a readable Stim circuit: {_first_line(exc)}") from None
    if circuit.num_detectors == 0 and circuit.num_observables == 0:
        raise CatcodeError(f"{what} {str(p)!r} has no detectors and no observables: nothing to sample")
    try:
        circuit.detector_error_model(allow_gauge_detectors=False, approximate_disjoint_errors=True)
    except ValueError as exc:
        raise CatcodeError(f"{what} {str(p)!r} is not a valid memory experiment: {_first_line(exc)}") from None
    return circuit


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def tasks_from_circuit_files(
    paths: Sequence[str | pathlib.Path], *, decoders: Sequence[str] = (DEFAULT_DECODER,)
) -> list[Any]:
    """Tasks from ``.stim`` files whose names carry their metadata, ``key=value,...stim``, as sinter's.

    The metadata is ``sinter.comma_separated_key_values(path)``, which is what
    ``sinter collect --metadata_func auto`` uses, so strong ids agree with such sinter runs.
    """
    import sinter

    if isinstance(paths, str | pathlib.PurePath) or not isinstance(paths, Iterable):
        raise CatcodeError(f"paths must be a list of .stim file paths; got {_short(paths)}")
    paths = list(paths)
    if not paths:
        raise CatcodeError("--circuits needs at least one .stim file")
    from catcode.decoders import resolve_decoder_name

    decoders = value_tuple("decoders", decoders)
    tasks = []
    for path in paths:
        from catcode.io import check_input_file

        if not isinstance(path, str | pathlib.PurePath):
            raise CatcodeError(f"circuit file must be a path (a string or pathlib.Path); got {_short(path)}")
        p = check_input_file(path, what="circuit file")
        try:
            meta = sinter.comma_separated_key_values(str(p))
        except ValueError:
            raise CatcodeError(
                f"circuit file name {p.name!r} must be comma-separated key=value terms ending in .stim, "
                "e.g. 'layout=chain,d=5,r=5,b=X,noise=depolarizing,p=0.001.stim'") from None
        circuit = read_circuit_file(p, what="circuit file")
        json.dumps(meta)
        for dec in dict.fromkeys(resolve_decoder_name(d, circuit) for d in decoders):
            tasks.append(sinter.Task(circuit=circuit, decoder=dec, json_metadata=dict(meta)))
    return tasks
