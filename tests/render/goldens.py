"""Golden files of rendered reports, and the small checks they show.

Nothing is masked, since every printed number is the same on any machine: every value is
a short binary fraction, the step is 2**-10 (2**-18 for float32) and the functions are
polynomials or |x|, so each evaluation and difference quotient is exact in IEEE arithmetic
whatever BLAS or SIMD path computes it. After a deliberate change of the layout,
regenerate the files with ``UPDATE_GOLDEN=1 pytest tests/render`` and read the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from gradient_check import Report, check, check_jacobian

GOLDEN = Path(__file__).parent / "golden"
H = 2.0**-10
W1 = np.array([[1.5, -0.25, 2.0], [0.75, -1.0, 0.5], [3.0, 0.125, -2.5]])
B1 = np.array([0.5, -1.5])


def _quadratic(p: dict) -> float:
    return float(np.sum(p["W1"] ** 2) / 2 + 1.5 * np.sum(p["B1"] ** 2))


def correct() -> Report:
    """A right gradient: every difference is exact, every diff 0."""
    return check(
        _quadratic, {"W1": W1, "B1": B1}, lambda p: {"W1": p["W1"], "B1": 3 * p["B1"]}, h=H
    )


def wrong_w1() -> Report:
    """W1's gradient is 2 W1 + 0.25 instead of W1: all nine elements wrong, B1 right.

    Analytic and numeric differ at every element and not symmetrically, so the table would
    change if the two columns were swapped.
    """
    return check(
        _quadratic,
        {"W1": W1, "B1": B1},
        lambda p: {"W1": 2 * p["W1"] + 0.25, "B1": 3 * p["B1"]},
        h=H,
    )


def kink() -> Report:
    """|w| at w[0] = 0: the analytic 0 is a valid subgradient between slopes -1 and 1."""
    return check(
        lambda p: float(np.sum(np.abs(p["w"])) + np.sum(p["v"] ** 2) / 2),
        {"w": np.array([0.0, 1.5, -0.5]), "v": np.array([0.25, -2.0])},
        lambda p: {"w": np.sign(p["w"]), "v": p["v"]},
        h=H,
    )


def kink_band() -> Report:
    """|w| at w[0] = 0 given the subgradient 0.5: a pass whose texts' band says "wrong".

    The numeric difference there is 0 and every other element is exact, so the whole
    relative difference 0.5 / (1.5 + sqrt(2)) ~ 1.7e-01 comes from the kink.
    """
    return check(
        lambda p: float(np.sum(np.abs(p["w"])) + np.sum(p["v"] ** 2) / 2),
        {"w": np.array([0.0, 1.5, -0.5]), "v": np.array([0.25, -2.0])},
        lambda p: {"w": np.where(p["w"] == 0, 0.5, np.sign(p["w"])), "v": p["v"]},
        h=H,
    )


C = np.array([0.5, -1.5, 2.0])


def stationary() -> Report:
    """The minimum of 1.5 + ||w - C||^2 / 2, with 2**-44 of rounding left in the gradient.

    Every difference is exactly 0, so the relative difference is 1: meaningless at a
    stationary point, where the check judges absolutely (against the curvature x |C|).
    """
    return check(
        lambda p: float(1.5 + np.sum((p["w"] - C) ** 2) / 2),
        {"w": C.copy()},
        lambda p: {"w": p["w"] - C + 2.0**-44},
        h=H,
    )


A = np.array([[1.0, 2.0], [-0.5, 0.25], [3.0, -1.0]])


def jacobian() -> Report:
    """Outputs y = A x and s = x[0] c; the block ds/dc is given as x[1] instead of x[0]."""

    def f(p: dict) -> dict:
        return {"y": A @ p["x"], "s": p["x"][:1] * p["c"]}

    def blocks(p: dict) -> dict:
        x, c = p["x"], p["c"]
        return {
            "y": {"x": A, "c": np.zeros((3, 1))},
            "s": {"x": np.array([[c[0], 0.0]]), "c": np.array([[x[1]]])},
        }

    return check_jacobian(f, {"x": np.array([0.5, -2.0]), "c": np.array([1.25])}, blocks, h=H)


def cannot_tell() -> Report:
    """A float32 loss at a step of 2**-18: its rounding swamps what a difference could show."""

    def loss(p: dict) -> float:
        w = np.asarray(p["w"], dtype=np.float32)
        return float(np.sum(w * w))

    return check(
        loss,
        {"w": np.array([1.5, -0.75], dtype=np.float32)},
        lambda p: {"w": 2 * p["w"]},
        h=2.0**-18,
    )


PROBLEMS = {
    "correct": correct,
    "wrong_w1": wrong_w1,
    "kink": kink,
    "kink_band": kink_band,
    "stationary": stationary,
    "jacobian": jacobian,
    "cannot_tell": cannot_tell,
}


def golden(name: str, text: str) -> str:
    """The golden file ``name``; with UPDATE_GOLDEN=1 in the environment, write it first."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    return path.read_text(encoding="utf-8")
