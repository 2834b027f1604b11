"""Tables, CSV and plots of overhead results."""

from __future__ import annotations

import io
import json
import math
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from catcode.errors import CatcodeError
from catcode.overhead.rates import Estimate, _z_of

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
    return f"bands: likelihood ratio {factor:g} (≈ ±{_z_of(factor):.1f} sigma)"


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
    """The target-mode table plus the fits it rests on and the reasons for unreachable targets."""
    lines = [
        f"cat repetition code: {study.cat_noise}({_fmt_params(study.cat_params)}), nbar in "
        f"{[f'{n:g}' for n in study.repetition_model.nbars]}; rotated surface code: "
        f"{study.surface_noise}({_fmt_params(study.surface_params)}); d <= {study.d_max}, {study.boundary} boundaries",
        f"qubits: best [optimistic, pessimistic] from the fits' {_band_label(study.max_likelihood_factor)}; "
        f"'-': that band edge never meets the target for d <= {study.d_max}; a negative reduction means the cat code "
        f"needs more qubits",
    ]
    rows = []
    for row in study.rows:
        r, s = row.repetition, row.surface
        red = "-" if row.reduction_percent is None else f"{row.reduction_percent:.1f} %"
        rows.append([
            f"{row.target:.0e}", _q(r), "-" if r.d is None else f"d={r.d}, nbar={r.nbar:g}",
            "-" if r.checked is None else str(r.checked), _q(s), "-" if s.d is None else f"d={s.d}",
            "-" if s.checked is None else str(s.checked), red,
        ])
    lines.append(_table(["target", "cat qubits", "cat config", "cat direct", "surface qubits", "surface config",
                         "surface direct", "reduction"], rows))
    notes = []
    for row in study.rows:
        for req in (row.repetition, row.surface):
            text = req.reason or req.note
            if text:
                notes.append(f"  {row.target:.0e} {req.architecture}: {text}")
    if notes:
        lines.append("notes:")
        lines += notes
    m = study.repetition_model
    lines.append("fits:")
    for n in m.nbars:
        ph = m.phase[n]
        lines.append(f"  cat nbar={n:g}: phase-flip Λ = {m.lambda_factor(n):.3g} (ln-slope ± {ph.error(1):.2g}, "
                     f"chi2/dof = {ph.chi2:.1f}/{ph.dof})")
    lines.append("  " + m.bit_law())
    lx, lz = study.surface_model.lambda_factors()
    lines.append(f"  surface: Λ_X = {lx:.3g}, Λ_Z = {lz:.3g}")
    return "\n".join(lines)


#: Columns of the overhead CSV (both modes).
CSV_FIELDS = (
    "mode", "target", "architecture", "d", "nbar", "qubits", "qubits_low", "qubits_high",
    "rate", "rate_low", "rate_high", "rate_source", "x_rate", "z_rate", "reachable", "reduction_percent",
    "noise", "noise_params", "rounds", "boundary", "reason",
)


def _num(v: float | None) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else repr(float(v))


def _row(*, mode: str, target: float | None, architecture: str, d: int | None, nbar: Any, qubits: int | None,
         qubits_low: int | None, qubits_high: int | None, rate: Estimate, x: Estimate | None, z: Estimate | None,
         reachable: bool, reason: str, reduction: float | None, noise: str, params: Mapping[str, Any],
         rounds: int | None, boundary: str) -> dict[str, Any]:
    return {
        "mode": mode, "target": _num(target), "architecture": architecture, "d": "" if d is None else d,
        "nbar": "" if nbar is None else _num(float(nbar)), "qubits": "" if qubits is None else qubits,
        "qubits_low": "" if qubits_low is None else qubits_low, "qubits_high": "" if qubits_high is None else qubits_high,
        "rate": _num(rate.best), "rate_low": _num(rate.low), "rate_high": _num(rate.high),
        "rate_source": "" if rate.source == "none" else rate.source,
        "x_rate": "" if x is None else _num(x.best), "z_rate": "" if z is None else _num(z.best),
        "reachable": str(bool(reachable)).lower(), "reduction_percent": _num(reduction), "noise": noise,
        "noise_params": json.dumps(dict(params), sort_keys=True), "rounds": "d" if rounds is None else rounds,
        "boundary": boundary, "reason": reason,
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
    """Qubits against target logical error per cycle, for both architectures.

    Curves are the fits' answers on ``num_targets`` log-spaced targets (solid: central; shaded:
    optimistic to pessimistic band); markers are the study's requested targets (after direct
    checks); a cross on the top edge marks a requested target out of reach (the study's table
    says why). Where a curve stops, smaller targets are out of reach. Pass
    ``[(label, study), ...]`` to overlay several parameter sets (e.g. today's and improved cats);
    the surface curve is drawn once per distinct surface noise.
    """
    import matplotlib.pyplot as plt

    from catcode.overhead.results import OverheadStudy

    labelled = [("", studies)] if isinstance(studies, OverheadStudy) else list(studies)
    if not labelled:
        raise CatcodeError("plot_overhead needs at least one study")
    all_targets = [row.target for _, s in labelled for row in s.rows]
    lo_t = min(all_targets + [1e-15]) / 3
    hi_t = max(all_targets + [1e-3]) * 3
    grid = np.geomspace(hi_t, lo_t, num_targets)
    fig, ax = plt.subplots(figsize=(9.0, 4.8), layout="constrained")
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    seen_surface: set[str] = set()
    any_lost = False
    for k, (label, study) in enumerate(labelled):
        curve = study.curve(grid)
        series = [("repetition", f"cat repetition {label}".strip(), colors[k % len(colors)], "-", "o")]
        skey = json.dumps([study.surface_noise, dict(study.surface_params)], sort_keys=True, default=str)
        if skey not in seen_surface:
            seen_surface.add(skey)
            series.append(("surface", f"surface {study.surface_noise}({_fmt_params(study.surface_params)})",
                           "0.3" if len(seen_surface) == 1 else colors[(k + 3) % len(colors)], "--", "s"))
        for arch, name, color, style, marker in series:
            reqs = [getattr(r, arch) for r in curve]
            xs = [r.target for r in reqs if r.reachable]
            ys = [r.qubits for r in reqs if r.reachable]
            ax.step(xs, ys, where="post", color=color, linestyle=style, label=name)
            band = [(r.target, r.qubits_low, r.qubits_high) for r in reqs if r.qubits_low is not None]
            if band:
                bx = [b[0] for b in band]
                blo = [b[1] for b in band]
                bhi = [b[2] if b[2] is not None else np.nan for b in band]
                ax.fill_between(bx, blo, bhi, step="post", color=color, alpha=0.15, linewidth=0)
            pts = [getattr(r, arch) for r in study.rows]
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
