"""From sinter statistics to logical error rates, scaling fits and suppression factors.

The pipeline's last stage: a sinter-format CSV (written by ``catcode collect`` or ``sinter
collect``) becomes

* :class:`ErrorRate` points -- logical error per round (or per shot) of one task, with a
  likelihood band from :func:`sinter.fit_binomial`;
* :class:`TotalErrorRate` points -- the logical error per cycle of a repetition-code device, the
  mean of its X- and Z-basis memories, with its phase-flip and bit-flip parts;
* a :class:`ScalingFit` of ``p_L = A (x / x_th)^(c (d + 1) / 2)``, the :class:`Suppression`
  factor Λ between distances, and a :class:`FitParameterEstimate` of the fit parameter ``x_th``.

The fit parameter x_th is not a threshold: a threshold is where the curves of consecutive
distances actually cross, which :mod:`catcode.threshold` locates from the data.

Statistics conventions (all bands use the same Bayes factor, ``max_likelihood_factor``, 1000 by
default, as ``sinter plot`` does): a band holds every hypothesis whose likelihood is within that
factor of the maximum-likelihood one. For a Gaussian log-likelihood a factor F corresponds to
``z = sqrt(2 ln F)`` standard deviations (z ≈ 3.72 for F = 1000), which is how bands are turned
into the standard errors used as least-squares weights.

Example, from counts to a per-round rate:

>>> import sinter
>>> stat = sinter.TaskStats(strong_id="t", decoder="pymatching",
...                         json_metadata={"d": 3, "r": 10, "b": "X"}, shots=10_000, errors=1_000)
>>> rate = error_rate(stat)
>>> round(rate.best, 6)
0.011034
>>> rate.low < rate.best < rate.high
True
"""

from __future__ import annotations

import dataclasses
import json
import math
import pathlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Union

import numpy as np
import sinter

from catcode.errors import CatcodeError, require_choice, require_instances, require_int_at_least, require_seed

#: Bayes factor defining every likelihood band (same default as ``sinter plot``).
DEFAULT_MAX_LIKELIHOOD_FACTOR: float = 1e3

#: Alternative spellings accepted in ``json_metadata``, mapped to catcode's canonical keys.
METADATA_ALIASES: dict[str, str] = {
    "distance": "d",
    "rounds": "r",
    "basis": "b",
    "obs_basis": "b",
}

#: Metadata keys whose values stay strings even when they look like numbers.
STRING_KEYS: frozenset[str] = frozenset({"b", "noise", "layout", "decoder"})


# ---------------------------------------------------------------------------------------------
# Reading and filtering statistics
# ---------------------------------------------------------------------------------------------


def _coerce_value(key: str, value: Any) -> Any:
    if key == "b" and isinstance(value, str):
        return value.strip().upper()
    if isinstance(value, str) and key not in STRING_KEYS:
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            pass
        try:
            return float(text)
        except ValueError:
            return value
    return value


def normalize_metadata(json_metadata: Any) -> dict[str, Any]:
    """Return a task's ``json_metadata`` as a dict with catcode's canonical keys.

    Tolerates what other tools write: ``None`` becomes ``{}``, a non-dict value is kept under the
    key ``"metadata"``, the aliases of :data:`METADATA_ALIASES` (``distance``, ``rounds``,
    ``basis``) become ``d``, ``r``, ``b`` unless the canonical key is already present, numeric
    strings (as parsed from ``key=value`` file names) become numbers, and the basis is
    upper-cased.

    >>> normalize_metadata({"distance": "5", "rounds": 5, "basis": "x", "noise": "biased"})
    {'d': 5, 'r': 5, 'b': 'X', 'noise': 'biased'}
    >>> normalize_metadata(None)
    {}
    """
    if json_metadata is None:
        return {}
    if not isinstance(json_metadata, Mapping):
        return {"metadata": json_metadata}
    result: dict[str, Any] = {}
    for key, value in json_metadata.items():
        key = str(key)
        canonical = METADATA_ALIASES.get(key, key)
        if canonical != key and canonical in json_metadata:
            canonical = key  # both spellings present: keep the alias as its own key
        result[canonical] = _coerce_value(canonical, value)
    return result


def read_stats(*paths: str | pathlib.Path, normalize: bool = True) -> list[sinter.TaskStats]:
    """Read sinter-format CSV files into :class:`sinter.TaskStats`, one per task: the one reader,
    :func:`catcode.sampling.csvio.read_stats` (rows of a task summed across files, a torn last
    line ignored), with ``normalize`` on by default (:func:`normalize_metadata` on each task's
    ``json_metadata``).

    Raises CatcodeError for a missing, empty or malformed file, naming the file.
    """
    from catcode.sampling.csvio import read_stats as read

    return read(*paths, normalize=normalize)


def _metadata(item: Any) -> dict[str, Any]:
    if isinstance(item, sinter.TaskStats):
        return normalize_metadata(item.json_metadata)
    return dict(item.metadata)


def _decoder(item: Any) -> str:
    return str(item.decoder)


def metadata_keys(items: Iterable[Any]) -> list[str]:
    """Sorted metadata keys present in any of ``items`` (TaskStats or rate points)."""
    keys: set[str] = set()
    for item in items:
        keys.update(_metadata(item))
    return sorted(keys)


def _same_value(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=0.0) or a == b
    return a == b


def parse_filter(text: str) -> tuple[str, list[Any]]:
    """Parse ``"key=value[,value...]"`` into a key and the accepted values.

    >>> parse_filter("d=3,5")
    ('d', [3, 5])
    >>> parse_filter("b=x")
    ('b', ['X'])
    """
    if "=" not in text:
        raise CatcodeError(f"a filter must look like key=value or key=v1,v2; got {text!r}")
    key, _, values = text.partition("=")
    key = key.strip()
    key = METADATA_ALIASES.get(key, key)
    if not key or not values.strip():
        raise CatcodeError(f"a filter must look like key=value or key=v1,v2; got {text!r}")
    return key, [_coerce_value(key, v) for v in values.split(",")]


