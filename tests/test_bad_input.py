"""Malformed problems: each gets a clear error of the package's own type, or documented handling.

Every case is a row of one table. An error case states the exception class (the package's
``GradientCheckError`` or a subclass, or the loss's own exception, which must propagate
unchanged) and a regex the message must match: it names the parameter (or the argument)
at fault and states the fix. A handled case states what the report must say. Whatever
happens, the user's parameters must be bitwise what they were, and the same objects.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from gradient_check import (
    Evidence,
    GradientCheckError,
    InvalidProblemError,
    LossError,
    StepError,
    StochasticLossError,
    check,
    check_hessian,
    check_jacobian,
    check_jvp,
    check_vjp,
)

# --- a small, well-formed problem that the cases break one way at a time -----------------


def weights() -> np.ndarray:
    return np.array([[0.5, -1.25], [2.0, 0.75]])


def bias() -> np.ndarray:
    return np.array([0.1, -0.3])


def good_params() -> dict:
    return {"W1": weights(), "B1": bias()}


def good_loss(p: Mapping) -> float:
    """L = sum(W1**2) / 2 + sum(sin(B1)) + sum(W1 @ B1)."""
    w, b = np.asarray(p["W1"]), np.asarray(p["B1"])
    return float(0.5 * np.sum(w**2) + np.sum(np.sin(b)) + np.sum(w @ b))


def good_grads(p: Mapping) -> dict:
    w, b = np.asarray(p["W1"]), np.asarray(p["B1"])
    return {"W1": w + np.outer(np.ones(2), b), "B1": np.cos(b) + w.sum(axis=0)}


@dataclass
class Problem:
    """What one case hands to ``checker`` (``check``, or check_vjp, check_jvp,
    check_jacobian, check_hessian with f, params and the derivative in the same places);
    ``extra`` are other arrays that must not change."""

    loss: Callable[[Any], Any]
    params: Any
    grads: Any
    options: dict = field(default_factory=dict)
    extra: tuple = ()
    state: dict = field(default_factory=dict)  # what the loss saw or did, for ``verify``
    checker: Callable[..., Any] = check


@dataclass
class Case:
    """One row of the table: how to build the problem and what must come of it."""

    id: str
    build: Callable[[], Problem]
    raises: type[BaseException] | None = None
    match: str | None = None
    verify: Callable[[Any, Problem], None] | None = None  # gets the report or ExceptionInfo
    xfail: str | None = None  # a known gap, and the module that owns its fix

    def __post_init__(self) -> None:
        assert (self.raises is None) == (self.match is None), self.id
        assert self.raises is not None or self.verify is not None, self.id


# --- building blocks ----------------------------------------------------------------------


def problem(**changes: Any) -> Callable[[], Problem]:
    """A builder of the good problem with some of its parts replaced."""

    def build() -> Problem:
        parts = {"loss": good_loss, "params": good_params(), "grads": good_grads}
        parts.update({k: (v() if k == "params" else v) for k, v in changes.items()})
        return Problem(**parts)

    return build


def params_with(**leaves: Callable[[], Any]) -> Callable[[], dict]:
    def make() -> dict:
        p = good_params()
        p.update({k: v() for k, v in leaves.items()})
        return p

    return make


def grads_with(**leaves: Any) -> Callable[[Any], dict]:
    def grads(p: Any) -> dict:
        g = good_grads(p)
        g.update(leaves)
        return g

    return grads


def returning(value: Any) -> Callable[[Any], Any]:
    def loss(p: Any) -> Any:
        good_loss(p)
        return value

    return loss


def assert_ok(report: Any, _problem: Problem) -> None:
    assert report.ok, report
    assert report.wrong == []
    assert report.evidence is Evidence.CONSISTENT


def assert_wrong(*names: str) -> Callable[[Any, Problem], None]:
    def verify(report: Any, _problem: Problem) -> None:
        assert not report.ok
        assert report.wrong == list(names), report

    return verify


# --- cases that need more than a replaced part ----------------------------------------------


def nan_at_a_perturbed_point() -> Problem:
    """log(B) is finite at B = 1e-3, but B - h < 0 for h = 1e-2: NaN only at B[0] - h."""

    def loss(p: Mapping) -> float:
        with np.errstate(invalid="ignore", divide="ignore"):
            return good_loss(p) + float(np.sum(np.log(p["B1"])))

    def grads(p: Mapping) -> dict:
        g = good_grads(p)
        g["B1"] = g["B1"] + 1 / p["B1"]
        return g

    params = {"W1": weights(), "B1": np.array([1e-3, 0.5])}
    return Problem(loss, params, grads, {"h": 1e-2})


def verify_domain_retry(report: Any, _prob: Problem) -> None:
    assert_ok(report, _prob)
    assert any("domain" in note and "B1[0]" in note for note in report.notes), report.notes


def nan_around_a_point() -> Problem:
    """sqrt(-(B - B0)^2): finite at B0 alone, NaN at any step of B1[0], however short."""
    b0 = 1e-3

    def loss(p: Mapping) -> float:
        with np.errstate(invalid="ignore"):
            return good_loss(p) + float(np.sqrt(-((p["B1"][0] - b0) ** 2)))

    params = {"W1": weights(), "B1": np.array([b0, 0.5])}
    return Problem(loss, params, good_grads, {"h": 1e-2})


def mutating_loss() -> Problem:
    def loss(p: Mapping) -> float:
        p["W1"][0, 0] += 1.0
        return good_loss(p)

    return Problem(loss, good_params(), good_grads)


def loss_rebinding_an_entry() -> Problem:
    """Casting "in place" in the dict: the user's dict would end up holding another object."""

    def loss(p: Mapping) -> float:
        p["W1"] = np.asarray(p["W1"], dtype=np.float32)
        return good_loss(p)

    return Problem(loss, good_params(), good_grads)


def loss_clipping_in_place() -> Problem:
    """A weight constraint applied in place: it writes only when W1[1, 0] is stepped past 2."""

    def loss(p: Mapping) -> float:
        np.clip(p["W1"], -2.0, 2.0, out=p["W1"])
        return good_loss(p)

    return Problem(loss, good_params(), good_grads)


