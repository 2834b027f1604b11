"""Physical parameters of cat qubits and transmons, and the formulas that turn them into Pauli channels.

Every formula cites its source: a section of ``docs/physics.md`` (the project's formula reference)
and the paper or code it comes from. Trust tags follow that page: [P] primary source, [C] authors'
public code, [S] third-party summaries, [D] derived here, [U] unverified placeholder (always a
parameter, never a hidden constant).

Conventions (docs/physics.md §1)
---------------------------
* Pauli names: ``|0> ~ |+alpha>``, ``|1> ~ |-alpha>``. **X is a bit flip** (exponentially suppressed
  in nbar), **Z is a phase flip** (dominant, grows with nbar).
* Units are in the names: durations ``_ns`` (``_us`` for coherence times), rates ``_hz`` in s^-1.
  Couplings and linewidths quoted as ``g/2pi`` in Hz must be multiplied by 2pi; formulas that are
  homogeneous in rates (like ``kappa_2 = 4 g2^2 / kappa_b``) give the result in the convention of
  their inputs.
* Rate -> probability. A Pauli flip occurring as a Poisson process at rate ``Gamma`` over ``t`` has
  probability ``(1 - exp(-2 Gamma t)) / 2`` (:func:`flip_probability`). Free evolution (idles, and
  the loss processes inside our cat-transmon CX model) uses this exact form. Operations tabulated in
  docs/physics.md §3 (cat-cat CX, cat preparation and measurement) use the source's first-order
  expressions verbatim as per-operation probabilities, as the sources do; both agree to first order.
* Every returned probability lies in [0, 0.5]; a parameter set that would push one above 0.5 raises
  :class:`~catcode.errors.CatcodeError` naming the parameters to change. Nothing is clamped.
* Two-qubit channels are dicts from two-letter Pauli strings to probabilities, the first letter
  acting on the first target of the gate (for ``CX c t``: the control), with all 15 non-identity keys
  present in Stim's ``PAULI_CHANNEL_2`` order; :func:`pauli_channel_2_args` gives the 15-tuple.

>>> cat = CatParams(nbar=2.0, kappa_1_hz=1 / 60e-6, kappa_2_hz=1e6)
>>> round(cat_phase_flip_rate_hz(cat))  # n * kappa_1: a 30 us phase-flip time at nbar = 2
33333
>>> p_x, p_y, p_z = cat_idle_channel(cat, 1000.0)
>>> round(p_z, 4)
0.0322
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import warnings
from collections.abc import Mapping
from typing import NamedTuple

from catcode.errors import (
    CatcodeError,
    require_bool,
    require_choice,
    require_int_at_least,
    require_positive,
    require_probability,
)

__all__ = [
    "BIT_FLIP_MODELS",
    "BIT_FLIP_TIME_CONVENTIONS",
    "CX_BIT_FLIP_MODELS",
    "CX_VARIANTS",
    "CatParams",
    "CatTransmonCXChannel",
    "OCELOT_KAPPA_1_HZ",
    "OperationError",
    "PAULI_CHANNEL_2_ORDER",
    "Timings",
    "TransmonParams",
    "cat_bit_flip_rate_hz",
    "cat_cat_cx_channel",
    "cat_cat_cx_optimal_duration_ns",
    "cat_idle_channel",
    "cat_measure_x",
    "cat_measure_z",
    "cat_phase_flip_rate_hz",
    "cat_prepare_plus",
    "cat_prepare_zero",
    "cat_transmon_cx_channel",
    "compose_flips",
    "compose_pauli_channels",
    "flip_probability",
    "kappa_2_from_buffer",
    "pauli_channel_2_args",
    "pauli_probabilities",
    "transmon_ancilla_idle_channel",
    "transmon_decay_probability",
    "transmon_decay_split",
    "transmon_dephasing_probability",
    "transmon_idle_channel",
]

# --------------------------------------------------------------------------- named constants

#: Stim's PAULI_CHANNEL_2 argument order (first letter = first target) [D, checked with stim 1.16].
PAULI_CHANNEL_2_ORDER: tuple[str, ...] = tuple(
    a + b for a, b in itertools.product("IXYZ", repeat=2) if a + b != "II"
)

#: Bit-flip models of a cat at rest (:class:`CatParams`).
BIT_FLIP_MODELS = ("two_photon", "empirical")
#: How a measured bit-flip time maps to a flip rate: ``"rate"`` Gamma = 1/T, ``"decay"`` Gamma = 1/(2T).
BIT_FLIP_TIME_CONVENTIONS = ("rate", "decay")
#: Non-adiabatic term of the cat-cat CX (docs/physics.md §3a).
CX_VARIANTS = ("chamberland", "guillaud_mirrahimi")
#: Bit-flip part of the cat-cat CX (docs/physics.md §3a).
CX_BIT_FLIP_MODELS = ("alice_bob", "guillaud_mirrahimi", "idle", "none")
#: Timing conventions of the cat-cat repetition code (docs/physics.md §3a′): "alice_bob", every
#: operation 1/kappa_2 and 5 slots per round; "guillaud_mirrahimi", every operation at the optimal
#: CX time T*.
CAT_CAT_CONVENTIONS = ("alice_bob", "guillaud_mirrahimi")

#: Ocelot storage-mode loss rate, 1/(60 us) [S x2: storage T1 > 60 us, effective lifetime under
#: stabilisation 57-68 us; docs/physics.md §5]. With it, 1/(n kappa_1) = 30 us at nbar = 2, inside the
#: measured 27-33 us phase-flip time if that time is quoted as 1/Gamma [D].
OCELOT_KAPPA_1_HZ = 1.0 / 60e-6

#: Idle bit-flip prefactor of the Alice & Bob emulator: r_X = r_Y = 1/2 * 1.1e-3 * n * k1 * e^{-2n}
#: [C: Alice & Bob qiskit provider; docs/physics.md §2].
TWO_PHOTON_IDLE_BIT_FLIP_PREFACTOR = 1.1e-3
#: Total cat-cat CX bit flip 2631 * n * k1 * T * e^{-2n} (T = 1/k2 in the source) [C; docs/physics.md §3a].
ALICE_BOB_CX_BIT_FLIP_PREFACTOR = 2631.0
#: Guillaud & Mirrahimi PRA 2021 fit of the CX bit flip: (5.58 sqrt(k1/k2) + 1.68 k1/k2) e^{-2n} [C].
GUILLAUD_MIRRAHIMI_CX_BIT_FLIP_COEFFS = (5.58, 1.68)
#: Slots over which a cat-cat CX bit flip is spread evenly: {X_c, X_t, X_c X_t, Y_c, Y_c X_t, Z_c X_t}
#: [C: Alice & Bob provider; docs/physics.md §3a].
CX_BIT_FLIP_SLOTS = ("XI", "IX", "XX", "YI", "YX", "ZX")

_NS = 1e-9
_US = 1e-6
#: Rates are capped at e^600 s^-1 (~1e260): any such rate saturates a flip probability at 1/2 within
#: 1e-250 ns, and the cap keeps products with durations finite.
_MAX_LOG_RATE = 600.0


def _ratio(duration_ns: float, time_us: float) -> float:
    """``t / T`` for a duration in ns and a time constant in us; a denormal T (5e-324 us) gives inf,
    not ZeroDivisionError (``T * 1e-6`` underflows to 0)."""
    den = time_us * _US
    return duration_ns * _NS / den if den > 0.0 else math.inf


# --------------------------------------------------------------------------- validation helpers


def _require_duration(name: str, value: float) -> float:
    return require_positive(name, value, allow_zero=True)


def _checked(value: float, what: str, fix: str) -> float:
    """Return ``value`` if it is a probability in [0, 0.5]; else raise naming what to change."""
    if not (0.0 <= value <= 0.5):  # also rejects NaN
        raise CatcodeError(
            f"{what}: probability {value:.4g} is outside [0, 0.5] after conversion; {fix}"
        )
    return value


# --------------------------------------------------------------------------- parameters

#: n-bar range in which each bit-flip law (and the formulas used with it) is valid, by
#: ``bit_flip_model`` (docs/physics.md §2, §3a). Outside it a preset raises unless
#: ``allow_extrapolation=True`` (then it warns).
#:
#: * ``"two_photon"`` and the cat-cat formulas of §3a/§3b (Chamberland et al. 2022; Guillaud &
#:   Mirrahimi 2019/2021; Alice & Bob's emulator): asymptotic in the separation of +-alpha, they need
#:   the overlap e^{-2n} small (0.14 at n = 1) [D]; the sources' simulations and fits span roughly
#:   n = 1 to 30 [C: Le Régent et al.'s and Alice & Bob's parameter ranges; upper end U].
#: * ``"empirical"`` (Ocelot, T_X(n) = T0 e^{gamma n} / n): calibrated on n = 0.75 to 2.5
#:   (scripts/calibrate_ocelot.py), anchored at n = 2; the headline "bit-flip times approaching 1 s"
#:   puts n near 5-6. Above that the law is an extrapolation of gamma; 12 bounds the overhead
#:   studies (n <= 10.5) [U]. Below 0.75 a "cat" is close to vacuum and no data constrain it.
NBAR_VALIDITY: dict[str, tuple[float, float]] = {"two_photon": (1.0, 30.0), "empirical": (0.75, 12.0)}


def check_nbar_validity(nbar: float, bit_flip_model: str, *, allow_extrapolation: bool = False, where: str = "") -> None:
    """Raise :class:`CatcodeError` if ``nbar`` lies outside :data:`NBAR_VALIDITY` for the model;
    with ``allow_extrapolation`` warn instead.

    >>> check_nbar_validity(1.5, "empirical")
    >>> check_nbar_validity(1e-6, "empirical")
    Traceback (most recent call last):
    ...
    catcode.errors.CatcodeError: nbar = 1e-06 is outside [0.75, 12], where the 'empirical' bit-flip law is valid (docs/physics.md §2); pass allow_extrapolation=True to extrapolate (with a warning)
    """
    if bit_flip_model not in NBAR_VALIDITY:  # CatParams names the valid choices
        return
    low, high = NBAR_VALIDITY[bit_flip_model]
    if low <= nbar <= high:
        return
    msg = (f"{where}nbar = {nbar:g} is outside [{low:g}, {high:g}], where the {bit_flip_model!r} bit-flip law is "
           "valid (docs/physics.md §2)")
    if not allow_extrapolation:
        raise CatcodeError(msg + "; pass allow_extrapolation=True to extrapolate (with a warning)")
    warnings.warn(msg + "; extrapolating because allow_extrapolation=True", stacklevel=3)



def kappa_2_from_buffer(g2_hz: float, kappa_b_hz: float) -> float:
    """Two-photon dissipation rate from the buffer: ``kappa_2 = 4 g2^2 / kappa_b``.

    Adiabatic elimination of a lossy buffer (docs/physics.md §1) [S; consistent with Alice & Bob's
    published Boson 4 parameters, D]. Valid for ``g2 << kappa_b``. The result is in the
    convention of the inputs (pass both as s^-1, or both as /2pi).

    >>> kappa_2_from_buffer(1e6, 10e6)
    400000.0
    """
    g2 = require_positive("g2_hz", g2_hz)
    kb = require_positive("kappa_b_hz", kappa_b_hz)
    return 4.0 * g2 * g2 / kb


@dataclasses.dataclass(frozen=True)
class CatParams:
    """One stabilised cat qubit (storage mode + two-photon dissipation).

    Fields (provenance tag in brackets, docs/physics.md sections in parentheses):

    * ``nbar``: mean photon number ``|alpha|^2``, > 0. Required. The asymptotic formulas below
      are meant for ``nbar >~ 1``; below ``1/gamma`` the ``n e^{-gamma n}`` bit-flip laws are not
      monotone in nbar.
    * ``kappa_1_hz``: single-photon loss rate of the storage mode (s^-1), > 0. Required. Ocelot:
      :data:`OCELOT_KAPPA_1_HZ` = 1/(60 us) [S x2] (§5).
    * ``kappa_2_hz``: two-photon dissipation rate (s^-1), > 0. Required (Ocelot's is not published
      [U]); or use :meth:`from_buffer` with the buffer's ``g2`` and ``kappa_b`` (§1).
    * ``kappa_phi_hz``: pure dephasing rate of the storage mode (s^-1), default 0 [U] (§2).
    * ``dephasing_z_prefactor``: ``c`` in the phase-flip contribution ``c * kappa_phi * nbar``;
      the O(1) prefactor was not found in a source [U], default 1.0 (§2).
    * ``n_thermal``: thermal photons of the storage mode, >= 0, default 0 (§2; the thermal
      correction is [D]; thermal enhancement of bit flips is not modelled).
    * ``bit_flip_model``: ``"two_photon"`` (default) is the ideal two-photon-dissipation law of
      the Alice & Bob emulator, total bit-flip rate ``1.1e-3 * n * k1 * e^{-2n}`` [C] (§2, §3b);
      ``"empirical"`` is ``T_X(n) = T0 * e^{gamma n} / n`` calibrated so that
      ``T_X(bit_flip_nbar_ref) = bit_flip_time_ref_us`` [C-ish: an Alice & Bob author's fit
      script] (§2). Pure-kappa_1 formulas do not describe Ocelot; use ``"empirical"`` there.
    * ``bit_flip_time_ref_us``: measured bit-flip time at the reference point, default 1000 us:
      Ocelot, one cat at n = 2, "> 1 ms" [S x2] (§5) (a lower bound, so conservative).
    * ``bit_flip_nbar_ref``: nbar of that measurement, default 2.0 [S x2] (§5).
    * ``bit_flip_gamma``: exponent ``gamma`` (>= 0), default 2.0, the ideal two-photon exponent
      (§2) [D]; with it, 1 ms at n = 2 grows to ~1 s near n = 6, in line with Ocelot's headline
      "bit-flip times approaching 1 s" [P, n not stated]. Thermal buffers give gamma < 2, a
      squeezed cat reported 4.3 [P]. Calibrate against data.
    * ``bit_flip_time_convention``: ``"rate"`` (default) reads the measured time as the mean time
      between flips, ``Gamma_X = 1/T_X``; ``"decay"`` reads it as the 1/e decay time of <Z>,
      ``Gamma_X = 1/(2 T_X)``. Which one Ocelot quotes is unknown: a 2x switch (§5) [U].

    Rates derived from these: :func:`cat_phase_flip_rate_hz`, :func:`cat_bit_flip_rate_hz`.

    >>> CatParams(nbar=2, kappa_1_hz=OCELOT_KAPPA_1_HZ, kappa_2_hz=1e6).nbar
    2.0
    >>> CatParams(nbar=0, kappa_1_hz=1e4, kappa_2_hz=1e6)
    Traceback (most recent call last):
    ...
    catcode.errors.CatcodeError: nbar must be a finite number > 0; got 0
    """

    nbar: float
    kappa_1_hz: float
    kappa_2_hz: float
    kappa_phi_hz: float = 0.0
    dephasing_z_prefactor: float = 1.0
    n_thermal: float = 0.0
    bit_flip_model: str = "two_photon"
    bit_flip_time_ref_us: float = 1000.0
    bit_flip_nbar_ref: float = 2.0
    bit_flip_gamma: float = 2.0
    bit_flip_time_convention: str = "rate"

    def __post_init__(self) -> None:
        s = object.__setattr__
        s(self, "nbar", require_positive("nbar", self.nbar))
        s(self, "kappa_1_hz", require_positive("kappa_1_hz", self.kappa_1_hz))
        s(self, "kappa_2_hz", require_positive("kappa_2_hz", self.kappa_2_hz))
        s(self, "kappa_phi_hz", require_positive("kappa_phi_hz", self.kappa_phi_hz, allow_zero=True))
        s(
            self,
            "dephasing_z_prefactor",
            require_positive("dephasing_z_prefactor", self.dephasing_z_prefactor, allow_zero=True),
        )
        s(self, "n_thermal", require_positive("n_thermal", self.n_thermal, allow_zero=True))
        require_choice("bit_flip_model", self.bit_flip_model, BIT_FLIP_MODELS)
        s(self, "bit_flip_time_ref_us", require_positive("bit_flip_time_ref_us", self.bit_flip_time_ref_us))
        s(self, "bit_flip_nbar_ref", require_positive("bit_flip_nbar_ref", self.bit_flip_nbar_ref))
        s(self, "bit_flip_gamma", require_positive("bit_flip_gamma", self.bit_flip_gamma, allow_zero=True))
        require_choice("bit_flip_time_convention", self.bit_flip_time_convention, BIT_FLIP_TIME_CONVENTIONS)

    @classmethod
    def from_buffer(
        cls, g2_hz: float, kappa_b_hz: float, *, nbar: float, kappa_1_hz: float, **fields: object
    ) -> CatParams:
        """Build from the buffer's two-photon coupling and decay rate: kappa_2 = 4 g2^2 / kappa_b.

        See :func:`kappa_2_from_buffer` (docs/physics.md §1). Other fields pass through by name.

        >>> CatParams.from_buffer(1e6, 10e6, nbar=2, kappa_1_hz=1e4).kappa_2_hz
        400000.0
        """
        if "kappa_2_hz" in fields:
            raise CatcodeError("from_buffer derives kappa_2_hz from g2_hz and kappa_b_hz; do not pass it too")
        kappa_2_hz = kappa_2_from_buffer(g2_hz, kappa_b_hz)
        return cls(nbar=nbar, kappa_1_hz=kappa_1_hz, kappa_2_hz=kappa_2_hz, **fields)  # type: ignore[arg-type]


@dataclasses.dataclass(frozen=True)
class TransmonParams:
    """One transmon ancilla (Ocelot encodes its qubit in ``|g>`` and ``|f>``; docs/physics.md §3c, §4).

    Ocelot's transmon numbers were not found [U] (§4): the defaults are placeholders for the
    calibration of the Ocelot preset.

    * ``t1_us``: energy relaxation time of the qubit's excited level, default 50 us [U]
      (§4: placeholder range 50-100 us). The second decay of the erasure model uses the same T1.
    * ``t2_us``: coherence time, default 50 us [U]; ``t2_us <= 2 * t1_us`` is enforced.
    * ``readout_error``: outcome flip probability in [0, 0.5], default 0.01 [U] (to be fitted).
    * ``reset_error``: probability in [0, 0.5] that the reset leaves the wrong state, default
      0.01 [U] (to be fitted).
    * ``erasure_flagged``: whether f->e decays are heralded by the three-state readout and given to
      the decoder as erasures, default True (Ocelot's decoder does this [S], §3c, §5).
    * ``flaggable_decay_fraction``: share of first decays that are of the heralded f->e type, in
      [0, 1], default 1.0 [U]: direct f->g decay is suppressed for a transmon; set it below 1 to
      model an unflagged decay channel. See :func:`transmon_decay_split`.

    >>> TransmonParams(t1_us=50, t2_us=120)
    Traceback (most recent call last):
    ...
    catcode.errors.CatcodeError: t2_us must be <= 2 * t1_us = 100 (T2 <= 2 T1); got t2_us=120
    """

    t1_us: float = 50.0
    t2_us: float = 50.0
    readout_error: float = 0.01
    reset_error: float = 0.01
    erasure_flagged: bool = True
    flaggable_decay_fraction: float = 1.0

    def __post_init__(self) -> None:
        s = object.__setattr__
        s(self, "t1_us", require_positive("t1_us", self.t1_us))
        s(self, "t2_us", require_positive("t2_us", self.t2_us))
        if self.t2_us > 2.0 * self.t1_us:
            raise CatcodeError(
                f"t2_us must be <= 2 * t1_us = {2.0 * self.t1_us:g} (T2 <= 2 T1); got t2_us={self.t2_us:g}"
            )
        s(self, "readout_error", require_probability("readout_error", self.readout_error))
        s(self, "reset_error", require_probability("reset_error", self.reset_error))
        require_bool("erasure_flagged", self.erasure_flagged)
        s(
            self,
            "flaggable_decay_fraction",
            require_probability("flaggable_decay_fraction", self.flaggable_decay_fraction, maximum=1.0),
        )


@dataclasses.dataclass(frozen=True)
class Timings:
    """Durations of one syndrome-extraction cycle (ns).

    * ``cx_duration_ns``: one CX, > 0, default 400 ns: inside Ocelot's 292-552 ns across the
      device [S x2] (§5), near the middle. Per-edge overrides belong on the layout.
    * ``ancilla_prep_ns``: ancilla reset and preparation, >= 0, default 300 ns [U].
    * ``ancilla_measure_ns``: ancilla measurement, >= 0, default 1200 ns [U].
    * ``cycle_ns``: one full cycle, > 0, default 2800 ns: Ocelot's 2.8 us [S x2] (§5).
    * ``cx_layers``: CX layers per cycle, integer >= 1, default 2 (each repetition-code check runs
      two CX, §5).

    The gate layers must fit: ``cx_duration_ns <= cycle_ns`` and ``ancilla_prep_ns + cx_layers *
    cx_duration_ns + ancilla_measure_ns <= cycle_ns``. What is left is :attr:`slack_ns`.

    >>> Timings().slack_ns
    500.0
    >>> Timings(cx_duration_ns=3000)
    Traceback (most recent call last):
    ...
    catcode.errors.CatcodeError: cx_duration_ns must be <= cycle_ns = 2800 (a CX cannot be longer than the cycle); got 3000
    """

    cx_duration_ns: float = 400.0
    ancilla_prep_ns: float = 300.0
    ancilla_measure_ns: float = 1200.0
    cycle_ns: float = 2800.0
    cx_layers: int = 2

    def __post_init__(self) -> None:
        s = object.__setattr__
        s(self, "cx_duration_ns", require_positive("cx_duration_ns", self.cx_duration_ns))
        s(self, "ancilla_prep_ns", _require_duration("ancilla_prep_ns", self.ancilla_prep_ns))
        s(self, "ancilla_measure_ns", _require_duration("ancilla_measure_ns", self.ancilla_measure_ns))
        s(self, "cycle_ns", require_positive("cycle_ns", self.cycle_ns))
        require_int_at_least("cx_layers", self.cx_layers, 1)
        if self.cx_duration_ns > self.cycle_ns:
            raise CatcodeError(
                f"cx_duration_ns must be <= cycle_ns = {self.cycle_ns:g} (a CX cannot be longer than "
                f"the cycle); got {self.cx_duration_ns:g}"
            )
        if self.busy_ns > self.cycle_ns:
            raise CatcodeError(
                f"the gate layers must fit in cycle_ns = {self.cycle_ns:g}: ancilla_prep_ns "
                f"({self.ancilla_prep_ns:g}) + cx_layers ({self.cx_layers}) * cx_duration_ns "
                f"({self.cx_duration_ns:g}) + ancilla_measure_ns ({self.ancilla_measure_ns:g}) = "
                f"{self.busy_ns:g} ns; shorten them or increase cycle_ns"
            )

    @property
    def busy_ns(self) -> float:
        """Ancilla preparation + all CX layers + ancilla measurement (ns)."""
        return self.ancilla_prep_ns + self.cx_layers * self.cx_duration_ns + self.ancilla_measure_ns

    @property
    def slack_ns(self) -> float:
        """Time of the cycle not taken by :attr:`busy_ns` (ns), >= 0."""
        return self.cycle_ns - self.busy_ns


# --------------------------------------------------------------------------- rate -> probability


def flip_probability(rate_hz: float, duration_ns: float) -> float:
    """Probability of an odd number of flips of a Poisson process: ``(1 - exp(-2 Gamma t)) / 2``.

    docs/physics.md §1 [C: Le Régent et al. released code]: <X> decays as exp(-2 Gamma t). Never above
    0.5; ``1 - exp(-Gamma t)`` would be wrong by up to 2x at Ocelot's error levels.

    >>> round(flip_probability(1e4, 1000.0), 6)  # 2 Gamma t = 0.02
    0.009901
    >>> flip_probability(1e12, 1e6)
    0.5
    """
    rate = require_positive("rate_hz", rate_hz, allow_zero=True)
    t = _require_duration("duration_ns", duration_ns) * _NS
    return -math.expm1(-2.0 * rate * t) / 2.0


def _compose_three(qa: float, qb: float, qc: float) -> float:
    """P(Pauli A) from independent flips A, B, C with B*C = A (up to phase); manifestly >= 0."""
    return qa * (1.0 - qb) * (1.0 - qc) + (1.0 - qa) * qb * qc


def pauli_probabilities(
    rate_x_hz: float, rate_y_hz: float, rate_z_hz: float, duration_ns: float
) -> tuple[float, float, float]:
    """(pX, pY, pZ) after ``duration_ns`` of independent X, Y, Z flip processes at the given rates.

    Closed form of docs/physics.md §1 [C: Alice & Bob qiskit provider]:
    ``pX = 1/4 [1 + e^{-2(rY+rZ)t} - e^{-2(rX+rZ)t} - e^{-2(rX+rY)t}]`` and cyclically. It is
    evaluated as the composition of the three independent flips (each by :func:`flip_probability`),
    ``pX = qX (1-qY)(1-qZ) + (1-qX) qY qZ``, which is algebraically identical and free of
    cancellation for tiny rates. With one non-zero rate it reduces to :func:`flip_probability`.

    >>> px, py, pz = pauli_probabilities(0.0, 0.0, 1e4, 1000.0)
    >>> (px, py, round(pz, 6))
    (0.0, 0.0, 0.009901)
    """
    qx = flip_probability(rate_x_hz, duration_ns)
    qy = flip_probability(rate_y_hz, duration_ns)
    qz = flip_probability(rate_z_hz, duration_ns)
    return _compose_three(qx, qy, qz), _compose_three(qy, qx, qz), _compose_three(qz, qx, qy)


def compose_flips(a: float, b: float) -> float:
    """Two independent flips with probabilities a and b: ``a(1-b) + b(1-a)`` (docs/physics.md §1) [C].

    >>> compose_flips(0.1, 0.2)
    0.26
    """
    pa = require_probability("a", a)
    pb = require_probability("b", b)
    return pa * (1.0 - pb) + pb * (1.0 - pa)


# --------------------------------------------------------------------------- Pauli channel algebra

# Pauli letters as (x, z) bits; products ignore phases.
_BITS = {"I": (0, 0), "X": (1, 0), "Z": (0, 1), "Y": (1, 1)}


@functools.lru_cache(maxsize=8)
def _channel_keys(num_qubits: int) -> tuple[str, ...]:
    """Non-identity Pauli strings in Stim's order (lexicographic in I, X, Y, Z)."""
    return tuple("".join(t) for t in itertools.product("IXYZ", repeat=num_qubits))[1:]


@functools.lru_cache(maxsize=8)
def _pauli_codes(num_qubits: int) -> dict[str, int]:
    """Pauli strings (identity included) -> their (x, z) bits as an int: products are XORs."""
    return {
        "".join(t): sum((_BITS[c][0] | _BITS[c][1] << 1) << 2 * k for k, c in enumerate(t))
        for t in itertools.product("IXYZ", repeat=num_qubits)
    }


@functools.lru_cache(maxsize=8)
def _valid_keys(num_qubits: int) -> frozenset[str]:
    return frozenset(_channel_keys(num_qubits))


def _validated_channel(name: str, channel: Mapping[str, float]) -> tuple[int, dict[str, float]]:
    first = next(iter(channel), None)
    if type(first) is str and 0 < len(first) <= 3 and _valid_keys(len(first)).issuperset(channel):
        out = dict(channel)  # the common case, checked at once: float probabilities, valid keys
        if all(type(v) is float and 0.0 <= v <= 1.0 for v in out.values()) and sum(out.values()) <= 1.0 + 1e-12:
            return len(first), out
    if not channel:
        raise CatcodeError(f"{name} must be a non-empty dict from Pauli strings to probabilities; got {{}}")
    lengths = {len(k) if isinstance(k, str) else -1 for k in channel}
    if len(lengths) != 1 or -1 in lengths or 0 in lengths:
        keys = sorted(map(repr, channel))
        raise CatcodeError(f"{name} keys must be Pauli strings of one common length; got {keys}")
    (n,) = lengths
    out: dict[str, float] = {}
    for key, value in channel.items():
        if set(key) - set("IXYZ") or key == "I" * n:
            raise CatcodeError(
                f"{name} keys must be non-identity strings over I, X, Y, Z; got {key!r}"
            )
        out[key] = require_probability(f"{name}[{key!r}]", value, maximum=1.0)
    total = sum(out.values())
    if total > 1.0 + 1e-12:
        raise CatcodeError(f"{name} probabilities must sum to <= 1; got {total:.6g}")
    return n, out


def compose_pauli_channels(a: Mapping[str, float], b: Mapping[str, float], *more: Mapping[str, float]) -> dict[str, float]:
    """Pauli channel of ``a`` followed by ``b`` (independent): p(P) = sum over Q R = P of a(Q) b(R).

    Generalises :func:`compose_flips` (docs/physics.md §1) to n-qubit Pauli channels. Keys are Pauli
    strings of one length (identity implied as the remainder); the result has every non-identity
    key, in Stim's order. Further channels ``more`` follow in turn: ``compose_pauli_channels(a, b,
    c)`` is ``compose_pauli_channels(compose_pauli_channels(a, b), c)``, float for float (the
    intermediate channels are not validated again).

    >>> c = compose_pauli_channels({"ZI": 0.1}, {"IZ": 0.2})
    >>> {k: round(v, 6) for k, v in c.items() if v}
    {'IZ': 0.18, 'ZI': 0.08, 'ZZ': 0.02}
    """
    n, out = _validated_channel("a", a)
    for k, channel in enumerate((b, *more)):
        m, valid = _validated_channel("b" if k == 0 else f"channel {k + 2}", channel)
        if m != n:
            raise CatcodeError(f"channels must act on the same number of qubits; got {n} and {m}")
        out = _composed(out, valid, n)
    return out


def _composed(ca: dict[str, float], cb: dict[str, float], n: int) -> dict[str, float]:
    """:func:`compose_pauli_channels` of two validated channels (fresh dicts: the identity is added to them)."""
    identity = "I" * n
    ca[identity] = max(0.0, 1.0 - sum(ca.values()))
    cb[identity] = max(0.0, 1.0 - sum(cb.values()))
    codes = _pauli_codes(n)
    # Products as XOR of (x, z) codes; zero terms skipped (adding 0.0 changes no sum), the
    # remaining ones added in the order of a's then b's keys, as the double sum is written.
    terms_b = [(codes[q], pb) for q, pb in cb.items() if pb != 0.0]
    acc = [0.0] * (4**n)
    for p, pa in ca.items():
        if pa != 0.0:
            cp = codes[p]
            for cq, pb in terms_b:
                acc[cp ^ cq] += pa * pb
    return {key: acc[codes[key]] for key in _channel_keys(n)}


def pauli_channel_2_args(channel: Mapping[str, float]) -> tuple[float, ...]:
    """The 15 arguments of Stim's ``PAULI_CHANNEL_2`` from a two-letter-keyed channel dict.

    Order IX, IY, IZ, XI, XX, XY, XZ, YI, YX, YY, YZ, ZI, ZX, ZY, ZZ; the first letter acts on
    the first target (docs/physics.md §1) [D, checked with stim 1.16]. Missing keys are 0; every value
    must lie in [0, 0.5].

    >>> pauli_channel_2_args({"ZI": 0.02, "ZZ": 0.01})
    (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.02, 0.0, 0.0, 0.01)
    """
    n, clean = _validated_channel("channel", channel)
    if n != 2:
        raise CatcodeError(f"channel keys must be two-letter Pauli strings like 'ZI'; got length {n}")
    if max(clean.values()) > 0.5:  # validated floats in [0, 1]: name the first one above 0.5
        for key, value in clean.items():
            require_probability(f"channel[{key!r}]", value)
    return tuple(map(clean.get, PAULI_CHANNEL_2_ORDER, itertools.repeat(0.0)))


# --------------------------------------------------------------------------- cat at rest


def cat_phase_flip_rate_hz(cat: CatParams) -> float:
    """Phase-flip (Z) rate of a stabilised cat (s^-1).

    ``Gamma_Z = k1 [n (1 + 2 nth) + nth] + c * kphi * n`` (docs/physics.md §2): every photon loss flips
    parity, ``n k1`` [C: Alice & Bob provider; Le Régent et al.]; thermal correction [D, not
    source-verified]; dephasing term with prefactor ``c = cat.dephasing_z_prefactor`` [U].

    >>> cat_phase_flip_rate_hz(CatParams(nbar=4, kappa_1_hz=1e3, kappa_2_hz=1e6))
    4000.0
    """
    n, k1, nth = cat.nbar, cat.kappa_1_hz, cat.n_thermal
    return k1 * (n * (1.0 + 2.0 * nth) + nth) + cat.dephasing_z_prefactor * cat.kappa_phi_hz * n


def cat_bit_flip_rate_hz(cat: CatParams) -> float:
    """Total bit-flip rate (X plus Y, the flips of <Z>) of a cat at rest (s^-1).

    * ``"two_photon"``: ``1.1e-3 * n * k1 * e^{-2n}`` (docs/physics.md §2, §3b) [C: Alice & Bob
      emulator, split evenly into X and Y by :func:`cat_idle_channel`].
    * ``"empirical"``: ``1 / T_X(n)`` with ``T_X(n) = T0 e^{gamma n} / n`` and ``T0`` fixed by
      ``T_X(n_ref) = T_ref``, i.e. ``Gamma_X = n / (n_ref T_ref) * e^{-gamma (n - n_ref)}``
      (docs/physics.md §2) [C-ish]; halved under ``bit_flip_time_convention="decay"``.

    >>> cat = CatParams(nbar=2, kappa_1_hz=1e4, kappa_2_hz=1e6, bit_flip_model="empirical")
    >>> cat_bit_flip_rate_hz(cat)  # 1 / (1 ms) at the reference point
    1000.0
    """
    n = cat.nbar
    if cat.bit_flip_model == "two_photon":
        log_rate = math.log(TWO_PHOTON_IDLE_BIT_FLIP_PREFACTOR * n) + math.log(cat.kappa_1_hz) - 2.0 * n
        if log_rate < _MAX_LOG_RATE:  # the direct form (bit-identical to earlier releases) is finite
            return TWO_PHOTON_IDLE_BIT_FLIP_PREFACTOR * n * cat.kappa_1_hz * math.exp(-2.0 * n)
        return math.exp(_MAX_LOG_RATE)
    t_ref_s = cat.bit_flip_time_ref_us * _US
    exponent = -cat.bit_flip_gamma * (n - cat.bit_flip_nbar_ref)
    log_rate = math.log(n) - math.log(cat.bit_flip_nbar_ref) - math.log(cat.bit_flip_time_ref_us) - math.log(_US) + exponent
    if log_rate >= _MAX_LOG_RATE or exponent > 700.0:
        # e^{-gamma (n - n_ref)} alone would overflow (gamma (n_ref - n) > 709): any such rate
        # saturates every flip probability at 1/2, so cap it (a log-space evaluation).
        return math.exp(min(log_rate, _MAX_LOG_RATE))
    rate = n / (cat.bit_flip_nbar_ref * t_ref_s) * math.exp(exponent)
    if cat.bit_flip_time_convention == "decay":
        rate /= 2.0
    return rate


def cat_idle_channel(cat: CatParams, duration_ns: float) -> tuple[float, float, float]:
    """(pX, pY, pZ) of a cat idling for ``duration_ns``.

    Rates ``r_Z = Gamma_Z`` (:func:`cat_phase_flip_rate_hz`) and ``r_X = r_Y = Gamma_X / 2``
    (:func:`cat_bit_flip_rate_hz`), combined by the closed form of docs/physics.md §1 (table row
    "idle" of §3b) [C: Alice & Bob provider].

    >>> cat = CatParams(nbar=4, kappa_1_hz=OCELOT_KAPPA_1_HZ, kappa_2_hz=1e6, bit_flip_model="empirical")
    >>> px, py, pz = cat_idle_channel(cat, 2800.0)
    >>> pz / px > 1e3
    True
    """
    gx = cat_bit_flip_rate_hz(cat)
    return pauli_probabilities(gx / 2.0, gx / 2.0, cat_phase_flip_rate_hz(cat), duration_ns)


# --------------------------------------------------------------------------- cat-cat CX (§3a)


def _non_adiabatic_coefficient(variant: str, control: CatParams, target: CatParams) -> float:
    """A in the non-adiabatic control Z error A / T (seconds)."""
    n = (control.nbar + target.nbar) / 2.0
    k2 = (control.kappa_2_hz + target.kappa_2_hz) / 2.0
    if variant == "chamberland":
        return math.pi**2 / (64.0 * n * k2)
    return 1.0 / (2.0 * math.pi * n * k2)


def cat_cat_cx_optimal_duration_ns(
    control: CatParams, target: CatParams | None = None, *, variant: str = "chamberland"
) -> float:
    """Gate time minimising the total Z error of the cat-cat CX (ns).

    The Z error of :func:`cat_cat_cx_channel` is ``B T + A / T`` with ``B = Gamma_Z(control) +
    Gamma_Z(target)`` (the loss terms ``n k1 T + n k1 T / 2 + n k1 T / 2``) and ``A`` the
    non-adiabatic coefficient, so ``T* = sqrt(A / B)``. For identical cats without thermal photons
    or dephasing (docs/physics.md §3a):

    * ``"chamberland"`` (A = pi^2 / (64 n k2)): ``T* = pi / (8 n sqrt(2 k1 k2))`` [C], giving
      ``p = n k1 T* = pi / (8 sqrt 2) * sqrt(k1/k2)``;
    * ``"guillaud_mirrahimi"`` (A = 1 / (2 pi n k2)): ``T* = 1 / (2 n sqrt(pi k1 k2))`` [D],
      giving ``p = sqrt(k1/k2) / (2 sqrt(pi))``.

    At the optimum ``B T* = A / T*``, so in both variants Z_control = 3p and Z_target = ZZ = p/2.
    Faster ancilla (Le Régent et al., Quantum 7, 1198 (2023)): A uses the mean kappa_2 (and mean
    nbar) of the two cats, B each cat's own loss [C].

    >>> cat = CatParams(nbar=4, kappa_1_hz=1e3, kappa_2_hz=1e6)
    >>> round(cat_cat_cx_optimal_duration_ns(cat), 1)  # pi / (8 * 4 * sqrt(2e9)) s = 2.195 us
    2195.3
    """
    target = control if target is None else target
    require_choice("variant", variant, CX_VARIANTS)
    a = _non_adiabatic_coefficient(variant, control, target)
    b = cat_phase_flip_rate_hz(control) + cat_phase_flip_rate_hz(target)
    return math.sqrt(a / b) / _NS


def cat_cat_cx_channel(
    control: CatParams,
    target: CatParams | None = None,
    duration_ns: float | None = None,
    *,
    variant: str = "chamberland",
    bit_flip: str = "guillaud_mirrahimi",
) -> dict[str, float]:
    """PAULI_CHANNEL_2 of a cat-cat CX (control = ancilla cat first, target = data cat second).

    Apply after ``CX control target``; it covers everything during the gate, so do not add idle
    noise for the same interval. ``duration_ns=None`` uses :func:`cat_cat_cx_optimal_duration_ns`.

    Phase flips (docs/physics.md §3a) [C: Alice & Bob provider; Le Régent et al. code], Chamberland et
    al. PRX Quantum 3, 010329 (2022) / Gouzien et al. PRL 2023, for gate time T:

    * ``ZI`` (Z on control) = ``n k1 T + pi^2 / (64 n k2 T)`` (``"chamberland"``) or
      ``n k1 T + 1 / (2 pi n k2 T)`` (``"guillaud_mirrahimi"``, Guillaud & Mirrahimi PRX 9,
      041053 (2019));
    * ``IZ`` (Z on target) = ``ZZ`` = ``n k1 T / 2`` (the target's losses, half of which
      propagate back onto the control).

    ``n k1`` is each cat's full phase-flip rate (:func:`cat_phase_flip_rate_hz`; equal to n k1
    without thermal photons or dephasing): ``ZI`` uses the control's, ``IZ`` and ``ZZ`` the
    target's. Faster ancilla (Le Régent et al., Quantum 7, 1198 (2023)) [C]: the non-adiabatic
    term uses the mean kappa_2 (and mean nbar) of the two cats.

    Bit flips (``bit_flip``):

    * ``"guillaud_mirrahimi"`` (default): total ``(5.58 sqrt(k1/k2) T/T* + 1.68 k1/k2) e^{-2n}``
      per CX (Guillaud & Mirrahimi PRA 2021 fit of simulated CNOTs at the optimal time T*) [C],
      spread evenly over X_c, X_t, X_cX_t, Y_c, Y_cX_t, Z_cX_t (our choice [D]: the fit gives a
      total only). At T = T* this is the published fit; for another gate time the sqrt term,
      which is ``n k1 T*`` times a constant, scales with T (docs/physics.md §3a) [D];
    * ``"alice_bob"``: total ``2631 n k1 T e^{-2n}`` (the emulator's expression, evaluated there
      at T = 1/k2) over the same six slots [C]. Its prefactor was tuned to a single point
      (n = 19, k1/k2 = 1e-5, per the emulator's code comment); at moderate n it exceeds the GM fit
      by ~100x (n = 4, k1/k2 = 1e-3: 7.7e-3 against 6.0e-5 per CX at T*);
    * ``"idle"``: each cat's own idle bit flips over T (:func:`cat_bit_flip_rate_hz`, X and Y
      halves), e.g. for cats with the empirical law;
    * ``"none"``: no bit flips.

    For ``"alice_bob"`` and ``"guillaud_mirrahimi"``, n, k1 and k2 are the means over the two
    cats (exact for identical cats). The formulas are per-gate probabilities used verbatim (no
    exponential conversion), as in the sources.

    >>> cat = CatParams(nbar=4, kappa_1_hz=1e3, kappa_2_hz=1e6)  # k1/k2 = 1e-3
    >>> ch = cat_cat_cx_channel(cat)
    >>> round(ch["ZZ"] * 2, 5), round(ch["ZI"], 4)  # p = n k1 T*, Z_control = 3p
    (0.00878, 0.0263)
    """
    target = control if target is None else target
    require_choice("variant", variant, CX_VARIANTS)
    require_choice("bit_flip", bit_flip, CX_BIT_FLIP_MODELS)
    if duration_ns is None:
        duration_ns = cat_cat_cx_optimal_duration_ns(control, target, variant=variant)
    else:
        duration_ns = require_positive("duration_ns", duration_ns)

    out = dict.fromkeys(PAULI_CHANNEL_2_ORDER, 0.0)
    out["ZI"] = _cx_control_phase_flip(control, target, duration_ns, variant)
    out["IZ"], out["ZZ"] = _cx_target_phase_flips(target, duration_ns)
    out.update(_cx_bit_flips(control, target, duration_ns, variant, bit_flip))

    total = sum(out.values())
    if total > 1.0:
        raise CatcodeError(
            f"cat-cat CX error probabilities sum to {total:.4g} > 1: reduce duration_ns or kappa_1_hz"
        )
    return out


def _cx_control_phase_flip(control: CatParams, target: CatParams, duration_ns: float, variant: str) -> float:
    """``ZI`` of the cat-cat CX: the control's losses ``n k1 T`` plus the non-adiabatic ``A / T``.

    docs/physics.md §3a [C: Chamberland et al. PRX Quantum 3, 010329 (2022); Guillaud & Mirrahimi
    PRX 9, 041053 (2019) for ``variant="guillaud_mirrahimi"``]; ``A`` uses the mean nbar and
    kappa_2 of the two cats (Le Régent et al., Quantum 7, 1198 (2023)).
    """
    t = duration_ns * _NS
    non_adiabatic = _non_adiabatic_coefficient(variant, control, target) / t if t > 0.0 else math.inf
    return _checked(
        cat_phase_flip_rate_hz(control) * t + non_adiabatic,
        "cat-cat CX Z on the control (n k1 T + non-adiabatic term)",
        f"reduce duration_ns ({duration_ns:g}) or kappa_1_hz if the loss term n k1 T dominates, or "
        "increase duration_ns, nbar or kappa_2_hz if the non-adiabatic term dominates",
    )


def _cx_target_phase_flips(target: CatParams, duration_ns: float) -> tuple[float, float]:
    """``(IZ, ZZ)`` of the cat-cat CX: each ``n k1 T / 2``, the target's losses, half of which
    propagate back onto the control (docs/physics.md §3a) [C: Chamberland et al. 2022]."""
    half_target = cat_phase_flip_rate_hz(target) * (duration_ns * _NS) / 2.0
    fix_target = f"reduce duration_ns ({duration_ns:g}) or the target's kappa_1_hz, nbar"
    return (
        _checked(half_target, "cat-cat CX Z on the target (n k1 T / 2)", fix_target),
        _checked(half_target, "cat-cat CX Z on both (n k1 T / 2)", fix_target),
    )


def _cx_bit_flips(control: CatParams, target: CatParams, duration_ns: float, variant: str, bit_flip: str) -> dict[str, float]:
    """The bit-flip entries of the cat-cat CX channel for model ``bit_flip`` (see
    :func:`cat_cat_cx_channel`): a fitted total spread over :data:`CX_BIT_FLIP_SLOTS`
    (``"alice_bob"``, ``"guillaud_mirrahimi"``), each cat's idle flips (``"idle"``), or none."""
    if bit_flip in ("alice_bob", "guillaud_mirrahimi"):
        total = _cx_fitted_bit_flip_total(control, target, duration_ns, variant, bit_flip)
        each = _checked(
            total / 6.0,
            f"cat-cat CX bit flip per Pauli ({bit_flip} model, total {total:.4g} over 6 Paulis)",
            "increase nbar, or reduce kappa_1_hz / kappa_2_hz or duration_ns",
        )
        return dict.fromkeys(CX_BIT_FLIP_SLOTS, each)
    out: dict[str, float] = {}
    if bit_flip == "idle":
        for cat, (x_key, y_key) in ((control, ("XI", "YI")), (target, ("IX", "IY"))):
            q = flip_probability(cat_bit_flip_rate_hz(cat) / 2.0, duration_ns)
            out[x_key] = q
            out[y_key] = q
    return out


def _cx_fitted_bit_flip_total(control: CatParams, target: CatParams, duration_ns: float, variant: str, bit_flip: str) -> float:
    """Total bit-flip probability of one cat-cat CX, with n, k1, k2 the means over the two cats.

    ``"alice_bob"``: ``2631 n k1 T e^{-2n}`` (the Alice & Bob emulator's expression) [C];
    ``"guillaud_mirrahimi"``: ``(5.58 sqrt(k1/k2) T/T* + 1.68 k1/k2) e^{-2n}`` (Guillaud &
    Mirrahimi PRA 2021 fit at T*; the T/T* scaling is ours [D]), docs/physics.md §3a.
    """
    t = duration_ns * _NS
    n = (control.nbar + target.nbar) / 2.0
    k1 = (control.kappa_1_hz + target.kappa_1_hz) / 2.0
    k2 = (control.kappa_2_hz + target.kappa_2_hz) / 2.0
    if bit_flip == "alice_bob":
        return ALICE_BOB_CX_BIT_FLIP_PREFACTOR * n * k1 * t * math.exp(-2.0 * n)
    c_sqrt, c_lin = GUILLAUD_MIRRAHIMI_CX_BIT_FLIP_COEFFS
    # The fit is per CX at the optimal time T*; its sqrt(k1/k2) term is n k1 T* times a
    # constant (loss-driven flips accumulate over the gate), so it scales as T / T*.
    t_opt = cat_cat_cx_optimal_duration_ns(control, target, variant=variant) * _NS
    return (c_sqrt * math.sqrt(k1 / k2) * (t / t_opt) + c_lin * k1 / k2) * math.exp(-2.0 * n)


# --------------------------------------------------------------------------- cat prep / measure (§3b)


class OperationError(NamedTuple):
    """Duration of a cat operation and the probability of its single Pauli error ``pauli``.

    For preparations the error acts right after the reset; for measurements it flips the outcome
    (equivalently, acts right before the measurement).
    """

    duration_ns: float
    probability: float
    pauli: str


def cat_prepare_plus(cat: CatParams, duration_ns: float | None = None) -> OperationError:
    """Prepare |+> by inflating the cat from vacuum: Z with ``n k1 T``, ``T = 1/k2`` by default.

    docs/physics.md §3b [C: Alice & Bob provider, citing Chamberland et al. PRX Quantum 3, 010329
    (2022)]. ``n k1`` is the full phase-flip rate (:func:`cat_phase_flip_rate_hz`). Pass
    ``duration_ns`` to use a measured preparation time instead of 1/k2.

    >>> cat_prepare_plus(CatParams(nbar=4, kappa_1_hz=1e3, kappa_2_hz=1e6))
    OperationError(duration_ns=1000.0, probability=0.004, pauli='Z')
    """
    return _phase_flips_during(cat, duration_ns, "cat |+> preparation Z error (n k1 T)", "preparation")


def _phase_flips_during(cat: CatParams, duration_ns: float | None, what: str, step: str) -> OperationError:
    """Z with ``n k1 T`` over an X-basis step lasting ``T`` (``1/kappa_2`` by default), docs/physics.md §3b."""
    t_ns = 1e9 / cat.kappa_2_hz if duration_ns is None else _require_duration("duration_ns", duration_ns)
    p = _checked(
        cat_phase_flip_rate_hz(cat) * t_ns * _NS,
        what,
        f"reduce the {step} time ({t_ns:g} ns; default 1/kappa_2_hz) or kappa_1_hz",
    )
    return OperationError(t_ns, p, "Z")


def cat_prepare_zero(cat: CatParams) -> OperationError:
    """Prepare |0> as a coherent state: X with ``0.39 e^{-4n}``, duration ``0.1 / (k2 n)``.

    docs/physics.md §3b [C: Alice & Bob provider, citing Chamberland et al. (2022), Table II].

    >>> op = cat_prepare_zero(CatParams(nbar=1, kappa_1_hz=1e3, kappa_2_hz=1e6))
    >>> op.duration_ns, round(op.probability, 5), op.pauli
    (100.0, 0.00714, 'X')
    """
    t_ns = 0.1e9 / (cat.kappa_2_hz * cat.nbar)
    return OperationError(t_ns, 0.39 * math.exp(-4.0 * cat.nbar), "X")


def cat_measure_x(cat: CatParams, duration_ns: float | None = None) -> OperationError:
    """Measure X (photon-number parity): Z with ``n k1 T``, ``T = 1/k2`` by default.

    docs/physics.md §3b [C: Alice & Bob provider, citing Chamberland et al. (2022)]; ``n k1`` is the
    full phase-flip rate. Pass ``duration_ns`` to use a measured readout time.

    >>> cat_measure_x(CatParams(nbar=4, kappa_1_hz=1e3, kappa_2_hz=1e6)).probability
    0.004
    """
    return _phase_flips_during(cat, duration_ns, "cat X-measurement error (n k1 T)", "measurement")


#: Z-readout duration of a cat (ns) in the Alice & Bob provider [C] (docs/physics.md §3b).
CAT_MEASURE_Z_NS = 850.0


def cat_measure_z(cat: CatParams, duration_ns: float = CAT_MEASURE_Z_NS) -> OperationError:
    """Measure Z: outcome flip (X) with ``exp(-1.5 - 0.9 n)``, lasting ``duration_ns`` (850 ns).

    docs/physics.md §3b [C: Alice & Bob provider, citing Chamberland et al. (2022), Eq. 38]. The
    error does not depend on the duration (a fit at the published 850 ns).

    >>> round(cat_measure_z(CatParams(nbar=2, kappa_1_hz=1e3, kappa_2_hz=1e6)).probability, 5)
    0.03688
    """
    return OperationError(_require_duration("duration_ns", duration_ns), math.exp(-1.5 - 0.9 * cat.nbar), "X")


# --------------------------------------------------------------------------- transmons (§4)


def transmon_idle_channel(transmon: TransmonParams, duration_ns: float) -> tuple[float, float, float]:
    """(pX, pY, pZ) of a transmon idling: Pauli-twirled amplitude and phase damping.

    ``pX = pY = (1 - e^{-t/T1}) / 4``, ``pZ = (1 - e^{-t/T2}) / 2 - pX`` (Ghosh, Fowler & Geller,
    PRA 86, 062318 (2012); docs/physics.md §4). ``T2 <= 2 T1`` keeps pZ >= 0.

    Its X and Y parts on a control transmon would spread to cat X through a following CX in a
    Stim circuit; for ancillas of a bias-preserving CX, :func:`transmon_ancilla_idle_channel`
    gives the §3c mapping instead.

    >>> [round(p, 6) for p in transmon_idle_channel(TransmonParams(t1_us=50, t2_us=50), 1000.0)]
    [0.00495, 0.00495, 0.00495]
    """
    t_ns = _require_duration("duration_ns", duration_ns)
    a = _ratio(t_ns, transmon.t1_us)
    b = _ratio(t_ns, transmon.t2_us)
    p_xy = -math.expm1(-a) / 4.0
    # pZ = (1 - 2 e^{-b} + e^{-a}) / 4 = [(1 - e^{-a/2})^2 + 2 (e^{-a/2} - e^{-b})] / 4: two terms
    # that are >= 0 because b >= a/2 (T2 <= 2 T1), written without cancellation.
    d = b - a / 2.0
    gap = math.exp(-b) * math.expm1(d) if d < 1.0 else math.exp(-a / 2.0) - math.exp(-b)
    p_z = (math.expm1(-a / 2.0) ** 2 + 2.0 * gap) / 4.0
    return p_xy, p_xy, p_z


def transmon_decay_probability(transmon: TransmonParams, duration_ns: float) -> float:
    """Probability of at least one energy decay in ``duration_ns``: ``1 - e^{-t/T1}`` (§4).

    Above 0.5 (a duration beyond ln 2 * T1) it is rejected like every other probability.

    >>> round(transmon_decay_probability(TransmonParams(t1_us=50), 500.0), 6)
    0.00995
    """
    t_ns = _require_duration("duration_ns", duration_ns)
    return _checked(
        -math.expm1(-_ratio(t_ns, transmon.t1_us)),
        "transmon decay probability (1 - exp(-t/T1))",
        f"reduce duration_ns ({duration_ns:g}) or increase t1_us ({transmon.t1_us:g})",
    )


def transmon_dephasing_probability(transmon: TransmonParams, duration_ns: float) -> float:
    """Pure-dephasing Z probability: ``(1 - e^{-t/T_phi}) / 2`` with ``1/T_phi = 1/T2 - 1/(2 T1)``.

    The T1 part of T2 is the decay, handled separately (:func:`transmon_decay_split`) (standard
    decomposition, e.g. Ghosh, Fowler & Geller PRA 86, 062318 (2012); docs/physics.md §4).

    >>> round(transmon_dephasing_probability(TransmonParams(t1_us=50, t2_us=50), 1000.0), 6)
    0.004975
    """
    t = _require_duration("duration_ns", duration_ns) * _NS
    t1_s, t2_s = transmon.t1_us * _US, transmon.t2_us * _US
    if not (t1_s > 0.0 and t2_s > 0.0):  # a denormal T (5e-324 us) underflows: dephasing is complete
        return 0.5 if t > 0.0 else 0.0
    gamma_phi = 1.0 / t2_s - 1.0 / (2.0 * t1_s)
    return -math.expm1(-t * max(gamma_phi, 0.0)) / 2.0


def _at_least_two_decays(x: float) -> float:
    """1 - e^{-x} (1 + x): probability of two successive decays (equal rates) within x = t/T1."""
    if x < 1e-3:
        return x * x / 2.0 - x**3 / 3.0 + x**4 / 8.0 - x**5 / 30.0
    return -math.expm1(-x) - x * math.exp(-x)


def transmon_decay_split(transmon: TransmonParams, duration_ns: float) -> tuple[float, float]:
    """(heralded, unheralded) decay probabilities of a g/f transmon over ``duration_ns``.

    Model choice [D] (docs/physics.md §3c: f->e decays flagged by a three-state readout [S]), with
    ``x = t / T1``, f fraction ``f = flaggable_decay_fraction`` and the e level decaying with the
    same T1 [U]:

    * heralded (erasure) = ``f * x e^{-x}`` (exactly one f->e decay: the transmon ends in e);
    * unheralded = ``(1 - f)(1 - e^{-x}) + f (1 - e^{-x} (1 + x))`` (an unflaggable first decay,
      or f->e followed by e->g inside the interval, which the readout cannot tell from g).

    The two add up to :func:`transmon_decay_probability`. With ``erasure_flagged=False`` every
    decay is unheralded. Second decays in later intervals are not tracked (an O((t/T1)^2) term).

    >>> h, u = transmon_decay_split(TransmonParams(t1_us=50), 500.0)
    >>> round(h, 6), round(u, 8)
    (0.0099, 4.967e-05)
    """
    p_any = transmon_decay_probability(transmon, duration_ns)
    if not transmon.erasure_flagged:
        return 0.0, p_any
    x = _ratio(duration_ns, transmon.t1_us)
    f = transmon.flaggable_decay_fraction
    heralded = f * x * math.exp(-x)
    unheralded = (1.0 - f) * p_any + f * _at_least_two_decays(x)
    return heralded, unheralded


def transmon_ancilla_idle_channel(transmon: TransmonParams, duration_ns: float) -> tuple[float, float]:
    """(erasure, pZ) of a transmon ancilla idling between bias-preserving CX gates.

    The §3c mapping [D] applied to an idle interval: heralded decays are erasures (see
    :func:`transmon_decay_split`); an unheralded decay randomises the syndrome bit (Z with
    probability 1/2); pure dephasing is Z (:func:`transmon_dephasing_probability`). No X or Y:
    an f->e decay does not change the cat rotation of the next CX (Ocelot's design, §3c [S]).
    Emit the erasure as ``HERALDED_PAULI_CHANNEL_1(e/2, 0, 0, e/2)`` (a heralded random syndrome).

    >>> e, pz = transmon_ancilla_idle_channel(TransmonParams(t1_us=50, t2_us=50), 500.0)
    >>> round(e, 6), round(pz, 6)
    (0.0099, 0.002518)
    """
    heralded, unheralded = transmon_decay_split(transmon, duration_ns)
    p_z = compose_flips(transmon_dephasing_probability(transmon, duration_ns), unheralded / 2.0)
    return heralded, p_z


# --------------------------------------------------------------------------- cat-transmon CX (§3c)


class CatTransmonCXChannel(NamedTuple):
    """Noise of one transmon-cat CX: ``pauli`` on (transmon, cat) and the transmon's ``erasure``.

    ``pauli`` is a PAULI_CHANNEL_2 dict (first letter = transmon = control = first target of
    ``CX transmon cat``); ``erasure`` is the probability of a heralded ancilla erasure. Unpacks as
    ``pauli, erasure = cat_transmon_cx_channel(...)``.
    """

    pauli: dict[str, float]
    erasure: float

    @property
    def heralded_pauli_channel_1_args(self) -> tuple[float, float, float, float]:
        """``(pI, pX, pY, pZ)`` for ``HERALDED_PAULI_CHANNEL_1`` on the transmon: a heralded
        random syndrome bit ``(e/2, 0, 0, e/2)``; no X, so the herald never spreads to a cat."""
        half = self.erasure / 2.0
        return half, 0.0, 0.0, half


def cat_transmon_cx_channel(
    cat: CatParams,
    transmon: TransmonParams,
    cx_duration_ns: float,
    *,
    residual_bit_flip: float = 0.0,
) -> CatTransmonCXChannel:
    """Noise of Ocelot's CX (transmon control, cat target) from physical parameters.

    Apply the ``pauli`` part after ``CX transmon cat``; it covers both qubits for the whole gate,
    so add no idle noise for the same interval. Model (docs/physics.md §3c; our reasoning [D], the
    gate's physics [P: Putterman et al., Nature 638, 927 (2025), abstract; S]):

    The CX rotates the cat by pi in phase space conditioned on the transmon (|g>, |f> encoding),
    with two-photon stabilisation pulling any rotation error smaller than pi/2 back to the nearer
    of +-alpha. Hence transmon faults become phase errors and syndrome errors, not cat bit flips:

    1. Cat evolution during the gate: the cat's idle channel (:func:`cat_idle_channel`) over the
       first half acts before the instantaneous CX (X_cat -> IX, Y_cat -> ZY, Z_cat -> ZZ: a cat
       phase flip kicks back onto the transmon), over the second half after it (IX, IY, IZ).
    2. Transmon pure dephasing: Z on the transmon (``ZI``), a flipped syndrome bit
       (:func:`transmon_dephasing_probability`).
    3. Transmon decay (:func:`transmon_decay_split`): f->e decays do not disturb the cat (Ocelot
       engineers the e level to rotate the cat like f) and, when ``erasure_flagged``, are returned
       as ``erasure``; the unheralded residue randomises the syndrome: ``ZI`` with half of it.
       Transmon X/Y errors are deliberately absent: in a Stim circuit they would spread through
       the next CX to cat X, which the biased gate suppresses.
    4. ``residual_bit_flip``: an extra X on the cat per gate (``IX``), in [0, 0.5], default 0.0
       [U], to be calibrated against Ocelot's measured bit-flip rate with CX running (§5: 3.5e-3
       per cycle at n = 2, against ~2.8e-3 from idling alone at a 1 ms bit-flip time [D]). It also
       absorbs the cat X of unheralded mid-gate decays to g (the rotation stopping past pi/2).

    The pieces are independent and composed exactly (:func:`compose_pauli_channels`).

    >>> cat = CatParams(nbar=2, kappa_1_hz=OCELOT_KAPPA_1_HZ, kappa_2_hz=1e6, bit_flip_model="empirical")
    >>> pauli, erasure = cat_transmon_cx_channel(cat, TransmonParams(t1_us=50, t2_us=50), 400.0)
    >>> round(pauli["ZZ"], 5), round(pauli["IZ"], 5), round(erasure, 5)
    (0.00658, 0.00658, 0.00794)
    >>> pauli["XI"] == pauli["YI"] == 0.0
    True
    """
    t_ns = require_positive("cx_duration_ns", cx_duration_ns)
    residual = require_probability("residual_bit_flip", residual_bit_flip)

    bx, by, bz = cat_idle_channel(cat, t_ns / 2.0)
    before = {"IX": bx, "ZY": by, "ZZ": bz}
    after = {"IX": bx, "IY": by, "IZ": bz}
    heralded, unheralded = transmon_decay_split(transmon, t_ns)
    p_anc_z = compose_flips(transmon_dephasing_probability(transmon, t_ns), unheralded / 2.0)

    channel = compose_pauli_channels(before, after, {"ZI": p_anc_z}, {"IX": residual})

    fixes = {
        "ZZ": "reduce cx_duration_ns or the cat's kappa_1_hz / nbar",
        "IZ": "reduce cx_duration_ns or the cat's kappa_1_hz / nbar",
        "ZI": "reduce cx_duration_ns or increase the transmon's t1_us / t2_us",
        "IX": "reduce residual_bit_flip or the cat's bit-flip rate",
    }
    for key, value in channel.items():
        _checked(value, f"cat-transmon CX {key} error", fixes.get(key, "reduce cx_duration_ns"))
    _checked(heralded, "cat-transmon CX erasure", "reduce cx_duration_ns or increase t1_us")
    return CatTransmonCXChannel(channel, heralded)


# --------------------------------------------------------------------------- Z-type checks (data cat controls)


def transmon_z_check_idle_channel(transmon: TransmonParams, duration_ns: float) -> tuple[float, float, float]:
    """(erasure, pX, pZ) of a transmon ancilla of a Z-type check idling between its CX gates.

    The ancilla is the *target* of cat-controlled CX gates and is read out in Z, so the §3c
    mapping [D] of :func:`transmon_ancilla_idle_channel` changes roles: an unheralded decay
    randomises the syndrome bit (X with probability 1/2, :func:`transmon_decay_split`); pure
    dephasing is Z (:func:`transmon_dephasing_probability`), which the next CX kicks back onto
    its data cat as a phase flip (``Z_t -> Z_c Z_t``), a hook the X-type checks see. Heralded f->e
    decays are erasures; emit them as ``HERALDED_PAULI_CHANNEL_1(e/2, e/2, 0, 0)`` (a heralded
    random syndrome bit of a Z readout). No transmon fault becomes a cat X: ``CX cat transmon``
    never copies a target error onto the control's X.

    >>> e, px, pz = transmon_z_check_idle_channel(TransmonParams(t1_us=50, t2_us=50), 500.0)
    >>> round(e, 6), round(px, 8), round(pz, 6)
    (0.0099, 2.483e-05, 0.002494)
    """
    heralded, unheralded = transmon_decay_split(transmon, duration_ns)
    return heralded, unheralded / 2.0, transmon_dephasing_probability(transmon, duration_ns)


class CatControlledCXChannel(NamedTuple):
    """Noise of one cat-controlled CX onto a transmon: ``pauli`` on (cat, transmon), ``erasure``.

    ``pauli`` is a PAULI_CHANNEL_2 dict, first letter = cat = control = first target of
    ``CX cat transmon``; ``erasure`` is the probability of a heralded transmon decay.
    """

    pauli: dict[str, float]
    erasure: float

    @property
    def heralded_pauli_channel_1_args(self) -> tuple[float, float, float, float]:
        """``(pI, pX, pY, pZ)`` for ``HERALDED_PAULI_CHANNEL_1`` on the transmon target: a heralded
        random Z-readout bit ``(e/2, e/2, 0, 0)``; an X on the target never reaches the cat."""
        half = self.erasure / 2.0
        return half, half, 0.0, 0.0


def cat_controlled_transmon_cx_channel(
    cat: CatParams,
    transmon: TransmonParams,
    cx_duration_ns: float,
    *,
    phase_flip_factor: float = 1.0,
    bit_flip_factor: float = 1.0,
) -> CatControlledCXChannel:
    """Noise of the cat-controlled CX onto a transmon (Z-type checks of the thin surface code).

    Hann et al., arXiv:2410.23363, propose a cat-transmon gate with the cat as control so that a
    transmon can measure Z-type checks of cats while keeping the cat's noise bias [P, abstract].
    Its error model could not be read, so this channel is an **explicit assumption** [U/D], built
    like Ocelot's transmon-controlled CX (:func:`cat_transmon_cx_channel`) with the roles swapped:

    1. The cat keeps its own noise during the gate, with its phase-flip rate raised
       ``phase_flip_factor`` times and its bit-flip rate ``bit_flip_factor`` times (both >= 1;
       1 = idling). Half of the gate acts before the instantaneous CX (``X_c -> X_c X_t``,
       ``Y_c -> Y_c X_t``, ``Z_c -> Z_c``), half after.
    2. Transmon pure dephasing (:func:`transmon_dephasing_probability`): half before the CX, where
       it is kicked back onto the cat (``Z_t -> Z_c Z_t``: a cat phase flip), half after (``IZ``).
    3. Transmon decay (:func:`transmon_decay_split`): heralded f->e decays are the ``erasure``
       (a heralded random syndrome bit, :attr:`CatControlledCXChannel.heralded_pauli_channel_1_args`),
       the unheralded residue randomises the syndrome (``IX`` with half of it). Decays are
       assumed not to disturb the cat, as Ocelot engineers its gate (§3c) [U].

    By construction no transmon fault gives a cat bit flip: every cat X comes from the cat's own
    bit-flip process (item 1), whatever the transmon does.

    >>> cat = CatParams(nbar=2, kappa_1_hz=OCELOT_KAPPA_1_HZ, kappa_2_hz=1e6, bit_flip_model="empirical")
    >>> ch = cat_controlled_transmon_cx_channel(cat, TransmonParams(t1_us=50, t2_us=50), 400.0)
    >>> round(ch.pauli["ZI"], 5), round(ch.pauli["ZZ"], 6), round(ch.erasure, 5)
    (0.01313, 0.000998, 0.00794)
    >>> cat_x = sum(p for k, p in ch.pauli.items() if k[0] in "XY")  # the cat's own bit flips only
    >>> abs(cat_x - flip_probability(cat_bit_flip_rate_hz(cat), 400.0)) < 1e-15
    True
    """
    t_ns = require_positive("cx_duration_ns", cx_duration_ns)
    for name, factor in (("phase_flip_factor", phase_flip_factor), ("bit_flip_factor", bit_flip_factor)):
        if not factor >= 1.0:
            raise CatcodeError(f"{name} must be >= 1 (the rate during the gate over the idle rate); got {factor!r}")
    gx = bit_flip_factor * cat_bit_flip_rate_hz(cat)
    px, py, pz = pauli_probabilities(gx / 2.0, gx / 2.0, phase_flip_factor * cat_phase_flip_rate_hz(cat), t_ns / 2.0)
    half_dephasing = transmon_dephasing_probability(transmon, t_ns / 2.0)
    heralded, unheralded = transmon_decay_split(transmon, t_ns)
    channel = compose_pauli_channels(
        {"XX": px, "YX": py, "ZI": pz}, {"XI": px, "YI": py, "ZI": pz},
        {"ZZ": half_dephasing}, {"IZ": half_dephasing}, {"IX": unheralded / 2.0},
    )
    for key, value in channel.items():
        _checked(value, f"cat-controlled CX {key} error", "reduce cx_duration_ns, the cat's kappa_1_hz / nbar or the flip factors")
    _checked(heralded, "cat-controlled CX erasure", "reduce cx_duration_ns or increase t1_us")
    return CatControlledCXChannel(channel, heralded)
