"""Erasure-aware minimum-weight matching for sinter: heralds reweight the matching graph per shot.

Herald convention (docs/physics.md §1, §3c; common rules of the project): a herald is a
measurement-record bit written by ``HERALDED_ERASE`` or ``HERALDED_PAULI_CHANNEL_1``, exposed as a
detector with **exactly four coordinates whose fourth is 1**, e.g. ``DETECTOR(x, y, t, 1) rec[-1]``.
Every other detector is an ordinary syndrome detector (normally ``(x, y, t)``). The fourth
coordinate must not be moved by ``SHIFT_COORDS``: heralds are read from the detector coordinates
after all shifts (``stim.DetectorErrorModel.get_detector_coordinates``).

Decoding model
--------------
A detector error model (DEM) lists independent mechanisms; a mechanism whose symptoms contain a
herald detector ``h`` is *heralded by h*: it happens only in shots where ``h`` fires. From the
DEM (after splitting ``^``-decomposed components) we build a matching graph over the ordinary
detectors only:

* **Unheralded mechanisms** give each edge ``e`` its prior ``q0(e)``, merged as independent
  mechanisms exactly as PyMatching does (the base graph is PyMatching's own graph of the DEM
  restricted to unheralded mechanisms).
* **Heralded mechanisms** lose their herald detectors; what remains (the symmetric difference of
  their components' ordinary detectors when it has at most two, otherwise each component) is a set
  of edges *conditioned on h*. A channel like ``HERALDED_ERASE`` produces disjoint mechanisms
  (``approximate_disjoint_errors=True``), so given that ``h`` fired, exactly one of them happened
  and edge ``e`` was flipped with conditional probability

      c_h(e) = sum_{m heralded by h, e in m} q_m / P(h),    P(h) = sum_{m heralded by h} q_m.

  For an erasure that fully randomises a syndrome bit this gives c ≈ 1/2.
* **Shot without fired heralds**: the heralded mechanisms did not happen, so every edge keeps
  ``q0`` (an edge with ``q0 = 0`` is absent). These shots are decoded in one batch by the base
  graph, which is plain PyMatching on the unheralded part of the DEM.
* **Shot with fired heralds F**: each edge conditioned on a fired herald h gets
  ``p = q0 ⊕ c_h(e)`` (``a ⊕ b = a(1−b) + b(1−a)``, docs/physics.md §1) and the weight
  ``w = log((1−p)/p)``: ≈ 0 for an erasure, negative if p > 1/2. PyMatching 2.4 has no per-shot
  weights, so instead of rebuilding a graph per shot (≈ 100× slower than matching), all such
  shots are decoded in one batch on a static *gadget graph*: the base graph plus, per (h, e), a
  path ``u – a – b – v`` through two extra nodes with weights ``(W+w)/2, W, (W+w)/2``. The
  shot's herald bits become detection events on a and b, so the matching pays W either way and
  ``w`` more exactly when it flips e; when h did not fire, flipping e through the gadget costs
  ``2W + w`` (W = ``barrier_weight`` ≥ 200, i.e. an absent edge). The result equals matching with
  the reweighted graph (up to PyMatching's weight discretisation, 2^24 levels) whenever each edge
  is conditioned by at most one fired herald in the shot; when two fired heralds condition the
  same edge, their parallel gadgets approximate ``q0 ⊕ c_1 ⊕ c_2`` by the cheapest path.

Cost (issue 15, ``benchmarks/bench_decoders.py``): the gadget events are prepared at byte level
from precomputed (herald → gadget byte, bit mask) tables, a few per cent of the run. What
remains is PyMatching's own work on the two extra events per fired herald: on loud shots the
gadget graph decodes in ≈ 1.6–2× the time of plain PyMatching, independent of W (measured for
W = 50, 100, 200 with the same weight discretisation), so on circuits where nearly every shot
carries a herald the decoder stays ≈ 1.6× plain PyMatching. For an erasure (w = 0) a fired
gadget's regions reach the ordinary regions at u and v no later than they meet each other, and
the alternating trees PyMatching grows there take about a quarter of the gadget graph's time;
sides long enough to avoid them make the erased edge dearer than an ordinary one, which discards
the erasure information (``benchmarks/bench_gadget.py``, docs/speed_sampling.md). A graph with
fewer events (one node per gadget, shared gadgets) is not equivalent in general and would change
predictions; so would per-shot reweighted graphs (PyMatching discretises weights relative to the
graph's largest one, and breaks ties by its flooding order). What is exact, and done: each distinct syndrome is
decoded once, within a batch and across the batches a compiled decoder is given
(:class:`~catcode.syndrome_memo.SyndromeMemo`, keyed by the shot's detection events, heralds
included). Low-noise circuits repeat a few syndromes: of 10⁶ Ocelot d = 5 shots (n̄ = 1.5, 5
rounds) 2.4·10⁵ are distinct, which brings that circuit to about plain PyMatching's time in
sinter-sized batches. Where syndromes do not repeat (the d = 15 chain) the memo switches itself
off after 2¹³ shots, and a batch is only deduplicated when a sample of it shows repeats.

Herald bits themselves are removed from the syndrome before matching. When the DEM has no herald
detectors the decoder *is* PyMatching on the full DEM, so predictions agree shot by shot with
sinter's ``"pymatching"``. A second registered decoder, ``"pymatching_ignore_heralds"``, decodes
the same graph with every mechanism at its marginal probability and the heralds discarded (a
decoder that knows erasure rates but not which erasure happened): the fair baseline.

This is the erasure-conversion decoding of Wu, Kolkowitz, Puri & Thompson, Nat. Commun. 13, 4657
(2022) and Kubica et al., PRX 13, 041022 (2023), applied per shot as the Ocelot decoder used its
transmon erasure flags in matching (Putterman et al., Nature 638, 927 (2025); docs/physics.md §5).

Limitations (documented model choices): a mechanism carrying two or more heralds is rejected
(no herald convention produces one); a heralded edge whose observables differ between mechanisms
keeps those of its most probable contribution; a heralded mechanism that flips only observables
(no ordinary detector) cannot be matched and is ignored, as PyMatching ignores such mechanisms.

Example:
    >>> import stim
    >>> dem = stim.DetectorErrorModel('''
    ...     error(0.01) D0 D1
    ...     error(0.05) D2
    ...     error(0.05) D2 ^ D0 D1 L0
    ...     detector(0, 0, 0) D0
    ...     detector(1, 0, 0) D1
    ...     detector(0, 0, 0, 1) D2
    ... ''')
    >>> model = erasure_model(dem)
    >>> model.heralds
    (2,)
    >>> model.herald_edges[2]
    (HeraldedEdge(node1=0, node2=1, probability=0.5, observables=(0,)),)
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import sinter
import stim

from catcode.errors import CatcodeError, require_bool, require_instance
from catcode.heralds import HERALD_FLAG, is_herald  # noqa: F401 (HERALD_FLAG: public here too)
from catcode.syndrome_memo import SyndromeMemo, distinct_rows

if TYPE_CHECKING:  # imported where used: `catcode collect`'s driver never needs it (0.5 s)
    import pymatching

__all__ = [
    "CUSTOM_DECODERS",
    "ErasureMatchingCompiledDecoder",
    "ErasureMatchingDecoder",
    "ErasureModel",
    "HeraldedEdge",
    "erasure_model",
    "herald_detectors",
    "sinter_decoders",
    "default_decoder",
    "resolve_decoder_name",
]

_P_MAX = 1.0 - 1e-15  # keep log((1-p)/p) finite for a certain flip


def herald_detectors(dem: stim.DetectorErrorModel) -> tuple[int, ...]:
    """Indices of the herald detectors of ``dem``: exactly 4 coordinates, the 4th equal to 1.

    >>> herald_detectors(stim.DetectorErrorModel('detector(0,0,0) D0\\ndetector(0,0,0,1) D1'))
    (1,)
    """
    coords = dem.get_detector_coordinates()
    return tuple(
        sorted(k for k, c in coords.items() if is_herald(c))
    )


@dataclass(frozen=True)
class HeraldedEdge:
    """A matching-graph edge that a herald conditions.

    ``node2`` is None for a boundary edge. ``probability`` is c_h(e), the chance that the edge
    flipped given that its herald fired (module docstring).
    """

    node1: int
    node2: int | None
    probability: float
    observables: tuple[int, ...]


@dataclass(frozen=True)
class ErasureModel:
    """The herald structure of a DEM, split for erasure-aware matching (see module docstring).

    Attributes:
        num_detectors, num_observables: of the source DEM.
        heralds: herald detector indices, sorted.
        herald_probability: P(h) for each herald (sum of its disjoint mechanisms).
        herald_edges: for each herald, its conditioned edges with c_h(e).
        base_dem: the unheralded mechanisms only (the no-herald graph).
        blind_dem: every mechanism with heralds dropped, at its marginal probability.
    """

    num_detectors: int
    num_observables: int
    heralds: tuple[int, ...]
    herald_probability: dict[int, float]
    herald_edges: dict[int, tuple[HeraldedEdge, ...]]
    base_dem: stim.DetectorErrorModel
    blind_dem: stim.DetectorErrorModel


def _split_components(targets: list[stim.DemTarget]) -> list[tuple[list[int], list[int]]]:
    comps: list[tuple[list[int], list[int]]] = [([], [])]
    for t in targets:
        if t.is_separator():
            comps.append(([], []))
        elif t.is_relative_detector_id():
            comps[-1][0].append(t.val)
        elif t.is_logical_observable_id():
            comps[-1][1].append(t.val)
    return comps


def _edges_of_heralded(
    comps: list[tuple[list[int], list[int]]], herald_set: set[int], text: str
) -> list[_Part]:
    """Ordinary-detector edges left by a heralded mechanism once its heralds are dropped."""
    total_dets: set[int] = set()
    total_obs: set[int] = set()
    reduced = []
    for dets, obs in comps:
        d = {x for x in dets if x not in herald_set}
        total_dets ^= d
        total_obs ^= set(obs)
        reduced.append((d, set(obs)))
    if len(total_dets) <= 2:
        parts = [(total_dets, total_obs)] if total_dets else []
    else:
        parts = []
        for d, o in reduced:
            if len(d) > 2 or (not d and o):
                raise CatcodeError(
                    "erasure-aware matching needs graphlike heralded mechanisms (at most 2 "
                    "ordinary detectors per decomposed component, once heralds are dropped); "
                    f"got {text!r}. Decompose the DEM (decompose_errors=True) or make the "
                    "circuit's heralded errors graphlike"
                )
            if d:
                parts.append((d, o))
    out = []
    for d, o in parts:
        nodes = sorted(d)
        key = (nodes[0], nodes[1] if len(nodes) == 2 else None)
        out.append((key, tuple(sorted(o))))
    return out


_Part = tuple[tuple[int, int | None], tuple[int, ...]]  # ((node1, node2 or None), observables)


def _error_targets(parts: list[_Part]) -> list[stim.DemTarget]:
    targets: list[stim.DemTarget] = []
    for (a, b), obs in parts:
        if targets:
            targets.append(stim.target_separator())
        targets.append(stim.target_relative_detector_id(a))
        if b is not None:
            targets.append(stim.target_relative_detector_id(b))
        targets.extend(stim.target_logical_observable_id(o) for o in obs)
    return targets


def erasure_model(dem: stim.DetectorErrorModel) -> ErasureModel:
    """Split ``dem`` into its unheralded graph and per-herald conditioned edges.

    Raises CatcodeError for a mechanism carrying two heralds or a heralded mechanism that is not
    graphlike after its heralds are dropped.
    """
    require_instance("dem", dem, stim.DetectorErrorModel, expected="a stim.DetectorErrorModel")
    heralds = herald_detectors(dem)
    herald_set = set(heralds)
    flat = dem.flattened()
    base = stim.DetectorErrorModel()
    blind = stim.DetectorErrorModel()
    p_herald: dict[int, float] = {h: 0.0 for h in heralds}
    # (herald, edge key) -> observables -> summed probability
    acc: dict[tuple[int, tuple[int, int | None]], dict[tuple[int, ...], float]] = defaultdict(
        lambda: defaultdict(float)
    )
    for inst in flat:
        if inst.type != "error":
            base.append(inst)
            blind.append(inst)
            continue
        targets = inst.targets_copy()
        fired = {t.val for t in targets if t.is_relative_detector_id() and t.val in herald_set}
        if not fired:
            base.append(inst)
            blind.append(inst)
            continue
        q = inst.args_copy()[0]
        parts = _edges_of_heralded(_split_components(targets), herald_set, str(inst))
        if parts:
            blind.append("error", [q], _error_targets(parts))
        if len(fired) > 1:
            raise CatcodeError(
                "each error mechanism may carry at most one herald detector (4 coordinates, "
                f"4th = 1); got {len(fired)} heralds {sorted(fired)} in {str(inst)!r}"
            )
        (h,) = fired
        p_herald[h] += q
        for key, obs in parts:
            acc[(h, key)][obs] += q
    for out in (base, blind):  # keep every detector and observable index of the source
        if out.num_detectors < dem.num_detectors:
            out.append("detector", [], [stim.target_relative_detector_id(dem.num_detectors - 1)])
        if out.num_observables < dem.num_observables:
            last = stim.target_logical_observable_id(dem.num_observables - 1)
            out.append("logical_observable", [], [last])
    per_herald: dict[int, list[HeraldedEdge]] = {h: [] for h in heralds}
    for (h, key), by_obs in acc.items():
        total = sum(by_obs.values())
        obs = max(by_obs, key=lambda o: by_obs[o])
        c = min(1.0, total / p_herald[h]) if p_herald[h] > 0 else 0.0
        if c > 0:
            per_herald[h].append(HeraldedEdge(key[0], key[1], c, obs))
    return ErasureModel(
        num_detectors=dem.num_detectors,
        num_observables=dem.num_observables,
        heralds=heralds,
        herald_probability=p_herald,
        herald_edges={h: tuple(v) for h, v in per_herald.items()},
        base_dem=base,
        blind_dem=blind,
    )


def bit_packed_events(data: object, num_detectors: int) -> np.ndarray:
    """``data`` as bit-packed detection events, a ``(shots, ceil(num_detectors / 8))`` uint8 array.

    Raises CatcodeError naming the expected shape otherwise (every sinter decoder of catcode).

    >>> bit_packed_events(np.zeros((2, 1), dtype=np.uint8), 3).shape
    (2, 1)
    """
    dets = np.asarray(data)
    if dets.dtype != np.uint8:  # integers within 0..255 are bytes too; anything else is refused, not wrapped
        integers = dets.dtype.kind in "iu"
        if not (integers or dets.dtype.kind == "b") or (integers and dets.size and (dets.min() < 0 or dets.max() > 255)):
            got = f"{dets.dtype} values outside 0..255" if integers else str(dets.dtype)
            raise CatcodeError(f"detection events must be bit-packed bytes (uint8, as sinter passes them); got {got}")
        dets = dets.astype(np.uint8)
    width = -(-num_detectors // 8)
    if dets.ndim != 2 or dets.shape[1] != width:
        raise CatcodeError(f"detection events must have shape (shots, {width}) (bit-packed {num_detectors} "
                           f"detectors); got {dets.shape}")
    return dets


def _xor(a: float, b: float) -> float:
    """Two independent flips compose to a(1−b) + b(1−a) (docs/physics.md §1)."""
    return a * (1.0 - b) + b * (1.0 - a)


def _llr(p: float) -> float:
    p = min(max(p, 1e-300), _P_MAX)
    return math.log1p(-p) - math.log(p)


def _matching(dem: stim.DetectorErrorModel, num_observables: int) -> pymatching.Matching:
    import pymatching

    m = pymatching.Matching.from_detector_error_model(dem)
    if m.num_fault_ids < num_observables:
        m.ensure_num_fault_ids(num_observables)
    return m


_POPCOUNT = np.asarray([bin(k).count("1") for k in range(256)], dtype=np.int64)


@dataclass(frozen=True)
class _GadgetTable:
    """Which gadget-node bytes a fired herald sets, for byte-level event preparation.

    Gadget g (in gadget_graph order) owns the bits 2g and 2g+1 of the extra bytes that follow
    the detector bytes. For detector index k (a herald), ``start[k]:start[k+1]`` indexes the
    (byte, value) pairs that its firing ORs into the extra bytes.
    """

    start: np.ndarray
    byte: np.ndarray
    value: np.ndarray
    num_bytes: int

    @staticmethod
    def build(gadget_heralds: list[int], num_det_bits: int) -> _GadgetTable:
        by_herald: dict[int, dict[int, int]] = defaultdict(dict)
        for g, h in enumerate(gadget_heralds):
            for bit in (2 * g, 2 * g + 1):
                pairs = by_herald[h]
                pairs[bit // 8] = pairs.get(bit // 8, 0) | (1 << (bit % 8))
        counts = np.zeros(num_det_bits + 1, dtype=np.int64)
        byte, value = [], []
        for h in sorted(by_herald):
            counts[h + 1] = len(by_herald[h])
            for b, v in sorted(by_herald[h].items()):
                byte.append(b)
                value.append(v)
        return _GadgetTable(
            start=np.cumsum(counts),
            byte=np.asarray(byte, dtype=np.int64),
            value=np.asarray(value, dtype=np.uint8),
            num_bytes=-(-2 * len(gadget_heralds) // 8),
        )

    def expand(
        self, rows: np.ndarray, det_cols: np.ndarray, det_bytes: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(row, extra byte, value) triples set by the fired herald bits in ``det_bytes``.

        ``rows``, ``det_cols``, ``det_bytes``: one entry per nonzero herald byte of a shot.
        """
        bits = np.unpackbits(det_bytes[:, None], axis=1, bitorder="little")
        pair, bit = np.nonzero(bits)
        herald = det_cols[pair] * 8 + bit
        first, stop = self.start[herald], self.start[herald + 1]
        sizes = stop - first
        idx = np.repeat(first - np.cumsum(sizes) + sizes, sizes) + np.arange(sizes.sum())
        return np.repeat(rows[pair], sizes), self.byte[idx], self.value[idx]


