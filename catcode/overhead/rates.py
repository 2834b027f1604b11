"""The rate-with-band type of the overhead study (:class:`catcode.analysis.ErrorRate`) and its mean."""

from __future__ import annotations

import math

from catcode import analysis

# =============================================================================================
# Estimates
# =============================================================================================


#: The overhead study's rate-with-band: :class:`catcode.analysis.ErrorRate` itself (one type for
#: sampled, rare-event, fitted and published rates; ``Estimate(best, low, high, source, shots, errors)``).
Estimate = analysis.ErrorRate


def _mean_of(a: Estimate, b: Estimate) -> Estimate:
    """(a + b) / 2 with the mean of the band edges (conservative when the parts are independent)."""
    source = a.source if a.source == b.source else "mixed"
    return Estimate(
        (a.best + b.best) / 2.0, (a.low + b.low) / 2.0, (a.high + b.high) / 2.0, source,
        a.shots + b.shots, a.errors + b.errors,
    )


NO_ESTIMATE = Estimate(math.nan, math.nan, math.nan, "none")

