"""Every layer's and loss's backward, judged by the project's checker; and planted bugs caught.

A layer is wrapped as J(x, W, B) = Σ R·layer(x) / m (+ λ/(2m)·||W||² for Linear), with R fixed
and random, so the gradients are backward(R) / m for x (the backward signal is per example)
and the layer's `grads` for its parameters. A loss is checked as J(A) = loss(A, Y), with
gradient backward() / m.
"""

from collections.abc import Callable

import numpy as np
import pytest

from gradient_check import check
from gradient_check.nn import (
    BinaryCrossEntropy,
    CrossEntropy,
    Dropout,
    Layer,
    LeakyReLU,
    Linear,
    Loss,
    MeanSquaredError,
    Network,
    ReLU,
    Sigmoid,
    Softmax,
    SoftmaxCrossEntropy,
    Tanh,
    binary_blobs,
    blobs,
    inject_bug,
)

M = 5  # examples
N = 4  # units


def inputs(kinked: bool = False, seed: int = 0) -> np.ndarray:
    """Return an (M, N) input; with `kinked`, every |x| > 0.1 so no ReLU kink is within reach."""
    x = np.random.default_rng(seed).standard_normal((M, N))
    if kinked:
        x = np.sign(x) * (0.1 + np.abs(x))
    return x


def layer_problem(layer: Layer, x: np.ndarray) -> tuple[Callable, dict, Callable]:
    """Return (loss, params, grads) for J = Σ R·layer(x) / m (+ the L2 term of a Linear)."""
    m = x.shape[0]
    R = np.random.default_rng(1).standard_normal(layer.forward(x).shape)
    params = {"x": x.copy(), **{key: array.copy() for key, array in layer.params.items()}}

    def loss(p: dict) -> float:
        for key in layer.params:
            layer.params[key] = p[key]
        J = np.sum(R * layer.forward(p["x"])) / m
        if isinstance(layer, Linear):
            J += layer.l2 / (2 * m) * np.sum(p["W"] ** 2)
        return float(J)

    def grads(p: dict) -> dict:
        loss(p)
        dx = layer.backward(R) / m
        return {"x": dx, **layer.grads}

    return loss, params, grads


def loss_problem(cost: Loss, A: np.ndarray, Y: np.ndarray) -> tuple[Callable, dict, Callable]:
    """Return (loss, params, grads) for J = cost(A, Y) as a function of A."""

    def loss(p: dict) -> float:
        return cost.forward(p["A"], Y)

    def grads(p: dict) -> dict:
        cost.forward(p["A"], Y)
        return {"A": cost.backward() / A.shape[0]}

    return loss, {"A": A.copy()}, grads


def frozen_dropout() -> Dropout:
    layer = Dropout(keep_prob=0.5, seed=3)
    layer.freeze()
    return layer


def linear_with_l2() -> Linear:
    layer = Linear(N, 3, np.random.default_rng(2))
    layer.l2 = 0.7
    return layer


LAYERS = {
    "linear": (lambda: Linear(N, 3, np.random.default_rng(2)), False),
    "linear_l2": (linear_with_l2, False),
    "sigmoid": (Sigmoid, False),
    "tanh": (Tanh, False),
    "relu": (ReLU, True),
    "leaky_relu": (lambda: LeakyReLU(slope=0.3), True),
    "softmax": (Softmax, False),
    "dropout": (frozen_dropout, False),
}


@pytest.mark.parametrize("name", LAYERS)
def test_layer_backward_is_right(name: str) -> None:
    make, kinked = LAYERS[name]
    report = check(*layer_problem(make(), inputs(kinked)))
    assert report.ok, report


class LinearWrongW(Linear):
    def backward(self, dy: np.ndarray) -> np.ndarray:
        dx = super().backward(dy)
        self.grads["W"] = 2.0 * self.grads["W"]
        return dx


class LinearWrongB(Linear):
    def backward(self, dy: np.ndarray) -> np.ndarray:
        dx = super().backward(dy)
        self.grads["B"] = -self.grads["B"]
        return dx


