"""Cases of closed-form mathematics: piecewise functions, stationary points, scales.

The derivatives here are exact closed forms, so a checker that calls one wrong is wrong.

* ``piecewise``: abs, relu, hinge, L1-regularised least squares, clip, huber, max and min
  of several (rows of 4, plus 0.05 ||X||^2), elementwise maximum of two tensors; half the
  elements exactly at a breakpoint (offset 0) or 1e-9, 1e-6, 1e-3 from it; the derivative
  the frameworks' own convention gives there (sign(0) = 0, relu'(0) = 0, clip inclusive,
  first argmax). Elements near a breakpoint are declared kinks (never faulted alone).
* ``stationary``: Rosenbrock at its minimum, fitted least squares and logistic models,
  saddles, inflection points, a Gaussian bump at its top; exactly there and 1e-8, 1e-5,
  1e-3 away.
* ``scales``: a tanh MLP, a logistic regression and a softplus-quadratic with the loss
  (L = s g(theta)) or the parameters (theta = s theta0, L = g(theta / s)) scaled by
  s in 1e-8 ... 1e8.
"""

from __future__ import annotations

import numpy as np
import scipy.special as sp
from foreign_case import finish as _finish
from foreign_case import rng_of

# ----------------------------------------------------------------------------------------
# Piecewise
# ----------------------------------------------------------------------------------------

PIECEWISE = ("abs", "relu", "hinge", "l1", "clip", "huber", "max", "min", "maximum2")
OFFSETS = (0.0, 1e-9, 1e-6, 1e-3)


