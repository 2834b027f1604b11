"""Qubit overhead: cat repetition code, rectangular surface code of cats, rotated surface code and LDPC-cat codes.

Modules (one job each): :mod:`.architectures` (architecture objects, qubit counts),
:mod:`.rates` (the rate-with-band type), :mod:`.fits` (least-squares fits and the per-architecture
rate models), :mod:`.search` (the pure target search), :mod:`.results` (result types),
:mod:`.report` (tables, CSV, plots), :mod:`.sampling` (memories -> rates through
:mod:`catcode.sampling` and :mod:`catcode.rare`; direct checks) and :mod:`.study` (the library calls).

Two questions, answered from simulated circuits (catcode's own compiler and noise pass for both
architectures) plus fits with stated uncertainties:

* :func:`compare_at_distance` -- at one distance ``d``: the qubit counts (repetition code
  ``2d - 1``, rotated surface code ``2d^2 - 1``: 9 against 49 at ``d = 5``, docs/physics.md §6) and the
  simulated logical error per cycle of each under the stated noise.
* :func:`qubits_for_target` -- for target logical errors per cycle (1e-6, 1e-9, ...): the fewest
  qubits each architecture needs, the reduction ``1 - cat_qubits / surface_qubits`` in percent,
  and, when the cat code cannot reach a target, why (the bit-flip floor, or phase flips that the
  allowed distances cannot push down).

Conventions
-----------
* **Logical error per cycle** (project convention, docs/physics.md §5, Putterman et al., Nature 638,
  927 (2025)): the mean of the X- and Z-basis memories' per-round error rates,
  ``eps = (eps_X + eps_Z) / 2``, for both architectures. For the cat code the X memory fails on
  phase flips and the Z memory on bit flips. Per-round rates come from per-shot rates by
  :func:`catcode.analysis.per_round_error_rate` (``rounds = d`` unless told otherwise).
* **Settings** shared by both calls (noise, rounds, boundary, sampling budget, progress):
  :class:`OverheadOptions`, passed as ``options=`` or as keywords.
* **Boundaries** (``boundary="ideal"``, the default): the noise of the first layer (state
  preparation) and of the last layer (final data readout) is removed from the compiled circuits, so
  the per-round rate is the *bulk* rate of a long memory, which is what "per cycle" means at 1e-9.
  With noisy boundaries a d-round experiment adds its readout error divided by d to every
  "per-round" rate: for the cat code's Z memory that readout term (``exp(-1.5 - 0.9 n)`` per cat,
  docs/physics.md §3b) would swamp bit flips of 1e-9 and fake a floor. ``boundary="noisy"`` keeps them
  (the convention of ``catcode collect`` studies with ``r = d``).
* **Bands**: every interval has the likelihood level of ``sinter.fit_binomial`` with
  ``max_likelihood_factor`` (1000 by default, as ``sinter plot``), i.e. ``z = sqrt(2 ln F)``
  (3.7) Gaussian standard deviations. Rare-event estimates are requested at the matching
  confidence ``erf(z / sqrt 2)``; fit predictions are ``exp(mean +- z sigma)`` in log space. The band
  of a total is the mean of its parts' band edges (conservative); for two sampled memories it is
  :func:`catcode.analysis.total_error_rate`'s profile-likelihood band.

Method of :func:`qubits_for_target`
-----------------------------------
1. Sample a grid: repetition-code X and Z memories at ``cat_distances`` x ``nbar_values``,
   surface-code X and Z memories at ``surface_distances`` (sinter + PyMatching, or catcode's
   erasure-aware matching when the circuit has herald detectors), in two passes: a pilot of
   :data:`~.sampling.PILOT_SHOTS` shots for every memory, then ``max_shots``/``max_errors`` for
   those whose pilot (one error high) may reach ``min_errors``. Points with fewer than
   ``min_errors`` errors go to the rare-event estimator :func:`catcode.rare.estimate_logical_error`
   only as far as a fit needs them: per fit line (:attr:`Architecture.axis`), the smallest
   unresolved distances up to :attr:`Architecture.min_points` resolved points, in waves run in
   ``num_workers`` processes; a line stops at its first unusable rare estimate, and a rare
   estimate replaces a sampled one only when its band is tighter. A progress line comes at
   least every 4 s.
2. Fit, per ``nbar``, ``ln eps_X = a + b (d + 1)/2`` (phase flips fall exponentially with
   distance below threshold, Λ = e^{-b} per step of two; Fowler et al., PRA 86, 032324 (2012)) and
   ``eps_Z = u + v d`` (each data cat's bit flip is a logical bit flip, docs/physics.md §5, and the
   number of places where one can happen is affine in d). Where an ``nbar`` has no resolved
   bit-flip points, the global fit ``eps_Z = A d^beta e^{-gamma nbar}`` (docs/physics.md §2: bit flips
   fall exponentially in nbar) fills in; it is also reported as the bit-flip law. The surface code
   gets ``ln eps = a + b (d + 1)/2`` for each memory. Fits are weighted least squares with weights
   from the bands; their covariance is scaled by chi^2/dof when that exceeds 1.
3. Search every odd ``d`` from 3 to ``d_max`` (and every grid ``nbar`` for the cat code) for the
   fewest qubits whose predicted total meets the target: with the central prediction (the answer),
   with the optimistic and the pessimistic band edges (the qubit range).
4. Check each answer (``check=True``): estimate the chosen circuit directly (sinter when
   the predicted rate is within ``max_shots``' reach, else the rare-event estimator) and move to
   the next candidate if the direct estimate misses the target, or to a smaller one if it also
   passes (at most ``max_checks`` direct estimates per architecture and target). A direct estimate
   whose band spans more than a factor 100 is inconclusive and leaves the fit's answer in place.

Architectures (:data:`REGISTRY`)
--------------------------------
``repetition`` (chain of cats, ``2d - 1``), ``rectangular`` (``Layout.rectangular_surface(d, bit_d)``,
``2 d bit_d - 1``; searched over ``d``, ``bit_d`` and nbar; :class:`~.fits.RectangularModel`),
``surface`` (``2d^2 - 1``) and ``ldpc_cat`` (open H = 8 ``[165 + 8l, 34 + 2l, 22]`` patches, data
plus one ancilla per check; rated by Ruiz et al.'s *published* fit, :mod:`.published`, since BP-OSD
sampling cannot reach its rates). ``logical_qubits=N`` counts qubits for N logical qubits.

Adding an architecture
----------------------
One :class:`Architecture` object in :data:`REGISTRY`; nothing else changes (the study, search,
report, CSV and plot loop over the registry):

1. ``patch_qubits(config)`` (``config`` e.g. ``{"d": 5, "bit_d": 3}``) and, when a patch holds
   several logical qubits, ``logical_per_patch`` or ``patch_logical(config)``.
2. ``layout``: a :func:`catcode.experiment.build_layout` name (memories are rebuilt from metadata).
3. ``grid(Grid) -> [(d, bit_d, nbar, basis)]``: the memories to sample; ``key`` maps one to the
   model's point key.
4. ``fit(points, z=, cat_params=) -> model`` with ``candidates(d_max, logical=, bit_d_max=)``
   (:class:`Candidate` objects; extra configuration keys in ``Candidate.extra``) and
   ``describe() -> [str]``; ``explain(candidates, target, d_max) -> str`` for unreachable targets.

>>> repetition_qubits(5), surface_qubits(5)
(9, 49)
>>> round(reduction_percent(repetition_qubits(5), surface_qubits(5)), 1)
81.6
"""

