"""A proven lower bound on the number of faults a minimum-weight matching decoder can fail on.

Argument (standard for minimum-weight decoders, e.g. Dennis, Kitaev, Landahl & Preskill,
J. Math. Phys. 43, 4452 (2002), section IV): let the fault set ``F`` flip the edge set ``E_F``
of the matching graph (components XORed) and let the decoder return the correction ``C``, a
minimum-weight edge set with the same syndrome, so ``w(C) <= w(E_F)``. The decoder fails iff
``E_F + C`` (a cycle, possibly through the boundary) flips an observable, i.e. is a logical
cycle, whose weight is at least ``W_L``, the minimum weight of a logical cycle. Hence failure
implies ``W_L <= w(E_F) + w(C) <= 2 w(E_F) <= 2 sum_{i in F} c_i`` where ``c_i`` is the summed
weight of mechanism i's graph edges (edge weights must be positive). So no set of ``m`` faults
can fail while twice the sum of the ``m`` largest ``c_i`` stays below ``W_L``.

With equal weights this is the textbook ``ceil(d/2)``; with unequal weights it can be smaller,
because the decoder prefers a cheap complement to a few expensive faults. Nothing here assumes
``ceil(d/2)``.

Preconditions checked (otherwise the bound is 1, i.e. no claim): decoder is PyMatching (exact
MWPM on the graph it builds from the DEM), every component of every mechanism is an edge of that
graph, the edges' observable labels XOR to each mechanism's observables (PyMatching merges
parallel edges and keeps one label), and all edge weights are positive. PyMatching rounds
weights to integers (2**24 levels in pymatching 2; we assume only 2**16), so the inequality is
applied with a rounding margin.
"""

from __future__ import annotations

import math

import numpy as np
import stim  # noqa: F401  (doctests)
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from catcode.rare._faults import FaultModel

#: assumed minimum number of distinct integer weight levels in PyMatching's discretisation
_WEIGHT_LEVELS = 2**16


def _edge_key(dets: tuple[int, ...]) -> tuple[int, int] | None:
    if len(dets) == 1:
        return (dets[0], -1)
    if len(dets) == 2:
        return (dets[0], dets[1])
    return None


def min_logical_cycle_weight(
    num_nodes: int, edges: list[tuple[int, int, float, frozenset[int]]], num_observables: int
) -> float:
    """Minimum weight of a cycle that flips some observable, via Dijkstra on a parity-doubled graph.

    ``edges`` are (u, v, weight, observables) with v = num_nodes - 1 meaning the boundary node.
    For observable j the graph is doubled into (node, parity of j) and the lightest odd cycle
    through a vertex v is the distance (v, 0) -> (v, 1); every odd cycle contains an edge
    labelled j, so sources are a vertex cover of those edges.

    >>> # a path 0-1-2 between two boundaries, observable on the left boundary edge
    >>> e = [(0, 3, 1.0, frozenset({0})), (0, 1, 1.0, frozenset()), (1, 2, 1.0, frozenset()),
    ...      (2, 3, 1.0, frozenset())]
    >>> min_logical_cycle_weight(4, e, 1)
    4.0
    """
    best = math.inf
    for j in range(num_observables):
        labelled = [(u, v) for u, v, _, o in edges if j in o]
        if not labelled:
            continue
        rows, cols, vals = [], [], []
        for u, v, wt, o in edges:
            flip = 1 if j in o else 0
            for a in (0, 1):
                rows += [u + a * num_nodes, v + a * num_nodes]
                cols += [v + (a ^ flip) * num_nodes, u + (a ^ flip) * num_nodes]
                vals += [wt, wt]
        g = coo_matrix((vals, (rows, cols)), shape=(2 * num_nodes, 2 * num_nodes)).tocsr()
        # greedy vertex cover of the labelled edges, boundary node first (it covers most often)
        cover: list[int] = []
        remaining = labelled
        while remaining:
            counts: dict[int, int] = {}
            for u, v in remaining:
                counts[u] = counts.get(u, 0) + 1
                counts[v] = counts.get(v, 0) + 1
            pick = max(counts, key=lambda x: (counts[x], x))
            cover.append(pick)
            remaining = [(u, v) for u, v in remaining if u != pick and v != pick]
        for start in range(0, len(cover), 64):
            src = np.array(cover[start : start + 64])
            dist = dijkstra(g, directed=True, indices=src)
            best = min(best, float(np.min(dist[np.arange(len(src)), src + num_nodes])))
    return best