def _piecewise_case(name: str, offset: float, seed: int):
    rng = rng_of(f"piecewise {name} {offset:g} {seed}")
    n = 8
    near = np.zeros(n, dtype=bool)
    near[rng.choice(n, n // 2, replace=False)] = True
    side = rng.choice([-1.0, 1.0], n)
    generic = rng.uniform(0.2, 2.0, n) * side
    w = rng.standard_normal(n)
    label = f"{offset:g} from the breakpoint (seed {seed})"
    kinks = [near]
    if name in ("abs", "relu", "l1"):
        x = np.where(near, offset * side, generic)
        if name == "abs":
            return _finish(
                name,
                label,
                lambda v: float(np.sum(w * np.abs(v[0]))),
                [x],
                [w * np.sign(x)],
                "piecewise",
                kinks=kinks,
            )
        if name == "relu":
            return _finish(
                name,
                label,
                lambda v: float(np.sum(w * np.maximum(v[0], 0))),
                [x],
                [w * (x > 0)],
                "piecewise",
                kinks=kinks,
            )
        A = rng.standard_normal((12, n))
        b = rng.standard_normal(12)
        lam = 0.3

        def fn(v):
            r = A @ v[0] - b
            return float(0.5 * r @ r + lam * np.sum(np.abs(v[0])))

        return _finish(
            name, label, fn, [x], [A.T @ (A @ x - b) + lam * np.sign(x)], "piecewise", kinks=kinks
        )
    if name == "hinge":  # sum max(0, 1 - y x): breakpoint at x = y
        y = rng.choice([-1.0, 1.0], n)
        x = np.where(near, y + offset * side, generic)
        return _finish(
            name,
            label,
            lambda v: float(np.sum(np.maximum(0, 1 - y * v[0]))),
            [x],
            [-y * (1 - y * x > 0)],
            "piecewise",
            kinks=kinks,
        )
    if name in ("clip", "huber"):
        edge = rng.choice([-1.0, 1.0], n)
        x = np.where(near, edge + offset * side, generic)
        if name == "clip":
            return _finish(
                name,
                label,
                lambda v: float(np.sum(w * np.clip(v[0], -1, 1))),
                [x],
                [w * ((x >= -1) & (x <= 1))],
                "piecewise",
                kinks=kinks,
            )

        def huber(r):
            a = np.abs(r)
            return np.where(a <= 1, 0.5 * r * r, a - 0.5)

        return _finish(
            name,
            label,
            lambda v: float(np.sum(w * huber(v[0]))),
            [x],
            [w * np.clip(x, -1, 1)],
            "piecewise",
            kinks=None,
        )  # C1: no kink
    if name in ("max", "min"):  # rows of 4: two entries tied within the offset
        X = rng.standard_normal((4, 4))
        kink = np.zeros((4, 4), dtype=bool)
        pick = np.argmax if name == "max" else np.argmin
        for r in range(4):
            j = int(pick(X[r]))
            k = (j + 1) % 4
            X[r, k] = X[r, j] + (offset if name == "min" else -offset) * (r % 2 * 2 - 1)
            kink[r, [j, k]] = True
        rw = rng.standard_normal(4)
        red = np.max if name == "max" else np.min

        def fn(v):  # plus a smooth term, so that the other elements have a gradient
            return float(np.sum(rw * red(v[0], axis=1)) + 0.05 * np.sum(v[0] * v[0]))

        G = 0.1 * X
        G[np.arange(4), pick(X, axis=1)] += rw
        return _finish(name, label, fn, [X], [G], "piecewise", kinks=[kink])
    # maximum2: elementwise maximum of two tensors with near ties
    a = rng.standard_normal(n)
    b = np.where(near, a + offset * side, rng.standard_normal(n))

    def fn(v):
        return float(np.sum(w * np.maximum(v[0], v[1])))

    first = a >= b  # numpy and torch give a tie's gradient... torch splits it; we take a's
    return _finish(
        name, label, fn, [a, b], [w * first, w * ~first], "piecewise", kinks=[near, near]
    )


# ----------------------------------------------------------------------------------------
# Stationary points
# ----------------------------------------------------------------------------------------

STATIONARY = (
    "rosenbrock2",
    "rosenbrock6",
    "lstsq",
    "logistic",
    "saddle",
    "monkey_saddle",
    "cubic_inflection",
    "sin_inflection",
    "gaussian_top",
)
STATIONARY_OFFSETS = (0.0, 1e-8, 1e-5, 1e-3)


def _fit_logistic(X, y, lam):
    w = np.zeros(X.shape[1])
    for _ in range(100):
        p = sp.expit(X @ w)
        g = X.T @ (p - y) / len(y) + lam * w
        H = (X.T * (p * (1 - p))) @ X / len(y) + lam * np.eye(len(w))
        step = np.linalg.solve(H, g)
        w = w - step
        if np.max(np.abs(step)) < 1e-15:
            break
    return w


def _stationary_case(name: str, offset: float):
    rng = rng_of(f"stationary {name} {offset:g}")
    label = f"offset {offset:g}"
    if name.startswith("rosenbrock"):
        n = int(name[-1])
        x0 = np.ones(n)

        def fn(v):
            x = v[0]
            return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))

        def grad(x):
            g = np.zeros_like(x)
            t = x[1:] - x[:-1] ** 2
            g[:-1] = -400 * x[:-1] * t - 2 * (1 - x[:-1])
            g[1:] += 200 * t
            return g
    elif name in ("lstsq", "logistic"):
        X = rng.standard_normal((30, 5))
        if name == "lstsq":
            y = X @ rng.standard_normal(5) + 0.3 * rng.standard_normal(30)
            x0 = np.linalg.lstsq(X, y, rcond=None)[0]

            def fn(v):
                r = X @ v[0] - y
                return float(0.5 * r @ r / len(y))

            def grad(w):
                return X.T @ (X @ w - y) / len(y)
        else:
            y = (X @ rng.standard_normal(5) + rng.standard_normal(30) > 0).astype(float)
            lam = 1e-2
            x0 = _fit_logistic(X, y, lam)

            def fn(v):
                z = X @ v[0]
                return float(np.mean(np.logaddexp(0, z) - y * z) + 0.5 * lam * v[0] @ v[0])

            def grad(w):
                return X.T @ (sp.expit(X @ w) - y) / len(y) + lam * w
    else:
        x0 = np.zeros(2)
        forms = {
            "saddle": (lambda x: x[0] ** 2 - x[1] ** 2, lambda x: np.array([2 * x[0], -2 * x[1]])),
            "monkey_saddle": (
                lambda x: x[0] ** 3 - 3 * x[0] * x[1] ** 2,
                lambda x: np.array([3 * x[0] ** 2 - 3 * x[1] ** 2, -6 * x[0] * x[1]]),
            ),
            "cubic_inflection": (lambda x: np.sum(x**3 + x[::-1]), lambda x: 3 * x**2 + 1),
            "sin_inflection": (lambda x: np.sum(np.sin(x)), np.cos),
            "gaussian_top": (lambda x: np.exp(-x @ x), lambda x: -2 * x * np.exp(-x @ x)),
        }
        f, grad = forms[name]
        if name == "cubic_inflection":
            x0 = np.zeros(2)

        def fn(v):
            return float(f(v[0]))

    x = x0 + offset * np.maximum(np.abs(x0), 1) * rng.choice([-1.0, 1.0], x0.shape)
    return _finish(name, label, fn, [x], [grad(x)], "stationary")


