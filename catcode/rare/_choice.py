"""Which method reaches the requested interval sooner: direct sampling or the estimator (``method="auto"``).

A pure function of measured costs, so the rule can be tested without sampling: a short pilot of
each method gives its speed (direct shots per second, seconds per decoded fault set) and the
stratified strata give the projected number of decodes; :func:`choose_method` turns them into
predicted times to the target and a one-line reason.

Direct sampling's shot count for a relative interval ``target`` at rate ``P`` uses the normal
approximation of the binomial interval, ``z^2 (1 - P) / (P (1 - 1/target)^2)`` (the lower side,
``P / ci_low <= target``, is the binding one), as in the module docstring of ``_estimate``.
"""

from __future__ import annotations

import dataclasses
import math

from catcode.errors import CatcodeError


def direct_shots_needed(rate: float, alpha: float, target: float) -> float:
    """Direct shots for a relative interval ``target`` at ``rate``: z^2 (1 - P) / (P (1 - 1/target)^2).

    >>> round(direct_shots_needed(1e-3, 0.05, 2.0))
    15350
    """
    from scipy.stats import norm

    if not (0.0 < rate < 1.0 and 0.0 < alpha < 1.0 and target > 1.0):
        raise CatcodeError(f"direct_shots_needed needs 0 < rate < 1, 0 < alpha < 1, target > 1; got "
                           f"{rate}, {alpha}, {target}")
    z = float(norm.ppf(1 - alpha / 2))
    return z * z * (1 - rate) / (rate * (1 - 1 / target) ** 2)


@dataclasses.dataclass(frozen=True)
class MethodChoice:
    """The outcome of :func:`choose_method`: ``method`` is "direct" or "estimator"."""

    method: str
    direct_seconds: float
    estimator_seconds: float
    reason: str

    def __post_init__(self) -> None:
        if self.method not in ("direct", "estimator"):
            raise CatcodeError(f"MethodChoice method must be 'direct' or 'estimator'; got {self.method!r}")
        if not (self.direct_seconds >= 0 and self.estimator_seconds >= 0):
            raise CatcodeError(f"MethodChoice needs predicted seconds >= 0; got {self.direct_seconds}, "
                               f"{self.estimator_seconds}")


def choose_method(*, rate: float, alpha: float, target: float, direct_shots_per_second: float,
                  direct_shots_done: int, estimator_decodes_needed: float, estimator_decodes_done: int,
                  estimator_seconds_per_decode: float, seconds_left: float = math.inf,
                  direct_shots_left: float = math.inf) -> MethodChoice:
    """Predicted time to the target of each method, and the sooner one.

    Args:
        rate: best estimate of the logical error rate per shot (the strata's, silent flips included).
        alpha: 1 - confidence.
        target: relative interval factor to reach (> 1).
        direct_shots_per_second: measured by the direct pilot (stim DEM sampler + the same decoder).
        direct_shots_done: pilot shots, which count towards direct sampling's total.
        estimator_decodes_needed: stratified sampling's projected total decodes (``_projected_shots``).
        estimator_decodes_done: decodes the estimator has already spent on its strata.
        estimator_seconds_per_decode: measured seconds per sampled + decoded fault set.
        seconds_left, direct_shots_left: remaining time / decode budget; direct sampling is chosen
            only if it fits both.

    Ties go to the estimator (it keeps its exact strata), unless the direct pilot already reached
    the target. Example:

    >>> c = choose_method(rate=1e-5, alpha=0.05, target=1.1, direct_shots_per_second=1e6,
    ...                   direct_shots_done=0, estimator_decodes_needed=1e7, estimator_decodes_done=0,
    ...                   estimator_seconds_per_decode=1e-5)
    >>> c.method, round(c.direct_seconds), round(c.estimator_seconds)
    ('direct', 46, 100)
    """
    if not (direct_shots_per_second > 0 and estimator_seconds_per_decode > 0):
        raise CatcodeError(f"choose_method needs measured speeds > 0; got direct_shots_per_second="
                           f"{direct_shots_per_second}, estimator_seconds_per_decode={estimator_seconds_per_decode}")
    if not rate > 0:
        return MethodChoice("estimator", math.inf, 0.0, "no failure seen yet: direct sampling's time cannot be "
                            "predicted, stratified sampling continues")
    shots = max(direct_shots_needed(rate, alpha, target) - direct_shots_done, 0.0)
    t_direct = shots / direct_shots_per_second
    t_est = max(estimator_decodes_needed - estimator_decodes_done, 0.0) * estimator_seconds_per_decode
    both = (f"direct ~{t_direct:.3g} s ({shots:.3g} more shots at {direct_shots_per_second:.3g}/s, rate "
            f"{rate:.3g}) vs estimator ~{t_est:.3g} s ({max(estimator_decodes_needed - estimator_decodes_done, 0):.3g} "
            f"more decodes at {1 / estimator_seconds_per_decode:.3g}/s)")
    if (t_direct < t_est or shots == 0) and t_direct <= seconds_left and shots <= direct_shots_left:
        return MethodChoice("direct", t_direct, t_est, f"direct sampling is sooner: {both}")
    why = ("it is sooner or as soon" if t_direct >= t_est else
           "direct sampling would exceed the remaining " + ("time" if t_direct > seconds_left else "shot budget"))
    return MethodChoice("estimator", t_direct, t_est, f"estimator kept ({why}): {both}")