def loss_changing_type_at_perturbed_points() -> Problem:
    calls = 0

    def loss(p: Mapping) -> Any:
        nonlocal calls
        calls += 1
        value = good_loss(p)
        return value if calls <= 9 else np.full(3, value)  # scalar for centre and probes

    return Problem(loss, good_params(), good_grads)


def grads_writing_its_params(strided: bool) -> Callable[[], Problem]:
    """A backward pass that scribbles on its input: W1[0, 0] += 1 at every call."""

    def build() -> Problem:
        buffer = np.arange(1.0, 9.0).reshape(2, 4)
        w = buffer[:, ::2] if strided else buffer[:, :2].copy()

        def grads(p: Mapping) -> dict:
            p["W1"][0, 0] += 1.0
            return good_grads(p)

        return Problem(good_loss, {"W1": w, "B1": bias()}, grads, extra=(buffer,))

    return build


def stochastic_global() -> Problem:
    return Problem(lambda p: good_loss(p) + 1e-3 * np.random.rand(), good_params(), good_grads)


def stochastic_private() -> Problem:
    rng = np.random.default_rng(7)
    return Problem(lambda p: good_loss(p) * (1 + 1e-6 * rng.random()), good_params(), good_grads)


class UserBug(Exception):
    """The loss's own exception: it must come out of ``check`` unchanged."""


def raising_at(call: int, grads: Any = good_grads) -> Callable[[], Problem]:
    def build() -> Problem:
        prob = Problem(None, good_params(), grads)
        calls = 0

        def loss(p: Mapping) -> float:
            nonlocal calls
            calls += 1
            if calls == call:
                prob.state["raised"] = UserBug(f"boom at call {call}")
                raise prob.state["raised"]
            return good_loss(p)

        prob.loss = loss
        return prob

    return build


def assert_same_exception(info: pytest.ExceptionInfo, prob: Problem) -> None:
    assert info.value is prob.state["raised"]  # not wrapped, not re-created
    assert info.value.__cause__ is None and not info.value.__suppress_context__


def sharing(make: Callable[[], tuple[np.ndarray, np.ndarray]]) -> Callable[[], Problem]:
    """W1 and B1 that share memory, with a loss and gradient that treat them as separate."""

    def build() -> Problem:
        w, b = make()
        return Problem(
            lambda p: float(np.sum(p["W1"] ** 2) + np.sum(p["B1"] ** 3)),
            {"W1": w, "B1": b},
            lambda p: {"W1": 2 * p["W1"], "B1": 3 * p["B1"] ** 2},
        )

    return build


def overlapping_views() -> tuple[np.ndarray, np.ndarray]:
    buffer = np.linspace(0.1, 0.8, 8)
    return buffer[:6], buffer[4:]


def same_array_twice() -> tuple[np.ndarray, np.ndarray]:
    w = np.linspace(0.1, 0.8, 8)
    return w, w


def disjoint_views() -> Problem:
    buffer = np.linspace(0.1, 0.8, 8)
    params = {"W1": buffer[:6], "B1": buffer[6:]}
    return Problem(
        lambda p: float(np.sum(p["W1"] ** 2) + np.sum(p["B1"] ** 3) + p["W1"][0] * p["B1"][1]),
        params,
        lambda p: {
            "W1": 2 * p["W1"] + np.eye(1, 6).ravel() * p["B1"][1],
            "B1": 3 * p["B1"] ** 2 + np.array([0.0, p["W1"][0]]),
        },
        extra=(buffer,),
    )


def strided_views(bug: str | None = None) -> Callable[[], Problem]:
    def build() -> Problem:
        a = np.linspace(-1.0, 1.5, 8)
        b = np.arange(1.0, 7.0).reshape(2, 3) / 4
        params = {"W1": a[::2], "B1": b.T}  # shapes (4,) and (3, 2), neither C-contiguous

        def loss(p: Mapping) -> float:
            return float(np.sum(np.sin(p["W1"])) + np.sum(p["B1"] ** 2) * np.sum(p["W1"]))

        def grads(p: Mapping) -> dict:
            g = {
                "W1": np.cos(p["W1"]) + np.sum(p["B1"] ** 2),
                "B1": 2 * p["B1"] * np.sum(p["W1"]),
            }
            if bug is not None:
                g[bug] = 1.1 * g[bug]
            return g

        return Problem(loss, params, grads, extra=(a, b))

    return build


def read_only(bug: str | None = None) -> Callable[[], Problem]:
    def build() -> Problem:
        p = good_params()
        for v in p.values():
            v.flags.writeable = False

        def grads(q: Mapping) -> dict:
            g = good_grads(q)
            if bug is not None:
                g[bug] = 1.1 * g[bug]
            return g

        return Problem(good_loss, p, grads)

    return build


def complex_params() -> Problem:
    """L = sum |Z|^2 + sum c Re(Z) + sum W1^2 / 2; PyTorch's gradient is 2Z + c."""
    c = np.array([0.7, -1.2, 0.4])
    params = {"Z": np.array([1 + 2j, -0.5 + 0.3j, 0.25 - 1j]), "W1": weights()}

    def loss(p: Mapping) -> float:
        z = p["Z"]
        return float(np.sum(np.abs(z) ** 2) + np.sum(c * z.real) + 0.5 * np.sum(p["W1"] ** 2))

    return Problem(loss, params, lambda p: {"Z": 2 * p["Z"] + c, "W1": p["W1"].copy()})


def verify_complex(report: Any, prob: Problem) -> None:
    assert_ok(report, prob)
    assert report.row("Z").shape == (3,)
    jax = check(prob.loss, prob.params, lambda p: {"Z": np.conj(prob.grads(p)["Z"]), "W1": p["W1"]})
    assert jax.wrong == ["Z"]  # the conjugate is wrong under the PyTorch convention ...
    jax = check(
        prob.loss,
        prob.params,
        lambda p: {"Z": np.conj(prob.grads(p)["Z"]), "W1": p["W1"]},
        convention="jax",
    )
    assert jax.ok  # ... and right under JAX's


def float32_loss_rejecting_float64() -> Problem:
    """A loss that insists on float32 inputs: documented to be evaluated in float32."""

    def loss(p: Mapping) -> np.float32:
        if any(v.dtype != np.float32 for v in p.values()):
            raise TypeError("this model only takes float32")
        return np.float32(good_loss(p))

    params = {k: v.astype(np.float32) for k, v in good_params().items()}
    grads = lambda p: {k: v.astype(np.float32) for k, v in good_grads(p).items()}  # noqa: E731
    return Problem(loss, params, grads)


