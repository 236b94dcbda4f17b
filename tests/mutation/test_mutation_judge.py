"""The gradient checker as the judge: a user's backward function, and a network's methods."""

import inspect

import numpy as np
import pytest

from gradient_check import nn
from gradient_check.mutation.errors import MutationError
from gradient_check.mutation.judge import mutation_test, mutation_test_network
from gradient_check.mutation.mutants import generate_mutants
from gradient_check.mutation.report import MutantOutcome, overall
from gradient_check.mutation.targets import backward_targets
from gradient_check.nn.reference import reference_networks


def regression_loss(p, X, y):
    r = X @ p["w"] + p["b"] - y
    return float(np.mean(r**2) + 1e-12 * np.sum(p["w"] ** 2) / 2)


def regression_backward(p, X, y):
    m = X.shape[0]
    r = X @ p["w"] + p["b"] - y
    dw = 2 * X.T @ r / m + 1e-12 * p["w"]
    db = 2 * np.sum(r) / m
    return {"w": dw, "b": db}


def inplace_backward(p, x):
    w = p["w"]
    w *= 1.0
    return {"w": 2 * w * x**2}


def reciprocal_backward(p):
    w = p["w"]
    zero = 0.0 * w
    return {"w": 1.0 / (w + zero)}


def regression_problem():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((9, 3))
    y = rng.standard_normal(9)
    return {"w": rng.standard_normal(3), "b": 0.3}, (X, y)


def result_of(report, mutated_line):
    [result] = [r for r in report.results if r.mutant.mutated_line == mutated_line]
    return result


def small_network(l2=0.1):
    net = nn.Network.build([3, 4, 2], ["tanh", "softmax"], "cross_entropy", seed=1, l2=l2)
    rng = np.random.default_rng(5)
    return net, rng.standard_normal((7, 3)), nn.one_hot(np.array([0, 1, 1, 0, 1, 0, 0]), 2)


def test_mutation_test_of_a_backward_function_catches_crashes_and_lets_tiny_changes_survive():
    params, args = regression_problem()
    saved = {name: np.copy(value) for name, value in params.items()}
    report = mutation_test(regression_backward, regression_loss, params, args)

    assert report.target == "regression_backward"
    assert (
        result_of(report, "dw = -(2 * X.T @ r / m + 1e-12 * p['w'])").outcome
        is MutantOutcome.CAUGHT
    )
    assert result_of(report, "db = 2 * np.sum(r) * m").detail.startswith("confirmed wrong: b")
    crash = result_of(report, "dw = 2 * X @ r / m + 1e-12 * p['w']")
    assert crash.outcome is MutantOutcome.CRASHED and crash.detail.startswith("ValueError")
    # dropping the 1e-12 term changes w's gradient far below a finite difference's error
    survivor = result_of(report, "dw = 2 * X.T @ r / m")
    assert survivor.outcome is MutantOutcome.SURVIVED
    assert "within estimated error" in survivor.detail and "changed w by" in survivor.detail
    assert {r.mutant.mutated_line for r in report.survivors} >= {"dw = 2 * X.T @ r / m"}
    assert all("1e-12" in r.mutant.original_line for r in report.survivors)
    counts = report.counts
    caught, survived = counts[MutantOutcome.CAUGHT], counts[MutantOutcome.SURVIVED]
    assert survived == len(report.survivors) and report.score == caught / (caught + survived)
    assert report.evaluations > 0
    for name, value in saved.items():
        np.testing.assert_array_equal(params[name], value)


def test_mutants_writing_into_params_or_returning_nan_are_crashed_and_params_restored():
    params = {"w": np.array([0.5, -1.5, 2.0])}
    x = np.array([1.0, 2.0, 3.0])

    def loss(p, x):
        return float(np.sum(p["w"] ** 2 * x**2))

    report = mutation_test(inplace_backward, loss, params, (x,))
    written = result_of(report, "w *= 2.0")
    assert written.outcome is MutantOutcome.CRASHED
    assert written.detail.startswith("the mutant wrote into the parameters (w[0])")
    np.testing.assert_array_equal(params["w"], [0.5, -1.5, 2.0])
    assert result_of(report, "w *= 0.5").outcome is MutantOutcome.CRASHED
    np.testing.assert_array_equal(params["w"], [0.5, -1.5, 2.0])


