"""Matplotlib figures of logical error rates: curves with likelihood bands, totals and fits.

Every function builds a :class:`matplotlib.figure.Figure` through pyplot (``plt.subplots``) with
the current backend, and returns it: a figure at the end of a Jupyter cell shows as an image, and
scripts save it with :func:`save_figure` (which also closes it, so scripts do not accumulate open
figures). No backend is forced; without a display matplotlib falls back to Agg by itself.

>>> import sinter
>>> from catcode.analysis import error_rates
>>> stats = [sinter.TaskStats(strong_id=f"{d}{n}", decoder="pymatching",
...          json_metadata={"d": d, "r": d, "b": "X", "nbar": n}, shots=10_000, errors=e)
...          for d, n, e in [(3, 1, 900), (3, 2, 500), (5, 1, 700), (5, 2, 200)]]
>>> fig = plot_error_rates(error_rates(stats), x_key="nbar", group_key="d")
>>> [line.get_label() for line in fig.axes[0].get_lines()]
['d=3', 'd=5']
"""

from __future__ import annotations

import os
import pathlib
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from catcode.analysis import (
    RatePoint,
    ScalingFit,
    TotalErrorRate,
    _metadata,
    freeze,
    is_numeric,
    metadata_keys,
    numeric_keys,
    require_rate_points,
)
from catcode.errors import CatcodeError, require_choice, require_instance
from catcode.io import atomic_output

#: File extensions :func:`save_figure` can write.
FIGURE_FORMATS: tuple[str, ...] = (".png", ".svg")

#: Axis labels for the usual swept metadata keys.
AXIS_LABELS: dict[str, str] = {
    "nbar": "mean photon number n̄",
    "k1_over_k2": "κ₁/κ₂",
    "d": "code distance d",
    "r": "rounds r",
    "p": "physical error rate p",
    "eta": "noise bias η",
}

#: Keys that get a logarithmic x axis under ``xscale="auto"``.
LOG_X_KEYS: frozenset[str] = frozenset({"k1_over_k2", "p", "eta"})

_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
_LINESTYLES = ("-", "--", ":", "-.")


def check_keys(points: Sequence[Any], *, x_key: str, group_key: str | None) -> None:
    """Raise CatcodeError unless ``x_key`` is numeric metadata and ``group_key`` a metadata key."""
    keys = metadata_keys(points)
    numeric = numeric_keys(points)
    if x_key not in keys:
        raise CatcodeError(f"unknown x key {x_key!r}; numeric metadata keys present: {', '.join(numeric) or '(none)'}")
    bad = [p for p in points if x_key in _metadata(p) and not is_numeric(_metadata(p)[x_key])]
    if bad:
        raise CatcodeError(
            f"x key {x_key!r} must be numeric; got {_metadata(bad[0])[x_key]!r}. "
            f"Numeric keys present: {', '.join(numeric) or '(none)'}"
        )
    if group_key is not None and group_key not in keys:
        raise CatcodeError(f"unknown group key {group_key!r}; metadata keys present: {', '.join(keys)}")


def _curves(points: Sequence[Any], x_key: str) -> list[list[Any]]:
    """Split points into curves: same decoder and metadata except ``x_key`` and ``r``."""
    curves: dict[tuple[str, str], list[Any]] = {}
    for p in points:
        md = {k: v for k, v in _metadata(p).items() if k not in (x_key, "r")}
        curves.setdefault((str(p.decoder), freeze(md)), []).append(p)
    result = []
    for curve in curves.values():
        curve.sort(key=lambda p: _metadata(p)[x_key])
        xs = [_metadata(p)[x_key] for p in curve]
        dup = sorted({x for x in xs if xs.count(x) > 1})
        if dup:
            varying = sorted(
                k for k in metadata_keys(curve) if len({freeze(_metadata(p).get(k)) for p in curve}) > 1 and k != x_key
            )
            raise CatcodeError(
                f"several points share {x_key}={dup[0]} on one curve ({_metadata(curve[0])}); they differ only in "
                f"{', '.join(varying) or 'strong_id'}: filter them (--filter) or group by that key"
            )
        result.append(curve)
    return result


