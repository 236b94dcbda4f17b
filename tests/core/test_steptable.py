"""The step table computes any rows' scales and steps bitwise as the whole arrays would be,
and keeps the rows a stage changed."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradient_check import absolute, flatten, relative
from gradient_check.core.estimate import NOISE_POINTS
from gradient_check.core.noise import table_spacing
from gradient_check.core.schemes import CENTRAL, FIVE_POINT
from gradient_check.core.steps import AUTO, element_scales, step_sizes, tensor_scales
from gradient_check.core.steptable import StepTable
from gradient_check.core.workspace import Workspace

magnitudes = st.sampled_from([0.0, 1e-300, 1e-9, 3e-3, 0.7, 1.0, 41.5, 2e12])
tensor = st.lists(st.tuples(magnitudes, st.sampled_from([-1.0, 1.0])), min_size=1, max_size=9).map(
    lambda pairs: np.array([m * s for m, s in pairs])
)


def _whole(vector, step, scheme, eps):
    """The scales, nominal and realised steps as whole arrays (the computation replaced)."""
    scales = element_scales(vector, eps)
    steps = step_sizes(step, vector, scheme, eps, scales)
    return scales, steps


@settings(max_examples=60, deadline=None)
@given(
    tensors=st.lists(tensor, min_size=1, max_size=4),
    step=st.sampled_from([AUTO, relative(1e-4), absolute(1e-3)]),
    scheme=st.sampled_from([CENTRAL, FIVE_POINT]),
    eps_scale=st.sampled_from([1.0, 2.0**20]),
    data=st.data(),
)
def test_any_rows_read_bitwise_as_the_whole_arrays(tensors, step, scheme, eps_scale, data):
    params = {f"t{k}": t for k, t in enumerate(tensors)}
    vector = flatten(params)
    eps = np.finfo(float).eps * np.linspace(1.0, eps_scale, len(tensors))  # one per tensor
    scales, steps = _whole(vector, step, scheme, eps)
    with Workspace(params, vector) as workspace:
        table = StepTable(workspace, step, scheme, eps)
        rows = np.array(
            data.draw(st.lists(st.integers(0, vector.size - 1), max_size=2 * vector.size)),
            dtype=np.int64,
        )
        start = data.draw(st.integers(0, vector.size))
        for index in (rows, slice(start, None), slice(None)):
            np.testing.assert_array_equal(table.scales[index], scales[index])
            np.testing.assert_array_equal(table.nominal[index], steps[index])
        np.testing.assert_array_equal(table.typical_at(rows), tensor_scales(vector, rows))
        if rows.size:
            realised = workspace.realised_steps(rows, steps[rows])[1]
            np.testing.assert_array_equal(table.realised[rows], realised)
            np.testing.assert_array_equal(table.realised[int(rows[0])], realised[0])


def test_rows_a_stage_changed_keep_their_steps_and_a_copy_keeps_its_own():
    params = {"w": np.linspace(0.5, 3.0, 50), "b": np.zeros(3)}
    vector = flatten(params)
    with Workspace(params, vector) as workspace:
        table = StepTable(workspace, AUTO, CENTRAL, np.finfo(float).eps)
        planned = np.asarray(table.nominal)
        own = table.copy()
        own.nominal[[40, 7]] = [1e-3, 2e-3]
        own.realised[np.array([7])] = 5e-3
        own.nominal[np.array([52])] = 4e-3  # a later change of another row
        expected = planned.copy()
        expected[[7, 40, 52]] = [2e-3, 1e-3, 4e-3]
        np.testing.assert_array_equal(own.nominal[:], expected)
        # where only the nominal step was set, the realised step follows it
        rows = np.array([7, 40, 52, 0])
        follows = workspace.realised_steps(rows, expected[rows])[1]
        np.testing.assert_array_equal(own.realised[rows], [5e-3, *follows[1:]])
        np.testing.assert_array_equal(table.nominal[:], planned)  # the plan's, unchanged
        with pytest.raises(TypeError, match="cannot be set"):
            table.scales[[0]] = 1.0


def test_steps_kept_within_the_noise_tables_span_as_the_probe_did():
    params = {"w": np.array([1e-8, 0.2, -3.0, 0.0, 7e5])}
    vector = flatten(params)
    eps = np.array([np.finfo(float).eps])
    scales, steps = _whole(vector, AUTO, CENTRAL, eps)
    spacing = table_spacing(vector.theta, steps, scales, eps)
    with Workspace(params, vector) as workspace:
        table = StepTable(workspace, AUTO, CENTRAL, eps).within(64.0)
        np.testing.assert_array_equal(table.spacings[:], spacing)
        capped = np.minimum(steps, (NOISE_POINTS - 1) * spacing / 64.0)
        np.testing.assert_array_equal(table.nominal[:], capped)
        assert np.any(capped < steps)  # the span did shorten some step
