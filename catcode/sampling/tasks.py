"""Turning sinter tasks into fully specified ones: decoder, detector error model, strong id.

Both backends sample the same :func:`prepare_tasks` output, so a task has the same strong id
whether sinter's local processes or Dask workers sample it, and the same as a plain
``sinter.collect`` would give it (sinter derives the detector error model with the same
fallback chain as :func:`detector_error_model_like_sinter`).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sinter
import stim

from catcode.errors import CatcodeError, require_instance

__all__ = [
    "DECODER_REGISTRY",
    "default_batch_size",
    "detector_error_model_like_sinter",
    "describe",
    "prepare_tasks",
    "register_decoder",
    "resolve_decoders",
]

#: Decoders known to catcode by name, beyond sinter's built-ins (e.g. an erasure-aware matcher).
DECODER_REGISTRY: dict[str, sinter.Decoder | sinter.Sampler] = {}

# Python package each optional sinter built-in needs.
_BUILT_IN_NEEDS = {
    "pymatching": "pymatching",
    "pymatching-correlated": "pymatching",
    "fusion_blossom": "fusion_blossom",
    "hypergraph_union_find": "mwpf",
    "mw_parity_factor": "mwpf",
}


def register_decoder(name: str, decoder: sinter.Decoder | sinter.Sampler) -> None:
    """Make ``decoder`` usable by name in sweeps, ``collect(decoders=...)`` and ``--decoders``.

    For the Dask backend the object is pickled to the workers, so its class must be importable
    there.
    """
    if not isinstance(name, str) or not name:
        raise CatcodeError(f"decoder names must be non-empty strings; got {name!r}")
    if not isinstance(decoder, (sinter.Decoder, sinter.Sampler)):
        raise CatcodeError(f"decoder {name!r} must be a sinter.Decoder or sinter.Sampler; got {type(decoder).__name__}")
    DECODER_REGISTRY[name] = decoder


def resolve_decoders(
    names: Iterable[str], custom_decoders: Mapping[str, Any] | None = None
) -> dict[str, sinter.Decoder | sinter.Sampler]:
    """The custom decoder objects the given names need; CatcodeError for unknown or unusable names.

    Names are looked up in ``custom_decoders``, then :data:`DECODER_REGISTRY`, then
    ``catcode.decoders.sinter_decoders()`` (e.g. ``pymatching_erasure``), then sinter's built-ins.
    """
    names = sorted(set(names))
    custom: dict[str, Any] = {}
    known = set(DECODER_REGISTRY) | set(custom_decoders or {})
    if any(name not in known and name not in sinter.BUILT_IN_SAMPLERS for name in names):
        # Only then: catcode.decoders pulls in the BP-OSD decoder's imports.
        from catcode.decoders import sinter_decoders

        custom.update(sinter_decoders())
    custom.update(DECODER_REGISTRY)
    custom.update(dict(custom_decoders or {}))
    needed: dict[str, Any] = {}
    for name in names:
        if name in custom:
            needed[name] = custom[name]
        elif name in sinter.BUILT_IN_SAMPLERS:
            package = _BUILT_IN_NEEDS.get(name)
            if package and importlib.util.find_spec(package) is None:
                raise CatcodeError(f"decoder {name!r} needs the Python package {package!r}, which is not "
                                   f"installed; pip install {package} or choose another decoder")
        else:
            choices = sorted(set(sinter.BUILT_IN_SAMPLERS) | set(custom))
            raise CatcodeError(f"unknown decoder {name!r}; choices: {', '.join(choices)}")
    return needed


def default_batch_size(circuit: stim.Circuit) -> int:
    """Shots per sampling batch: about 2 MB of measurement bits, between 1024 and 16384.

    sinter caps batches at 1024 shots by default; small circuits sample ~30 % faster in
    bigger batches, while big ones (d = 101 has ~10^4 measurements) stay near 1024 shots.

    >>> default_batch_size(stim.Circuit.generated("repetition_code:memory", distance=5, rounds=5))
    16384
    """
    require_instance("circuit", circuit, stim.Circuit, expected="a stim.Circuit")
    return max(1024, min(16384, 2**24 // max(1, circuit.num_measurements)))


def detector_error_model_like_sinter(circuit: stim.Circuit) -> stim.DetectorErrorModel:
    """The detector error model sinter would derive for ``circuit`` (same options, same fallbacks)."""
    try:
        return circuit.detector_error_model(decompose_errors=True, approximate_disjoint_errors=True)
    except ValueError:
        try:
            return circuit.detector_error_model(approximate_disjoint_errors=True)
        except ValueError:
            return circuit.detector_error_model(approximate_disjoint_errors=True, flatten_loops=True)


def describe(task: sinter.Task) -> str:
    """A short human label of a task: its metadata as key=value terms."""
    meta = task.json_metadata
    if isinstance(meta, dict):
        text = ",".join(f"{k}={v}" for k, v in meta.items())
    else:
        text = repr(meta)
    return f"{text} [{task.decoder}]"


def _auto_decoder(dem: stim.DetectorErrorModel) -> str:
    from catcode.decoders import default_decoder

    return default_decoder(dem)


def prepare_tasks(
    tasks: Iterable[sinter.Task], *, decoders: Sequence[str] | None = None
) -> list[sinter.Task]:
    """Tasks with a decoder, a circuit and a detector error model, checked, in the given order.

    Tasks without a decoder get one copy per name in ``decoders`` (default ``["auto"]``),
    as ``sinter.collect(decoders=...)`` does; ``"auto"`` is
    :func:`catcode.decoders.default_decoder` of the task's error model. Raises CatcodeError for a circuit whose error
    model cannot be built (e.g. non-deterministic detectors) and for a task given twice.
    """
    names = list(decoders) if decoders is not None else ["auto"]
    if not names:
        raise CatcodeError("decoders must list at least one decoder name; got an empty list")
    out: list[sinter.Task] = []
    seen: dict[str, sinter.Task] = {}
    for task in tasks:
        if not isinstance(task, sinter.Task):
            raise CatcodeError(f"expected sinter.Task objects; got {type(task).__name__}")
        circuit = task.circuit
        if circuit is None:
            if task.circuit_path is None:
                raise CatcodeError(f"task {task.json_metadata!r} has neither a circuit nor a circuit_path")
            circuit = stim.Circuit.from_file(task.circuit_path)
        dem = task.detector_error_model
        if dem is None:
            try:
                dem = detector_error_model_like_sinter(circuit)
            except ValueError as exc:
                raise CatcodeError(f"cannot build the detector error model of task {task.json_metadata!r}: "
                                   f"{str(exc).splitlines()[0]}") from None
        chosen = [task.decoder] if task.decoder is not None else names
        for dec in dict.fromkeys(_auto_decoder(dem) if d == "auto" else d for d in chosen):
            full = sinter.Task(
                circuit=circuit,
                decoder=dec,
                detector_error_model=dem,
                postselection_mask=task.postselection_mask,
                postselected_observables_mask=task.postselected_observables_mask,
                json_metadata=task.json_metadata,
                collection_options=task.collection_options,
            )
            key = full.strong_id()
            if key in seen:
                raise CatcodeError(f"the same task is given twice: {describe(full)}; remove the duplicate")
            seen[key] = full
            out.append(full)
    return out


def task_limits(task: sinter.Task, max_shots: int, max_errors: int | None) -> tuple[int, int]:
    """``(max_shots, max_errors)`` for ``task``: its own options combined with the run's, errors capped at shots.

    >>> t = sinter.Task(circuit=stim.Circuit(), collection_options=sinter.CollectionOptions(max_shots=50))
    >>> task_limits(t, 100, None)
    (50, 50)
    """
    opts = task.collection_options.combine(sinter.CollectionOptions(max_shots=max_shots, max_errors=max_errors))
    limit_errors = opts.max_errors if opts.max_errors is not None else opts.max_shots
    return opts.max_shots, min(limit_errors, opts.max_shots)
