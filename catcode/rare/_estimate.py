"""Logical error rates far below direct sampling: stratified sampling by fault count, with a
Markov-chain extension for the rarest strata.

Method, and why
===============
The circuit's detector error model is a list of independent mechanisms (probabilities ``p_i``).
Split the logical error rate by the number ``W`` of mechanisms that fire:

    P_L = sum_w P(W = w) f_w,    f_w = P(decoder fails | W = w).

``P(W = w)`` is the Poisson-binomial distribution, computed exactly (log-space dynamic
programming, ``_counts``). Only the conditional failure fractions ``f_w`` are random. Sampling
fault sets conditioned on their size (exactly, from the conditional-Bernoulli law) and decoding
them estimates each ``f_w`` with a binomial error, so the rare factor ``P(W = w)`` costs nothing:
this is subset sampling (stratified sampling over fault counts), as used for fault-tolerant
circuits by Heußen et al., arXiv:2301.10017 (2023), and as "stratified fault injection" by Ye &
Palsberg, arXiv:2602.04921. Shots are allocated greedily to the stratum contributing most to the
interval width (a Neyman-like allocation).

Importance sampling at a raised physical error rate was not chosen: with independent mechanisms
scaled together its likelihood ratio depends on the fault count only, so it is the same
decomposition with an implicit, worse allocation over ``w`` and no exact ``P(W = w)``.

Where stratified sampling stops: at very low rates the sum is dominated by strata near the
minimum failing weight, whose ``f_w`` can be 1e-10 (distance-15 repetition code): too rare to
sample even conditionally. There the estimator (``method="auto"`` or ``"splitting"``) runs a
Metropolis chain on *failing* fault sets (``_splitting``) that measures the ratios ``f_w / f_w'``
down to the bottom stratum, anchored to strata where conditional sampling sees many failures.
This is the splitting method of Bravyi & Vargo, PRA 88, 062308 (2013) (a ladder of chains
restricted to failing configurations), with the fault count as the ladder and multicanonical
weights so that one chain ensemble covers every rung.

Strata below the minimum failing weight are never assumed to be zero because of the distance:
a matching decoder needs ``ceil(d/2)`` faults to fail only when all matching weights are equal.
They are proved zero for PyMatching by a weight argument on its own matching graph
(``_certificate``), enumerated exactly when small (which also checks the certificate), or
sampled / explored by the chain like any other stratum. Detector-free mechanisms that flip the
(single) observable are folded in exactly: ``P_L = q + (1 - 2q) P_fail`` with ``q`` the
probability that an odd number of them fire.

Confidence intervals: each sampled stratum gets an exact Clopper-Pearson interval at level
``alpha / K`` (Bonferroni over the K sampled strata); they are summed with weights ``P(W=w)``
(valid simultaneously, hence conservative), and the probability of more faults than the largest
sampled stratum is added to the upper bound. With the chain, ``alpha`` is split in half between
the directly sampled strata and the chain's ratio, whose interval is a jackknife over
independent groups of chains (Student t), so it is asymptotic, not exact; the chain must also
complete ``MIN_ROUND_TRIPS`` bottom-to-top round trips per chain before it counts as converged.
Fault counts the chain never reaches between its bottom and its anchors count as zero: the chain
cannot prove that, only fail to find failing sets there.

Limits: (i) with many faults per shot (tens), the probability spreads over many strata and the
method costs about as much as direct sampling (whose rates are then high anyway); (ii) when the
mechanisms' probabilities span many decades and failures need the rare ones (e.g. bit flips in a
cat code's Z memory that do reach detectors), strata of common faults show no failures without
being provably zero, so the upper bound of the interval converges slowly; the point estimate is
unaffected. Stratifying separately per probability class would address (ii).
"""

from __future__ import annotations

import dataclasses
import math
import resource
import time
from collections.abc import Callable

import numpy as np
import stim

from catcode.errors import CatcodeError, require_int_at_least, require_positive, require_seed
from catcode.rare._certificate import min_failing_weight_bound
from catcode.rare._choice import choose_method, direct_shots_needed
from catcode.rare._counts import ConditionalFaultSampler, fault_count_log_pmf
from catcode.rare._faults import FaultModel, detector_error_model_of
from catcode.rare._intervals import clopper_pearson, t_quantile
from catcode.rare._oracle import FailureOracle, enumerate_stratum, num_subsets
from catcode.rare._splitting import FailingSetChains
from catcode.sampling.progress import ProgressPrinter

METHODS = ("auto", "subset", "splitting")
STRATUM_KINDS = ("none", "proved", "exact", "sampled", "chain")

#: production length of the failing-set chain, in mean bottom-to-top round trips per chain
MIN_ROUND_TRIPS = 2.0
#: the chain's top rung is the lowest fault count whose failing fraction is at least this
ANCHOR_FRACTION = 3e-4
#: no chain over more fault counts than this (it would not mix); stratified sampling's result is returned
MAX_CHAIN_LEVELS = 48
#: stratified sampling decodes in chunks of about this many seconds, checking the time budget in between
CHUNK_SECONDS = 0.5
#: at most this many fault indices per chunk (fault sets x size): bounds the sampler's memory (~8 bytes each, a few copies)
MAX_CHUNK_ENTRIES = 1 << 22


@dataclasses.dataclass(frozen=True)
class StratumEstimate:
    """What is known about the fault sets of one size ``weight``.

    ``kind`` is one of: "none" (w = 0: no fault, no error), "proved" (zero by the matching-weight
    certificate), "exact" (every fault set decoded), "sampled" (conditional Monte Carlo),
    "chain" (ratio from the failing-set chain, scaled by the anchor strata).
    ``fraction`` is the estimate of f_w = P(fail | w faults); ``fraction_low/high`` its bounds
    (for "chain" strata the bounds are those of the whole chain ratio, not per stratum).
    """

    weight: int
    log_probability: float
    kind: str
    shots: int
    failures: int
    fraction: float
    fraction_low: float
    fraction_high: float

    def __post_init__(self) -> None:
        if self.kind not in STRATUM_KINDS:
            raise CatcodeError(f"StratumEstimate kind must be one of {STRATUM_KINDS}; got {self.kind!r}")
        if not (self.weight >= 0 and 0 <= self.failures <= self.shots and self.log_probability <= 1e-9):
            raise CatcodeError(
                f"StratumEstimate needs weight >= 0, 0 <= failures <= shots and log_probability <= 0; got "
                f"weight={self.weight}, failures={self.failures}, shots={self.shots}, log_probability={self.log_probability}"
            )
        # fraction_high may exceed 1 for "chain" strata (the whole ratio's bound, see above)
        if not (0.0 <= self.fraction_low <= self.fraction <= self.fraction_high and self.fraction <= 1.0 + 1e-9):
            raise CatcodeError(
                "StratumEstimate needs 0 <= fraction_low <= fraction <= fraction_high and fraction <= 1; got "
                f"{self.fraction_low}, {self.fraction}, {self.fraction_high} (weight {self.weight})"
            )

    @property
    def probability(self) -> float:
        """P(W = weight) for the mechanisms the decoder sees."""
        return math.exp(self.log_probability)

    @property
    def contribution(self) -> float:
        """P(W = weight) * f_w."""
        return self.probability * self.fraction


