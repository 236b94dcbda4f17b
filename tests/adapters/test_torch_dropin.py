"""gradcheck and gradgradcheck as drop-ins: torch's signatures, and torch's verdicts on the
cases where torch's verdict is right, one test per parity item (issue 15, item 7); each
runs the same calls through torch.autograd's and ours."""

import inspect
import warnings

import pytest

torch = pytest.importorskip("torch")
from torch.autograd import gradcheck as torch_gradcheck  # noqa: E402
from torch.autograd import gradgradcheck as torch_gradgradcheck  # noqa: E402
from torch.autograd.gradcheck import GradcheckError as TorchGradcheckError  # noqa: E402

from gradient_check import GradientCheckError, InvalidProblemError  # noqa: E402
from gradient_check.torch import GradcheckError, gradcheck, gradgradcheck  # noqa: E402

D = {"dtype": torch.float64}


def passes(check, fn, inputs, **options):
    """True or False as a test suite sees it: a raise (any) is a failure."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns about beta sparse support
        try:
            return bool(check(fn, inputs, **options))
        except Exception:
            return False


def agree(fn, inputs, truth, second=False, **options):
    """Torch's check and ours both give ``truth``."""
    ours, theirs = (gradgradcheck, torch_gradgradcheck) if second else (gradcheck, torch_gradcheck)
    assert passes(theirs, fn, inputs, **options) is truth
    assert passes(ours, fn, inputs, **options) is truth


def tensors(*shapes, dtype=torch.float64):
    generator = torch.Generator().manual_seed(0)
    return tuple(
        torch.randn(shape, generator=generator, dtype=dtype).requires_grad_() for shape in shapes
    )


def test_signatures_are_torchs():
    for ours, theirs in ((gradcheck, torch_gradcheck), (gradgradcheck, torch_gradgradcheck)):
        mine, torchs = inspect.signature(ours), inspect.signature(theirs)
        assert list(mine.parameters) == list(torchs.parameters)
        for name, parameter in torchs.parameters.items():
            assert mine.parameters[name].kind == parameter.kind
            assert mine.parameters[name].default == parameter.default


def test_a_failure_is_caught_as_torchs_gradcheck_error_with_our_report():
    (x,) = tensors(3)

    def wrong(x):
        return WrongFactor.apply(x, 1.1)

    with pytest.raises(TorchGradcheckError) as raised:
        gradcheck(wrong, (x,))
    error = raised.value
    assert isinstance(error, (GradcheckError, GradientCheckError, RuntimeError))
    assert "confirmed wrong" in str(error) and error.report.wrong == ["output / input 0"]
    assert gradcheck(wrong, (x,), raise_exception=False) is False


