"""Markov-chain estimate of how the failing fault sets are spread over fault counts.

Where the failing fraction ``f_w`` of the fault sets of size ``w`` is too small to sample directly
(about 1e-10 at the minimum failing weight of a distance-15 repetition code), we estimate the ratios
``f_w / f_w'`` instead, with a Metropolis-Hastings chain on the *failing* fault sets only, and
anchor them to strata whose ``f_w`` direct sampling measures well. This is the splitting idea of
Bravyi & Vargo, PRA 88, 062308 (2013) (rare logical failures reached through a ladder of chains
restricted to failing configurations), with the ladder taken over the fault count rather than the
physical error rate, and with multicanonical (flat-histogram) weights so that one chain visits
every rung: Berg & Neuhaus, PRL 68, 9 (1992); weights tuned by the Wang-Landau recursion,
Wang & Landau, PRL 86, 2050 (2001).

Target distribution on failing fault sets E with ``w_lo <= |E| <= w_top``:
``nu(E) ∝ prod_{i in E} r_i * exp(eta_|E|)``, ``eta_w = theta_w - log e_w``. Then the chain
spends a fraction of time at weight w proportional to ``exp(theta_w) f_w``, so
``f_w ∝ h_w exp(-theta_w)`` from the visit histogram ``h``.

Moves (each with probability 1/3): add a mechanism drawn with probability ``r_i / R``; remove a
uniformly chosen member; swap a member j for a mechanism i sharing a detector with j, drawn with
probability ``r_i / R_nb(j)``. Hastings ratios: add ``R e^{eta_{w+1}-eta_w} / (w+1)``, remove
``w e^{eta_{w-1}-eta_w} / R``, swap ``R_nb(j) / R_nb(i)``; a proposal is accepted only if the
decoder still fails on the new set.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from catcode.rare._counts import ConditionalFaultSampler
from catcode.rare._faults import FaultModel
from catcode.rare._oracle import FailureOracle


class FailingSetChains:
    """``num_chains`` independent Metropolis chains on failing fault sets, vectorised with numpy.

    Chains are split round-robin into ``groups``; visit histograms are kept per group so that the
    spread between groups gives the statistical error (jackknife).
    """

    def __init__(
        self,
        faults: FaultModel,
        oracle: FailureOracle,
        sampler: ConditionalFaultSampler,
        *,
        w_lo: int,
        w_top: int,
        initial_sets: np.ndarray,
        theta: np.ndarray,
        num_chains: int,
        groups: int,
        rng: np.random.Generator,
    ):
        if not (1 <= w_lo < w_top):
            raise ValueError(f"need 1 <= w_lo < w_top; got {w_lo}, {w_top}")
        if initial_sets.ndim != 2 or initial_sets.shape[1] != w_top or len(initial_sets) == 0:
            raise ValueError("initial_sets must be a non-empty (k, w_top) array of failing fault sets")
        self.faults, self.oracle, self.rng = faults, oracle, rng
        self.w_lo, self.w_top = w_lo, w_top
        self.levels = w_top - w_lo + 1
        self.num_chains, self.groups = num_chains, groups
        self.theta = np.array(theta, dtype=np.float64)
        if self.theta.shape != (self.levels,):
            raise ValueError("theta must have one entry per level w_lo..w_top")
        self.log_R = sampler.log_R
        self.cdf = sampler.cdf
        n = faults.num_mechanisms
        self.log_e = np.array([sampler.log_elementary(w) for w in range(w_top + 2)])
        # mechanisms sharing a detector
        ptr, cols = faults.detector_csr
        rows = np.repeat(np.arange(n), np.diff(ptr))
        inc = sp.csr_matrix((np.ones(len(rows), dtype=np.int32), (rows, cols)), shape=(n, max(faults.num_detectors, 1)))
        adj = (inc @ inc.T).tocsr()
        adj.setdiag(0)
        adj.eliminate_zeros()
        adj.sort_indices()
        r = sampler.r
        self.nb_ind = adj.indices.astype(np.int64)
        self.nb_ptr = adj.indptr.astype(np.int64)
        self.nb_cum = np.cumsum(r[self.nb_ind]) if len(self.nb_ind) else np.zeros(0)
        start = np.concatenate([[0.0], self.nb_cum])
        self.nb_start = start[self.nb_ptr[:-1]]
        self.nb_total = start[self.nb_ptr[1:]] - self.nb_start
        with np.errstate(divide="ignore"):
            self.log_nb_total = np.log(self.nb_total)
        # chain state
        pick = np.arange(num_chains) % len(initial_sets)
        self.elems = np.zeros((num_chains, w_top + 1), dtype=np.int64)
        self.elems[:, :w_top] = initial_sets[pick]
        self.w = np.full(num_chains, w_top, dtype=np.int64)
        self.syn, self.obs = faults.syndromes(self.elems[:, :w_top])
        self.hist = np.zeros((groups, self.levels), dtype=np.int64)
        self.group_of = np.arange(num_chains) % groups
        self.steps = 0
        self.half_trips = np.zeros(num_chains, dtype=np.int64)
        self.last_end = np.full(num_chains, 2, dtype=np.int8)  # chains start at the top
        self.proposed = 0
        self.accepted = 0

    @property
    def eta(self) -> np.ndarray:
        """eta_w = theta_w - log e_w for w = w_lo..w_top."""
        return self.theta - self.log_e[self.w_lo : self.w_top + 1]

    def _contains(self, items: np.ndarray) -> np.ndarray:
        cols = np.arange(self.elems.shape[1])
        live = cols[None, :] < self.w[:, None]
        return np.any((self.elems == items[:, None]) & live, axis=1)

    def step(self) -> np.ndarray:
        """One Metropolis-Hastings update of every chain; returns the chains' weights afterwards."""
        m = self.num_chains
        rng = self.rng
        ar = np.arange(m)
        eta_full = np.full(self.w_top + 2, -np.inf)
        eta_full[self.w_lo : self.w_top + 1] = self.eta
        w = self.w
        move = rng.integers(0, 3, m)
        log_u = np.log(rng.random(m))
        pos = (rng.random(m) * w).astype(np.int64)
        j = self.elems[ar, pos]
        i_add = np.searchsorted(self.cdf, rng.random(m), side="right")
        np.minimum(i_add, len(self.cdf) - 1, out=i_add)
        if len(self.nb_cum):
            target = self.nb_start[j] + rng.random(m) * self.nb_total[j]
            i_swap = self.nb_ind[np.minimum(np.searchsorted(self.nb_cum, target, side="right"), len(self.nb_ind) - 1)]
        else:
            i_swap = j
        la = np.full(m, -np.inf)
        with np.errstate(divide="ignore", invalid="ignore"):
            add = (move == 0) & (w < self.w_top)
            add &= ~self._contains(i_add)
            wa = w[add]
            la[add] = self.log_R + eta_full[wa + 1] - eta_full[wa] - np.log(wa + 1)
            rem = (move == 1) & (w > self.w_lo)
            wr = w[rem]
            la[rem] = np.log(wr) + eta_full[wr - 1] - eta_full[wr] - self.log_R
            swp = (move == 2) & (self.nb_total[j] > 0) & (i_swap != j)
            swp &= ~self._contains(i_swap)
            la[swp] = self.log_nb_total[j[swp]] - self.log_nb_total[i_swap[swp]]
        cand = np.nonzero(log_u < la)[0]
        self.proposed += m
        if len(cand):
            mv = move[cand]
            new_item = np.where(mv == 0, i_add[cand], i_swap[cand])
            old_item = j[cand]
            syn = self.syn[cand].copy()
            obs = self.obs[cand].copy()
            has_new = mv != 1
            has_old = mv != 0
            syn[has_new] ^= self.faults.detectors[new_item[has_new]]
            obs[has_new] ^= self.faults.observables[new_item[has_new]]
            syn[has_old] ^= self.faults.detectors[old_item[has_old]]
            obs[has_old] ^= self.faults.observables[old_item[has_old]]
            ok = self.oracle.fails_packed(syn, obs)
            c = cand[ok]
            self.accepted += len(c)
            self.syn[c] = syn[ok]
            self.obs[c] = obs[ok]
            mvc = mv[ok]
            a = c[mvc == 0]
            self.elems[a, self.w[a]] = i_add[a]
            self.w[a] += 1
            rm = c[mvc == 1]
            self.w[rm] -= 1
            self.elems[rm, pos[rm]] = self.elems[rm, self.w[rm]]
            s = c[mvc == 2]
            self.elems[s, pos[s]] = i_swap[s]
        self.steps += 1
        return self.w

    def tune(
        self,
        max_steps: int,
        *,
        gamma: float = 1.0,
        gamma_final: float = 1 / 4,
        flatness: float = 0.3,
        deadline: float = math.inf,
        report: Callable[[str], None] | None = None,
    ) -> int:
        """Wang-Landau tuning of theta towards a flat visit histogram; returns steps used.

        Each step lowers theta at every chain's current weight by gamma/num_chains; gamma halves
        once a stage has run at least ``levels**2`` steps (time for a chain to diffuse across the
        range) and every level visited so far has at least ``flatness`` times the mean visits of
        the stage. Levels never visited (no failing set found there) are left alone.
        """
        h = np.zeros(self.levels)
        seen = np.zeros(self.levels, dtype=bool)
        used = 0
        stage = 0
        min_stage = max(50, self.levels**2)
        while used < max_steps and gamma >= gamma_final and time.monotonic() < deadline:
            w = self.step()
            used += 1
            stage += 1
            counts = np.bincount(w - self.w_lo, minlength=self.levels)
            self.theta -= gamma * counts / self.num_chains
            h += counts
            seen |= counts > 0
            if stage >= min_stage and stage % 25 == 0:
                hs = h[seen]
                if hs.min() >= flatness * hs.mean():
                    gamma /= 2
                    h[:] = 0
                    stage = 0
                    if report:
                        lowest = self.w_lo + int(np.argmax(seen))
                        report(f"tuning: gamma -> {gamma:.3g} after {used} steps, lowest failing weight reached {lowest}")
        self.theta -= self.theta[-1]
        self.lowest_seen = self.w_lo + int(np.argmax(seen)) if seen.any() else self.w_top
        return used

    def run(self, steps: int, *, record: bool = True, deadline: float = math.inf) -> int:
        """Advance every chain ``steps`` times (stopping early at ``deadline``), recording visits.

        Also counts half round trips: a chain completes one each time it reaches the top weight
        after last touching the bottom (``lowest_seen + 1``), or the bottom after the top.
        """
        done = 0
        flat = self.group_of * self.levels
        bottom = getattr(self, "lowest_seen", self.w_lo) + 1
        while done < steps and time.monotonic() < deadline:
            w = self.step()
            done += 1
            at_bottom = w <= bottom
            at_top = w >= self.w_top
            self.half_trips += (at_bottom & (self.last_end == 2)) | (at_top & (self.last_end == 1))
            self.last_end[at_bottom] = 1
            self.last_end[at_top] = 2
            if record:
                self.hist += np.bincount(flat + (w - self.w_lo), minlength=self.groups * self.levels).reshape(
                    self.groups, self.levels
                )
        return done

    def reset_trips(self) -> None:
        self.half_trips[:] = 0

    @property
    def round_trips(self) -> float:
        """Mean number of bottom-top-bottom round trips per chain since the last reset."""
        return float(self.half_trips.mean()) / 2
