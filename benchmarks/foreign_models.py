"""Cases of models: scikit-learn's LinearModelLoss, float32 models, Jacobians of torch ops.

* ``sklearn``: ``LinearModelLoss(base_loss, fit_intercept=True).loss`` and the gradient from
  its ``loss_gradient``, for HalfSquaredError, HalfBinomialLoss, HalfMultinomialLoss
  (3 classes) and HalfPoissonLoss, with l2 = 0 or 0.1, at random coefficients and at the
  fitted optimum (L-BFGS to a gradient of about 1e-12).
* ``float32``: small models computing in float32 with float32 gradients: a numpy tanh MLP
  and numpy least squares / logistic regression, each either casting its parameters to
  float32 inside ("cast", what a framework does) or computing in whatever precision it
  is given ("promotable"), returning a Python float or a np.float32; a torch float32 MLP
  and logistic regression returning ``loss.item()``, gradients from autograd.
* ``jacobian``: vector functions written in torch (softmax, layer_norm, sort, cumprod,
  inv, matrix_exp, conv1d, cdist, cholesky, ...), Jacobian from
  ``torch.autograd.functional.jacobian``, float64.
"""

from __future__ import annotations

import numpy as np
import scipy.optimize
import torch
from foreign_case import Case, rng_of, seed_of

# ----------------------------------------------------------------------------------------
# scikit-learn
# ----------------------------------------------------------------------------------------

SK_LOSSES = ("HalfSquaredError", "HalfBinomialLoss", "HalfMultinomialLoss", "HalfPoissonLoss")


def _sklearn_case(loss_name: str, l2: float, where: str, seed: int):
    from sklearn._loss import loss as sk_loss
    from sklearn.linear_model._linear_loss import LinearModelLoss

    name = f"{loss_name} l2={l2:g} {where} (seed {seed})"
    rng = rng_of(f"sklearn {name}")
    n, d = 40, 5
    X = rng.standard_normal((n, d))
    truth = 0.5 * rng.standard_normal(d)
    z = X @ truth
    if loss_name == "HalfSquaredError":
        base, y = sk_loss.HalfSquaredError(), z + 0.5 * rng.standard_normal(n)
    elif loss_name == "HalfBinomialLoss":
        base = sk_loss.HalfBinomialLoss()
        y = (rng.uniform(size=n) < 1 / (1 + np.exp(-z))).astype(float)
    elif loss_name == "HalfPoissonLoss":
        base, y = sk_loss.HalfPoissonLoss(), rng.poisson(np.exp(0.5 * z)).astype(float)
    else:
        base = sk_loss.HalfMultinomialLoss(n_classes=3)
        y = rng.integers(0, 3, n).astype(float)
    model = LinearModelLoss(base_loss=base, fit_intercept=True)
    coef = 0.3 * rng.standard_normal((3, d + 1) if loss_name == "HalfMultinomialLoss" else d + 1)
    if where == "fitted":
        shape = coef.shape

        def fun(c):
            value, grad = model.loss_gradient(c.reshape(shape), X, y, l2_reg_strength=l2)
            return value, np.ravel(grad)

        fit = scipy.optimize.minimize(
            fun,
            np.ravel(coef),
            jac=True,
            method="L-BFGS-B",
            options=dict(gtol=1e-13, ftol=0.0, maxiter=5000),
        )
        coef = fit.x.reshape(shape)

    def fn(v):
        return float(model.loss(v[0], X, y, l2_reg_strength=l2))

    _, grad = model.loss_gradient(coef, X, y, l2_reg_strength=l2)
    return Case(
        f"sklearn {name}",
        "sklearn",
        fn,
        [coef],
        [grad],
        names=["coef"],
        group=f"{loss_name} {where}",
    )


# ----------------------------------------------------------------------------------------
# float32 models
# ----------------------------------------------------------------------------------------

F32_MODELS = (
    "np-mlp-cast",
    "np-mlp-promotable",
    "np-lstsq-cast",
    "np-logistic-promotable",
    "torch-mlp-item",
    "torch-logistic-item",
)


def _np_mlp(rng, cast: bool, returns_float: bool):
    X = rng.standard_normal((16, 4)).astype(np.float32)
    Y = rng.standard_normal((16, 3)).astype(np.float32)
    theta = [
        (rng.standard_normal((4, 8)) / 2).astype(np.float32),
        (0.1 * rng.standard_normal(8)).astype(np.float32),
        (rng.standard_normal((8, 3)) / np.sqrt(8)).astype(np.float32),
        (0.1 * rng.standard_normal(3)).astype(np.float32),
    ]

    def forward(p):
        if cast:
            p = [np.asarray(t, dtype=np.float32) for t in p]
        A = np.tanh(X @ p[0] + p[1])
        R = A @ p[2] + p[3] - Y
        return 0.5 * np.sum(R * R) / np.float32(16), A, R

    def fn(v):
        loss = forward(v)[0]
        return float(loss) if returns_float else loss

    _, A, R = forward(theta)
    dR = R / np.float32(16)
    dZ = (dR @ theta[2].T) * (1 - A * A)
    return fn, theta, [X.T @ dZ, dZ.sum(0), A.T @ dR, dR.sum(0)]


