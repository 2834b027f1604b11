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

from catcode.errors import CatcodeError, require_positive


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


def strong_id(circuit_or_dem: stim.Circuit | stim.DetectorErrorModel) -> str:
    """Identity of a circuit for result files: sha256 hex digest of its canonical Stim text.

    Unlike sinter's ``strong_id`` it hashes the circuit alone (not the decoder or metadata);
    the CSV rows store the decoder and metadata in their own columns.

    >>> strong_id(stim.Circuit("H 0\\nM 0"))[:12]
    'cce71cf2d32c'
    """
    if not isinstance(circuit_or_dem, (stim.Circuit, stim.DetectorErrorModel)):
        raise CatcodeError(
            f"strong_id needs a stim.Circuit or stim.DetectorErrorModel; got {type(circuit_or_dem).__name__}"
        )
    return hashlib.sha256(str(circuit_or_dem).encode("utf-8")).hexdigest()


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
        detector_lists: the detector indices of each pool mechanism.
        components: the graphlike components of each pool mechanism (from the ``^`` separators).
        silent_logical_p: probabilities of detector-free mechanisms that flip the single
            observable; they never reach the decoder, so they are folded in exactly.
        dropped: number of mechanisms with zero probability or no effect at all.
    """

    dem: stim.DetectorErrorModel
    p: np.ndarray
    detectors: np.ndarray
    observables: np.ndarray
    detector_lists: tuple[tuple[int, ...], ...]
    components: tuple[tuple[Component, ...], ...]
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
        """Parse a DEM (flattened here) into independent mechanisms.

        >>> fm = FaultModel.from_dem(stim.DetectorErrorModel("error(0.1) D0 L0\\nerror(0) D1\\nerror(0.2) L0"))
        >>> fm.num_mechanisms, fm.dropped, fm.silent_logical_p.tolist()
        (1, 1, [0.2])
        """
        dem = dem.flattened()
        num_obs = dem.num_observables
        ps: list[float] = []
        det_lists: list[tuple[int, ...]] = []
        obs_lists: list[tuple[int, ...]] = []
        comps: list[tuple[Component, ...]] = []
        silent: list[float] = []
        dropped = 0
        for inst in dem:
            if inst.type != "error":
                continue
            p = float(inst.args_copy()[0])
            if not (0.0 <= p < 1.0):
                raise CatcodeError(
                    f"fault probabilities must lie in [0, 1); got {p} in DEM instruction {inst}"
                )
            dets: set[int] = set()
            obs: set[int] = set()
            pieces: list[Component] = []
            cur_d: set[int] = set()
            cur_o: set[int] = set()
            for t in list(inst.targets_copy()) + [None]:
                if t is None or t.is_separator():
                    pieces.append(Component(tuple(sorted(cur_d)), frozenset(cur_o)))
                    cur_d, cur_o = set(), set()
                elif t.is_relative_detector_id():
                    dets ^= {t.val}
                    cur_d ^= {t.val}
                elif t.is_logical_observable_id():
                    obs ^= {t.val}
                    cur_o ^= {t.val}
            if p == 0.0 or (not dets and not obs):
                dropped += 1
                continue
            if not dets and num_obs == 1:
                silent.append(p)
                continue
            ps.append(p)
            det_lists.append(tuple(sorted(dets)))
            obs_lists.append(tuple(sorted(obs)))
            comps.append(tuple(pieces))
        n = len(ps)
        det_bits = np.zeros((n, max(dem.num_detectors, 1)), dtype=np.bool_)
        obs_bits = np.zeros((n, max(num_obs, 1)), dtype=np.bool_)
        for i, (ds, os_) in enumerate(zip(det_lists, obs_lists)):
            det_bits[i, list(ds)] = True
            obs_bits[i, list(os_)] = True
        det_packed = np.packbits(det_bits[:, : dem.num_detectors], axis=1, bitorder="little")
        obs_packed = np.packbits(obs_bits[:, :num_obs], axis=1, bitorder="little")
        if det_packed.shape[1] == 0:
            det_packed = np.zeros((n, 0), dtype=np.uint8)
        return FaultModel(
            dem=dem,
            p=np.array(ps, dtype=np.float64),
            detectors=det_packed,
            observables=obs_packed,
            detector_lists=tuple(det_lists),
            components=tuple(comps),
            silent_logical_p=np.array(silent, dtype=np.float64),
            dropped=dropped,
        )