@dataclasses.dataclass(frozen=True)
class RareEstimate:
    """A logical error rate (per shot of the circuit) with its confidence interval.

    Attributes:
        rate, ci_low, ci_high: estimate and interval of P(any observable is wrong after decoding).
        confidence: the interval's nominal coverage.
        method: "exact", "subset" (stratified sampling alone), "subset+splitting" or "direct"
            (plain Monte Carlo, chosen by ``method="auto"`` when it reaches the target sooner).
        decoder: decoder name.
        shots: number of syndromes decoded (enumeration, stratified sampling, chain proposals).
        chain_steps: Metropolis steps per chain (0 without the chain).
        seconds: wall time.
        num_mechanisms: error mechanisms the decoder sees.
        proven_min_failing_weight: proven lower bound on the number of faults that can make the decoder
            fail (1 = no claim).
        max_weight: largest fault count sampled; more faults are bounded by ``tail_probability``.
        silent_logical_probability: probability of an odd number of undetectable logical flips.
        strata: per fault count.
        chain_round_trips: mean bottom-to-top round trips per chain in the chain's production run.
        converged: whether the relative interval reached the target (and, with the chain, the
            chains made at least ``MIN_ROUND_TRIPS`` round trips).
        note: one line, empty if converged: why not, and what it would need (decodes, time).
        choice: one line: which method ran and why (for ``method="auto"``, the predicted times to
            the target of direct sampling and of the estimator, measured by short pilots).

    Invariants, also when the budget ends early (``converged=False``):
    ``0 <= ci_low <= rate <= ci_high <= 1``. The point estimate is the sum of the per-stratum
    estimates (exact, sampled ``k/n``, chain); the bounds are sums of per-stratum bounds over the
    same strata, so the point lies inside by construction; fault counts never reached (budget
    ended, or above the sampled range) add ``P(W = w)`` to ``ci_high`` only (``f_w <= 1``). If the
    chain ends without a usable ratio, the result falls back to the stratified strata alone.
    ``ci_high`` is capped at 1 (probability), not at 1/2.
    """

    rate: float
    ci_low: float
    ci_high: float
    confidence: float
    method: str
    decoder: str
    shots: int
    chain_steps: int
    seconds: float
    num_mechanisms: int
    proven_min_failing_weight: int
    max_weight: int
    tail_probability: float
    silent_logical_probability: float
    strata: tuple[StratumEstimate, ...]
    chain_round_trips: float
    converged: bool
    note: str = ""  # one line: why the estimate did not converge and what it would need ("" if converged)
    choice: str = ""  # one line: which method ran and why (method "auto": the pilots' predicted times)

    def __post_init__(self) -> None:
        if not (0.0 <= self.ci_low <= self.rate <= self.ci_high <= 1.0):
            raise CatcodeError(
                f"RareEstimate needs 0 <= ci_low <= rate <= ci_high <= 1; got {self.ci_low}, {self.rate}, {self.ci_high}"
            )
        if not (0.0 < self.confidence < 1.0):
            raise CatcodeError(f"RareEstimate confidence must be in (0, 1); got {self.confidence}")
        if self.shots < 0 or self.chain_steps < 0 or self.proven_min_failing_weight < 1:
            raise CatcodeError(
                "RareEstimate needs shots >= 0, chain_steps >= 0 and proven_min_failing_weight >= 1; got "
                f"{self.shots}, {self.chain_steps}, {self.proven_min_failing_weight}"
            )

    @property
    def relative_ci(self) -> float:
        """max(ci_high / rate, rate / ci_low): the factor within which the rate is known."""
        return _relative_width(self.rate, self.ci_low, self.ci_high)

    def per_round(self, rounds: int) -> tuple[float, float, float]:
        """(rate, ci_low, ci_high) converted to a per-round rate, as sinter does for ``rounds`` rounds.

        Uses ``sinter.shot_error_rate_to_piece_error_rate`` (1 - (1 - 2P)^(1/r)) / 2 form).
        """
        import sinter

        rounds = require_int_at_least("rounds", rounds, 1)
        return tuple(  # type: ignore[return-value]
            float(sinter.shot_error_rate_to_piece_error_rate(x, pieces=rounds))
            for x in (self.rate, self.ci_low, self.ci_high)
        )

    def __str__(self) -> str:
        return (
            f"P_L = {self.rate:.4g}  [{self.ci_low:.4g}, {self.ci_high:.4g}] "
            f"({self.confidence:.0%}, x{self.relative_ci:.3g}) by {self.method}, "
            f"{self.shots} decodes, {self.seconds:.1f} s"
        )


def _relative_width(rate: float, lo: float, hi: float) -> float:
    if rate <= 0 or lo <= 0:
        return math.inf if hi > 0 else 1.0
    return max(hi / rate, rate / lo)


def _progress_printer(progress: bool | Callable[[str], None]) -> ProgressPrinter:
    """Progress lines ``[catcode estimate  t s] ...``: events at once, status lines every 2 s at most."""
    return ProgressPrinter(enabled=bool(progress), min_interval=2.0, label="catcode estimate",
                           sink=progress if callable(progress) else None)


@dataclasses.dataclass(frozen=True)
class _Bounds:
    """Point estimate and simultaneous bounds of a sum of stratum contributions ``sum_w P(w) f_w``."""

    point: float
    low: float
    high: float
    per_stratum: dict[int, tuple[float, float]]  # Clopper-Pearson bounds of each f_w


@dataclasses.dataclass(frozen=True)
class _ChainCombination:
    """Rate and interval from the direct strata plus the anchors' sum times the chain's ratio."""

    rate: float
    low: float
    high: float
    per_stratum: dict[int, tuple[float, float]]
    chain_fractions: dict[int, tuple[float, float, float]]  # f_w and its bounds, for strata below the anchors
    spread_direct: float  # log-width of the anchors' interval
    spread_chain: float  # log-width of the chain ratio's interval


class _Strata:
    """Counts per fault count for the directly sampled strata, with simultaneous bounds."""

    def __init__(self, log_pmf: Callable[[int], float]):
        self.log_pmf = log_pmf
        self.shots: dict[int, int] = {}
        self.fails: dict[int, int] = {}
        self.exact: dict[int, float] = {}
        self.failing_sets: dict[int, list[np.ndarray]] = {}

    def weights(self) -> list[int]:
        return sorted(self.shots)

    def add(self, w: int, shots: int, fails: int) -> None:
        self.shots[w] = self.shots.get(w, 0) + shots
        self.fails[w] = self.fails.get(w, 0) + fails

    def fraction(self, w: int) -> float:
        """Sampled failing fraction k/n of stratum ``w`` (0 if never sampled)."""
        return self.fails.get(w, 0) / max(self.shots.get(w, 0), 1)

    def bounds(self, ws: list[int], alpha: float) -> _Bounds:
        """Point estimate, lower and upper bound of sum_{w in ws} P(w) f_w (Bonferroni over ws)."""
        if not ws:
            return _Bounds(0.0, 0.0, 0.0, {})
        n = np.array([self.shots[w] for w in ws])
        k = np.array([self.fails[w] for w in ws])
        lo, hi = clopper_pearson(k, n, alpha / len(ws))
        pw = np.exp(np.array([self.log_pmf(w) for w in ws]))
        point = float(np.sum(pw * k / np.maximum(n, 1)))
        per = {w: (float(a), float(b)) for w, a, b in zip(ws, lo, hi)}
        return _Bounds(point, float(np.sum(pw * lo)), float(np.sum(pw * hi)), per)


class _FaultCountTables:
    """log P(W = w) and log P(W > w) of the pool mechanisms, extended on demand (``_counts``)."""

    def __init__(self, p: np.ndarray, cap: int):
        self.p = p
        self.n = len(p)
        self._build(cap)

    def _build(self, cap: int) -> None:
        lp, lt = fault_count_log_pmf(self.p, cap)
        rev = np.logaddexp.accumulate(np.concatenate([[lt], lp[::-1][:-1]]))  # log P(W > w), w = 0..cap
        self._lp, self._tail, self.cap = lp, rev[::-1], cap

    def _cover(self, w: int) -> None:
        if w > self.cap:
            self._build(min(self.n, max(w, 2 * self.cap)))

    def log_pmf(self, w: int) -> float:
        if w > self.n:
            return -math.inf
        self._cover(w)
        return float(self._lp[w])

    def log_tail(self, w: int) -> float:
        if w >= self.n:
            return -math.inf
        self._cover(w)
        return float(self._tail[w])

    def pmf(self, w: int) -> float:
        return math.exp(self.log_pmf(w))

    def tail(self, w: int) -> float:
        return math.exp(self.log_tail(w))


