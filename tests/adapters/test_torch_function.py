"""check_function: the Jacobian of every (output, input) pair of a function of tensors."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from gradient_check import InvalidProblemError, Outcome, StochasticLossError  # noqa: E402
from gradient_check.torch import check_function  # noqa: E402

D = {"dtype": torch.float64}


def tensors(*shapes):
    generator = torch.Generator().manual_seed(0)
    return tuple(torch.randn(shape, generator=generator, **D).requires_grad_() for shape in shapes)


class WrongWeightGrad(torch.autograd.Function):
    """x @ w with w's gradient transposed the wrong way (a square w hides the shape error)."""

    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return x @ w

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        return grad @ w.T, (x.T @ grad).T


def test_rows_name_outputs_and_inputs_by_position_and_keyword():
    x, w = tensors((2, 3), (3, 3))
    bias = torch.ones(3, **D)  # no requires_grad: held fixed

    def fn(x, bias, *, w):
        return torch.tanh(x @ w + bias), (x**2).sum()

    report = check_function(fn, x, bias, w=w)
    assert report.ok
    assert {row.block for row in report.parameters} == {
        "output 0 / input 0",
        "output 0 / w",
        "output 1 / input 0",
        "output 1 / w",
    }


def test_the_wrong_input_is_named_alone():
    x, w = tensors((2, 3), (3, 3))
    report = check_function(WrongWeightGrad.apply, x, w)
    assert report.outcome is Outcome.WRONG
    assert report.wrong == ["output / input 1"]


class ForwardModeOff(torch.autograd.Function):
    """A correct backward and a jvp off by 10 %."""

    @staticmethod
    def forward(x):
        return x**3

    @staticmethod
    def setup_context(ctx, inputs, output):
        (x,) = inputs
        ctx.save_for_backward(x)
        ctx.save_for_forward(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x**2

    @staticmethod
    def jvp(ctx, tangent):
        (x,) = ctx.saved_tensors
        return tangent * 3.3 * x**2


def test_forward_mode_is_a_second_reference_named_in_the_notes():
    (x,) = tensors(4)
    agreeing = check_function(torch.sin, x)
    assert any("agrees with the backward" in note for note in agreeing.notes)
    report = check_function(ForwardModeOff.apply, x)
    assert report.ok  # the backward is right
    (note,) = [n for n in report.notes if "forward-mode" in n]
    assert "disagrees" in note and "output / input 0" in note and "confirmed wrong" in note
    judged = check_function(ForwardModeOff.apply, x, forward_ad=True)
    assert judged.outcome is Outcome.STRUCTURAL
    assert "forward-mode AD" in judged.problems[0]
    quiet = check_function(ForwardModeOff.apply, x, forward_ad=False)
    assert not any("forward-mode" in n for n in quiet.notes)


def test_a_function_without_forward_mode_says_so():
    (x,) = tensors(3)
    report = check_function(WrongWeightGrad.apply, x.reshape(1, 3), torch.eye(3, **D))
    assert any("forward-mode AD not compared" in note for note in report.notes)


def test_float32_inputs_are_evaluated_as_float64_copies():
    x = torch.linspace(-2, 2, 6).requires_grad_()
    report = check_function(torch.nn.functional.softplus, x)
    assert report.ok
    assert any("float64 copies" in note for note in report.notes)
    assert x.dtype == torch.float32


def test_inputs_are_untouched_and_refusals_name_the_fix():
    (x,) = tensors(3)
    saved = x.detach().clone()
    check_function(torch.exp, x)
    assert torch.equal(x.detach(), saved) and x.grad is None
    with pytest.raises(InvalidProblemError, match="requires_grad"):
        check_function(torch.exp, torch.ones(3))
    with pytest.raises(InvalidProblemError, match="unknown option"):
        check_function(torch.exp, x, tolerance=1e-3)
    with pytest.raises(StochasticLossError, match=r"torch\.manual_seed"):
        check_function(lambda t: torch.nn.functional.dropout(t, 0.5) + 1.0, x)


def test_inputs_that_are_not_tensors_are_named_as_such():
    with pytest.raises(InvalidProblemError, match="ndarray, not torch tensors"):
        check_function(np.sin, np.ones(3))
    with pytest.raises(InvalidProblemError, match="list, not torch tensors"):
        check_function(lambda xs: xs[0], [torch.ones(3, requires_grad=True)])
