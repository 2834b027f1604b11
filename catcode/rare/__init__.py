"""Rare-event estimation of logical error rates from a circuit's detector error model.

Public API::

    estimate_logical_error(circuit_or_dem, ...) -> RareEstimate
    scale_fault_probabilities(circuit_or_dem, s) -> stim.DetectorErrorModel
    task_strong_id(circuit, decoder, json_metadata) -> str  (sinter's Task.strong_id)
    circuit_sha256(circuit) -> str  (the circuit alone; ``strong_id`` is its former name)
    estimate_tasks(tasks, out=..., ...) -> iterator of (EstimateRecord, RareEstimate | None)
    write_estimates_csv(path, records), read_estimates_csv(path) -> list[EstimateRecord]

See :mod:`catcode.rare._estimate` for the method and its references.
"""

from catcode.rare._estimate import MIN_ROUND_TRIPS, RareEstimate, StratumEstimate, estimate_logical_error
from catcode.rare._faults import (
    FaultModel,
    circuit_sha256,
    detector_error_model_of,
    scale_fault_probabilities,
    strong_id,
    task_strong_id,
)
from catcode.rare._storage import (
    CSV_HEADER,
    EstimateRecord,
    estimate_tasks,
    format_table,
    read_estimates_csv,
    write_estimates_csv,
)

__all__ = [
    "CSV_HEADER",
    "EstimateRecord",
    "FaultModel",
    "MIN_ROUND_TRIPS",
    "RareEstimate",
    "StratumEstimate",
    "circuit_sha256",
    "detector_error_model_of",
    "estimate_logical_error",
    "estimate_tasks",
    "format_table",
    "read_estimates_csv",
    "scale_fault_probabilities",
    "strong_id",
    "task_strong_id",
    "write_estimates_csv",
]