def parse_filters(texts: Iterable[str]) -> dict[str, list[Any]]:
    """Parse repeated ``key=value[,value...]`` filters (CLI ``--filter``) into one dict.

    >>> parse_filters(["d=3,5", "b=x", "d=7"])
    {'d': [3, 5, 7], 'b': ['X']}
    """
    filters: dict[str, list[Any]] = {}
    for text in texts:
        key, values = parse_filter(text)
        filters.setdefault(key, []).extend(values)
    return filters


def filter_stats(items: Sequence[Any], filters: Mapping[str, Any]) -> list[Any]:
    """Keep the items (TaskStats or rate points) whose metadata match every filter.

    ``filters`` maps a metadata key (or ``"decoder"``) to one accepted value or a list of them;
    numbers compare with a relative tolerance of 1e-9. Raises CatcodeError for a key no item
    has, and when nothing is left, naming the values that are present.
    """
    if not isinstance(filters, Mapping):
        raise CatcodeError(f"filters must be a mapping of metadata key -> accepted value(s), e.g. {{'d': [3, 5]}} "
                           f"(parse_filters turns 'd=3,5' into one); got {filters!r}")
    result = list(items)
    for key, accepted in filters.items():
        key = METADATA_ALIASES.get(key, key)
        values = list(accepted) if isinstance(accepted, (list, tuple, set, frozenset)) else [accepted]
        values = [_coerce_value(key, v) for v in values]
        if key == "decoder":
            present = sorted({_decoder(i) for i in result})
            kept = [i for i in result if any(_same_value(_decoder(i), v) for v in values)]
        else:
            known = metadata_keys(items) + ["decoder"]
            if key not in known:
                raise CatcodeError(f"unknown filter key {key!r}; keys present: {', '.join(known)}")
            present = sorted({repr(_metadata(i).get(key)) for i in result})
            kept = [i for i in result if any(_same_value(_metadata(i).get(key), v) for v in values)]
        if not kept:
            raise CatcodeError(
                f"filter {key}={','.join(str(v) for v in values)} matches no rows; "
                f"values of {key!r} present: {', '.join(map(str, present))}"
            )
        result = kept
    return result


# ---------------------------------------------------------------------------------------------
# Per-shot <-> per-round conversion
# ---------------------------------------------------------------------------------------------


def per_round_error_rate(per_shot: float, *, rounds: float) -> float:
    """Logical error per round from the error per shot of an ``rounds``-round memory.

    Treat each round as an independent chance ``q`` to flip the logical observable; a shot fails
    when an odd number of rounds flipped it, so ``1 - 2 p_shot = (1 - 2 q)^r`` and

        q = (1 - (1 - 2 p_shot)^(1/r)) / 2.

    This is the standard conversion used by ``sinter`` (``sinter.shot_error_rate_to_piece_error_rate``
    with ``pieces=r``; Gidney et al. use it for "logical error per round"). It is evaluated as
    ``-expm1(log1p(-2 p) / r) / 2`` so tiny rates keep full precision. Rates above 1/2 (possible
    only by statistical fluctuation) follow sinter's convention ``1 - q(1 - p_shot)``, so the
    numbers agree with ``sinter plot``.

    >>> per_round_error_rate(0.1, rounds=1)
    0.1
    >>> round(per_round_error_rate(0.1, rounds=2), 12)
    0.0527864045
    >>> per_round_error_rate(0.5, rounds=7)
    0.5
    """
    return _compose_flips(per_shot, rounds, name="per_shot", invert=True)


def per_shot_error_rate(per_round: float, *, rounds: float) -> float:
    """Inverse of :func:`per_round_error_rate`: ``p_shot = (1 - (1 - 2 q)^r) / 2``.

    For ``q <= 1/2`` this is the probability that an odd number of ``r`` independent rounds,
    each flipping with probability ``q``, flipped the observable.

    >>> round(per_shot_error_rate(0.052786404500042, rounds=2), 12)
    0.1
    """
    return _compose_flips(per_round, rounds, name="per_round", invert=False)


def _compose_flips(p: float, rounds: float, *, name: str, invert: bool) -> float:
    """``(1 - (1 - 2p)^k) / 2`` with ``k = 1/rounds`` (``invert``) or ``k = rounds``.

    Symmetric about 1/2 (``f(1 - p) = 1 - f(p)``), exact at ``p = 1/2``, and computed with
    ``log1p``/``expm1`` so tiny rates keep full precision.
    """
    value = float(p)
    if not 0.0 <= value <= 1.0:
        raise CatcodeError(f"{name} must be a probability in [0, 1]; got {p!r}")
    r = float(rounds)
    if not (r > 0.0 and math.isfinite(r)):
        raise CatcodeError(f"rounds must be a finite number > 0; got {rounds!r}")
    if r == 1.0:
        return value
    if value > 0.5:
        return 1.0 - _compose_flips(1.0 - value, r, name=name, invert=invert)
    if value == 0.5:
        return 0.5
    power = 1.0 / r if invert else r
    return -math.expm1(power * math.log1p(-2.0 * value)) / 2.0


def z_of_factor(max_likelihood_factor: float) -> float:
    """Standard deviations spanned by a likelihood-ratio band of the given factor (Gaussian)."""
    return math.sqrt(2.0 * math.log(max_likelihood_factor))


# ---------------------------------------------------------------------------------------------
# Rate points
# ---------------------------------------------------------------------------------------------


#: Where an :class:`ErrorRate` comes from.
RATE_SOURCES = ("sampled", "rare", "fit", "published", "mixed", "not modelled", "none")


