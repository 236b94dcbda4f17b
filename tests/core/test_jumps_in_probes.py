"""Staircases and points apart in the precision probe and the noise table.

A weighted sum of floor over hundreds of elements is flat at a sub-ulp move and changes at
a few float16 ulps, like a float16 function; but it changes by whole jumps, not in
proportion to the move, so it stays float64. A loss defined apart at theta along some
parameter (a hinge loss over labels y = +/-1, whose terms vanish for any other y) puts a
jump into every noise table; that jump is not noise of the smooth parameters' values.
"""

import numpy as np

from gradient_check import Outcome, check
from gradient_check.core.noise import noise_from_table, robust_noise

RNG = np.random.default_rng(0)
X = RNG.uniform(-4.0, 4.0, size=(20, 15))  # 300 elements: 4 float16 ulps cross a few jumps
W = RNG.standard_normal(X.shape)


def precision_note(report) -> str:
    return next(n for n in report.notes if n.startswith("precision "))


def block(report, name: str):
    return next(row for row in report.parameters if row.name == name)


def staircase(p: np.ndarray) -> float:
    return float(np.sum(W * np.floor(p)))


def test_a_staircase_over_many_elements_is_float64_and_passes():
    report = check(staircase, X.copy(), np.zeros_like(X))
    assert precision_note(report).startswith("precision float64"), precision_note(report)
    assert "not in proportion to the move" in precision_note(report)
    assert report.outcome is Outcome.PASS, report


def test_a_staircase_still_catches_a_wrong_gradient_in_every_element_or_one():
    everywhere = check(staircase, X.copy(), W)  # the slope of W x: floor forgotten
    assert everywhere.outcome is Outcome.WRONG, everywhere
    one = np.zeros_like(X)
    one[3, 1] = 0.1 * np.abs(W).mean()
    single = check(staircase, X.copy(), one)
    assert single.outcome is Outcome.WRONG, single
    assert [e.label for e in single.parameters[0].wrong] == ["params[3, 1]"]


def test_a_float16_function_is_still_read_as_float16():
    x = RNG.uniform(0.5, 2.0, 50)

    def loss(p):
        return float(np.sum(p.astype(np.float16) ** 2, dtype=np.float16))

    assert precision_note(check(loss, x, 2 * x)).startswith("precision float16")


MARGIN = 1.0
XS = np.array([-4.83, 0.37, -0.60, 1.54, -1.97])
LABELS = np.array([1.0, -1.0, 1.0, 1.0, -1.0])


def hinge(x: np.ndarray, y: np.ndarray) -> float:
    """A hinge-embedding loss: x where y = 1, max(0, margin - x) where y = -1, 0 for any
    other y, so f at the labels is apart from f at any neighbouring y."""
    terms = np.where(y == 1, x, np.where(y == -1, np.maximum(0.0, MARGIN - x), 0.0))
    return float(np.sum(terms**2))


def hinge_grad(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    terms = np.where(y == 1, x, np.where(y == -1, np.maximum(0.0, MARGIN - x), 0.0))
    slope = np.where(y == 1, 1.0, np.where(MARGIN - x > 0, -1.0, 0.0))
    return 2 * terms * slope


def test_a_jump_at_theta_in_one_parameter_is_not_noise_of_the_others():
    params = [XS.copy(), LABELS.copy()]
    report = check(lambda p: hinge(p[0], p[1]), params, [hinge_grad(XS, LABELS), np.zeros(5)])
    note = next(n for n in report.notes if n.startswith("measured noise"))
    assert "relative" in note and float(note.split()[-2]) < 1e-13, note
    assert block(report, "[0]").outcome is Outcome.PASS, report
    # f at each label stands apart from f on both sides, which agree: a removable
    # discontinuity, judged by the central difference (which never uses f(theta))
    assert block(report, "[1]").outcome is Outcome.PASS
    assert any("removable discontinuity" in n for n in report.notes)


def test_with_a_jump_in_the_labels_a_wrong_gradient_is_still_caught():
    params = [XS.copy(), LABELS.copy()]
    for factor, index in ((2.0, slice(None)), (1.1, 2)):
        wrong = hinge_grad(XS, LABELS)
        wrong[index] *= factor
        report = check(lambda p: hinge(p[0], p[1]), params, [wrong, np.zeros(5)])
        assert block(report, "[0]").outcome is Outcome.WRONG, report


def test_a_kink_or_a_point_apart_in_a_table_is_not_noise_but_noise_is():
    k = np.arange(7.0)
    kink = 3.0 + 1e-7 * k + 1e-7 * np.maximum(0.0, k - 2.5)  # slope change inside
    apart = np.r_[45.6, np.full(6, 0.83)]  # f0 defined apart from its neighbours
    noisy = 3.0 + 1e-7 * k + 1e-9 * np.random.default_rng(0).standard_normal(7)
    sigma = robust_noise(np.column_stack([kink, apart, noisy]))
    assert sigma[0] < 1e-12 and sigma[1] == 0.0
    assert 2e-10 < sigma[2] < 5e-9  # a genuinely noisy table keeps its noise
    table = np.column_stack([kink, apart])
    full = noise_from_table(table, table[0], table[[0, 0]], 2.2e-16)
    assert np.all(full <= 2.2e-16 * np.max(np.abs(table), axis=0) * 1.0001)
