"""Measuring the differences: points outside f's domain, and steps never lengthened
beyond what f's own behaviour supports."""

import numpy as np
import pytest

from gradient_check import LossError, check, check_jacobian


def test_a_point_outside_the_domain_is_measured_at_a_shorter_step_and_named():
    x = np.array([1e-7, 1.0])

    def loss(p):
        with np.errstate(invalid="ignore", divide="ignore"):
            return float(np.sum(np.log(p)))

    report = check(loss, x, 1 / x, h=1e-6)  # x[0] - h < 0: log is NaN there
    assert report.ok
    note = next(n for n in report.notes if "domain" in n)
    assert "params[0] (h/16)" in note and "params[1]" not in note
    wrong = 1 / x
    wrong[0] *= 1.1
    assert check(loss, x, wrong, h=1e-6).wrong == ["params"]


def test_at_the_edge_of_the_domain_a_one_sided_step_is_taken():
    def loss(p):  # defined for p[0] >= 0 only, smooth there: the right derivative is 1
        with np.errstate(invalid="ignore"):
            return float(np.where(p[0] >= 0, p[0] ** 2 + p[0], np.nan) + np.sin(p[1]))

    x = np.array([0.0, 0.4])
    report = check(loss, x, np.array([1.0, np.cos(0.4)]))
    assert report.ok, report
    assert any("params[0] (one-sided, + side)" in n for n in report.notes), report.notes
    wrong = check(loss, x, np.array([1.05, np.cos(0.4)]))
    assert [e.label for e in wrong.parameters[0].wrong] == ["params[0]"]


def test_the_retries_are_counted_and_a_point_nan_on_both_sides_is_still_refused():
    x = np.array([1e-7, 1.0])

    def loss(p):
        with np.errstate(invalid="ignore", divide="ignore"):
            return float(np.sum(np.log(p)))

    report = check(loss, x, 1 / x, h=1e-6)
    differences = report.evaluations["differences"]
    assert differences == 2 * 2 + 2 * 4  # 2n, then h/2 .. h/16 for params[0]

    def nowhere(p):  # finite at p[0] = 0.5 alone
        with np.errstate(invalid="ignore"):
            return float(np.sqrt(-((p[0] - 0.5) ** 2)) + p[1])

    with pytest.raises(LossError, match=r"params\[0\] -1h \(and at h/2 \.\. h/16, and on one"):
        check(nowhere, np.array([0.5, 1.0]), np.array([0.0, 1.0]))


def test_a_row_where_nothing_changes_and_nothing_is_claimed_is_not_lengthened():
    w = np.array([0.5, -0.25, 0.125, 2.0], dtype=np.float32)

    def loss(p):  # float32 inside; p["unused"] is ignored
        w32 = np.asarray(p["w"], dtype=np.float32)
        return float(np.float32(100.0) + np.sum(w32 * w32))

    params = {"w": w, "unused": np.array([1.0, 2.0], dtype=np.float32)}
    report = check(loss, params, {"w": 2 * w.astype(np.float64), "unused": np.zeros(2)})
    assert report.ok
    # the lengthened rows are w's alone (4 rows x 2 points), not the ignored parameter's
    longer = report.evaluations.get("lengthened", 0)
    assert longer <= 2 * w.size
    assert any("does not depend on `unused`" in n for n in report.notes)


@pytest.mark.parametrize("seed", range(12))
def test_an_output_that_cancels_is_judged_by_its_terms_rounding(seed):
    """(big + p0 p1) - big moves in steps of big's ulp, which a noise table moving along one
    line may never see; its differences are judged against that grain, not its value's."""
    rng = np.random.default_rng(seed)
    A, x = rng.standard_normal((12, 6)), rng.standard_normal(6)
    big = 10.0 ** rng.uniform(3, 8)

    def f(p):
        y = np.tanh(A @ p)
        y[0] = (big + p[0] * p[1]) - big
        y[1] = np.exp(p[2]) * big - np.exp(p[2]) * (big - 1.0)
        return y

    J = (1 - np.tanh(A @ x) ** 2)[:, None] * A
    J[0], J[1] = 0.0, 0.0
    J[0, 0], J[0, 1], J[1, 2] = x[1], x[0], np.exp(x[2])
    report = check_jacobian(f, x, J, seed=seed)
    assert report.evidence.name != "WRONG", report
