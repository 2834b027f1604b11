"""The rate-with-band type of the overhead study."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable


from catcode import analysis
from catcode.errors import CatcodeError

# =============================================================================================
# Estimates
# =============================================================================================


#: Receives one progress message (a line of text).
ProgressFn = Callable[[str], None]

_z_of = analysis.z_of_factor


@dataclasses.dataclass(frozen=True)
class Estimate:
    """A logical error rate per round with its band.

    ``source`` says where it comes from: ``"sampled"`` (sinter, band from
    :func:`sinter.fit_binomial`), ``"rare"`` (:func:`catcode.rare.estimate_logical_error`),
    ``"fit"`` (a model prediction), ``"mixed"`` (a total whose parts differ), ``"none"`` (no data).
    ``shots``/``errors`` count decoded shots and observed errors (0 for fits).

    >>> Estimate(1e-3, 5e-4, 2e-3, "fit").resolved
    True
    """

    best: float
    low: float
    high: float
    source: str
    shots: int = 0
    errors: int = 0

    def __post_init__(self) -> None:
        # Invariants: counts are non-negative; a band that is present holds its best value.
        if self.shots < 0 or self.errors < 0 or (self.source == "sampled" and self.errors > self.shots):
            raise CatcodeError(f"Estimate needs 0 <= errors <= shots; got errors={self.errors}, shots={self.shots}")
        values = (self.low, self.best, self.high)
        if not any(math.isnan(v) for v in values) and not (0.0 <= self.low <= self.best <= self.high):
            raise CatcodeError(f"Estimate needs 0 <= low <= best <= high; got {self.low!r}, {self.best!r}, {self.high!r}")

    @property
    def resolved(self) -> bool:
        """True when the rate and both edges are positive (usable in a log-space fit)."""
        return self.best > 0.0 and self.low > 0.0 and self.high > self.low and math.isfinite(self.high)

    def sigma_ln(self, z: float) -> float:
        """Standard error of ln(best), from the band width in log space (Gaussian approximation)."""
        return (math.log(self.high) - math.log(self.low)) / (2.0 * z)

    def __str__(self) -> str:
        return f"{self.best:.3g} [{self.low:.2g}, {self.high:.2g}]"


def _mean_of(a: Estimate, b: Estimate) -> Estimate:
    """(a + b) / 2 with the mean of the band edges (conservative when the parts are independent)."""
    source = a.source if a.source == b.source else "mixed"
    return Estimate(
        (a.best + b.best) / 2.0, (a.low + b.low) / 2.0, (a.high + b.high) / 2.0, source,
        a.shots + b.shots, a.errors + b.errors,
    )


NO_ESTIMATE = Estimate(math.nan, math.nan, math.nan, "none")

