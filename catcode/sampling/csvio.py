"""Resumable sinter-format CSV: check, repair a torn last line, append rows durably.

The file is exactly what sinter writes: the line ``sinter.CSV_HEADER`` and then one
``TaskStats.to_csv_line()`` per recorded batch, so ``sinter combine`` and ``sinter plot`` read it,
and rows of the same task (same strong id) add up.

Durability rules (what makes "kill at any moment, restart, lose nothing finished, count nothing
twice" hold):

- a row is written with one ``os.write`` of the whole line and its newline, then ``fsync``;
  shots are only "finished" once their row is on disk;
- a new file gets its header through a temporary file and ``os.replace``, so it never exists
  half-made;
- on reopening, a final line without its newline (a write cut short) is kept only if it is a
  complete row (it re-serialises to exactly the same text); otherwise it is truncated away with a
  warning. A malformed *terminated* row is an error: the file is not ours to rewrite;
- one writer at a time: the file is ``flock``-ed while open for appending.

>>> import os, tempfile, sinter
>>> path = os.path.join(tempfile.mkdtemp(), "stats.csv")
>>> with ResumableCsv(path) as out:
...     out.append(sinter.TaskStats(strong_id="ab", decoder="pymatching", json_metadata={"d": 3},
...                                 shots=10, errors=1, seconds=0.5))
>>> with open(path, "a") as f:
...     _ = f.write("        10,         1,")  # a torn row, as left by a kill mid-write
>>> with ResumableCsv(path, warn=lambda msg: None) as out:
...     print({k: (v.shots, v.errors) for k, v in out.existing.items()})
{'ab': (10, 1)}
"""

from __future__ import annotations

import collections
import csv
import dataclasses
import io
import json
import os
import pathlib
import sys
import tempfile
from collections.abc import Callable

import sinter

from catcode.errors import CatcodeError
from catcode.io import UMASK, require_path
from catcode.io import check_output_path as _check_path

__all__ = ["CsvScan", "ResumableCsv", "check_output_path", "read_stats", "scan_csv"]

_REQUIRED_FIELDS = ("shots", "errors", "discards", "seconds", "decoder", "strong_id", "json_metadata")
_HEADER_LINE = sinter.CSV_HEADER + "\n"


@dataclasses.dataclass
class CsvScan:
    """What a stats CSV holds, read without changing it.

    Attributes:
        stats: totals per strong id over every complete row.
        rows: number of complete rows.
        needs_header: the file is empty or holds only part of the header line.
        keep_bytes: length of the prefix that is complete, newline-terminated lines.
        tail: bytes after the last newline (a torn write), empty when the file ends cleanly.
        tail_is_row: the tail is a whole row that only lacks its newline (and is counted in stats).
    """

    stats: dict[str, sinter.TaskStats]
    rows: int
    needs_header: bool
    keep_bytes: int
    tail: bytes
    tail_is_row: bool


def _row_to_stats(fields: list[str], values: list[str]) -> sinter.TaskStats:
    row = dict(zip(fields, values))
    if len(values) != len(fields):
        raise ValueError(f"expected {len(fields)} fields, found {len(values)}")
    custom = row.get("custom_counts")
    counts: collections.Counter = collections.Counter()
    if custom:
        loaded = json.loads(custom)
        if not isinstance(loaded, dict) or not all(isinstance(v, int) for v in loaded.values()):
            raise ValueError(f"custom_counts {custom!r} is not a dict of integer counts")
        counts = collections.Counter(loaded)
    shots, errors, discards = int(row["shots"]), int(row["errors"]), int(row["discards"])
    if min(shots, errors, discards) < 0 or errors + discards > shots:
        raise ValueError(f"shots={shots}, errors={errors}, discards={discards}: need 0 <= errors + discards <= shots")
    return sinter.TaskStats(
        shots=shots,
        errors=errors,
        discards=discards,
        seconds=float(row["seconds"]),
        decoder=row["decoder"].strip(),
        strong_id=row["strong_id"].strip(),
        json_metadata=json.loads(row["json_metadata"]),
        custom_counts=counts,
    )