@dataclasses.dataclass(frozen=True)
class ErrorRate:
    """A logical error rate with its band, per round (or per shot when ``rounds == 1``).

    ``best`` is the maximum-likelihood rate; ``low``/``high`` the edges of the likelihood band
    (Bayes factor ``max_likelihood_factor``), converted from per-shot rates by
    :func:`per_round_error_rate`. ``source`` says where it comes from: ``"sampled"`` (sinter counts,
    :func:`error_rate`), ``"rare"`` (:func:`catcode.rare.estimate_logical_error`), ``"fit"`` (a model
    prediction), ``"published"`` (a published fit), ``"mixed"`` (a total whose parts differ),
    ``"not modelled"`` (a part a published fit leaves out, reported as 0), ``"none"`` (no data:
    all three rates NaN). ``shots`` counts kept shots (sinter's shots minus
    discards) and ``errors`` observed errors (0 for fits). The task fields (``metadata``,
    ``decoder``, ``strong_id``, ``rounds``) are those of the sinter task it was sampled from; the
    overhead study's ``Estimate`` is this type.

    Invariants, checked when built: ``0 <= errors``, ``0 <= shots``, ``errors <= shots`` for a
    sampled rate, ``0 <= low <= best <= high`` unless the rate is missing (NaN).

    >>> ErrorRate(1e-3, 5e-4, 2e-3, "fit").resolved, str(ErrorRate(1e-3, 5e-4, 2e-3, "fit"))
    (True, '0.001 [0.0005, 0.002]')
    >>> ErrorRate(1e-3, 2e-3, 5e-4, "fit")
    Traceback (most recent call last):
    ...
    catcode.errors.CatcodeError: ErrorRate needs 0 <= low <= best <= high; got 0.002, 0.001, 0.0005
    """

    best: float
    low: float
    high: float
    source: str = "sampled"
    shots: int = 0
    errors: int = 0
    metadata: dict[str, Any] = dataclasses.field(default_factory=dict, hash=False)
    decoder: str = ""
    strong_id: str = ""
    rounds: float = 1
    max_likelihood_factor: float = DEFAULT_MAX_LIKELIHOOD_FACTOR

    def __post_init__(self) -> None:
        if self.source not in RATE_SOURCES:
            raise CatcodeError(f"ErrorRate source must be one of {', '.join(RATE_SOURCES)}; got {self.source!r}")
        if self.shots < 0 or self.errors < 0 or (self.source == "sampled" and self.errors > self.shots):
            raise CatcodeError(f"ErrorRate needs 0 <= errors <= shots; got errors={self.errors}, shots={self.shots}")
        values = (self.low, self.best, self.high)
        if not any(math.isnan(v) for v in values) and not (0.0 <= self.low <= self.best <= self.high):
            raise CatcodeError(f"ErrorRate needs 0 <= low <= best <= high; got {self.low!r}, {self.best!r}, {self.high!r}")

    @property
    def per_shot(self) -> float:
        """Observed fraction of kept shots with a logical error."""
        return self.errors / self.shots if self.shots else float("nan")

    @property
    def resolved(self) -> bool:
        """True when the rate and both edges are positive (usable in a log-space fit)."""
        return self.best > 0.0 and self.low > 0.0 and self.high > self.low and math.isfinite(self.high)

    def sigma_ln(self, z: float) -> float:
        """Standard error of ln(best), from the band width in log space (Gaussian approximation)."""
        return (math.log(self.high) - math.log(self.low)) / (2.0 * z)

    def __str__(self) -> str:
        return f"{self.best:.3g} [{self.low:.2g}, {self.high:.2g}]"


@dataclasses.dataclass(frozen=True)
class TotalErrorRate:
    """Logical error per cycle of a repetition-code device: mean of X- and Z-basis memories.

    ``phase`` is the X-basis memory (it fails on logical phase flips, Z errors) and ``bit`` the
    Z-basis memory (logical bit flips, X errors), following docs/physics.md §5 ("total error
    definition", ε_L = (ε_L,phase + ε_L,bit)/2, Putterman et al., Nature 638, 927 (2025)).
    ``low``/``high`` bound the total by profile likelihood over both memories' counts (see
    :func:`total_error_rates`). ``metadata`` is the shared metadata, without ``b``.
    """

    metadata: dict[str, Any] = dataclasses.field(hash=False)
    decoder: str
    phase: ErrorRate
    bit: ErrorRate
    best: float
    low: float
    high: float

    @property
    def shots(self) -> int:
        """Kept shots summed over both memories."""
        return self.phase.shots + self.bit.shots

    @property
    def errors(self) -> int:
        """Errors summed over both memories."""
        return self.phase.errors + self.bit.errors


RatePoint = Union[ErrorRate, TotalErrorRate]


def error_rate(
    stat: sinter.TaskStats,
    *,
    per_round: bool = True,
    max_likelihood_factor: float = DEFAULT_MAX_LIKELIHOOD_FACTOR,
) -> ErrorRate:
    """The logical error rate of one task with its likelihood band.

    The per-shot band is :func:`sinter.fit_binomial` on (shots - discards, errors); each edge is
    converted with :func:`per_round_error_rate` using the task's ``r`` metadata (the conversion is
    monotonic, so the band maps to the band). With ``per_round=False`` rates stay per shot.
    """
    if max_likelihood_factor <= 1:
        raise CatcodeError(f"max_likelihood_factor must be > 1; got {max_likelihood_factor!r}")
    metadata = normalize_metadata(stat.json_metadata)
    kept = stat.shots - stat.discards
    if kept <= 0:
        raise CatcodeError(
            f"task {stat.strong_id[:12]} ({metadata}) has no kept shots "
            f"(shots={stat.shots}, discards={stat.discards}); collect some before plotting"
        )
    rounds: float = 1
    if per_round:
        r = metadata.get("r")
        if isinstance(r, bool) or not isinstance(r, (int, float)) or not r >= 1:
            raise CatcodeError(
                f"per-round rates need a round count 'r' >= 1 in json_metadata; task "
                f"{stat.strong_id[:12]} has {metadata}. Add r, or use per-shot rates "
                f"(per_round=False / --no-per_round)"
            )
        rounds = r
    fit = sinter.fit_binomial(num_shots=kept, num_hits=stat.errors, max_likelihood_factor=max_likelihood_factor)
    conv = [per_round_error_rate(min(1.0, max(0.0, v)), rounds=rounds) for v in (fit.low, fit.best, fit.high)]
    return ErrorRate(
        metadata=metadata,
        decoder=stat.decoder,
        strong_id=stat.strong_id,
        shots=kept,
        errors=stat.errors,
        rounds=rounds,
        low=conv[0],
        best=conv[1],
        high=conv[2],
        max_likelihood_factor=max_likelihood_factor,
    )


