"""Sampling glue: memory experiments -> per-round rates (catcode.sampling, rare estimator), direct checks."""

from __future__ import annotations

import dataclasses
import math
import os
import time
from collections.abc import Callable, Sequence
from typing import Any

import sinter
import stim

from catcode import analysis
from catcode.errors import CatcodeError
from catcode.overhead.architectures import CHECK_MAX_BAND_RATIO
from catcode.overhead.options import OverheadOptions
from catcode.overhead.rates import NO_ESTIMATE, Estimate, _mean_of
from catcode.overhead.search import Candidate, Requirement

@dataclasses.dataclass(frozen=True)
class _Memory:
    """One memory experiment to estimate (hashable)."""

    architecture: str
    d: int
    basis: str
    noise: str
    params: tuple[tuple[str, Any], ...]
    ancilla: str
    rounds: int
    boundary: str
    bit_d: int | None = None

    def metadata(self) -> dict[str, Any]:
        from catcode.overhead.architectures import REGISTRY

        return REGISTRY[self.architecture].memory_metadata(
            self.d, basis=self.basis, noise=self.noise, params=dict(self.params), rounds=self.rounds,
            boundary=self.boundary, ancilla=self.ancilla, bit_d=self.bit_d,
        )

    def circuit(self) -> stim.Circuit:
        """The circuit its metadata names (:func:`catcode.experiment.build_circuit`, boundary included)."""
        from catcode.experiment import build_circuit

        return build_circuit(self.metadata())

    @property
    def nbar(self) -> float | None:
        value = dict(self.params).get("nbar")
        return None if value is None else float(value)


def default_decoder(circuit: stim.Circuit) -> str:
    """The decoder name used for ``circuit``: :func:`catcode.decoders.default_decoder`, the one rule.

    Herald detectors present -> ``pymatching_erasure``, else ``pymatching``, as in ``catcode collect``
    and ``catcode estimate``.
    """
    from catcode.decoders import default_decoder as rule

    return rule(circuit)


def _decoder_object(name: str) -> object:
    """The decoder object for the rare-event estimator (same choice as :func:`default_decoder`)."""
    if name == "pymatching_erasure":
        from catcode.decoders import ErasureMatchingDecoder

        return ErasureMatchingDecoder()
    return name


# =============================================================================================
# Sampling (sinter) with a rare-event fallback
# =============================================================================================


#: Shots of the pilot pass: every memory gets this many first; only those whose pilot rate (one error high) may give
#: ``min_errors`` errors within ``max_shots`` are sampled further (the others go to the rare-event
#: estimator at once instead of burning ``max_shots`` shots to find a handful of errors).
PILOT_SHOTS = 20_000

#: Seconds between "still working" lines while rare-event estimates run (the CLI promises a line at
#: least every 5 s).
HEARTBEAT_SECONDS = 4.0


def _worth_more_shots(s: sinter.TaskStats, opts: OverheadOptions) -> bool:
    """True when a pilot's rate may give ``min_errors`` errors within ``max_shots`` shots.

    The pilot's rate is taken one error high (``(errors + 1) / shots``): an error-free pilot cannot
    rule out a rate of about one per pilot.
    """
    kept = s.shots - s.discards
    if kept >= opts.max_shots or s.errors >= opts.max_errors:
        return False
    return kept > 0 and (s.errors + 1) * opts.max_shots >= opts.min_errors * kept


