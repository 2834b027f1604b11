"""Three-architecture overhead data for notebooks/rectangular.ipynb (docs/reproductions.md).

Fewest qubits for targets 1e-6, 1e-9, 1e-12 logical error per cycle of: the cat repetition code,
the thin rectangular surface code of cats (searched over phase distance d, bit distance bit_d and
nbar) and the rotated surface code of transmons, through :func:`catcode.overhead.qubits_for_target`
(sampling with a pilot pass, rare-event estimates where sampling cannot reach, fits, search).

Writes ``data/overhead_architectures.json`` (the table, the reasons, the floor crossover, the fits,
the sampled points and fit-only curves for the plot) and ``data/overhead_architectures.csv`` (the
table as ``catcode overhead --out`` writes it). About 3-5 CPU-minutes on 2 workers::

    python scripts/overhead_architectures.py --workers 2
"""

from __future__ import annotations

import argparse
import json
import math
import pathlib
import sys
import time

import numpy as np

from catcode import overhead
from catcode.overhead import published

ROOT = pathlib.Path(__file__).resolve().parents[1]
TARGETS = (1e-6, 1e-9, 1e-12)
CAT_PARAMS = {"k1_over_k2": 1e-4}
SURFACE_P = 1e-3
NBARS = (1.0, 2.0, 3.0, 4.0, 6.0, 8.0)
CURVE_TARGETS = np.geomspace(1e-3, 1e-15, 61)


def unbiased_equivalent_p(qubits: int, target: float) -> float | None:
    """Physical error p at which an unbiased rotated surface code reaches ``target`` with ``qubits`` qubits.

    Uses the published heuristic ``0.1 (100 p)^((d+1)/2)`` (Fowler et al., PRA 86, 032324 (2012),
    :func:`catcode.overhead.published.surface_rate`) at the largest odd d with ``2d^2 - 1 <= qubits``:
    the noise level of Hann et al.'s "overhead of an unbiased architecture at 1e-5-1e-4" statement.

    >>> round(unbiased_equivalent_p(49, 0.1 * 0.1 ** 3), 6)  # d = 5 at p = 1e-3
    0.001
    """
    d = max((k for k in range(3, 201, 2) if 2 * k * k - 1 <= qubits), default=None)
    if d is None:
        return None
    # 0.1 (100 p)^h = target  ->  p = (10 target)^(1/h) / 100
    h = (d + 1) / 2
    p = (10.0 * target) ** (1.0 / h) / 100.0
    assert math.isclose(published.surface_rate(d, p), target, rel_tol=1e-9)
    return p


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _req(req: overhead.Requirement) -> dict:
    return {"reachable": req.reachable, "qubits": req.qubits, "qubits_low": req.qubits_low,
            "qubits_high": req.qubits_high, "config": req.config, "d": req.d, "nbar": req.nbar,
            "extra": dict(req.extra), "rate": None if req.rate is None or not req.reachable else req.rate.best,
            "reason": req.reason or req.note}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max_shots", type=int, default=200_000)
    parser.add_argument("--max_errors", type=int, default=300)
    parser.add_argument("--rare_seconds", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", default=str(ROOT / "data" / "overhead_architectures"))
    args = parser.parse_args(argv)
    t0 = time.monotonic()
    study = overhead.qubits_for_target(
        TARGETS, architectures=("repetition", "rectangular", "surface"), cat_noise="cat_cat", cat_params=CAT_PARAMS,
        surface_noise="si1000", surface_params={"p": SURFACE_P}, nbar_values=NBARS, cat_distances=(3, 5, 7),
        bit_distances=(2, 3), surface_distances=(3, 5, 7), d_max=101, bit_d_max=15, max_shots=args.max_shots,
        max_errors=args.max_errors, rare_seconds=args.rare_seconds, check=False, num_workers=args.workers,
        seed=args.seed, progress=_say,
    )
    seconds = time.monotonic() - t0
    print(study.table())
    rows = []
    for row in study.rows:
        entry = {"target": row.target, "winner": row.winner,
                 "requirements": {a: _req(r) for a, r in row.requirements.items()},
                 "reduction_vs_surface": {a: row.reduction_against(a) for a in row.requirements if a != "surface"}}
        rect = row.requirements["rectangular"]
        entry["rectangular_unbiased_equivalent_p"] = (unbiased_equivalent_p(rect.qubits, row.target)
                                                      if rect.reachable else None)
        rows.append(entry)
    curve = [{"target": r.target, **{a: _req(q) for a, q in r.requirements.items()}} for r in study.curve(CURVE_TARGETS)]
    points = {a: [{"key": list(k), "best": e.best, "low": e.low, "high": e.high, "source": e.source}
                  for k, e in sorted(pts.items(), key=lambda kv: str(kv[0]))] for a, pts in study.points.items()}
    data = {
        "command": "python scripts/overhead_architectures.py --workers 2",
        "seconds": round(seconds, 1),
        "noise": {a: {"preset": n, "params": dict(p)} for a, (n, p) in study.noises.items()},
        "settings": {"max_shots": args.max_shots, "max_errors": args.max_errors, "rare_seconds": args.rare_seconds,
                     "seed": args.seed, "nbars": NBARS, "cat_distances": [3, 5, 7], "bit_distances": [2, 3],
                     "surface_distances": [3, 5, 7], "d_max": 101, "bit_d_max": 15, "boundary": study.boundary},
        "rows": rows,
        "floor_crossover": overhead.floor_crossover(study),
        "fits": [line for m in study.models.values() for line in m.describe()],
        "points": points,
        "curve": curve,
        "table": study.table(),
    }
    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(data, indent=1, default=float) + "\n")
    overhead.write_csv(out.with_suffix(".csv"), study.rows_for_csv())
    print(f"wrote {out.with_suffix('.json')} and {out.with_suffix('.csv')} ({seconds:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