# ----------------------------------------------------------------------------------------
# Scales
# ----------------------------------------------------------------------------------------

SCALE_MODELS = ("tanh-mlp", "logistic", "softplus-quadratic")
SCALE_VALUES = (1e-8, 1e-4, 1.0, 1e4, 1e8)


def _scale_model(model: str, rng):
    """(g, grad g, theta0 list) of a smooth float64 model."""
    if model == "tanh-mlp":
        X, Y = rng.standard_normal((10, 3)), rng.standard_normal((10, 2))
        theta = [
            rng.standard_normal((3, 4)) / np.sqrt(3),
            0.1 * rng.standard_normal(4),
            rng.standard_normal((4, 2)) / 2,
            0.1 * rng.standard_normal(2),
        ]

        def g(p):
            A = np.tanh(X @ p[0] + p[1])
            R = A @ p[2] + p[3] - Y
            return 0.5 * np.sum(R * R) / len(X)

        def grad(p):
            A = np.tanh(X @ p[0] + p[1])
            dR = (A @ p[2] + p[3] - Y) / len(X)
            dZ = dR @ p[2].T * (1 - A * A)
            return [X.T @ dZ, dZ.sum(0), A.T @ dR, dR.sum(0)]
    elif model == "logistic":
        X = rng.standard_normal((20, 4))
        y = (rng.uniform(size=20) < 0.5).astype(float)
        theta = [rng.standard_normal(4), np.array(0.1)]

        def g(p):
            z = X @ p[0] + p[1]
            return np.mean(np.logaddexp(0, z) - y * z)

        def grad(p):
            d = (sp.expit(X @ p[0] + p[1]) - y) / len(y)
            return [X.T @ d, np.array(d.sum())]
    else:
        A = rng.standard_normal((5, 5))
        A = A @ A.T / 5 + np.eye(5)
        c = rng.standard_normal(5)
        theta = [rng.standard_normal(5)]

        def g(p):
            return 0.5 * p[0] @ A @ p[0] + np.sum(np.logaddexp(0, c * p[0]))

        def grad(p):
            return [A @ p[0] + c * sp.expit(c * p[0])]

    return g, grad, theta


def _scales_case(model: str, family: str, s: float, seed: int):
    rng = rng_of(f"scales {model} {seed}")
    g, grad, theta0 = _scale_model(model, rng)
    label = f"{family} x {s:g} (seed {seed})"
    if family == "loss":
        return _finish(
            model,
            label,
            lambda v: float(s * g(v)),
            theta0,
            [s * d for d in grad(theta0)],
            "scales",
            group=f"loss x {s:g}",
        )
    point = [s * t for t in theta0]
    return _finish(
        model,
        label,
        lambda v: float(g([t / s for t in v])),
        point,
        [d / s for d in grad(theta0)],
        "scales",
        group=f"param x {s:g}",
    )


# ----------------------------------------------------------------------------------------


def specs(category: str, quick: bool = False, max_ops=None) -> list[tuple]:
    if category == "piecewise":
        seeds = (0,) if quick else (0, 1)
        names = ("abs", "relu", "max", "clip") if quick else PIECEWISE
        return [("piecewise", n, o, s) for n in names for o in OFFSETS for s in seeds]
    if category == "stationary":
        offsets = (0.0, 1e-5) if quick else STATIONARY_OFFSETS
        return [("stationary", n, o) for n in STATIONARY for o in offsets]
    if category == "scales":
        seeds = (0,) if quick else (0, 1)
        values = (1e-8, 1.0, 1e8) if quick else SCALE_VALUES
        models = ("tanh-mlp", "logistic") if quick else SCALE_MODELS
        return [
            ("scales", m, f, s, seed)
            for m in models
            for f in ("loss", "param")
            for s in values
            for seed in seeds
        ]
    raise KeyError(category)


def build(spec: tuple):
    category = spec[0]
    if category == "piecewise":
        return _piecewise_case(*spec[1:])
    if category == "stationary":
        return _stationary_case(*spec[1:])
    return _scales_case(*spec[1:])
