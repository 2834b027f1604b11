"""How erasure heralds appear in a circuit: detectors whose fourth coordinate is :data:`HERALD_FLAG`.

The noise pass writes them (:mod:`catcode.noise`), the decoders and checks read them
(:mod:`catcode.decoders`, :mod:`catcode.verify`). Kept apart so that reading a circuit's heralds
imports nothing of the noise models (``catcode collect`` on circuit files starts faster).
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["HERALD_FLAG", "is_herald"]

#: Fourth detector coordinate marking a herald: heralds are ``DETECTOR(x, y, t, HERALD_FLAG)``,
#: ordinary detectors have exactly three coordinates.
HERALD_FLAG = 1.0


def is_herald(coordinates: Sequence[float]) -> bool:
    """Whether detector ``coordinates`` mark a herald (four of them, the fourth HERALD_FLAG).

    >>> is_herald([1, 0, 2, 1]), is_herald([1, 0, 2])
    (True, False)
    """
    return len(coordinates) == 4 and coordinates[3] == HERALD_FLAG
