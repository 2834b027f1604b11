"""The one exception family of catcode.

Every error caused by bad input (a parameter out of range, an unknown choice, a malformed
layout, an unreadable file) is raised as a :class:`CatcodeError` whose message names the
failed condition, the value received, and the valid range or choices.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class CatcodeError(ValueError):
    """Bad input to catcode: the message names the valid range or choices."""


def require_choice(name: str, value: object, choices: Iterable[object]) -> None:
    """Raise CatcodeError unless ``value`` is one of ``choices``.

    >>> require_choice("basis", "X", ("X", "Z"))
    >>> require_choice("basis", "Y", ("X", "Z"))
    Traceback (most recent call last):
    ...
    catcode.errors.CatcodeError: basis must be one of 'X', 'Z'; got 'Y'
    """
    choices = tuple(choices)
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise CatcodeError(f"{name} must be one of {listed}; got {_short(value)}")


def require_int_at_least(name: str, value: object, minimum: int, maximum: int | None = None) -> int:
    """Return ``value`` as int if it is an integer in [minimum, maximum], else raise CatcodeError.

    Python and numpy integers qualify; bools, floats and strings do not.

    >>> require_int_at_least("rounds", 3, 1)
    3
    >>> require_int_at_least("rounds", 10**400, 1, 10**6)
    Traceback (most recent call last):
    ...
    catcode.errors.CatcodeError: rounds must be an integer >= 1 and <= 1000000; got 1e+400 (approx.)
    """
    import numbers

    bound = f">= {minimum}" + ("" if maximum is None else f" and <= {maximum}")
    is_bool = isinstance(value, bool) or type(value).__name__ == "bool_"
    if is_bool or not (isinstance(value, numbers.Integral) or hasattr(value, "__index__")):
        raise CatcodeError(f"{name} must be an integer {bound}; got {_short(value)}")
    try:
        v = int(value.__index__())  # type: ignore[union-attr]
    except Exception:  # noqa: BLE001 - a foreign object whose __index__ fails is not an integer
        raise CatcodeError(f"{name} must be an integer {bound}; got {_short(value)}") from None
    if v < minimum or (maximum is not None and v > maximum):
        raise CatcodeError(f"{name} must be an integer {bound}; got {_short(v)}")
    return v


def require_bool(name: str, value: object) -> bool:
    """``value`` if it is True or False (numpy's bool too), else raise: ``"no"`` or ``0`` would
    silently pick a branch.

    >>> require_bool("verify", False)
    False
    >>> require_bool("verify", "no")
    Traceback (most recent call last):
    ...
    catcode.errors.CatcodeError: verify must be True or False; got 'no'
    """
    numpy_bool = type(value).__module__ == "numpy" and type(value).__name__ in ("bool", "bool_")
    if not isinstance(value, bool) and not numpy_bool:
        raise CatcodeError(f"{name} must be True or False; got {_short(value)}")
    return bool(value)


def require_seed(seed: object) -> int | None:
    """``seed`` for numpy's random generator: None (fresh entropy) or an integer >= 0.

    >>> require_seed(7), require_seed(None)
    (7, None)
    >>> require_seed(-1)
    Traceback (most recent call last):
    ...
    catcode.errors.CatcodeError: seed must be an integer >= 0 or None; got -1
    """
    if seed is None:
        return None
    try:
        return require_int_at_least("seed", seed, 0)
    except CatcodeError:
        raise CatcodeError(f"seed must be an integer >= 0 or None; got {_short(seed)}") from None


def require_instance(name: str, value: object, kinds: type | tuple[type, ...], *, expected: str) -> Any:
    """``value`` if it is an instance of ``kinds``, else a one-line CatcodeError naming its type.

    >>> require_instance("dem", "x", int, expected="an integer")
    Traceback (most recent call last):
    ...
    catcode.errors.CatcodeError: dem must be an integer; got str
    """
    if not isinstance(value, kinds):
        raise CatcodeError(f"{name} must be {expected}; got {type(value).__name__}")
    return value


def require_instances(name: str, values: object, kinds: type | tuple[type, ...], *, expected: str,
                      hint: str = "") -> list:
    """``values`` as a list when it is an iterable (not a string) of ``kinds`` instances, else raise
    naming the first item that is not one (``hint`` says how to get the right thing).

    >>> require_instances("d", (3, 5), int, expected="integers")
    [3, 5]
    >>> require_instances("points", [1.0, "x"], float, expected="floats", hint="parse them first")
    Traceback (most recent call last):
    ...
    catcode.errors.CatcodeError: points must be a list of floats; item 1 is str 'x': parse them first
    """
    tail = f": {hint}" if hint else ""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise CatcodeError(f"{name} must be a list of {expected}; got {_short(values)}{tail}")
    out = list(values)
    for i, v in enumerate(out):
        if not isinstance(v, kinds):
            raise CatcodeError(f"{name} must be a list of {expected}; item {i} is {_type_and_value(v)}{tail}")
    return out


def _type_and_value(value: object) -> str:
    """``int 3`` for a builtin, else the type's public dotted name (``sinter.TaskStats``)."""
    kind = type(value)
    if kind.__module__ == "builtins":
        return f"{kind.__name__} {_short(value)}"
    public = []
    for part in kind.__module__.split("."):
        if part.startswith("_"):
            break
        public.append(part)
    return ".".join(public + [kind.__qualname__])


def name_list(names: Iterable[object], limit: int = 8) -> str:
    """``names`` joined by commas, at most ``limit`` of them, then how many more were left out.

    >>> name_list(["A1", "A2"])
    'A1, A2'
    >>> name_list([f"A{i}" for i in range(1, 501)], limit=3)
    'A1, A2, A3, ... (497 more)'
    """
    items = [str(n) for n in names]
    shown = ", ".join(items[:limit])
    return shown if len(items) <= limit else f"{shown}, ... ({len(items) - limit} more)"


def _short(value: object) -> str:
    """A one-line repr, huge ints abbreviated (``1e+400 (approx.)``), long reprs cut.

    >>> _short(10**400)
    '1e+400 (approx.)'
    """
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**18:
        return f"{'-' if value < 0 else ''}1e+{len(str(abs(value))) - 1} (approx.)"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


_INF = float("inf")


def _real(value: object) -> float:
    """``value`` as a float if it is a real number (int, float, numpy scalar; not bool/str), else NaN.

    Ints beyond float range (``10**400``) map to ``inf`` instead of raising OverflowError.

    >>> _real(True), _real("0.1"), _real(10**400)
    (nan, nan, inf)
    """
    if type(value) is float:  # the common case, without the ABC check below
        return value
    import numbers

    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        try:
            import numpy as np

            if isinstance(value, np.bool_) or not isinstance(value, (np.integer, np.floating)):
                return float("nan")
        except ImportError:  # pragma: no cover
            return float("nan")
    try:
        return float(value)
    except OverflowError:
        return float("inf") if value > 0 else float("-inf")
    except (TypeError, ValueError):
        return float("nan")


def require_probability(name: str, value: float, *, maximum: float = 0.5) -> float:
    """Return ``value`` if it is a probability in [0, maximum], else raise CatcodeError.

    >>> require_probability("p", 0.01)
    0.01
    """
    if type(value) is float and 0.0 <= value <= maximum:  # the common case, in one step
        return value
    v = _real(value)
    if not (0.0 <= v <= maximum):  # also rejects NaN
        raise CatcodeError(f"{name} must be a probability in [0, {maximum}]; got {_short(value)}")
    return v


def require_positive(name: str, value: float, *, allow_zero: bool = False) -> float:
    """Return ``value`` as float if it is finite and > 0 (or >= 0), else raise CatcodeError.

    >>> require_positive("nbar", 2.0)
    2.0
    """
    if type(value) is float and (value >= 0.0 if allow_zero else value > 0.0) and value != _INF:  # the common case
        return value
    v = _real(value)
    ok = (v >= 0.0 if allow_zero else v > 0.0) and v != _INF
    if not ok:
        bound = ">= 0" if allow_zero else "> 0"
        raise CatcodeError(f"{name} must be a finite number {bound}; got {_short(value)}")
    return v


def value_tuple(name: str, value: object, *, distinct: bool = True, allow_empty: bool = False) -> tuple:
    """``value`` as a tuple (a scalar or string is one value); by default non-empty and without
    repeats, else raise.

    >>> value_tuple("d", 5), value_tuple("d", [3, 5]), value_tuple("d", [3, 3], distinct=False)
    ((5,), (3, 5), (3, 3))
    >>> value_tuple("d", [3, 3])
    Traceback (most recent call last):
    catcode.errors.CatcodeError: d lists 3 more than once; give each value once
    """
    from collections.abc import Iterable

    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        value = (value,)
    out = tuple(value)
    if not out and not allow_empty:
        raise CatcodeError(f"{name} must list at least one value; got an empty range")
    for i, v in enumerate(out if distinct else ()):
        if any(v == w for w in out[:i]):
            raise CatcodeError(f"{name} lists {v!r} more than once; give each value once")
    return out
