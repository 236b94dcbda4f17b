"""Directions stored per tensor: rows on demand, projections block by block."""

import tracemalloc

import numpy as np

from gradient_check import flatten
from gradient_check.core.plan import Block, Directions, random_directions
from gradient_check.core.steps import AUTO


def test_directions_project_and_build_rows_like_the_dense_matrix():
    vector = flatten({"W": np.arange(1.0, 13.0).reshape(3, 4), "b": np.array([0.5, -2.0])})
    plan = random_directions(vector, 3, AUTO, np.random.default_rng(0), scaled=False)
    directions = plan.directions
    dense = np.asarray(directions)
    assert dense.shape == (6, vector.size)
    # the draws of rng.standard_normal((3, 12)) then ((3, 2)), each row at unit RMS
    rng = np.random.default_rng(0)
    for rows, block in zip((slice(0, 3), slice(3, 6)), directions.blocks, strict=True):
        z = rng.standard_normal((3, block.size))
        z /= np.sqrt(np.sum(z**2, axis=1, keepdims=True) / block.size)
        assert np.array_equal(dense[rows, block.coordinates], z)
    matrix = np.random.default_rng(1).standard_normal((2, vector.size))
    assert np.allclose(directions.project(matrix), matrix @ dense.T)
    assert np.array_equal(directions.rows([4, 1]), dense[[4, 1]])
    # unscaled: one step per tensor, eps^(1/3) times its typical magnitude
    assert plan.steps[0] != plan.steps[3] and np.all(plan.steps[:3] == plan.steps[0])


def test_a_block_on_chosen_coordinates_is_one_hot_rows():
    directions = Directions(5, [Block(np.array([3, 0]), np.eye(2))])
    assert np.array_equal(directions.rows([0, 1]), np.eye(5)[[3, 0]])


def test_random_directions_are_regenerated_not_held():
    """k directions of a million-element tensor hold no array of its size between reads,
    and read the same bits every time."""
    vector = flatten({"W": np.linspace(-1.0, 1.0, 1_000_000), "b": np.ones(3)})
    tracemalloc.start()
    try:
        plan = random_directions(vector, 3, AUTO, np.random.default_rng(7), scaled=False)
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert held < 0.05 * vector.theta.nbytes  # 3 x theta when the directions were stored
    point = np.zeros(vector.size)
    plan.directions.move(1, 0.5, point)
    assert np.array_equal(point[:1_000_000], 0.5 * plan.directions.rows([1])[0, :1_000_000])
    assert np.array_equal(plan.directions.rows([1]), plan.directions.rows([1]))
