"""Compile time of catcode memory circuits against stim.Circuit.generated, measured in one run.

    python benchmarks/bench_compile.py

For d in {5, 51, 501} with rounds = d: the time to build catcode's X-basis memory under
``depolarizing(p)`` (ideal compile + noise pass) and Stim's ``repetition_code:memory`` with the
same d, rounds and p; the ratio catcode / Stim; and the .stim text size for rounds = d and
rounds = 10 d (it must not grow with rounds: rounds sit in a REPEAT block).
"""

from __future__ import annotations

import time

import stim

from catcode import Layout, memory_circuit, noise

P = 1e-3


def best_time(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    print(f"{'d':>5} {'rounds':>6} {'catcode s':>10} {'stim s':>10} {'ratio':>7} {'bytes r=d':>10} {'bytes r=10d':>11}")
    for d in (5, 51, 501):
        repeats = 5 if d < 501 else 2
        layout = Layout.chain(d)
        ours = best_time(lambda: memory_circuit(layout, noise.depolarizing(P), rounds=d, basis="X", verify=False), repeats)
        ours_with_layout = best_time(lambda: memory_circuit(Layout.chain(d), noise.depolarizing(P), rounds=d, basis="X", verify=False), repeats)
        ref = best_time(
            lambda: stim.Circuit.generated(
                "repetition_code:memory", distance=d, rounds=d, after_clifford_depolarization=P,
                before_round_data_depolarization=P, before_measure_flip_probability=P, after_reset_flip_probability=P,
            ),
            repeats,
        )
        size = len(str(memory_circuit(layout, noise.depolarizing(P), rounds=d, basis="X")))
        size10 = len(str(memory_circuit(layout, noise.depolarizing(P), rounds=10 * d, basis="X")))
        print(f"{d:>5} {d:>6} {ours:>10.4f} {ref:>10.5f} {ours / ref:>7.0f} {size:>10} {size10:>11}"
              f"   (with Layout.chain build: {ours_with_layout:.4f} s)")


if __name__ == "__main__":
    main()
