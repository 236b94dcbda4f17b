"""A corpus of gradient-check problems the project builds itself, with known answers.

Small numpy models with hand-written backward passes (a tanh MLP with MSE, a softmax
classifier, logistic regression, a least-squares matrix factorisation with a quadratic-form
regulariser; and their non-smooth counterparts: a ReLU MLP with an L1 penalty, a ReLU
softmax classifier with an L1 penalty, an L1-regularised SVM, an L1 matrix factorisation
with a max() term), every one built at

* dtype: float64, or float32 (parameters stored as float32, the loss and the gradient
  computed in float32; the loss returns a np.float32 or a Python float, alternately),
* scale family "loss": L(theta) = s * g(theta), so gradients scale by s; or family "param":
  theta = s * theta0 stored, L(theta) = g(theta / s), so parameters scale by s and gradients
  by 1 / s; s in 1e-8, 1e-4, 1, 1e4, 1e8,
* kinks: without, or with non-smooth points placed *exactly* at theta (a ReLU
  pre-activation that is exactly 0, a weight exactly 0 under |.|, a residual exactly 0
  under |.|, a hinge margin exactly 0, a tie under max()), verified after scaling,
* fault: none; one element of one tensor times (1 + r); or one whole tensor times (1 + r),
  r in 10%, 1%, 0.1%. A faulted element has |gradient| >= its tensor's RMS gradient and is
  not at a kink (where a changed value may still be a valid subgradient); a faulted tensor
  has at least one such element.

    from corpus import corpus
    for problem in corpus():
        report = check(problem.loss, problem.params, problem.grads)

Deterministic for a given seed. The parameters are each problem's own arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

DTYPES = ("float64", "float32")
FAMILIES = ("loss", "param")
SCALES = (1e-8, 1e-4, 1.0, 1e4, 1e8)
KINKS = (False, True)
FAULTS: tuple[tuple[str, float] | None, ...] = (
    None,
    ("element", 0.1),
    ("element", 0.01),
    ("element", 0.001),
    ("tensor", 0.1),
    ("tensor", 0.01),
    ("tensor", 0.001),
)
PER_CATEGORY = 4  # problems per category: one per model of the kind


def fault_label(fault: tuple[str, float] | None) -> str:
    return "none" if fault is None else f"{fault[0]} {fault[1]:g}"


@dataclass
class Problem:
    """One gradient check with a known answer."""

    name: str
    model: str
    dtype: str  # "float64" or "float32"
    family: str  # "loss": L = s g(theta); "param": theta = s theta0, L = g(theta / s)
    scale: float
    kinks: bool
    fault: tuple[str, float] | None  # None, ("element", r) or ("tensor", r)
    loss: Callable[[dict], Any]
    params: dict[str, np.ndarray]
    grads: dict[str, np.ndarray]  # the analytic gradient, corrupted where faulty
    faulty_names: frozenset[str]
    clean_grads: dict[str, np.ndarray] = field(repr=False, default_factory=dict)
    fault_element: tuple[str, int] | None = None  # (tensor, flat index) of an element fault
    kink_elements: frozenset[tuple[str, int]] = frozenset()  # (tensor, flat index) at a kink
    exact_kinks: int = 0  # kinks verified to sit exactly at theta
    wanted_kinks: int = 0  # kinks the builder tried to place exactly
    returns: str = "float"  # what the loss returns: "float" or "float32"
    seed: int = 0

    @property
    def category(self) -> tuple[str, str, float, bool, str]:
        return (self.dtype, self.family, self.scale, self.kinks, fault_label(self.fault))

    @property
    def size(self) -> int:
        return int(sum(np.asarray(v).size for v in self.params.values()))


# --------------------------------------------------------------------------------------
# Models: forward(p, dt) -> (loss in dt, cache) and backward(p, dt, cache) -> grads in dt,
# where p holds the base-space parameters (theta / s in the "param" family) in dtype dt.
# --------------------------------------------------------------------------------------


@dataclass
class Kink:
    """A kink to place exactly: ``value(cache) == 0`` by moving ``param[index]``.

    ``slope`` is the sign of d value / d param (in base space).
    """

    param: str
    index: int
    value: Callable[[dict], float]
    slope: float
    alternates: tuple[tuple[str, int], ...] = ()  # nudged by an ulp or two when 0 is skipped
    fix: Callable[[dict], None] | None = None  # last resort: move the data onto the kink


class Model:
    name = "model"

    def __init__(self, rng: np.random.Generator, kinks: bool):
        self.kinks = kinks
        self.data64: dict[str, np.ndarray] = {}
        self.theta0: dict[str, np.ndarray] = {}
        self.exact: list[Kink] = []  # kinks to place exactly at theta
        self._cast: dict[str, dict[str, np.ndarray]] = {}

    def data(self, dt: type) -> dict[str, np.ndarray]:
        key = np.dtype(dt).name
        if key not in self._cast:
            self._cast[key] = {k: v.astype(dt) for k, v in self.data64.items()}
        return self._cast[key]

    def kink_elements(self) -> set[tuple[str, int]]:
        """Elements whose own perturbation crosses a kink placed at theta."""
        return set()

    def forward(self, p: dict, dt: type) -> tuple[Any, dict]:
        raise NotImplementedError

    def backward(self, p: dict, dt: type, cache: dict) -> dict:
        raise NotImplementedError


def _sparse_row(rng: np.random.Generator, d: int, nonzero: int) -> np.ndarray:
    row = np.zeros(d)
    row[rng.choice(d, nonzero, replace=False)] = rng.standard_normal(nonzero)
    return row


class MLP(Model):
    """Two-layer MLP with MSE: tanh (smooth), or ReLU with an L1 penalty on W2 (kinks)."""

    def __init__(self, rng, kinks):
        super().__init__(rng, kinks)
        self.name = "relu-mlp" if kinks else "tanh-mlp"
        b, d, h, o = 16, 5, 8, 3
        X = rng.standard_normal((b, d))
        Y = 0.5 * rng.standard_normal((b, o))
        W1 = rng.standard_normal((d, h)) / np.sqrt(d)
        b1 = 0.1 * rng.standard_normal(h)
        W2 = rng.standard_normal((h, o)) / np.sqrt(h)
        b2 = 0.1 * rng.standard_normal(o)
        self.l1 = 0.01
        if kinks:
            X[0] = _sparse_row(rng, d, 2)  # a sparse input row: its pre-activations are set to 0
            self.zero_w2 = rng.choice(h * o, 3, replace=False)
            W2.flat[self.zero_w2] = 0.0  # weights exactly 0 under the L1 penalty
            self.units = (0, 1)
            for j in self.units:
                b1[j] = -(X[0] @ W1[:, j])
                alt = tuple(("W1", int(i) * h + j) for i in np.flatnonzero(X[0]))
                self.exact.append(Kink("b1", j, lambda c, j=j: c["Z"][0, j], 1.0, alt))
        self.data64 = {"X": X, "Y": Y}
        self.theta0 = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}

    def kink_elements(self):
        if not self.kinks:
            return set()
        d, h = self.theta0["W1"].shape
        out = {("W2", int(i)) for i in self.zero_w2}
        for j in self.units:
            out.add(("b1", j))
            out |= {("W1", i * h + j) for i in range(d) if self.data64["X"][0, i] != 0}
        return out

    def forward(self, p, dt):
        X, Y = self.data(dt)["X"], self.data(dt)["Y"]
        Z = X @ p["W1"] + p["b1"]
        A = np.maximum(Z, 0) if self.kinks else np.tanh(Z)
        R = A @ p["W2"] + p["b2"] - Y
        loss = 0.5 * np.sum(R * R) / X.shape[0]
        if self.kinks:
            loss = loss + self.l1 * np.sum(np.abs(p["W2"]))
        return loss, {"Z": Z, "A": A, "R": R}

    def backward(self, p, dt, c):
        X = self.data(dt)["X"]
        dR = c["R"] / X.shape[0]
        dW2 = c["A"].T @ dR
        if self.kinks:
            dW2 = dW2 + self.l1 * np.sign(p["W2"])
        dA = dR @ p["W2"].T
        dZ = dA * (c["Z"] > 0) if self.kinks else dA * (1 - c["A"] * c["A"])
        return {"W1": X.T @ dZ, "b1": dZ.sum(0), "W2": dW2, "b2": dR.sum(0)}


class Softmax(Model):
    """Softmax cross-entropy: linear with L2 (smooth), or a ReLU hidden layer with L1 (kinks)."""

    def __init__(self, rng, kinks):
        super().__init__(rng, kinks)
        self.name = "relu-softmax" if kinks else "softmax"
        k = 4
        self.l2, self.l1 = 0.01, 0.01
        if not kinks:
            b, d = 24, 10
            X = rng.standard_normal((b, d))
            labels = rng.integers(0, k, b)
            self.theta0 = {
                "W": 0.3 * rng.standard_normal((d, k)),
                "b": 0.1 * rng.standard_normal(k),
            }
        else:
            b, d, h = 20, 6, 8
            X = rng.standard_normal((b, d))
            labels = rng.integers(0, k, b)
            X[0] = _sparse_row(rng, d, 2)
            W1 = rng.standard_normal((d, h)) / np.sqrt(d)
            b1 = 0.1 * rng.standard_normal(h)
            self.zero_w1 = rng.choice(d * h, 3, replace=False)
            W1.flat[self.zero_w1] = 0.0
            self.units = (0, 1, 2)
            for j in self.units:
                b1[j] = -(X[0] @ W1[:, j])
                alt = tuple(
                    ("W1", int(i) * h + j)
                    for i in np.flatnonzero(X[0])
                    if int(i) * h + j not in self.zero_w1
                )
                self.exact.append(Kink("b1", j, lambda c, j=j: c["Z"][0, j], 1.0, alt))
            self.theta0 = {
                "W1": W1,
                "b1": b1,
                "W2": rng.standard_normal((h, k)) / np.sqrt(h),
                "b2": 0.1 * rng.standard_normal(k),
            }
        self.data64 = {"X": X, "T": np.eye(k)[labels]}

    def kink_elements(self):
        if not self.kinks:
            return set()
        d, h = self.theta0["W1"].shape
        out = {("W1", int(i)) for i in self.zero_w1}
        for j in self.units:
            out.add(("b1", j))
            out |= {("W1", i * h + j) for i in range(d) if self.data64["X"][0, i] != 0}
        return out

    def forward(self, p, dt):
        X, T = self.data(dt)["X"], self.data(dt)["T"]
        cache = {}
        if self.kinks:
            Z = X @ p["W1"] + p["b1"]
            A = np.maximum(Z, 0)
            logits = A @ p["W2"] + p["b2"]
            cache.update(Z=Z, A=A)
        else:
            logits = X @ p["W"] + p["b"]
        shifted = logits - logits.max(axis=1, keepdims=True)
        logsum = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss = -np.sum(T * (shifted - logsum)) / X.shape[0]
        if self.kinks:
            loss = loss + self.l1 * np.sum(np.abs(p["W1"]))
        else:
            loss = loss + 0.5 * self.l2 * np.sum(p["W"] * p["W"])
        cache["P"] = np.exp(shifted - logsum)
        return loss, cache

    def backward(self, p, dt, c):
        X, T = self.data(dt)["X"], self.data(dt)["T"]
        dlogits = (c["P"] - T) / X.shape[0]
        if not self.kinks:
            return {"W": X.T @ dlogits + self.l2 * p["W"], "b": dlogits.sum(0)}
        dA = dlogits @ p["W2"].T
        dZ = dA * (c["Z"] > 0)
        return {
            "W1": X.T @ dZ + self.l1 * np.sign(p["W1"]),
            "b1": dZ.sum(0),
            "W2": c["A"].T @ dlogits,
            "b2": dlogits.sum(0),
        }


class Logistic(Model):
    """Logistic regression with L2 (smooth), or a hinge-loss SVM with L1 + L2 (kinks)."""

    def __init__(self, rng, kinks):
        super().__init__(rng, kinks)
        self.name = "svm-l1" if kinks else "logistic"
        n, d = 40, 24
        X = rng.standard_normal((n, d))
        w = 0.3 * rng.standard_normal(d)
        b = np.array([0.1 * rng.standard_normal()])
        y = (X @ w + 0.5 * rng.standard_normal(n) > 0).astype(float)
        self.l2, self.l1 = 0.01, 0.01
        if kinks:
            y = 2 * y - 1  # labels +-1
            X[0] = _sparse_row(rng, d, 3)
            self.zero_w = rng.choice(d, 4, replace=False)
            w[self.zero_w] = 0.0
            b[0] = y[0] - X[0] @ w  # the margin of sample 0 is exactly 1
            alt = tuple(("w", int(i)) for i in np.flatnonzero(X[0]) if i not in self.zero_w)
            self.exact.append(Kink("b", 0, lambda c: c["M"][0], -y[0], alt))
        self.data64 = {"X": X, "y": y}
        self.theta0 = {"w": w, "b": b}

    def kink_elements(self):
        if not self.kinks:
            return set()
        out = {("w", int(i)) for i in self.zero_w} | {("b", 0)}
        return out | {("w", i) for i in np.flatnonzero(self.data64["X"][0]).tolist()}

    def forward(self, p, dt):
        X, y = self.data(dt)["X"], self.data(dt)["y"]
        z = X @ p["w"] + p["b"]
        reg = 0.5 * self.l2 * np.sum(p["w"] * p["w"])
        if self.kinks:
            M = 1 - y * z
            loss = np.sum(np.maximum(M, 0)) / X.shape[0] + self.l1 * np.sum(np.abs(p["w"]))
            return loss + reg, {"M": M}
        loss = np.sum(np.logaddexp(0, z) - y * z) / X.shape[0]
        return loss + reg, {"z": z}

    def backward(self, p, dt, c):
        X, y = self.data(dt)["X"], self.data(dt)["y"]
        if self.kinks:
            dz = -y * (c["M"] > 0) / X.shape[0]
            dw = X.T @ dz + self.l1 * np.sign(p["w"]) + self.l2 * p["w"]
        else:
            dz = (1 / (1 + np.exp(-c["z"])) - y) / X.shape[0]
            dw = X.T @ dz + self.l2 * p["w"]
        return {"w": dw, "b": np.atleast_1d(dz.sum())}


class MatFac(Model):
    """Matrix factorisation with biases on observed entries.

    Smooth: least squares plus a quadratic-form regulariser 0.5 lam vec(U)^T Q vec(U).
    Kinks: least absolute deviations (one residual exactly 0) plus lam2 * max(bv) with a tie.
    """

    def __init__(self, rng, kinks):
        super().__init__(rng, kinks)
        self.name = "lad-matfac" if kinks else "lsq-matfac"
        m, n, r = 6, 7, 3
        U = 0.5 * rng.standard_normal((m, r))
        V = 0.5 * rng.standard_normal((n, r))
        R = U @ V.T + 0.3 * rng.standard_normal((m, n))
        mask = (rng.random((m, n)) < 0.6).astype(float)
        U, V = U + 0.2 * rng.standard_normal(U.shape), V + 0.2 * rng.standard_normal(V.shape)
        bu, bv = 0.1 * rng.standard_normal(m), 0.1 * rng.standard_normal(n)
        G = rng.standard_normal((m * r, m * r))
        self.lam, self.lam2 = 0.05, 0.05
        if kinks:
            self.i0, self.j0 = (int(v) for v in np.argwhere(mask > 0)[0])
            bu[self.i0] = R[self.i0, self.j0] - U[self.i0] @ V[self.j0] - bv[self.j0]
            alt = (("bv", self.j0), *(("U", self.i0 * r + k) for k in range(r)))
            self.exact.append(
                Kink("bu", self.i0, lambda c: c["E"][self.i0, self.j0], 1.0, alt, self._fix)
            )
            others = [j for j in range(n) if j != self.j0]
            self.tie = tuple(int(v) for v in rng.choice(others, 2, replace=False))
            bv[list(self.tie)] = np.max(bv) + 0.05  # a tie under max(): exact by construction
        self.data64 = {"R": R, "mask": mask, "Q": G @ G.T / (m * r) + np.eye(m * r)}
        self.count = float(mask.sum())
        self.theta0 = {"U": U, "V": V, "bu": bu, "bv": bv}

    def _fix(self, cache: dict) -> None:
        """Set the observed R[i0, j0] to the prediction exactly (in the dtype computed)."""
        self.data64["R"][self.i0, self.j0] = float(cache["P"][self.i0, self.j0])
        self._cast.clear()

    def kink_elements(self):
        if not self.kinks:
            return set()
        r = self.theta0["U"].shape[1]
        out = {("U", self.i0 * r + k) for k in range(r)} | {
            ("V", self.j0 * r + k) for k in range(r)
        }
        return out | {("bu", self.i0), ("bv", self.j0)} | {("bv", j) for j in self.tie}

    def forward(self, p, dt):
        R, mask = self.data(dt)["R"], self.data(dt)["mask"]
        P = p["U"] @ p["V"].T + p["bu"][:, None] + p["bv"][None, :]
        E = P - R
        if self.kinks:
            loss = np.sum(mask * np.abs(E)) / self.count
            loss = loss + 0.5 * self.lam * (np.sum(p["U"] * p["U"]) + np.sum(p["V"] * p["V"]))
            loss = loss + self.lam2 * np.max(p["bv"])
            return loss, {"E": E, "P": P}
        u = p["U"].ravel()
        loss = 0.5 * np.sum(mask * E * E) / self.count + 0.5 * self.lam * (
            u @ (self.data(dt)["Q"] @ u)
        )
        return loss + 0.5 * self.lam * np.sum(p["V"] * p["V"]), {"E": E}

    def backward(self, p, dt, c):
        mask = self.data(dt)["mask"]
        if self.kinks:
            D = mask * np.sign(c["E"]) / self.count
            dU = D @ p["V"] + self.lam * p["U"]
            dbv = D.sum(0)
            dbv[int(np.argmax(p["bv"]))] += self.lam2
        else:
            D = mask * c["E"] / self.count
            dU = D @ p["V"] + self.lam * (self.data(dt)["Q"] @ p["U"].ravel()).reshape(p["U"].shape)
            dbv = D.sum(0)
        dV = D.T @ p["U"] + self.lam * p["V"]
        return {"U": dU, "V": dV, "bu": D.sum(1), "bv": dbv}


MODELS = (MLP, Softmax, Logistic, MatFac)


# --------------------------------------------------------------------------------------
# Scaling, exact kink placement, faults
# --------------------------------------------------------------------------------------


class Scaled:
    """A model at a dtype and scale: the user-facing loss and gradient."""

    def __init__(self, model: Model, dtype: str, family: str, scale: float, returns: str):
        self.model, self.family, self.returns = model, family, returns
        self.dt = np.float32 if dtype == "float32" else np.float64
        self.s = self.dt(scale)

    def base(self, params: dict) -> dict:
        """The base-space parameters as the model computes with them (in dtype dt)."""
        cast = {k: np.asarray(v).astype(self.dt, copy=False) for k, v in params.items()}
        if self.family == "param":
            return {k: v / self.s for k, v in cast.items()}
        return cast

    def loss(self, params: dict) -> Any:
        value, _ = self.model.forward(self.base(params), self.dt)
        value = self.dt(value)
        if self.family == "loss":
            value = value * self.s
        return value if self.returns == "float32" else float(value)

    def grads(self, params: dict) -> dict:
        p = self.base(params)
        _, cache = self.model.forward(p, self.dt)
        g = self.model.backward(p, self.dt, cache)
        factor = self.s if self.family == "loss" else 1 / self.s
        return {
            k: np.asarray(v * factor, dtype=self.dt).reshape(params[k].shape) for k, v in g.items()
        }

    def stored(self) -> dict:
        """theta as stored: theta0 (times s in the "param" family), in dtype dt."""
        out = {}
        for k, v in self.model.theta0.items():
            v = v * float(self.s) if self.family == "param" else v
            out[k] = np.ascontiguousarray(v, dtype=self.dt)
        return out

    def kink_value(self, params: dict, kink: Kink) -> float:
        _, cache = self.model.forward(self.base(params), self.dt)
        return float(kink.value(cache))

    def place(self, params: dict, kink: Kink, attempts: int = 24) -> bool:
        """Make the kink's value exactly 0: walk its parameter, nudging an alternate if need be.

        The reachable values of a rounded expression can skip 0 (a sum's rounding grid, or
        theta / s for s < 1); moving another element of the same expression by an ulp or
        two shifts that grid.
        """
        if self._walk(params, kink):
            return True
        for k in range(attempts):
            if not kink.alternates:
                break
            name, index = kink.alternates[k % len(kink.alternates)]
            arr = params[name]
            arr.flat[index] = np.nextafter(arr.flat[index], self.dt(np.inf if k % 2 else -np.inf))
            if self._walk(params, kink):
                return True
        if kink.fix is not None:
            kink.fix(self.model.forward(self.base(params), self.dt)[1])
        return self.kink_value(params, kink) == 0

    def _walk(self, params: dict, kink: Kink, max_ulps: int = 256) -> bool:
        """Move params[kink.param][kink.index] until the kink's value is exactly 0."""
        arr = params[kink.param]
        stored_slope = kink.slope * (1 / float(self.s) if self.family == "param" else 1.0)
        value = self.kink_value(params, kink)
        if value != 0:  # one Newton step from the float64 guess, then walk ulp by ulp
            arr.flat[kink.index] = self.dt(float(arr.flat[kink.index]) - value / stored_slope)
            value = self.kink_value(params, kink)
        best = (abs(value), arr.flat[kink.index])
        for _ in range(max_ulps):
            if value == 0:
                return True
            up = (value < 0) == (stored_slope > 0)
            arr.flat[kink.index] = np.nextafter(
                arr.flat[kink.index], self.dt(np.inf if up else -np.inf)
            )
            new = self.kink_value(params, kink)
            if new != 0 and np.sign(new) != np.sign(value):  # stepped over 0: no exact zero here
                break
            value = new
            best = min(best, (abs(value), arr.flat[kink.index]))
        arr.flat[kink.index] = best[1]
        return self.kink_value(params, kink) == 0