def _label_parts(curves: list[list[Any]], x_key: str, group_key: str | None) -> list[str]:
    """Curve labels: the group value first, then whichever other keys differ between curves.

    A key a curve does not have (e.g. ``section`` for the whole Ocelot device) is left out of
    its label rather than shown as ``None``.
    """
    firsts = [c[0] for c in curves]
    keys = [k for k in metadata_keys(firsts) if k not in (x_key, "r", group_key)]
    varying = [k for k in keys if len({freeze(_metadata(p).get(k)) for p in firsts}) > 1]
    decoders = {str(p.decoder) for p in firsts}
    labels = []
    for p in firsts:
        md = _metadata(p)
        parts = [f"{group_key}={_short(md.get(group_key))}"] if group_key else []
        parts += [f"{k}={_short(md[k])}" for k in varying if md.get(k) is not None]
        if len(decoders) > 1:
            parts.append(str(p.decoder))
        labels.append(", ".join(parts) or "data")
    return labels


def _short(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def _sort_value(v: Any) -> tuple:
    return (0, float(v), "") if is_numeric(v) else (1, 0.0, str(v))


def _auto_xscale(points: Sequence[Any], x_key: str) -> str:
    xs = [float(_metadata(p)[x_key]) for p in points]
    if xs and min(xs) > 0 and (x_key in LOG_X_KEYS or max(xs) / min(xs) >= 20):
        return "log"
    return "linear"


def _draw(
    ax: Axes,
    points: Sequence[Any],
    *,
    x_key: str,
    group_key: str | None,
    fit: ScalingFit | None,
    legend: bool,
) -> None:
    curves = _curves(points, x_key)
    order = sorted(
        range(len(curves)),
        key=lambda i: (_sort_value(_metadata(curves[i][0]).get(group_key)) if group_key else (0, 0.0, ""),
                       freeze(_metadata(curves[i][0]))),
    )
    curves = [curves[i] for i in order]
    labels = _label_parts(curves, x_key, group_key)
    group_values: list[str] = []
    seen_in_group: dict[str, int] = {}
    colors = [f"C{i}" for i in range(10)]
    fit_labelled = False
    for index, (curve, label) in enumerate(zip(curves, labels)):
        # colour by group value; without a group every curve gets its own colour
        g = freeze(_metadata(curve[0]).get(group_key)) if group_key else str(index)
        if g not in group_values:
            group_values.append(g)
        color = colors[group_values.index(g) % len(colors)]
        k = seen_in_group.get(g, 0)
        seen_in_group[g] = k + 1
        xs = np.array([float(_metadata(p)[x_key]) for p in curve])
        best = np.array([p.best for p in curve], dtype=float)
        low = np.array([p.low for p in curve], dtype=float)
        high = np.array([p.high for p in curve], dtype=float)
        shown = np.where(best > 0, best, np.nan)
        ax.plot(xs, shown, marker=_MARKERS[k % len(_MARKERS)], linestyle=_LINESTYLES[k % len(_LINESTYLES)],
                color=color, label=label, markersize=5)
        ax.fill_between(xs, low, high, color=color, alpha=0.2, linewidth=0)
        if fit is not None:
            d = _metadata(curve[0]).get(fit.d_key)
            if is_numeric(d) and len(xs) >= 1:
                lo, hi = float(xs.min()), float(xs.max())
                if ax.get_xscale() == "log" and lo > 0:
                    grid = np.geomspace(lo, hi, 100) if hi > lo else np.array([lo])
                else:
                    grid = np.linspace(lo, hi, 100) if hi > lo else np.array([lo])
                ax.plot(grid, fit.predict(grid, d), color=color, linestyle=(0, (4, 2)), linewidth=1.2, alpha=0.9)
                fit_labelled = True
    if fit_labelled and fit is not None:
        ax.plot([], [], color="0.3", linestyle=(0, (4, 2)), linewidth=1.2,
                label=f"fit, {fit.x_key}_th = {fit.x_th:.3g}")
    all_x = [_metadata(p)[x_key] for p in points]
    if ax.get_xscale() == "linear" and all(isinstance(v, int) or float(v).is_integer() for v in all_x):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(True, which="major", alpha=0.4)
    ax.grid(True, which="minor", alpha=0.15)
    if legend and curves:
        ax.legend(fontsize="small")


def require_axes(ax: object) -> None:
    """Raise a one-line CatcodeError unless ``ax`` is None or a matplotlib ``Axes``."""
    require_instance("ax", ax, (Axes, type(None)), expected="a matplotlib Axes (e.g. plt.subplots()[1]) or None")


def _setup_axes(ax: Axes, points: Sequence[Any], x_key: str, xscale: str, yscale: str) -> None:
    require_choice("xscale", xscale, ("auto", "linear", "log"))
    require_choice("yscale", yscale, ("auto", "linear", "log"))
    if xscale == "auto":
        xscale = _auto_xscale(points, x_key)
    if yscale == "auto":
        yscale = "log" if any(p.best > 0 for p in points) else "linear"
    if xscale == "log":
        ax.set_xscale("log", nonpositive="mask")
    if yscale == "log":
        ax.set_yscale("log", nonpositive="clip")
    ax.set_xlabel(AXIS_LABELS.get(x_key, x_key))


def _new_figure(ncols: int, *, width: float, height: float, sharey: bool) -> Figure:
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(width * ncols, height), layout="constrained")
    fig.subplots(1, ncols, sharey=sharey, squeeze=False)
    return fig