def _np_linear(rng, kind: str, cast: bool, returns_float: bool):
    X = rng.standard_normal((30, 6)).astype(np.float32)
    w = (0.5 * rng.standard_normal(6)).astype(np.float32)
    if kind == "lstsq":
        y = (X @ rng.standard_normal(6) + 0.3 * rng.standard_normal(30)).astype(np.float32)
    else:
        y = (rng.uniform(size=30) < 0.5).astype(np.float32)

    def forward(v):
        p = np.asarray(v[0], dtype=np.float32) if cast else v[0]
        z = X @ p
        if kind == "lstsq":
            r = z - y
            return 0.5 * np.mean(r * r), r
        return np.mean(np.logaddexp(np.float32(0), z) - y * z), z

    def fn(v):
        loss = forward(v)[0]
        return float(loss) if returns_float else loss

    _, r = forward([w])
    if kind == "lstsq":
        grad = X.T @ r / np.float32(30)
    else:
        grad = X.T @ (1 / (1 + np.exp(-r)) - y) / np.float32(30)
    return fn, [w], [grad.astype(np.float32)]


def _torch_model(rng, kind: str):
    if kind == "mlp":
        X = torch.tensor(rng.standard_normal((16, 4)), dtype=torch.float32)
        Y = torch.tensor(rng.standard_normal((16, 3)), dtype=torch.float32)
        theta = [
            rng.standard_normal((4, 8)) / 2,
            0.1 * rng.standard_normal(8),
            rng.standard_normal((8, 3)) / np.sqrt(8),
            0.1 * rng.standard_normal(3),
        ]

        def forward(*p):
            A = torch.tanh(X @ p[0] + p[1])
            return 0.5 * ((A @ p[2] + p[3] - Y) ** 2).sum() / 16
    else:
        X = torch.tensor(rng.standard_normal((30, 6)), dtype=torch.float32)
        y = torch.tensor((rng.uniform(size=30) < 0.5), dtype=torch.float32)
        theta = [0.5 * rng.standard_normal(6), np.array(0.1)]

        def forward(*p):
            return torch.nn.functional.binary_cross_entropy_with_logits(X @ p[0] + p[1], y)

    theta = [t.astype(np.float32) for t in theta]

    def fn(v):
        with torch.no_grad():
            return forward(*[torch.tensor(np.asarray(t, dtype=np.float32)) for t in v]).item()

    params = [torch.tensor(t, requires_grad=True) for t in theta]
    grads = torch.autograd.grad(forward(*params), params)
    return fn, theta, [g.numpy() for g in grads], forward


def _float32_case(model: str, seed: int):
    rng = rng_of(f"float32 {model} {seed}")
    returns_float = seed % 2 == 0
    torch_fn = None
    if model.startswith("np-mlp"):
        fn, theta, grad = _np_mlp(rng, model.endswith("cast"), returns_float)
    elif model.startswith("np-"):
        kind = "lstsq" if "lstsq" in model else "logistic"
        fn, theta, grad = _np_linear(rng, kind, model.endswith("cast"), returns_float)
    else:
        torch.manual_seed(seed_of(model) + seed)
        fn, theta, grad, torch_fn = _torch_model(rng, "mlp" if "mlp" in model else "logistic")
        returns_float = True
    returns = "float" if returns_float else "np.float32"
    return Case(
        f"float32 {model} returns {returns} (seed {seed})",
        "float32",
        fn,
        theta,
        grad,
        dtype="float32",
        torch_fn=torch_fn,
        group=model,
    )


# ----------------------------------------------------------------------------------------
# Jacobians of torch vector functions
# ----------------------------------------------------------------------------------------

F = torch.nn.functional


def _spd(A):
    return A @ A.T + torch.eye(A.shape[0], dtype=A.dtype)