def verify_float32_fallback(report: Any, _prob: Problem) -> None:
    assert report.evidence is not Evidence.WRONG and report.wrong == [], report
    assert any("rejected float64 copies" in note for note in report.notes), report.notes


def size_one_array_loss() -> Problem:
    return Problem(lambda p: np.array([good_loss(p)]), good_params(), good_grads)


def step_vanishing(dtype: Any) -> Callable[[], Problem]:
    """theta + h == theta at exactly one element: W1 is ordinary, B1[1] is huge for h."""

    def build() -> Problem:
        big = 1e7 if dtype == np.float64 else 1e3
        params = {"W1": weights(), "B1": np.array([0.5, big], dtype=dtype)}

        def loss(p: Mapping) -> float:
            b = np.asarray(p["B1"], dtype=np.float64) / big
            return float(0.5 * np.sum(p["W1"] ** 2) + np.sum(b**2))

        grads = {"W1": params["W1"].copy(), "B1": 2 * params["B1"].astype(np.float64) / big**2}
        h = 1e-10 if dtype == np.float64 else 1e-5
        return Problem(loss, params, grads, {"h": h, "promote": False})

    return build


def flat_good_grads(p: Mapping) -> np.ndarray:
    """The right numbers, W1 then B1, as one flat vector: what a from-scratch backward gives."""
    g = good_grads(p)
    return np.concatenate([g["W1"].ravel(), g["B1"]])


def list_params() -> Problem:
    """The texts' parameters as a list [W1, B1], and the gradient as one flat vector."""

    def loss(p: list) -> float:
        return good_loss({"W1": p[0], "B1": p[1]})

    return Problem(loss, [weights(), bias()], lambda p: flat_good_grads({"W1": p[0], "B1": p[1]}))


def zero_d_param() -> Problem:
    """A 0-d array parameter (a learnable temperature): checked like any other."""
    params = {**good_params(), "t": np.array(0.7)}

    def loss(p: Mapping) -> float:
        return good_loss(p) + float(np.sin(p["t"]))

    return Problem(loss, params, lambda p: {**good_grads(p), "t": np.cos(p["t"])})


def scalar_loss_of(make: Callable[[float], Any]) -> Callable[[], Problem]:
    return problem(loss=lambda p: make(good_loss(p)))


def grads_as_nested_lists(p: Mapping) -> dict:
    return {k: v.tolist() for k, v in good_grads(p).items()}


class Raising:
    """A user's derivative that raises ``exception`` at its ``at``-th call, after writing
    its parameters when ``writes`` (the check must restore them all the same)."""

    def __init__(self, derivative: Callable[..., Any], at: int, exception: type, writes: bool):
        self.derivative, self.at, self.exception, self.writes = derivative, at, exception, writes
        self.calls, self.raised = 0, None

    def __call__(self, p: Any, *args: Any) -> Any:
        self.calls += 1
        if self.calls == self.at:
            if self.writes:
                p["W1"][0, 0] += 1.0
            self.raised = self.exception(f"boom at call {self.at}")
            raise self.raised
        return self.derivative(p, *args)


def derivative_raising(
    build: Callable[[], Problem], at: int, exception: type = UserBug, writes: bool = False
) -> Callable[[], Problem]:
    """The problem ``build`` makes, its derivative replaced by one raising at call ``at``."""

    def make() -> Problem:
        prob = build()
        raising = Raising(prob.grads, at, exception, writes)
        prob.grads, prob.state["raising"] = raising, raising
        return prob

    return make


def the_users_exception(note: str | None) -> Callable[[Any, Problem], None]:
    """The derivative's own exception came out: the same object, with ``note`` among its
    notes (PEP 678), or with no note at all (None: KeyboardInterrupt passes untouched)."""

    def verify(info: pytest.ExceptionInfo, prob: Problem) -> None:
        assert info.value is prob.state["raising"].raised  # not wrapped, not re-created
        notes = getattr(info.value, "__notes__", [])
        if note is None:
            assert notes == []
        else:
            assert any(re.search(note, n) for n in notes), notes

    return verify


# f: params -> R^2 for the VJP, JVP and Jacobian checks: f = tanh(W1 @ B1)


def vector_f(p: Mapping) -> np.ndarray:
    return np.tanh(np.asarray(p["W1"]) @ np.asarray(p["B1"]))


def _slope(p: Mapping) -> np.ndarray:
    return 1 - vector_f(p) ** 2


def good_vjp(p: Mapping, u: np.ndarray) -> dict:
    du = _slope(p) * u
    return {"W1": np.outer(du, p["B1"]), "B1": p["W1"].T @ du}


def good_jvp(p: Mapping, v: Mapping) -> np.ndarray:
    return _slope(p) * (v["W1"] @ p["B1"] + p["W1"] @ v["B1"])


def good_jacobian(p: Mapping) -> dict:
    """Blocks as jax.jacobian lays them out: d out[i] / d W1[j, k], d out[i] / d B1[k]."""
    s = _slope(p)
    return {
        "W1": np.einsum("i,ij,k->ijk", s, np.eye(2), p["B1"]),
        "B1": s[:, None] * p["W1"],
    }


def dense_jacobian(p: Mapping) -> np.ndarray:
    """The (2 outputs, 6 coordinates) matrix: W1 row-major, then B1."""
    blocks = good_jacobian(p)
    return np.concatenate([blocks["W1"].reshape(2, 4), blocks["B1"]], axis=1)


def good_hessian(p: Mapping) -> np.ndarray:
    """The dense Hessian of ``good_loss``: I for W1, diag(-sin B1), and 1 where W1[j, k]
    meets B1[k]."""
    H = np.zeros((6, 6))
    H[:4, :4] = np.eye(4)
    H[4:, 4:] = np.diag(-np.sin(p["B1"]))
    for j in range(2):
        for k in range(2):
            H[2 * j + k, 4 + k] = H[4 + k, 2 * j + k] = 1.0
    return H