def plot_error_rates(
    points: Sequence[RatePoint],
    *,
    x_key: str,
    group_key: str | None = "d",
    fit: ScalingFit | None = None,
    per_round: bool = True,
    xscale: str = "auto",
    yscale: str = "auto",
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Logical error rate against metadata ``x_key``, one curve per group, with likelihood bands.

    Points are :class:`~catcode.analysis.ErrorRate` or :class:`~catcode.analysis.TotalErrorRate`.
    Curves join points that share decoder and all metadata except ``x_key`` and ``r``; the colour
    follows ``group_key`` (e.g. ``"d"``). Shaded bands are each point's likelihood band; points
    without errors show only their band. ``fit`` overlays its model curve for each curve's
    distance. ``xscale``/``yscale`` are ``"auto"`` (log x for κ₁/κ₂, p, η or spans >= 20x; log y
    when any rate is positive), ``"linear"`` or ``"log"``. Draws into ``ax`` if given.
    """
    points = require_rate_points("points", points)
    if not points:
        raise CatcodeError("nothing to plot: no rate points were given")
    check_keys(points, x_key=x_key, group_key=group_key)
    require_axes(ax)
    if ax is None:
        fig = _new_figure(1, width=6.0, height=4.5, sharey=False)
        ax = fig.axes[0]
    else:
        fig = ax.get_figure()  # type: ignore[assignment]
    _setup_axes(ax, points, x_key, xscale, yscale)
    _draw(ax, points, x_key=x_key, group_key=group_key, fit=fit, legend=True)
    totals = isinstance(points[0], TotalErrorRate)
    unit = "cycle" if totals else ("round" if per_round else "shot")
    ax.set_ylabel(f"logical error per {unit}")
    if title:
        ax.set_title(title)
    return fig  # type: ignore[return-value]


def plot_total_and_parts(
    totals: Sequence[TotalErrorRate],
    *,
    x_key: str,
    group_key: str | None = "d",
    fit: ScalingFit | None = None,
    per_round: bool = True,
    xscale: str = "auto",
    yscale: str = "auto",
    title: str | None = None,
) -> Figure:
    """Three panels sharing the y axis: total error per cycle, its phase part, its bit part.

    Total = mean of the X- and Z-basis memories (docs/physics.md §5); phase part = the X-basis
    memory's rate, bit part = the Z-basis memory's rate. ``fit`` (a fit to the totals) is
    overlaid on the total panel only.
    """
    totals = require_rate_points("totals", totals, TotalErrorRate,
                                 hint="analysis.total_error_rates(rates) pairs the X and Z memories")
    if not totals:
        raise CatcodeError("nothing to plot: no paired X/Z memories were given")
    check_keys(totals, x_key=x_key, group_key=group_key)
    fig = _new_figure(3, width=4.6, height=4.3, sharey=True)
    unit = "cycle" if per_round else "shot"
    panels: list[tuple[str, Sequence[Any], ScalingFit | None]] = [
        ("total = (X + Z memories) / 2", totals, fit),
        ("phase flips (X-basis memory)", [t.phase for t in totals], None),
        ("bit flips (Z-basis memory)", [t.bit for t in totals], None),
    ]
    everything = list(totals) + [t.phase for t in totals] + [t.bit for t in totals]
    for i, (ax, (name, pts, f)) in enumerate(zip(fig.axes, panels)):
        _setup_axes(ax, everything, x_key, xscale, yscale)
        _draw(ax, pts, x_key=x_key, group_key=group_key, fit=f, legend=i == 0)
        ax.set_title(name, fontsize="medium")
    fig.axes[0].set_ylabel(f"logical error per {unit}")
    if title:
        fig.suptitle(title)
    return fig


def mark_crossings(ax: Axes, estimates: Sequence[Any]) -> None:
    """Mark threshold crossings (:class:`catcode.threshold.CrossingEstimate`) on ``ax``.

    Each family's combined crossing is a solid vertical line over its shaded bootstrap band
    (an edge beyond the grid is drawn at the axis edge); each pair's crossing a dotted line.
    Draw on the per-shot plot whose curves were compared (``per_round=False``, rounds ∝ d).
    """
    left, right = ax.get_xlim()
    varying = [k for k in metadata_keys(estimates) if len({freeze(e.metadata.get(k)) for e in estimates}) > 1]
    for i, est in enumerate(estimates):
        color = f"C{(i + 5) % 10}" if len(estimates) > 1 else "0.25"
        c = est.combined
        where = ", ".join(f"{k}={_short(est.metadata.get(k))}" for k in varying)
        label = f"crossing{' ' + where if where else ''}: {c.describe()}"
        ax.axvspan(max(c.low, left), min(c.high, right), color=color, alpha=0.12, linewidth=0)
        ax.axvline(c.value, color=color, linewidth=1.4, label=label)
        for pair in est.pairs:
            ax.axvline(pair.crossing.value, color=color, linewidth=0.9, linestyle=":")
    ax.set_xlim(left, right)
    ax.legend(fontsize="small")


def mark_references(fig: Figure, references: Sequence[tuple[float, str]]) -> None:
    """Draw each ``(value, label)`` as a labelled horizontal dotted line on the first panel.

    >>> import matplotlib.pyplot as plt
    >>> fig, _ = plt.subplots()
    >>> mark_references(fig, [(0.0175, "published d = 3")])
    >>> fig.axes[0].get_lines()[-1].get_label()
    'published d = 3'
    """
    ax = fig.axes[0]
    for (value, label), style in zip(references, _LINESTYLES[2:] * len(references)):
        ax.axhline(value, color="black", linestyle=style, linewidth=1.0, label=label)
    if references:
        ax.legend(fontsize="small")


def caption_bands(fig: Figure, max_likelihood_factor: float) -> None:
    """Say under the figure what its shaded bands are.

    >>> import matplotlib.pyplot as plt
    >>> fig, _ = plt.subplots()
    >>> caption_bands(fig, 1000)
    >>> fig.texts[-1].get_text()
    'bands: likelihood ratio 1000 (sinter.fit_binomial)'
    """
    fig.text(0.005, -0.01, f"bands: likelihood ratio {max_likelihood_factor:g} (sinter.fit_binomial)",
             fontsize="small", ha="left", va="top")  # below the figure; tight bounding boxes (savefig, Jupyter) include it


def plot_rate_points(
    points: Sequence[Any],
    *,
    x_key: str,
    group_key: str | None,
    fit: ScalingFit | None = None,
    per_round: bool = True,
    total: bool = False,
    crossings: Sequence[Any] = (),
    references: Sequence[tuple[float, str]] = (),
    max_likelihood_factor: float = 1e3,
    xscale: str = "auto",
    yscale: str = "auto",
    title: str | None = None,
) -> Figure:
    """The figure of ``catcode plot``: :func:`plot_total_and_parts` (``total``) or
    :func:`plot_error_rates`, then :func:`mark_crossings`, :func:`mark_references` and
    :func:`caption_bands`."""
    draw = plot_total_and_parts if total else plot_error_rates
    fig = draw(points, x_key=x_key, group_key=group_key, fit=fit, per_round=per_round,
               xscale=xscale, yscale=yscale, title=title)
    if crossings:
        mark_crossings(fig.axes[0], crossings)
    mark_references(fig, references)
    caption_bands(fig, max_likelihood_factor)
    return fig


def save_figure(fig: Figure, path: str | os.PathLike[str]) -> pathlib.Path:
    """Write ``fig`` to ``path`` as PNG or SVG (chosen by the extension), atomically.

    Written through :func:`catcode.io.atomic_output`, so a failure never leaves a partial file;
    the figure is closed in pyplot afterwards (it stays usable, e.g. for another save).
    Raises CatcodeError for another extension or a missing directory.
    """
    out = pathlib.Path(path)
    ext = out.suffix.lower()
    if ext not in FIGURE_FORMATS:
        raise CatcodeError(
            f"unsupported figure extension {out.suffix or '(none)'!r} in {str(out)!r}; choices: {', '.join(repr(f) for f in FIGURE_FORMATS)}"
        )
    with atomic_output(out) as tmp:
        fig.savefig(tmp, format=ext[1:], dpi=150, bbox_inches="tight")  # keeps the caption below the axes
    import matplotlib.pyplot as plt

    plt.close(fig)
    return out
