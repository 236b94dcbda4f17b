"""The evaluator seam: any object with the two batch methods can run the differences."""

import numpy as np
import pytest

from gradient_check import LossError, check_jvp, flatten
from gradient_check.core.evaluate import InPlaceEvaluator
from gradient_check.core.measure import differences, directional
from gradient_check.core.probe import centred
from gradient_check.core.schemes import CENTRAL, FIVE_POINT

A = np.array([[1.0, 2.0, -1.0], [0.5, -0.3, 2.0]])


def f(p):
    return np.tanh(A @ p["x"]) + p["y"] ** 2


PARAMS = {"x": np.array([0.2, -0.4, 0.9]), "y": 1.5}


class CopyingEvaluator:
    """An evaluator as an executor would write one: f on fresh parameters built from theta
    (here in this process), never touching the user's arrays."""

    def __init__(self, vector):
        self.vector = vector
        self.calls = 0

    def _at(self, theta):
        self.calls += 1
        return np.atleast_1d(np.asarray(f(self.vector.unflatten(theta)), dtype=np.float64))

    def at_coordinates(self, coordinates, values, out=None):
        out = np.empty((*values.shape, 2)) if out is None else out
        for k, i in enumerate(coordinates):
            for q, value in enumerate(values[k]):
                theta = self.vector.theta.copy()
                theta[i] = value
                out[k, q] = self._at(theta)
        return out

    def at_thetas(self, thetas, where):
        return np.array([self._at(theta) for theta in thetas])


def test_an_evaluator_of_copies_gives_the_same_differences_as_the_in_place_one():
    vector = flatten(PARAMS)
    saved = PARAMS["x"].copy()
    with centred(f, PARAMS, vector, True, "f", scalar=False) as at:
        in_place = InPlaceEvaluator(f, at.workspace, at.spec)
        copying = CopyingEvaluator(vector)
        rows, steps = np.arange(vector.size), np.full(vector.size, 1e-5)
        for scheme in (CENTRAL, FIVE_POINT):
            one = differences(in_place, at, scheme, rows, steps)
            two = differences(copying, at, scheme, rows, steps)
            np.testing.assert_array_equal(one[0], two[0])
            assert one[1].shape == (vector.size, scheme.evaluations_per_element, 2)
        matrix = np.random.default_rng(0).standard_normal((3, vector.size))
        one = directional(in_place, at, CENTRAL, matrix, np.arange(3), np.full(3, 1e-5))
        two = directional(copying, at, CENTRAL, matrix, np.arange(3), np.full(3, 1e-5))
        np.testing.assert_array_equal(one[0], two[0])
        assert copying.calls == 2 * 4 + 4 * 4 + 3 * 2  # central, five-point, directions
    assert PARAMS["x"].tobytes() == saved.tobytes()


def test_a_non_finite_value_along_a_direction_is_named_not_an_index_error():
    def g(x):
        y = np.array([x[0] ** 2, x[1]])
        if x[0] > 0.5 + 1e-9:  # only on the + side of the direction
            y[1] = np.nan
        return y

    with pytest.raises(LossError, match=r"nan \(output out\[1\]\) along random direction 0"):
        check_jvp(
            g, np.array([0.5, 1.0]), lambda p, t: np.array([2 * p[0] * t[0], t[1]]), mode="random"
        )


def test_a_function_returning_a_view_of_its_parameters_is_read_before_they_are_restored():
    """f = p["x"][:2] returns a view: read after the parameters are put back it would show
    theta itself, every moved point would look like the centre, and a correct JVP would be
    'confirmed wrong'. The output is copied before restoring."""
    from gradient_check import Outcome, check_jvp

    x = {"x": np.array([1.0, 2.0, 3.0])}
    right = check_jvp(lambda p: p["x"][:2], x, lambda p, t: t["x"][:2], mode="random")
    assert right.outcome is Outcome.PASS
    wrong = check_jvp(lambda p: p["x"][:2], x, lambda p, t: 2 * t["x"][:2], mode="random")
    assert wrong.outcome is Outcome.WRONG
    assert np.array_equal(x["x"], [1.0, 2.0, 3.0])