@dataclasses.dataclass(frozen=True)
class _Settings:
    """The validated arguments of :func:`estimate_logical_error` that steer the phases."""

    method: str
    max_weight: int | None
    target: float
    confidence: float
    max_shots: int
    t_start: float
    deadline: float
    enumerate_up_to: int
    num_chains: int
    groups: int

    @property
    def alpha(self) -> float:
        return 1.0 - self.confidence


@dataclasses.dataclass(frozen=True)
class _Ladder:
    """Rungs of the failing-set chain: fault counts ``w_lo..w_top``, anchored at ``anchors``."""

    w_lo: int
    anchors: tuple[int, ...]

    @property
    def w_top(self) -> int:
        return max(self.anchors)

    @property
    def w_anchor(self) -> int:
        return min(self.anchors)

    @property
    def levels(self) -> np.ndarray:
        return np.arange(self.w_lo, self.w_top + 1)


class _Estimator:
    """One estimate: the fault model, its decoder, the strata, the probability tables and the budget.

    Phases, in order (:meth:`run`): enumerate small strata exactly, stratified sampling
    (:meth:`direct_loop`), then, if needed, the failing-set chain (:meth:`chain_phase`).
    """

    def __init__(self, faults: FaultModel, oracle: FailureOracle, settings: _Settings,
                 rng: np.random.Generator, report: ProgressPrinter):
        self.faults, self.oracle, self.s, self.rng, self.report = faults, oracle, settings, rng, report
        self.q = faults.silent_logical_flip_probability()
        self.n_mech = faults.num_mechanisms
        self.seconds_per_set = math.nan  # measured cost of sampling + decoding one fault set
        self.exact_top = 0
        self.lo_w = 1
        self.w_max = 0
        self.choice = ""  # which method ran and why (RareEstimate.choice)
        self.sampling_seconds = 0.0  # all stratified sampling so far (the average speed, for projections)
        self.sampled_sets = 0

    # -- budget and results --------------------------------------------------------------------

    def out_of_budget(self, shots: int | None = None, t_stop: float = math.inf) -> bool:
        shots = self.s.max_shots if shots is None else min(shots, self.s.max_shots)
        return self.oracle.decodes >= shots or time.monotonic() >= min(t_stop, self.s.deadline)

    def width(self, a: float, a_lo: float, a_hi: float) -> float:
        """Relative width of the final rate q + (1 - 2q) a."""
        lin = 1.0 - 2.0 * self.q
        return _relative_width(self.q + lin * a, self.q + lin * a_lo, self.q + lin * min(a_hi, 1.0))

    def finish(self, method: str, a: float, a_lo: float, a_hi: float, w_max: int, tail: float,
               strata: list[StratumEstimate], chain_steps: int = 0, round_trips: float = 0.0,
               equilibrated: bool = True, w_cert: int | None = None) -> RareEstimate:
        """The RareEstimate of P_fail in [a_lo, a_hi] (point a), with the silent flips folded in."""
        lin = 1.0 - 2.0 * self.q
        lo, hi = self.q + lin * max(a_lo, 0.0), self.q + lin * min(a_hi, 1.0)
        # every caller passes a_lo <= a <= a_hi built from the same strata; the clip only absorbs
        # floating-point rounding in the sums (it would hide a bug if it ever moved rate by more)
        rate = min(max(self.q + lin * a, lo), hi)
        converged = equilibrated and _relative_width(rate, lo, hi) <= self.s.target
        return RareEstimate(
            rate=rate, ci_low=lo, ci_high=hi, confidence=self.s.confidence, method=method,
            decoder=self.oracle.decoder_name, shots=self.oracle.decodes, chain_steps=chain_steps,
            seconds=time.monotonic() - self.s.t_start, num_mechanisms=self.n_mech,
            proven_min_failing_weight=self.proven_min_failing_weight() if w_cert is None else w_cert,
            max_weight=w_max, tail_probability=tail, silent_logical_probability=self.q,
            strata=tuple(strata), chain_round_trips=round_trips,
            converged=converged, note="" if converged else self.note(rate, lo, hi),
            choice=self.choice or f"{method}: {self.s.method!r} requested",
        )

    def note(self, rate: float, lo: float, hi: float) -> str:
        """One line: why the target was missed, and the projected cost of reaching it."""
        spent = time.monotonic() - self.s.t_start
        line = (f"not converged: x{_relative_width(rate, lo, hi):.3g} > target x{self.s.target:g} after "
                f"{self.oracle.decodes} decodes in {spent:.0f} s")
        strata = getattr(self, "strata", None)
        empty = [w for w in strata.weights() if strata.fails[w] == 0] if strata is not None else []
        if empty and sum(self.tables.pmf(w) for w in empty) * 3 / min(strata.shots[w] for w in empty) > 0.5 * hi:
            n_min = min(strata.shots[w] for w in empty)
            return line + (f"; the upper bound comes from {len(empty)} sampled fault counts {min(empty)}..{max(empty)} "
                           f"with no failing set (f_w < ~{3 / n_min:.1g} each; {self.faults.p.sum():.3g} faults per "
                           f"shot on average) and the failing-set chain found no anchor with f_w >= {ANCHOR_FRACTION} "
                           f"within {MAX_CHAIN_LEVELS} fault counts of the bottom; " + self.cost_line(hi))
        if _relative_width(rate, lo, hi) > 100:
            seen = [w for w in strata.weights() if strata.fails[w] > 0] if strata is not None else []
            return line + (f"; failing fault sets seen only at fault counts {seen[:6]}{'...' if len(seen) > 6 else ''}"
                           ", so the strata that dominate are unmeasured and no cost can be projected: "
                           "raise max_seconds / max_shots")
        if strata is not None and strata.weights() and self.seconds_per_set > 0:
            need = _projected_shots(strata, self.sampled_weights(), self.tables.log_pmf, self.s.alpha,
                                    self.s.target, self.exact_sum(), self.q)
            line += (f"; stratified sampling projects ~{need:.2g} decodes (~{need * self.seconds_per_set:.2g} s "
                     "on this machine)")
        if rate > 0:
            line += f"; direct sampling would need ~{direct_shots_needed(rate, self.s.alpha, self.s.target):.2g} shots"
        return line

    def cost_line(self, hi: float) -> str:
        """What a rate below the upper bound ``hi`` costs: shots, time on this machine, memory.

        Failures are then seen only where faults are typical, so stratified and direct sampling both
        need ``c / P_L`` decodes, ``c = direct_shots_needed(P) * P`` (~constant for small P).
        """
        c = direct_shots_needed(min(hi, 0.5), self.s.alpha, self.s.target) * min(hi, 0.5)
        per = self.sampling_seconds / self.sampled_sets if self.sampled_sets else math.nan
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return (f"reaching x{self.s.target:g} needs ~{c:.2g}/P_L decodes, at least {c / hi:.2g} (~{c / hi * per:.2g} s "
                f"at the measured {1 / per:.3g}/s) since P_L <= {hi:.2g}, e.g. {c / 1e-8:.2g} (~{c / 1e-8 * per:.2g} s) "
                f"if P_L = 1e-8; memory does not grow with decodes (batches are streamed; peak {rss_mb:.0f} MB here)")

    def proven_min_failing_weight(self) -> int:
        """The certificate's bound, raised past enumerated strata with no failing fault set.

        Weights 1..k enumerated exhaustively with f_w = 0 prove that at least k + 1 faults are
        needed, whatever the certificate said (it gives 1, "no claim", for unequal weights).
        """
        proven = self.w_cert
        for w in range(1, self.exact_top + 1):
            if w < proven:
                continue
            if self.strata.exact.get(w, 1.0) > 0:
                break
            proven = w + 1
        return proven

    def report_strata(self, per: dict[int, tuple[float, float]],
                      chain: dict[int, tuple[float, float, float]] | None = None) -> list[StratumEstimate]:
        return _report_strata(self.strata, per, self.tables.log_pmf, self.w_cert, self.exact_top, chain)

    # -- the phases ----------------------------------------------------------------------------

    def run(self) -> RareEstimate:
        if self.n_mech == 0:
            self.w_cert = 1
            return self.finish("exact", 0.0, 0.0, 0.0, 0, 0.0, [])
        self.prepare()
        self.enumerate_small_strata()
        self.lo_w = max(self.w_cert, self.exact_top + 1, 1)
        if self.w_cert > self.n_mech or self.lo_w > self.n_mech:
            e = self.exact_sum()
            return self.finish("exact", e, e, e, self.exact_top, 0.0, self.report_strata({}))
        self.w_max = self.initial_max_weight()
        method, s = self.s.method, self.s
        self.choice = {"subset": "method 'subset' requested", "splitting": "method 'splitting' requested"}.get(method, "")
        share = {"auto": 0.05, "subset": 1.0, "splitting": 0.0}[method]
        budget = s.max_shots if method == "subset" else int(share * s.max_shots)
        t_stop = s.t_start + share * (s.deadline - s.t_start) if math.isfinite(s.deadline) else math.inf
        for wt in range(self.lo_w, self.w_max + 1):
            if time.monotonic() >= s.deadline:
                break
            self.sample_stratum(wt, _BATCH)
        if method == "auto":
            # stratified pilot (a fixed number of decodes, so a fixed seed gives the same strata), then
            # the choice between direct sampling and the estimator from both pilots' measured costs
            pilot = min(budget, self.oracle.decodes + _STRATIFIED_PILOT_DECODES)
            if self.direct_loop(pilot, t_stop, allow_switch=False):
                self.choice = "estimator: stratified sampling reached the target within its pilot"
                return self.subset_result()
            direct = self.direct_if_sooner()
            if direct is not None:
                return direct
        converged = self.direct_loop(budget, t_stop, allow_switch=method == "auto")
        if converged or method == "subset" or not self.strata.weights():
            return self.subset_result()
        est = self.chain_phase()
        if est is not None:
            return est
        if self.out_of_reach():
            return self.subset_result()
        self.report.log("no usable chain: continuing stratified sampling with the remaining budget")
        self.direct_loop(s.max_shots, s.deadline, allow_switch=False)
        return self.subset_result()

    def out_of_reach(self) -> bool:
        """Whether stratified sampling is projected to miss the target with the remaining decode budget.

        Uses the measured width's projection (:func:`_estimator_decodes_needed`); then, unless a
        time budget (``max_seconds``) was given, the result is returned at once with a note saying
        what it would need, instead of spending up to ``max_shots`` decodes for nothing.
        """
        ws = self.sampled_weights()
        b = self.current(ws, self.s.alpha)
        spent = sum(self.strata.shots[w] for w in ws)
        need = _estimator_decodes_needed(
            _projected_shots(self.strata, ws, self.tables.log_pmf, self.s.alpha, self.s.target, self.exact_sum(),
                             self.q), spent, self.width(b.point, b.low, b.high), self.s.target) - spent
        if math.isfinite(self.s.deadline) or need <= self.s.max_shots - self.oracle.decodes:
            return False  # a time budget is spent (the upper bound still tightens); a decode budget only if useful
        self.report.log(f"no usable chain, and stratified sampling projects ~{need:.3g} more decodes: stopping here")
        return True

    def prepare(self) -> None:
        """Sampler, certificate, fault-count tables and (empty) strata."""
        faults, n_mech = self.faults, self.n_mech
        self.sampler = ConditionalFaultSampler(faults.p)
        self.w_cert = min(min_failing_weight_bound(faults, self.oracle.matching), n_mech + 1)
        lam = float(faults.p.sum())
        cap = min(n_mech, max(self.w_cert + 40, int(lam + 10 * math.sqrt(lam) + 40)))
        if self.s.max_weight is not None:
            cap = max(cap, min(self.s.max_weight, n_mech))
        self.tables = _FaultCountTables(faults.p, cap)
        cert = (f"the matching-weight certificate proves at least {self.w_cert} faults are needed to fail"
                if self.w_cert > 1 else "no matching-weight certificate (unequal weights or another decoder)")
        self.report.log(
            f"{n_mech} mechanisms, {faults.num_detectors} detectors, mean faults per shot {lam:.3g}; "
            f"decoder {self.oracle.decoder_name}; {cert}"
        )
        self.strata = _Strata(self.tables.log_pmf)

    def enumerate_small_strata(self) -> None:
        """Exhaustive strata (also a check of the certificate below w_cert)."""
        s, oracle, n_mech = self.s, self.oracle, self.n_mech
        w = 1
        while (w <= n_mech and num_subsets(n_mech, w) <= s.enumerate_up_to
               and oracle.decodes + num_subsets(n_mech, w) <= s.max_shots):
            if s.max_weight is not None and w > s.max_weight:
                break
            done = enumerate_stratum(oracle, w, deadline=s.deadline)
            if done is None:
                self.report.log(f"budget ended while enumerating the fault sets of weight {w}: sampling it instead")
                break
            frac, count = done
            if w < self.w_cert and frac > 0:
                raise RuntimeError(
                    f"internal error: a fault set of weight {w} fails although the matching-weight "
                    f"certificate proves at least {self.w_cert} faults are needed"
                )
            self.strata.exact[w] = frac
            self.exact_top = w
            self.report.log(f"enumerated all {count} fault sets of weight {w}: f_w = {frac:.4g}")
            w += 1

    def exact_sum(self) -> float:
        return sum(self.tables.pmf(v) * f for v, f in self.strata.exact.items())

    def initial_max_weight(self) -> int:
        """The range of fault counts to sample first."""
        if self.s.max_weight is not None:
            return max(min(self.s.max_weight, self.n_mech), self.lo_w - 1)
        w_max = self.lo_w
        while w_max < self.n_mech and self.tables.log_tail(w_max) > math.log(1e-3) + self.tables.log_pmf(self.lo_w):
            w_max += 1
        return w_max

    def sample_stratum(self, wt: int, n: int) -> None:
        """Up to ``n`` fault sets of size ``wt``, in chunks of ~CHUNK_SECONDS, none after the deadline."""
        done = 0
        while done < n and time.monotonic() < self.s.deadline:
            per = self.seconds_per_set
            chunk = n - done
            if math.isfinite(self.s.deadline):  # chunks sized by time only under a time budget: without
                # one, the random stream (hence the result) must not depend on the machine's speed
                chunk = min(chunk, 64 if not per > 0 else max(16, int(CHUNK_SECONDS / per)))
            # bounded memory: the sampler and the syndromes hold a few arrays of chunk x wt entries
            chunk = min(chunk, max(16, MAX_CHUNK_ENTRIES // max(wt, 1)))
            t0 = time.monotonic()
            sets = self.sampler.sample(wt, chunk, self.rng)
            f = self.oracle.fails(sets)
            self.seconds_per_set = (time.monotonic() - t0) / chunk
            self.sampling_seconds += time.monotonic() - t0
            self.sampled_sets += chunk
            k = int(f.sum())
            self.strata.add(wt, chunk, k)
            done += chunk
            if k:
                keep = self.strata.failing_sets.setdefault(wt, [])
                if sum(len(x) for x in keep) < self.s.num_chains:
                    keep.append(sets[f][: self.s.num_chains])

    def current(self, ws: list[int], alpha: float) -> _Bounds:
        """Bounds of P_fail from the exact strata and the sampled strata ``ws``."""
        b = self.strata.bounds(ws, alpha)
        e = self.exact_sum()
        top = max(ws) if ws else self.exact_top
        # fault counts in [lo_w, top] never sampled (budget ended first) are bounded by f_w <= 1
        gaps = sum(self.tables.pmf(v) for v in range(self.lo_w, top + 1) if v not in self.strata.shots)
        return _Bounds(b.point + e, b.low + e, b.high + e + gaps + self.tables.tail(top), b.per_stratum)

    def sampled_weights(self) -> list[int]:
        return [v for v in self.strata.weights() if v >= self.lo_w]

    def direct_loop(self, budget: int, t_stop: float, allow_switch: bool) -> bool:
        """Stratified sampling until converged (True), out of budget, or (auto) hopeless."""
        s, strata, oracle = self.s, self.strata, self.oracle
        while True:
            ws = self.sampled_weights()
            b = self.current(ws, s.alpha)
            # grow the sampled range until the tail is negligible
            if (s.max_weight is None and self.w_max < self.n_mech and not self.out_of_budget()
                    and self.tables.tail(self.w_max) > 0.02 * max(b.point, b.low)):
                self.w_max += 1
                self.sample_stratum(self.w_max, _BATCH)
                continue
            if self.width(b.point, b.low, b.high) <= s.target:
                return True
            if self.out_of_budget(budget, t_stop):
                return False
            # give the next batch to the stratum contributing most to the interval width
            widths = {v: self.tables.pmf(v) * (b.per_stratum[v][1] - b.per_stratum[v][0]) for v in ws}
            wt = max(widths, key=widths.get)
            if allow_switch and oracle.decodes >= min(100_000, s.max_shots // 100) and self.hopeless(ws, wt):
                return False
            n = int(min(max(strata.shots[wt], _BATCH), 1 << 17, max(1, min(budget, s.max_shots) - oracle.decodes)))
            self.sample_stratum(wt, n)
            self.report.show(
                f"stratified: P_fail ~ {b.point:.3g} [{b.low:.3g}, {b.high:.3g}] "
                f"(x{self.width(b.point, b.low, b.high):.3g}); {oracle.decodes} decodes; widest stratum w={wt}"
            )

    def hopeless(self, ws: list[int], widest: int) -> bool:
        """Whether stratified sampling should hand over to the chain (method "auto")."""
        if self.strata.fails[widest] == 0 and self.strata.shots[widest] >= 1 << 16:
            self.report.log(f"no failure in {self.strata.shots[widest]} fault sets of weight {widest}, the widest "
                        "stratum: trying the failing-set chain")
            return True
        need = _projected_shots(self.strata, ws, self.tables.log_pmf, self.s.alpha, self.s.target,
                                self.exact_sum(), self.q)
        if need > self.s.max_shots - self.oracle.decodes:
            self.report.log(f"stratified sampling would need ~{need:.3g} decodes: trying the failing-set chain")
            return True
        return False

    def subset_result(self) -> RareEstimate:
        ws = self.sampled_weights()
        b = self.current(ws, self.s.alpha)
        self.report.log(f"stratified sampling: P_fail ~ {b.point:.4g} [{b.low:.4g}, {b.high:.4g}] "
                    f"after {self.oracle.decodes} decodes")
        top = max(ws, default=self.exact_top)
        return self.finish("subset", b.point, b.low, b.high, top, self.tables.tail(top),
                           self.report_strata(b.per_stratum))

    # -- direct sampling (method "auto") ---------------------------------------------------------

    def direct_if_sooner(self) -> RareEstimate | None:
        """Direct Monte Carlo instead of the estimator when the pilots say it reaches the target sooner.

        A pilot of ``_DIRECT_PILOT_SECONDS`` (at most 2 % of ``max_shots``) of direct shots (stim's
        DEM sampler, the same decoder) measures shots per second; stratified sampling's pilot
        measured seconds per fault set and projects its decodes (``_projected_shots``). The rule is
        :func:`catcode.rare._choice.choose_method`; its one-line reason goes to ``RareEstimate.choice``.
        No pilot (None) when the shots direct sampling needs at the strata's rate exceed the
        remaining decode budget.
        """
        b = self.current(self.sampled_weights(), self.s.alpha)
        rate = self.q + (1 - 2 * self.q) * b.point
        left = self.s.max_shots - self.oracle.decodes
        if self.out_of_budget() or not self.seconds_per_set > 0:
            self.choice = "estimator: the budget ended during the stratified pilot, so no direct pilot"
            return None
        if not (0 < rate < 1):
            self.choice = "estimator: no failing fault set seen in the stratified pilot, so no direct pilot"
            return None
        need_direct = direct_shots_needed(rate, self.s.alpha, self.s.target)
        if need_direct > left:
            hi = self.q + (1 - 2 * self.q) * min(b.high, 1.0)
            at_hi = f" (>= {direct_shots_needed(hi, self.s.alpha, self.s.target):.3g} even at its upper bound {hi:.3g})" \
                if 0 < hi < 1 else ""
            self.choice = (f"estimator: direct sampling would need ~{need_direct:.3g} shots at the strata's rate "
                           f"~{rate:.3g}{at_hi}, more than the {left} decodes left in max_shots (no direct pilot)")
            return None
        sampler = self.faults.dem.compile_sampler(seed=int(self.rng.integers(1 << 62)))
        t0, n0 = time.monotonic(), self.oracle.decodes
        pilot_cap = n0 + max(1024, self.s.max_shots // 50)
        shots, fails = self.direct_batch(sampler, 1024, 0, 0)
        while time.monotonic() - t0 < _DIRECT_PILOT_SECONDS and not self.out_of_budget(pilot_cap):
            shots, fails = self.direct_batch(sampler, 4 * shots, shots, fails)
        per_shot = (time.monotonic() - t0) / max(self.oracle.decodes - n0, 1)
        spent = sum(self.strata.shots[w] for w in self.sampled_weights())
        need = _estimator_decodes_needed(
            _projected_shots(self.strata, self.sampled_weights(), self.tables.log_pmf, self.s.alpha,
                             self.s.target, self.exact_sum(), self.q),
            spent, self.width(b.point, b.low, b.high), self.s.target)
        choice = choose_method(
            rate=rate, alpha=self.s.alpha, target=self.s.target, direct_shots_per_second=1 / per_shot,
            direct_shots_done=shots, estimator_decodes_needed=need, estimator_decodes_done=spent,
            estimator_seconds_per_decode=self.seconds_per_set, seconds_left=self.s.deadline - time.monotonic(),
            direct_shots_left=self.s.max_shots - self.oracle.decodes,
        )
        self.choice = choice.reason
        self.report.log(f"pilots ({shots} direct shots, {fails} failures): {choice.reason}")
        if choice.method != "direct":
            return None
        shots, fails = self.direct_until_target(sampler, shots, fails)
        lo, hi = (float(x[0]) for x in clopper_pearson(np.array([fails]), np.array([shots]), self.s.alpha))
        est = fails / shots
        converged = _relative_width(est, lo, hi) <= self.s.target
        return RareEstimate(
            rate=est, ci_low=lo, ci_high=hi, confidence=self.s.confidence, method="direct",
            decoder=self.oracle.decoder_name, shots=self.oracle.decodes, chain_steps=0,
            seconds=time.monotonic() - self.s.t_start, num_mechanisms=self.n_mech,
            proven_min_failing_weight=self.proven_min_failing_weight(), max_weight=0, tail_probability=0.0,
            silent_logical_probability=self.q, strata=(), chain_round_trips=0.0, converged=converged,
            note="" if converged else self.note(est, lo, hi), choice=self.choice,
        )

    def direct_until_target(self, sampler: stim.CompiledDemSampler, shots: int, fails: int) -> tuple[int, int]:
        """Direct batches (each as large as all before it, at most 2^20 shots) until the interval
        reaches the target or the budget ends; running totals.

        The next batch is sampled while the workers decode this one (the oracle decodes a smaller
        share here meanwhile), so sampling costs no wall time; the batches, and so the shots, are
        exactly those of sampling them one after the other. A batch sampled ahead when the loop
        stops is discarded.
        """
        ahead = None
        while not self.out_of_budget():
            lo, hi = (float(x[0]) for x in clopper_pearson(np.array([fails]), np.array([shots]), self.s.alpha))
            if fails > 0 and _relative_width(fails / shots, lo, hi) <= self.s.target:
                break
            n = self._direct_size(shots, self.oracle.decodes)
            dets, obs = ahead if ahead is not None else sampler.sample(n, bit_packed=True)[:2]
            after = self._direct_size(shots + n, self.oracle.decodes + n)
            failed, ahead = self.oracle.fails_packed_overlapping(dets, obs, lambda: sampler.sample(after, bit_packed=True)[:2])
            shots, fails = shots + n, fails + int(failed.sum())
        return shots, fails

    def _direct_size(self, shots: int, decodes: int) -> int:
        """Shots of the next direct batch after ``shots`` (with ``decodes`` of the budget used)."""
        return max(1, min(shots, 1 << 20, self.s.max_shots - decodes))

    def direct_batch(self, sampler: stim.CompiledDemSampler, n: int, shots: int, fails: int) -> tuple[int, int]:
        """``n`` more direct shots (all mechanisms, silent flips included); running totals."""
        n = max(1, min(n, self.s.max_shots - self.oracle.decodes))
        dets, obs, _ = sampler.sample(n, bit_packed=True)
        return shots + n, fails + int(self.oracle.fails_packed(dets, obs).sum())

    # -- the failing-set chain -----------------------------------------------------------------

    def chain_phase(self) -> RareEstimate | None:
        """Failing-set chain for the strata below well-measured anchor strata (see ``_splitting``).

        Returns None when no useful chain exists (no anchor found, or too many rungs to mix).
        """
        ladder = self.find_ladder()
        if ladder is None:
            return None
        chains = self.start_chains(ladder)
        if chains is None:
            return None
        result = self.run_chains(ladder, chains)
        if not (math.isfinite(result.rate) and math.isfinite(result.low)):
            # the chain recorded no visit at its anchors (typically: the budget ended before it ran), so its
            # ratio is undefined; the directly sampled strata still give a valid interval
            self.report.log("the chain measured no ratio before the budget ended: falling back to stratified sampling")
            return None
        out = self.report_strata(result.per_stratum, chain=result.chain_fractions)
        trips = chains.round_trips
        self.report.log(f"chain phase done: P_fail ~ {result.rate:.4g} [{result.low:.4g}, {result.high:.4g}], "
                    f"{trips:.2f} round trips per chain")
        if trips < MIN_ROUND_TRIPS:
            self.report.log(f"warning: budget ended after {trips:.2f} < {MIN_ROUND_TRIPS} chain round trips; "
                        "the chain may not have equilibrated, result marked not converged")
        top = max(self.chain_direct_weights(ladder))
        return self.finish("subset+splitting", result.rate, result.low, result.high, top, self.tables.tail(top),
                           out, chains.steps, trips, trips >= MIN_ROUND_TRIPS)

    def chain_bottom(self) -> int:
        """The chain's lowest rung: strata too improbable to matter keep their sampled bounds."""
        w_lo = max(self.lo_w, self.exact_top + 1, self.w_cert, 1)
        # P(w) below 1e-4 of the current upper bound of P_fail, even if every such fault set failed
        hi_now = self.strata.bounds(self.sampled_weights(), self.s.alpha).high
        while w_lo in self.strata.shots and self.tables.pmf(w_lo) < 1e-4 * hi_now:
            w_lo += 1
        return w_lo

    def good_anchor(self, w: int) -> bool:
        return self.strata.fraction(w) >= ANCHOR_FRACTION and self.strata.fails.get(w, 0) >= 5

    def find_ladder(self) -> _Ladder | None:
        """Bottom rung, and anchors: the lowest well-measurable fault count and the two above it."""
        strata, oracle, s = self.strata, self.oracle, self.s
        w_lo = self.chain_bottom()
        cands = [w for w in strata.weights() if w > w_lo and self.good_anchor(w)]
        w_top = min(cands) if cands else max(max(strata.weights()), w_lo + 1)
        search_cap = oracle.decodes + max(0, s.max_shots - oracle.decodes) // 10
        while (not cands and w_top < self.n_mech and w_top - w_lo <= MAX_CHAIN_LEVELS
               and not self.out_of_budget(search_cap)):
            self.sample_stratum(w_top, 4096)
            if self.good_anchor(w_top):
                break
            if strata.shots.get(w_top, 0) >= 1 << 15:
                w_top += 1
        if not self.good_anchor(w_top):
            why = (f"and a chain from {w_lo} past {w_lo + MAX_CHAIN_LEVELS} fault counts would not mix"
                   if w_top - w_lo > MAX_CHAIN_LEVELS else "within the search budget")
            self.report.log(f"no fault count up to {w_top} with a failing fraction >= {ANCHOR_FRACTION} found, {why}")
            return None
        if w_top - w_lo > MAX_CHAIN_LEVELS:
            self.report.log(f"a chain over fault counts {w_lo}..{w_top} would not mix (> {MAX_CHAIN_LEVELS} rungs)")
            return None
        # walk the top rung down while the failing fraction stays above ANCHOR_FRACTION (fewer rungs mix faster)
        while w_top - 1 > w_lo and not self.out_of_budget():
            w = w_top - 1
            while (strata.fails.get(w, 0) < 5 and strata.shots.get(w, 0) < 10 / ANCHOR_FRACTION
                   and not self.out_of_budget()):
                self.sample_stratum(w, int(min(max(strata.shots.get(w, 0), 4096), 10 / ANCHOR_FRACTION)))
            if not self.good_anchor(w):
                break
            w_top = w
        # the chain runs up to the highest anchor (their f_w is larger, so cheaper to measure)
        return _Ladder(w_lo, tuple(range(w_top, min(w_top + 2, self.n_mech) + 1)))

    def start_chains(self, ladder: _Ladder) -> FailingSetChains | None:
        """Measure the anchors, collect failing sets at the top rung, tune the weights and burn in."""
        strata, oracle, s = self.strata, self.oracle, self.s
        for w in ladder.anchors:
            cap = oracle.decodes + max(0, s.max_shots - oracle.decodes) // 10
            while strata.fails.get(w, 0) < _ANCHOR_FAILURES and not self.out_of_budget(cap):
                need = int((_ANCHOR_FAILURES - strata.fails.get(w, 0)) / max(strata.fraction(w), 1e-5) * 1.2) + 256
                self.sample_stratum(w, min(need, 1 << 17, max(1, cap - oracle.decodes)))
        w_top, w_a = ladder.w_top, ladder.w_anchor
        while sum(len(x) for x in strata.failing_sets.get(w_top, [])) < min(s.num_chains, 64):
            if self.out_of_budget():
                break
            self.sample_stratum(w_top, 4096)
        init = strata.failing_sets.get(w_top, [])
        if not init:
            return None
        # initial multicanonical weights: theta_w = -log f_w, measured at the anchors, extrapolated below
        fhat = strata.fraction
        lf_top, lf_a = math.log(max(fhat(w_top), 1e-12)), math.log(max(fhat(w_a), 1e-12))
        slope = max((lf_top - lf_a) / max(w_top - w_a, 1), 0.5)
        theta = np.array([-(math.log(fhat(w)) if (w >= w_a and fhat(w) > 0) else lf_a - slope * (w_a - w))
                          for w in ladder.levels])
        chains = FailingSetChains(
            self.faults, oracle, self.sampler, w_lo=ladder.w_lo, w_top=w_top, initial_sets=np.concatenate(init),
            theta=theta, num_chains=s.num_chains, groups=s.groups, rng=self.rng,
        )
        self.report.log(f"failing-set chain over fault counts {ladder.w_lo}..{w_top}, anchored at "
                    f"{list(ladder.anchors)}, {s.num_chains} chains")
        per_step = max(1.0, 0.6 * s.num_chains)
        tune_steps = int(0.3 * (s.max_shots - oracle.decodes) / per_step)
        t_left = s.deadline - time.monotonic()
        tune_deadline = time.monotonic() + 0.3 * t_left if math.isfinite(t_left) else math.inf
        used = chains.tune(tune_steps, deadline=tune_deadline, report=lambda line: self.report.log(line))
        # burn-in: until the chains have, on average, crossed the range once
        chains.reset_trips()
        burn = 0
        while chains.round_trips < 0.5 and not self.out_of_budget():
            burn += chains.run(50, record=False, deadline=s.deadline)
        chains.reset_trips()
        self.report.log(
            f"tuned in {used} steps, burn-in {burn} steps; lowest failing weight seen {chains.lowest_seen}; "
            f"acceptance {chains.accepted / max(chains.proposed, 1):.3f}"
        )
        return chains

    def chain_direct_weights(self, ladder: _Ladder) -> list[int]:
        """Strata sampled directly beside the chain: the anchors and above, and those below the bottom rung."""
        return [w for w in self.strata.weights() if w >= ladder.w_anchor or self.lo_w <= w < ladder.w_lo]

    def run_chains(self, ladder: _Ladder, chains: FailingSetChains) -> _ChainCombination:
        """Production run: chain steps (or anchor samples) until converged or out of budget."""
        s, strata, oracle = self.s, self.strata, self.oracle
        levels = ladder.levels
        lp = np.array([self.tables.log_pmf(int(w)) for w in levels])
        below = levels < ladder.w_anchor
        in_anchor = np.isin(levels, ladder.anchors)
        tq = t_quantile(1 - s.alpha / 4, s.groups - 1)
        chains.run(50, deadline=s.deadline)
        while True:
            ws_direct = self.chain_direct_weights(ladder)
            result = _combine(chains, lp, below, in_anchor, strata, ws_direct, s.alpha, self.exact_sum(),
                              self.tables.tail(max(ws_direct)), tq)
            # direct fault counts never sampled (the budget ended first) are bounded by f_w <= 1
            gaps = sum(self.tables.pmf(v) for v in [*range(self.lo_w, ladder.w_lo),
                                                    *range(ladder.w_anchor, max(ws_direct) + 1)]
                       if v not in strata.shots)
            result = dataclasses.replace(result, high=result.high + gaps)
            rate, lo, hi = result.rate, result.low, result.high
            self.report.show(
                f"chain: P_fail ~ {rate:.4g} [{lo:.4g}, {hi:.4g}] (x{self.width(rate, lo, hi):.3g}); "
                f"{oracle.decodes} decodes, {chains.steps} steps, {chains.round_trips:.2f} round trips per chain"
            )
            if self.width(rate, lo, hi) <= s.target and chains.round_trips >= MIN_ROUND_TRIPS:
                return result
            if self.out_of_budget():
                return result
            if chains.round_trips >= MIN_ROUND_TRIPS and result.spread_direct > result.spread_chain:
                # the anchors / direct strata limit the interval: sample the widest of them
                per = result.per_stratum
                widths = {w: self.tables.pmf(w) * (per[w][1] - per[w][0]) for w in ws_direct}
                wt = max(widths, key=widths.get)
                self.sample_stratum(wt, int(min(max(strata.shots[wt], 1024), 1 << 17,
                                                max(1, s.max_shots - oracle.decodes))))
            elif chains.run(50, deadline=s.deadline) == 0:
                return result


#: length of the direct-sampling pilot of method "auto"
_DIRECT_PILOT_SECONDS = 1.0
#: decodes of stratified sampling's pilot (method "auto") before the direct pilot and the choice
_STRATIFIED_PILOT_DECODES = 65_536


def _estimator_decodes_needed(neyman: float, spent: int, width_now: float, target: float) -> float:
    """Stratified decodes to the target: the larger of the Neyman projection and the measured width's.

    The relative half-width of the (Bonferroni, Clopper-Pearson) interval shrinks as 1/sqrt(decodes),
    so reaching ``target`` from ``width_now`` after ``spent`` decodes takes about
    ``spent * (log width_now / log target)**2``; the Neyman projection (normal approximation) alone
    underestimates it when the exact intervals are wider than the normal ones.

    >>> _estimator_decodes_needed(1e3, 10_000, 4.0, 2.0)
    40000.0
    """
    measured = spent * (math.log(width_now) / math.log(target)) ** 2 if math.isfinite(width_now) else math.inf
    return max(neyman, measured)


#: first batch of fault sets per stratum
_BATCH = 1024
#: failures to collect at each anchor stratum before the chain starts
_ANCHOR_FAILURES = 100


def estimate_logical_error(
    circuit_or_dem: stim.Circuit | stim.DetectorErrorModel,
    *,
    decoder: object = "pymatching",
    method: str = "auto",
    max_weight: int | None = None,
    target_relative_ci: float = 2.0,
    confidence: float = 0.95,
    max_shots: int = 20_000_000,
    max_seconds: float | None = None,
    seed: int | None = None,
    progress: bool | Callable[[str], None] = False,
    enumerate_up_to: int = 200_000,
    num_chains: int = 256,
    chain_groups: int = 32,
    workers: int = 1,
) -> RareEstimate:
    """Estimate a circuit's logical error probability per shot, down to rates sampling cannot reach.

    See the module docstring for the method. The circuit's DEM is built as sinter does
    (``decompose_errors=True, approximate_disjoint_errors=True``) and decoded with ``decoder``.

    Args:
        circuit_or_dem: a noisy stim.Circuit with detectors and observables, or its DEM.
        decoder: "pymatching" (default), another sinter built-in decoder name, or a sinter.Decoder.
        method: "auto": a stratified pilot (``_STRATIFIED_PILOT_DECODES`` decodes) and a 1 s pilot of
            direct sampling measure both methods' speeds; direct sampling runs (method "direct",
            Clopper-Pearson interval) when its predicted time to the target is the smaller
            (:func:`catcode.rare._choice.choose_method`; the reason is in ``RareEstimate.choice``);
            otherwise stratified sampling continues, and the failing-set chain takes over once it
            spends 5 % of the budget, is projected to miss the target, or meets a widest stratum
            with no failure in 65536 fault sets (back to stratified sampling if no chain can be
            built; without ``max_seconds`` it stops at once if that is projected to exceed
            ``max_shots``, with a note). "subset": stratified sampling only (exact intervals);
            "splitting": the chain as soon as the strata are initialised.
        max_weight: largest fault count to sample; default: chosen so that the probability of
            more faults is below 2 % of the estimated rate.
        target_relative_ci: stop once max(ci_high/rate, rate/ci_low) <= this factor (> 1).
        confidence: coverage of the interval, in (0, 1).
        max_shots: budget of decoded syndromes over all phases.
        max_seconds: optional wall-time budget. Checked between chunks of work of about
            ``CHUNK_SECONDS`` (stratified sampling, enumeration, chain steps), so the overrun is
            about a second; not interruptible, and not counted against the overrun bound, is the
            preparation: building the DEM, parsing it (``FaultModel``), the matching-weight
            certificate and the fault-count tables (measured: ~0.3 s for a d=35 cat-code chain
            with 8e3 mechanisms, ~10-20 s for a d=21 rotated surface code memory with 2.2e5).
            Work done when the budget ends still counts; the result is then normally
            ``converged=False`` with a valid, wider interval (see :class:`RareEstimate`).
        seed: seed of numpy's random generator (results are reproducible for a fixed seed).
        progress: True for progress lines on stderr, or a callable receiving each line.
        enumerate_up_to: strata with at most this many fault sets are decoded exhaustively.
        num_chains, chain_groups: size of the chain ensemble and number of independent groups
            used for its error bar.
        workers: decoding processes (decoding dominates the cost; use the number of cores).

    Returns:
        A :class:`RareEstimate`.

    Example:
        >>> c = stim.Circuit.generated("repetition_code:memory", distance=5, rounds=5,
        ...                            before_round_data_depolarization=0.01,
        ...                            before_measure_flip_probability=0.01)
        >>> est = estimate_logical_error(c, seed=1, max_shots=200_000)
        >>> est.ci_low <= est.rate <= est.ci_high and 5e-5 < est.rate < 2e-4
        True
    """
    t_start = time.monotonic()
    if method not in METHODS:
        raise CatcodeError(f"method must be one of {', '.join(repr(m) for m in METHODS)}; got {method!r}")
    target_relative_ci = require_positive("target_relative_ci", target_relative_ci)
    if target_relative_ci <= 1.0:
        raise CatcodeError(f"target_relative_ci must be > 1 (a factor); got {target_relative_ci}")
    if not (0.0 < float(confidence) < 1.0):
        raise CatcodeError(f"confidence must be in (0, 1); got {confidence!r}")
    max_shots = require_int_at_least("max_shots", max_shots, 1)
    if max_seconds is not None:
        max_seconds = require_positive("max_seconds", max_seconds)
    if max_weight is not None:
        max_weight = require_int_at_least("max_weight", max_weight, 1)
    enumerate_up_to = require_int_at_least("enumerate_up_to", enumerate_up_to, 0)
    num_chains = require_int_at_least("num_chains", num_chains, 2)
    chain_groups = require_int_at_least("chain_groups", chain_groups, 2)
    workers = require_int_at_least("workers", workers, 1)
    seed = require_seed(seed)
    if not (isinstance(progress, bool) or callable(progress)):
        raise CatcodeError(f"progress must be True, False or a function taking a line of text; got {progress!r}")
    if chain_groups > num_chains:
        raise CatcodeError(f"chain_groups must be <= num_chains={num_chains}; got {chain_groups}")

    settings = _Settings(
        method=method, max_weight=max_weight, target=float(target_relative_ci), confidence=float(confidence),
        max_shots=max_shots, t_start=t_start,
        deadline=t_start + max_seconds if max_seconds is not None else math.inf,
        enumerate_up_to=enumerate_up_to, num_chains=num_chains, groups=chain_groups,
    )
    faults = FaultModel.from_dem(detector_error_model_of(circuit_or_dem))
    with FailureOracle(faults, decoder, workers=workers) as oracle:
        return _Estimator(faults, oracle, settings, np.random.default_rng(seed), _progress_printer(progress)).run()


def _projected_shots(strata: _Strata, ws: list[int], log_pmf: Callable[[int], float], alpha: float,
                     target: float, exact: float, q: float) -> float:
    """Decodes stratified sampling would need for the target, under Neyman allocation.

    Uses the Jeffreys posterior mean (k + 1/2)/(n + 1) for each f_w and a normal approximation:
    n = (z sum_w P(w) sqrt(f_w (1 - f_w)))**2 / ((1 - 1/target) * P_L)**2 (with the silent flips
    q folded into P_L).
    """
    if not ws:
        return 0.0
    from scipy.stats import norm

    z = float(norm.ppf(1 - alpha / (2 * len(ws))))
    pw = np.exp([log_pmf(w) for w in ws])
    f = np.array([(strata.fails[w] + 0.5) / (strata.shots[w] + 1) for w in ws])
    rate = q + (1 - 2 * q) * (float(np.sum(pw * f)) + exact)  # the final rate, silent flips included
    spread = (1 - 2 * q) * float(np.sum(pw * np.sqrt(f * (1 - f))))
    return (z * spread / ((1 - 1 / target) * rate)) ** 2


def _report_strata(
    strata: _Strata,
    per: dict[int, tuple[float, float]],
    log_pmf: Callable[[int], float],
    w_cert: int,
    exact_top: int,
    chain: dict[int, tuple[float, float, float]] | None = None,
) -> list[StratumEstimate]:
    out = [StratumEstimate(0, log_pmf(0), "none", 0, 0, 0.0, 0.0, 0.0)]
    chain = chain or {}
    top = max([*strata.weights(), exact_top, *chain.keys(), 0])
    for w in range(1, top + 1):
        lp = log_pmf(w)
        if w in strata.exact:
            f = strata.exact[w]
            out.append(StratumEstimate(w, lp, "exact", 0, 0, f, f, f))
        elif w < w_cert:
            out.append(StratumEstimate(w, lp, "proved", 0, 0, 0.0, 0.0, 0.0))
        elif w in chain:
            f, flo, fhi = chain[w]
            out.append(StratumEstimate(w, lp, "chain", 0, 0, f, flo, fhi))
        elif w in strata.shots:
            n, k = strata.shots[w], strata.fails[w]
            flo, fhi = per.get(w, (0.0, 1.0))
            out.append(StratumEstimate(w, lp, "sampled", n, k, k / n, flo, fhi))
    return out


def _combine(chains: FailingSetChains, lp: np.ndarray, below: np.ndarray, in_anchor: np.ndarray, strata: _Strata,
             ws_direct: list[int], alpha: float, exact: float, tail: float, tq: float) -> _ChainCombination:
    """Rate and interval from direct strata (>= anchors) plus anchor sum times the chain ratio."""
    direct = strata.bounds(ws_direct, alpha / 2)
    anchors = [int(w) for w in (chains.w_lo + np.nonzero(in_anchor)[0])]
    a = strata.bounds(anchors, alpha / 2 * len(anchors) / max(len(ws_direct), 1))
    a_point, a_lo, a_hi = a.point, a.low, a.high
    # the anchor bounds above use the same per-stratum level as d_* (alpha/2/len(ws_direct) each)
    logw = lp - chains.theta  # visits * exp(logw) ∝ P(w) f_w
    shift = float(np.max(logw))
    wgt = np.exp(logw - shift)
    h = chains.hist.astype(np.float64)  # groups x levels

    def ratio(hh: np.ndarray) -> float:
        den = float(np.sum(hh[in_anchor] * wgt[in_anchor]))
        return float(np.sum(hh[below] * wgt[below])) / den if den > 0 else math.nan

    total = h.sum(axis=0)
    qhat = ratio(total)
    g = h.shape[0]
    loo = np.array([ratio(total - h[i]) for i in range(g)])
    if not math.isfinite(qhat):
        q_lo, q_hi = 0.0, math.inf
    elif qhat > 0 and np.all(loo > 0):
        ll = np.log(loo)
        se = math.sqrt((g - 1) / g * float(np.sum((ll - ll.mean()) ** 2)))
        q_lo, q_hi = qhat * math.exp(-tq * se), qhat * math.exp(tq * se)
    else:
        fin = loo[np.isfinite(loo)]
        se = math.sqrt((g - 1) / g * float(np.sum((fin - fin.mean()) ** 2))) if len(fin) > 1 else math.inf
        q_lo, q_hi = max(0.0, qhat - tq * se), qhat + tq * se
    rate = exact + direct.point + a_point * qhat
    lo = exact + direct.low + a_lo * q_lo
    hi = exact + direct.high + a_hi * q_hi + tail
    # per-stratum failing fractions implied by the chain, for the report
    chain_f: dict[int, tuple[float, float, float]] = {}
    den = float(np.sum(total[in_anchor] * wgt[in_anchor]))
    for idx in np.nonzero(below)[0]:
        w = chains.w_lo + int(idx)
        share = total[idx] * wgt[idx] / den if den > 0 else 0.0  # P(w) f_w / anchor sum
        scale = math.exp(-lp[idx])
        if qhat > 0:
            f = a_point * share * scale
            # min/max absorb floating-point underflow of the scaled bounds (seen at f ~ 1e-186)
            chain_f[w] = (f, min(f, a_lo * share * scale * q_lo / qhat), max(f, a_hi * share * scale * q_hi / qhat))
        else:
            chain_f[w] = (0.0, 0.0, 0.0)
    spread_direct = math.log(a_hi / a_lo) if a_lo > 0 else math.inf
    if qhat == 0 and not np.any(loo > 0):
        spread_chain = 0.0  # the chain found no failing set below the anchors
    else:
        spread_chain = math.log(q_hi / q_lo) if q_lo > 0 else math.inf
    return _ChainCombination(rate, lo, hi, direct.per_stratum, chain_f, spread_direct, spread_chain)
