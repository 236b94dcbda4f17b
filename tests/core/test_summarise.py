"""A row's worst element: the largest |analytic - numeric|, named by its label."""

import numpy as np

from gradient_check import check, check_jacobian
from gradient_check.core.summarise import worst_element


def test_worst_element_is_the_largest_absolute_difference():
    residual = np.array([[0.1, 0.3, 0.0], [0.2, 0.3, 0.05]])
    assert worst_element(residual) == (0, 1)  # the first of a tie, row-major


def test_the_worst_element_is_the_largest_absolute_error_not_the_largest_relative_one():
    a = np.array([[3.0, -1.0, 0.5], [2.0, 0.25, 1e-3]])

    def loss(p):
        return float(np.sum(a * p["W"]) + 0.5 * np.sum(p["W"] ** 2))

    W = np.array([[0.5, 2.0, -1.0], [0.1, 0.2, 0.3]])
    grads = a + W
    grads[0, 1] += 0.3  # 0.3 absolute on 1.0: the worst element
    grads[1, 2] += 0.2  # 0.2 absolute on 0.301: the worst relative error
    row = check(loss, {"W": W}, {"W": grads}).row("W")
    assert row.worst_index == "W[0, 1]"
    assert row.worst_analytic == grads[0, 1]
    assert abs(row.worst_numeric - (a + W)[0, 1]) < 1e-8
    assert abs(row.max_abs_error - 0.3) < 1e-8


def test_a_jacobian_row_names_its_worst_entry_by_output_and_parameter():
    A = np.arange(12.0).reshape(3, 4) / 7
    J = A.copy()
    J[1, 2] += 0.5
    J[0, 0] += 0.1
    row = check_jacobian(lambda x: A @ x, np.array([0.3, -0.2, 0.5, 1.0]), J).parameters[0]
    assert row.worst_index == "out[1] / params[2]"
    assert row.worst_analytic == J[1, 2]
    assert abs(row.worst_numeric - A[1, 2]) < 1e-8
