"""Exact fault-count probabilities and exact sampling of fault sets with a given number of faults.

The number of mechanisms that fire, ``W = sum_i X_i`` with independent ``X_i ~ Bernoulli(p_i)``,
has the Poisson-binomial distribution. Conditioned on ``W = w`` the fault set ``E`` has
probability ``prod_{i in E} r_i / e_w(r)`` with odds ``r_i = p_i/(1-p_i)`` and ``e_w`` the
elementary symmetric polynomial: the conditional-Bernoulli distribution of Chen, Dempster & Liu,
Biometrika 81, 457 (1994) and Chen & Liu, Statistica Sinica 7, 875 (1997).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special, stats


def _log_binom_terms(m: int, p: float, w_max: int) -> tuple[np.ndarray, np.ndarray]:
    """log P(Bin(m,p) = k) for k = 0..w_max and log P(Bin(m,p) > w_max - j) for j = 0..w_max."""
    k = np.arange(w_max + 1)
    with np.errstate(divide="ignore"):
        pmf = stats.binom.logpmf(k, m, p)
        sf = stats.binom.logsf(w_max - k, m, p)  # P(Bin > w_max - j), indexed by j
    return pmf, sf


def fault_count_log_pmf(p: np.ndarray, w_max: int) -> tuple[np.ndarray, float]:
    """Natural logs of P(W = w) for w = 0..w_max, and of the tail P(W > w_max).

    Computed by exact dynamic programming in log space, merging mechanisms of equal probability
    into binomial blocks; the tail is carried as its own bucket, so it is accurate even when it is
    far below machine epsilon relative to 1.

    >>> lp, lt = fault_count_log_pmf(np.array([0.1, 0.2]), 1)
    >>> np.round(np.exp(lp), 6).tolist(), round(math.exp(lt), 6)
    ([0.72, 0.26], 0.02)
    """
    p = np.asarray(p, dtype=np.float64)
    if w_max < 0:
        raise ValueError("w_max must be >= 0")
    values, counts = np.unique(p, return_counts=True)
    logp = np.full(w_max + 1, -np.inf)
    logp[0] = 0.0
    log_tail = -np.inf
    for q, m in zip(values, counts):
        m = int(m)
        if q == 0.0:
            continue
        if m == 1:
            l1, l0 = math.log(q), math.log1p(-q)
            log_tail = float(np.logaddexp(log_tail, logp[w_max] + l1))
            new = logp + l0
            new[1:] = np.logaddexp(new[1:], logp[:-1] + l1)
            logp = new
            continue
        pmf, sf = _log_binom_terms(m, float(q), w_max)
        log_tail = float(np.logaddexp(log_tail, special.logsumexp(logp + sf)))
        # new[w] = logsumexp_k logp[w-k] + pmf[k]
        idx = np.arange(w_max + 1)
        diff = idx[:, None] - idx[None, :]  # w - k
        mat = np.where(diff >= 0, logp[np.clip(diff, 0, None)] + pmf[None, :], -np.inf)
        logp = special.logsumexp(mat, axis=1)
    return logp, log_tail


class ConditionalFaultSampler:
    """Exact sampler of fault sets of a fixed size ``w`` from independent mechanisms.

    Two exact algorithms, chosen per ``w``:

    * rejection: draw ``w`` indices i.i.d. with probabilities ``r_i / sum(r)`` and keep the draw
      if they are distinct. Each ordered draw of a set ``E`` has probability
      ``prod_{E} r_i / R**w`` and ``E`` has ``w!`` orderings, so accepted sets follow
      ``prod_E r_i / e_w`` exactly. The acceptance rate ``w! e_w / R**w`` is known exactly and is
      close to 1 when no few mechanisms dominate.
    * sequential ("drafting", Chen, Dempster & Liu 1994): decide mechanisms one at a time with
      ``P(X_k = 1 | j faults left) = r_k e_{j-1}(r_{k+1:}) / e_j(r_{k:})`` from a table of suffix
      elementary symmetric polynomials in log space. Used when rejection would be slow.

    >>> s = ConditionalFaultSampler(np.array([0.1, 0.1, 0.1]))
    >>> rows = s.sample(2, 5, np.random.default_rng(0))
    >>> rows.shape, bool((rows[:, 0] != rows[:, 1]).all())
    ((5, 2), True)
    """

    #: below this exact acceptance rate the sequential sampler is used
    MIN_ACCEPTANCE = 0.02

    def __init__(self, p: np.ndarray):
        self.p = np.asarray(p, dtype=np.float64)
        if len(self.p) == 0 or np.any(self.p <= 0) or np.any(self.p >= 1):
            raise ValueError("ConditionalFaultSampler needs a non-empty array of probabilities in (0, 1)")
        self.log_r = np.log(self.p) - np.log1p(-self.p)
        self.r = np.exp(self.log_r)
        self.log_R = float(special.logsumexp(self.log_r))
        self.cdf = np.cumsum(self.r / self.r.sum())
        self.cdf[-1] = 1.0
        self.log_one_minus = float(np.sum(np.log1p(-self.p)))
        self._log_e: np.ndarray = np.zeros(1)
        self._suffix: dict[int, np.ndarray] = {}

    @property
    def num_mechanisms(self) -> int:
        return len(self.p)

    def log_elementary(self, w: int) -> float:
        """log e_w(r), the log of the sum over w-sets of the product of odds."""
        if w > self.num_mechanisms:
            return -math.inf
        if w >= len(self._log_e):
            logp, _ = fault_count_log_pmf(self.p, max(w, 2 * len(self._log_e)))
            self._log_e = logp - self.log_one_minus
        return float(self._log_e[w])

    def log_acceptance(self, w: int) -> float:
        """Exact log acceptance rate of the rejection sampler: log(w! e_w / R^w)."""
        return math.lgamma(w + 1) + self.log_elementary(w) - w * self.log_R

    def sample(self, w: int, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` independent fault sets of exactly ``w`` distinct mechanisms, shape (n, w), rows sorted."""
        if w < 0 or w > self.num_mechanisms:
            raise ValueError(f"w must be in [0, {self.num_mechanisms}]; got {w}")
        if w == 0 or n == 0:
            return np.zeros((n, w), dtype=np.int64)
        if self.log_acceptance(w) >= math.log(self.MIN_ACCEPTANCE):
            return self._sample_rejection(w, n, rng)
        return self._sample_sequential(w, n, rng)

    def _sample_rejection(self, w: int, n: int, rng: np.random.Generator) -> np.ndarray:
        acc = math.exp(self.log_acceptance(w))
        out: list[np.ndarray] = []
        have = 0
        while have < n:
            m = int((n - have) / acc * 1.1) + 16
            idx = np.searchsorted(self.cdf, rng.random((m, w)), side="right")
            np.minimum(idx, self.num_mechanisms - 1, out=idx)
            idx.sort(axis=1)
            ok = np.all(idx[:, 1:] != idx[:, :-1], axis=1) if w > 1 else np.ones(m, dtype=bool)
            good = idx[ok]
            out.append(good[: n - have])
            have += len(out[-1])
        return np.concatenate(out).astype(np.int64, copy=False)

    def _suffix_table(self, w: int) -> np.ndarray:
        """log e_j(r_k, ..., r_{N-1}) for k = 0..N, j = 0..w."""
        if w not in self._suffix:
            n = self.num_mechanisms
            tab = np.full((n + 1, w + 1), -np.inf)
            tab[n, 0] = 0.0
            for k in range(n - 1, -1, -1):
                nxt = tab[k + 1]
                row = nxt.copy()
                row[1:] = np.logaddexp(nxt[1:], self.log_r[k] + nxt[:-1])
                tab[k] = row
            self._suffix = {w: tab}  # keep one table: they can be large
        return self._suffix[w]

    def _sample_sequential(self, w: int, n: int, rng: np.random.Generator) -> np.ndarray:
        tab = self._suffix_table(w)
        left = np.full(n, w, dtype=np.int64)
        out = np.zeros((n, w), dtype=np.int64)
        filled = np.zeros(n, dtype=np.int64)
        rows = np.arange(n)
        for k in range(self.num_mechanisms):
            active = left > 0
            if not active.any():
                break
            j = left[active]
            logq = self.log_r[k] + tab[k + 1, j - 1] - tab[k, j]
            take = rng.random(len(j)) < np.exp(logq)
            sel = rows[active][take]
            out[sel, filled[sel]] = k
            filled[sel] += 1
            left[sel] -= 1
        return out
