"""Reports of every kind, built once per session: what the JSON and HTML forms are tested on.

The golden problems (goldens.py) give gradients with wrong elements, kinks, a stationary
point, a "cannot tell" and a Jacobian; here are added a VJP (full, random with its
``extra``, and one ignoring its cotangent: a structural problem), a JVP, a Hessian (its
``extra`` asymmetry), and a hand-made report carrying what checks rarely produce together:
unconfirmed and undecided elements, non-finite numbers, numpy values in ``extra``, advice.
"""

from __future__ import annotations

import dataclasses
from functools import cache

import numpy as np
from goldens import PROBLEMS

from gradient_check import Element, Report, check_hessian, check_jvp, check_vjp

A = np.array([[1.0, 2.0, 0.5], [-1.0, 0.3, 2.0], [0.7, -0.4, 1.1]])
X = np.array([0.2, -0.1, 0.4])


def _f(x: np.ndarray) -> np.ndarray:
    return np.sin(A @ x)


def _vjp(x: np.ndarray, u: np.ndarray) -> np.ndarray:
    return A.T @ (np.cos(A @ x) * u)


def _quartic(x: np.ndarray) -> float:
    return float(np.sum(x**4) / 4 + x[0] * x[1])


def _quartic_grad(x: np.ndarray) -> np.ndarray:
    return x**3 + np.array([x[1], x[0], 0.0])


def _quartic_hessian(x: np.ndarray) -> np.ndarray:
    return np.diag(3 * x**2) + np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])


def hand_made(report: Report) -> Report:
    """``report`` with unconfirmed and undecided elements, NaN and inf numbers, numpy
    values in ``extra``, advice and a problem: everything a document must carry."""
    row = report.parameters[0]
    noise = Element("w[1]", 1.5, 1.5000001, 1e-9, "noise")
    jump = Element("w[2]", -0.5, float("inf"), float("nan"), "jump", low=-1.0, high=float("-inf"))
    odd = dataclasses.replace(
        row,
        noise=(noise,),
        undecided=(jump,),
        noise_count=1,
        undecided_count=3,
        advice="a longer step, or float64",
        max_rel_error=float("nan"),
        errors=(0.5, float("inf"), float("nan")),
    )
    return dataclasses.replace(
        report,
        parameters=(odd, *report.parameters[1:]),
        problems=("the backward pass is nondeterministic",),
        extra={"asymmetry": np.float64(2.5e-3), "sizes": np.arange(3), "when": (1, "a")},
        band_scale=2.0,
    )


@cache
def every_kind() -> dict[str, Report]:
    """Reports of every kind and finding, by name."""
    reports = {name: build() for name, build in PROBLEMS.items()}
    reports["vjp"] = check_vjp(_f, X, _vjp)
    reports["vjp_random"] = check_vjp(_f, X, _vjp, mode="random", directions=2, seed=3)
    reports["vjp_not_linear"] = check_vjp(_f, X, lambda x, u: A.T @ np.cos(A @ x))
    reports["jvp_wrong"] = check_jvp(_f, X, lambda x, t: np.cos(A @ x) * (A.T @ t))
    reports["hessian"] = check_hessian(_quartic, X, _quartic_grad, hessian=_quartic_hessian)
    reports["hand_made"] = hand_made(reports["kink"])
    return reports
