"""Throttled progress messages on stderr: catcode's one progress printer (sampling backends, rare-event estimator)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

__all__ = ["ProgressPrinter"]


class ProgressPrinter:
    """Print the latest status message at most once per ``min_interval`` seconds.

    :meth:`show` is throttled (the newest message waits for :meth:`flush` or the next slot);
    :meth:`log` prints at once. With a ``label`` each line starts ``[label  elapsed s]``; with a
    ``sink`` lines go to that callable instead of ``stream`` (default stderr).

    >>> import io
    >>> buf = io.StringIO()
    >>> p = ProgressPrinter(enabled=True, min_interval=60, stream=buf)
    >>> p.show("first"); p.show("second"); p.flush()
    >>> buf.getvalue().splitlines()
    ['first', 'second']
    >>> lines = []
    >>> q = ProgressPrinter(enabled=True, min_interval=60, sink=lines.append, label="job")
    >>> q.log("a"); q.show("b (throttled: within 60 s of a)"); q.log("d")
    >>> [line.split("] ")[1] for line in lines]
    ['a', 'd']
    """

    def __init__(self, *, enabled: bool, min_interval: float = 1.0, stream: TextIO | None = None,
                 sink: Callable[[str], None] | None = None, label: str | None = None):
        self.enabled = enabled
        self.min_interval = min_interval
        self.stream = stream
        self.sink = sink
        self.label = label
        self._start = time.monotonic()
        self._latest = ""
        self._printed = ""
        self._next_time = 0.0

    def show(self, message: str) -> None:
        """Remember ``message`` and print it if the last line is ``min_interval`` old."""
        if not self.enabled:
            return
        self._latest = message
        now = time.monotonic()
        if now >= self._next_time:
            self._emit()
            self._next_time = now + self.min_interval

    def log(self, message: str) -> None:
        """Print ``message`` now (an event rather than a status), restarting the throttle."""
        if self.enabled:
            self._latest = message
            self._emit()
            self._next_time = time.monotonic() + self.min_interval

    def flush(self) -> None:
        if self.enabled:
            self._emit()

    def _emit(self) -> None:
        if self._latest and self._latest != self._printed:
            line = self._latest
            if self.label is not None:
                line = f"[{self.label} {time.monotonic() - self._start:7.1f}s] {line}"
            if self.sink is not None:
                self.sink(line)
            else:
                print(line, file=self.stream or sys.stderr, flush=True)
            self._printed = self._latest
