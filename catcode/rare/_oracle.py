"""Decoder verdicts on fault sets: does decoding the syndrome of a fault set give a logical error?"""

from __future__ import annotations

import itertools
import math
import multiprocessing
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from catcode.errors import CatcodeError
from catcode.rare._faults import FaultModel

DecodeFn = Callable[[np.ndarray], np.ndarray]


def _make_decode(dem_text: str, decoder: object) -> DecodeFn:
    import stim

    dem = stim.DetectorErrorModel(dem_text)
    if decoder == "pymatching":
        import pymatching

        matching = pymatching.Matching.from_detector_error_model(dem)
        return lambda dets: matching.decode_batch(dets, bit_packed_shots=True, bit_packed_predictions=True)
    import sinter

    from catcode.decoders import sinter_decoders

    if isinstance(decoder, str):
        decoder = {**sinter.BUILT_IN_DECODERS, **sinter_decoders()}[decoder]
    compiled = decoder.compile_decoder_for_dem(dem=dem)  # type: ignore[union-attr]
    return lambda dets: compiled.decode_shots_bit_packed(bit_packed_detection_event_data=dets)


def _worker_main(conn, dem_text: str, decoder: object, num_det_bytes: int) -> None:  # pragma: no cover
    """Decoding worker process: receives packed detection events, returns packed predictions."""
    decode = _make_decode(dem_text, decoder)
    while True:
        msg = conn.recv_bytes()
        if not msg:
            return
        dets = np.frombuffer(msg, dtype=np.uint8).reshape(-1, num_det_bytes)
        pred = np.ascontiguousarray(np.asarray(decode(dets), dtype=np.uint8))
        conn.send_bytes(pred.tobytes())


class FailureOracle:
    """Decodes fault sets of a :class:`FaultModel` and reports logical failures.

    Args:
        faults: the fault model (its ``dem`` is what the decoder is built from).
        decoder: ``"pymatching"`` (PyMatching 2, sparse blossom: exact minimum-weight perfect
            matching), the name of any other sinter built-in decoder, or a ``sinter.Decoder``.

    Attributes:
        matching: the ``pymatching.Matching`` when decoder is "pymatching", else None.
        decodes: number of syndromes decoded so far.
    """

    def __init__(self, faults: FaultModel, decoder: object = "pymatching", *, workers: int = 1):
        self.faults = faults
        self.decodes = 0
        self._workers: list[tuple[object, object]] = []
        self._row_seconds: float | None = None  # this process's decoding time per row (overlapped runs)
        self._work_seconds = 0.0  # the last overlapped work's duration
        self.matching = None
        if decoder == "auto":  # the one default rule: erasure matching iff the circuit has heralds
            from catcode.decoders import default_decoder

            decoder = default_decoder(faults.dem)
        self.decoder_name = decoder if isinstance(decoder, str) else type(decoder).__name__
        given_name = decoder if isinstance(decoder, str) else None  # workers rebuild the decoder by name
        if decoder == "pymatching":
            import pymatching

            self.matching = pymatching.Matching.from_detector_error_model(faults.dem)
            matching = self.matching

            def decode(dets: np.ndarray) -> np.ndarray:
                return matching.decode_batch(dets, bit_packed_shots=True, bit_packed_predictions=True)

            self._decode: DecodeFn = decode
        else:
            import sinter

            if isinstance(decoder, str):
                from catcode.decoders import sinter_decoders

                known = {**sinter.BUILT_IN_DECODERS, **sinter_decoders()}
                if decoder not in known:
                    raise CatcodeError(
                        f"decoder must be one of {', '.join(repr(d) for d in sorted(known))} "
                        f"or a sinter.Decoder; got {decoder!r}"
                    )
                decoder = known[decoder]
            if not isinstance(decoder, sinter.Decoder):
                raise CatcodeError(
                    f"decoder must be a decoder name or a sinter.Decoder; got {type(decoder).__name__}"
                )
            compiled = decoder.compile_decoder_for_dem(dem=faults.dem)

            def decode(dets: np.ndarray) -> np.ndarray:
                return compiled.decode_shots_bit_packed(bit_packed_detection_event_data=dets)

            self._decode = decode
        if workers > 1 and faults.num_detectors > 0:
            if given_name is None:
                raise CatcodeError("workers > 1 needs the decoder given by name (it is rebuilt in each process)")
            # fork (Linux) needs no importable __main__; elsewhere spawn (scripts need a main guard)
            methods = multiprocessing.get_all_start_methods()
            ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
            for _ in range(workers - 1):
                parent, child = ctx.Pipe()
                proc = ctx.Process(
                    target=_worker_main, args=(child, str(faults.dem), given_name, faults.detectors.shape[1]), daemon=True
                )
                proc.start()
                child.close()
                self._workers.append((proc, parent))

    def close(self) -> None:
        """Stop the decoding worker processes (if any)."""
        for proc, conn in self._workers:
            try:
                conn.send_bytes(b"")  # type: ignore[attr-defined]
                conn.close()  # type: ignore[attr-defined]
            except OSError:
                pass
            proc.join(timeout=5)  # type: ignore[attr-defined]
            if proc.is_alive():  # type: ignore[attr-defined]
                proc.terminate()  # type: ignore[attr-defined]
        self._workers = []

    def __enter__(self) -> "FailureOracle":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _predict(self, dets: np.ndarray, work: Callable[[], Any] | None) -> tuple[np.ndarray, Any]:
        """Packed predictions for ``dets``, and ``work()`` (None without work) run here while the
        workers decode. This process decodes the first rows: an even share, or, with ``work``, a
        share shrunk by the time ``work`` took last time, so that it is as busy as each worker."""
        n, k = dets.shape[0], len(self._workers)
        if k == 0 or n < 64 * (k + 1):
            return np.asarray(self._decode(dets), dtype=np.uint8), (work() if work else None)
        mine = n // (k + 1)
        per_row = self._row_seconds if work else None
        if per_row:  # busy(self) = work + mine * per_row = busy(worker) = (n - mine) / k * per_row
            mine = int(max(0.0, min(mine, (n / k - self._work_seconds / per_row) / (1 + 1 / k))))
        bounds = np.linspace(mine, n, k + 1).astype(np.int64)
        for (_, conn), a, b in zip(self._workers, bounds[:-1], bounds[1:]):
            conn.send_bytes(dets[a:b].tobytes())  # type: ignore[attr-defined]
        t0 = time.perf_counter()
        result = work() if work else None
        t1 = time.perf_counter()
        parts = [np.asarray(self._decode(dets[:mine]), dtype=np.uint8)] if mine else []
        t2 = time.perf_counter()
        for (_, conn), a, b in zip(self._workers, bounds[:-1], bounds[1:]):
            parts.append(np.frombuffer(conn.recv_bytes(), dtype=np.uint8).reshape(b - a, -1))  # type: ignore[attr-defined]
        if work:
            self._work_seconds = t1 - t0
            if mine:
                self._row_seconds = (t2 - t1) / mine
        return np.concatenate(parts), result

    def fails_packed_overlapping(self, dets: np.ndarray, obs: np.ndarray, work: Callable[[], Any]) -> tuple[np.ndarray, Any]:
        """``(fails_packed(dets, obs), work())``, running ``work`` here while the workers decode.

        The predictions are those of :meth:`fails_packed` (each row is decoded on its own); only
        how the rows are shared between the processes changes.
        """
        return self._fails(dets, obs, work)

    def fails_packed(self, dets: np.ndarray, obs: np.ndarray) -> np.ndarray:
        """Boolean array: does the decoder's prediction differ from the true observable flips?"""
        return self._fails(dets, obs, None)[0]

    def _fails(self, dets: np.ndarray, obs: np.ndarray, work: Callable[[], Any] | None) -> tuple[np.ndarray, Any]:
        n = dets.shape[0]
        self.decodes += n
        if n == 0 or self.faults.num_detectors == 0:  # nothing to decode: the prediction is "no flip"
            return np.any(np.zeros_like(obs) != obs, axis=1), (work() if work else None)
        pred, result = self._predict(np.ascontiguousarray(dets), work)
        return np.any(pred[:, : obs.shape[1]] != obs, axis=1), result

    def fails(self, fault_sets: np.ndarray) -> np.ndarray:
        """Boolean array over the rows of ``fault_sets`` (int array (shots, w) of mechanism indices)."""
        dets, obs = self.faults.syndromes(fault_sets)
        return self.fails_packed(dets, obs)


