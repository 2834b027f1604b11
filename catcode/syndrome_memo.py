"""Decode each distinct syndrome once: within a batch, and across the batches of one decoder.

PyMatching and BP+OSD decode every shot independently of the others, so two shots with the same
detection events get the same prediction, whatever batch they come in. Low-noise circuits repeat
a few syndromes many times: of 10⁶ shots of the Ocelot d = 5 memory (n̄ = 1.5, 5 rounds) only
8·10⁴ of the 7.3·10⁵ shots without a fired herald are distinct, and 1.5·10⁵ of the 2.7·10⁵ with
one, while sinter hands a decoder 1,024 shots at a time and ``catcode collect`` 16,384 at most.
A :class:`SyndromeMemo` keeps the prediction of every syndrome a decoder has seen (up to a
memory budget) and decodes only the new ones: the predictions are the same bytes as decoding
every shot (issue 15).

Rows are compared through 64-bit keys: a row of at most 8 bytes is its own key; a wider row is
keyed by a hash of its words and checked against the stored row, so a hash collision only costs
a separate decode. The memo is an open-addressing hash table over numpy arrays, looked up a
whole batch at a time: a sorted table searched with ``searchsorted`` cost about as much as the
decodes it saved at 1,024 shots a call."""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

from catcode.errors import require_int_at_least, require_probability

__all__ = ["SyndromeMemo", "distinct_rows", "row_keys"]

_FNV_PRIME = np.uint64(0x100000001B3)

#: Shots sampled to decide whether deduplicating a batch pays without a memo, and the distinct
#: fraction above which it does not.
DEDUP_SAMPLE = 1024
DEDUP_MAX_DISTINCT = 0.8


