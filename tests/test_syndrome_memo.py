"""The syndrome memo answers repeated syndromes exactly as decoding them again would."""

from __future__ import annotations

import numpy as np
import pytest

from catcode.syndrome_memo import SyndromeMemo, row_keys


class CountingDecoder:
    """A deterministic stand-in for a decoder: two output bytes mixing every input byte."""

    def __init__(self) -> None:
        self.rows_seen = 0
        self.calls: list[int] = []

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        self.rows_seen += len(rows)
        self.calls.append(len(rows))
        weights = np.arange(1, rows.shape[1] + 1, dtype=np.uint64)
        mixed = (rows.astype(np.uint64) * weights).sum(axis=1)
        return np.stack([mixed % 251, (mixed // 251) % 256], axis=1).astype(np.uint8)


@pytest.mark.parametrize("width", [1, 7, 8, 9, 19])
def test_batches_with_repeats_decode_as_every_shot_would_and_each_syndrome_once(width):
    rng = np.random.default_rng(width)
    pool = rng.integers(0, 256, size=(50, width), dtype=np.uint8)
    decoder, memo = CountingDecoder(), SyndromeMemo(width, 2)
    for size in (1, 300, 0, 1024, 77, 4096):
        rows = pool[rng.integers(0, len(pool), size=size)]
        np.testing.assert_array_equal(memo.decode(rows, decoder), CountingDecoder()(rows))
    assert decoder.rows_seen == len(memo) == len({r.tobytes() for r in pool})
    assert memo.enabled


def test_rows_whose_hash_keys_collide_are_kept_apart_and_both_remembered():
    prime = 0x100000001B3  # the key of 2 words is w0 * prime xor w1 (wrapping)
    a = np.asarray([0, 12345], dtype=np.uint64)
    b = np.asarray([1, prime ^ 12345], dtype=np.uint64)
    rows = np.stack([a, b, a, b]).view(np.uint8)
    keys, _ = row_keys(rows)
    assert keys[0] == keys[1] and not (rows[0] == rows[1]).all()
    decoder, memo = CountingDecoder(), SyndromeMemo(16, 2)
    first = memo.decode(rows, decoder)
    np.testing.assert_array_equal(first, CountingDecoder()(rows))
    assert not (first[0] == first[1]).all()  # the stand-in tells them apart
    np.testing.assert_array_equal(memo.decode(rows[::-1].copy(), decoder), first[::-1])
    assert len(decoder.calls) == 1  # the second batch comes from memory


def test_a_memo_that_spares_too_few_decodes_switches_itself_off():
    rng = np.random.default_rng(3)
    decoder = CountingDecoder()
    memo = SyndromeMemo(16, 2, trial_rows=1000, min_saved=0.1)
    for _ in range(3):
        rows = rng.integers(0, 256, size=(600, 16), dtype=np.uint8)  # never repeats
        np.testing.assert_array_equal(memo.decode(rows, decoder), CountingDecoder()(rows))
    assert not memo.enabled and len(memo) == 0
    assert decoder.calls == [600, 600, 600]  # after the trial, whole batches are passed on
    again = rows[:10]
    np.testing.assert_array_equal(memo.decode(again, decoder), CountingDecoder()(again))
    assert decoder.calls[-1] == 10  # nothing remembered any more


def test_memory_is_bounded_and_answers_stay_exact_beyond_the_budget():
    rng = np.random.default_rng(11)
    memo = SyndromeMemo(8, 2, budget_bytes=4096 * 15)  # the smallest table: 4096 slots, half usable
    decoder = CountingDecoder()
    pool = rng.integers(0, 256, size=(5000, 8), dtype=np.uint8)
    for _ in range(4):
        rows = pool[rng.integers(0, len(pool), size=3000)]
        np.testing.assert_array_equal(memo.decode(rows, decoder), CountingDecoder()(rows))
    assert 0 < len(memo) <= 2048
    assert memo.enabled  # the repeats it finds still spare decodes


def test_threads_sharing_one_memo_get_every_answer_right():
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(5)
    pool = rng.integers(0, 256, size=(3000, 12), dtype=np.uint8)
    batches = [pool[rng.integers(0, len(pool), size=2000)] for _ in range(40)]
    memo, decoder = SyndromeMemo(12, 2), CountingDecoder()
    with ThreadPoolExecutor(4) as threads:
        results = list(threads.map(lambda rows: memo.decode(rows, decoder), batches))
    for rows, got in zip(batches, results):
        np.testing.assert_array_equal(got, CountingDecoder()(rows))
    assert memo.enabled and 0 < len(memo) <= decoder.rows_seen


@pytest.mark.parametrize("kwargs, message", [
    ({"width": -1, "out_width": 1}, "width must be an integer >= 0; got -1"),
    ({"width": 8, "out_width": 1.5}, "out_width must be an integer >= 0; got 1.5"),
    ({"width": 8, "out_width": 1, "budget_bytes": 0}, "budget_bytes must be an integer >= 1; got 0"),
    ({"width": 8, "out_width": 1, "trial_rows": 0}, "trial_rows must be an integer >= 1; got 0"),
    ({"width": 8, "out_width": 1, "min_saved": 1.5}, r"min_saved must be a probability in \[0, 1.0\]; got 1.5"),
])
def test_bad_settings_are_rejected_in_one_line(kwargs, message):
    from catcode.errors import CatcodeError

    with pytest.raises(CatcodeError, match=f"^{message}$"):
        SyndromeMemo(**kwargs)
