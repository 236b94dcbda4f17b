"""Directions stored per tensor: rows on demand, projections block by block."""

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
    # stored per tensor: 3 x 12 and 3 x 2 numbers, not 6 x 14
    assert [b.z.shape for b in directions.blocks] == [(3, 12), (3, 2)]
    matrix = np.random.default_rng(1).standard_normal((2, vector.size))
    assert np.allclose(directions.project(matrix), matrix @ dense.T)
    assert np.array_equal(directions.rows([4, 1]), dense[[4, 1]])
    # unscaled: one step per tensor, eps^(1/3) times its typical magnitude
    assert plan.steps[0] != plan.steps[3] and np.all(plan.steps[:3] == plan.steps[0])


def test_a_block_on_chosen_coordinates_is_one_hot_rows():
    directions = Directions(5, [Block(np.array([3, 0]), np.eye(2))])
    assert np.array_equal(directions.rows([0, 1]), np.eye(5)[[3, 0]])