class ErasureMatchingCompiledDecoder(sinter.CompiledDecoder):
    """Erasure-aware matching configured for one DEM (see the module docstring for the model).

    Shots without a fired herald go to the base graph (PyMatching on the unheralded mechanisms)
    in one batch; shots with fired heralds go, also in one batch, to the gadget graph, whose extra
    detection events are set from the shot's herald bits.
    """

    def __init__(self, dem: stim.DetectorErrorModel, *, use_heralds: bool = True) -> None:
        self.model = erasure_model(dem)
        self.use_heralds = require_bool("use_heralds", use_heralds)
        m = self.model
        self._num_obs_bytes = -(-m.num_observables // 8)
        self._num_det_bytes = -(-m.num_detectors // 8)
        if not m.heralds:
            self._base = _matching(dem, m.num_observables)  # identical to sinter's "pymatching"
        else:
            graph_dem = m.base_dem if self.use_heralds else m.blind_dem
            self._base = _matching(graph_dem, m.num_observables)
        mask = np.zeros(self._num_det_bytes, dtype=np.uint8)
        for h in m.heralds:
            mask[h // 8] |= np.uint8(1 << (h % 8))
        self._ordinary_byte_mask = ~mask  # herald bits are removed before matching
        self._herald_cols = np.flatnonzero(mask)  # detector bytes holding at least one herald
        self._herald_col_mask = mask[self._herald_cols]
        self._gadget_graph: pymatching.Matching | None = None
        self.memo = SyndromeMemo(self._num_det_bytes, self._num_obs_bytes)  # of decode_shots_bit_packed
        self._gadget_table: _GadgetTable | None = None
        self.barrier_weight = 0.0  # W of the gadgets, set when gadget_graph() is built

    # -- gadget graph ---------------------------------------------------------------------
    def gadget_graph(self) -> pymatching.Matching:
        """The static graph used for shots with fired heralds (built on first use).

        For each herald h and edge e = (u, v) it conditions, two extra nodes a, b (numbered from
        the first multiple of 8 at or above num_detectors, two per gadget) and the path
        u – a – b – v with weights w1 = w3 = (W + w)/2 on u–a (carrying e's observables) and b–v,
        and W on a–b, where w = log((1−p)/p) with p = q0(e) ⊕ c_h(e) and W = barrier_weight.
        When h fires, a and b get detection events: the matching pays either W (a–b, e not
        flipped) or W + w (u–a and b–v, e flipped), i.e. e costs w; when h did not fire,
        flipping e through the gadget costs 2W + w (≥ 200: an absent edge).
        """
        if self._gadget_graph is not None:
            return self._gadget_graph
        m = self.model
        graph = _matching(m.base_dem, m.num_observables)
        q0: dict[tuple[int, int | None], float] = {}
        for u, v, data in graph.edges():
            key = (min(u, v), max(u, v)) if v is not None else (u, None)
            p = float(data.get("error_probability", -1.0))
            q0[key] = p if 0.0 <= p <= 1.0 else 1.0 / (1.0 + math.exp(data["weight"]))
        gadgets = []
        for pos, h in enumerate(m.heralds):
            for e in m.herald_edges[h]:
                p = _xor(q0.get((e.node1, e.node2), 0.0), e.probability)
                gadgets.append((pos, e, _llr(p)))
        self.barrier_weight = 200.0 + 2.0 * max((abs(w) for _, _, w in gadgets), default=0.0)
        big = self.barrier_weight
        first = 8 * self._num_det_bytes
        for g, (_, e, w) in enumerate(gadgets):
            a, b = first + 2 * g, first + 2 * g + 1
            side = (big + w) / 2.0
            obs = set(e.observables)
            graph.add_edge(e.node1, a, fault_ids=obs, weight=side, error_probability=-1.0)
            graph.add_edge(a, b, fault_ids=set(), weight=big, error_probability=-1.0)
            if e.node2 is None:
                graph.add_boundary_edge(b, fault_ids=set(), weight=side, error_probability=-1.0)
            else:
                graph.add_edge(b, e.node2, fault_ids=set(), weight=side, error_probability=-1.0)
        self._gadget_table = _GadgetTable.build(
            [m.heralds[pos] for pos, _, _ in gadgets], 8 * self._num_det_bytes
        )
        self._gadget_graph = graph
        return graph

    # -- sinter interface -----------------------------------------------------------------
    def decode_shots_bit_packed(self, *, bit_packed_detection_event_data: np.ndarray) -> np.ndarray:
        """Predict observable flips for bit-packed shots (sinter.CompiledDecoder interface).

        Syndromes seen in earlier calls are answered from :attr:`memo` (the same predictions).
        """
        dets = bit_packed_events(bit_packed_detection_event_data, self.model.num_detectors)
        return self.memo.decode(dets, lambda rows: self._run(rows, want_weights=False)[0])

    def decode_shots_with_weights(
        self, bit_packed_detection_event_data: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Bit-packed predictions and the weight of each shot's matching in its reweighted graph.

        The weight is that of the minimum-weight solution in the graph the shot is decoded with
        (gadget offsets removed), i.e. −log of the solution's likelihood ratio under the model.
        """
        pred, weights = self._run(bit_packed_detection_event_data, want_weights=True)
        assert weights is not None
        return pred, weights

    def _run(self, data: np.ndarray, *, want_weights: bool) -> tuple[np.ndarray, np.ndarray | None]:
        dets = bit_packed_events(data, self.model.num_detectors)
        n = dets.shape[0]
        out = np.zeros((n, self._num_obs_bytes), dtype=np.uint8)
        weights = np.zeros(n, dtype=np.float64) if want_weights else None
        if n == 0 or self.model.num_detectors == 0:
            return out, weights
        if not self.model.heralds:
            return self._decode(self._base, dets, want_weights)
        keep = self._ordinary_byte_mask
        if not self.use_heralds:
            return self._decode(self._base, dets & keep, want_weights)
        herald_bytes, loud = self._fired_heralds(dets)
        if not loud.all():
            quiet = ~loud
            pred, w = self._decode(self._base, dets[quiet] & keep, want_weights)
            out[quiet] = pred
            if weights is not None:
                weights[quiet] = w
        if not loud.any():
            return out, weights
        graph = self.gadget_graph()
        events, fired_rows, values = self._gadget_events(dets[loud], herald_bytes[loud])
        pred, w = self._decode(graph, events, want_weights)
        out[loud] = pred
        if weights is not None:
            # every fired gadget pays the barrier W once (a–b, or u–a and b–v with W + w)
            nodes = np.bincount(fired_rows, weights=_POPCOUNT[values], minlength=events.shape[0])
            weights[loud] = w - self.barrier_weight * nodes / 2
        return out, weights

    def gadget_events(self, bit_packed_detection_event_data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(loud, events)``: the shots with a fired herald, and their events on :meth:`gadget_graph`.

        ``events`` has a bit-packed row per loud shot: its ordinary detection events (herald bits
        cleared) followed by the bytes of the gadget nodes, with both nodes of every gadget of each
        fired herald set. Decoding them with :meth:`gadget_graph` gives this decoder's predictions
        for those shots (``benchmarks/bench_gadget.py`` times it that way).

        >>> dem = stim.DetectorErrorModel('''
        ...     error(0.01) D0 D1
        ...     error(0.05) D2 ^ D0 D1 L0
        ...     detector(0, 0, 0) D0
        ...     detector(1, 0, 0) D1
        ...     detector(0, 0, 0, 1) D2
        ... ''')
        >>> shots = np.array([[0b100], [0b011]], dtype=np.uint8)  # herald D2 fired; D0 and D1 fired
        >>> loud, events = ErasureMatchingCompiledDecoder(dem).gadget_events(shots)
        >>> loud.tolist(), events.tolist()  # herald bit cleared; both nodes of the one gadget set
        ([True, False], [[0, 3]])
        """
        dets = bit_packed_events(bit_packed_detection_event_data, self.model.num_detectors)
        if not self.model.heralds:
            return np.zeros(dets.shape[0], dtype=bool), np.zeros((0, dets.shape[1]), dtype=np.uint8)
        self.gadget_graph()
        herald_bytes, loud = self._fired_heralds(dets)
        return loud, self._gadget_events(dets[loud], herald_bytes[loud])[0]

    def _fired_heralds(self, dets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each shot's bytes holding herald bits (other bits cleared), and whether any is set."""
        herald_bytes = dets[:, self._herald_cols] & self._herald_col_mask
        return herald_bytes, herald_bytes.any(axis=1)

    def _gadget_events(
        self, loud_dets: np.ndarray, loud_bytes: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Gadget-graph events of loud shots (``loud_bytes``: their herald bytes), and the row and
        value of every gadget byte set."""
        table = self._gadget_table
        assert table is not None  # built by gadget_graph()
        rows, cols = np.nonzero(loud_bytes)  # (loud shot, herald byte) holding a fired herald
        events = np.zeros((loud_dets.shape[0], self._num_det_bytes + table.num_bytes), dtype=np.uint8)
        events[:, : self._num_det_bytes] = loud_dets
        events[:, : self._num_det_bytes] &= self._ordinary_byte_mask
        fired_rows, fired_gadget_bytes, values = table.expand(
            rows, self._herald_cols[cols], loud_bytes[rows, cols]
        )
        flat = events.reshape(-1)
        np.bitwise_or.at(
            flat, fired_rows * events.shape[1] + self._num_det_bytes + fired_gadget_bytes, values
        )
        return events, fired_rows, values

    def _decode(
        self, matching: pymatching.Matching, dets: np.ndarray, want_weights: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        rows = np.ascontiguousarray(dets)
        repeated = distinct_rows(rows)
        if repeated is not None:  # decode each distinct syndrome once (exact: matching is per shot)
            unique, inverse = repeated
            pred, weights = self._decode_rows(matching, unique, want_weights)
            return pred[inverse], (None if weights is None else np.asarray(weights)[inverse])
        return self._decode_rows(matching, rows, want_weights)

    def _decode_rows(
        self, matching: pymatching.Matching, dets: np.ndarray, want_weights: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        result = matching.decode_batch(
            np.ascontiguousarray(dets),
            bit_packed_shots=True,
            bit_packed_predictions=True,
            return_weights=want_weights,
        )
        pred, weights = result if want_weights else (result, None)
        pred = np.asarray(pred, dtype=np.uint8).reshape(dets.shape[0], -1)
        if pred.shape[1] != self._num_obs_bytes:
            fixed = np.zeros((dets.shape[0], self._num_obs_bytes), dtype=np.uint8)
            k = min(pred.shape[1], self._num_obs_bytes)
            fixed[:, :k] = pred[:, :k]
            pred = fixed
        return pred, weights


class ErasureMatchingDecoder(sinter.Decoder):
    """Sinter decoder: PyMatching whose graph is reweighted per shot by its fired heralds.

    ``use_heralds=False`` gives the herald-blind baseline (every mechanism at its marginal
    probability, heralds discarded). Picklable, as sinter requires.

    >>> import sinter
    >>> isinstance(ErasureMatchingDecoder(), sinter.Decoder)
    True
    """

    def __init__(self, use_heralds: bool = True) -> None:
        self.use_heralds = require_bool("use_heralds", use_heralds)

    def compile_decoder_for_dem(
        self, *, dem: stim.DetectorErrorModel
    ) -> ErasureMatchingCompiledDecoder:
        """Configure the decoder for ``dem`` (sinter.Decoder interface)."""
        return ErasureMatchingCompiledDecoder(dem, use_heralds=self.use_heralds)

    def __repr__(self) -> str:
        return f"ErasureMatchingDecoder(use_heralds={self.use_heralds})"


class CorrelatedMatchingDecoder(sinter.Decoder):
    """PyMatching's correlated matching (PyMatching >= 2.3, ``enable_correlations=True``).

    Matching that reweights edges correlated through the hyperedges of the decomposed DEM
    (Y-type faults, two-qubit channels). Heralds are decoded as ordinary detectors, as sinter's
    ``"pymatching"`` does. On biased cat noise it gains little (docs/reproductions.md §4).

    >>> isinstance(CorrelatedMatchingDecoder(), sinter.Decoder)
    True
    """

    def compile_decoder_for_dem(self, *, dem: stim.DetectorErrorModel) -> sinter.CompiledDecoder:
        """Configure the decoder for ``dem`` (sinter.Decoder interface)."""
        import pymatching

        matching = pymatching.Matching.from_detector_error_model(dem, enable_correlations=True)
        return _CorrelatedMatchingCompiled(matching, dem.num_detectors)

    def __repr__(self) -> str:
        return "CorrelatedMatchingDecoder()"


class _CorrelatedMatchingCompiled(sinter.CompiledDecoder):
    """Correlated matching of one DEM; syndromes seen in earlier calls come from :attr:`memo`."""

    def __init__(self, matching: pymatching.Matching, num_detectors: int) -> None:
        self.matching = matching
        self.num_detectors = num_detectors
        width = -(-num_detectors // 8)
        out_width = self._decode(np.zeros((0, width), dtype=np.uint8)).shape[1]
        self.memo = SyndromeMemo(width, out_width)

    def _decode(self, rows: np.ndarray) -> np.ndarray:
        pred = self.matching.decode_batch(rows, bit_packed_shots=True, bit_packed_predictions=True,
                                          enable_correlations=True)
        return np.asarray(pred, dtype=np.uint8)  # (shots, bytes) even for no shots

    def decode_shots_bit_packed(self, *, bit_packed_detection_event_data: np.ndarray) -> np.ndarray:
        """Predict observable flips for bit-packed shots (sinter.CompiledDecoder interface)."""
        dets = bit_packed_events(bit_packed_detection_event_data, self.num_detectors)
        return self.memo.decode(dets, self._decode)


#: Custom decoders to pass to ``sinter.collect(custom_decoders=...)``.
CUSTOM_DECODERS: dict[str, sinter.Decoder] = {
    "pymatching_erasure": ErasureMatchingDecoder(),
    "pymatching_ignore_heralds": ErasureMatchingDecoder(use_heralds=False),
    "pymatching_correlated": CorrelatedMatchingDecoder(),
}


def sinter_decoders() -> dict[str, sinter.Decoder]:
    """A fresh copy of :data:`CUSTOM_DECODERS` for ``sinter.collect(custom_decoders=...)``.

    >>> sorted(sinter_decoders())
    ['bposd', 'pymatching_correlated', 'pymatching_erasure', 'pymatching_ignore_heralds']
    """
    from catcode.bposd import BpOsdSinterDecoder  # BP+OSD (ldpc v2) for LDPC-cat and other non-matchable DEMs

    return {**CUSTOM_DECODERS, "bposd": BpOsdSinterDecoder()}


#: Decoder name meaning "the default rule of :func:`default_decoder`" in the CLI and sweeps.
AUTO_DECODER = "auto"


def default_decoder(circuit_or_dem: stim.Circuit | stim.DetectorErrorModel) -> str:
    """The one default-decoder rule: ``pymatching_erasure`` if there are herald detectors, else ``pymatching``.

    Used by ``catcode collect``, ``estimate``, ``overhead`` and :class:`catcode.sweep.Sweep`
    whenever the decoder is ``"auto"`` (their default); plain ``"pymatching"`` stays available by name.

    >>> default_decoder(stim.Circuit('M 0\\nDETECTOR(0, 0, 0, 1) rec[-1]'))
    'pymatching_erasure'
    >>> default_decoder(stim.Circuit('M 0\\nDETECTOR(0, 0, 0) rec[-1]'))
    'pymatching'
    """
    require_instance("circuit_or_dem", circuit_or_dem, (stim.Circuit, stim.DetectorErrorModel),
                     expected="a stim.Circuit or stim.DetectorErrorModel")
    coords = circuit_or_dem.get_detector_coordinates()  # after all SHIFT_COORDS, for both types
    return "pymatching_erasure" if any(is_herald(c) for c in coords.values()) else "pymatching"


def resolve_decoder_name(name: str, circuit: stim.Circuit) -> str:
    """``name`` itself, or :func:`default_decoder` of ``circuit`` when ``name`` is ``"auto"``.

    >>> resolve_decoder_name("auto", stim.Circuit()), resolve_decoder_name("pymatching_erasure", stim.Circuit())
    ('pymatching', 'pymatching_erasure')
    """
    return default_decoder(circuit) if name == AUTO_DECODER else name
