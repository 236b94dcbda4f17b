"""Losses: values, the 1/m average, and the chain rules the texts rely on (dZ = A - Y)."""

import numpy as np

from gradient_check.nn import (
    BinaryCrossEntropy,
    CrossEntropy,
    MeanSquaredError,
    Sigmoid,
    Softmax,
    SoftmaxCrossEntropy,
)


def logits_and_targets(m: int = 6, n: int = 4) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.standard_normal((m, n)), np.eye(n)[rng.integers(0, n, size=m)]


def test_cross_entropy_of_uniform_probabilities_is_ln_n() -> None:
    A = np.full((3, 4), 0.25)
    Y = np.eye(4)[[0, 1, 2]]
    assert np.isclose(CrossEntropy().forward(A, Y), np.log(4))


def test_costs_are_averaged_over_examples() -> None:
    Z, Y = logits_and_targets()
    twice_Z, twice_Y = np.vstack([Z, Z]), np.vstack([Y, Y])
    for loss in (SoftmaxCrossEntropy(), MeanSquaredError()):
        assert np.isclose(loss.forward(Z, Y), loss.forward(twice_Z, twice_Y))


def test_softmax_then_cross_entropy_gives_A_minus_Y() -> None:
    Z, Y = logits_and_targets()
    softmax, loss = Softmax(), CrossEntropy()
    A = softmax.forward(Z)
    loss.forward(A, Y)
    # the texts' dZ = A - Y, from CrossEntropy's -Y/A through Softmax's Jacobian
    assert np.allclose(softmax.backward(loss.backward()), A - Y)


def test_fused_softmax_cross_entropy_agrees_with_the_two_steps() -> None:
    Z, Y = logits_and_targets()
    fused = SoftmaxCrossEntropy()
    A = Softmax().forward(Z)
    assert np.isclose(fused.forward(Z, Y), CrossEntropy().forward(A, Y))
    assert np.allclose(fused.backward(), A - Y)


def test_fused_softmax_cross_entropy_is_finite_for_huge_logits() -> None:
    Z = np.array([[1000.0, -1000.0]])
    Y = np.array([[0.0, 1.0]])
    assert np.isclose(SoftmaxCrossEntropy().forward(Z, Y), 2000.0)


def test_sigmoid_then_binary_cross_entropy_gives_A_minus_Y() -> None:
    rng = np.random.default_rng(1)
    Z = rng.standard_normal((5, 1))
    Y = (rng.random((5, 1)) > 0.5).astype(float)
    sigmoid, loss = Sigmoid(), BinaryCrossEntropy()
    A = sigmoid.forward(Z)
    J = loss.forward(A, Y)
    assert np.isclose(J, -np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A)))
    assert np.allclose(sigmoid.backward(loss.backward()), A - Y)


def test_mean_squared_error_has_the_half() -> None:
    loss = MeanSquaredError()
    A = np.array([[1.0, 2.0], [0.0, 0.0]])
    Y = np.zeros((2, 2))
    # J = 1/(2m) Σ (A - Y)² = (1 + 4) / 4
    assert loss.forward(A, Y) == 1.25
    assert np.array_equal(loss.backward(), A)


def test_losses_return_python_floats() -> None:
    Z, Y = logits_and_targets()
    for loss in (CrossEntropy(), SoftmaxCrossEntropy(), MeanSquaredError()):
        A = Softmax().forward(Z)
        assert type(loss.forward(A, Y)) is float
