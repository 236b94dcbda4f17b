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