def _rms(v: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.asarray(v, dtype=np.float64) ** 2)))


def _corrupt(
    grads: dict, fault: tuple[str, float] | None, kinks: set, rng: np.random.Generator, dt: type
) -> tuple[dict, frozenset[str], tuple[str, int] | None]:
    out = {k: v.copy() for k, v in grads.items()}
    if fault is None:
        return out, frozenset(), None
    kind, r = fault
    # Only tensors with an element off the kinks and at least the tensor's RMS gradient: a
    # changed value at a kink may still be a valid subgradient (e.g. a hinge's bias alone).
    candidates = []
    for name, g in grads.items():
        g64 = np.abs(np.asarray(g, dtype=np.float64)).ravel()
        rms = _rms(g64)
        ok = [i for i in np.flatnonzero((g64 >= rms) & (g64 > 0)) if (name, int(i)) not in kinks]
        if ok:
            candidates.append((name, ok))
    name, ok = candidates[int(rng.integers(len(candidates)))]
    if kind == "tensor":
        out[name] = (out[name] * dt(1 + r)).astype(dt)
        return out, frozenset({name}), None
    index = int(ok[int(rng.integers(len(ok)))])
    flat = out[name].reshape(-1)
    flat[index] = flat[index] * dt(1 + r)
    return out, frozenset({name}), (name, index)


