"""Reading the ``error`` lines of a flattened detector error model's text, vectorised over its bytes.

Stim 1.16 gives a DEM's mechanisms to Python only as instruction objects (a Python loop: ≈ 15 s
on a rotated surface d = 21 model) or as text (``str(dem)``: 11 MB, 0.15 s). This module reads
the text with numpy: tokens are the runs of bytes between spaces and newlines, a line's first
token says what the line is, and the targets ``D k`` and ``L k`` are read digit by digit over
all tokens at once. Only the probabilities go through a float parser, once per distinct value
(a d = 21 model has 2·10⁵ error lines but fewer than 100 distinct probabilities).
"""

from __future__ import annotations

import re
import warnings

import numpy as np

from catcode.errors import CatcodeError

__all__ = ["parse_error_lines"]

_SPACE, _NEWLINE, _CLOSE = ord(" "), ord("\n"), ord(")")
_DETECTOR, _OBSERVABLE, _SEPARATOR = ord("D"), ord("L"), ord("^")


def parse_error_lines(text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Probabilities and targets of the ``error`` lines of a flattened DEM's text (``str(dem.flattened())``).

    Returns ``(p, line_ptr, targets)``: error ``i`` has probability ``p[i]`` and targets
    ``targets[line_ptr[i]:line_ptr[i + 1]]``, coded ``k`` for ``Dk``, ``-2 - k`` for ``Lk`` and
    ``-1`` for the separator ``^``. ``detector`` and ``logical_observable`` lines are skipped,
    and tags (``error[tag](p)``) ignored. A token it cannot read, or a line of any other kind
    (``repeat``, ``shift_detectors``: the text of a DEM not flattened), raises
    :class:`CatcodeError` naming it.

    >>> p, ptr, t = parse_error_lines("error(0.25) D3 ^ D1 L2\\ndetector(1, -2) D0\\nerror(0.5) L0\\n")
    >>> p.tolist(), ptr.tolist(), t.tolist()
    ([0.25, 0.5], [0, 4, 5], [3, -1, 1, -4, -2])
    """
    if "[" in text:  # tags: error[tag](p) -> error(p)
        text = re.sub(r"^(\w+)\[[^\]\n]*\]", r"\1", text, flags=re.M)
    if text.startswith(" ") or "\n " in text:  # indented lines (stim's own printing has none)
        text = re.sub(r"(?m)^ +", "", text)
    b = np.frombuffer(f"\n{text}\n".encode(), dtype=np.uint8)
    start, end = _tokens(b)
    is_head = b[start - 1] == _NEWLINE  # a line's first token
    heads = np.flatnonzero(is_head)
    head_start = start[heads]
    head_is_error = _starts_with(b, head_start, b"error(")
    other = ~head_is_error & ~_starts_with(b, head_start, b"detector") & ~_starts_with(b, head_start, b"logical_observable")
    if np.any(other):  # e.g. repeat blocks or shift_detectors: the text was not flattened
        _refuse(b, start, end, heads[np.argmax(other)])
    error_heads = heads[head_is_error]
    unreadable = (b[end[error_heads] - 1] != _CLOSE) | (end[error_heads] - start[error_heads] <= len("error()"))
    if np.any(unreadable):
        _refuse(b, start, end, error_heads[np.argmax(unreadable)])
    p = _probabilities(_join_slices(b, start[error_heads] + len("error("), end[error_heads] - 1).split())
    line = np.cumsum(is_head) - 1  # of each token
    on_error_line = head_is_error[line] & ~is_head
    owner = (np.cumsum(head_is_error) - 1)[line[on_error_line]]  # error number of each target token
    target_start, target_end = start[on_error_line], end[on_error_line]
    kind = b[target_start]
    index = _read_naturals(b, target_start + 1, target_end)
    is_det, is_obs, is_sep = kind == _DETECTOR, kind == _OBSERVABLE, kind == _SEPARATOR
    bad = ((is_det | is_obs) & (index < 0)) | (is_sep & (target_end - target_start != 1)) | ~(is_det | is_obs | is_sep)
    if np.any(bad):
        _refuse(b, target_start, target_end, np.argmax(bad))
    targets = np.where(is_det, index, np.where(is_obs, -2 - index, -1))
    counts = np.bincount(owner, minlength=len(error_heads))
    return p, np.concatenate([[0], np.cumsum(counts)]).astype(np.int64), targets


def _tokens(b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(start, end) byte offsets of the runs of bytes other than space and newline in ``b``,
    which begins and ends with a newline.

    >>> [s.tolist() for s in _tokens(np.frombuffer(b"\\nab  c\\nd\\n", np.uint8))]
    [[1, 5, 7], [3, 6, 8]]
    """
    gap = (b == _SPACE) | (b == _NEWLINE)
    first = ~gap
    first[1:] &= gap[:-1]
    last = ~gap
    last[:-1] &= gap[1:]
    return np.flatnonzero(first), np.flatnonzero(last) + 1


def _starts_with(b: np.ndarray, starts: np.ndarray, prefix: bytes) -> np.ndarray:
    """Whether ``b[s:s + len(prefix)] == prefix`` for each ``s`` of ``starts`` (``b`` ends with a newline)."""
    match = np.ones(len(starts), dtype=bool)
    for k, byte in enumerate(prefix):
        match &= b[np.minimum(starts + k, len(b) - 1)] == byte
    return match


def _join_slices(b: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> bytes:
    """The slices ``b[starts[i]:ends[i]]``, each followed by a space, in one gather.

    >>> _join_slices(np.frombuffer(b"x(0.5) y(2)", np.uint8), np.array([2, 9]), np.array([5, 10]))
    b'0.5 2 '
    """
    size = ends - starts + 1
    offset = np.cumsum(size) - size
    out = b[np.arange(int(size.sum()), dtype=np.int64) - np.repeat(offset - starts, size)]
    out[offset + size - 1] = _SPACE
    return out.tobytes()


def _read_naturals(b: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The decimal numbers ``b[starts[i]:ends[i]]``, or -1 where a slice is not 1-18 digits.

    >>> _read_naturals(np.frombuffer(b"D12 L0 ^ Dx\\n", np.uint8), np.array([1, 5, 8, 10]), np.array([3, 6, 8, 11])).tolist()
    [12, 0, -1, -1]
    """
    length = ends - starts
    value = np.zeros(len(starts), dtype=np.int64)
    bad = (length < 1) | (length > 18)
    for k in range(int(length.max(initial=0))):
        inside = length > k
        digit = b[np.minimum(starts + k, len(b) - 1)] - np.uint8(ord("0"))  # wraps above 9 for non-digits
        bad |= inside & (digit > 9)
        value = np.where(inside, value * 10 + digit, value)
    return np.where(bad, -1, value)


def _probabilities(words: list[bytes]) -> np.ndarray:
    """``words`` (no whitespace in any) as float64s, each distinct word parsed once by :func:`_numbers`,
    which reads each such word as exactly one number or raises.

    >>> _probabilities([b"0.5", b"1e-3", b"0.5"]).tolist()
    [0.5, 0.001, 0.5]
    """
    distinct = dict.fromkeys(words)
    values = _numbers(b" ".join(distinct).decode("ascii", errors="replace"))
    value_of = dict(zip(distinct, values.tolist()))
    return np.fromiter(map(value_of.__getitem__, words), dtype=np.float64, count=len(words))


def _numbers(text: str) -> np.ndarray:
    """The whitespace-separated numbers of ``text``, parsed in one C pass (``np.fromstring``'s text mode).

    numpy only warns where a token is not a number, and returns the numbers before it: that
    warning is an error here, so a token it cannot read never truncates the model.

    >>> _numbers(" -5 0.25 3 -1 1 -3 ").tolist()
    [-5.0, 0.25, 3.0, -1.0, 1.0, -3.0]
    """
    if not text or text.isspace():  # numpy reads whitespace alone as [-1.0]; isspace copies nothing
        return np.zeros(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        try:
            return np.fromstring(text, dtype=np.float64, sep=" ")
        except (DeprecationWarning, ValueError):
            raise _unreadable(next((t for t in text.split() if not _is_number(t)), "")) from None


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def _unreadable(token: str) -> CatcodeError:
    return CatcodeError(f"detector error model text has a token FaultModel cannot read: {token[:40]!r}")


def _refuse(b: np.ndarray, start: np.ndarray, end: np.ndarray, k: int) -> None:
    raise _unreadable(b[start[k]:end[k]].tobytes().decode(errors="replace"))
