"""Where ``pymatching_erasure`` spends its time on the d = 15 chain, and why its ties must stay.

    python benchmarks/bench_gadget.py [--reps 5] [--scale 1.0] [--stretch 1 6]

The circuit is ``bench_decoders.py``'s chain (``Layout.chain(15)``, ``noise.ocelot()``, 15 rounds,
X basis, 4e4 fixed-seed shots), where 96 % of the shots have a fired herald ("loud"). Each loud
shot is decoded, on the same shots and interleaved, by:

* ``base``: the no-herald graph on the ordinary detection events alone (herald bits cleared);
* ``gadget, no events``: the gadget graph on the same events (the cost of the bigger graph);
* ``gadget``: the gadget graph with the fired gadgets' events, i.e. ``pymatching_erasure``
  (``ErasureMatchingCompiledDecoder.gadget_events``);
* ``stretched +x``: the gadget graph with every side edge ``u–a``, ``b–v`` lengthened by x
  (one graph per ``--stretch`` value). Every gadget of this circuit has w = 0 (an erasure:
  q0 ⊕ 1/2 = 1/2), so in the real gadget a fired gadget's two regions reach the ordinary regions
  at u and v no later than they meet each other, and PyMatching builds alternating trees there.
  Stretched, they meet each other first once x exceeds those regions' radii; but flipping the
  erased edge then costs 2x instead of 0;
* ``plain``: PyMatching on the full detector error model (sinter's ``"pymatching"``).

Each line gives the min and median CPU seconds of this process over ``--reps`` repetitions, the
ratio of the mins to ``base``, the logical errors on the loud shots and how many predictions
differ from ``pymatching_erasure``'s. The machine is shared: compare ratios, not seconds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import pymatching

from bench_decoders import cases  # the same circuits as the decoder benchmark
from catcode.decoders import CUSTOM_DECODERS, ErasureMatchingCompiledDecoder

CHAIN = "chain d=15 ocelot r=15"


def first_gadget_node(compiled: ErasureMatchingCompiledDecoder) -> int:
    """Gadget nodes are numbered from the first multiple of 8 at or above the detector count."""
    return 8 * -(-compiled.model.num_detectors // 8)


def stretched(compiled: ErasureMatchingCompiledDecoder, stretch: float) -> pymatching.Matching:
    """The gadget graph with each side edge (one gadget node, the other ordinary or the boundary)
    lengthened by ``stretch``; the barrier a–b and the base graph unchanged."""
    first = first_gadget_node(compiled)
    out = pymatching.Matching()
    for u, v, data in compiled.gadget_graph().edges():
        gadget_nodes = (u >= first) + (v is not None and v >= first)
        weight = data["weight"] + (stretch if gadget_nodes == 1 else 0.0)
        kw = dict(fault_ids=data["fault_ids"], weight=weight, error_probability=data["error_probability"])
        if v is None:
            out.add_boundary_edge(u, **kw)
        else:
            out.add_edge(u, v, **kw)
    out.ensure_num_fault_ids(compiled.model.num_observables)
    return out


def gadget_weights(compiled: ErasureMatchingCompiledDecoder) -> np.ndarray:
    """w of every gadget, read back from its side u–a (a = first + 2g): it weighs (W + w) / 2."""
    first = first_gadget_node(compiled)
    sides = []
    for u, v, data in compiled.gadget_graph().edges():
        ends = [n for n in (u, v) if n is not None and n >= first]
        if len(ends) == 1 and (ends[0] - first) % 2 == 0:
            sides.append(data["weight"])
    return 2.0 * np.asarray(sides) - compiled.barrier_weight


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5, help="interleaved repetitions (>= 3)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the shot count")
    parser.add_argument("--stretch", type=float, nargs="+", default=[1.0, 6.0],
                        help="added to each gadget side edge, one 'stretched' graph per value")
    args = parser.parse_args(argv)
    circuit, shots = {label: (c, n) for label, c, n in cases(args.scale)}[CHAIN]
    dem = circuit.detector_error_model(decompose_errors=True, approximate_disjoint_errors=True)
    dets, obs = circuit.compile_detector_sampler(seed=15).sample(shots, bit_packed=True, separate_observables=True)
    compiled = CUSTOM_DECODERS["pymatching_erasure"].compile_decoder_for_dem(dem=dem)
    loud, events = compiled.gadget_events(dets)
    width = first_gadget_node(compiled) // 8  # detector bytes
    ordinary = np.ascontiguousarray(events[:, :width])
    quiet_gadgets = events.copy()
    quiet_gadgets[:, width:] = 0
    w = gadget_weights(compiled)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}  (cores: {os.cpu_count()})")
    print(f"{CHAIN}: {shots} shots, {int(loud.sum())} loud; {len(w)} gadgets, w in [{w.min():.3g}, {w.max():.3g}], "
          f"barrier W = {compiled.barrier_weight:.1f}; events a loud shot: {_mean_bits(ordinary):.1f} ordinary, "
          f"{_mean_bits(events[:, width:]):.1f} gadget")
    base = pymatching.Matching.from_detector_error_model(compiled.model.base_dem)
    plain = pymatching.Matching.from_detector_error_model(dem)
    loud_dets = np.ascontiguousarray(dets[loud])
    contenders = {
        "base": (base, ordinary),
        "gadget, no events": (compiled.gadget_graph(), quiet_gadgets),
        "gadget": (compiled.gadget_graph(), events),
        **{f"stretched +{x:g}": (stretched(compiled, x), events) for x in args.stretch},
        "plain": (plain, loud_dets),
    }
    seconds: dict[str, list[float]] = {name: [] for name in contenders}
    predictions: dict[str, np.ndarray] = {}
    for _ in range(max(3, args.reps)):
        for name, (graph, rows) in contenders.items():
            t0 = time.process_time()
            predictions[name] = graph.decode_batch(rows, bit_packed_shots=True, bit_packed_predictions=True)
            seconds[name].append(time.process_time() - t0)
    reference = compiled.decode_shots_bit_packed(bit_packed_detection_event_data=dets)[loud]
    if not np.array_equal(predictions["gadget"], reference):
        raise RuntimeError("the gadget graph's predictions differ from pymatching_erasure's")
    loud_obs = obs[loud]
    print(f"{'graph':<20} {'cpu min':>8} {'cpu med':>8} {'/ base':>7} {'errors':>7} {'differ':>7}")
    for name, times in seconds.items():
        pred = predictions[name]
        errors = int(np.any(pred != loud_obs, axis=1).sum())
        differ = int(np.any(pred != reference, axis=1).sum())
        print(f"{name:<20} {min(times):>8.3f} {statistics.median(times):>8.3f} "
              f"{min(times) / min(seconds['base']):>7.2f} {errors:>7} {differ:>7}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def _mean_bits(rows: np.ndarray) -> float:
    return float(np.unpackbits(rows, axis=1).sum(axis=1).mean())


if __name__ == "__main__":
    main()