# name: (function of tensors -> tensor, input shapes)
JACOBIANS = {
    "softmax": (lambda x: torch.softmax(x, 0), [(6,)]),
    "log_softmax": (lambda x: torch.log_softmax(x, 0), [(6,)]),
    "layer_norm": (lambda x: F.layer_norm(x, (8,)), [(8,)]),
    "normalize": (lambda x: F.normalize(x, dim=0), [(5,)]),
    "cumprod": (lambda x: torch.cumprod(x, 0), [(6,)]),
    "cumsum": (lambda x: torch.cumsum(x, 0), [(6,)]),
    "sort": (lambda x: torch.sort(x).values, [(6,)]),
    "sort-near-tie": (lambda x: torch.sort(x).values, [(6,)]),
    "cross": (lambda a, b: torch.linalg.cross(a, b), [(3,), (3,)]),
    "inv": (lambda A: torch.linalg.inv(A + 3 * torch.eye(3, dtype=A.dtype)).reshape(-1), [(3, 3)]),
    "matrix_exp": (lambda A: torch.linalg.matrix_exp(A).reshape(-1), [(3, 3)]),
    "eigvalsh": (lambda A: torch.linalg.eigvalsh(A + A.T), [(4, 4)]),
    "svdvals": (lambda A: torch.linalg.svdvals(A), [(4, 3)]),
    "cholesky": (lambda A: torch.linalg.cholesky(_spd(A)).reshape(-1), [(3, 3)]),
    "solve": (lambda A, b: torch.linalg.solve(_spd(A), b), [(3, 3), (3,)]),
    "conv1d": (
        lambda x, w: F.conv1d(x.reshape(1, 1, -1), w.reshape(1, 1, -1)).reshape(-1),
        [(10,), (3,)],
    ),
    "polar": (
        lambda r, t: torch.stack([r * torch.cos(t), r * torch.sin(t)]).reshape(-1),
        [(4,), (4,)],
    ),
    "tanh-affine": (lambda A, x: torch.tanh(A @ x), [(4, 5), (5,)]),
    "logsumexp-rows": (lambda X: torch.logsumexp(X, 1), [(4, 5)]),
    "gelu": (lambda x: F.gelu(x), [(6,)]),
    "silu": (lambda x: F.silu(x), [(6,)]),
    "atan2": (lambda y, x: torch.atan2(y, x), [(4,), (4,)]),
    "cdist": (lambda X, Y: torch.cdist(X, Y).reshape(-1), [(3, 2), (4, 2)]),
    "max_pool1d": (lambda x: F.max_pool1d(x.reshape(1, 1, -1), 2).reshape(-1), [(8,)]),
    "relu-at-zero": (lambda x: torch.relu(x), [(6,)]),
}
QUICK_JACOBIANS = ("softmax", "sort-near-tie", "inv", "cholesky", "conv1d", "relu-at-zero")


def _jacobian_case(name: str, seed: int):
    rng = rng_of(f"jacobian {name} {seed}")
    f, shapes = JACOBIANS[name]
    point = [rng.standard_normal(s) for s in shapes]
    kinks = None
    if name == "sort-near-tie":
        point[0][1] = point[0][4] + 1e-9
        kinks = [np.isin(np.arange(6), (1, 4))]
    if name == "relu-at-zero":
        point[0][[0, 3]] = 0.0
        kinks = [np.isin(np.arange(6), (0, 3))]
    if name == "polar":
        point[0] = np.abs(point[0]) + 0.5

    def torch_fn(*xs):
        return f(*xs)

    def fn(v):
        with torch.no_grad():
            return f(*[torch.tensor(np.asarray(x, dtype=np.float64)) for x in v]).numpy().copy()

    inputs = tuple(torch.tensor(x) for x in point)
    J = torch.autograd.functional.jacobian(f, inputs)
    m = fn(point).size
    dense = np.concatenate([j.reshape(m, -1).numpy() for j in J], axis=1)
    return Case(
        f"jacobian {name} (seed {seed})",
        "jacobian",
        fn,
        point,
        dense,
        kind="jacobian",
        kinks=kinks,
        torch_fn=torch_fn,
        group=name,
    )


# ----------------------------------------------------------------------------------------


def specs(category: str, quick: bool = False, max_ops=None) -> list[tuple]:
    if category == "sklearn":
        seeds = (0,) if quick else (0, 1)
        wheres = ("random", "fitted")
        l2s = (0.0, 0.1)
        return [
            ("sklearn", b, l2, w, s) for b in SK_LOSSES for l2 in l2s for w in wheres for s in seeds
        ][:: 2 if quick else 1]
    if category == "float32":
        seeds = range(2) if quick else range(6)
        return [("float32", m, s) for m in F32_MODELS for s in seeds]
    if category == "jacobian":
        names = QUICK_JACOBIANS if quick else tuple(JACOBIANS)
        seeds = (0,) if quick else (0, 1)
        return [("jacobian", n, s) for n in names for s in seeds]
    raise KeyError(category)


def build(spec: tuple):
    category = spec[0]
    if category == "sklearn":
        return _sklearn_case(*spec[1:])
    if category == "float32":
        return _float32_case(*spec[1:])
    return _jacobian_case(*spec[1:])