def enumerate_stratum(
    oracle: FailureOracle, w: int, *, chunk: int = 1 << 12, deadline: float = math.inf
) -> tuple[float, int] | None:
    """Exact conditional failure probability of the fault sets of size ``w``.

    Sums ``prod_{i in E} r_i`` over every w-subset ``E`` of the pool, decoding each, and returns
    (sum over failing sets / sum over all sets, number of sets decoded). Returns None when
    ``time.monotonic()`` passes ``deadline`` before every set is decoded (checked between chunks
    of ``chunk`` sets; the partial work is discarded, its decodes stay counted in the oracle).

    >>> import stim
    >>> dem = stim.DetectorErrorModel("error(0.1) D0 L0\\nerror(0.1) D0 D1\\nerror(0.1) D1")
    >>> oracle = FailureOracle(FaultModel.from_dem(dem))  # a distance-3 repetition code
    >>> enumerate_stratum(oracle, 1), enumerate_stratum(oracle, 2)
    ((0.0, 3), (1.0, 3))
    """
    n = oracle.faults.num_mechanisms
    if w > n:
        return 0.0, 0
    log_r = np.log(oracle.faults.p) - np.log1p(-oracle.faults.p)
    shift = float(np.sort(log_r)[::-1][:w].sum())  # largest possible log weight: no overflow
    total = 0.0
    failing = 0.0
    count = 0
    combos = itertools.combinations(range(n), w)
    while True:
        if time.monotonic() >= deadline:
            return None
        block = np.fromiter(itertools.chain.from_iterable(itertools.islice(combos, chunk)), dtype=np.int64)
        if block.size == 0:
            break
        rows = block.reshape(-1, w)
        weights = np.exp(log_r[rows].sum(axis=1) - shift)
        f = oracle.fails(rows)
        total += float(weights.sum())
        failing += float(weights[f].sum())
        count += len(rows)
    return (failing / total if total > 0 else 0.0), count


def num_subsets(n: int, w: int) -> int:
    """Binomial coefficient C(n, w) (0 when w > n)."""
    return math.comb(n, w) if 0 <= w <= n else 0
