"""Gaps stored as float32 x a power of two per chunk: within 2^-24 of the float64 values,
zeros exact, and what a float32 would not hold to that precision kept exactly."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gradient_check.core.gapstore import Gaps, zero_gaps

finite = st.floats(allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(finite, min_size=2, max_size=2), min_size=1, max_size=30))
def test_stored_gaps_read_within_float32_precision_and_zeros_exactly(rows):
    values = np.array(rows)
    n, chunk = values.shape[0], 7
    gaps = Gaps(n, 2, chunk)
    for start in range(0, n, chunk):
        gaps.store(slice(start, min(n, start + chunk)), values[start : start + chunk])
    read = gaps[slice(None)]
    assert np.all(np.abs(read - values) <= 2.0**-24 * np.abs(values))
    assert np.array_equal(read == 0, values == 0) and np.array_equal(zero_gaps(gaps), values == 0)
    assert np.array_equal(gaps[np.arange(n)[::-1], slice(1, 2)], read[::-1, 1:2])


def test_gaps_far_below_or_above_their_chunks_scale_are_kept_exactly():
    gaps = Gaps(4, 1, 4)
    gaps.store(slice(0, 4), np.array([[1.0], [1e-300], [-3e-50], [0.0]]))
    assert gaps[slice(None)][:, 0].tolist() == [1.0, 1e-300, -3e-50, 0.0]
    gaps[[3, 1]] = np.array([[1e300], [2.5]])  # measured again at longer steps
    assert gaps[slice(None)][:, 0].tolist() == [1.0, 2.5, -3e-50, 1e300]
    assert gaps.exact_at.tolist() == [2, 3]  # 1e-300's exact value dropped when rewritten
    gaps[[0]] = np.array([[np.inf]])
    assert gaps[[0]][0, 0] == np.inf and not zero_gaps(gaps)[3, 0]
    assert gaps[-1][0, 0] == 1e300  # an index from the end


def test_a_store_holds_half_the_bytes_of_float64_gaps():
    gaps = Gaps(100_000, 1, 32_768)
    assert gaps.scaled.nbytes + gaps.exponents.nbytes < 0.51 * 8 * 100_000
    wide = Gaps(4, 40_000, 1)  # a Jacobian of 40,000 outputs: a chunk is one row
    assert wide.scaled.nbytes + wide.exponents.nbytes < 0.76 * 8 * 4 * 40_000