def good_hvp(p: Mapping, v: Mapping) -> dict:
    flat = good_hessian(p) @ np.concatenate([v["W1"].ravel(), v["B1"]])
    return {"W1": flat[:4].reshape(2, 2), "B1": flat[4:]}


def vjp_problem(**changes: Any) -> Callable[[], Problem]:
    def build() -> Problem:
        parts = {"loss": vector_f, "params": good_params(), "grads": good_vjp}
        return Problem(**{**parts, **changes}, checker=check_vjp)

    return build


def jvp_problem(**changes: Any) -> Callable[[], Problem]:
    def build() -> Problem:
        parts = {"loss": vector_f, "params": good_params(), "grads": good_jvp}
        return Problem(**{**parts, **changes}, checker=check_jvp)

    return build


def jacobian_problem(**changes: Any) -> Callable[[], Problem]:
    def build() -> Problem:
        parts = {"loss": vector_f, "params": good_params(), "grads": good_jacobian}
        return Problem(**{**parts, **changes}, checker=check_jacobian)

    return build


def hessian_problem(**options: Any) -> Callable[[], Problem]:
    def build() -> Problem:
        return Problem(good_loss, good_params(), good_grads, options, checker=check_hessian)

    return build


def hessian_raising(
    key: str, derivative: Callable[..., Any], at: int, exception: type = UserBug
) -> Callable[[], Problem]:
    """check_hessian with ``hessian`` or ``hvp`` (``key``) raising at call ``at``."""

    def build() -> Problem:
        raising = Raising(derivative, at, exception, writes=False)
        prob = hessian_problem(**{key: raising})()
        prob.state["raising"] = raising
        return prob

    return build


def bare_jacobian_problem(jacobian: Callable[[np.ndarray], Any]) -> Callable[[], Problem]:
    """f: R^3 -> R^2 of one bare array, whose Jacobian is one (2, 3) block."""
    A = np.array([[1.0, 2.0, 0.5], [-1.0, 0.3, 2.0]])

    def build() -> Problem:
        f = lambda x: np.sin(A @ x)  # noqa: E731
        J = lambda x: jacobian(np.cos(A @ x)[:, None] * A)  # noqa: E731
        return Problem(f, np.array([0.2, -0.1, 0.4]), J, checker=check_jacobian)

    return build


# --- the table -------------------------------------------------------------------------------

NAMES_PARAMS = r"(W1, B1|`W1`.*`B1`)"

