"""Properties of the gradient check over random problems with a known exact gradient.

Parameters are random nestings of dicts, lists and tuples of float arrays (0 to 3 dims, 1 to
4 elements per dim) and Python floats, at a random magnitude 10**k (k in -8..8). The loss
is the same kind of random magnitude times

    sum over leaves of sum(c * f(theta / s))  +  gamma * (sum(theta / s))**2 / (2 n)

with f in {sin, x**2 / 2, softplus, exp(-x**2), log cosh} per leaf, so its gradient is
known exactly: scale / s * (c * f'(u) + gamma * sum(u) / n) with u = theta / s.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gradient_check import Evidence, check

SETTINGS = settings(
    deadline=None,
    max_examples=30,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# f and f' for each leaf, written so they compute in the dtype of their argument
FUNCTIONS = {
    "sin": (np.sin, np.cos),
    "half-square": (lambda u: u * u / 2, lambda u: u),
    "softplus": (lambda u: np.logaddexp(np.zeros_like(u), u), lambda u: 1 / (1 + np.exp(-u))),
    "gauss": (lambda u: np.exp(-u * u), lambda u: -2 * u * np.exp(-u * u)),
    "logcosh": (lambda u: np.log(np.cosh(u)), np.tanh),
}


@dataclass(frozen=True)
class LeafSpec:
    shape: tuple[int, ...] | None  # None: a Python float
    function: str
    zero: bool  # all values zero, like a freshly initialised bias


leaves_st = st.builds(
    LeafSpec,
    shape=st.one_of(st.none(), st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple)),
    function=st.sampled_from(sorted(FUNCTIONS)),
    zero=st.sampled_from([False] * 7 + [True]),
)

KEYS = ["W1", "B1", "W2", "B2", "gamma", "beta", "layers", "head"]

trees_st = st.recursive(
    leaves_st,
    lambda children: st.one_of(
        st.lists(children, min_size=1, max_size=3),
        st.lists(children, min_size=1, max_size=3).map(tuple),
        st.dictionaries(st.sampled_from(KEYS), children, min_size=1, max_size=3),
    ),
    max_leaves=6,
)


# --- the problem -----------------------------------------------------------------------------


def walk(node: Any, name: str = "") -> list[tuple[str, Any]]:
    """(name, leaf) in the documented order and naming: W1, layers[0].W, [2], params."""
    if isinstance(node, Mapping):
        out = []
        for key, value in node.items():
            out += walk(value, f"{name}.{key}" if name else str(key))
        return out
    if isinstance(node, (list, tuple)):
        out = []
        for i, value in enumerate(node):
            out += walk(value, f"{name}[{i}]")
        return out
    return [(name or "params", node)]


def rebuild(node: Any, leaf: Any) -> Any:
    """The same nesting, with each leaf replaced by ``leaf(old)``, in walk order."""
    if isinstance(node, Mapping):
        return {k: rebuild(v, leaf) for k, v in node.items()}
    if isinstance(node, tuple):
        return tuple(rebuild(v, leaf) for v in node)
    if isinstance(node, list):
        return [rebuild(v, leaf) for v in node]
    return leaf(node)


@dataclass
class Problem:
    params: Any
    names: list[str]
    specs: list[LeafSpec]
    coefficients: list[np.ndarray]
    param_scale: float
    loss_scale: float
    gamma: float
    dtype: type

    def loss(self, p: Any) -> Any:
        dtype = self.dtype
        total, s, n = dtype(0), dtype(0), 0
        for spec, c, (_, v) in zip(self.specs, self.coefficients, walk(p)):
            u = np.asarray(v).astype(dtype) / dtype(self.param_scale)
            total = total + np.sum(c.astype(dtype) * FUNCTIONS[spec.function][0](u))
            s, n = s + np.sum(u), n + u.size
        total = total + dtype(self.gamma) * s * s / dtype(2 * n)
        value = dtype(self.loss_scale) * total
        return float(value) if dtype is np.float64 else np.float32(value)

    def gradient(self, p: Any) -> list[np.ndarray]:
        """The exact gradient, leaf by leaf, in float64 (with the constants the loss uses)."""
        dtype = self.dtype
        scale = float(dtype(self.param_scale))
        us = [np.asarray(v, dtype=np.float64) / scale for _, v in walk(p)]
        s, n = sum(float(np.sum(u)) for u in us), sum(u.size for u in us)
        factor = float(dtype(self.loss_scale)) / scale
        return [
            factor * (c * FUNCTIONS[spec.function][1](u) + float(dtype(self.gamma)) * s / n)
            for spec, c, u in zip(self.specs, self.coefficients, us)
        ]

    def grads(self, flat: list[np.ndarray]) -> Any:
        """A gradient list in walk order, shaped like ``params`` (floats for float leaves)."""
        it = iter(zip(flat, self.specs))

        def leaf(old: Any) -> Any:
            g, spec = next(it)
            if spec.shape is None and isinstance(old, float):
                return float(g)
            return np.asarray(g, dtype=np.asarray(old).dtype).reshape(np.shape(old))

        return rebuild(self.params, leaf)


@st.composite
def problems(draw: Any, dtype: type = np.float64) -> Problem:
    tree = draw(trees_st)
    param_scale = 10.0 ** draw(st.integers(-8, 8))
    loss_scale = 10.0 ** draw(st.integers(-8, 8))
    gamma = draw(st.sampled_from([0.0, 0.25, 1.0]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    specs, coefficients = [], []

    def leaf(spec: LeafSpec) -> Any:
        shape = () if spec.shape is None else spec.shape
        u = rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.5, 2.0, size=shape)
        if spec.zero:
            u = np.zeros(shape)
        c = rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.5, 2.0, size=shape)
        specs.append(spec)
        coefficients.append(c.astype(dtype).astype(np.float64))  # exact in the loss's dtype
        theta = (u * param_scale).astype(dtype)
        if spec.shape is None and dtype is np.float64:
            return float(theta)
        return np.array(theta, dtype=dtype)

    params = rebuild(tree, leaf)
    # all zero: no magnitude to scale, and the documented fallback step is 1 (absolute)
    assume(not all(spec.zero for spec in specs))
    names = [name for name, _ in walk(params)]
    return Problem(params, names, specs, coefficients, param_scale, loss_scale, gamma, dtype)


def snapshot(params: Any) -> list[tuple]:
    return [
        (name, id(v), type(v), np.asarray(v).dtype.str, np.shape(v), np.asarray(v).tobytes())
        for name, v in walk(params)
    ]


# --- the properties ----------------------------------------------------------------------------


@SETTINGS
@given(problems())
def test_correct_gradient_is_never_called_wrong(problem: Problem):
    before = snapshot(problem.params)
    report = check(problem.loss, problem.params, problem.grads(problem.gradient(problem.params)))
    assert report.ok, report
    assert report.wrong == []
    assert snapshot(problem.params) == before


@SETTINGS
@given(problems(), st.data())
def test_one_corrupted_tensor_is_named_and_only_it(problem: Problem, data: Any):
    flat = problem.gradient(problem.params)
    target = data.draw(st.integers(0, len(flat) - 1), label="target leaf")
    everything = np.sqrt(np.mean(np.concatenate([g.ravel() for g in flat]) ** 2))
    g = np.array(flat[target], dtype=np.float64)  # an array even for a float leaf
    how = data.draw(st.sampled_from(["element", "scale"]), label="corruption")
    if how == "scale":
        assume(np.sqrt(np.mean(g**2)) > 1e-3 * everything)  # 10% of it is measurable
        g = 1.1 * g
    else:
        index = data.draw(st.integers(0, g.size - 1), label="element")
        own = np.sqrt(np.mean(g**2))
        g.flat[index] = g.flat[index] + 0.1 * max(abs(g.flat[index]), own, everything)
    flat[target] = g

    before = snapshot(problem.params)
    report = check(problem.loss, problem.params, problem.grads(flat))
    assert not report.ok
    assert report.wrong == [problem.names[target]], report
    assert snapshot(problem.params) == before


@SETTINGS
@given(problems(), st.integers(0, 2**31 - 1), st.booleans())
def test_same_seed_same_report(problem: Problem, seed: int, corrupt: bool):
    flat = problem.gradient(problem.params)
    if corrupt:
        flat[0] = 1.1 * flat[0] + 0.01 * np.sqrt(np.mean(flat[0] ** 2))
    grads = problem.grads(flat)
    before = snapshot(problem.params)
    first = check(problem.loss, problem.params, grads, seed=seed)
    second = check(problem.loss, problem.params, grads, seed=seed)
    assert first.diff == second.diff
    assert first.verdict is second.verdict and first.evidence is second.evidence
    assert first.wrong == second.wrong
    assert repr(first.parameters) == repr(second.parameters)
    assert first.evaluations == second.evaluations
    assert str(first) == str(second)
    assert snapshot(problem.params) == before


@SETTINGS
@given(problems(dtype=np.float32))
def test_float32_correct_gradient_is_never_called_wrong(problem: Problem):
    before = snapshot(problem.params)
    report = check(problem.loss, problem.params, problem.grads(problem.gradient(problem.params)))
    assert report.ok or report.evidence is Evidence.CANNOT_TELL, report
    assert report.evidence is not Evidence.WRONG
    assert report.wrong == []
    assert snapshot(problem.params) == before


@SETTINGS
@given(problems(dtype=np.float32))
def test_float32_unpromoted_correct_gradient_is_never_called_wrong(problem: Problem):
    before = snapshot(problem.params)
    grads = problem.grads(problem.gradient(problem.params))
    report = check(problem.loss, problem.params, grads, promote=False)
    assert report.ok or report.evidence is Evidence.CANNOT_TELL, report
    assert report.wrong == []
    assert snapshot(problem.params) == before