def _parse_line(fields: list[str], line: str) -> sinter.TaskStats:
    reader = csv.reader(io.StringIO(line), strict=True, skipinitialspace=True)
    values = next(reader)
    try:
        next(reader)
        raise ValueError("the line holds more than one CSV record")
    except StopIteration:
        pass
    return _row_to_stats(fields, [v.strip() for v in values])


def scan_csv(path: str | os.PathLike[str]) -> CsvScan:
    """Read a stats CSV without modifying it; raise CatcodeError if it is not a sinter CSV."""
    p = require_path(path, "stats file")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise CatcodeError(f"cannot read stats file {str(p)!r}: {exc.strerror or exc}") from None
    cut = data.rfind(b"\n") + 1
    body, tail = data[:cut], data[cut:]
    if not body:
        # Nothing complete: empty, or a header cut short. Anything else is not ours.
        if _HEADER_LINE.encode().startswith(tail) or not tail.strip():
            return CsvScan({}, 0, True, 0, tail, False)
        raise CatcodeError(f"{str(p)!r} exists but is not a sinter stats CSV (its first line is "
                           f"{tail[:60]!r}); choose another --out or move the file")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise CatcodeError(f"{str(p)!r} is not a UTF-8 text file; choose another --out") from None
    lines = text.split("\n")[:-1]
    fields = [f.strip() for f in lines[0].split(",")]
    missing = [f for f in _REQUIRED_FIELDS if f not in fields]
    if missing:
        raise CatcodeError(f"{str(p)!r} is not a sinter stats CSV: its header lacks {', '.join(missing)} "
                           f"(expected {sinter.CSV_HEADER.replace(' ', '')!r}); choose another --out")
    stats: dict[str, sinter.TaskStats] = {}
    rows = 0

    def add(s: sinter.TaskStats) -> None:
        old = stats.get(s.strong_id)
        stats[s.strong_id] = s if old is None else old + s

    for lineno, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        try:
            add(_parse_line(fields, line))
        except (ValueError, KeyError, csv.Error) as exc:
            raise CatcodeError(f"{str(p)}:{lineno}: not a sinter stats row ({exc}); the file was left "
                               "unchanged, repair or move it") from None
        rows += 1
    tail_is_row = False
    if tail:
        try:
            tail_text = tail.decode("utf-8")
            s = _parse_line(fields, tail_text)
            tail_is_row = s.to_csv_line() == tail_text
            if tail_is_row:
                add(s)
                rows += 1
        except (ValueError, KeyError, csv.Error, UnicodeDecodeError):
            tail_is_row = False
    return CsvScan(stats, rows, False, cut, tail, tail_is_row)


def read_stats(*paths: str | os.PathLike[str], normalize: bool = False) -> list[sinter.TaskStats]:
    """Totals per task (strong id) over sinter-format CSV files: catcode's one stats reader.

    Each file is parsed by :func:`scan_csv`, so a torn last line (a write in progress) is ignored
    and the files are not changed; rows of one task are summed across files, as
    :func:`sinter.read_stats_from_csv_files` does. With ``normalize`` each task's metadata goes
    through :func:`catcode.analysis.normalize_metadata` (what :func:`catcode.analysis.read_stats`,
    which calls this function, does by default). A missing, empty or malformed file raises
    :class:`CatcodeError` naming it.
    """
    if not paths:
        raise CatcodeError("read_stats needs at least one CSV path; got none")
    totals: dict[str, sinter.TaskStats] = {}
    for path in paths:
        p = require_path(path, "stats file")
        if not p.is_file():
            raise CatcodeError(f"stats file not found: {str(p)!r} (expected a sinter-format CSV)")
        try:
            scan = scan_csv(p)
        except CatcodeError as exc:
            reason = str(exc).removesuffix("; choose another --out").removesuffix("; choose another --out or move the file")
            raise CatcodeError(f"could not read sinter stats from {str(p)!r}: {reason}") from None
        if scan.needs_header:
            raise CatcodeError(f"could not read sinter stats from {str(p)!r}: it has no header line "
                               f"{sinter.CSV_HEADER.replace(' ', '')!r}")
        for key, stat in scan.stats.items():
            totals[key] = totals[key] + stat if key in totals else stat
    if not normalize:
        return list(totals.values())
    from catcode.analysis import normalize_metadata

    return [dataclasses.replace(s, json_metadata=normalize_metadata(s.json_metadata)) for s in totals.values()]