from __future__ import annotations


from __future__ import annotations

import sys

from catcode.noise.boundary import BOUNDARIES, strip_boundary_noise
from catcode.overhead.architectures import (
    ARCHITECTURES,
    CHECK_MAX_BAND_RATIO,
    DEFAULT_NBAR_VALUES,
    DEFAULT_SURFACE_P,
    REGISTRY,
    Architecture,
    Grid,
    rectangular_qubits,
    reduction_percent,
    repetition_qubits,
    surface_qubits,
)
from catcode.overhead.fits import MIN_SIGMA_LN, LinearFit, RectangularModel, RepetitionModel, SurfaceModel, fit_linear
from catcode.overhead.options import OverheadOptions
from catcode.overhead.rates import NO_ESTIMATE, Estimate, _mean_of  # noqa: F401  (_mean_of: tests)
from catcode.overhead.published import LdpcPublishedModel, format_ruiz, ldpc_patch_qubits, ruiz_comparison
from catcode.overhead.report import CSV_FIELDS, floor_crossover, format_comparison, format_study, plot_overhead, write_csv
from catcode.overhead.results import DistanceComparison, MemoryEstimate, OverheadStudy, TargetRow
from catcode.overhead.sampling import default_decoder
from catcode.overhead.search import Candidate, Requirement, find_requirement
from catcode.overhead.study import compare_at_distance, qubits_for_target

__all__ = [
    "ARCHITECTURES",
    "Architecture",
    "Grid",
    "LdpcPublishedModel",
    "RectangularModel",
    "floor_crossover",
    "format_ruiz",
    "ldpc_patch_qubits",
    "rectangular_qubits",
    "ruiz_comparison",
    "BOUNDARIES",
    "CHECK_MAX_BAND_RATIO",
    "CSV_FIELDS",
    "Candidate",
    "DEFAULT_NBAR_VALUES",
    "DEFAULT_SURFACE_P",
    "DistanceComparison",
    "Estimate",
    "LinearFit",
    "MemoryEstimate",
    "MIN_SIGMA_LN",
    "NO_ESTIMATE",
    "OverheadOptions",
    "OverheadStudy",
    "REGISTRY",
    "Requirement",
    "RepetitionModel",
    "SurfaceModel",
    "TargetRow",
    "compare_at_distance",
    "default_decoder",
    "find_requirement",
    "fit_linear",
    "format_comparison",
    "format_study",
    "plot_overhead",
    "qubits_for_target",
    "reduction_percent",
    "repetition_qubits",
    "strip_boundary_noise",
    "surface_qubits",
    "write_csv",
]


def _stderr(message: str) -> None:
    """Progress printer of the CLI: one line on stderr, flushed."""
    print(message, file=sys.stderr, flush=True)