def error_rates(
    stats: Iterable[sinter.TaskStats],
    *,
    per_round: bool = True,
    max_likelihood_factor: float = DEFAULT_MAX_LIKELIHOOD_FACTOR,
) -> list[ErrorRate]:
    """:func:`error_rate` of every task that has kept shots (tasks with none are skipped)."""
    stats = require_instances("stats", stats, sinter.TaskStats, expected="sinter.TaskStats")
    return [
        error_rate(s, per_round=per_round, max_likelihood_factor=max_likelihood_factor)
        for s in stats
        if s.shots - s.discards > 0
    ]


_FROM_STATS = "sinter statistics become rate points through analysis.error_rates(stats) or rate_points(stats, x_key=...)"


def require_rate_points(name: str, points: Any, kinds: type | tuple[type, ...] = (ErrorRate, TotalErrorRate), *,
                        hint: str = _FROM_STATS) -> list:
    """``points`` as a list if every item is a rate point (by default :data:`RatePoint`), else a
    one-line CatcodeError that says how to make them (by default: from sinter statistics)."""
    expected = " or ".join(k.__name__ for k in (kinds if isinstance(kinds, tuple) else (kinds,)))
    return require_instances(name, points, kinds, expected=f"{expected} points", hint=hint)


def freeze(value: Any) -> str:
    """A hashable, order-independent text key of a metadata value (or dict of them).

    >>> freeze({"d": 3, "b": "X"}) == freeze({"b": "X", "d": 3})
    True
    """
    return json.dumps(value, sort_keys=True, default=str)


