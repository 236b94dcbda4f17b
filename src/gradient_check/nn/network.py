"""A network: layers in a row, a loss at the end, L2 on the weights, parameters W1, B1, W2, ...

The cost is the texts' J = loss(A, Y) + λ/(2m)·Σ_l ||W_l||² (weights only, never the biases B),
and its gradient adds λ/m·W_l to each dW_l. `cost_fn` and `gradients_fn` give the two
functions of the parameters that a gradient checker calls.
"""

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import numpy as np

from gradient_check.nn.layers import (
    Dropout,
    Layer,
    LeakyReLU,
    Linear,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from gradient_check.nn.losses import (
    BinaryCrossEntropy,
    CrossEntropy,
    Loss,
    MeanSquaredError,
    SoftmaxCrossEntropy,
)

Params = dict[str, np.ndarray]

ACTIVATIONS: dict[str, type[Layer]] = {
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "softmax": Softmax,
}
"""Activation names for `Network.build`; "identity" (or None) adds no activation."""

LOSSES: dict[str, type[Loss]] = {
    "cross_entropy": CrossEntropy,
    "softmax_cross_entropy": SoftmaxCrossEntropy,
    "binary_cross_entropy": BinaryCrossEntropy,
    "mse": MeanSquaredError,
}
"""Loss names for `Network.build`."""

BUGS: dict[str, str] = {
    "drop_1_over_m": "one layer's dW misses the 1/m factor",
    "drop_l2": "one layer's dW misses the L2 term λ/m·W",
    "no_l2_in_cost": "the cost misses the L2 term while the gradients keep it",
}
"""The bugs `inject_bug` can plant, each a mistake the texts warn about."""


class Network:
    """Layers applied in order, then a loss; parameters are named W1, B1, W2, B2, ... in order.

    `params` holds the very arrays the `Linear` layers use: update them in place.

    Example (the texts' two networks, one line each):
        >>> net = Network.build([7, 16, 12, 10], ["sigmoid", "tanh", "softmax"], "cross_entropy")
        >>> [type(layer).__name__ for layer in net.layers]
        ['Linear', 'Sigmoid', 'Linear', 'Tanh', 'Linear', 'Softmax']
        >>> net = Network.build([4, 5, 3, 1], ["relu", "relu", "sigmoid"], "binary_cross_entropy")
        >>> list(net.params)
        ['W1', 'B1', 'W2', 'B2', 'W3', 'B3']
    """

    def __init__(self, layers: Sequence[Layer], loss: Loss, l2: float = 0.0) -> None:
        self.layers = list(layers)
        self.loss = loss
        self.bug: str | None = None
        self.params: Params = {}
        self._slots: dict[str, tuple[Layer, str]] = {}
        number = 0
        for layer in self.layers:
            if layer.params:
                number += 1
            for key, array in layer.params.items():
                self.params[f"{key}{number}"] = array
                self._slots[f"{key}{number}"] = (layer, key)
        self.l2 = l2

    @classmethod
    def build(
        cls,
        sizes: Sequence[int],
        activations: Sequence[str | None],
        loss: str = "cross_entropy",
        seed: int = 0,
        l2: float = 0.0,
        keep_prob: float = 1.0,
    ) -> "Network":
        """Build Linear -> activation blocks of the given sizes, with dropout after hidden ones.

        Arguments:
            sizes: units per layer, inputs first: [7, 16, 12, 10] has three Linear layers.
            activations: one name per Linear layer, from `ACTIVATIONS`, or None for none.
            loss: a name from `LOSSES`.
            seed: seeds the weights (and, one apart per layer, the dropout masks).
            l2: the L2 strength λ.
            keep_prob: below 1, a `Dropout` follows every hidden activation.

        Example:
            >>> net = Network.build([2, 8, 3], ["relu", None], "softmax_cross_entropy", l2=0.1)
            >>> net
            Network(Linear(2, 8) -> ReLU() -> Linear(8, 3); SoftmaxCrossEntropy(), l2=0.1)
        """
        if len(activations) != len(sizes) - 1:
            raise ValueError(
                f"`activations` needs one name per layer, {len(sizes) - 1} for sizes "
                f"{list(sizes)}; got {len(activations)}."
            )
        if loss not in LOSSES:
            raise ValueError(f"unknown `loss` {loss!r}; choose one of {', '.join(LOSSES)}.")
        rng = np.random.default_rng(seed)
        layers: list[Layer] = []
        for number, activation in enumerate(activations, start=1):
            layers.append(Linear(sizes[number - 1], sizes[number], rng))
            if activation not in (None, "identity"):
                if activation not in ACTIVATIONS:
                    raise ValueError(
                        f"unknown activation {activation!r}; "
                        f"choose one of {', '.join(ACTIVATIONS)} or 'identity'."
                    )
                layers.append(ACTIVATIONS[activation]())
            if keep_prob < 1.0 and number < len(activations):
                layers.append(Dropout(keep_prob, seed=seed + number))
        return cls(layers, LOSSES[loss](), l2=l2)

    @property
    def l2(self) -> float:
        """The L2 strength λ, shared with every Linear layer's backward."""
        return self._l2

    @l2.setter
    def l2(self, value: float) -> None:
        self._l2 = value
        for layer in self.linear_layers:
            layer.l2 = value

    @contextmanager
    def _using(self, params: Params | None) -> Iterator[None]:
        """Put `params` into the layers for the duration of a call, then put the originals back."""
        params = self.params if params is None else params
        missing = [name for name in self.params if name not in params]
        if missing:
            raise ValueError(
                f"`params` lacks {', '.join(missing)}; pass a dict with the keys of "
                f"net.params: {', '.join(self.params)}."
            )
        saved = [(layer, key, layer.params[key]) for layer, key in self._slots.values()]
        try:
            for name, (layer, key) in self._slots.items():
                if np.shape(params[name]) != self.params[name].shape:
                    raise ValueError(
                        f"`params[{name!r}]` has shape {np.shape(params[name])}; "
                        f"the network's has shape {self.params[name].shape}."
                    )
                layer.params[key] = params[name]
            yield
        finally:
            for layer, key, array in saved:
                layer.params[key] = array

    def _forward(self, X: np.ndarray) -> np.ndarray:
        A = X
        for layer in self.layers:
            A = layer.forward(A)
        return A

    def _l2_term(self, m: int) -> float:
        if self.l2 == 0.0 or self.bug == "no_l2_in_cost":
            return 0.0
        squares = sum(np.sum(layer.params["W"] ** 2) for layer in self.linear_layers)
        # λ/(2m) · Σ_l ||W_l||²
        return float(self.l2 / (2 * m) * squares)

    @property
    def linear_layers(self) -> list[Linear]:
        """The Linear layers, in order: layer l holds Wl and Bl."""
        return [layer for layer in self.layers if isinstance(layer, Linear)]

    @property
    def dropout_layers(self) -> list[Dropout]:
        """The Dropout layers, in order."""
        return [layer for layer in self.layers if isinstance(layer, Dropout)]

    def forward(self, X: np.ndarray, params: Params | None = None) -> np.ndarray:
        """Return the output of the last layer for inputs X of shape (m, n_features)."""
        with self._using(params):
            return self._forward(X)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Return the output with every dropout layer switched off."""
        for layer in self.dropout_layers:
            layer.training = False
        try:
            return self.forward(X)
        finally:
            for layer in self.dropout_layers:
                layer.training = True

    def cost(self, X: np.ndarray, Y: np.ndarray, params: Params | None = None) -> float:
        """Return J = loss + λ/(2m)·Σ||W||², with `params` (same keys) in place of the network's."""
        with self._using(params):
            A = self._forward(X)
            return self.loss.forward(A, Y) + self._l2_term(X.shape[0])

    def cost_and_gradients(
        self, X: np.ndarray, Y: np.ndarray, params: Params | None = None
    ) -> tuple[float, Params]:
        """Return J and its gradients {W1: dW1, B1: dB1, ...} from one forward and backward pass."""
        with self._using(params):
            A = self._forward(X)
            J = self.loss.forward(A, Y) + self._l2_term(X.shape[0])
            dA = self.loss.backward()
            for layer in reversed(self.layers):
                dA = layer.backward(dA)
            grads = {name: layer.grads[key] for name, (layer, key) in self._slots.items()}
        return J, grads

    def gradients(self, X: np.ndarray, Y: np.ndarray, params: Params | None = None) -> Params:
        """Return the gradients of `cost` by backpropagation, keyed like `params`."""
        return self.cost_and_gradients(X, Y, params)[1]

    def cost_fn(self, X: np.ndarray, Y: np.ndarray) -> Callable[[Params], float]:
        """Return J as a function of the parameters alone, the `loss(params)` a checker calls."""
        return lambda params: self.cost(X, Y, params)

    def gradients_fn(self, X: np.ndarray, Y: np.ndarray) -> Callable[[Params], Params]:
        """Return the backprop gradients as a function of the parameters, for a checker."""
        return lambda params: self.gradients(X, Y, params)

    def freeze_dropout(self, frozen: bool = True) -> None:
        """Freeze every dropout mask, so that the cost is deterministic (texts' note 4), or thaw."""
        for layer in self.dropout_layers:
            layer.frozen = frozen

    def __repr__(self) -> str:
        steps = " -> ".join(repr(layer) for layer in self.layers)
        return f"Network({steps}; {self.loss!r}, l2={self.l2})"


def inject_bug(net: Network, kind: str, layer: int | None = None) -> Network:
    """Plant a known bug in `net` (in place) and return it: a teaching device for the checker.

    `kind` is one of `BUGS`; "drop_1_over_m" and "drop_l2" need `layer`, the number l of the
    Linear layer whose dWl goes wrong (1 for W1). A check must then name exactly that parameter
    (Wl), or, for "no_l2_in_cost", every W.

    Example:
        >>> net = Network.build([4, 5, 3, 1], ["relu", "relu", "sigmoid"], "binary_cross_entropy")
        >>> net = inject_bug(net, "drop_1_over_m", layer=2)
    """
    if kind not in BUGS:
        raise ValueError(f"unknown bug {kind!r}; choose one of {', '.join(BUGS)}.")
    if kind in ("drop_l2", "no_l2_in_cost") and net.l2 == 0.0:
        raise ValueError(
            f"bug {kind!r} changes nothing when the network's l2 is 0; "
            "build the network with l2 > 0, e.g. Network.build(..., l2=0.7)."
        )
    if kind == "no_l2_in_cost":
        if layer is not None:
            raise ValueError("bug 'no_l2_in_cost' is in the cost, not in a layer; drop `layer`.")
        net.bug = kind
        return net
    linears = net.linear_layers
    if layer is None or not 1 <= layer <= len(linears):
        raise ValueError(
            f"bug {kind!r} needs `layer`, a number from 1 to {len(linears)}; got {layer}."
        )
    linears[layer - 1].bug = kind
    return net
