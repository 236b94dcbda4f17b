import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradient_check.core.blockscan as blockscan
from gradient_check import check
from gradient_check.core.bands import euclidean_norm
from gradient_check.core.blockscan import chunked_norm, row_chunks


@given(st.integers(0, 200), st.integers(1, 5), st.integers(0, 50))
def test_row_chunks_cover_the_rows_once_in_order(length, width, start):
    rows = slice(start, start + length)
    covered = [i for part in row_chunks(rows, width) for i in range(part.start, part.stop)]
    assert covered == list(range(rows.start, rows.stop))


def test_a_one_chunk_norm_is_the_whole_blocks_bit_for_bit():
    values = np.random.default_rng(0).standard_normal((100, 3))
    norm = chunked_norm(lambda part: values[part], slice(0, 100), 3)
    assert norm == euclidean_norm(values)


@settings(max_examples=30, deadline=None)
@given(st.floats(1e-300, 1e300))
def test_a_many_chunk_norm_neither_overflows_nor_underflows(scale):
    values = np.random.default_rng(1).standard_normal((70_000, 1)) * scale
    norm = chunked_norm(lambda part: values[part], slice(0, 70_000), 1)
    assert norm == pytest.approx(scale * np.sqrt(np.sum((values / scale) ** 2)), rel=1e-12)


def _problem():
    rng = np.random.default_rng(2)
    theta, c = rng.standard_normal(300), rng.standard_normal(300)

    def loss(w):
        return float(np.sum(np.sin(w) * c))

    grad = np.cos(theta) * c
    grad[[17, 211]] *= [1.5, -1.0]  # two wrong elements, the second the worst
    return loss, theta, grad


def test_a_row_built_chunk_by_chunk_is_the_row_built_whole(monkeypatch):
    loss, theta, grad = _problem()
    whole = check(loss, theta, grad).parameters[0]
    monkeypatch.setattr(blockscan, "BLOCK_CHUNK", 7)  # 43 chunks of 7 rows
    chunked = check(loss, theta, grad).parameters[0]
    assert chunked.worst_index == whole.worst_index == "params[211]"
    assert chunked.max_abs_error == whole.max_abs_error
    assert chunked.max_rel_error == whole.max_rel_error
    assert chunked.diff == pytest.approx(whole.diff, rel=1e-14)
    assert chunked.evidence == whole.evidence and chunked.wrong_count == whole.wrong_count == 2