class WrongFactor(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, factor):
        ctx.save_for_backward(x)
        ctx.factor = factor
        return torch.sin(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * torch.cos(x) * ctx.factor, None


class Mixed(torch.autograd.Function):
    """(a * b, a + b^2): two inputs, two outputs; ``bad`` breaks b's gradient alone."""

    @staticmethod
    def forward(ctx, a, b, bad):
        ctx.save_for_backward(a, b)
        ctx.bad = bad
        return a * b, a + b**2

    @staticmethod
    def backward(ctx, g1, g2):
        a, b = ctx.saved_tensors
        gb = g1 * a + (2 * b * g2 if not ctx.bad else b * g2)  # the missing factor 2
        return g1 * b + g2, gb, None


@pytest.mark.parametrize("bad", [False, True])
def test_several_inputs_and_outputs(bad):
    a, b = tensors(4, 4)
    agree(lambda a, b: Mixed.apply(a, b, bad), (a, b), not bad)
    if bad:
        with pytest.raises(GradcheckError) as raised:
            gradcheck(lambda a, b: Mixed.apply(a, b, bad), (a, b))
        assert raised.value.report.wrong == ["output 1 / input 1"]  # the wrong input alone


class WrongCos(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.cos(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * torch.sin(x)  # the sign is wrong


class SinOfWrongCos(torch.autograd.Function):
    """sin, whose first derivative is right and whose second is wrong."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.sin(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * WrongCos.apply(x)


def test_second_order():
    (x,) = tensors(3)
    agree(SinOfWrongCos.apply, (x,), True)
    agree(SinOfWrongCos.apply, (x,), False, second=True)
    agree(lambda x: torch.sin(x) * x, (x,), True, second=True)


class ExpJvp(torch.autograd.Function):
    @staticmethod
    def forward(x, factor):
        return torch.exp(x)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)
        ctx.save_for_forward(output)
        ctx.factor = inputs[1]

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y, None

    @staticmethod
    def jvp(ctx, tangent, _):
        (y,) = ctx.saved_tensors
        return tangent * y * ctx.factor


@pytest.mark.parametrize("factor", [1.0, 1.1])
def test_forward_mode(factor):
    (x,) = tensors(3)
    agree(lambda x: ExpJvp.apply(x, factor), (x,), factor == 1.0, check_forward_ad=True)


class UnvmappableBackward(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.sin(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * torch.cos(x) * (1.0 + 0.0 * grad.sum().item())


def test_batched_gradients():
    (x,) = tensors(3)
    agree(lambda x: torch.sin(x) * x, (x,), True, check_batched_grad=True)
    agree(UnvmappableBackward.apply, (x,), False, check_batched_grad=True)
    agree(UnvmappableBackward.apply, (x,), True)


class TwoOutputs(torch.autograd.Function):
    """(2x, x^2), whose backward sees None for an unused output (materialising off)."""

    @staticmethod
    def forward(ctx, x, handles_none):
        ctx.set_materialize_grads(False)
        ctx.save_for_backward(x)
        ctx.handles_none = handles_none
        return x * 2, x**2

    @staticmethod
    def backward(ctx, g1, g2):
        (x,) = ctx.saved_tensors
        if not ctx.handles_none:
            return 2 * g1 + 2 * x * g2, None
        out = torch.zeros_like(x)
        if g1 is not None:
            out = out + 2 * g1
        if g2 is not None:
            out = out + 2 * x * g2
        return out, None


class AddsAConstant(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 3

    @staticmethod
    def backward(ctx, grad):
        return grad * 3 + 1e-3  # nonzero for a zero incoming gradient


def test_undefined_and_zero_incoming_gradients():
    (x,) = tensors(3)
    agree(lambda x: TwoOutputs.apply(x, True), (x,), True)
    agree(lambda x: TwoOutputs.apply(x, False), (x,), False)
    agree(AddsAConstant.apply, (x,), False)


class NotReentrant(torch.autograd.Function):
    """A backward that differs by 1e-12 between two calls (a nondeterministic kernel)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.sin(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (torch.cos(x) + 1e-12 * torch.rand(x.shape, dtype=x.dtype))


def test_a_backward_that_is_not_reentrant_and_nondet_tol():
    (x,) = tensors(3)
    agree(NotReentrant.apply, (x,), False)
    agree(NotReentrant.apply, (x,), True, nondet_tol=1e-10)


class SquareWithoutConjugate(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z):
        ctx.save_for_backward(z)
        return z * z

    @staticmethod
    def backward(ctx, grad):
        (z,) = ctx.saved_tensors
        return grad * 2 * z  # PyTorch's convention needs conj(2 z)


def test_complex_inputs():
    (z,) = tensors(3, dtype=torch.complex128)
    agree(lambda z: z * z.conj() + torch.sin(z), (z,), True)
    agree(SquareWithoutConjugate.apply, (z,), False)
    agree(lambda z: z**3, (z,), True, second=True)


def test_sparse_and_masked_inputs():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dense = torch.tensor([[1.0, 0.0, 2.0], [0.0, -1.5, 0.0]], **D)
        sparse = dense.to_sparse().requires_grad_()
    (m,) = tensors((3, 2))
    # sparse.mm's gradient is masked: right with masked=True, not as the dense gradient
    agree(torch.sparse.mm, (sparse, m), True, masked=True)
    agree(torch.sparse.mm, (sparse, m), False)
    # to_dense's gradient is masked too: both read it as wrong for the dense tensor
    agree(lambda s, m: s.to_dense() @ m, (sparse, m), True, masked=True)
    agree(lambda s, m: s.to_dense() @ m, (sparse, m), False)


def test_explicit_eps_is_the_step_and_tolerances_are_read_beside_the_evidence():
    (x,) = tensors(3)
    with pytest.raises(GradcheckError) as raised:
        gradcheck(lambda x: WrongFactor.apply(x, 1.0 + 1e-6), (x,), eps=1e-4, atol=1e-3, rtol=0.0)
    notes = raised.value.report.notes
    assert any("the step is the eps passed (0.0001)" in note for note in notes)
    assert any("within atol=0.001" in note and "confirmed wrong" in note for note in notes)
    assert raised.value.report.step == "h = 0.0001"


def test_fast_mode():
    (x,) = tensors(6)
    agree(torch.sin, (x,), True, fast_mode=True)
    agree(lambda x: WrongFactor.apply(x, 1.01), (x,), False, fast_mode=True)


def test_nothing_to_check_is_refused_like_torch():
    x = torch.ones(3, **D)
    with pytest.raises(ValueError):
        torch_gradcheck(torch.sin, (x,))
    with pytest.raises(InvalidProblemError, match="requires_grad"):
        gradcheck(torch.sin, (x,))
    with pytest.raises(InvalidProblemError, match="check_forward_ad"):
        gradcheck(torch.sin, (x.requires_grad_(),), check_backward_ad=False)
