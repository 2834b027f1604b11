"""BP+OSD decoding of a detector error model, as a sinter decoder (registered as ``"bposd"``).

Belief propagation with ordered-statistics post-processing (Panteleev & Kalachev, Quantum 5, 585
(2021); Roffe et al., PRR 2, 043423 (2020)) from the maintained ``ldpc`` package (v2,
``ldpc.BpOsdDecoder``). The defaults follow Ruiz et al., Nat. Commun. 16, 1040 (2025), Methods:
min-sum BP with scaling factor 0.625 and OSD-CS of order 60 (capped at ``n - rank(H)``, the
most the OSD can use); ``max_iter`` defaults to :data:`DEFAULT_MAX_ITER` (the authors allow up to
10^4; on the LDPC-cat circuits BP that has not converged after a few hundred iterations rarely
does later, and OSD takes over).

From the DEM to the decoding problem (:func:`dem_matrices`):

* ``^``-separated components of one error are XOR-ed into one column;
* columns with identical detector *and* observable supports are merged into one with the
  independent-sum probability ``p ⊕ q = p(1-q) + q(1-p)`` (docs/physics.md §1) — duplicate columns
  otherwise split the prior and bias BP;
* errors with no detector are dropped (no decoder can see them), as PyMatching does.

Shots are decoded once per distinct syndrome: an all-zero syndrome predicts no flip without
calling the decoder, and repeated syndromes reuse one result, within a batch and, through
sinter's interface, across the batches of one compiled decoder
(:class:`~catcode.syndrome_memo.SyndromeMemo`). That is where this is faster than
``stimbposd`` with the same settings (same ``ldpc`` decoder and matrix, identical predictions):
on codes whose shots repeat, such as the repetition code at low noise. On LDPC-cat circuits
nearly every syndrome is distinct (the non-adiabatic CX error fires many detectors per shot)
and the two run at the same speed (docs/reproductions.md §5, benchmarks/bench_bposd.py).

>>> import stim
>>> dem = stim.DetectorErrorModel('''
...     error(0.1) D0 L0
...     error(0.1) D0 D1
...     error(0.05) D1 D2
...     error(0.05) D1 D2
...     error(0.1) D2
... ''')
>>> m = dem_matrices(dem)
>>> m.check.shape, [round(float(p), 4) for p in m.priors]
((3, 4), [0.1, 0.1, 0.095, 0.1])
>>> decoder = BpOsdCompiledDecoder(dem)
>>> decoder.decode(np.array([[1, 0, 0], [0, 0, 0]], dtype=bool)).astype(int).tolist()
[[1], [0]]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse
import sinter
import stim

from catcode.decoders import bit_packed_events
from catcode.errors import CatcodeError, require_choice, require_instance, require_int_at_least, require_positive
from catcode.syndrome_memo import SyndromeMemo

#: Authors' settings (Ruiz et al. 2025, Methods): min-sum, scaling 0.625, OSD-CS order 60.
DEFAULT_BP_METHOD = "minimum_sum"
DEFAULT_MS_SCALING = 0.625
DEFAULT_OSD_METHOD = "osd_cs"
DEFAULT_OSD_ORDER = 60
#: Practical default for the BP iteration cap (the authors allow up to 10^4).
DEFAULT_MAX_ITER = 1000
#: The spellings accepted (ldpc's own names for its belief-propagation and OSD variants).
BP_METHODS = ("product_sum", "minimum_sum")
OSD_METHODS = ("osd_0", "osd_e", "osd_cs")


def _check_settings(*, max_iter: object, osd_order: object, ms_scaling_factor: object, bp_method: object,
                    osd_method: object) -> None:
    """One-line CatcodeErrors for BP+OSD settings out of range, before ldpc sees them."""
    require_int_at_least("max_iter", max_iter, 1)
    require_int_at_least("osd_order", osd_order, 0)
    if require_positive("ms_scaling_factor", ms_scaling_factor) > 1:
        raise CatcodeError(f"ms_scaling_factor must be in (0, 1]; got {ms_scaling_factor!r}")
    require_choice("bp_method", bp_method, BP_METHODS)
    require_choice("osd_method", osd_method, OSD_METHODS)


@dataclass(frozen=True)
class DemMatrices:
    """Decoding problem of a DEM: ``check`` (detectors x columns), ``observables`` (obs x columns), ``priors``."""

    check: scipy.sparse.csc_matrix
    observables: scipy.sparse.csr_matrix
    priors: np.ndarray


def dem_matrices(dem: stim.DetectorErrorModel) -> DemMatrices:
    """Merged check, observable and prior matrices of ``dem`` (see the module docstring)."""
    merged: dict[tuple[tuple[int, ...], tuple[int, ...]], float] = {}
    for inst in dem.flattened():
        if inst.type != "error":
            continue
        p = inst.args_copy()[0]
        dets: set[int] = set()
        obs: set[int] = set()
        for t in inst.targets_copy():
            if t.is_relative_detector_id():
                dets ^= {t.val}
            elif t.is_logical_observable_id():
                obs ^= {t.val}
        if not dets or p == 0:
            continue
        key = (tuple(sorted(dets)), tuple(sorted(obs)))
        q = merged.get(key, 0.0)
        merged[key] = p * (1 - q) + q * (1 - p)
    keys = list(merged)
    check = _incidence([k[0] for k in keys], dem.num_detectors).tocsc()
    observables = _incidence([k[1] for k in keys], dem.num_observables).tocsr()
    return DemMatrices(check, observables, np.array([merged[k] for k in keys], dtype=float))


def _incidence(supports: list[tuple[int, ...]], num_rows: int) -> scipy.sparse.coo_matrix:
    rows = [r for s in supports for r in s]
    cols = [c for c, s in enumerate(supports) for _ in s]
    data = np.ones(len(rows), dtype=np.uint8)
    return scipy.sparse.coo_matrix((data, (rows, cols)), shape=(num_rows, len(supports)), dtype=np.uint8)


class BpOsdCompiledDecoder(sinter.CompiledDecoder):
    """BP+OSD configured for one DEM; decodes each distinct syndrome once.

    ``osd_order`` is capped at the number of columns of the DEM's check matrix minus its rank: the
    most OSD can search for this DEM (one sinter decoder serves DEMs of every size).
    """

    def __init__(
        self, dem: stim.DetectorErrorModel, *, max_iter: int = DEFAULT_MAX_ITER, osd_order: int = DEFAULT_OSD_ORDER,
        ms_scaling_factor: float = DEFAULT_MS_SCALING, bp_method: str = DEFAULT_BP_METHOD,
        osd_method: str = DEFAULT_OSD_METHOD,
    ) -> None:
        from ldpc import BpOsdDecoder
        from ldpc.mod2 import rank

        require_instance("dem", dem, stim.DetectorErrorModel, expected="a stim.DetectorErrorModel")
        _check_settings(max_iter=max_iter, osd_order=osd_order, ms_scaling_factor=ms_scaling_factor,
                        bp_method=bp_method, osd_method=osd_method)
        self.num_detectors = dem.num_detectors
        self.num_observables = dem.num_observables
        self.matrices = dem_matrices(dem)
        h = self.matrices.check
        self.osd_order = max(0, min(osd_order, h.shape[1] - int(rank(h)))) if h.shape[1] else 0
        self._obs = self.matrices.observables.astype(np.int64)
        # Up to 64 observables: each column's observables as one bit mask, so a correction's
        # observable flips are the XOR of its nonzero columns' masks (a sparse product per shot
        # cost ~10 us, more than BP itself on small codes).
        self._masks = None
        if self.num_observables <= 64:
            coo = self.matrices.observables.tocoo()
            self._masks = np.zeros(coo.shape[1], dtype=np.uint64)
            np.bitwise_or.at(self._masks, coo.col, np.left_shift(np.uint64(1), coo.row.astype(np.uint64)))
            self._shifts = np.arange(self.num_observables, dtype=np.uint64)
        self.memo = SyndromeMemo(-(-self.num_detectors // 8), -(-self.num_observables // 8))
        self._decoder = (
            BpOsdDecoder(h, error_channel=list(self.matrices.priors), max_iter=max_iter, bp_method=bp_method,
                         ms_scaling_factor=ms_scaling_factor, osd_method=osd_method, osd_order=self.osd_order,
                         input_vector_type="syndrome")
            if h.shape[1] else None
        )

    def decode(self, syndromes: np.ndarray) -> np.ndarray:
        """Observable flips (bool, shots x observables) predicted for unpacked ``syndromes``."""
        syndromes = np.asarray(syndromes, dtype=np.uint8).reshape(-1, self.num_detectors)
        packed = np.packbits(syndromes, axis=1, bitorder="little")
        return self._decode_packed(packed)

    def decode_shots_bit_packed(self, *, bit_packed_detection_event_data: np.ndarray) -> np.ndarray:
        """sinter.CompiledDecoder interface: bit-packed detection events in, bit-packed predictions out.

        Syndromes seen in earlier calls are answered from :attr:`memo` (the same predictions).
        """
        packed = bit_packed_events(bit_packed_detection_event_data, self.num_detectors)
        return self.memo.decode(packed, lambda rows: np.packbits(self._decode_packed(rows), axis=1, bitorder="little"))

    def _decode_packed(self, packed: np.ndarray) -> np.ndarray:
        out = np.zeros((packed.shape[0], self.num_observables), dtype=bool)
        if packed.shape[0] == 0 or self._decoder is None:
            return out
        unique, inverse = np.unique(packed, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        syndromes = np.unpackbits(unique, axis=1, bitorder="little", count=self.num_detectors)
        results = np.zeros((unique.shape[0], self.num_observables), dtype=bool)
        for u in np.flatnonzero(syndromes.any(axis=1)):
            correction = self._decoder.decode(syndromes[u])
            if self._masks is not None:
                flips = np.bitwise_xor.reduce(self._masks[np.flatnonzero(correction)])
                results[u] = (flips >> self._shifts) & np.uint64(1)
            else:
                results[u] = (self._obs @ correction.astype(np.int64)) % 2
        return results[inverse]


class BpOsdSinterDecoder(sinter.Decoder):
    """Sinter decoder building a :class:`BpOsdCompiledDecoder` per DEM (picklable).

    >>> BpOsdSinterDecoder(max_iter=100)
    BpOsdSinterDecoder(max_iter=100, osd_order=60, ms_scaling_factor=0.625)
    """

    def __init__(self, *, max_iter: int = DEFAULT_MAX_ITER, osd_order: int = DEFAULT_OSD_ORDER,
                 ms_scaling_factor: float = DEFAULT_MS_SCALING) -> None:
        _check_settings(max_iter=max_iter, osd_order=osd_order, ms_scaling_factor=ms_scaling_factor,
                        bp_method=DEFAULT_BP_METHOD, osd_method=DEFAULT_OSD_METHOD)
        self.max_iter, self.osd_order, self.ms_scaling_factor = max_iter, osd_order, ms_scaling_factor

    def compile_decoder_for_dem(self, *, dem: stim.DetectorErrorModel) -> BpOsdCompiledDecoder:
        """Configure BP+OSD for ``dem`` (sinter.Decoder interface)."""
        return BpOsdCompiledDecoder(dem, max_iter=self.max_iter, osd_order=self.osd_order,
                                    ms_scaling_factor=self.ms_scaling_factor)

    def __repr__(self) -> str:
        return (f"BpOsdSinterDecoder(max_iter={self.max_iter}, osd_order={self.osd_order}, "
                f"ms_scaling_factor={self.ms_scaling_factor})")
