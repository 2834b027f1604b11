"""Tables, CSV and plots of overhead results."""

from __future__ import annotations

import io
import json
import math
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from catcode.errors import CatcodeError, require_instances
from catcode.analysis import z_of_factor
from catcode.overhead.rates import Estimate

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from catcode.overhead.results import DistanceComparison, OverheadStudy
    from catcode.overhead.search import Requirement

# =============================================================================================
# Output: tables, CSV, plot
# =============================================================================================


def _fmt_params(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in sorted(params.items()))


def _band_label(factor: float) -> str:
    return f"bands: likelihood ratio {factor:g} (≈ ±{z_of_factor(factor):.1f} sigma)"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(header, widths)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join(lines)


def format_comparison(cmp: DistanceComparison) -> str:
    """The distance-mode table: qubits and per-cycle rates (X memory, Z memory, mean) of both codes."""
    head = [
        f"distance d = {cmp.d}; logical error per cycle = mean of X- and Z-memory per-round rates; "
        f"{cmp.boundary} boundaries; {_band_label(cmp.max_likelihood_factor)}",
    ]
    rows = []
    for m in (cmp.repetition, cmp.surface):
        name = "cat repetition" if m.architecture == "repetition" else "rotated surface"
        rows.append([name, str(m.qubits), f"{m.noise}({_fmt_params(m.params)})", str(m.x), str(m.z), str(m.total),
                     m.total.source, str(m.total.shots)])
    table = _table(["code", "qubits", "noise", "X memory", "Z memory", "per cycle", "source", "shots"], rows)
    return "\n".join(head + [table, _distance_headline(cmp)])


def _distance_headline(cmp: DistanceComparison) -> str:
    """Qubits at equal distance AND the per-cycle error ratio, so neither is read alone (issue 13 item 9)."""
    rep, surf = cmp.repetition, cmp.surface
    text = (f"at equal distance d = {cmp.d}: the cat code uses {rep.qubits} qubits, the surface code {surf.qubits} "
            f"({cmp.reduction_percent:.1f} % fewer for the cat code)")
    r, s = rep.total.best, surf.total.best
    if not (r > 0 and s > 0):
        return text + "; per-cycle errors not both resolved, so this is not a comparison at equal logical error"
    ratio = r / s
    better = (f"the surface code's logical error per cycle is {ratio:.3g}x lower" if ratio > 1
              else f"the cat code's logical error per cycle is {1 / ratio:.3g}x lower")
    return (f"{text}; {better}, so this is not a comparison at equal logical error (use --targets for the fewest "
            f"qubits at a target error)")


def _q(req: Requirement) -> str:
    if not req.reachable:
        return "unreachable" + (f" [{req.qubits_low}, -]" if req.qubits_low is not None else "")
    lo = "-" if req.qubits_low is None else str(req.qubits_low)
    hi = "-" if req.qubits_high is None else str(req.qubits_high)
    return f"{req.qubits} [{lo}, {hi}]"


def format_study(study: OverheadStudy) -> str:
    """The target-mode table (one line per target and architecture), the winners, reasons, fits and the floor crossover."""
    from catcode.overhead.architectures import REGISTRY

    noises = "; ".join(f"{REGISTRY[a].title}: {n}({_fmt_params(p)})" for a, (n, p) in study.noises.items())
    lines = [
        f"{noises}; d <= {study.d_max}, {study.boundary} boundaries; qubits for {study.logical} logical qubit(s)",
        f"qubits: best [optimistic, pessimistic] from the fits' {_band_label(study.max_likelihood_factor)}; "
        f"'-': that band edge never meets the target; 'published': a published fit, not sampled",
    ]
    rows = []
    for row in study.rows:
        for arch, req in row.requirements.items():
            red = row.reduction_against(arch) if arch != "surface" else None
            rows.append([
                f"{row.target:.0e}", REGISTRY[arch].title, _q(req), req.config,
                "-" if not req.reachable else f"{req.rate.best:.2g} ({req.rate.source})",
                "-" if req.checked is None else str(req.checked),
                "-" if red is None else f"{red:.1f} %", "<- fewest" if row.winner == arch else "",
            ])
    lines.append(_table(["target", "architecture", "qubits", "config", "predicted", "direct", "vs surface", "winner"],
                        rows))
    notes = []
    for row in study.rows:
        notes.append(f"  {row.target:.0e}: " + (f"{row.winner} needs the fewest qubits" if row.winner
                                                 else "no architecture reaches this target"))
        for req in row.requirements.values():
            text = req.reason or req.note
            if text:
                notes.append(f"  {row.target:.0e} {req.architecture}: {text}")
    crossover = floor_crossover(study)
    if crossover:
        notes.append("  " + crossover)
    lines.append("notes:")
    lines += notes
    lines.append("fits:")
    for model in study.models.values():
        lines += ["  " + line for line in model.describe()]
    return "\n".join(lines)