def is_numeric(value: Any) -> bool:
    """Whether a metadata value can go on a numeric axis: a finite int or float, not a bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def numeric_keys(items: Iterable[Any]) -> list[str]:
    """Sorted metadata keys with a numeric value in some item (stats, rates or estimates)."""
    return sorted({k for item in items for k, v in _metadata(item).items() if is_numeric(v)})


def rate_points(
    stats: Sequence[sinter.TaskStats], *, x_key: str, per_round: bool = True, total: bool = False,
    max_likelihood_factor: float = DEFAULT_MAX_LIKELIHOOD_FACTOR, notes: list[str] | None = None,
) -> list[RatePoint]:
    """The points ``catcode plot`` draws: error rates of the tasks that have ``x_key``, or with
    ``total`` the :func:`total_error_rate` of each X/Z pair. What is left out is described in
    ``notes`` (when given); nothing to draw raises CatcodeError.
    """
    notes = [] if notes is None else notes
    missing = [s for s in stats if x_key not in _metadata(s)]
    if missing:
        notes.append(f"ignoring {len(missing)} task(s) without metadata {x_key!r}")
    rates = error_rates([s for s in stats if x_key in _metadata(s)], per_round=per_round,
                        max_likelihood_factor=max_likelihood_factor)
    if not rates:
        raise CatcodeError("every selected task has zero kept shots: nothing to plot")
    if not total:
        return list(rates)
    pairs, unpaired = pair_memories(rates)
    if not pairs:
        bases = sorted({str(r.metadata.get("b")) for r in rates})
        raise CatcodeError(f"--total needs X- and Z-basis memories (b=X, b=Z) sharing all other metadata; "
                           f"found none among bases {', '.join(bases)}")
    if unpaired:
        notes.append(f"{len(unpaired)} task(s) have no X/Z partner and are left out of --total")
    return [total_error_rate(x, z) for x, z in pairs]


def _key_without(point: Any, drop: Iterable[str]) -> tuple[str, str]:
    drop = set(drop)
    md = {k: v for k, v in _metadata(point).items() if k not in drop}
    return (_decoder(point), freeze(md))


def pair_memories(rates: Iterable[ErrorRate]) -> tuple[list[tuple[ErrorRate, ErrorRate]], list[ErrorRate]]:
    """Pair X- and Z-basis memories that share all metadata (and decoder) except ``b``.

    Returns ``(pairs, unpaired)`` where each pair is ``(x_memory, z_memory)``. Raises
    CatcodeError when two different tasks claim the same slot (same metadata and basis).
    """
    slots: dict[tuple[str, str], dict[str, ErrorRate]] = {}
    unpaired: list[ErrorRate] = []
    for rate in rates:
        basis = rate.metadata.get("b")
        if basis not in ("X", "Z"):
            unpaired.append(rate)
            continue
        slot = slots.setdefault(_key_without(rate, ["b"]), {})
        if basis in slot:
            other = slot[basis]
            raise CatcodeError(
                f"two tasks share metadata {rate.metadata} and decoder {rate.decoder!r} "
                f"(strong ids {other.strong_id[:12]} and {rate.strong_id[:12]}); "
                f"add a distinguishing metadata key or filter one out"
            )
        slot[basis] = rate
    pairs: list[tuple[ErrorRate, ErrorRate]] = []
    for slot in slots.values():
        if "X" in slot and "Z" in slot:
            pairs.append((slot["X"], slot["Z"]))
        else:
            unpaired.extend(slot.values())
    return pairs, unpaired


# --- profile likelihood of the mean of two per-round rates -------------------------------------


def _loglik(q: np.ndarray, shots: int, errors: int, rounds: float) -> np.ndarray:
    """Binomial log-likelihood of per-round rate ``q`` given per-shot counts (up to a constant)."""
    q = np.clip(np.asarray(q, dtype=float), 0.0, 0.5)
    with np.errstate(divide="ignore", invalid="ignore"):
        lg = rounds * np.log1p(-2.0 * q)
        p = -np.expm1(lg) / 2.0
        one_minus_p = (1.0 + np.exp(lg)) / 2.0
        ll = (shots - errors) * np.log(one_minus_p)
        if errors:
            ll = ll + errors * np.log(p)
    return ll


def _mean_profile(theta: float, rows: Sequence[tuple[int, int, float]]) -> float:
    """max over q_z of LL_x(2θ - q_z) + LL_z(q_z), both rates in [0, 1/2]."""
    (n1, k1, r1), (n2, k2, r2) = rows
    lo, hi = max(0.0, 2.0 * theta - 0.5), min(0.5, 2.0 * theta)
    if hi <= lo:
        q2 = np.array([lo])
    else:
        t = np.geomspace(1e-15, 1.0, 160)
        q2 = np.unique(np.concatenate([[lo, hi], lo + (hi - lo) * t, hi - (hi - lo) * t, np.linspace(lo, hi, 41)]))
    vals = _loglik(2.0 * theta - q2, n1, k1, r1) + _loglik(q2, n2, k2, r2)
    i = int(np.nanargmax(vals))
    best = float(vals[i])
    if 0 < i < len(q2) - 1:
        from scipy.optimize import minimize_scalar

        a, b = float(q2[i - 1]), float(q2[i + 1])
        res = minimize_scalar(
            lambda x: -float(_loglik(2.0 * theta - x, n1, k1, r1) + _loglik(x, n2, k2, r2)),
            bounds=(a, b),
            method="bounded",
            options={"xatol": max((b - a) * 1e-9, 1e-300)},
        )
        best = max(best, -float(res.fun))
    return best


def _mean_band(x: ErrorRate, z: ErrorRate, factor: float) -> tuple[float, float, float]:
    """Best, low, high of (q_x + q_z)/2 by profile likelihood at Bayes factor ``factor``."""
    best = (x.best + z.best) / 2.0
    if x.best > 0.5 or z.best > 0.5:
        # Outside the physical branch the likelihood is flat at q = 1/2: bound by the edges.
        return best, (x.low + z.low) / 2.0, (x.high + z.high) / 2.0
    from scipy.optimize import brentq

    rows = [(x.shots, x.errors, x.rounds), (z.shots, z.errors, z.rounds)]
    ll_max = float(_loglik(x.best, *rows[0]) + _loglik(z.best, *rows[1]))
    target = ll_max - math.log(factor)

    def excess(theta: float) -> float:
        return max(_mean_profile(theta, rows) - target, -1e6)

    if best <= 0.0 or excess(0.0) >= 0.0:
        low = 0.0
    else:
        low = brentq(excess, 0.0, best, xtol=max(best * 1e-10, 1e-300), rtol=1e-10)
    if excess(0.5) >= 0.0:
        high = 0.5
    else:
        high = brentq(excess, best, 0.5, xtol=max(best * 1e-10, 1e-300), rtol=1e-10)
    return best, float(low), float(high)


def total_error_rate(x_memory: ErrorRate, z_memory: ErrorRate) -> TotalErrorRate:
    """Combine an X-basis and a Z-basis memory into the logical error per cycle.

    ``best = (q_X + q_Z) / 2`` (docs/physics.md §5). The band is the profile-likelihood interval
    of that mean: every total T whose best split T = (q_X + q_Z)/2 has a joint binomial likelihood
    within the same Bayes factor of the maximum, the two-parameter analogue of
    :func:`sinter.fit_binomial` (it stays correct when the bit part has few or no errors).
    """
    if x_memory.metadata.get("b") != "X" or z_memory.metadata.get("b") != "Z":
        raise CatcodeError(
            f"total_error_rate needs an X-basis then a Z-basis memory; got b="
            f"{x_memory.metadata.get('b')!r} and b={z_memory.metadata.get('b')!r}"
        )
    if _key_without(x_memory, ["b"]) != _key_without(z_memory, ["b"]):
        raise CatcodeError(
            f"X and Z memories must share all metadata except b; got {x_memory.metadata} and {z_memory.metadata}"
        )
    factor = max(x_memory.max_likelihood_factor, z_memory.max_likelihood_factor)
    best, low, high = _mean_band(x_memory, z_memory, factor)
    shared = {k: v for k, v in x_memory.metadata.items() if k != "b"}
    return TotalErrorRate(
        metadata=shared, decoder=x_memory.decoder, phase=x_memory, bit=z_memory, best=best, low=low, high=high
    )


def total_error_rates(rates: Iterable[ErrorRate]) -> list[TotalErrorRate]:
    """Logical error per cycle of every X/Z pair found by :func:`pair_memories`.

    Rows without a partner are ignored (call :func:`pair_memories` to see them).
    """
    pairs, _ = pair_memories(require_rate_points("rates", rates, ErrorRate))
    return [total_error_rate(x, z) for x, z in pairs]


# ---------------------------------------------------------------------------------------------
# Scaling fits and suppression factors
# ---------------------------------------------------------------------------------------------


def _number(point: Any, key: str) -> float:
    value = _metadata(point).get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CatcodeError(f"metadata key {key!r} must be numeric for this; got {value!r} in {_metadata(point)}")
    return float(value)


def _log_sigma(point: RatePoint, z: float) -> float:
    """Standard error of ln(best) from the likelihood band (Gaussian approximation)."""
    return (math.log(point.high) - math.log(point.low)) / (2.0 * z)


def _factor_of(point: RatePoint) -> float:
    if isinstance(point, TotalErrorRate):
        return max(point.phase.max_likelihood_factor, point.bit.max_likelihood_factor)
    return point.max_likelihood_factor


@dataclasses.dataclass(frozen=True)
class ScalingFit:
    """Fit of ``p_L = A (x / x_th)^(c (d + 1) / 2)`` to per-round rates.

    The usual below-threshold scaling ansatz (Fowler, Mariantoni, Martinis & Cleland, PRA 86,
    032324 (2012): P_L ≈ 0.03 (p/p_th)^((d+1)/2) for the surface code): each added pair of distance
    multiplies p_L by ``(x / x_th)^c``. ``x_th`` is a **fit parameter**: the model's curves all
    meet there, the data's need not (near saturation, or where the law bends, it can sit far from
    the measured crossing; use :func:`catcode.threshold.crossing_threshold` for a threshold).
    ``covariance`` is that of
    ``(ln A, ln x_th, c)``; the ``*_err`` fields are one-standard-deviation errors of ``A``,
    ``x_th`` and ``c`` (delta method). See :func:`fit_scaling` for the weighting.
    """

    x_key: str
    d_key: str
    a: float
    a_err: float
    x_th: float
    x_th_err: float
    c: float
    c_err: float
    covariance: tuple[tuple[float, float, float], ...]
    chi2: float
    dof: int
    num_points: int
    num_excluded: int

    def predict(self, x: Any, d: Any) -> Any:
        """Model rate at swept value(s) ``x`` and distance(s) ``d`` (numpy broadcasting)."""
        x_arr = np.asarray(x, dtype=float)
        d_arr = np.asarray(d, dtype=float)
        out = self.a * (x_arr / self.x_th) ** (self.c * (d_arr + 1.0) / 2.0)
        return float(out) if np.ndim(out) == 0 else out

    def suppression(self, x: float) -> float:
        """Model suppression factor Λ = p_L(d) / p_L(d + 2) = (x_th / x)^c at ``x``."""
        return float((self.x_th / float(x)) ** self.c)

    @property
    def reduced_chi2(self) -> float:
        """chi2 per degree of freedom (nan when dof = 0)."""
        return self.chi2 / self.dof if self.dof > 0 else float("nan")


def _fit_arrays(points: Sequence[RatePoint], x_key: str, d_key: str) -> tuple[np.ndarray, ...]:
    xs, ds, ys, sig = [], [], [], []
    for p in points:
        z = z_of_factor(_factor_of(p))
        xs.append(_number(p, x_key))
        ds.append(_number(p, d_key))
        ys.append(math.log(p.best))
        sig.append(_log_sigma(p, z))
    return np.array(xs), np.array(ds), np.array(ys), np.array(sig)


def _linear_solution(x: np.ndarray, d: np.ndarray, y: np.ndarray, sigma: np.ndarray) -> tuple[float, float, float]:
    """Exact weighted least squares of ln p = b0 + c h ln x + b2 h, h = (d+1)/2; returns (lnA, ln x_th, c)."""
    h = (d + 1.0) / 2.0
    design = np.stack([np.ones_like(x), h * np.log(x), h], axis=1) / sigma[:, None]
    coef, *_ = np.linalg.lstsq(design, y / sigma, rcond=None)
    b0, c, b2 = (float(v) for v in coef)
    ln_xth = -b2 / c if c != 0.0 else float("nan")
    return b0, ln_xth, c


def _fittable(points: Sequence[RatePoint], x_key: str, d_key: str) -> tuple[list[RatePoint], int]:
    usable = [p for p in points if p.best > 0.0 and p.low > 0.0 and p.high > p.low]
    for p in usable:
        if _number(p, x_key) <= 0.0:
            raise CatcodeError(f"the fit needs {x_key} > 0; got {_number(p, x_key)} in {_metadata(p)}")
    return usable, len(points) - len(usable)


def fit_scaling(points: Sequence[RatePoint], *, x_key: str, d_key: str = "d") -> ScalingFit:
    """Fit ``p_L = A (x / x_th)^(c (d + 1) / 2)`` across distances and a swept parameter ``x``.

    Method: weighted least squares on ``ln p_L`` with :func:`scipy.optimize.curve_fit`, starting
    from the exact linear solution (the model is linear in ln A, c and c ln x_th). Each point's
    weight is ``1/σ²`` with ``σ = (ln high - ln low) / (2 z)``, its likelihood band's width in
    log space, ``z = sqrt(2 ln F)``. Points with no errors (ln 0) are excluded and counted in
    ``num_excluded``. The covariance is the absolute one, multiplied by χ²/dof when that exceeds
    1 (the data scatter more than counting statistics explain: the model is then imperfect).

    Needs at least 4 usable points with 2 distinct distances and 2 distinct x > 0.
    """
    from scipy.optimize import curve_fit

    points = require_rate_points("points", points)
    usable, excluded = _fittable(points, x_key, d_key)
    x, d, y, sigma = _fit_arrays(usable, x_key, d_key) if usable else (np.array([]),) * 4
    if len(usable) < 4 or len(set(d.tolist())) < 2 or len(set(x.tolist())) < 2:
        raise CatcodeError(
            f"the scaling fit needs >= 4 points with errors spanning >= 2 values of {d_key!r} and >= 2 "
            f"of {x_key!r}; got {len(usable)} usable points ({excluded} without errors), "
            f"{d_key} in {sorted(set(d.tolist()))}, {x_key} in {sorted(set(x.tolist()))}"
        )
    ln_a0, ln_xth0, c0 = _linear_solution(x, d, y, sigma)
    if not math.isfinite(ln_xth0):
        ln_xth0 = float(np.mean(np.log(x)))

    def model(data: np.ndarray, ln_a: float, ln_xth: float, c: float) -> np.ndarray:
        xx, dd = data
        return ln_a + c * (dd + 1.0) / 2.0 * (np.log(xx) - ln_xth)

    try:
        popt, pcov = curve_fit(
            model, np.stack([x, d]), y, p0=[ln_a0, ln_xth0, c0], sigma=sigma, absolute_sigma=True, maxfev=20000
        )
    except (RuntimeError, ValueError) as exc:
        raise CatcodeError(f"the scaling fit did not converge: {exc}") from None
    if not np.all(np.isfinite(pcov)):
        raise CatcodeError(
            f"the scaling fit is degenerate (no finite covariance); c={popt[2]:.3g} is probably ~0, "
            f"i.e. p_L does not change with {d_key} across the data"
        )
    resid = (y - model(np.stack([x, d]), *popt)) / sigma
    chi2 = float(np.sum(resid**2))
    dof = len(y) - 3
    if dof > 0 and chi2 / dof > 1.0:
        pcov = pcov * (chi2 / dof)
    ln_a, ln_xth, c = (float(v) for v in popt)
    a, x_th = math.exp(ln_a), math.exp(ln_xth)
    errs = np.sqrt(np.diag(pcov))
    return ScalingFit(
        x_key=x_key,
        d_key=d_key,
        a=a,
        a_err=a * float(errs[0]),
        x_th=x_th,
        x_th_err=x_th * float(errs[1]),
        c=c,
        c_err=float(errs[2]),
        covariance=tuple(tuple(float(v) for v in row) for row in pcov),  # type: ignore[misc]
        chi2=chi2,
        dof=dof,
        num_points=len(usable),
        num_excluded=excluded,
    )


@dataclasses.dataclass(frozen=True)
class Suppression:
    """Error suppression factor Λ = p_L(d_small) / p_L(d_large) at fixed other metadata.

    ``metadata`` is the shared metadata without the distance and round count.
    """

    metadata: dict[str, Any] = dataclasses.field(hash=False)
    decoder: str
    d_small: int
    d_large: int
    value: float
    low: float
    high: float


def _ratio_band(num: RatePoint, den: RatePoint) -> tuple[float, float, float]:
    with np.errstate(divide="ignore", invalid="ignore"):
        value = num.best / den.best if den.best > 0 else (math.inf if num.best > 0 else math.nan)
    if min(num.best, num.low, den.best, den.low) > 0.0:
        # Gaussian in log space: band half-widths at the same likelihood factor add in quadrature.
        lo = math.hypot(math.log(num.best / num.low), math.log(den.high / den.best))
        hi = math.hypot(math.log(num.high / num.best), math.log(den.best / den.low))
        return value, value * math.exp(-lo), value * math.exp(hi)
    low = num.low / den.high if den.high > 0 else 0.0
    high = num.high / den.low if den.low > 0 else math.inf
    return value, low, high


def suppression_factors(points: Sequence[RatePoint], *, d_key: str = "d") -> list[Suppression]:
    """Λ between each pair of consecutive distances that share all other metadata.

    Λ = ε_d / ε_(d+2) as defined by Google Quantum AI (Nature 614, 676 (2023); Nature 638, 920
    (2025)); under :class:`ScalingFit`'s model it equals (x_th / x)^c.
    Points are matched on decoder and all metadata except ``d_key`` and ``r`` (round counts often
    scale with d). Λ = p_L(d) / p_L(d') for consecutive available d < d' (d' = d + 2 for odd
    repetition-code distances). Band: the two log-space band half-widths added in quadrature
    (exact when both log-likelihoods are Gaussian), so it has the same Bayes factor as the
    inputs; when a point has no errors the conservative ratio of opposite band edges is used.

    >>> import sinter
    >>> def row(d, e):
    ...     return error_rate(sinter.TaskStats(strong_id=str(d), decoder="m",
    ...         json_metadata={"d": d, "r": 1, "p": 0.01}, shots=10**6, errors=e))
    >>> [round(s.value, 2) for s in suppression_factors([row(3, 1000), row(5, 100)])]
    [10.0]
    """
    groups: dict[tuple[str, str], list[RatePoint]] = {}
    for p in require_rate_points("points", points):
        _number(p, d_key)
        groups.setdefault(_key_without(p, [d_key, "r"]), []).append(p)
    result: list[Suppression] = []
    for group in groups.values():
        by_d: dict[float, RatePoint] = {}
        for p in group:
            dv = _number(p, d_key)
            if dv in by_d:
                raise CatcodeError(
                    f"two points share {d_key}={dv:g} and all other metadata except r: "
                    f"{_metadata(by_d[dv])} and {_metadata(p)}; filter on r"
                )
            by_d[dv] = p
        ds = sorted(by_d)
        for small, large in zip(ds, ds[1:]):
            value, low, high = _ratio_band(by_d[small], by_d[large])
            md = {k: v for k, v in _metadata(by_d[small]).items() if k not in (d_key, "r")}
            result.append(
                Suppression(
                    metadata=md,
                    decoder=_decoder(by_d[small]),
                    d_small=int(small),
                    d_large=int(large),
                    value=value,
                    low=low,
                    high=high,
                )
            )
    return result


@dataclasses.dataclass(frozen=True)
class FitParameterEstimate:
    """The scaling fit's parameter ``x_th`` with a ~68 % interval [low, high] (not a threshold).

    ``method`` is ``"covariance"`` (log-normal interval x_th·exp(±σ_ln x_th) from the fit
    covariance) or ``"bootstrap"`` (16th/84th percentiles of refits to resampled counts).
    """

    x_key: str
    x_th: float
    low: float
    high: float
    method: str
    num_resamples: int = 0


def _resampled_best(point: RatePoint, rng: np.random.Generator) -> float:
    if isinstance(point, TotalErrorRate):
        return (_resampled_best(point.phase, rng) + _resampled_best(point.bit, rng)) / 2.0
    errors = int(rng.binomial(point.shots, point.errors / point.shots))
    return per_round_error_rate(errors / point.shots, rounds=point.rounds)


#: Deprecated name of :class:`FitParameterEstimate`.
ThresholdEstimate = FitParameterEstimate


def fit_parameter_x_th(
    points: Sequence[RatePoint],
    *,
    x_key: str,
    d_key: str = "d",
    method: str = "covariance",
    num_resamples: int = 200,
    seed: int | None = 0,
) -> FitParameterEstimate:
    """The fit parameter ``x_th`` of :func:`fit_scaling`, with uncertainty (not a threshold).

    The model's curves meet at x_th; the data's crossing is :func:`catcode.threshold.crossing_threshold`.

    ``method="covariance"``: x_th·exp(±σ) with σ the fit's standard error of ln x_th.

    ``method="bootstrap"``: a parametric bootstrap of the per-point binomial likelihoods. Each
    resample redraws every task's error count from Binomial(kept shots, observed per-shot rate),
    converts it to a per-round rate as the data were (totals resample both memories), refits by
    weighted least squares with the original weights, and records x_th; resamples whose slope c
    is not positive are dropped. The interval is the 16th-84th percentile range; the central
    value stays the fit to the observed data.
    """
    require_choice("method", method, ("covariance", "bootstrap"))
    require_int_at_least("num_resamples", num_resamples, 10)
    seed = require_seed(seed)
    points = require_rate_points("points", points)
    fit = fit_scaling(points, x_key=x_key, d_key=d_key)
    if method == "covariance":
        s = fit.x_th_err / fit.x_th
        return FitParameterEstimate(x_key, fit.x_th, fit.x_th * math.exp(-s), fit.x_th * math.exp(s), "covariance")
    usable, _ = _fittable(points, x_key, d_key)
    x, d, _, sigma = _fit_arrays(usable, x_key, d_key)
    rng = np.random.default_rng(seed)
    samples: list[float] = []
    for _ in range(num_resamples):
        y = np.array([_resampled_best(p, rng) for p in usable])
        keep = y > 0
        if keep.sum() < 4 or len(set(d[keep].tolist())) < 2 or len(set(x[keep].tolist())) < 2:
            continue
        _, ln_xth, c = _linear_solution(x[keep], d[keep], np.log(y[keep]), sigma[keep])
        if c > 0 and math.isfinite(ln_xth):
            samples.append(ln_xth)
    if len(samples) < max(10, num_resamples // 2):
        raise CatcodeError(
            f"the bootstrap produced only {len(samples)} usable refits of {num_resamples}; "
            f"the data do not constrain the fit parameter x_th in {x_key!r}"
        )
    lo, hi = np.percentile(samples, [100 * 0.158655, 100 * 0.841345])
    return FitParameterEstimate(x_key, fit.x_th, math.exp(float(lo)), math.exp(float(hi)), "bootstrap", len(samples))


def threshold_crossing(points: Sequence[RatePoint], **kwargs: Any) -> FitParameterEstimate:
    """Deprecated alias of :func:`fit_parameter_x_th`: it returns a fit parameter, not a crossing.

    Use :func:`catcode.threshold.crossing_threshold` for the crossing of the data's curves.
    """
    import warnings

    warnings.warn(
        "analysis.threshold_crossing returns the scaling fit's parameter x_th, not a crossing; use "
        "analysis.fit_parameter_x_th for it or catcode.threshold.crossing_threshold for the threshold",
        DeprecationWarning,
        stacklevel=2,
    )
    return fit_parameter_x_th(points, **kwargs)


# ---------------------------------------------------------------------------------------------
# Text tables
# ---------------------------------------------------------------------------------------------


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _band(p: Any) -> str:
    return f"{p.best:.3e} [{p.low:.2e}, {p.high:.2e}]"


def format_rates_table(points: Sequence[RatePoint], *, x_key: str, group_key: str | None = "d") -> str:
    """A plain-text table of rate points sorted by group then x, one line per point.

    Columns: group value, any other metadata that varies between points, x, kept shots, errors,
    rate with its band (``best [low, high]``); for
    :class:`TotalErrorRate` points also the phase (X memory) and bit (Z memory) parts.
    """
    points = require_rate_points("points", points)
    rows: list[list[str]] = []
    totals = bool(points) and isinstance(points[0], TotalErrorRate)
    varying = [
        k for k in metadata_keys(points)
        if k not in (x_key, group_key) and len({freeze(_metadata(p).get(k)) for p in points}) > 1
    ]
    if len({_decoder(p) for p in points}) > 1:
        varying.append("decoder")
    counts = ["shots (X+Z)", "errors (X+Z)"] if totals else ["shots", "errors"]  # totals sum both memories
    header = ([group_key] if group_key else []) + varying + [x_key, *counts, "rate [band]"]
    if totals:
        header += ["phase (X mem) [band]", "bit (Z mem) [band]"]

    def order(v: Any) -> tuple:
        return (0, float(v), "") if isinstance(v, (int, float)) and not isinstance(v, bool) else (1, 0.0, freeze(v))

    def sort_key(p: Any) -> tuple:
        md = _metadata(p)
        return (order(md.get(group_key)) if group_key else (0, 0.0, ""),
                tuple(order(md.get(k)) for k in varying if k != "decoder"), _decoder(p), order(md.get(x_key)))

    for p in sorted(points, key=sort_key):
        md = _metadata(p)
        md["decoder"] = _decoder(p)
        row = ([_fmt(md.get(group_key))] if group_key else []) + ["-" if md.get(k) is None else _fmt(md.get(k)) for k in varying]
        row += [_fmt(md.get(x_key)), str(p.shots), str(p.errors), _band(p)]
        if totals:
            row += [_band(p.phase), _band(p.bit)]
        rows.append(row)
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(header, widths)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join(lines)


def format_x_th(estimate: FitParameterEstimate, x_key: str) -> str:
    """One line: the fit parameter x_th with its 68 % interval and how it was obtained."""
    how = "fit covariance" if estimate.method == "covariance" else f"bootstrap, {estimate.num_resamples} refits"
    return (f"fit parameter x_th ({x_key}) = {estimate.x_th:.4g}, 68% interval "
            f"[{estimate.low:.4g}, {estimate.high:.4g}] ({how})")


def format_suppressions(sups: Sequence[Suppression], *, x_key: str, fit: ScalingFit | None = None) -> str:
    """One line per suppression factor, naming ``x_key`` and the keys that vary; with a ``fit``
    also its prediction ``(x_th/x)^c``."""
    if not sups:
        return "suppression: no pairs of distances share all other metadata"
    shown = [k for k in metadata_keys(sups) if k == x_key or len({freeze(s.metadata.get(k)) for s in sups}) > 1]
    lines = []
    for s in sorted(sups, key=lambda s: (freeze([s.metadata.get(k) for k in shown]), s.d_small)):
        where = "".join(f", {k}={s.metadata.get(k)}" for k in shown)
        line = f"Λ(d={s.d_small}→{s.d_large}{where}) = {s.value:.4g} [{s.low:.3g}, {s.high:.3g}]"
        if fit is not None and x_key in s.metadata:
            line += f"; fit (x_th/x)^c = {fit.suppression(float(s.metadata[x_key])):.4g}"
        lines.append(line)
    return "\n".join(lines)


def format_fit(fit: ScalingFit) -> str:
    """One-paragraph summary of a :class:`ScalingFit`."""
    return (
        f"fit p_L = A ({fit.x_key}/x_th)^(c ({fit.d_key}+1)/2) to {fit.num_points} points"
        f" ({fit.num_excluded} without errors excluded):\n"
        f"  A    = {fit.a:.4g} ± {fit.a_err:.2g}\n"
        f"  x_th = {fit.x_th:.4g} ± {fit.x_th_err:.2g}  (fit parameter, not a threshold: see catcode threshold)\n"
        f"  c    = {fit.c:.4g} ± {fit.c_err:.2g}\n"
        f"  chi2/dof = {fit.chi2:.3g}/{fit.dof}"
    )