class LinearWrongX(Linear):
    def backward(self, dy: np.ndarray) -> np.ndarray:
        super().backward(dy)
        # dZ·W instead of dZ·Wᵀ would not even have the right shape; forget Wᵀ's sign instead
        return -dy @ self.params["W"].T


class SigmoidWrong(Sigmoid):
    def backward(self, dy: np.ndarray) -> np.ndarray:
        # forgot the (1 - A)
        return dy * self.y


class TanhWrong(Tanh):
    def backward(self, dy: np.ndarray) -> np.ndarray:
        # 1 - A instead of 1 - A²
        return dy * (1.0 - self.y)


class ReLUWrong(ReLU):
    def backward(self, dy: np.ndarray) -> np.ndarray:
        # forgot the mask [Z > 0]
        return dy


class LeakyReLUWrong(LeakyReLU):
    def backward(self, dy: np.ndarray) -> np.ndarray:
        # forgot the leak: a plain ReLU's derivative
        return dy * (self.x > 0)


class SoftmaxWrong(Softmax):
    def backward(self, dy: np.ndarray) -> np.ndarray:
        # only the diagonal of the Jacobian, A·(1 - A)
        return dy * self.y * (1.0 - self.y)


class DropoutWrong(Dropout):
    def backward(self, dy: np.ndarray) -> np.ndarray:
        # forgot the 1/keep_prob scaling
        return dy * (self.mask > 0)


def drop_1_over_m() -> Linear:
    layer = Linear(N, 3, np.random.default_rng(2))
    layer.bug = "drop_1_over_m"
    return layer


def drop_l2() -> Linear:
    layer = linear_with_l2()
    layer.bug = "drop_l2"
    return layer


def wrong_dropout() -> Dropout:
    layer = DropoutWrong(keep_prob=0.5, seed=3)
    layer.freeze()
    return layer


BROKEN_LAYERS = {
    "linear_dW": (lambda: LinearWrongW(N, 3, np.random.default_rng(2)), False, "W"),
    "linear_dB": (lambda: LinearWrongB(N, 3, np.random.default_rng(2)), False, "B"),
    "linear_dX": (lambda: LinearWrongX(N, 3, np.random.default_rng(2)), False, "x"),
    "linear_drop_1_over_m": (drop_1_over_m, False, "W"),
    "linear_drop_l2": (drop_l2, False, "W"),
    "sigmoid": (SigmoidWrong, False, "x"),
    "tanh": (TanhWrong, False, "x"),
    "relu": (ReLUWrong, True, "x"),
    "leaky_relu": (lambda: LeakyReLUWrong(slope=0.3), True, "x"),
    "softmax": (SoftmaxWrong, False, "x"),
    "dropout": (wrong_dropout, False, "x"),
}


@pytest.mark.parametrize("name", BROKEN_LAYERS)
def test_broken_layer_backward_is_named(name: str) -> None:
    make, kinked, wrong = BROKEN_LAYERS[name]
    report = check(*layer_problem(make(), inputs(kinked)))
    assert not report.ok
    assert list(report.wrong) == [wrong]


def probabilities(n_classes: int, seed: int = 4) -> np.ndarray:
    return Softmax().forward(np.random.default_rng(seed).standard_normal((M, n_classes)))


def targets(n_classes: int) -> np.ndarray:
    return np.eye(n_classes)[np.arange(M) % n_classes]


LOSS_CASES = {
    "cross_entropy": (CrossEntropy, lambda: probabilities(3), lambda: targets(3)),
    "softmax_cross_entropy": (
        SoftmaxCrossEntropy,
        lambda: np.random.default_rng(5).standard_normal((M, 3)),
        lambda: targets(3),
    ),
    "binary_cross_entropy": (
        BinaryCrossEntropy,
        lambda: Sigmoid().forward(np.random.default_rng(6).standard_normal((M, 1))),
        lambda: (np.arange(M) % 2).reshape(M, 1).astype(float),
    ),
    "mse": (
        MeanSquaredError,
        lambda: np.random.default_rng(7).standard_normal((M, 2)),
        lambda: np.random.default_rng(8).standard_normal((M, 2)),
    ),
}