def check_output_path(path: str | os.PathLike[str]) -> None:
    """Fail with CatcodeError unless ``path`` can be resumed from and appended to; change nothing.

    An existing file must be a sinter stats CSV opened for appending; a new file's directory
    (or nearest existing ancestor, since missing folders are created) must accept new files.
    """
    p = _check_path(path, create_dir=True)  # not a directory nor a symlink (never followed silently)
    if p.exists():
        scan_csv(p)
        try:
            with open(p, "ab"):
                pass
        except OSError as exc:
            raise CatcodeError(f"output file {str(p)!r} is not writable: {exc.strerror or exc}") from None


def _fsync_dir(directory: pathlib.Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _warn_stderr(message: str) -> None:
    print(f"catcode collect: warning: {message}", file=sys.stderr)


class ResumableCsv:
    """An append-only, crash-safe sinter stats CSV (see the module docstring for the rules).

    Use as a context manager; :attr:`existing` holds the totals per strong id found on opening.
    """

    def __init__(self, path: str | os.PathLike[str], *, warn: Callable[[str], None] = _warn_stderr):
        self.path = require_path(path, "stats CSV")
        self.warn = warn
        self.existing: dict[str, sinter.TaskStats] = {}
        self._fd: int | None = None

    def __enter__(self) -> ResumableCsv:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self) -> dict[str, sinter.TaskStats]:
        """Create or repair the file, lock it, and return the existing totals per strong id."""
        p = self.path
        if not p.exists():
            self._create()
        fd = os.open(p, os.O_RDWR | os.O_APPEND)
        try:
            self._lock(fd)
            scan = scan_csv(p)
            if scan.needs_header:
                os.ftruncate(fd, 0)
                self._write_all(fd, _HEADER_LINE.encode())
            elif scan.tail and scan.tail_is_row:
                self._write_all(fd, b"\n")
            elif scan.tail:
                self.warn(f"dropped a torn last line of {len(scan.tail)} bytes from {str(p)!r} "
                          f"(a write cut short; its shots were never counted): {scan.tail[:80]!r}")
                os.ftruncate(fd, scan.keep_bytes)
                os.fsync(fd)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        self.existing = scan.stats
        return self.existing

    def _create(self) -> None:
        p = self.path
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name}.", suffix=".tmp")
        except OSError as exc:
            raise CatcodeError(f"cannot create output file {str(p)!r}: {exc.strerror or exc}") from None
        try:
            self._write_all(fd, _HEADER_LINE.encode())
            os.fsync(fd)
            os.close(fd)
            fd = -1
            os.chmod(tmp, 0o666 & ~UMASK)
            if p.exists():  # someone else created it meanwhile: keep theirs
                os.unlink(tmp)
            else:
                os.replace(tmp, p)
                _fsync_dir(p.parent)
        finally:
            if fd >= 0:
                os.close(fd)
            if os.path.exists(tmp):
                os.unlink(tmp)

    def _lock(self, fd: int) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - non-POSIX
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise CatcodeError(f"{str(self.path)!r} is being written by another catcode collect; wait for it "
                               "to finish or choose another --out") from None

    @staticmethod
    def _write_all(fd: int, data: bytes) -> None:
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]

    def append(self, stats: sinter.TaskStats) -> None:
        """Write one row (the whole line in one write) and fsync it."""
        if self._fd is None:
            raise RuntimeError("ResumableCsv.append called before open()")
        self._write_all(self._fd, (stats.to_csv_line() + "\n").encode("utf-8"))
        os.fsync(self._fd)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # also releases the flock
            self._fd = None
