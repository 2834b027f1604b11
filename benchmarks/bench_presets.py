"""Compile time of the physics presets against depolarizing on the same chain layout (issue 15).

Usage: python benchmarks/bench_presets.py [d ...]   (default d = 51 501, rounds = d; min of 3;
ideal compile + noise pass, without the structural verification)
"""

from __future__ import annotations

import sys

from bench_compile import best_time

from catcode import Layout, memory_circuit, noise


def main(ds: list[int]) -> None:
    cases = {
        "depolarizing": ("transmon", lambda: noise.depolarizing(1e-3)),
        "ocelot": ("transmon", lambda: noise.ocelot(nbar=1.5)),
        "cat_cat": ("cat", lambda: noise.cat_cat(nbar=4, k1_over_k2=1e-3)),
    }
    for d in ds:
        ref = None
        for name, (anc, model) in cases.items():
            layout = Layout.chain(d, ancilla=anc)
            t = best_time(lambda: memory_circuit(layout, model(), rounds=d, basis="X", verify=False), 3)
            ref = t if ref is None else ref
            print(f"chain d={d:4d} rounds={d:4d} {name:13s} {t * 1e3:9.1f} ms  {t / ref:5.2f}x depolarizing", flush=True)
        # transmon: rotated surface code is its layout; compare with depolarizing there
        if d <= 51:
            layout = Layout.rotated_surface(min(d, 11))
            td = best_time(lambda: memory_circuit(layout, noise.depolarizing(1e-3), rounds=d, basis="X", verify=False), 3)
            tt = best_time(lambda: memory_circuit(layout, noise.transmon(), rounds=d, basis="X", verify=False), 3)
            print(f"surface d={min(d, 11)} rounds={d} transmon {tt * 1e3:.1f} ms vs depolarizing {td * 1e3:.1f} ms: {tt / td:.2f}x")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [51, 501])