def _sample(memories: Sequence[_Memory], opts: OverheadOptions) -> dict[_Memory, tuple[Estimate, analysis.ErrorRate | None]]:
    """Sample every memory through :func:`catcode.sampling.collect`; returns per-round estimates.

    Two passes over one temporary stats CSV (resumable, so the second adds to the first): a pilot of
    :data:`PILOT_SHOTS` shots for every memory, then up to ``max_shots`` / ``max_errors`` for the
    memories whose pilot rate projects ``min_errors`` errors within ``max_shots`` (the rest is left
    to the rare-event estimator). Tasks are keyed by sinter's strong id. Progress goes through
    collect's throttled printer when ``opts.progress``.
    """
    if not memories:
        return {}
    import tempfile

    from catcode.sampling import collect

    tasks = []
    for m in memories:
        circuit = m.circuit()
        tasks.append(sinter.Task(circuit=circuit, decoder=default_decoder(circuit), json_metadata=m.metadata()))
    pilot = min(opts.max_shots, PILOT_SHOTS)
    opts.say(f"sampling {len(tasks)} circuits: pilot of {pilot} shots each, then up to max_shots={opts.max_shots} / "
             f"max_errors={opts.max_errors} where the pilot (one error high) may give >= {opts.min_errors} errors ({opts.num_workers} workers)")
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="catcode-overhead-") as tmp:
        out = os.path.join(tmp, "stats.csv")
        kw = dict(out=out, max_errors=opts.max_errors, processes=opts.num_workers, print_progress=opts.progress is not None)
        with _Heartbeat(opts, what="sampling"):  # sinter's own printer can be silent for longer
            stats = collect(tasks, max_shots=pilot, **kw)
            more = [k for k, s in enumerate(stats) if _worth_more_shots(s, opts)]
            if more:
                opts.say(f"  pilot done in {time.monotonic() - t0:.0f} s; sampling {len(more)} of {len(tasks)} circuits further")
                for k, s in zip(more, collect([tasks[k] for k in more], max_shots=opts.max_shots, **kw)):
                    stats[k] = s
    result: dict[_Memory, tuple[Estimate, analysis.ErrorRate | None]] = {}
    for m, s in zip(memories, stats):
        if s.shots - s.discards <= 0:
            result[m] = (NO_ESTIMATE, None)
            continue
        rate = analysis.error_rate(s, max_likelihood_factor=opts.max_likelihood_factor)
        result[m] = (rate, rate)
    opts.say(f"  sampled in {time.monotonic() - t0:.0f} s")
    return result


def _rare(memory: _Memory, opts: OverheadOptions, index: int) -> Estimate | None:
    """Rare-event estimate of one memory's per-round rate, or None when unavailable or inconclusive."""
    from catcode.rare import estimate_logical_error

    circuit = memory.circuit()
    decoder = _decoder_object(default_decoder(circuit))
    confidence = math.erf(opts.z / math.sqrt(2.0))
    t0 = time.monotonic()
    try:
        est = estimate_logical_error(
            circuit, decoder=decoder, confidence=confidence, max_seconds=opts.rare_seconds,
            max_shots=opts.rare_max_shots, seed=None if opts.seed is None else opts.seed + index,
            progress=opts.progress if opts.progress is not None else False,
        )
    except CatcodeError as exc:
        opts.say(f"  rare-event estimate {_describe(memory)} not possible: {exc}")
        return None
    conv = [analysis.per_round_error_rate(min(1.0, max(0.0, v)), rounds=memory.rounds) for v in (est.rate, est.ci_low, est.ci_high)]
    opts.say(f"  rare-event estimate {_describe(memory)}: {conv[0]:.3g} [{conv[1]:.2g}, {conv[2]:.2g}] per round "
             f"({est.method}, {time.monotonic() - t0:.1f} s)")
    if not conv[0] > 0.0:
        return None
    return Estimate(conv[0], conv[1], conv[2], "rare", int(est.shots), 0)


def _describe(m: _Memory) -> str:
    nbar = f", nbar={m.nbar:g}" if m.nbar is not None else ""
    bit = f", bit_d={m.bit_d}" if m.bit_d is not None else ""
    return f"{m.architecture} d={m.d}{bit}{nbar} {m.basis}-memory"


def _usable(e: Estimate) -> bool:
    """A point a fit can use: resolved, with a band narrower than :data:`CHECK_MAX_BAND_RATIO`."""
    return e.resolved and e.high <= CHECK_MAX_BAND_RATIO * e.low


def _band_ratio(e: Estimate) -> float:
    """``high / low`` of a band (inf when unresolved): smaller is tighter."""
    return e.high / e.low if e.resolved else math.inf


def _series(m: _Memory) -> tuple[tuple[Any, ...], int, int]:
    """``(series key, position along its distance axis, points its fit needs)`` of one memory.

    A series is the memories that one fit line runs through (same architecture, basis, noise and
    the other distance); :attr:`Architecture.axis` names the distance it varies and
    :attr:`Architecture.min_points` how many resolved distances its fit needs.
    """
    from catcode.overhead.architectures import REGISTRY

    arch = REGISTRY[m.architecture]
    axis = arch.axis.get(m.basis, "d")
    pos, other = (m.bit_d or 0, m.d) if axis == "bit_d" else (m.d, m.bit_d)
    return (m.architecture, m.basis, m.params, m.ancilla, other), pos, arch.min_points.get(m.basis, 2)


