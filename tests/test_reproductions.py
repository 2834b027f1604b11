"""Published cat–cat repetition-code figures reproduced within stated tolerances (docs/reproductions.md).

Sampling uses Stim's detector sampler with fixed seeds and PyMatching, so every number here is
deterministic. Tolerances:

* Threshold crossing under the ``alice_bob`` convention at n̄ = 8: within a factor 1.5 of the
  Alice & Bob provider's fit parameter 1.3e-2/n̄^0.86 = 2.17e-3. A fit parameter of the scaling
  form is not a crossing (docs/physics.md §3a′), so exact agreement is not expected; Le Régent et
  al.'s own p_th (2.25–2.35e-3) lies within 8 % of the provider's, and a factor 1.5 leaves room for
  the form-versus-crossing difference while still failing a timing or noise error of 2×.
* The provider's logical-error fit (Gouzien et al. 2023) at three points below threshold: within a
  factor 2, the tolerance issue #9 asks for.
"""

from __future__ import annotations

import numpy as np
import pymatching
import pytest
import sinter

from catcode import Layout, memory_circuit, noise, threshold
from catcode.reference_fits import alice_bob_repetition_logical_error, alice_bob_threshold


def _per_shot_errors(nbar: float, k1_over_k2: float, d: int, shots: int, seed: int) -> int:
    circuit = memory_circuit(
        Layout.chain(d, ancilla="cat"), noise.cat_cat(nbar, k1_over_k2, convention="alice_bob"), rounds=d, basis="X"
    )
    dets, obs = circuit.compile_detector_sampler(seed=seed).sample(shots, separate_observables=True)
    matching = pymatching.Matching.from_detector_error_model(circuit.detector_error_model(decompose_errors=True, approximate_disjoint_errors=True))
    predicted = matching.decode_batch(dets)
    return int(np.any(predicted != obs, axis=1).sum())


@pytest.mark.slow
def test_alice_bob_crossing_at_nbar_8_is_near_the_published_fit():
    stats = []
    for d in (3, 5, 7):
        for i, x in enumerate((0.0015, 0.002, 0.0025, 0.003, 0.004)):
            shots = 20_000
            errors = _per_shot_errors(8.0, x, d, shots, seed=100 * d + i)
            stats.append(sinter.TaskStats(strong_id=f"{d}-{x}", decoder="pymatching", json_metadata={
                "d": d, "r": d, "nbar": 8.0, "k1_over_k2": x}, shots=shots, errors=errors, discards=0, seconds=0.0))
    estimate = threshold.crossing_threshold(stats, x_key="k1_over_k2")
    anchor = alice_bob_threshold(8.0)
    assert anchor / 1.5 <= estimate.combined.value <= anchor * 1.5, (estimate.combined, anchor)


@pytest.mark.slow
@pytest.mark.parametrize("nbar, k1_over_k2, d", [(4, 0.001185, 5), (8, 0.000652, 7), (12, 0.0004606, 7)])
def test_logical_error_within_a_factor_two_of_the_provider_fit(nbar, k1_over_k2, d):
    shots = 200_000
    rate = _per_shot_errors(nbar, k1_over_k2, d, shots, seed=7 + d) / shots
    reference = alice_bob_repetition_logical_error(nbar, k1_over_k2, d)
    assert reference / 2 <= rate <= 2 * reference, (rate, reference)
