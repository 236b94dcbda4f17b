"""The vmap Evaluator keeps the engine's contract: the loop's values, float64, parameters
bitwise unchanged; a function vmap cannot batch (or batches wrongly) goes to the loop."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from gradient_check import flatten  # noqa: E402
from gradient_check.adapters.torch.batched import BatchLog, VmapEvaluator  # noqa: E402
from gradient_check.adapters.torch.inputs import FunctionInputs  # noqa: E402
from gradient_check.core.evaluate import InPlaceEvaluator  # noqa: E402
from gradient_check.core.probe import centred  # noqa: E402
from gradient_check.torch import check_function  # noqa: E402

D = {"dtype": torch.float64}


def smooth(a, z):
    return torch.tanh(a @ a.T), (z * z).real.sum() + a.sum()


def inputs_of(fn):
    generator = torch.Generator().manual_seed(0)
    a = torch.randn(3, 2, generator=generator, **D).requires_grad_()
    z = torch.randn(2, generator=generator, dtype=torch.complex128).requires_grad_()
    return FunctionInputs(fn, (a, z), {})


def evaluate(fn, call=None):
    """Both evaluators on the same points: (vmap's, the loop's, the log, params unchanged)."""
    inputs = inputs_of(fn)
    vector = flatten(inputs.params)
    saved = {k: v.copy() for k, v in inputs.params.items()}
    log = BatchLog("the function")
    with centred(inputs.outputs, inputs.params, vector, True, "f", scalar=False) as at:
        mapped = VmapEvaluator(
            inputs.outputs,
            at.workspace,
            at.spec,
            call or inputs.flat_call,
            torch.device("cpu"),
            log,
        )
        loop = InPlaceEvaluator(inputs.outputs, at.workspace, at.spec)
        coordinates = np.arange(vector.size)
        values = vector.theta[:, None] + np.array([-1e-3, 1e-3, 2e-3])
        thetas = vector.theta + np.random.default_rng(0).standard_normal((4, vector.size))
        one = (mapped.at_coordinates(coordinates, values), mapped.at_thetas(thetas, str))
        two = (loop.at_coordinates(coordinates, values), loop.at_thetas(thetas, str))
    unchanged = all(saved[k].tobytes() == inputs.params[k].tobytes() for k in saved)
    return one, two, log, unchanged


def test_batched_values_are_the_loops_and_leave_the_parameters_unchanged():
    (coords, thetas), (coords2, thetas2), log, unchanged = evaluate(smooth)
    assert coords.dtype == np.float64 and coords.shape == (10, 3, 10)
    np.testing.assert_allclose(coords, coords2, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(thetas, thetas2, rtol=1e-13, atol=1e-15)
    assert unchanged
    assert log.fallback is None and log.points == 10 * 3 + 4 + 1
    assert log.evaluations() == {"vmap_agreement": 2}


def in_place(a, z):
    total = torch.zeros(3, 2, **D)
    total.add_(a)  # a batched value written into an unbatched tensor
    return (total * z.real.sum(),)


def branching(a, z):
    return (a * 2,) if a.sum() > 0 else (a * 3,)


@pytest.mark.parametrize(
    "fn",
    [branching, in_place, lambda a, z: (a.sum().item() * a,)],
)
def test_what_vmap_cannot_batch_is_evaluated_one_point_at_a_time(fn):
    (coords, thetas), (coords2, thetas2), log, unchanged = evaluate(fn)
    np.testing.assert_array_equal(coords, coords2)
    np.testing.assert_array_equal(thetas, thetas2)
    assert log.fallback is not None and unchanged
    assert "one point at a time" in log.notes()[0]


class WrongVmapRule(torch.autograd.Function):
    """Doubles its input, but its vmap rule triples it: batched, it is another function."""

    @staticmethod
    def forward(x):
        return x * 2

    @staticmethod
    def setup_context(ctx, inputs, output):
        pass

    @staticmethod
    def backward(ctx, grad):
        return grad * 2

    @staticmethod
    def vmap(info, in_dims, x):
        return x * 3, in_dims[0]


def test_a_batched_function_unlike_the_function_is_not_batched():
    (coords, _), (coords2, _), log, _ = evaluate(lambda a, z: (WrongVmapRule.apply(a),))
    np.testing.assert_array_equal(coords, coords2)
    assert "differs from its value called alone" in log.fallback


def test_out_of_memory_halves_the_chunk_and_carries_on():
    inputs = inputs_of(smooth)
    calls = []

    def call(values):
        calls.append(1)
        if len(calls) == 2:  # the first batch after the agreement check
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return inputs.flat_call(values)

    (coords, _), (coords2, _), log, _ = evaluate(smooth, call)
    np.testing.assert_allclose(coords, coords2, rtol=1e-13, atol=1e-15)
    assert log.fallback is None


def test_check_function_says_how_it_evaluated():
    a = torch.randn(3, **D).requires_grad_()
    batched = check_function(torch.sin, a)
    assert any("torch.func.vmap" in note for note in batched.notes)
    loop = check_function(lambda x: torch.zeros(3, **D).add_(x) * x, a)
    assert loop.ok
    assert any("one point at a time" in note for note in loop.notes)