def row_keys(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """``(keys, words)``: a 64-bit key per row of bit-packed ``rows``, and the rows as 64-bit
    words when the key is a hash (rows wider than 8 bytes), else None (the key is the row).

    >>> keys, words = row_keys(np.asarray([[1, 0], [0, 1]], dtype=np.uint8))
    >>> keys.tolist(), words is None
    ([1, 256], True)
    """
    n, width = rows.shape
    num_words = max(1, -(-width // 8))
    if width % 8 or width == 0:
        padded = np.zeros((n, 8 * num_words), dtype=np.uint8)
        padded[:, :width] = rows
    else:
        padded = np.ascontiguousarray(rows)
    words = padded.view(np.uint64)
    if num_words == 1:
        return words[:, 0].copy(), None
    keys = words[:, 0].copy()
    for j in range(1, num_words):  # FNV-style mix of the words (wrapping uint64 arithmetic)
        keys *= _FNV_PRIME
        keys ^= words[:, j]
    return keys, words


def _distinct(rows: np.ndarray, keys: np.ndarray, words: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(first, inverse, distinct keys)``: ``rows[first][inverse] == rows``; rows whose keys
    collide with a different row's become entries of their own (same key, listed again)."""
    ukeys, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    if words is not None:
        clash = np.flatnonzero((words != words[first[inverse]]).any(axis=1))
        if clash.size:
            inverse[clash] = len(first) + np.arange(clash.size)
            first = np.concatenate([first, clash])
            ukeys = np.concatenate([ukeys, keys[clash]])
    return first, inverse, ukeys


def distinct_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """``(distinct rows, inverse)`` with ``distinct[inverse] == rows``, or None when not worth it.

    Without a memo, a batch is deduplicated when a sample of its first :data:`DEDUP_SAMPLE`
    rows holds repeats (sorting costs about a tenth of decoding a quiet Ocelot shot per row).

    >>> rows = np.asarray([[1, 2], [3, 4], [1, 2], [1, 2]] * 300, dtype=np.uint8)
    >>> distinct, inverse = distinct_rows(rows)
    >>> distinct.tolist(), bool((distinct[inverse] == rows).all())
    ([[1, 2], [3, 4]], True)
    """
    n, width = rows.shape
    if n < 2 * DEDUP_SAMPLE // 8 or width == 0:
        return None
    keys, words = row_keys(rows)
    probe = keys[:DEDUP_SAMPLE]
    if len(np.unique(probe)) > DEDUP_MAX_DISTINCT * len(probe):
        return None
    first, inverse, _ = _distinct(rows, keys, words)
    return rows[first], inverse


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: slot = top bits of key * 2^64 / phi


#: Slots an entry may sit past its home slot: an entry that finds no free slot within them is
#: not remembered, so a lookup never probes further (the table is at most half full).
_MAX_PROBES = 4


class _HashTable:
    """Open addressing with linear probing over numpy arrays, filled at most half, growing by
    doubling up to ``max_slots``; no deletions. Lookups and insertions are vectorised over a
    batch of keys: each probe step handles every key still unresolved, for at most
    :data:`_MAX_PROBES` steps."""

    def __init__(self, width: int, out_width: int, keep_rows: bool, max_slots: int) -> None:
        self.width, self.out_width, self.keep_rows = width, out_width, keep_rows
        self.max_slots = max_slots
        self.size = 0
        self._allocate(min(4096, max_slots))

    def _allocate(self, slots: int) -> None:
        self.bits = slots.bit_length() - 1
        self.occupied = np.zeros(slots, dtype=bool)
        self.keys = np.zeros(slots, dtype=np.uint64)
        self.rows = np.zeros((slots, self.width if self.keep_rows else 0), dtype=np.uint8)
        self.preds = np.zeros((slots, self.out_width), dtype=np.uint8)
        self.claim = np.zeros(slots, dtype=np.int32)  # scratch: which new entry a free slot goes to

    @property
    def capacity(self) -> int:
        """Entries it can hold at the most (half of its largest size)."""
        return self.max_slots // 2

    def _slots(self, keys: np.ndarray) -> np.ndarray:
        return ((keys * _GOLDEN) >> np.uint64(64 - self.bits)).astype(np.int64)

    def find(self, keys: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(hit, slot)`` of each key (and row, when rows are kept)."""
        hit = np.zeros(len(keys), dtype=bool)
        where = np.zeros(len(keys), dtype=np.int64)
        if not self.size:
            return hit, where
        mask = len(self.occupied) - 1
        active = np.arange(len(keys))
        pos = self._slots(keys)
        for _ in range(_MAX_PROBES):
            p = pos[active]
            occupied = self.occupied[p]
            same = occupied & (self.keys[p] == keys[active])
            if self.keep_rows and same.any():
                same[same] = (self.rows[p[same]] == rows[active[same]]).all(axis=1)
            hit[active[same]] = True
            where[active[same]] = p[same]
            active = active[occupied & ~same]  # an empty slot ends the probe: not stored
            if not active.size:
                break
            pos[active] = (pos[active] + 1) & mask
        return hit, where

    def insert(self, keys: np.ndarray, rows: np.ndarray, preds: np.ndarray) -> None:
        """Store entries not stored yet (the caller looked them up), as many as there is room for.

        The table doubles while it would be more than half full, or while an entry finds no
        free slot within :data:`_MAX_PROBES` of its own, up to ``max_slots``.
        """
        room = self.capacity - self.size
        keys, rows, preds = keys[:room], rows[:room], preds[:room]
        slots = len(self.occupied)
        while 2 * (self.size + len(keys)) > slots:
            slots *= 2
        while len(keys):
            if slots != len(self.occupied):
                self._rehash(slots)
            left = self._place(keys, rows, preds)
            if not left.size or slots >= self.max_slots:
                return  # what is left is not remembered
            keys, rows, preds = keys[left], rows[left], preds[left]
            slots *= 2

    def _rehash(self, slots: int) -> None:
        old = np.flatnonzero(self.occupied)
        entries = self.keys[old], self.rows[old], self.preds[old]
        self._allocate(slots)
        self.size = 0
        self._place(*entries)  # anything it cannot place is forgotten (a decode later, no error)

    def _place(self, keys: np.ndarray, rows: np.ndarray, preds: np.ndarray) -> np.ndarray:
        """Put entries in free slots within :data:`_MAX_PROBES` of their own; the indices of those
        that found none."""
        mask = len(self.occupied) - 1
        pos = self._slots(keys)
        pending = np.arange(len(keys))
        for _ in range(_MAX_PROBES):
            p = pos[pending]
            free = ~self.occupied[p]
            candidates, slot = pending[free], p[free]
            self.claim[slot] = candidates  # several may claim one slot: whichever write stays wins
            win = candidates[self.claim[slot] == candidates]
            slot = pos[win]
            self.occupied[slot] = True
            self.keys[slot] = keys[win]
            if self.keep_rows:
                self.rows[slot] = rows[win]
            self.preds[slot] = preds[win]
            self.size += len(win)
            placed = np.zeros(len(keys), dtype=bool)
            placed[win] = True
            pending = pending[~placed[pending]]
            if not pending.size:
                break
            pos[pending] = (pos[pending] + 1) & mask
        return pending


class SyndromeMemo:
    """The predictions of the syndromes one compiled decoder has decoded.

    :meth:`decode` deduplicates each batch, answers the rows it has seen before from memory and
    passes only the others to the decoder, once each. Memory is bounded by ``budget_bytes``
    (beyond it, new syndromes are decoded but not remembered: the frequent ones come first).
    Where syndromes rarely repeat (large circuits), the memo costs more than it saves: after
    ``trial_rows`` rows, if it spared fewer than ``min_saved`` of the decodes, it switches
    itself off, frees its memory and passes every later batch on as it is.

    >>> memo = SyndromeMemo(width=1, out_width=1)
    >>> calls = []
    >>> def decode(rows):
    ...     calls.append(len(rows))
    ...     return rows & 1
    >>> rows = np.asarray([[3], [2], [3], [3]], dtype=np.uint8)
    >>> memo.decode(rows, decode).ravel().tolist(), memo.decode(rows, decode).ravel().tolist(), calls
    ([1, 0, 1, 1], [1, 0, 1, 1], [2])
    """

    def __init__(self, width: int, out_width: int, *, budget_bytes: int = 8 << 20, trial_rows: int = 1 << 13,
                 min_saved: float = 0.1) -> None:
        self.width = require_int_at_least("width", width, 0)
        self.out_width = require_int_at_least("out_width", out_width, 0)
        budget_bytes = require_int_at_least("budget_bytes", budget_bytes, 1)
        trial_rows = require_int_at_least("trial_rows", trial_rows, 1)
        min_saved = require_probability("min_saved", min_saved, maximum=1.0)
        self.keep_rows = self.width > 8
        entry = 1 + 8 + 4 + (self.width if self.keep_rows else 0) + self.out_width  # per slot
        self.max_slots = 1 << max(12, (budget_bytes // entry).bit_length() - 1)
        self.trial_rows = trial_rows
        self.min_saved = min_saved
        self.enabled = True
        self.offered = 0  # rows passed to decode() while enabled
        self.decoded = 0  # of which the decoder was given
        self._table: _HashTable | None = _HashTable(self.width, self.out_width, self.keep_rows, self.max_slots)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return 0 if self._table is None else self._table.size

    def decode(self, rows: np.ndarray, decode_rows: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """``decode_rows(rows)``, calling it only on distinct rows this memo has not seen.

        Safe for threads sharing one decoder (a Dask worker with several threads): the table is
        read and written under a lock, the decoding itself runs outside it.
        """
        if not self.enabled or len(rows) == 0:
            return decode_rows(rows)
        keys, words = row_keys(rows)
        preds = np.empty((len(rows), self.out_width), dtype=np.uint8)
        with self._lock:
            table = self._table
            if table is not None:
                hit, slot = table.find(keys, rows)
                preds[hit] = table.preds[slot[hit]]
        todo = np.flatnonzero(~hit) if table is not None else np.arange(len(rows))
        decoded = 0
        if todo.size:  # the rows not seen before, each distinct one decoded once
            first, inverse, ukeys = _distinct(rows[todo], keys[todo], None if words is None else words[todo])
            distinct = rows[todo[first]]
            new = decode_rows(distinct)
            preds[todo] = new[inverse]
            decoded = len(first)
            with self._lock:
                if self._table is not None:  # another thread may have stored some of them meanwhile:
                    self._table.insert(ukeys, distinct, new)  # equal entries side by side, harmless
        with self._lock:
            self.offered += len(rows)
            self.decoded += decoded
            if self.enabled and self.offered >= self.trial_rows and self.decoded > (1.0 - self.min_saved) * self.offered:
                self.enabled = False  # and the table is freed
                self._table = None
        return preds