CASES = [
    # the loss's values
    Case(
        "nan-loss",
        problem(loss=returning(float("nan"))),
        LossError,
        r"`loss` returned nan at the given parameters.*log\(0\), division by zero or overflow",
    ),
    Case(
        "infinite-loss",
        problem(loss=returning(float("inf"))),
        LossError,
        r"`loss` returned inf at the given parameters.*finite values",
    ),
    Case(
        "nan-only-at-a-perturbed-point",  # measured at a shorter or one-sided step instead
        nan_at_a_perturbed_point,
        verify=verify_domain_retry,
    ),
    Case(
        "nan-at-every-perturbed-point",
        nan_around_a_point,
        LossError,
        r"returned nan with B1\[0\].*smaller step `h`",
    ),
    Case(
        "non-scalar-loss",
        problem(loss=lambda p: np.full(3, good_loss(p))),
        LossError,
        r"`loss` must return a real scalar; got an array of shape \(3,\).*\.sum\(\)",
    ),
    Case(
        "string-loss",
        problem(loss=returning("0.5")),
        LossError,
        r"`loss` must return a real scalar.*<U3",
    ),
    Case(
        "none-loss",
        problem(loss=returning(None)),
        LossError,
        r"`loss` must return a real scalar; got None",
    ),
    Case(
        "complex-loss",
        problem(loss=lambda p: complex(good_loss(p), 1.0)),
        LossError,
        r"`loss` must return a real scalar.*complex",
    ),
    Case("size-one-array-loss-is-a-scalar", size_one_array_loss, verify=assert_ok),
    Case(
        "loss-changes-type-at-perturbed-points",
        loss_changing_type_at_perturbed_points,
        LossError,
        r"returned an array of shape \(3,\) with .*same kind of value",
    ),
    Case(
        "loss-mutates-its-params",
        mutating_loss,
        LossError,
        r"changed parameter `W1` in place.*copy before writing",
    ),
    Case(
        "loss-rebinds-a-dict-entry",
        loss_rebinding_an_entry,
        LossError,
        r"`W1`.*(copy|must not)",
    ),
    Case(
        "loss-clips-its-params-in-place",
        loss_clipping_in_place,
        LossError,
        r"changed parameter `W1\[1, 0\]` in place.*copy before writing",
    ),
    Case(
        "loss-raises-at-first-call",
        raising_at(1),
        UserBug,
        r"^boom at call 1$",
        assert_same_exception,
    ),
    Case(
        "loss-raises-during-refinement",
        raising_at(24, grads_with(B1=np.array([9.0, 9.0]))),  # 1 + 2 + 6 + 12 calls, then h/2
        UserBug,
        r"^boom at call 24$",
        assert_same_exception,
    ),
    # the parameters
    Case(
        "nan-in-a-parameter",
        problem(params=params_with(W1=lambda: np.array([[0.5, np.nan], [2.0, 0.75]]))),
        InvalidProblemError,
        r"parameter `W1\[0, 1\]` is nan.*Replace NaN and infinite values",
    ),
    Case(
        "inf-in-a-parameter",
        problem(params=params_with(B1=lambda: np.array([0.1, -np.inf]))),
        InvalidProblemError,
        r"parameter `B1\[1\]` is -inf.*Replace NaN and infinite values",
    ),
    Case(
        "integer-params",
        problem(params=params_with(W1=lambda: np.array([[1, 2], [3, 4]]))),
        InvalidProblemError,
        r"parameter `W1` is an integer array.*np\.asarray\(x, dtype=float\)",
    ),
    Case(
        "boolean-array-params",
        problem(params=params_with(B1=lambda: np.array([True, False]))),
        InvalidProblemError,
        r"parameter `B1` is a boolean array.*(keep it out of `params`|dtype=float)",
    ),
    Case(
        "boolean-scalar-param",
        problem(params=params_with(train=lambda: True)),
        InvalidProblemError,
        r"parameter `train` is a boolean.*keep them out of `params`",
    ),
    Case(
        "python-int-leaf",
        problem(params=params_with(n=lambda: 3)),
        InvalidProblemError,
        r"parameter `n` is an integer \(3\).*pass it as a float",
    ),
    Case(
        "object-array-params",
        problem(params=params_with(W1=lambda: np.array([[0.5, -1.25], [2.0, 0.75]], dtype=object))),
        InvalidProblemError,
        r"parameter `W1` is an object array.*np\.asarray\(x, dtype=float\)",
    ),
    Case(
        "string-leaf",
        problem(params=params_with(act=lambda: "relu")),
        InvalidProblemError,
        r"parameter `act` is a str.*numpy float arrays or floats",
    ),
    Case(
        "empty-dict-params",
        problem(params=dict),
        InvalidProblemError,
        r"`params` holds no parameters.*Pass an array",
    ),
    Case(
        "zero-size-array",
        problem(params=params_with(B1=lambda: np.zeros((0, 3)))),
        InvalidProblemError,
        r"parameter `B1` has no elements \(shape \(0, 3\)\).*Remove it from `params`",
    ),
    Case(
        "overlapping-views-of-one-buffer",
        sharing(overlapping_views),
        InvalidProblemError,
        r"parameters `W1` and `B1` share memory.*np\.copy",
    ),
    Case(
        "same-array-twice",
        sharing(same_array_twice),
        InvalidProblemError,
        r"parameters `W1` and `B1` share memory.*np\.copy",
    ),
    Case("disjoint-views-of-one-buffer", disjoint_views, verify=assert_ok),
    Case("strided-views-correct", strided_views(), verify=assert_ok),
    Case("strided-views-wrong-B1", strided_views("B1"), verify=assert_wrong("B1")),
    Case("read-only-correct", read_only(), verify=assert_ok),
    Case("read-only-wrong-W1", read_only("W1"), verify=assert_wrong("W1")),
    Case("complex-params", complex_params, verify=verify_complex),
    Case(
        "float32-loss-rejecting-float64-copies",
        float32_loss_rejecting_float64,
        verify=verify_float32_fallback,
    ),
    # the gradients
    Case(
        "grads-wrong-shape",
        problem(grads=grads_with(W1=np.zeros(4))),
        InvalidProblemError,
        r"`grads` for parameter `W1` has shape \(4,\), but the parameter has shape \(2, 2\)",
    ),
    Case(
        "grads-integer-dtype",
        problem(grads=grads_with(B1=np.array([1, 2]))),
        InvalidProblemError,
        r"`grads` for parameter `B1` has dtype int\d+.*np\.asarray\(g, dtype=float\)",
    ),
    Case(
        "grads-complex-for-real-param",
        problem(grads=grads_with(B1=np.array([1 + 1j, 2.0]))),
        InvalidProblemError,
        r"`grads` for real parameter `B1` is complex.*Return its real part",
    ),
    Case(
        "grads-nan",
        problem(grads=grads_with(W1=np.array([[1.0, 2.0], [np.nan, 4.0]]))),
        InvalidProblemError,
        r"`grads` for `W1\[1, 0\]` is nan.*must be finite.*backward pass",
    ),
    Case(
        "grads-missing-key",
        problem(grads=lambda p: {"W1": good_grads(p)["W1"]}),
        InvalidProblemError,
        r"`grads` has no entry for parameter `B1`.*one gradient per parameter",
    ),
    Case(
        "grads-extra-key",
        problem(grads=grads_with(W2=np.zeros(2))),
        InvalidProblemError,
        r"`grads` has an entry `W2` that is not a parameter.*" + NAMES_PARAMS,
    ),
    Case(
        "grads-list-for-dict-params",
        problem(grads=lambda p: list(good_grads(p).values())),
        InvalidProblemError,
        r"`grads` is a list of 2 arrays but `params` is a dict of 2 arrays \(W1 2x2, B1 2\); "
        r"give grads shaped like params, e\.g\. \{'W1': \.\.\., 'B1': \.\.\.\}, or, if its "
        r"entries follow params' keys, dict\(zip\(params, grads\)\)",
    ),
    Case(
        "grads-none",
        problem(grads=lambda p: None),
        InvalidProblemError,
        r"`grads` is None but `params` is a dict of 2 arrays \(W1 2x2, B1 2\); give grads "
        r"shaped like params, e\.g\. \{'W1': \.\.\., 'B1': \.\.\.\}",
    ),
    *[
        Case(
            f"grads-callable-writes-a-{kind}-param",
            grads_writing_its_params(kind == "strided"),
            GradientCheckError,
            r"(`grads`.*`W1`|`W1`.*`grads`).*copy",
        )
        for kind in ["contiguous", "strided"]
    ],
    # randomness
    Case(
        "stochastic-global-rng",
        stochastic_global,
        StochasticLossError,
        r"`loss` is random: it draws from the global random generator.*fix the seed",
    ),
    Case(
        "stochastic-private-generator",
        stochastic_private,
        StochasticLossError,
        r"`loss` is random: three evaluations at the same parameters gave.*fix the seed",
    ),
    # the options
    *[
        Case(
            f"h={h!r}",
            lambda h=h: Problem(good_loss, good_params(), good_grads, {"h": h}),
            StepError,
            r"`h`.*(positive finite number|give a number)",
        )
        for h in [0, 0.0, -1e-3, -1, float("nan"), float("inf"), "big", "fast", [1e-3]]
    ],
    Case(
        "h-vanishes-at-one-element",
        step_vanishing(np.float64),
        StepError,
        r"h = 1e-10 vanishes at `B1\[1\]` = 1e\+07 in float64.*Use a larger `h`",
    ),
    Case(
        "h-vanishes-at-a-float32-element",
        step_vanishing(np.float32),
        StepError,
        r"h = 1e-05 vanishes at `B1\[1\]` = 1000 in float32.*Use a larger `h`",
    ),
    Case(
        "unknown-scheme",
        lambda: Problem(good_loss, good_params(), good_grads, {"scheme": "centered"}),
        InvalidProblemError,
        r"`scheme` is 'centered'; choose one of 'forward', 'backward', 'central'",
    ),
    Case(
        "unhashable-scheme",
        lambda: Problem(good_loss, good_params(), good_grads, {"scheme": ["central"]}),
        InvalidProblemError,
        r"`scheme` is \['central'\]; choose one of",
    ),
    Case(
        "unknown-convention",
        lambda: Problem(good_loss, good_params(), good_grads, {"convention": "tensorflow"}),
        InvalidProblemError,
        r"`convention` is 'tensorflow'; choose 'pytorch' or 'jax'",
    ),
    *[
        Case(
            f"margin={margin!r}",
            lambda margin=margin: Problem(good_loss, good_params(), good_grads, {"margin": margin}),
            InvalidProblemError,
            r"`margin`.*positive",
        )
        for margin in [0.0, -4.0, float("nan")]
    ],
    Case(
        "band_scale=-1",
        lambda: Problem(good_loss, good_params(), good_grads, {"band_scale": -1.0}),
        InvalidProblemError,
        r"`band_scale`.*positive",
    ),
    Case(
        "seed='abc'",
        lambda: Problem(good_loss, good_params(), good_grads, {"seed": "abc"}),
        InvalidProblemError,
        r"`seed`.*integer",
    ),
    Case(
        "margin=0",
        lambda: Problem(good_loss, good_params(), good_grads, {"margin": 0}),
        InvalidProblemError,
        r"`margin` must be a positive finite number; got 0",
    ),
    Case(
        "margin='4'",
        lambda: Problem(good_loss, good_params(), good_grads, {"margin": "4"}),
        InvalidProblemError,
        r"`margin` must be a positive finite number; got '4'",
    ),
    *[
        Case(
            f"nondet_tol={tol!r}",
            lambda tol=tol: Problem(good_loss, good_params(), good_grads, {"nondet_tol": tol}),
            InvalidProblemError,
            r"`nondet_tol` must be a finite number >= 0; got .*two calls of the derivative",
        )
        for tol in [-1e-9, "1e-9", float("nan")]
    ],
    Case(
        "seed=-1",
        lambda: Problem(good_loss, good_params(), good_grads, {"seed": -1}),
        InvalidProblemError,
        r"`seed`.*(non-negative|>= 0)",
    ),
    Case(
        "scheme='complex-step'-for-a-check",
        lambda: Problem(good_loss, good_params(), good_grads, {"scheme": "complex-step"}),
        InvalidProblemError,
        r"`scheme` is 'complex-step'.*derivative\(f, x",
    ),
    Case(
        "promote='no'",
        lambda: Problem(good_loss, good_params(), good_grads, {"promote": "no"}),
        InvalidProblemError,
        r"`promote`.*True or False",
    ),
    # a gradient in another structure than the parameters
    Case(
        "grads-flat-vector-for-dict-params",
        problem(grads=flat_good_grads),
        InvalidProblemError,
        r"^`grads` is a flat vector of 6 numbers but `params` is a dict of 2 arrays "
        r"\(W1 2x2, B1 2\); give grads shaped like params, e\.g\. \{'W1': \.\.\., 'B1': \.\.\.\}, "
        r"or unflatten it with gradient_check\.flatten\(params\)\.unflatten\(vector\)\.$",
    ),
    Case(
        "grads-flat-vector-given-as-value",
        lambda: Problem(good_loss, good_params(), flat_good_grads(good_params())),
        InvalidProblemError,
        r"`grads` is a flat vector of 6 numbers but `params` is a dict of 2 arrays",
    ),
    Case(
        "grads-flat-vector-of-the-wrong-size",
        problem(grads=lambda p: flat_good_grads(p)[:5]),
        InvalidProblemError,
        r"`grads` is a flat vector of 5 numbers but `params` is a dict of 2 arrays "
        r"\(W1 2x2, B1 2\), 6 numbers in all; give grads shaped like params",
    ),
    Case(
        "grads-flat-vector-for-list-params",
        list_params,
        InvalidProblemError,
        r"`grads` is a flat vector of 6 numbers but `params` is a list of 2 arrays "
        r"\(\[0\] 2x2, \[1\] 2\); give grads shaped like params, e\.g\. \[\.\.\., \.\.\.\], or "
        r"unflatten it",
    ),
    Case(
        "grads-tuple-for-dict-params",
        problem(grads=lambda p: tuple(good_grads(p).values())),
        InvalidProblemError,
        r"`grads` is a tuple of 2 arrays but `params` is a dict.*dict\(zip\(params, grads\)\)",
    ),
    Case(
        "grads-dict-for-an-array-param",
        lambda: Problem(lambda w: float(np.sum(w**2)), weights(), lambda w: {"W1": 2 * w}),
        InvalidProblemError,
        r"`grads` is a dict with keys 'W1' but `params` is an array of shape \(2, 2\); give "
        r"grads shaped like params, e\.g\. an array of shape \(2, 2\)",
    ),
    Case(
        "grads-dict-inside-a-leaf",
        problem(grads=grads_with(W1={"w": np.ones((2, 2))})),
        InvalidProblemError,
        r"`grads` for parameter `W1` is a dict with keys 'w', but the parameter is an array of "
        r"shape \(2, 2\)",
    ),
    Case(
        "grads-none-leaf",  # PyTorch's .grad of a parameter the loss does not use
        problem(grads=grads_with(B1=None)),
        InvalidProblemError,
        r"`grads` for parameter `B1` is None\. Give an array of shape \(2,\) \(zeros",
    ),
    Case(
        "grads-ragged-list-leaf",
        problem(grads=grads_with(W1=[[1.0], [2.0, 3.0]])),
        InvalidProblemError,
        r"`grads` for parameter `W1` is a list of 2 entries, but the parameter is an array",
    ),
    Case("grads-as-nested-lists", problem(grads=grads_as_nested_lists), verify=assert_ok),
    Case(
        "grads-transposed-square",
        problem(grads=lambda p: {**good_grads(p), "W1": good_grads(p)["W1"].T}),
        verify=assert_wrong("W1"),
    ),
    # the parameters, more
    Case("zero-d-array-param", zero_d_param, verify=assert_ok),
    Case(
        "none-leaf-param",  # a layer without a bias
        problem(params=params_with(bias=lambda: None)),
        InvalidProblemError,
        r"parameter `bias` is None\. .*leave out what is not one",
    ),
    Case(
        "set-params",
        lambda: Problem(lambda p: 0.0, {1.0, 2.0}, [0.0, 0.0]),
        InvalidProblemError,
        r"parameter `params` is a set",
    ),
    *(
        [
            Case(
                "long-double-params",
                problem(params=params_with(W1=lambda: weights().astype(np.longdouble))),
                InvalidProblemError,
                r"parameter `W1` is float(96|128) \(extended precision\).*astype\(np\.float64\)",
            )
        ]
        if np.finfo(np.longdouble).eps < np.finfo(np.float64).eps
        else []
    ),
    # the loss, more
    Case(
        "loss-not-callable",
        lambda: Problem(good_loss(good_params()), good_params(), good_grads),
        InvalidProblemError,
        r"`loss` is a single number, not a function: pass a function loss\(params\)",
    ),
    Case(
        "loss-takes-two-arguments",
        problem(loss=lambda p, data: good_loss(p)),
        InvalidProblemError,
        r"`loss` cannot be called as loss\(params\): its signature is \(p, data\)",
    ),
    Case(
        "loss-returns-a-dict",
        scalar_loss_of(lambda v: {"loss": v}),
        LossError,
        r"`loss` must return a real scalar; got a dict.*check_jacobian",
    ),
    Case(
        "loss-returns-a-bool",
        scalar_loss_of(lambda v: v > 0),
        LossError,
        r"`loss` must return a real scalar; got a bool",
    ),
    Case("loss-returns-a-1x1-array", scalar_loss_of(lambda v: np.array([[v]])), verify=assert_ok),
    Case("loss-returns-a-numpy-scalar", scalar_loss_of(np.float64), verify=assert_ok),
    Case("loss-returns-a-one-item-list", scalar_loss_of(lambda v: [v]), verify=assert_ok),
    # the user's derivative functions
    Case(
        "grads-takes-two-arguments",
        problem(grads=lambda p, data: good_grads(p)),
        InvalidProblemError,
        r"`grads` cannot be called as grads\(params\): its signature is \(p, data\)",
    ),
    Case(
        "grads-raises-at-first-call",
        derivative_raising(problem(), 1),
        UserBug,
        r"^boom at call 1(\n|$)",
        the_users_exception(
            r"gradient_check\.check called `grads\(params\)` and it raised, at call 1 "
            r"\(the nondeterminism probe"
        ),
    ),
    Case(
        "grads-raises-when-read",
        derivative_raising(problem(), 3),
        UserBug,
        r"^boom at call 3(\n|$)",
        the_users_exception(r"`grads\(params\)` and it raised, at call 3 \(reading"),
    ),
    Case(
        "grads-writes-then-is-interrupted",
        derivative_raising(problem(), 1, KeyboardInterrupt, writes=True),
        KeyboardInterrupt,
        r"^boom at call 1$",
        the_users_exception(None),
    ),
    Case(
        "vjp-returns-a-flat-vector",
        vjp_problem(grads=lambda p, u: flat_good_grads(good_vjp(p, u))),
        InvalidProblemError,
        r"`vjp\(params, cotangent\)` is a flat vector of 6 numbers but `params` is a dict of 2 "
        r"arrays \(W1 2x2, B1 2\);.*unflatten\(vector\)",
    ),
    Case(
        "vjp-returns-a-list-for-dict-params",
        vjp_problem(grads=lambda p, u: list(good_vjp(p, u).values())),
        InvalidProblemError,
        r"`vjp\(params, cotangent\)` is a list of 2 arrays but `params` is a dict",
    ),
    Case(
        "vjp-takes-one-argument",
        vjp_problem(grads=lambda p: good_vjp(p, np.ones(2))),
        InvalidProblemError,
        r"`vjp` cannot be called as vjp\(params, cotangent\): its signature is \(p\)",
    ),
    Case(
        "vjp-given-as-a-matrix",
        vjp_problem(grads=dense_jacobian(good_params())),
        InvalidProblemError,
        r"`vjp` is an array of shape \(2, 6\), not a function.*use check_jacobian",
    ),
    Case(
        "vjp-takes-its-arguments-swapped",
        vjp_problem(grads=lambda u, p: good_vjp(p, u)),
        IndexError,  # the user's own error, from indexing the cotangent by "W1"
        r"valid indices",
        lambda info, _prob: re.search(
            r"check_vjp called `vjp\(params, cotangent\)` \(arguments in that order\) and it "
            r"raised, at call 1 \(the linearity probe",
            "\n".join(info.value.__notes__),
        ),
    ),
    Case(
        "vjp-raises-building-the-jacobian",
        derivative_raising(vjp_problem(), 9),  # 5 linearity + 2 repeat calls, then rows
        UserBug,
        r"^boom at call 9(\n|$)",
        the_users_exception(r"`vjp\(params, cotangent\)`.*at call 9 \(the Jacobian row by row"),
    ),
    Case(
        "vjp-negative-nondet-tol",
        vjp_problem(options={"nondet_tol": -1.0}),
        InvalidProblemError,
        r"`nondet_tol` must be a finite number >= 0; got -1\.0",
    ),
    Case(
        "vjp-random-mode-numpy-int-directions",
        vjp_problem(options={"mode": "random", "directions": np.int64(2)}),
        verify=assert_ok,
    ),
    Case(
        "jvp-returns-params-shaped",
        jvp_problem(grads=lambda p, v: good_vjp(p, np.ones(2))),
        InvalidProblemError,
        r"`jvp\(params, tangent\)` returned a dict with keys 'W1', 'B1', but f's output has "
        r"shape \(2,\); return a structure like f's output",
    ),
    Case(
        "jvp-returns-the-wrong-length",
        jvp_problem(grads=lambda p, v: good_jvp(p, v)[:1]),
        InvalidProblemError,
        r"`jvp\(params, tangent\)` returned a flat vector of 1 number, but f's output has shape",
    ),
    Case(
        "jvp-returns-complex-for-a-real-f",
        jvp_problem(grads=lambda p, v: good_jvp(p, v).astype(complex)),
        InvalidProblemError,
        r"`jvp\(params, tangent\)` returned complex values for the real output `out`",
    ),
    Case(
        "jvp-raises",
        derivative_raising(jvp_problem(), 2),
        UserBug,
        r"^boom at call 2(\n|$)",
        the_users_exception(r"check_jvp called `jvp\(params, tangent\)`.*at call 2"),
    ),
    Case(
        "jacobian-dense-for-dict-params",
        jacobian_problem(grads=dense_jacobian),
        verify=assert_ok,
    ),
    Case(
        "jacobian-dense-transposed",
        jacobian_problem(grads=lambda p: dense_jacobian(p).T),
        InvalidProblemError,
        r"`jacobian` is an array of shape \(6, 2\), but f has 2 real outputs and `params` holds "
        r"6 numbers\. Give a dense \(2, 6\) matrix.*W1, B1; or blocks like jax\.jacobian.*"
        r"W1 \(2, 2, 2\), B1 \(2, 2\).*looks transposed",
    ),
    Case(
        "jacobian-dense-flattened",
        jacobian_problem(grads=lambda p: dense_jacobian(p).ravel()),
        InvalidProblemError,
        r"`jacobian` is an array of shape \(12,\).*reshape it to \(2, 6\)",
    ),
    Case(
        "jacobian-blocks-as-a-list",
        jacobian_problem(grads=lambda p: list(good_jacobian(p).values())),
        InvalidProblemError,
        r"`jacobian` has no block for output `out` and parameter `W1`\. Give a dense \(2, 6\)",
    ),
    Case(
        "jacobian-none",
        jacobian_problem(grads=lambda p: None),
        InvalidProblemError,
        r"`jacobian` is None\. Give a dense \(2, 6\) matrix",
    ),
    Case(
        "jacobian-of-one-array-transposed",
        bare_jacobian_problem(lambda J: J.T),
        InvalidProblemError,
        r"`jacobian` block for output `out` and parameter `params` has shape \(3, 2\).*"
        r"expected floats of shape \(2, 3\).*looks transposed",
    ),
    Case(
        "jacobian-ragged-lists",
        bare_jacobian_problem(lambda J: [[1.0], [2.0, 3.0]]),
        InvalidProblemError,
        r"`jacobian` block .* is a ragged nesting of sequences; expected floats of shape \(2, 3\)",
    ),
    Case(
        "jacobian-raises",
        derivative_raising(jacobian_problem(), 3),
        UserBug,
        r"^boom at call 3(\n|$)",
        the_users_exception(r"check_jacobian called `jacobian\(params\)`.*at call 3"),
    ),
    Case(
        "hessian-flattened",
        hessian_problem(hessian=good_hessian(good_params()).ravel()),
        InvalidProblemError,
        r"`hessian` is an array of shape \(36,\), but grad has 6 real outputs.*"
        r"reshape it to \(6, 6\)",
    ),
    Case(
        "hessian-grad-returns-a-scalar",
        lambda: Problem(
            good_loss, good_params(), good_loss, {"hessian": np.eye(6)}, checker=check_hessian
        ),
        InvalidProblemError,
        r"`grad` returned 1 real value but `params` holds 6: grad\(params\) returns the gradient",
    ),
    Case(
        "hessian-grad-given-as-values",
        lambda: Problem(
            good_loss,
            good_params(),
            good_grads(good_params()),
            {"hessian": np.eye(6)},
            checker=check_hessian,
        ),
        InvalidProblemError,
        r"`grad` is a dict with keys 'W1', 'B1', not a function.*differentiates",
    ),
    Case(
        "hessian-raises",
        hessian_raising("hessian", good_hessian, 1),
        UserBug,
        r"^boom at call 1(\n|$)",
        the_users_exception(r"check_hessian called `hessian\(params\)`"),
    ),
    Case(
        "hvp-raises",
        hessian_raising("hvp", good_hvp, 6),
        UserBug,
        r"^boom at call 6(\n|$)",
        the_users_exception(r"`hvp\(params, vector\)` \(arguments in that order\).*call 6"),
    ),
    Case(
        "hvp-interrupted",
        hessian_raising("hvp", good_hvp, 2, KeyboardInterrupt),
        KeyboardInterrupt,
        r"^boom at call 2$",
        the_users_exception(None),
    ),
]

