"""Rare-event estimates as CSV rows that sit next to sinter's stats CSV (same metadata dicts)."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import stim

from catcode.errors import CatcodeError, require_instances, require_seed
from catcode.io import write_atomically
from catcode.rare._estimate import RareEstimate, estimate_logical_error
from catcode.rare._faults import circuit_sha256, task_strong_id

#: column order of estimate CSV files
CSV_COLUMNS = (
    "strong_id", "circuit_sha256", "decoder", "method", "rate", "ci_low", "ci_high", "confidence",
    "shots", "chain_steps", "seconds", "converged", "json_metadata",
)
CSV_HEADER = ",".join(CSV_COLUMNS)
#: header of files written before the strong_id column held sinter's strong id (it held the circuit's
#: sha256): still readable, their rows get strong_id "" and that sha256 as circuit_sha256
LEGACY_COLUMNS = tuple(c for c in CSV_COLUMNS if c != "circuit_sha256")


@dataclasses.dataclass(frozen=True)
class EstimateRecord:
    """One stored estimate: identity of the circuit, sinter-style metadata, and the numbers.

    ``strong_id`` is sinter's ``Task.strong_id`` (circuit, DEM, decoder, json metadata;
    :func:`catcode.rare.task_strong_id`), "" for rows read from a legacy file;
    ``circuit_sha256`` the sha256 of the circuit text alone (:func:`catcode.rare.circuit_sha256`);
    ``json_metadata`` is the same dict sinter tasks carry (e.g. ``{"d": 5, "r": 5, "b": "X",
    "noise": "cat_cat", ...}``); ``rate`` is per shot of the whole circuit.

    >>> r = EstimateRecord("ab", "pymatching", "subset", 1e-9, 5e-10, 2e-9, 0.95, 10, 0, 1.5, True, {"d": 5})
    >>> EstimateRecord.from_csv_row(dict(zip(CSV_COLUMNS, next(csv.reader([r.to_csv_line()]))))) == r
    True
    """

    strong_id: str
    decoder: str
    method: str
    rate: float
    ci_low: float
    ci_high: float
    confidence: float
    shots: int
    chain_steps: int
    seconds: float
    converged: bool
    json_metadata: Any
    circuit_sha256: str = ""

    def __post_init__(self) -> None:
        if not (0.0 <= self.ci_low <= self.rate <= self.ci_high <= 1.0):
            raise CatcodeError(
                f"EstimateRecord needs 0 <= ci_low <= rate <= ci_high <= 1; got {self.ci_low}, {self.rate}, {self.ci_high}"
            )
        if not (0.0 < self.confidence < 1.0) or self.shots < 0 or self.chain_steps < 0:
            raise CatcodeError(
                "EstimateRecord needs 0 < confidence < 1, shots >= 0 and chain_steps >= 0; got "
                f"{self.confidence}, {self.shots}, {self.chain_steps}"
            )

    @staticmethod
    def from_estimate(estimate: RareEstimate, *, strong_id: str, json_metadata: Any = None,
                      circuit_sha256: str = "") -> "EstimateRecord":
        return EstimateRecord(circuit_sha256=circuit_sha256,
            strong_id=strong_id, decoder=estimate.decoder, method=estimate.method, rate=estimate.rate,
            ci_low=estimate.ci_low, ci_high=estimate.ci_high, confidence=estimate.confidence,
            shots=estimate.shots, chain_steps=estimate.chain_steps, seconds=round(estimate.seconds, 3),
            converged=estimate.converged, json_metadata=json_metadata,
        )

    def to_csv_line(self) -> str:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="").writerow([
            self.strong_id, self.circuit_sha256, self.decoder, self.method, repr(float(self.rate)), repr(float(self.ci_low)),
            repr(float(self.ci_high)), repr(float(self.confidence)), self.shots, self.chain_steps,
            f"{self.seconds:.3f}", "1" if self.converged else "0",
            json.dumps(self.json_metadata, separators=(",", ":"), sort_keys=True),
        ])
        return buf.getvalue()

    @staticmethod
    def from_csv_row(row: dict[str, str]) -> "EstimateRecord":
        try:
            legacy = "circuit_sha256" not in row
            return EstimateRecord(
                strong_id="" if legacy else row["strong_id"],
                circuit_sha256=row["strong_id"] if legacy else row["circuit_sha256"], decoder=row["decoder"], method=row["method"],
                rate=float(row["rate"]), ci_low=float(row["ci_low"]), ci_high=float(row["ci_high"]),
                confidence=float(row["confidence"]), shots=int(row["shots"]),
                chain_steps=int(row["chain_steps"]), seconds=float(row["seconds"]),
                converged=row["converged"].strip() in ("1", "True", "true"),
                json_metadata=json.loads(row["json_metadata"]),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise CatcodeError(f"estimate CSV row must have columns {CSV_HEADER}; got {row!r} ({exc})") from None


def read_estimates_csv(path: str | os.PathLike) -> list[EstimateRecord]:
    """All records of an estimate CSV file written by :func:`write_estimates_csv`."""
    p = Path(path)
    if not p.exists():
        raise CatcodeError(f"estimate CSV file must exist; got {str(p)!r}")
    with p.open(newline="") as f:
        reader = csv.DictReader(f)
        if tuple(reader.fieldnames or ()) not in (CSV_COLUMNS, LEGACY_COLUMNS):
            raise CatcodeError(f"estimate CSV header must be {CSV_HEADER!r} (or the legacy header without "
                               f"circuit_sha256); got {reader.fieldnames!r} in {str(p)!r}")
        return [EstimateRecord.from_csv_row(row) for row in reader]


def write_estimates_csv(path: str | os.PathLike, records: Iterable[EstimateRecord], *, append: bool = True) -> None:
    """Write records, keeping the rows already in the file when ``append`` (the default).

    The new file goes through :func:`catcode.io.write_atomically`, so an interrupted write never
    leaves a partial file.
    """
    p = Path(path)
    lines = [CSV_HEADER]
    if append and p.exists() and p.stat().st_size > 0:
        # rewritten in the current format (legacy rows keep their circuit hash, strong_id "")
        lines += [r.to_csv_line() for r in read_estimates_csv(p)]
    lines += [r.to_csv_line() for r in records]
    p.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(p, "\n".join(lines) + "\n")


def _as_pair(task: Any) -> tuple[stim.Circuit, Any]:
    if isinstance(task, tuple) and len(task) == 2 and isinstance(task[0], stim.Circuit):
        return task[0], task[1]
    circuit = getattr(task, "circuit", None)
    if isinstance(circuit, stim.Circuit):  # sinter.Task
        return circuit, getattr(task, "json_metadata", None)
    raise CatcodeError(
        f"each task must be a (stim.Circuit, metadata) pair or a sinter.Task with a circuit; got {type(task).__name__}"
    )


def estimate_tasks(
    tasks: Iterable[Any],
    *,
    out: str | os.PathLike | None = None,
    skip_existing: bool = False,
    seed: int | None = None,
    **kwargs: Any,
) -> Iterator[tuple[EstimateRecord, RareEstimate | None]]:
    """Estimate each (circuit, metadata) pair (or sinter.Task), appending a row to ``out`` after each.

    Yields (record, estimate) per task; estimate is None for a task skipped because ``out``
    already holds a row with its strong id (sinter's: circuit, DEM, decoder, metadata) and decoder; rows
    of legacy files (no strong id) match by circuit hash and decoder, as before. ``seed`` (if given) is offset by
    the task's position. Other keyword arguments go to :func:`estimate_logical_error`. A bad
    ``seed`` is refused here, before the first task.
    """
    return _estimate_each(tasks, out=out, skip_existing=skip_existing, seed=require_seed(seed), **kwargs)


def _estimate_each(
    tasks: Iterable[Any], *, out: str | os.PathLike | None, skip_existing: bool, seed: int | None, **kwargs: Any
) -> Iterator[tuple[EstimateRecord, RareEstimate | None]]:
    existing: dict[tuple[str, str], EstimateRecord] = {}
    if skip_existing and out is not None and Path(out).exists():
        for r in read_estimates_csv(out):
            existing[(r.strong_id or "sha256:" + r.circuit_sha256, r.decoder)] = r
    for index, task in enumerate(tasks):
        circuit, metadata = _as_pair(task)
        decoder = kwargs.get("decoder", "pymatching")
        if decoder == "auto":  # the name the oracle records (catcode.decoders.default_decoder)
            from catcode.decoders import default_decoder

            decoder = default_decoder(circuit)
        name = decoder if isinstance(decoder, str) else type(decoder).__name__
        sid, sha = task_strong_id(circuit, name, metadata), circuit_sha256(circuit)
        found = existing.get((sid, name)) or existing.get(("sha256:" + sha, name))  # legacy rows: by circuit
        if found is not None:
            yield found, None
            continue
        est = estimate_logical_error(circuit, seed=None if seed is None else seed + index, **kwargs)
        record = EstimateRecord.from_estimate(est, strong_id=sid, json_metadata=metadata, circuit_sha256=sha)
        if out is not None:
            write_estimates_csv(out, [record], append=True)
        yield record, est


def rounds_of(metadata: Any) -> int | None:
    """The number of rounds recorded in sinter-style metadata (key ``r`` or ``rounds``), if any.

    >>> rounds_of({"d": 5, "r": 7}), rounds_of({"d": 5})
    (7, None)
    """
    if isinstance(metadata, dict):
        for key in ("r", "rounds"):
            value = metadata.get(key)
            if isinstance(value, int) and value >= 1:
                return value
    return None


def per_round(rate: float, ci_low: float, ci_high: float, rounds: int) -> tuple[float, float, float]:
    """Per-shot rate and interval converted to per round, as sinter does (see RareEstimate.per_round)."""
    import sinter

    return tuple(float(sinter.shot_error_rate_to_piece_error_rate(x, pieces=rounds))  # type: ignore[return-value]
                 for x in (rate, ci_low, ci_high))


def format_table(records: Iterable[EstimateRecord]) -> str:
    """A plain-text table of records for terminals: per-round rates (when the metadata names the
    rounds ``r``, like ``collect``/``plot``/``overhead``), then per-shot rates, each labelled."""
    records = require_instances("records", records, EstimateRecord, expected="EstimateRecord",
                                hint="read them with catcode.rare.read_estimates_csv")
    rows = [("metadata", "rate/round", "ci_low/round", "ci_high/round", "rate/shot", "ci_low/shot",
             "ci_high/shot", "x", "method", "decodes", "seconds")]
    for r in records:
        meta = ",".join(f"{k}={v}" for k, v in sorted(r.json_metadata.items())) if isinstance(r.json_metadata, dict) else str(r.json_metadata)
        width = max(r.ci_high / r.rate, r.rate / r.ci_low) if r.rate > 0 and r.ci_low > 0 else math.inf
        rounds = rounds_of(r.json_metadata)
        pr = [f"{x:.3e}" for x in per_round(r.rate, r.ci_low, r.ci_high, rounds)] if rounds else ["-"] * 3
        rows.append((meta or "-", *pr, f"{r.rate:.3e}", f"{r.ci_low:.3e}", f"{r.ci_high:.3e}", f"{width:.3g}",
                     r.method, str(r.shots), f"{r.seconds:.1f}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows)