def _variants(model_cls, dtype, family, scale, kinks, returns, base_seed, i) -> list[Problem]:
    """One base problem and its seven fault variants (same function and parameters)."""
    rng = np.random.default_rng(base_seed)
    model = model_cls(rng, kinks)
    scaled = Scaled(model, dtype, family, scale, returns)
    params = scaled.stored()
    # ties under max() and zeros under |.| are exact by construction (same value, 0 * s = 0)
    exact = sum(scaled.place(params, kink) for kink in model.exact)
    clean = scaled.grads(params)
    kink_set = model.kink_elements()
    ret = "" if dtype == "float64" else f"-ret_{returns}"
    out = []
    for k, fault in enumerate(FAULTS):
        grads, faulty, element = _corrupt(
            clean, fault, kink_set, np.random.default_rng([*base_seed, k]), scaled.dt
        )
        label = fault_label(fault).replace(" ", "")
        out.append(
            Problem(
                name=f"{model.name}-{dtype}{ret}-{family}{scale:g}-{label}-i{i}",
                model=model.name,
                dtype=dtype,
                family=family,
                scale=scale,
                kinks=kinks,
                fault=fault,
                loss=scaled.loss,
                params={key: v.copy() for key, v in params.items()},
                grads=grads,
                faulty_names=faulty,
                clean_grads=clean,
                fault_element=element,
                kink_elements=frozenset(kink_set),
                exact_kinks=exact,
                wanted_kinks=len(model.exact),
                returns=returns,
                seed=i,
            )
        )
    return out


def corpus(seed: int = 0, per_category: int = PER_CATEGORY) -> list[Problem]:
    """Every category (dtype x family x scale x kinks x fault), ``per_category`` problems each.

    Problem i of a category uses model ``MODELS[i % 4]``. The seven fault variants of a
    category share their ``per_category`` base problems (same model, data and parameters),
    so a miss and a pass are on the same function. A float32 loss returns a np.float32 or a
    Python float (as ``float(...)`` or torch's ``.item()`` would), alternating with i, the
    scale and the family.
    """
    problems = []
    for di, dtype in enumerate(DTYPES):
        for fi, family in enumerate(FAMILIES):
            for si, scale in enumerate(SCALES):
                for kinks in KINKS:
                    for i in range(per_category):
                        returns = "float"
                        if dtype == "float32":
                            returns = ("float32", "float")[(i + si + fi) % 2]
                        problems += _variants(
                            MODELS[i % len(MODELS)],
                            dtype,
                            family,
                            scale,
                            kinks,
                            returns,
                            [seed, di, fi, si, int(kinks), i],
                            i,
                        )
    return problems