def mechanism_costs(faults: FaultModel, edge_info: dict[tuple[int, int], tuple[float, frozenset[int]]]
                    ) -> tuple[np.ndarray, np.ndarray] | None:
    """Per mechanism: summed weight of its components' matching edges, and its number of components.

    Vectorised over the fault model's target arrays (a Python loop over mechanisms took 4-13 s on a
    surface d = 15 memory). ``edge_info`` maps (u, v) (v = -1: boundary) to (weight, observables).
    None (no claim) if there are more than 62 observables, a component is not an edge of the graph, a detector-free component flips an
    observable, or a mechanism's edge labels do not XOR to its observables.

    >>> fm = FaultModel.from_dem(stim.DetectorErrorModel("error(0.1) D0 D1 ^ D1 L0\\nerror(0.2) D0"))
    >>> costs, parts = mechanism_costs(fm, {(0, 1): (2.0, frozenset()), (1, -1): (3.0, frozenset({0})),
    ...                                     (0, -1): (1.5, frozenset())})
    >>> costs.tolist(), parts.tolist()
    ([5.0, 1.5], [2, 1])
    """
    n, nd = faults.num_mechanisms, max(faults.num_detectors, 1)
    if faults.num_observables > 62:
        return None  # observables are packed into int64 masks
    t, ptr = faults.targets, faults.target_ptr
    lengths = np.diff(ptr)
    mech = np.repeat(np.arange(n), lengths)
    starts = np.zeros(len(t), dtype=bool)
    starts[ptr[:-1][lengths > 0]] = True
    comp = np.cumsum(starts | (t == -1)) - 1  # global component index of each entry (separators included)
    n_comp = int(comp[-1]) + 1 if len(t) else 0
    comp_mech = np.zeros(n_comp, dtype=np.int64)
    comp_mech[comp] = mech
    # detectors: an even count within a component cancels
    is_det = t >= 0
    key, counts = np.unique(comp[is_det] * nd + t[is_det], return_counts=True)
    key = key[counts % 2 == 1]
    dcomp, det = key // nd, key % nd
    n_det = np.bincount(dcomp, minlength=n_comp)
    first = np.full(n_comp, -1)
    second = np.full(n_comp, -1)
    order_start = np.searchsorted(dcomp, np.arange(n_comp))
    has = n_det > 0
    first[has] = det[order_start[has]]
    two = n_det == 2
    second[two] = det[order_start[two] + 1]
    # observables as bit masks, XORed per component
    is_obs = t < -1
    cobs = np.zeros(n_comp, dtype=np.int64)
    np.bitwise_xor.at(cobs, comp[is_obs], np.left_shift(1, -2 - t[is_obs]).astype(np.int64))
    if np.any(n_det > 2) or np.any((n_det == 0) & (cobs != 0)):
        return None
    if not edge_info:
        return (np.zeros(n), np.bincount(comp_mech, minlength=n)) if not np.any(has) else None
    ekeys = np.array([u * (nd + 1) + (v + 1) for u, v in edge_info], dtype=np.int64)
    ew = np.array([w for w, _ in edge_info.values()])
    eobs = np.array([sum(1 << j for j in o) for _, o in edge_info.values()], dtype=np.int64)
    srt = np.argsort(ekeys)
    ekeys, ew, eobs = ekeys[srt], ew[srt], eobs[srt]
    ckey = first[has] * (nd + 1) + (second[has] + 1)
    pos = np.minimum(np.searchsorted(ekeys, ckey), len(ekeys) - 1)
    if not np.all(ekeys[pos] == ckey):
        return None
    costs = np.bincount(comp_mech[has], weights=ew[pos], minlength=n)
    edge_xor = np.zeros(n, dtype=np.int64)
    np.bitwise_xor.at(edge_xor, comp_mech[has], eobs[pos])
    mech_xor = np.zeros(n, dtype=np.int64)
    np.bitwise_xor.at(mech_xor, comp_mech, cobs)
    if np.any(edge_xor != mech_xor):
        return None
    return costs, np.bincount(comp_mech, minlength=n)


def min_failing_weight_bound(faults: FaultModel, matching: object | None) -> int:
    """Smallest fault count at which the PyMatching decoder can possibly fail (>= 1).

    Returns 1 (no claim) when ``matching`` is None or a precondition of the module's argument
    fails. Returns ``faults.num_mechanisms + 1`` if no fault set at all can fail.
    """
    if matching is None or faults.num_mechanisms == 0:
        return 1
    d = faults.num_detectors
    boundary = d
    edge_info: dict[tuple[int, int], tuple[float, frozenset[int]]] = {}
    graph_edges: list[tuple[int, int, float, frozenset[int]]] = []
    for u, v, attr in matching.edges():  # type: ignore[attr-defined]
        wt = float(attr["weight"])
        obs = frozenset(int(x) for x in attr.get("fault_ids", set()))
        if not (wt > 0.0) or not math.isfinite(wt):
            return 1
        a, b = (u, -1) if v is None else (min(u, v), max(u, v))
        edge_info[(a, b)] = (wt, obs)
        graph_edges.append((a, boundary if b == -1 else b, wt, obs))
    got = mechanism_costs(faults, edge_info)
    if got is None:
        return 1
    costs, parts = got
    w_logical = min_logical_cycle_weight(d + 1, graph_edges, faults.num_observables)
    if not math.isfinite(w_logical):
        return faults.num_mechanisms + 1
    max_w = max(wt for _, _, wt, _ in graph_edges)
    min_w = min(wt for _, _, wt, _ in graph_edges)
    delta = max_w / (2.0 * (_WEIGHT_LEVELS - 1))  # worst rounding error of one edge weight
    order = np.argsort(-costs)
    top = np.cumsum(costs[order])
    top_parts = np.cumsum(parts[order])
    for m in range(1, faults.num_mechanisms + 1):
        s = float(top[m - 1])
        # edges in F, in C (w(C) <= w(F)) and in the logical cycle (w(L) <= 2 w(F))
        n_edges = int(top_parts[m - 1]) + 3 * (s / min_w + 1)
        if 2.0 * s + 2.0 * n_edges * delta >= w_logical:
            return m
    return faults.num_mechanisms + 1