@pytest.mark.parametrize("name", LOSS_CASES)
def test_loss_backward_is_right(name: str) -> None:
    make, A, Y = LOSS_CASES[name]
    report = check(*loss_problem(make(), A(), Y()))
    assert report.ok, report


class CrossEntropyWrong(CrossEntropy):
    def backward(self) -> np.ndarray:
        # dZ = A - Y handed back as if it were dA
        return self.A - self.Y


class SoftmaxCrossEntropyWrong(SoftmaxCrossEntropy):
    def backward(self) -> np.ndarray:
        # sign flipped
        return self.Y - self.probs


class BinaryCrossEntropyWrong(BinaryCrossEntropy):
    def backward(self) -> np.ndarray:
        # sign of the second term flipped
        return -self.Y / self.A - (1.0 - self.Y) / (1.0 - self.A)


class MeanSquaredErrorWrong(MeanSquaredError):
    def backward(self) -> np.ndarray:
        # the derivative of Σ(A - Y)² / m, not of the J with its 1/2
        return 2.0 * (self.A - self.Y)


BROKEN_LOSSES = {
    "cross_entropy": CrossEntropyWrong,
    "softmax_cross_entropy": SoftmaxCrossEntropyWrong,
    "binary_cross_entropy": BinaryCrossEntropyWrong,
    "mse": MeanSquaredErrorWrong,
}


@pytest.mark.parametrize("name", BROKEN_LOSSES)
def test_broken_loss_backward_is_named(name: str) -> None:
    _, A, Y = LOSS_CASES[name]
    report = check(*loss_problem(BROKEN_LOSSES[name](), A(), Y()))
    assert not report.ok
    assert list(report.wrong) == ["A"]


def chapter_network(l2: float = 0.0, keep_prob: float = 1.0) -> Network:
    sizes, activations = [7, 16, 12, 10], ["sigmoid", "tanh", "softmax"]
    return Network.build(sizes, activations, "cross_entropy", l2=l2, keep_prob=keep_prob)


def course_network(l2: float = 0.0) -> Network:
    sizes, activations = [4, 5, 3, 1], ["relu", "relu", "sigmoid"]
    return Network.build(sizes, activations, "binary_cross_entropy", l2=l2)


def network_report(net: Network, X: np.ndarray, Y: np.ndarray):
    return check(net.cost_fn(X, Y), net.params, net.gradients_fn(X, Y))


def test_the_texts_networks_pass_with_and_without_l2() -> None:
    X, Y = blobs(n_per_class=2, n_classes=10, n_features=7)
    Xb, Yb = binary_blobs(n=10)
    for l2 in (0.0, 0.7):
        assert network_report(chapter_network(l2), X, Y).ok
        assert network_report(course_network(l2), Xb, Yb).ok


def test_a_frozen_dropout_network_passes() -> None:
    X, Y = blobs(n_per_class=2, n_classes=10, n_features=7)
    net = chapter_network(keep_prob=0.8)
    net.freeze_dropout()
    assert network_report(net, X, Y).ok


@pytest.mark.parametrize(
    ("kind", "layer", "wrong"),
    [
        ("drop_1_over_m", 1, ["W1"]),
        ("drop_1_over_m", 3, ["W3"]),
        ("drop_l2", 2, ["W2"]),
        ("no_l2_in_cost", None, ["W1", "W2", "W3"]),
    ],
)
def test_planted_network_bugs_are_named(kind: str, layer: int | None, wrong: list[str]) -> None:
    X, Y = blobs(n_per_class=2, n_classes=10, n_features=7)
    net = inject_bug(chapter_network(l2=0.7), kind, layer)
    report = network_report(net, X, Y)
    assert not report.ok
    assert sorted(report.wrong) == wrong
