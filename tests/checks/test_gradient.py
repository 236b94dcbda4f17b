"""The gradient check: verdicts, names, and the user's parameters left exactly as they were."""

import numpy as np
import pytest

from gradient_check import (
    Evidence,
    LossError,
    Outcome,
    StochasticLossError,
    Verdict,
    assert_gradients_close,
    check,
    check_vjp,
    depth_allowance,
)


def test_correct_gradient_is_correct_in_every_band(net):
    report = check(net.loss, net.params, net.grads)
    assert report.ok
    assert report.verdict is Verdict.CORRECT
    assert report.diff < 1e-7
    assert [row.name for row in report.parameters] == ["W1", "B1", "W2", "B2"]
    assert all(row.evidence is Evidence.CONSISTENT for row in report.parameters)
    assert report.wrong == []


@pytest.mark.parametrize("bug", ["W1", "B1", "W2", "B2"])
def test_one_wrong_tensor_is_named_and_only_it(net, bug):
    report = check(net.loss, net.params, lambda p: net.grads(p, bug=bug))
    assert not report.ok
    assert report.wrong == [bug]
    assert report.parameters[0].name == bug  # wrong first
    row = report.row(bug)
    assert row.verdict is Verdict.WRONG
    assert row.worst_analytic == pytest.approx(1.1 * row.worst_numeric, rel=1e-6)


def test_one_wrong_element_is_named_at_that_element(net):
    def grads(p):
        g = net.grads(p)
        g["W1"][2, 3] += 1e-3
        return g

    report = check(net.loss, net.params, grads)
    row = report.row("W1")
    assert row.evidence is Evidence.WRONG
    assert row.wrong_count == 1
    assert row.wrong[0].label == "W1[2, 3]"
    assert row.worst_index == "W1[2, 3]"


def test_texts_absolute_step_and_cost_of_a_full_check(net):
    n = sum(v.size for v in net.params.values())
    report = check(net.loss, net.params, net.grads, h=1e-7)
    assert report.ok
    assert report.step == "h = 1e-07"
    assert report.evaluations["differences"] == 2 * n
    assert report.evaluations["precision_probe"] == 1  # a float64 function: one probe
    assert report.total_evaluations == 2 * n + 1 + 2 + 1 + 6
    for row in report.parameters:  # the realised step, fl(theta + h) - theta
        assert row.step_min == pytest.approx(1e-7, rel=1e-6)
        assert row.step_max == pytest.approx(1e-7, rel=1e-6)


def test_grads_given_as_structure_or_callable_agree(net):
    by_value = check(net.loss, net.params, net.grads(net.params))
    by_function = check(net.loss, net.params, net.grads)
    assert by_value.diff == by_function.diff


def test_depth_allowance_moves_the_band_edges_only(net):
    report = check(net.loss, net.params, lambda p: net.grads(p, bug="B2"), band_scale=1e6)
    assert report.verdict is Verdict.CORRECT  # the band, scaled
    assert report.wrong == ["B2"]  # the evidence is not scaled
    assert depth_allowance(10) == pytest.approx(100)


class Interrupt(BaseException):
    pass


@pytest.mark.parametrize("exception", [KeyboardInterrupt, RuntimeError, Interrupt])
@pytest.mark.parametrize("at_call", [1, 2, 4, 9, 10, 25, 60, 79])
def test_interrupted_check_leaves_parameters_bitwise_unchanged(net, exception, at_call):
    params = net.params
    objects = {k: id(v) for k, v in params.items()}
    saved = {k: v.copy() for k, v in params.items()}
    calls = 0

    def loss(p):
        nonlocal calls
        calls += 1
        if calls == at_call:
            raise exception("stop")
        return net.loss(p)

    bug = lambda p: net.grads(p, bug="W2")  # noqa: E731 (refinement evaluations happen too)
    with pytest.raises(exception):
        check(loss, params, bug)
    assert calls == at_call
    assert {k: id(v) for k, v in params.items()} == objects
    for k in params:
        assert params[k].tobytes() == saved[k].tobytes()


def test_global_rng_state_is_untouched(net):
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    check(net.loss, net.params, net.grads)
    assert np.array_equal(np.random.get_state()[1], before)


def test_random_loss_is_refused_with_the_fix(net):
    rng = np.random.default_rng(1)

    def dropout_loss(p):
        mask = rng.random(5) < 0.8
        Z = np.tanh(net.X @ p["W1"] + p["B1"]) * mask
        return float(np.sum(Z @ p["W2"] + p["B2"]))

    with pytest.raises(StochasticLossError, match="keep probability to 1 or freeze its mask"):
        check(dropout_loss, net.params, net.grads)


def test_global_rng_use_is_refused_and_its_state_restored(net):
    np.random.seed(5)
    state = np.random.get_state()[1].copy()
    with pytest.raises(StochasticLossError, match="global random generator"):
        check(lambda p: net.loss(p) + 0 * np.random.rand(), net.params, net.grads)
    assert np.array_equal(np.random.get_state()[1], state)


def test_assert_message_is_the_table(net):
    with pytest.raises(AssertionError) as caught:
        assert_gradients_close(net.loss, net.params, lambda p: net.grads(p, bug="W2"))
    message = str(caught.value)
    assert message.startswith("gradient check failed: confirmed wrong in W2 (")
    assert message.index("W2") < message.index("W1")  # wrong first
    assert "certainly wrong" not in message  # the band never heads the message


def test_loss_that_writes_its_params_is_refused(net):
    def loss(p):
        p["W1"][0, 0] += 1.0
        return net.loss(p)

    saved = net.params["W1"].copy()
    with pytest.raises(LossError, match=r"changed parameter `W1` in place"):
        check(loss, net.params, net.grads)
    assert np.array_equal(net.params["W1"], saved)


def test_float_leaves_and_tuples_are_checked():
    params = (np.array([1.0, 2.0]), 3.0)
    report = check(
        lambda p: float(np.sum(p[0] ** 2) * p[1]),
        params,
        lambda p: (2 * p[0] * p[1], float(np.sum(p[0] ** 2))),
    )
    assert report.ok
    assert [row.name for row in report.parameters] == ["[0]", "[1]"]
    assert isinstance(params[1], float)


def test_a_derivative_refilling_one_buffer_is_read_call_by_call():
    """grads(params) may return the same array each call: each call's values are kept
    (a nondeterministic one is still refused), and a VJP writing into ``out`` passes."""
    rng = np.random.default_rng(0)
    w, buffer = np.linspace(-1.0, 1.0, 5), np.empty(5)

    def noisy(p):
        buffer[:] = 2 * p + 1e-3 * rng.standard_normal(5)
        return buffer

    report = check(lambda p: float(np.sum(p**2)), w, noisy)
    assert report.outcome is Outcome.STRUCTURAL
    assert any("nondeterministic" in problem for problem in report.problems)

    A, out = rng.standard_normal((3, 5)), np.empty(5)
    report = check_vjp(lambda p: A @ p, w, lambda p, u: np.dot(u, A, out=out))
    assert report.ok, report