def floor_crossover(study: OverheadStudy) -> str:
    """Where the repetition code's bit-flip floor stops it and the rectangular code takes over ('' if n/a).

    The floor is the lowest total the repetition code's candidates reach; just below it the repetition
    code is unreachable, and the rectangular code's answer there (its ``bit_d``) is what removes it.
    """
    from catcode.overhead.search import find_requirement

    if "repetition" not in study.models or "rectangular" not in study.models:
        return ""
    rep = study.candidates("repetition")
    floor = min(rep, key=lambda c: c.total.best)
    below = floor.total.best / 2.0
    rect = find_requirement(study.candidates("rectangular"), below, architecture="rectangular", d_max=study.d_max)
    head = (f"repetition-code floor: its lowest predicted total is {floor.total.best:.2g} per cycle ({floor.config}, bit part "
            f"{floor.bit.best / 2:.2g}); every target below it is out of reach")
    if rect.reachable:
        return head + (f"; at {below:.2g} the rectangular code needs {rect.qubits} qubits ({rect.config}): its bit "
                       f"distance removes the floor")
    return head + f"; the rectangular code does not reach {below:.2g} either: {rect.reason}"


#: Columns of the overhead CSV (both modes).
CSV_FIELDS = (
    "mode", "target", "architecture", "d", "nbar", "qubits", "qubits_low", "qubits_high",
    "rate", "rate_low", "rate_high", "rate_source", "x_rate", "z_rate", "reachable", "reduction_percent",
    "noise", "noise_params", "rounds", "boundary", "reason", "config", "winner",
)


def _num(v: float | None) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else repr(float(v))


def _row(*, mode: str, target: float | None, architecture: str, d: int | None, nbar: Any, qubits: int | None,
         qubits_low: int | None, qubits_high: int | None, rate: Estimate, x: Estimate | None, z: Estimate | None,
         reachable: bool, reason: str, reduction: float | None, noise: str, params: Mapping[str, Any],
         rounds: int | None, boundary: str, config: str = "", winner: bool = False) -> dict[str, Any]:
    return {
        "mode": mode, "target": _num(target), "architecture": architecture, "d": "" if d is None else d,
        "nbar": "" if nbar is None else _num(float(nbar)), "qubits": "" if qubits is None else qubits,
        "qubits_low": "" if qubits_low is None else qubits_low, "qubits_high": "" if qubits_high is None else qubits_high,
        "rate": _num(rate.best), "rate_low": _num(rate.low), "rate_high": _num(rate.high),
        "rate_source": "" if rate.source == "none" else rate.source,
        "x_rate": "" if x is None else _num(x.best), "z_rate": "" if z is None else _num(z.best),
        "reachable": str(bool(reachable)).lower(), "reduction_percent": _num(reduction), "noise": noise,
        "noise_params": json.dumps(dict(params), sort_keys=True), "rounds": "d" if rounds is None else rounds,
        "boundary": boundary, "reason": reason, "config": config, "winner": str(bool(winner)).lower(),
    }


def write_csv(path: str | os.PathLike[str], rows: Sequence[Mapping[str, Any]]) -> None:
    """Write overhead rows (:data:`CSV_FIELDS`) to ``path`` atomically (temp file + ``os.replace``)."""
    import csv

    from catcode.io import write_atomically

    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(CSV_FIELDS), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: row.get(k, "") for k in CSV_FIELDS})
    write_atomically(path, buf.getvalue())


