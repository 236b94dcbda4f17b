"""The direction plan: k random tangents per tensor, unit RMS over their tensor."""

import numpy as np
import pytest

from gradient_check import absolute, flatten
from gradient_check.core.plan import random_directions
from gradient_check.core.steps import AUTO, element_scales

PARAMS = {"W": np.arange(1.0, 21.0).reshape(4, 5) / 10, "b": np.array([0.5, -2.0, 3.0])}


def test_each_direction_has_unit_rms_over_its_own_tensor_only():
    vector = flatten(PARAMS)
    plan = random_directions(vector, 3, absolute(1e-6), np.random.default_rng(0))
    assert plan.matrix.shape == (2 * 3, vector.size)
    for slot_index, slot in enumerate(vector.slots):
        for row in plan.matrix[3 * slot_index : 3 * slot_index + 3]:
            block = row[slot.offset : slot.stop]
            # unit RMS (every element moves by about h), not unit length (1/sqrt(size) each)
            assert np.sqrt(np.mean(block**2)) == pytest.approx(1.0, rel=1e-12)
            assert np.linalg.norm(block) == pytest.approx(np.sqrt(slot.size), rel=1e-12)
            outside = np.delete(row, np.arange(slot.offset, slot.stop))
            assert not outside.any()  # a failure still names the tensor
    assert [s.name for s in plan.probes.slots] == ["W·v", "b·v"]
    assert plan.probes.label(4) == "b·v[1]"
    assert plan.step == 1e-6


def test_a_scaled_step_moves_every_element_by_its_own_scale():
    vector = flatten(PARAMS)
    plan = random_directions(vector, 2, AUTO, np.random.default_rng(1))
    scales = element_scales(vector)
    for slot_index, slot in enumerate(vector.slots):
        for row in plan.matrix[2 * slot_index : 2 * slot_index + 2]:
            z = row[slot.offset : slot.stop] / scales[slot.offset : slot.stop]
            assert np.sqrt(np.mean(z**2)) == pytest.approx(1.0, rel=1e-12)
    assert plan.step == pytest.approx(np.finfo(float).eps ** (1 / 3))


def test_the_plan_is_the_seeds():
    vector = flatten(PARAMS)
    one = random_directions(vector, 2, AUTO, np.random.default_rng(7)).matrix
    two = random_directions(vector, 2, AUTO, np.random.default_rng(7)).matrix
    assert np.array_equal(one, two)


def test_the_automatic_direction_step_follows_the_schemes_order_and_the_precision():
    vector = flatten(PARAMS)
    eps32 = float(np.finfo(np.float32).eps)
    five = random_directions(vector, 1, AUTO, np.random.default_rng(0), order=4)
    assert five.step == pytest.approx(np.finfo(float).eps ** (1 / 5))
    single = random_directions(vector, 1, AUTO, np.random.default_rng(0), order=2, eps=eps32)
    assert single.step == pytest.approx(eps32 ** (1 / 3))  # not float64's 6e-6


def test_a_float32_function_checked_along_random_directions_gets_float32_steps():
    from gradient_check import check_jvp

    A = np.random.default_rng(4).standard_normal((3, 5)).astype(np.float32)

    def f(x):  # float32 inside, float64 out
        return np.tanh(A @ np.asarray(x, dtype=np.float32)).astype(np.float64)

    def jvp(x, t):
        y = np.tanh(A @ np.asarray(x, dtype=np.float32)).astype(np.float64)
        return (1 - y**2) * (A.astype(np.float64) @ t)

    x = np.random.default_rng(5).standard_normal(5)
    report = check_jvp(f, x, jvp, mode="random", directions=3, seed=0)
    assert report.ok, report
    assert report.parameters[0].step_max > 1e-3  # eps32^(1/3) = 4.9e-3, not 6e-6


def test_a_moved_point_is_theta_plus_the_step_along_the_dense_direction():
    vector = flatten({"W": np.arange(1.0, 70_001.0), "b": np.array([0.5, -2.0])})
    plan = random_directions(vector, 2, AUTO, np.random.default_rng(3))
    dense = np.asarray(plan.directions)
    for j in range(len(plan.directions)):
        point = plan.directions.move(j, -0.25, vector.theta.copy())
        np.testing.assert_array_equal(point, vector.theta + (-0.25) * dense[j])