def _estimate(memories: Sequence[_Memory], opts: OverheadOptions) -> dict[_Memory, Estimate]:
    """Sample, then re-estimate unresolved points (fewer than ``min_errors`` errors) with the rare estimator.

    Only the points a fit needs go to the rare estimator, in waves: each series (one fit line,
    :func:`_series`) with fewer usable points than its fit needs sends its smallest unresolved
    distances (the cheapest and best determined); a series stops at its first rare estimate that
    comes back unusable (a larger distance is rarer still). A rare estimate replaces a sampled one
    only when its band is tighter (a few sampled errors can beat a loose rare-event bound). The estimates of a wave run in
    ``num_workers`` processes; seeds depend on the point's index only, as when run serially.
    """
    sampled = _sample(list(memories), opts)
    out = {m: sampled.get(m, (NO_ESTIMATE, None))[0] for m in memories}
    if not opts.rare:
        return out
    index = {m: k for k, m in enumerate(memories)}
    series: dict[tuple[Any, ...], list[tuple[int, _Memory]]] = {}
    need: dict[tuple[Any, ...], int] = {}
    for m in memories:
        key, pos, n = _series(m)
        series.setdefault(key, []).append((pos, m))
        need[key] = n
    stopped: set[tuple[Any, ...]] = set()
    tried: set[_Memory] = set()
    while True:
        wave = []
        for key, pts in series.items():
            have = sum(1 for _, m in pts if out[m].errors >= opts.min_errors or (m in tried and _usable(out[m])))
            if key in stopped or have >= need[key]:
                continue
            todo = [m for _, m in sorted(pts, key=lambda p: p[0]) if m not in tried and out[m].errors < opts.min_errors]
            wave += todo[: need[key] - have]
        if not wave:
            return out
        for m, rare in zip(wave, _rare_many([(index[m], m) for m in wave], opts)):
            tried.add(m)
            if rare is not None and _band_ratio(rare) < _band_ratio(out[m]):  # the tighter of two valid bands
                out[m] = dataclasses.replace(rare, shots=rare.shots + out[m].shots)
            if rare is None or not _usable(out[m]):
                stopped.add(_series(m)[0])


def _rare_one(item: tuple[int, _Memory, OverheadOptions]) -> Estimate | None:
    k, m, opts = item
    return _rare(m, opts, k)


def _rare_many(todo: Sequence[tuple[int, _Memory]], opts: OverheadOptions) -> list[Estimate | None]:
    """:func:`_rare` for each ``(index, memory)``, in ``opts.num_workers`` processes when there are several.

    While they run, a line every :data:`HEARTBEAT_SECONDS` says how many are done.
    """
    items = [(k, m, opts) for k, m in todo]
    if not items:
        return []
    if opts.num_workers > 1 and len(items) > 1 and opts.progress is not None:
        # worker processes print their own lines on stderr (any callable, e.g. a lambda, stays here)
        items = [(k, m, opts.with_(progress=_stderr_line)) for k, m, _ in items]
    opts.say(f"rare-event estimates of {len(items)} point(s) below sampling reach "
             f"({opts.rare_seconds:g} s budget each, {min(opts.num_workers, len(items))} at a time): "
             + ", ".join(_describe(m) for _, m, _ in items))
    with _Heartbeat(opts, len(items)) as beat:  # worker processes can be silent for a whole budget
        if opts.num_workers <= 1 or len(items) <= 1:
            results = []
            for item in items:
                results.append(_rare_one(item))
                beat.done += 1
            return results
        import concurrent.futures
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(max_workers=min(opts.num_workers, len(items)), mp_context=ctx) as pool:
            futures = [pool.submit(_rare_one, item) for item in items]
            for f in concurrent.futures.as_completed(futures):
                beat.done += 1
            return [f.result() for f in futures]


def _stderr_line(message: str) -> None:
    """Progress printer of rare-event worker processes: one flushed line on stderr."""
    import sys

    print(message, file=sys.stderr, flush=True)


