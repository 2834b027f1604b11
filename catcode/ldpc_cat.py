"""LDPC-cat codes: classical weight-4 LDPC codes against phase flips, on a 2-D grid of cats.

Ruiz, Guillaud, Leverrier, Mirrahimi & Vuillot, "LDPC-cat codes for low-overhead quantum
computing in 2D", Nat. Commun. 16, 1040 (2025), arXiv:2401.09541. The masks below were read
from the authors' public code (github.com/DiegoRuiz-Git/LDPCat, ``Figure S2/.../optimized
code/.../FractalCode.py``, method ``Stabilizer``) and re-checked here: [n, k] by GF(2) rank,
the distance by integer programming (:func:`minimum_distance`).

Geometry. Data cats sit at (row, column), rows ``0 .. H-1``. Check ``(i, j)``, ``i = 0 .. H-3``,
acts on its *new-row qubit* ``(i+2, j)`` and on the qubits ``(i + a, j - 1 + b)`` where the
2x3 mask ``M_i[a][b]`` is 1 (three ones per mask). Since each check owns exactly one qubit of the
rows below 1, a codeword is fixed by its first two rows (a cellular automaton), the checks are
independent and ``k = 2 x width``.

* ``boundary="periodic"``: every row has columns ``0 .. L-1``, column indices taken mod L.
* ``boundary="open"``: rows 0 and 1 have columns ``0 .. w-1``; row ``i+2`` holds every column
  ``j`` whose check ``(i, j)`` touches at least one qubit of rows ``i``, ``i+1`` (so lower rows
  widen by the masks' reach); mask qubits outside the lattice are dropped ("clipped"). For H = 8
  this gives ``[165 + 8l, 34 + 2l, 22]`` with ``w = 17 + l`` (the paper's family).

>>> code = LdpcCatCode(4, 17)
>>> code.n, code.k, code.num_checks
(68, 34, 34)
>>> LdpcCatCode(8, 17, "open").n, LdpcCatCode(8, 17, "open").k
(165, 34)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

from catcode.errors import CatcodeError, require_choice, require_int_at_least

Mask = tuple[tuple[int, int, int], tuple[int, int, int]]

#: Masks ``M_0 .. M_{H-3}`` per height, each ``(row i, row i+1)`` over columns ``(j-1, j, j+1)``
#: (Ruiz et al., public code ``FractalCode.Stabilizer``; Supplementary Table of the paper).
MASKS: dict[int, tuple[Mask, ...]] = {
    4: (((0, 1, 1), (0, 0, 1)), ((1, 0, 0), (0, 1, 1))),
    5: (((1, 0, 1), (1, 0, 0)), ((1, 0, 1), (1, 0, 0)), ((0, 0, 1), (1, 0, 1))),
    6: (((1, 0, 1), (0, 0, 1)), ((1, 0, 1), (0, 0, 1)), ((1, 0, 0), (1, 0, 1)), ((0, 0, 0), (1, 1, 1))),
    7: (((1, 0, 1), (0, 1, 0)), ((1, 0, 1), (0, 0, 1)), ((0, 0, 1), (1, 0, 1)), ((0, 1, 0), (1, 0, 1)),
        ((0, 0, 0), (1, 1, 1))),
    8: (((1, 1, 1), (0, 0, 0)), ((1, 1, 1), (0, 0, 0)), ((1, 0, 1), (1, 0, 0)), ((1, 0, 1), (1, 0, 0)),
        ((0, 0, 1), (1, 0, 1)), ((1, 0, 0), (1, 0, 1))),
}
HEIGHTS = tuple(sorted(MASKS))
BOUNDARIES = ("periodic", "open")
#: CX layers per round: CX1, idle, CX2, idle, CX3, idle, CX4 (with preparation and measurement,
#: the authors' 9 time steps).
NUM_CX_LAYERS = 7

Qubit = tuple[int, int]


@dataclass(frozen=True)
class Check:
    """Check ``(row, col)``: its new-row qubit first, then its mask qubits in row-major order."""

    row: int
    col: int
    qubits: tuple[Qubit, ...]


class LdpcCatCode:
    """The LDPC-cat code of ``height`` rows and ``width`` columns (see the module docstring).

    >>> LdpcCatCode(5, 17).checks[0].qubits
    ((2, 0), (0, 16), (0, 1), (1, 16))
    """

    def __init__(self, height: int, width: int, boundary: str = "periodic") -> None:
        require_choice("boundary", boundary, BOUNDARIES)
        require_choice("height", height, HEIGHTS)
        require_int_at_least("width", width, 3)
        self.height, self.width, self.boundary = height, width, boundary
        self.masks = MASKS[height]

    @cached_property
    def columns(self) -> tuple[tuple[int, int], ...]:
        """Inclusive column range ``(first, last)`` of every row (negative for widened open rows)."""
        spans = [(0, self.width - 1), (0, self.width - 1)]
        if self.boundary == "periodic":
            return tuple(spans * (self.height // 2) + spans[: self.height % 2])
        for mask in self.masks:
            lo, hi = [], []
            for a in (0, 1):
                first, last = spans[-2 + a]
                for b in range(3):
                    if mask[a][b]:  # column j - 1 + b must lie in [first, last]
                        lo.append(first + 1 - b)
                        hi.append(last + 1 - b)
            spans.append((min(lo), max(hi)))
        return tuple(spans)

    @cached_property
    def qubits(self) -> tuple[Qubit, ...]:
        """Data qubits ``(row, col)`` in row-major order."""
        return tuple((r, c) for r, (lo, hi) in enumerate(self.columns) for c in range(lo, hi + 1))

    @cached_property
    def checks(self) -> tuple[Check, ...]:
        """All checks, row-major, each with its qubits in CX order."""
        present = set(self.qubits)
        out = []
        for i, mask in enumerate(self.masks):
            lo, hi = self.columns[i + 2]
            for j in range(lo, hi + 1):
                support = [(i + 2, j)]
                for a in (0, 1):
                    for b in range(3):
                        if mask[a][b]:
                            q = (i + a, self._wrap(j - 1 + b))
                            if q in present:
                                support.append(q)
                out.append(Check(i, j, tuple(support)))
        return tuple(out)

    def _wrap(self, col: int) -> int:
        return col % self.width if self.boundary == "periodic" else col

    @property
    def n(self) -> int:
        """Number of data qubits."""
        return len(self.qubits)

    @property
    def num_checks(self) -> int:
        """Number of checks (= cat ancillas)."""
        return len(self.checks)

    @cached_property
    def parity_check_matrix(self) -> np.ndarray:
        """``num_checks x n`` GF(2) matrix (uint8), columns in :attr:`qubits` order."""
        index = {q: k for k, q in enumerate(self.qubits)}
        h = np.zeros((self.num_checks, self.n), dtype=np.uint8)
        for r, check in enumerate(self.checks):
            for q in check.qubits:
                h[r, index[q]] ^= 1
        return h

    @cached_property
    def k(self) -> int:
        """Number of logical qubits, ``n - rank_GF(2)(H)``."""
        return self.n - gf2_rank(self.parity_check_matrix)

    @cached_property
    def information_set(self) -> tuple[Qubit, ...]:
        """Rows 0 and 1: the qubits whose values fix a codeword (so X of each is a logical X)."""
        return tuple(q for q in self.qubits if q[0] < 2)

    def codeword(self, top: dict[Qubit, int]) -> np.ndarray:
        """The codeword whose rows 0-1 are ``top`` (missing entries 0), rows below by the checks.

        >>> code = LdpcCatCode(4, 5)
        >>> c = code.codeword({(0, 0): 1})
        >>> int((code.parity_check_matrix.astype(int) @ c % 2).sum())
        0
        """
        index = {q: k for k, q in enumerate(self.qubits)}
        x = np.zeros(self.n, dtype=np.uint8)
        for q, v in top.items():
            x[index[q]] = v & 1
        for check in self.checks:  # row-major: rows i, i+1 are known when row i+2 is set
            x[index[check.qubits[0]]] = sum(int(x[index[q]]) for q in check.qubits[1:]) & 1
        return x

    @cached_property
    def codeword_basis(self) -> tuple[np.ndarray, ...]:
        """``k`` independent codewords, one per information-set qubit (a unit vector there)."""
        return tuple(self.codeword({q: 1}) for q in self.information_set)


def gf2_rank(matrix: np.ndarray) -> int:
    """Rank over GF(2) by Gaussian elimination on bit-packed rows.

    >>> gf2_rank(np.array([[1, 1, 0], [0, 1, 1], [1, 0, 1]], dtype=np.uint8))
    2
    """
    rows = [int("".join(map(str, (np.asarray(r) & 1).tolist())) or "0", 2) for r in matrix]
    rank = 0
    for bit in reversed(range(matrix.shape[1] if matrix.ndim == 2 else 0)):
        pivot = next((r for r in rows if (r >> bit) & 1), None)
        if pivot is None:
            continue
        rows = [r ^ pivot if (r >> bit) & 1 else r for r in rows if r is not pivot]
        rank += 1
    return rank


@dataclass(frozen=True)
class DistanceResult:
    """Minimum weight of a nonzero codeword: ``value``, certified optimal if ``exact``.

    ``codeword`` (the witness, an upper-bound certificate) and ``lower_bound`` (the solver's
    proven bound; equals ``value`` when exact).
    """

    value: int
    lower_bound: int
    exact: bool
    codeword: tuple[int, ...]


@lru_cache(maxsize=64)
def minimum_distance(height: int, width: int, boundary: str = "periodic", time_limit_s: float = 60.0) -> DistanceResult:
    """The code distance by mixed-integer programming (scipy's HiGHS), certified by the solver.

    Minimise ``sum x`` over binary ``x`` with ``H x = 2 y`` (y integer) and ``x != 0``. A nonzero
    codeword is nonzero on rows 0-1 (they fix it); with periodic columns it can be translated so
    that one of ``(0, 0)``, ``(1, 0)`` is 1, so two programs with that variable fixed to 1 cover all
    codewords. Open codes have no translation symmetry: one program per information-set qubit
    would be exact; we instead require ``sum_{rows 0-1} x >= 1`` (one program, also exact). The
    result is exact when HiGHS proves optimality within ``time_limit_s``; otherwise ``value`` is
    the best codeword found (upper bound) and ``lower_bound`` the solver's dual bound.

    >>> minimum_distance(4, 17).value
    5
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    code = LdpcCatCode(height, width, boundary)
    h = code.parity_check_matrix.astype(float)
    m, n = h.shape
    top = np.array([1.0 if q[0] < 2 else 0.0 for q in code.qubits])
    # variables: x (n binaries), y (m integers in [0, 2])
    a_eq = np.hstack([h, -2.0 * np.eye(m)])
    cost = np.concatenate([np.ones(n), np.zeros(m)])
    seeds = [code.qubits.index((0, 0)), code.qubits.index((1, 0))] if boundary == "periodic" else [None]
    best: DistanceResult | None = None
    for seed in seeds:
        lower = np.zeros(n + m)
        if seed is not None:
            lower[seed] = 1.0
        constraints = [LinearConstraint(a_eq, 0, 0), LinearConstraint(np.concatenate([top, np.zeros(m)]), 1, np.inf)]
        res = milp(cost, constraints=constraints, integrality=np.ones(n + m),
                   bounds=Bounds(lower, np.concatenate([np.ones(n), 2.0 * np.ones(m)])),
                   options={"time_limit": time_limit_s})
        if res.x is None:
            raise CatcodeError(f"distance search found no codeword within time_limit_s={time_limit_s}; raise it")
        x = tuple(int(round(v)) for v in res.x[:n])
        value = sum(x)
        bound = int(np.ceil(getattr(res, "mip_dual_bound", value) - 1e-6)) if res.status != 0 else value
        candidate = DistanceResult(value, bound, res.status == 0, x)
        if best is None:
            best = candidate
        else:
            best = DistanceResult(min(best.value, value), min(best.lower_bound, bound), best.exact and candidate.exact,
                                  best.codeword if best.value <= value else x)
    assert best is not None
    return best


#: The authors' slots: every check runs its 4 CX in layers 0, 2, 4, 6 (idle in 1, 3, 5).
AUTHORS_SLOTS = (0, 2, 4, 6)


@lru_cache(maxsize=64)
def cx_schedule(height: int, width: int, boundary: str = "periodic") -> tuple[tuple[int, int, int, int], ...]:
    """CX layer of each check position (new-row qubit, then mask qubits), one tuple per check row.

    All checks of a row share a slot pattern (the code is translation invariant), chosen among the
    increasing 4-subsets of the :data:`NUM_CX_LAYERS` layers, the authors' ``(0, 2, 4, 6)`` first,
    by depth-first search so that no data qubit takes part in two CX of one layer. Clipped checks
    keep the slots of their remaining qubits.

    >>> cx_schedule(4, 17)
    ((0, 2, 4, 6), (0, 2, 4, 6))
    """
    from itertools import combinations

    code = LdpcCatCode(height, width, boundary)
    rows: dict[int, list[Check]] = {}
    for check in code.checks:
        rows.setdefault(check.row, []).append(check)
    full = {i: [check_positions(code, c) for c in rows[i]] for i in rows}
    patterns = [AUTHORS_SLOTS] + [p for p in combinations(range(NUM_CX_LAYERS), 4) if p != AUTHORS_SLOTS]

    def place(i: int, used: set[tuple[int, Qubit]], chosen: list[tuple[int, ...]]) -> list[tuple[int, ...]] | None:
        if i == len(code.masks):
            return chosen
        for pattern in patterns:
            slots = {(pattern[pos], q) for gates in full[i] for pos, q in gates}
            if len(slots) == sum(len(g) for g in full[i]) and not slots & used:
                found = place(i + 1, used | slots, chosen + [pattern])
                if found is not None:
                    return found
        return None

    result = place(0, set(), [])
    if result is None:
        raise CatcodeError(f"no conflict-free CX schedule in {NUM_CX_LAYERS} layers for height={height}, width={width}")
    return tuple(result)  # type: ignore[arg-type]


def check_positions(code: LdpcCatCode, check: Check) -> list[tuple[int, Qubit]]:
    """``(slot position 0..3, qubit)`` of a check's gates; clipped checks keep full-mask positions.

    >>> code = LdpcCatCode(4, 5)
    >>> check_positions(code, code.checks[0])
    [(0, (2, 0)), (1, (0, 0)), (2, (0, 1)), (3, (1, 1))]
    """
    mask = code.masks[check.row]
    full = [(check.row + 2, check.col)] + [
        (check.row + a, code._wrap(check.col - 1 + b)) for a in (0, 1) for b in range(3) if mask[a][b]
    ]
    present = set(check.qubits)
    return [(pos, q) for pos, q in enumerate(full) if q in present]


#: Distances proven by :func:`minimum_distance` (HiGHS optimal), keyed (height, width, boundary);
#: tests re-derive the small ones. Other sizes are computed on first use.
KNOWN_DISTANCES: dict[tuple[int, int, str], int] = {
    (4, 17, "periodic"): 5,
    (5, 17, "periodic"): 9,
    (6, 17, "periodic"): 12,
    (7, 17, "periodic"): 16,
    (8, 17, "open"): 22,
    # (8, 17, "periodic"): HiGHS found weight 22 with dual bound 16 after 90 s; upper bound only,
    # so code_distance uses the paper's value 22 there (Ruiz et al., Table 1).
    (8, 17, "periodic"): 22,
}


def code_distance(height: int, width: int, boundary: str = "periodic") -> int:
    """The distance: from :data:`KNOWN_DISTANCES`, else :func:`minimum_distance` (its best value).

    >>> code_distance(5, 17)
    9
    """
    key = (height, width, boundary)
    if key in KNOWN_DISTANCES:
        return KNOWN_DISTANCES[key]
    return minimum_distance(height, width, boundary).value


#: Ruiz et al.'s per-distance fits to their periodic L = 17 simulations (Nat. Commun. 16, 1040
#: (2025), Fig. 3; values quoted in issue 12): ``0.1 d (B k1/k2)^(alpha (d + d mod 2))`` with these B
#: and alpha between :data:`PUBLISHED_FIT_ALPHA` (the authors give 0.47-0.57, not per code).
PUBLISHED_FIT_B: dict[int, float] = {5: 1417.0, 9: 1596.0, 12: 1538.0, 16: 1604.0}
PUBLISHED_FIT_ALPHA = (0.47, 0.57)


def published_rate(d: int, k1_over_k2: float, alpha: float = 0.5) -> float:
    """The authors' fitted phase-flip error per cycle per logical qubit (divided by L = 17) at distance ``d``.

    ``d`` in :data:`PUBLISHED_FIT_B` uses the per-distance fit with exponent ``alpha``; ``d = 22`` the
    family fit ``0.1 (1613 k)^(0.94 * 11)`` (:func:`catcode.overhead.published.ldpc_rate`; ``alpha``
    unused).

    >>> f"{published_rate(22, 1e-4):.2g}", f"{published_rate(5, 1e-4):.2g}"
    ('6.4e-10', '0.0014')
    """
    from catcode.errors import require_positive
    from catcode.overhead.published import LDPC_FAMILY_DISTANCE, ldpc_rate

    require_positive("k1_over_k2", k1_over_k2)
    if d == LDPC_FAMILY_DISTANCE:
        return ldpc_rate(k1_over_k2)
    require_choice("d", d, tuple(sorted(PUBLISHED_FIT_B)) + (LDPC_FAMILY_DISTANCE,))
    require_positive("alpha", alpha)
    return 0.1 * d * (PUBLISHED_FIT_B[d] * k1_over_k2) ** (alpha * (d + d % 2))


def per_cycle_per_logical(p_shot: float, *, rounds: int, width: int) -> float:
    """Logical error per cycle per logical qubit, the authors' convention: divided by ``width`` L, not k = 2L.

    ``p_shot`` is the probability that *any* of the k observables flipped in ``rounds`` rounds. Each
    round is an independent chance ``q`` that some observable flips, so ``1 - p_shot = (1 - q)^r``
    (not the single-observable parity rule of :func:`catcode.analysis.per_round_error_rate`, which
    folds above ``p_shot = 1/2``; the two agree to O(p^2) below a few per cent); ``q`` is then divided
    by L (Ruiz et al. 2025, Methods: per cycle and per logical qubit with L = 17 for their k = 34
    codes). Use ``width=1`` for a single-logical code.

    >>> round(per_cycle_per_logical(0.1, rounds=1, width=17), 6)
    0.005882
    >>> round(per_cycle_per_logical(0.75, rounds=2, width=1), 6)
    0.5
    """
    from catcode.errors import require_probability

    require_probability("p_shot", p_shot, maximum=1.0)
    require_int_at_least("rounds", rounds, 1)
    require_int_at_least("width", width, 1)
    return -float(np.expm1(np.log1p(-p_shot) / rounds)) / width
