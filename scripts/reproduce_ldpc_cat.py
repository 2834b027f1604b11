"""Logical error per cycle of the periodic LDPC-cat codes H = 4..8 (L = 17) and the cat repetition code.

Ruiz et al., Nat. Commun. 16, 1040 (2025), Fig. 3 and Methods: X (phase-flip) memory, d noisy
rounds, n-bar = 11, every operation 1/kappa_2 (catcode's ``cat_cat`` preset, convention
``"alice_bob"``), the authors' 9-step round (prepare, CX1, idle, CX2, idle, CX3, idle, CX4,
measure), decoded with catcode's BP+OSD (``bposd``: min-sum 0.625, OSD-CS order 60). The repetition
code (d = 5, 9) at the same kappa_1/kappa_2 is decoded with PyMatching.

Per-cycle, per-logical-qubit convention (the authors'): eps = (1 - (1 - P_shot)^(1/r)) / L
(:func:`catcode.ldpc_cat.per_cycle_per_logical`) with P_shot the probability that any of the
k = 2L observables flips, r = d rounds, L = 17 (not k = 34); the repetition code has one logical
qubit (divide by 1).

Idle steps: the empty CX layers are charged one ``idle_step_ns`` each by the noise pass (the
IDLE STEP contract, :meth:`catcode.noise.NoiseModel.idle_step_ns`).

    .venv/bin/python scripts/reproduce_ldpc_cat.py --out data/ldpc_cat_points.csv --seconds_per_point 40
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import time
from pathlib import Path

import numpy as np
import stim

from catcode import Layout, noise
from catcode.bposd import BpOsdCompiledDecoder
from catcode.compiler import memory_circuit
from catcode.ldpc_cat import code_distance, per_cycle_per_logical

L = 17
NBAR = 11
#: kappa_1/kappa_2 per code, chosen where the authors' fits predict 1-50 % failed shots.
POINTS: dict[str, tuple[float, ...]] = {
    "ldpc_cat H=4": (5e-5, 1e-4),
    "ldpc_cat H=5": (1e-4, 2e-4),
    "ldpc_cat H=6": (1.5e-4, 2.5e-4),
    "ldpc_cat H=7": (2e-4, 3e-4),
    "ldpc_cat H=8": (3.5e-4, 4.5e-4),
    "repetition d=5": (1e-4, 3e-4),
    "repetition d=9": (3e-4, 5e-4),
}
#: Share of ``--seconds_per_point`` each code gets (BP-OSD time per shot grows with H).
WEIGHT = {"ldpc_cat H=4": 0.5, "ldpc_cat H=5": 0.75, "ldpc_cat H=6": 1.0, "ldpc_cat H=7": 1.5, "ldpc_cat H=8": 2.5,
          "repetition d=5": 0.25, "repetition d=9": 0.25}
FIELDS = ("code", "height", "d", "n", "k", "per", "rounds", "k1_over_k2", "nbar", "decoder", "shots",
          "failures", "p_shot", "eps_per_cycle", "seconds")


def circuit_for(code: str, k1: float) -> tuple[stim.Circuit, Layout, dict]:
    model = noise.cat_cat(nbar=NBAR, k1_over_k2=k1)
    if code.startswith("ldpc_cat"):
        h = int(code.split("=")[1])
        layout = Layout.ldpc_cat(h, L)
        d, per, k = code_distance(h, L), L, 2 * L
    else:
        d = int(code.split("=")[1])
        layout = Layout.chain(d, ancilla="cat")
        h, per, k = 0, 1, 1
    circuit = memory_circuit(layout, model, rounds=d, basis="X")
    info = dict(code=code, height=h, d=d, n=len(layout.data_qubits), k=k, per=per, rounds=d, k1_over_k2=k1, nbar=NBAR)
    return circuit, layout, info


def run_point(code: str, k1: float, *, seconds: float, max_failures: int, batch: int, seed: int) -> dict:
    circuit, _, info = circuit_for(code, k1)
    matching = code.startswith("repetition")
    dem = circuit.detector_error_model(approximate_disjoint_errors=True, decompose_errors=matching)
    if matching:
        import pymatching

        decoder, name = pymatching.Matching.from_detector_error_model(dem), "pymatching"
        decode = decoder.decode_batch
        batch *= 100
    else:
        decoder, name = BpOsdCompiledDecoder(dem), "bposd"
        decode = decoder.decode
    sampler = circuit.compile_detector_sampler(seed=seed)
    shots = failures = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds and failures < max_failures:
        dets, obs = sampler.sample(batch, separate_observables=True)
        failures += int((decode(dets) != obs).any(axis=1).sum())
        shots += batch
    p = failures / shots
    eps = per_cycle_per_logical(p, rounds=info["rounds"], width=info["per"])
    return {**info, "decoder": name, "shots": shots, "failures": failures, "p_shot": f"{p:.6g}",
            "eps_per_cycle": f"{eps:.6g}", "seconds": f"{time.perf_counter() - start:.1f}"}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("data/ldpc_cat_points.csv"))
    ap.add_argument("--codes", nargs="+", default=list(POINTS), help="subset of: " + ", ".join(POINTS))
    ap.add_argument("--seconds_per_point", type=float, default=40.0, help="wall-clock budget per point")
    ap.add_argument("--max_failures", type=int, default=100)
    ap.add_argument("--batch", type=int, default=20, help="BP-OSD shots per batch (x100 for matching)")
    ap.add_argument("--seed", type=int, default=2025)
    args = ap.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        for i, code in enumerate(args.codes):
            for j, k1 in enumerate(POINTS[code]):
                row = run_point(code, k1, seconds=args.seconds_per_point * WEIGHT[code], max_failures=args.max_failures,
                                batch=args.batch, seed=args.seed + 10 * i + j)
                writer.writerow(row)
                f.flush()
                print(", ".join(f"{k}={row[k]}" for k in ("code", "k1_over_k2", "shots", "failures", "eps_per_cycle",
                                                          "seconds")), file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
