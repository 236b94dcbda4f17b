"""check_function: the Jacobian of every (output, input) pair of a function of tensors."""

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import torch.autograd.forward_ad as fwAD  # noqa: E402

from gradient_check import InvalidProblemError, Outcome, StochasticLossError  # noqa: E402
from gradient_check.errors import CheckInterrupted  # noqa: E402
from gradient_check.torch import check_function  # noqa: E402

D = {"dtype": torch.float64}


@pytest.fixture(scope="module", autouse=True)
def forward_ad_loaded():
    """torch loads forward mode's decompositions on its first dual tensor, through the
    deprecated torch.jit.script: a DeprecationWarning, an error under this suite's filters,
    that the check would read as "no forward mode". Loaded once here, whatever runs first."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with fwAD.dual_level():
            fwAD.make_dual(torch.zeros(1, **D), torch.ones(1, **D))


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


def stopping_fn(stop):
    """tanh whose ``stop``-th call draws from torch's generator and raises Ctrl-C.
    ``returned`` holds a flag per call that returned: True for an evaluation of fn (no
    autograd graph, no forward-mode tangent), False for a derivative's call."""
    returned = []

    def fn(t):
        torch.rand(1)  # moves torch's generator: the fork must put it back
        if len(returned) + 1 == stop:
            raise KeyboardInterrupt
        returned.append(not torch.is_grad_enabled() and fwAD.unpack_dual(t).tangent is None)
        return torch.tanh(t)

    return fn, returned


def interrupted(stop):
    """check_function of stopping_fn(stop) on 2 threads: the CheckInterrupted, the calls
    that returned, and whether x, its .grad, torch's RNG and threads came back."""
    (x,) = tensors(5)
    saved, threads = x.detach().clone(), torch.get_num_threads()
    torch.set_num_threads(2)
    rng = torch.get_rng_state()
    fn, returned = stopping_fn(stop)
    try:
        with pytest.raises(KeyboardInterrupt) as caught:  # not a bare one: CheckInterrupted
            check_function(fn, x, batched=False)
        same = torch.equal(x.detach(), saved) and x.grad is None
        same = same and torch.equal(rng, torch.get_rng_state()) and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(threads)
    assert isinstance(caught.value, CheckInterrupted)
    assert not isinstance(caught.value.__cause__, CheckInterrupted)  # wrapped once
    return caught.value, returned, same


# calls 1-3: the adapter's randomness probe; 4-5: autograd's Jacobian twice
# (repeatability), before the engine; 6: the engine's centre
@pytest.mark.parametrize("stop", range(1, 7))
def test_a_ctrl_c_before_the_engine_is_a_check_interrupted_counting_the_adapters_calls(stop):
    stopped, returned, same = interrupted(stop)
    assert same and len(returned) == stop - 1
    assert stopped.stage == "probes" and stopped.evaluations == {"probes": min(stop - 1, 3)}
    assert stopped.done == sum(returned)


def test_a_ctrl_c_after_the_engine_counts_every_evaluation_in_the_report():
    """The last calls are forward mode's (after the engine): stopped there, the interrupt
    has the report's evaluations, every one of them, by stage."""
    fn, returned = stopping_fn(-1)
    report = check_function(fn, *tensors(5), batched=False)
    assert report.total_evaluations == sum(returned) and not returned[-1]
    stopped, _, same = interrupted(len(returned))
    assert same and stopped.done == report.total_evaluations
    assert stopped.stage == list(stopped.evaluations)[-1] != "probes"
    assert stopped.evaluations["differences"] == report.evaluations["differences"]