def test_non_finite_mutant_gradients_are_crashed_without_warnings():
    def loss(p):
        return float(np.sum(np.log(p["w"])))

    params = {"w": np.array([0.5, 1.5, 2.0])}
    report = mutation_test(reciprocal_backward, loss, params, families=["remove-term"])
    # dividing by zero gives inf: CRASHED (the check refuses a non-finite gradient), no warning
    zero = result_of(report, "return {'w': 1.0 / zero}")
    assert zero.outcome is MutantOutcome.CRASHED
    assert zero.detail == "gradient of w[0] is inf: not finite, so not checked"
    assert result_of(report, "return {'w': 1.0 / w}").outcome is MutantOutcome.EQUIVALENT


def test_an_unmutated_backward_that_fails_the_check_is_refused():
    params, args = regression_problem()

    def wrong_backward(p, X, y):
        return {"w": 3 * X.T @ (X @ p["w"] + p["b"] - y), "b": 0.0}

    with pytest.raises(
        MutationError, match=r"the unmutated backward \S*wrong_backward does not pass"
    ):
        mutation_test(wrong_backward, regression_loss, params, args)


def test_network_mutation_restores_the_methods_and_judges_each_mutant():
    net, X, Y = small_network()
    classes = [type(layer) for layer in net.layers] + [type(net.loss)]
    before = {cls: inspect.getattr_static(cls, "backward") for cls in classes}
    grads = net.gradients(X, Y)

    reports = mutation_test_network(net, X, Y, targets=["Linear"], subject="small")

    assert [(r.subject, r.target) for r in reports] == [("small", "Linear.backward")]
    [linear] = reports
    for cls, function in before.items():
        assert inspect.getattr_static(cls, "backward") is function
    for obj in [*net.layers, net.loss]:
        assert "backward" not in vars(obj)
    for name, value in net.gradients(X, Y).items():
        np.testing.assert_array_equal(value, grads[name])

    caught = result_of(linear, "dB = dB * m")
    assert caught.outcome is MutantOutcome.CAUGHT and caught.detail.startswith(
        "confirmed wrong: B1, B2"
    )
    dead = result_of(linear, "return -self._backward_with_bug(dZ)")  # runs only with a bug set
    assert dead.outcome is MutantOutcome.EQUIVALENT
    assert dead.detail == "parameter gradients bitwise unchanged"
    crashed = result_of(linear, "dW = X @ dZ / m")
    assert crashed.outcome is MutantOutcome.CRASHED
    counts = linear.counts
    assert sum(counts.values()) == len(linear.results) == len(generate_mutants(nn.Linear.backward))
    assert counts[MutantOutcome.CRASHED] > 0 and counts[MutantOutcome.SURVIVED] == 0
    assert linear.score == 1.0
    assert linear.evaluations > 0
    assert overall(reports).counts == counts


def test_network_mutation_tests_each_backward_the_network_runs():
    net, X, Y = small_network()
    reports = mutation_test_network(net, X, Y, families="flip-sign", max_mutants=1)
    assert [r.target for r in reports] == [f.__qualname__ for f in backward_targets(net)]
    assert all(len(r.results) == 1 and r.evaluations >= 0 for r in reports)


def test_only_the_networks_parameter_gradients_count_for_equivalence():
    # one Linear layer and no activation: its dX feeds nothing, so mutating it changes nothing
    net = nn.Network.build([3, 2], [None], "mse", seed=0)
    X = np.random.default_rng(0).standard_normal((6, 3))
    Y = np.random.default_rng(1).standard_normal((6, 2))
    [report] = mutation_test_network(net, X, Y, targets=[nn.Linear], families="add-factor")
    assert result_of(report, "dX = 2 * (dZ @ W.T)").outcome is MutantOutcome.EQUIVALENT
    assert result_of(report, "return 2 * dX").outcome is MutantOutcome.EQUIVALENT
    # l2 = 0: the L2 term is zero, and mutating it changes nothing either
    assert result_of(report, "dW = 2 * (dW + self.l2 / m * W)").outcome is MutantOutcome.CAUGHT


def test_reference_networks_keep_kinks_and_accidental_equivalence_away():
    first, second = reference_networks()
    assert (first.name, second.name) == ("7-16-12-10", "4-5-3-1")
    assert first.net.l2 == 0.1 and type(first.net.loss) is nn.CrossEntropy
    assert type(second.net.loss) is nn.BinaryCrossEntropy
    widths = {7, 16, 12, 10, 4, 5, 3, 1}
    for reference in (first, second):
        assert reference.X.shape[0] >= 8 and reference.X.shape[0] not in widths
    A = second.X
    for layer in second.net.layers:
        if isinstance(layer, nn.ReLU):
            assert np.min(np.abs(A)) > 0.02
            assert np.all((A > 0).any(axis=0) & (A < 0).any(axis=0))
        A = layer.forward(A)
