"""Throttled progress messages on stderr (both backends)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["ProgressPrinter"]


class ProgressPrinter:
    """Print the latest status message at most once per ``min_interval`` seconds.

    >>> import io
    >>> buf = io.StringIO()
    >>> p = ProgressPrinter(enabled=True, min_interval=60, stream=buf)
    >>> p.show("first"); p.show("second"); p.flush()
    >>> buf.getvalue().splitlines()
    ['first', 'second']
    """

    def __init__(self, *, enabled: bool, min_interval: float = 1.0, stream: TextIO | None = None):
        self.enabled = enabled
        self.min_interval = min_interval
        self.stream = stream
        self._latest = ""
        self._printed = ""
        self._next_time = 0.0

    def show(self, message: str) -> None:
        if not self.enabled:
            return
        self._latest = message
        now = time.monotonic()
        if now >= self._next_time:
            self._emit()
            self._next_time = now + self.min_interval

    def flush(self) -> None:
        if self.enabled:
            self._emit()

    def _emit(self) -> None:
        if self._latest and self._latest != self._printed:
            print(self._latest, file=self.stream or sys.stderr, flush=True)
            self._printed = self._latest
