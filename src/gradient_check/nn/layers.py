"""Layers with hand-written forward and backward passes, as the texts' readers write them.

Conventions, shared by every module of `gradient_check.nn`:

- Rows are examples: an input `X` has shape (m, n_features) and a layer output (m, n_units).
- `forward(x)` caches what `backward` needs; `backward(dy)` returns `dx`.
- The signal `dy` passed backward is the per-example gradient, the texts' `dZ = A - Y`:
  the gradient of the *summed* cost m·J. Parameter gradients divide by m once, in `Linear`,
  so that `grads` are gradients of the *mean* cost J (the texts' `dW = 1/m · Xᵀ·dZ`).
- A layer with parameters holds them in `params` (name -> array) and reads them from there at
  every call, so a checker that writes into those arrays, or swaps in other arrays, is seen.
  After `backward`, `grads` has the same keys.
"""

import numpy as np


class Layer:
    """A step of the network: `forward` caches, `backward` returns the gradient of its input."""

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dy: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Linear(Layer):
    """A fully connected layer, Z = X·W + B, with W of shape (n_in, n_out) and B of (1, n_out).

    W is drawn with Xavier scaling and B is drawn too (small, not zeros), so that step 1 of the
    texts' check, "initialise all parameters random and non-zero", holds at construction.

    `l2` is the L2 strength λ (the network sets it). `bug` is a teaching device, set by
    `gradient_check.nn.inject_bug`: when set, `backward` runs a copy of itself with one factor
    of dW missing, the way a hand-written backward pass often goes wrong.

    Example:
        >>> layer = Linear(3, 2, np.random.default_rng(0))
        >>> layer.forward(np.ones((5, 3))).shape
        (5, 2)
    """

    def __init__(self, n_in: int, n_out: int, rng: np.random.Generator) -> None:
        super().__init__()
        scale = np.sqrt(2.0 / (n_in + n_out))
        self.params = {
            "W": rng.standard_normal((n_in, n_out)) * scale,
            "B": rng.standard_normal((1, n_out)) * 0.1,
        }
        self.l2 = 0.0
        self.bug: str | None = None
        self.n_in = n_in
        self.n_out = n_out

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.X = x
        W = self.params["W"]
        B = self.params["B"]
        # Z = X·W + B
        return x @ W + B

    def backward(self, dZ: np.ndarray) -> np.ndarray:
        """Return dX = dZ·Wᵀ and set `grads` to dW = 1/m·Xᵀ·dZ + λ/m·W and dB = 1/m·Σ dZ."""
        if self.bug is not None:
            return self._backward_with_bug(dZ)
        X = self.X
        W = self.params["W"]
        m = X.shape[0]
        # dW = 1/m · Xᵀ·dZ + λ/m · W
        dW = X.T @ dZ / m
        dW = dW + self.l2 / m * W
        # dB = 1/m · Σ_examples dZ
        dB = np.sum(dZ, axis=0, keepdims=True)
        dB = dB / m
        # dX = dZ·Wᵀ  (per example, no 1/m: the layer below divides once for its own W)
        dX = dZ @ W.T
        self.grads = {"W": dW, "B": dB}
        return dX

    def _backward_with_bug(self, dZ: np.ndarray) -> np.ndarray:
        """`backward` as a hurried hand writes it: one factor of dW is missing (see inject_bug)."""
        X = self.X
        W = self.params["W"]
        m = X.shape[0]
        if self.bug == "drop_1_over_m":  # noqa: SIM108 (each branch shows its own mistake)
            # dW = Xᵀ·dZ + λ/m · W   <- the 1/m is missing
            dW = X.T @ dZ + self.l2 / m * W
        else:
            # dW = 1/m · Xᵀ·dZ       <- the L2 term λ/m · W is missing
            dW = X.T @ dZ / m
        self.grads = {"W": dW, "B": np.sum(dZ, axis=0, keepdims=True) / m}
        return dZ @ W.T

    def __repr__(self) -> str:
        return f"Linear({self.n_in}, {self.n_out})"


