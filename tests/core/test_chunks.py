"""Reductions a chunk at a time give numpy's own bits, so no verdict moves."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradient_check.core.chunks as chunks
from gradient_check.core.chunks import chunked_extremes, chunked_sum


def _values(size: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)  # wide dynamic range: the order of the sum shows
    return rng.standard_normal(size) * np.exp(5 * rng.standard_normal(size))


@pytest.mark.parametrize("size", [0, 1, 9, 1 << 15, (1 << 15) + 1, 1_000_003])
def test_a_chunked_sum_is_bitwise_nps_sum(size):
    values = _values(size, size)
    computed = []

    def rows(part):
        computed.append(part.stop - part.start)
        return values[part] ** 2

    assert chunked_sum(rows, slice(0, size)) == np.sum(values**2)
    assert max(computed) <= chunks.SUMMED_AT_ONCE


@settings(max_examples=40, deadline=None)
@given(size=st.integers(0, 6000), start=st.integers(0, 50), seed=st.integers(0, 9))
def test_any_split_above_numpys_block_gives_the_same_bits(size, start, seed):
    values = _values(start + size, seed)
    whole = np.sum(values[start:])
    with pytest.MonkeyPatch.context() as patch:
        # numpy sums blocks of up to 128 itself; any leaf at least that large splits as it does
        patch.setattr(chunks, "SUMMED_AT_ONCE", 256)
        assert chunked_sum(lambda part: values[part], slice(start, start + size)) == whole


def test_extremes_a_chunk_at_a_time_and_nan_stays_nan(monkeypatch):
    monkeypatch.setattr(chunks, "SUMMED_AT_ONCE", 256)
    values = _values(1000, 3)
    assert chunked_extremes(lambda part: values[part], slice(10, 1000)) == (
        values[10:].min(),
        values[10:].max(),
    )
    values[700] = np.nan
    low, high = chunked_extremes(lambda part: values[part], slice(0, 1000))
    assert np.isnan(low) and np.isnan(high)