# Exceptions a check lets through as the user raised them (the loss's, a derivative's)
USERS_OWN = (UserBug, KeyboardInterrupt, IndexError)


# --- the test --------------------------------------------------------------------------------


def snapshot(node: Any) -> Any:
    """Everything about a structure of parameters that a check must leave as it was."""
    if isinstance(node, Mapping):
        return (type(node), id(node), [(k, snapshot(v)) for k, v in node.items()])
    if isinstance(node, (list, tuple)):
        return (type(node), id(node), [snapshot(v) for v in node])
    if isinstance(node, np.ndarray):
        flags = (node.flags.writeable, node.flags.c_contiguous)
        return (id(node), node.dtype.str, node.shape, node.strides, flags, node.tobytes())
    return (type(node), id(node), np.asarray(node).tobytes() if np.isscalar(node) else None)


def test_table_is_large_and_ids_are_unique():
    assert len(CASES) >= 24
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize(
    "case",
    [pytest.param(c, marks=pytest.mark.xfail(reason=c.xfail)) if c.xfail else c for c in CASES],
    ids=[case.id for case in CASES],
)
def test_malformed_problem(case: Case):
    prob = case.build()
    before = snapshot(prob.params)
    extra_before = [a.tobytes() for a in prob.extra]
    np.random.seed(1234)
    rng_before = np.random.get_state()

    if case.raises is None:
        outcome = prob.checker(prob.loss, prob.params, prob.grads, **prob.options)
    else:
        if case.raises not in USERS_OWN:
            assert issubclass(case.raises, GradientCheckError), "the package's own error type"
        with pytest.raises(case.raises, match=case.match) as outcome:
            prob.checker(prob.loss, prob.params, prob.grads, **prob.options)
    if case.verify is not None:
        case.verify(outcome, prob)

    assert snapshot(prob.params) == before, "the user's parameters changed"
    assert [a.tobytes() for a in prob.extra] == extra_before, "an underlying buffer changed"
    rng_after = np.random.get_state()
    assert rng_after[0] == rng_before[0] and np.array_equal(rng_after[1], rng_before[1])
    assert rng_after[2:] == rng_before[2:], "the global RNG state changed"
