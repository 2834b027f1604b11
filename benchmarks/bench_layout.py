"""Layout construction and validation cost (issue 15): Python function calls and CPU time.

    python benchmarks/bench_layout.py

For ``Layout.chain(51)``, ``Layout.chain(501)`` and ``Layout.rotated_surface(51)``: the function
calls (a load-independent count, from cProfile) and the best CPU time (``time.process_time``)
of building the layout, and of re-running its validation alone. Both must grow linearly in the
number of nodes (chain(501) has ~10x the nodes of chain(51)).
"""

from __future__ import annotations

import cProfile
import pstats
import time
from collections.abc import Callable

from catcode import Layout


def function_calls(fn: Callable[[], object]) -> int:
    profile = cProfile.Profile()
    profile.enable()
    fn()
    profile.disable()
    return pstats.Stats(profile).total_calls


def best_cpu_ms(fn: Callable[[], object], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best * 1e3


def main() -> None:
    cases = [("chain(51)", lambda: Layout.chain(51), 20), ("chain(501)", lambda: Layout.chain(501), 10),
             ("rotated_surface(51)", lambda: Layout.rotated_surface(51), 5)]
    print(f"{'layout':22}{'nodes':>7}{'build calls':>13}{'build ms':>10}{'validate calls':>16}{'validate ms':>13}")
    for label, build, repeats in cases:
        layout = build()
        print(f"{label:22}{layout.graph.number_of_nodes():>7}{function_calls(build):>13}"
              f"{best_cpu_ms(build, repeats):>10.1f}{function_calls(layout._validate):>16}"
              f"{best_cpu_ms(layout._validate, repeats):>13.1f}")


if __name__ == "__main__":
    main()