def plot_overhead(
    studies: OverheadStudy | Sequence[tuple[str, OverheadStudy]],
    *,
    num_targets: int = 60,
    title: str | None = None,
) -> Figure:
    """Qubits against target logical error per cycle, for every architecture of the study(ies).

    Curves are the fits' answers on ``num_targets`` log-spaced targets (solid: central; shaded:
    optimistic to pessimistic band); markers are the study's requested targets (after direct
    checks); a cross on the top edge marks a requested target out of reach (the study's table
    says why). Where a curve stops, smaller targets are out of reach. Pass
    ``[(label, study), ...]`` to overlay several parameter sets (e.g. today's and improved cats);
    the surface curve is drawn once per distinct surface noise.
    """
    import matplotlib.pyplot as plt

    from catcode.overhead.results import OverheadStudy

    labelled = [("", studies)] if isinstance(studies, OverheadStudy) else require_instances(
        "studies", studies, (tuple, list), expected="(label, OverheadStudy) pairs", hint="pass one OverheadStudy or a list of such pairs")
    if not labelled:
        raise CatcodeError("plot_overhead needs at least one study")
    for i, pair in enumerate(labelled):
        if len(pair) != 2 or not isinstance(pair[1], OverheadStudy):
            raise CatcodeError(f"studies must be (label, OverheadStudy) pairs; item {i} is not one")
    from catcode.overhead.architectures import REGISTRY

    all_targets = [row.target for _, s in labelled for row in s.rows]
    lo_t = min(all_targets + [1e-15]) / 3
    hi_t = max(all_targets + [1e-3]) * 3
    grid = np.geomspace(hi_t, lo_t, num_targets)
    fig, ax = plt.subplots(figsize=(9.0, 4.8), layout="constrained")
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    styles = {"repetition": ("-", "o"), "rectangular": ("-.", "D"), "surface": ("--", "s"), "ldpc_cat": (":", "^")}
    seen: set[str] = set()
    any_lost = False
    k = 0
    for label, study in labelled:
        curve = study.curve(grid)
        for arch in study.architectures:
            noise, params = study.noises[arch]
            key = json.dumps([arch, noise, dict(params)], sort_keys=True, default=str)
            if key in seen:  # e.g. the same surface code under several cat parameter sets
                continue
            seen.add(key)
            name = f"{REGISTRY[arch].title} {label if REGISTRY[arch].noise_role == 'cat' else ''}".strip()
            if REGISTRY[arch].noise_role == "surface":
                name = f"{name} {noise}({_fmt_params(params)})"
            color, (style, marker) = colors[k % len(colors)], styles.get(arch, ("-", "o"))
            k += 1
            reqs = [r.requirements[arch] for r in curve]
            xs = [r.target for r in reqs if r.reachable]
            ys = [r.qubits for r in reqs if r.reachable]
            ax.step(xs, ys, where="post", color=color, linestyle=style, label=name)
            band = [(r.target, r.qubits_low, r.qubits_high) for r in reqs if r.qubits_low is not None]
            if band:
                bx = [b[0] for b in band]
                blo = [b[1] for b in band]
                bhi = [b[2] if b[2] is not None else np.nan for b in band]
                ax.fill_between(bx, blo, bhi, step="post", color=color, alpha=0.15, linewidth=0)
            pts = [r.requirements[arch] for r in study.rows]
            ax.plot([p.target for p in pts if p.reachable], [p.qubits for p in pts if p.reachable],
                    marker=marker, linestyle="none", color=color, markersize=6)
            lost = [p.target for p in pts if not p.reachable]
            if lost:  # along the top edge: x in data, y in axes coordinates
                ax.plot(lost, [0.97 - 0.035 * k] * len(lost), marker="x", linestyle="none", color=color,
                        markersize=8, transform=ax.get_xaxis_transform(), clip_on=False)
                any_lost = True
    if any_lost:
        ax.plot([], [], marker="x", linestyle="none", color="0.3", label="target out of reach (top edge)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.invert_xaxis()
    ax.set_xlabel("target logical error per cycle")
    ax.set_ylabel("physical qubits")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.01, 0.5))
    if title:
        ax.set_title(title)
    return fig
