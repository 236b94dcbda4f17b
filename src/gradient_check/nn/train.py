"""Mini-batch gradient descent (plain, with momentum, or Adam) with a hook for gradient checks.

Training never uses numerical gradients (the texts' first note): the hook is where a check
runs, at initialisation and again every few steps, since a backward pass can be right for
small weights and go wrong as they grow (the texts' fifth note).
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

import numpy as np

from gradient_check.nn.network import Network, Params


class TrainResult(NamedTuple):
    """What `train` returns: the cost of each step's batch, and the callback's results."""

    losses: list[float]
    """J of the mini-batch at each step, before that step's update."""
    history: list[tuple[int, Any]]
    """(step, return value of callback(step, net)) for every call of the callback."""


class _SGD:
    def __init__(self, lr: float) -> None:
        self.lr = lr

    def update(self, params: Params, grads: Params) -> None:
        for name, W in params.items():
            # W ← W - α·dW
            W -= self.lr * grads[name]


class _Momentum:
    def __init__(self, lr: float, beta1: float) -> None:
        self.lr = lr
        self.beta1 = beta1
        self.velocity: Params = {}

    def update(self, params: Params, grads: Params) -> None:
        for name, W in params.items():
            v = self.velocity.get(name, np.zeros_like(W))
            # v ← β₁·v + (1 - β₁)·dW
            v = self.beta1 * v + (1.0 - self.beta1) * grads[name]
            self.velocity[name] = v
            # W ← W - α·v
            W -= self.lr * v


class _Adam:
    def __init__(self, lr: float, beta1: float, beta2: float, eps: float = 1e-8) -> None:
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.t = 0
        self.first: Params = {}
        self.second: Params = {}

    def update(self, params: Params, grads: Params) -> None:
        self.t += 1
        for name, W in params.items():
            dW = grads[name]
            # v ← β₁·v + (1 - β₁)·dW ;  s ← β₂·s + (1 - β₂)·dW²
            v = self.beta1 * self.first.get(name, 0.0) + (1.0 - self.beta1) * dW
            s = self.beta2 * self.second.get(name, 0.0) + (1.0 - self.beta2) * dW**2
            self.first[name] = v
            self.second[name] = s
            # bias correction: v̂ = v / (1 - β₁ᵗ), ŝ = s / (1 - β₂ᵗ)
            v_hat = v / (1.0 - self.beta1**self.t)
            s_hat = s / (1.0 - self.beta2**self.t)
            # W ← W - α·v̂ / (√ŝ + ε)
            W -= self.lr * v_hat / (np.sqrt(s_hat) + self.eps)


OPTIMIZERS = ("sgd", "momentum", "adam")
"""Names of the optimisers `train` accepts."""


@contextmanager
def _progress_bar(total: int, enabled: bool) -> Iterator[Callable[[], None]]:
    """Yield a function that advances a rich progress bar, or does nothing without rich."""
    if enabled:
        try:
            from rich.progress import Progress
        except ImportError:
            enabled = False
    if not enabled:
        yield lambda: None
        return
    with Progress(transient=True) as bar:
        task = bar.add_task("training", total=total)
        yield lambda: bar.advance(task)


def train(
    net: Network,
    X: np.ndarray,
    Y: np.ndarray,
    epochs: int = 100,
    batch_size: int = 32,
    lr: float = 0.1,
    optimizer: str = "sgd",
    callback: Callable[[int, Network], Any] | None = None,
    every: int | None = None,
    seed: int = 0,
    progress: bool = False,
    beta1: float = 0.9,
    beta2: float = 0.999,
) -> TrainResult:
    """Train `net` in place by mini-batch gradient descent; return the losses and check history.

    Arguments:
        net: the network; its `params` arrays are updated in place.
        X, Y: inputs (m, n_features) and targets (m, n_outputs), rows are examples.
        epochs, batch_size, lr: passes over the data, rows per step, learning rate α.
        optimizer: "sgd", "momentum" (β₁) or "adam" (β₁, β₂).
        callback: called as callback(step, net) at step 0, before any update, and after every
            `every` updates (never again if `every` is None); each return value is kept.
        seed: seeds the private generator that shuffles the rows at each epoch.
        progress: show a rich progress bar, if rich is installed.

    Example:
        >>> from gradient_check.nn import spirals
        >>> X, Y = spirals(n_per_class=20)
        >>> net = Network.build([2, 8, 3], ["tanh", "softmax"], "cross_entropy")
        >>> losses, history = train(net, X, Y, epochs=2, batch_size=20, callback=lambda s, n: s)
        >>> len(losses), history
        (6, [(0, 0)])
    """
    if optimizer == "sgd":
        update = _SGD(lr).update
    elif optimizer == "momentum":
        update = _Momentum(lr, beta1).update
    elif optimizer == "adam":
        update = _Adam(lr, beta1, beta2).update
    else:
        raise ValueError(
            f"unknown `optimizer` {optimizer!r}; choose one of {', '.join(OPTIMIZERS)}."
        )
    if X.shape[0] != Y.shape[0]:
        raise ValueError(
            f"`X` has {X.shape[0]} rows but `Y` has {Y.shape[0]}; one row per example."
        )
    rng = np.random.default_rng(seed)
    m = X.shape[0]
    steps_per_epoch = -(-m // batch_size)
    losses: list[float] = []
    history: list[tuple[int, Any]] = []
    step = 0
    if callback is not None:
        history.append((step, callback(step, net)))
    with _progress_bar(epochs * steps_per_epoch, progress) as advance:
        for _ in range(epochs):
            order = rng.permutation(m)
            for start in range(0, m, batch_size):
                rows = order[start : start + batch_size]
                J, grads = net.cost_and_gradients(X[rows], Y[rows])
                losses.append(J)
                update(net.params, grads)
                step += 1
                advance()
                if callback is not None and every is not None and step % every == 0:
                    history.append((step, callback(step, net)))
    return TrainResult(losses, history)


def accuracy(net: Network, X: np.ndarray, Y: np.ndarray) -> float:
    """Return the fraction of rows classified right: argmax for one-hot Y, A > 0.5 for one column.

    With a single output column, A must be a probability (a Sigmoid last).
    """
    A = net.predict(X)
    if Y.shape[1] == 1:
        return float(np.mean((A > 0.5) == (Y > 0.5)))
    return float(np.mean(A.argmax(axis=1) == Y.argmax(axis=1)))