class Sigmoid(Layer):
    """The logistic function, A = 1 / (1 + e^-Z), computed without overflow."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        # e^-|z| never overflows; pick the form whose denominator is >= 1
        e = np.exp(-np.abs(x))
        self.y = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
        return self.y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        # dZ = dA · A·(1 - A)
        return dy * self.y * (1.0 - self.y)


class Tanh(Layer):
    """The hyperbolic tangent, A = tanh(Z)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.y = np.tanh(x)
        return self.y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        # dZ = dA · (1 - A²)
        return dy * (1.0 - self.y**2)


class ReLU(Layer):
    """The rectifier, A = max(Z, 0); its derivative at exactly 0 is taken as 0 (a kink)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.maximum(x, 0.0)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        # dZ = dA · [Z > 0]
        return dy * (self.x > 0)


class LeakyReLU(Layer):
    """The leaky rectifier, A = Z if Z > 0 else slope·Z."""

    def __init__(self, slope: float = 0.01) -> None:
        super().__init__()
        self.slope = slope

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.where(x > 0, x, self.slope * x)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        # dZ = dA · (1 if Z > 0 else slope)
        return dy * np.where(self.x > 0, 1.0, self.slope)

    def __repr__(self) -> str:
        return f"LeakyReLU(slope={self.slope})"


class Softmax(Layer):
    """Softmax over each row, A_j = e^Z_j / Σ_k e^Z_k, with backward through its full Jacobian.

    Example:
        >>> Softmax().forward(np.array([[1.0, 2.0, 3.0]])).round(3)
        array([[0.09 , 0.245, 0.665]])
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        # subtracting the row max changes nothing but keeps e^z finite
        e = np.exp(x - x.max(axis=1, keepdims=True))
        self.y = e / e.sum(axis=1, keepdims=True)
        return self.y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        A = self.y
        n = A.shape[1]
        # ∂A_i/∂Z_j = A_i·(δ_ij - A_j): one (n, n) Jacobian per example
        jacobian = A[:, :, None] * np.eye(n) - A[:, :, None] * A[:, None, :]
        # dZ_j = Σ_i dA_i · ∂A_i/∂Z_j
        return np.einsum("mi,mij->mj", dy, jacobian)


class Dropout(Layer):
    """Inverted dropout: keep each unit with probability `keep_prob`, and scale kept ones by 1/p.

    The mask comes from the layer's own generator, seeded by `seed`, never numpy's global one.
    `freeze()` keeps the current mask for every later forward, which makes the cost a
    deterministic function again (texts' note 4); `keep_prob=1` is the identity.
    `training = False` turns the layer into the identity for prediction.

    Example:
        >>> drop = Dropout(keep_prob=0.5, seed=0)
        >>> drop.freeze()
        >>> x = np.ones((2, 4))
        >>> bool((drop.forward(x) == drop.forward(x)).all())
        True
    """

    def __init__(self, keep_prob: float = 1.0, seed: int | None = 0) -> None:
        super().__init__()
        if not 0.0 < keep_prob <= 1.0:
            raise ValueError(f"`keep_prob` must be in (0, 1]; got {keep_prob}.")
        self.keep_prob = keep_prob
        self.rng = np.random.default_rng(seed)
        self.frozen = False
        self.training = True
        self.mask: np.ndarray | None = None
        self.passthrough = True

    def freeze(self) -> None:
        """Reuse the current mask (or the next one drawn) for every forward."""
        self.frozen = True

    def unfreeze(self) -> None:
        """Draw a fresh mask at every forward again."""
        self.frozen = False

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.passthrough = self.keep_prob == 1.0 or not self.training
        if self.passthrough:
            return x
        if self.mask is not None and self.frozen and self.mask.shape != x.shape:
            raise ValueError(
                f"the frozen dropout mask has shape {self.mask.shape} but the input has shape "
                f"{x.shape}; call unfreeze() before feeding a batch of another size."
            )
        if self.mask is None or not self.frozen:
            # D = [U < p] / p, so that E[D] = 1 and the expected output is unchanged
            keep = self.rng.random(x.shape) < self.keep_prob
            self.mask = keep / self.keep_prob
        return x * self.mask

    def backward(self, dy: np.ndarray) -> np.ndarray:
        if self.passthrough:
            return dy
        # dX = dA · D
        return dy * self.mask

    def __repr__(self) -> str:
        return f"Dropout(keep_prob={self.keep_prob})"
