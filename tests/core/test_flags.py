"""BitMatrix and RowSet read and write like the boolean arrays they replace."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gradient_check.core import flags
from gradient_check.core.flags import BitMatrix, RowSet, rows_in_doubt


@st.composite
def writes(draw):
    """A shape and a sequence of writes: (rows as a slice, index array or mask, values)."""
    n, m = draw(st.integers(1, 40)), draw(st.integers(1, 3))
    steps = []
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["slice", "index", "mask"]))
        if kind == "slice":
            start = draw(st.integers(0, n))
            rows = slice(start, draw(st.integers(start, n)))
        elif kind == "index":
            rows = np.array(draw(st.lists(st.integers(0, n - 1), unique=True)), dtype=int)
        else:
            rows = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
        count = len(range(n)[rows]) if kind == "slice" else int(np.sum(np.ones(n)[rows] > 0))
        values = np.array(draw(st.lists(st.booleans(), min_size=count * m, max_size=count * m)))
        steps.append((rows, values.reshape(count, m)))
    return n, m, steps


@settings(max_examples=200, deadline=None)
@given(writes())
def test_a_bit_matrix_is_a_boolean_array(case):
    n, m, steps = case
    bits, reference = BitMatrix(n, m), np.zeros((n, m), dtype=bool)
    for rows, values in steps:
        bits[rows] = values
        reference[rows] = values
        assert np.array_equal(bits[slice(None)], reference)
    assert np.array_equal(rows_in_doubt(bits), rows_in_doubt(reference))
    picked = np.arange(n)[::-2]
    assert np.array_equal(bits[picked], reference[picked])
    copied = bits.copy()
    copied[0] = ~reference[0]
    assert np.array_equal(bits[slice(None)], reference)  # a copy is its own


@settings(max_examples=200, deadline=None)
@given(writes())
def test_a_row_set_is_a_boolean_vector(case):
    n, _, steps = case
    rows_set, reference = RowSet(n), np.zeros(n, dtype=bool)
    for rows, values in steps:
        rows_set[rows] = values[:, 0]
        reference[rows] = values[:, 0]
        assert np.array_equal(rows_set[slice(None)], reference)
    assert np.array_equal(rows_set[np.array([n - 1, 0])], reference[[n - 1, 0]])


def test_a_bit_matrix_holds_an_eighth_of_a_byte_per_element():
    assert BitMatrix(1_000_000, 1).bits.nbytes == 125_000


def test_rows_in_doubt_are_found_a_chunk_at_a_time(monkeypatch):
    monkeypatch.setattr(flags, "UNPACKED_AT_ONCE", 16)  # chunks of 8 rows of 2 elements
    reference = np.ones((50, 2), dtype=bool)
    reference[[0, 7, 8, 31, 49], [1, 0, 1, 1, 0]] = False
    bits = BitMatrix(50, 2)
    bits[slice(None)] = reference
    assert rows_in_doubt(bits).tolist() == [0, 7, 8, 31, 49]


def test_a_row_set_turns_to_bits_when_most_rows_are_true():
    rows = RowSet(1_000)
    rows[np.arange(10)] = True
    assert rows.bits is None and rows.rows.tolist() == list(range(10))
    rows[np.arange(0, 1_000, 3)] = True  # 334 rows: 8 bytes each would outweigh a bit each
    assert rows.rows is None and rows.bits.bits.nbytes == 125
    expected = np.zeros(1_000, dtype=bool)
    expected[np.arange(10)] = expected[np.arange(0, 1_000, 3)] = True
    assert np.array_equal(rows[slice(None)], expected) and rows[-1] == expected[-1]
