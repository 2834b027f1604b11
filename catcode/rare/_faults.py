"""A detector error model as a list of independent fault mechanisms, ready for vectorised sampling.

Stim's detector error model (DEM) of a circuit is a set of independent mechanisms ``i`` that each
fire with probability ``p_i`` and then flip a fixed set of detectors and logical observables
(Gidney, Quantum 5, 497 (2021), "Stim", section on detector error models). Every quantity the
rare-event estimator needs is a function of that list: the fault-count distribution, the
syndrome and observable flips of a fault set (XOR of the mechanisms' rows), and the decoder's
verdict on that syndrome.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import math

import numpy as np
import stim

from catcode.errors import CatcodeError, require_instance, require_positive
from catcode.rare._dem_text import parse_error_lines


def detector_error_model_of(circuit_or_dem: stim.Circuit | stim.DetectorErrorModel) -> stim.DetectorErrorModel:
    """The flattened DEM that sinter would decode: ``decompose_errors=True, approximate_disjoint_errors=True``.

    >>> c = stim.Circuit.generated("repetition_code:memory", distance=3, rounds=2,
    ...                            before_round_data_depolarization=0.01)
    >>> detector_error_model_of(c).num_detectors
    6
    """
    if isinstance(circuit_or_dem, stim.DetectorErrorModel):
        return circuit_or_dem.flattened()
    if isinstance(circuit_or_dem, stim.Circuit):
        try:
            dem = circuit_or_dem.detector_error_model(
                decompose_errors=True, approximate_disjoint_errors=True
            )
        except ValueError as exc:
            raise CatcodeError(
                "circuit must have a detector error model decomposable into graphlike errors "
                f"(stim refused: {exc})"
            ) from None
        return dem.flattened()
    raise CatcodeError(
        f"circuit_or_dem must be a stim.Circuit or stim.DetectorErrorModel; got {type(circuit_or_dem).__name__}"
    )


def circuit_sha256(circuit_or_dem: stim.Circuit | stim.DetectorErrorModel) -> str:
    """sha256 hex digest of a circuit's (or DEM's) canonical Stim text: the circuit alone.

    Not sinter's strong id (which also covers the decoder and metadata): see
    :func:`catcode.rare.task_strong_id`.

    >>> circuit_sha256(stim.Circuit("H 0\\nM 0"))[:12]
    'cce71cf2d32c'
    """
    if not isinstance(circuit_or_dem, (stim.Circuit, stim.DetectorErrorModel)):
        raise CatcodeError(
            f"circuit_sha256 needs a stim.Circuit or stim.DetectorErrorModel; got {type(circuit_or_dem).__name__}"
        )
    return hashlib.sha256(str(circuit_or_dem).encode("utf-8")).hexdigest()


def strong_id(circuit_or_dem: stim.Circuit | stim.DetectorErrorModel) -> str:
    """Former name of :func:`circuit_sha256`, kept for compatibility (it is NOT sinter's strong id).

    >>> strong_id(stim.Circuit("H 0\\nM 0")) == circuit_sha256(stim.Circuit("H 0\\nM 0"))
    True
    """
    return circuit_sha256(circuit_or_dem)


def task_strong_id(circuit: stim.Circuit, decoder: str, json_metadata: object = None) -> str:
    """sinter's ``Task.strong_id``: circuit, its DEM (as sinter builds it), decoder and json metadata.

    >>> c = stim.Circuit("X_ERROR(0.1) 0\\nM 0\\nDETECTOR rec[-1]")
    >>> task_strong_id(c, "pymatching", {"d": 1}) != task_strong_id(c, "pymatching", {"d": 2})
    True
    """
    import sinter

    dem = circuit.detector_error_model(decompose_errors=True, approximate_disjoint_errors=True)
    return sinter.Task(circuit=circuit, detector_error_model=dem, decoder=decoder,
                       json_metadata=json_metadata).strong_id()


def scale_fault_probabilities(
    circuit_or_dem: stim.Circuit | stim.DetectorErrorModel, s: float
) -> stim.DetectorErrorModel:
    """A flattened copy of the DEM with every mechanism's probability multiplied by ``s``.

    Used for leading-order checks: a decoder whose smallest failing fault set has ``t`` faults
    has a logical error rate that scales as ``s**t`` for small ``s``.
    Raises CatcodeError if a scaled probability would exceed 1/2 (mechanisms above 1/2 are not
    meaningful error channels).

    >>> dem = stim.DetectorErrorModel("error(0.1) D0 L0\\nerror(0.02) D0 D1")
    >>> [round(e.args_copy()[0], 12) for e in scale_fault_probabilities(dem, 0.5)]
    [0.05, 0.01]
    """
    s = require_positive("s", s)
    dem = detector_error_model_of(circuit_or_dem)
    out = stim.DetectorErrorModel()
    for inst in dem:
        if inst.type == "error":
            p = inst.args_copy()[0] * s
            if p > 0.5:
                raise CatcodeError(
                    f"s={s} scales a fault probability {inst.args_copy()[0]} to {p}; "
                    "scaled probabilities must stay in [0, 0.5]"
                )
            out.append(stim.DemInstruction("error", [p], inst.targets_copy(), tag=inst.tag))
        else:
            out.append(inst)
    return out


@dataclasses.dataclass(frozen=True)
class Component:
    """One graphlike piece of a decomposed mechanism: its detectors (1 or 2, sorted) and observables."""

    detectors: tuple[int, ...]
    observables: frozenset[int]


@dataclasses.dataclass(frozen=True, eq=False)
class FaultModel:
    """Independent fault mechanisms of a DEM, split into the ones a decoder sees and the rest.

    Attributes:
        dem: the flattened DEM the decoder is built from.
        p: probability of each *pool* mechanism (mechanisms that flip at least one detector, plus
            detector-free observable flips when there are several observables).
        detectors: packed detector rows, shape (len(p), ceil(num_detectors/8)), little-endian
            bits like stim's bit-packed samples.
        observables: packed observable rows, shape (len(p), ceil(num_observables/8)).
        target_ptr, targets: the targets of pool mechanism ``i`` are
            ``targets[target_ptr[i]:target_ptr[i + 1]]`` in DEM order, encoded as ``D k -> k``,
            ``L k -> -2 - k`` and the ``^`` separator as ``-1`` (a CSR layout; see
            :attr:`detector_lists` and :attr:`components` for the tuple views).
        silent_logical_p: probabilities of detector-free mechanisms that flip the single
            observable; they never reach the decoder, so they are folded in exactly.
        dropped: number of mechanisms with zero probability or no effect at all.
    """

    dem: stim.DetectorErrorModel
    p: np.ndarray
    detectors: np.ndarray
    observables: np.ndarray
    target_ptr: np.ndarray
    targets: np.ndarray
    silent_logical_p: np.ndarray
    dropped: int

    @functools.cached_property
    def num_detectors(self) -> int:
        return self.dem.num_detectors  # cached: stim recounts on every call (ms on large DEMs)

    @functools.cached_property
    def num_observables(self) -> int:
        return self.dem.num_observables

    @property
    def num_mechanisms(self) -> int:
        return len(self.p)

    @property
    def odds(self) -> np.ndarray:
        """``p/(1-p)`` of each pool mechanism: the weight of a fault set is the product of its odds."""
        return self.p / (1.0 - self.p)

    @functools.cached_property
    def detector_csr(self) -> tuple[np.ndarray, np.ndarray]:
        """(indptr, indices): the detectors each pool mechanism flips (odd multiplicity), sorted.

        >>> fm = FaultModel.from_dem(stim.DetectorErrorModel("error(0.1) D2 D0 ^ D2 D1"))
        >>> [a.tolist() for a in fm.detector_csr]
        [[0, 2], [0, 1]]
        """
        rows = np.repeat(np.arange(self.num_mechanisms), np.diff(self.target_ptr))
        keep = self.targets >= 0
        return _odd_pairs(rows[keep], self.targets[keep], self.num_mechanisms, max(self.num_detectors, 1))

    @functools.cached_property
    def detector_lists(self) -> tuple[tuple[int, ...], ...]:
        """The detector indices of each pool mechanism (a tuple view of :attr:`detector_csr`)."""
        ptr, ind = self.detector_csr
        values = ind.tolist()
        return tuple(tuple(values[a:b]) for a, b in zip(ptr[:-1].tolist(), ptr[1:].tolist()))

    @functools.cached_property
    def components(self) -> tuple[tuple[Component, ...], ...]:
        """The graphlike components of each pool mechanism (from the ``^`` separators)."""
        out = []
        values, ptr = self.targets.tolist(), self.target_ptr.tolist()
        for a, b in zip(ptr[:-1], ptr[1:]):
            pieces: list[Component] = []
            dets: set[int] = set()
            obs: set[int] = set()
            for t in values[a:b] + [-1]:
                if t == -1:
                    pieces.append(Component(tuple(sorted(dets)), frozenset(obs)))
                    dets, obs = set(), set()
                elif t >= 0:
                    dets ^= {t}
                else:
                    obs ^= {-2 - t}
            out.append(tuple(pieces))
        return tuple(out)

    def silent_logical_flip_probability(self) -> float:
        """Probability that an odd number of the silent observable-flipping mechanisms fire.

        For independent flips, P(odd) = (1 - prod(1 - 2 p_i)) / 2 (piling-up lemma).
        """
        if len(self.silent_logical_p) == 0:
            return 0.0
        log_prod = float(np.sum(np.log1p(-2.0 * self.silent_logical_p)))
        return -0.5 * math.expm1(log_prod)

    def syndromes(self, fault_sets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Packed detection events and observable flips of fault sets given as index rows.

        Args:
            fault_sets: int array (shots, w) of pool-mechanism indices (distinct within a row).

        >>> fm = FaultModel.from_dem(stim.DetectorErrorModel("error(0.1) D0 L0\\nerror(0.1) D0 D1"))
        >>> dets, obs = fm.syndromes(np.array([[0, 1], [0, 0]]))
        >>> dets[:, 0].tolist(), obs[:, 0].tolist()
        ([2, 0], [1, 0])
        """
        fault_sets = np.asarray(fault_sets)
        n = fault_sets.shape[0]
        dets = np.zeros((n, self.detectors.shape[1]), dtype=np.uint8)
        obs = np.zeros((n, self.observables.shape[1]), dtype=np.uint8)
        for j in range(fault_sets.shape[1] if fault_sets.ndim == 2 else 0):
            col = fault_sets[:, j]
            dets ^= self.detectors[col]
            obs ^= self.observables[col]
        return dets, obs

    @staticmethod
    def from_dem(dem: stim.DetectorErrorModel) -> "FaultModel":
        """Parse a DEM (flattened here) into independent mechanisms, vectorised over its text.

        A detector or observable listed an even number of times in one mechanism (across its
        ``^``-separated components) cancels, as in stim.

        >>> fm = FaultModel.from_dem(stim.DetectorErrorModel("error(0.1) D0 L0\\nerror(0) D1\\nerror(0.2) L0"))
        >>> fm.num_mechanisms, fm.dropped, fm.silent_logical_p.tolist()
        (1, 1, [0.2])
        """
        require_instance("dem", dem, stim.DetectorErrorModel,
                         expected="a stim.DetectorErrorModel (circuit.detector_error_model())")
        dem = dem.flattened()
        num_det, num_obs = dem.num_detectors, dem.num_observables
        p, line_ptr, targets = parse_error_lines(str(dem))
        bad = ~((p >= 0.0) & (p < 1.0))
        if np.any(bad):
            raise CatcodeError(
                f"fault probabilities must lie in [0, 1); got {p[np.argmax(bad)]} in DEM error number {np.argmax(bad)}"
            )
        rows = np.repeat(np.arange(len(p)), np.diff(line_ptr))
        is_det, is_obs = targets >= 0, targets <= -2
        det_ptr, det_ind = _odd_pairs(rows[is_det], targets[is_det], len(p), max(num_det, 1))
        obs_ptr, obs_ind = _odd_pairs(rows[is_obs], -2 - targets[is_obs], len(p), max(num_obs, 1))
        has_det, has_obs = np.diff(det_ptr) > 0, np.diff(obs_ptr) > 0
        dropped = (p == 0.0) | (~has_det & ~has_obs)
        silent = ~dropped & ~has_det & (num_obs == 1)
        pool = ~dropped & ~silent
        index = np.cumsum(pool) - 1  # pool index of each error line
        keep_t = np.repeat(pool, np.diff(line_ptr))
        return FaultModel(
            dem=dem,
            p=p[pool].astype(np.float64),
            detectors=_pack_rows(index, det_ptr, det_ind, pool, num_det),
            observables=_pack_rows(index, obs_ptr, obs_ind, pool, num_obs),
            target_ptr=np.concatenate([[0], np.cumsum(np.diff(line_ptr)[pool])]).astype(np.int64),
            targets=targets[keep_t],
            silent_logical_p=p[silent].astype(np.float64),
            dropped=int(dropped.sum()),
        )


def _odd_pairs(rows: np.ndarray, cols: np.ndarray, num_rows: int, num_cols: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR (indptr, indices) of the (row, col) pairs that occur an odd number of times, cols sorted."""
    key, count = np.unique(rows.astype(np.int64) * num_cols + cols, return_counts=True)
    key = key[count % 2 == 1]
    r = key // num_cols
    ptr = np.concatenate([[0], np.cumsum(np.bincount(r, minlength=num_rows))]).astype(np.int64)
    return ptr, (key % num_cols).astype(np.int64)


def _pack_rows(index: np.ndarray, ptr: np.ndarray, ind: np.ndarray, pool: np.ndarray, num_bits: int) -> np.ndarray:
    """Little-endian bit-packed rows (pool mechanisms only) of a CSR bit matrix."""
    n = int(pool.sum())
    out = np.zeros((n, (num_bits + 7) // 8), dtype=np.uint8)
    if num_bits == 0 or len(ind) == 0:
        return out
    rows = np.repeat(np.arange(len(pool)), np.diff(ptr))
    keep = pool[rows]
    r, c = index[rows[keep]], ind[keep]
    if len(r) == 0:  # no pool mechanism touches any bit
        return out
    flat = r * out.shape[1] + (c >> 3)
    bits = (1 << (c & 7)).astype(np.uint8)
    if len(flat) > 1 and np.any(flat[1:] < flat[:-1]):  # CSR rows with sorted columns are already in order
        order = np.argsort(flat, kind="stable")
        flat, bits = flat[order], bits[order]
    first = np.flatnonzero(np.concatenate([[True], flat[1:] != flat[:-1]]))
    out.reshape(-1)[flat[first]] = np.bitwise_or.reduceat(bits, first)  # (ufunc.at was 0.2 s per call at d=21)
    return out