class _Heartbeat:
    """Context manager: a daemon thread that reports progress every :data:`HEARTBEAT_SECONDS`.

    With ``total`` it says ``what: done/total done``; without, ``what: still running``.
    """

    def __init__(self, opts: OverheadOptions, total: int | None = None, what: str = "rare-event estimates"):
        import threading

        self.opts, self.total, self.done, self.what = opts, total, 0, what
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._t0 = time.monotonic()

    def _run(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            state = "still running" if self.total is None else f"{self.done}/{self.total} done"
            self.opts.say(f"  {self.what}: {state}, {time.monotonic() - self._t0:.0f} s")

    def __enter__(self) -> _Heartbeat:
        if self.opts.progress is not None:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()


def _direct(memories: Sequence[_Memory], predicted: Sequence[Estimate], opts: OverheadOptions) -> Estimate | None:
    """Direct estimate of a candidate's total: sinter where reachable, else the rare estimator.

    Memories within sampling reach (predicted per-shot rate x ``max_shots`` >= 3 ``min_errors``) are
    sampled together; the others go to the rare estimator one at a time, stopping at the first
    inconclusive one (rate 0 or no estimator). Returns None when inconclusive, including when a
    part's band spans more than :data:`CHECK_MAX_BAND_RATIO` (such an estimate cannot confirm
    or refute anything).
    """
    far = []
    for m, p in zip(memories, predicted):
        per_shot = analysis.per_shot_error_rate(min(p.best, 0.5), rounds=m.rounds)
        if per_shot * opts.max_shots < 3 * opts.min_errors:
            far.append(m)
    if far and not opts.rare:
        return None
    near = [m for m in memories if m not in far]
    got = _estimate(near, opts) if near else {}
    for k, m in enumerate(far):
        est = _rare(m, opts, 1000 + k)
        if est is None:
            return None
        got[m] = est
    parts = [got[m] for m in memories]
    if not all(p.resolved and p.high <= CHECK_MAX_BAND_RATIO * p.low for p in parts):
        return None
    return _mean_of(parts[0], parts[1])


def _check(req: Requirement, cands: Sequence[Candidate], target: float,
           make: Callable[[Candidate], list[_Memory]], opts: OverheadOptions, max_checks: int) -> Requirement:
    """Confirm a fit-based pick by direct estimates, stepping up or down in qubits (see module docstring)."""
    by_q: dict[int, list[Candidate]] = {}
    for c in cands:
        by_q.setdefault(c.qubits, []).append(c)
    qs = sorted(by_q)

    def best_at(q: int, attr: str = "best") -> Candidate:
        return min(by_q[q], key=lambda c: (getattr(c.total, attr), -1.0 if c.nbar is None else c.nbar))

    start = next(c for c in by_q[req.qubits] if c.d == req.d and c.nbar == req.nbar and c.extra == req.extra)
    tried = 0
    passed: tuple[Candidate, Estimate] | None = None
    failed_at: tuple[Candidate, Estimate] | None = None
    current: Candidate | None = start
    direction = 0
    while current is not None and tried < max_checks:
        opts.say(f"  checking {current.qubits}-qubit {req.architecture} code ({current.config}) against target {target:.2g}")
        got = _direct(make(current), (current.phase, current.bit), opts)
        tried += 1
        if got is None:
            if passed is None and failed_at is None:
                why = ("the rare-event estimate did not resolve the rate within its budget (raise --rare_seconds)"
                       if opts.rare else "below sampling reach and the rare-event estimator is off")
                return dataclasses.replace(req, note=f"direct check inconclusive: {why}; the answer is the fit's")
            break
        if got.best <= target:
            passed = (current, got)
            if direction > 0:
                break
            direction = -1
            i = qs.index(current.qubits)
            lower = [q for q in qs[:i] if best_at(q, "low").total.low <= target]
            current = best_at(lower[-1], "low") if lower else None
        else:
            failed_at = (current, got)
            if direction < 0:
                break
            direction = 1
            i = qs.index(current.qubits)
            current = best_at(qs[i + 1]) if i + 1 < len(qs) else None
    if passed is None:
        c, got = failed_at  # type: ignore[misc]
        return dataclasses.replace(
            req, checked=got,
            note=f"direct estimate at {c.config} gave {got.best:.2g} > target; {tried} check(s) did not find a passing "
                 f"configuration: answer is the fit's (raise --max_checks)",
        )
    c, got = passed
    note = "confirmed by a direct estimate" if c is start else f"moved from {start.config} by direct estimates"
    lo = min(x for x in (req.qubits_low, c.qubits) if x is not None)
    hi = max(x for x in (req.qubits_high, c.qubits) if x is not None) if req.qubits_high is not None else None
    return dataclasses.replace(req, d=c.d, nbar=c.nbar, extra=c.extra, qubits=c.qubits, qubits_low=lo, qubits_high=hi,
                               rate=c.total, checked=got, note=note)
