"""The precision f really computes in, measured, and the evidence it rests on.

A function may compute in lower precision than it returns (a float32 model whose loss comes
back through .item(), float32 data cast inside), and a float64 function may look like one
(constant near theta, first-order changes that cancel, a large constant offset). For each
lower precision d (float32, then float16) the probe moves every nonzero theta_i along u:
one ulp of d beyond theta_i's own rounding in d (away from zero where theta_i is a value
of d, so that a norm or a sum of logs cannot cancel; towards its rounding otherwise). It
concludes "f computes in d" only on these pieces of evidence together:

* f(theta + u / 8) == f(theta), bit for bit: every element stayed inside its cell of d,
  so a function computing in d cannot see that move;
* f changes at theta +/- m u, m ulps of d either way (a float64-sized move, PREDICT, for
  float32; PREDICT_ULPS for float16), on both sides and in opposite directions (a jump
  on one side, a staircase, is not rounding);
* the probe was informative: that central difference predicts a change at u / 8 of
  INFORMATIVE times the rounding of f in the next finer precision, so a function
  computing in that one would have changed there;
* the change is a smooth one, proportional to the move: at +/- 2m u the change is twice
  that at +/- m u and still odd (f(+2m) - f(-2m) = 2 (f(+m) - f(-m)) and f(+k) + f(-k) =
  2 f(0) for k = m, 2m), within SLACK of the change plus ROUNDINGS roundings of f in d.
  A staircase (floor, ceil, a threshold over many elements) is flat inside its steps too,
  and a move of m ulps crosses a few of its jumps each way; but it changes by whole jumps,
  as many as the move happens to cross, which is not proportional to the move.

f unchanged at every move (up to PREDICT_ULPS float16 ulps, ~4e-3 relative) is locally
constant: float64 and flat, never a reason for longer steps. Anything else keeps the finer
precision. No seed is used: the precision found, and so a deterministic function's
outcome, never depends on `seed`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .evaluate import Evaluator
from .flatten import ParameterVector
from .gapstore import zero_gaps
from .judge import FirstPass
from .outputs import OutputSpec
from .workspace import Workspace

LOWER = (np.float32, np.float16)  # what a function may compute in below what it returns
SUB_ULP = 1 / 8  # the sub-ulp move, in ulps of d: inside every element's cell of d
# The prediction's move, relative: a float64-sized step (eps^(1/3) = 6e-6), where a float64
# check steps anyway; some 84 float32 ulps, so a float32 function's change there shows.
PREDICT = 1e-5
PREDICT_ULPS = 4  # ... and at least this many ulps of d (one float16 ulp is 1e-3)
INFORMATIVE = 64.0  # the predicted change at the sub-ulp move, in roundings of f (above)
# Proportionality: the change at +/- 2m ulps against twice that at +/- m (and their even
# parts against 0) may differ by SLACK of the change, plus ROUNDINGS of d's rounding of f
# (a function computing in d rounds each of its values by about eps_d |f|). A staircase's
# changes are sums of a few of its jumps, off by whole jumps: far outside both.
SLACK = 0.25
ROUNDINGS = 4.0
ALTERNATING = np.array([1.0, -1.0])  # the second direction's signs, element by element
PIECE = 1 << 16  # elements moved at once


@dataclass(frozen=True)
class Precision:
    """The machine epsilon f computes with, whether f is locally constant, and why."""

    resolution: float
    flat: bool  # f returned f(theta) bit for bit at every move: locally constant
    evidence: str  # what the conclusion rests on, one sentence for the report's notes
    evaluations: int


def dtype_name(eps: float) -> str:
    """The float dtype whose machine epsilon is ``eps``, by name."""
    for dtype in (np.float16, np.float32, np.float64):
        if eps == np.finfo(dtype).eps:
            return np.dtype(dtype).name
    return f"eps {eps:.1e}"


def ulp_move(theta: np.ndarray, dtype: type) -> np.ndarray:
    """theta with every nonzero element in dtype's range moved to the value of ``dtype``
    next beyond its own rounding in ``dtype``: towards that rounding where theta_i is not a
    value of dtype, away from zero where it is. Other elements stay where they are."""
    info = np.finfo(dtype)
    movable = (theta != 0) & (np.abs(theta) >= info.tiny) & (np.abs(theta) < info.max / 2)
    inside = np.where(movable, theta, 1.0)
    cell = inside.astype(dtype)
    towards = np.sign(cell.astype(np.float64) - inside)
    side = np.where(towards != 0, towards, np.sign(inside)).astype(dtype)
    target = np.nextafter(cell, side * np.asarray(np.inf, dtype=dtype)).astype(np.float64)
    return np.where(movable, target, theta)


class UlpMove:
    """theta moved by k times its elements' ulps in a lower precision (``ulp_move(theta,
    dtype) - theta``, every other sign flipped when ``alternate``), built a piece at a time
    into the point itself: no array of the moves the size of theta is held."""

    def __init__(self, theta: np.ndarray, dtype: type) -> None:
        self.theta, self.dtype = theta, dtype

    def pieces(self) -> Iterator[tuple[slice, np.ndarray]]:
        for start in range(0, self.theta.size, PIECE):  # PIECE is even: signs stay in step
            part = slice(start, start + PIECE)
            yield part, ulp_move(self.theta[part], self.dtype) - self.theta[part]

    def any(self) -> bool:
        """Whether some element moves (a nonzero in the precision's range)."""
        return any(bool(np.any(move)) for _, move in self.pieces())

    def point(self, k: float, alternate: bool) -> np.ndarray:
        """theta + k move, as a (1, n) batch of one point."""
        out = np.empty((1, self.theta.size))
        for part, move in self.pieces():
            if alternate:
                move[1::2] *= ALTERNATING[1]
            np.multiply(k, move, out=out[0, part])
            out[0, part] += self.theta[part]
        return out


def measure_precision(
    evaluator: Evaluator, workspace: Workspace, spec: OutputSpec, f0: np.ndarray
) -> Precision:
    """The precision f computes in (``Precision``), by the evidence rule of this module.

    One evaluation for a float64 function (it changes at 1/8 of a float32 ulp), four for a
    float32 one, six for float16 or a locally constant function.
    """
    theta = workspace.centre_values()
    coarsest = max(float(np.finfo(d).eps) for d in workspace.eval_dtypes)
    base = max(spec.eps, coarsest)
    candidates = [d for d in LOWER if float(np.finfo(d).eps) > base]
    if not candidates:
        return Precision(base, False, f"precision {dtype_name(base)}: its dtypes", 0)
    if not np.any(theta):
        why = "every parameter is 0, nothing to move"
        return Precision(base, False, f"precision {dtype_name(base)} from its dtypes: {why}", 0)
    resolution, finer, tries, evidence, moved, reached = base, base, 0, "", False, ""

    def unchanged(k: float, move: tuple[UlpMove, bool], what: str) -> tuple[bool, np.ndarray]:
        nonlocal tries, moved  # whether f at theta + k move is f0 bit for bit, and f there
        tries += 1
        point = move[0].point(k, move[1])
        y = evaluator.at_thetas(point, lambda _: f"with every element moved {what}")[0]
        same = bool(np.array_equal(y, f0))
        moved |= not same
        return same, y

    for dtype in candidates:
        name, eps = np.dtype(dtype).name, float(np.finfo(dtype).eps)
        one = UlpMove(theta, dtype)
        if not one.any():
            continue  # no element is a nonzero in d's range: nothing to learn about d
        reached, m = name, float(np.ceil(max(PREDICT / eps, PREDICT_ULPS)))
        changed, plus, minus = False, None, None
        # away from zero first; then with alternating signs, since f may not change along
        # theta itself (g . theta = 0: a fitted scale, a normalised input)
        for alternate in (False, True):
            move = (one, alternate)
            if not unchanged(SUB_ULP, move, f"by 1/8 of a {name} ulp")[0]:
                changed = True
                break
            plus_same, plus = unchanged(m, move, f"by {m:g} {name} ulps")
            minus_same, minus = unchanged(-m, move, f"by -{m:g} {name} ulps")
            if not (plus_same and minus_same):
                break
            plus = minus = None
        if changed:
            evidence = evidence or f"it changed when every element moved by 1/8 of a {name} ulp"
            break
        if plus is None:  # not even m ulps of d show either way: coarser still, or constant
            finer = eps
            continue
        seen, rounding, straight = predicted_change(plus, minus, f0, m, finer)
        if straight:  # a smooth change both ways, or a staircase's jumps? twice the move
            _, plus2 = unchanged(2 * m, move, f"by {2 * m:g} {name} ulps")
            _, minus2 = unchanged(-2 * m, move, f"by -{2 * m:g} {name} ulps")
            straight = proportional(np.stack([minus2, minus, f0, plus, plus2]), eps)
            evidence = evidence or ("" if straight else staircase_evidence(name, m))
        if straight and finer > resolution:
            # blind to m ulps of the finer precision, which a smooth change both ways now
            # shows is no flat stretch: f computes in that precision at least as coarsely
            resolution = finer
        if not (straight and seen >= INFORMATIVE * rounding):
            evidence = evidence or (
                f"it did not change at 1/8 of a {name} ulp, but a central difference over "
                f"+/-{m:g} ulps predicts only {seen:.1e} there (against {dtype_name(finer)}'s "
                f"rounding of f, {rounding:.1e}), or changes on one side only or not in "
                "proportion to the move (a staircase's jumps): the probe cannot tell, so the "
                "finer precision is kept"
            )
            break
        evidence = (
            f"measured: f did not change when every element moved by 1/8 of a {name} ulp, "
            f"though a central difference over +/-{m:g} ulps predicts {seen:.1e} there, far "
            f"above {dtype_name(finer)}'s rounding of f ({rounding:.1e})"
        )
        resolution = finer = eps
    if not tries:
        evidence = "from its dtypes: no element lies in a lower precision's range"
    elif not moved:
        evidence = (
            f"f did not change at all when every element moved by up to {PREDICT_ULPS} "
            f"{reached} ulps: locally constant, so taken as {dtype_name(base)} and never "
            "stepped further"
        )
        return Precision(base, True, f"precision {dtype_name(base)}: {evidence}", tries)
    return Precision(resolution, False, f"precision {dtype_name(resolution)}: {evidence}", tries)


def predicted_change(
    plus: np.ndarray, minus: np.ndarray, f0: np.ndarray, m: float, finer: float
) -> tuple[float, float, bool]:
    """For the output where the sub-ulp move is most informative: the change the central
    difference over +/- m ulps predicts at SUB_ULP of one, f's rounding there in the finer
    precision, and whether f moved both ways, in opposite directions (no jump)."""
    seen = np.abs(plus - minus) / (2 * m) * SUB_ULP
    rounding = finer * np.maximum.reduce([np.abs(f0), np.abs(plus), np.abs(minus)])
    best = int(np.argmax(seen / np.maximum(rounding, np.finfo(float).tiny)))
    straight = bool((plus[best] - f0[best]) * (minus[best] - f0[best]) < 0)
    finite = bool(np.isfinite(plus[best]) and np.isfinite(minus[best]))
    return float(seen[best]), float(rounding[best]), straight and finite


def staircase_evidence(name: str, m: float) -> str:
    """The note for a function flat at a sub-ulp move whose changes at +/- m and +/- 2m
    ulps of ``name`` are not in proportion to the move: whole jumps, not rounding."""
    return (
        f"it did not change at 1/8 of a {name} ulp, but its changes at +/-{m:g} and "
        f"+/-{2 * m:g} {name} ulps are not in proportion to the move: jumps (a staircase "
        "such as floor or a threshold), not rounding, so the finer precision is kept"
    )


def proportional(values: np.ndarray, eps: float) -> bool:
    """Whether f's values at theta + k u, k = -2m, -m, 0, m, 2m (rows of ``values``, one
    column per output) change in proportion to the move, as a function computing in a
    precision of machine epsilon ``eps`` does at a few of its ulps: for every output

        |(f(2m) - f(-2m)) - 2 (f(m) - f(-m))| and |f(k) + f(-k) - 2 f(0)|, k = m, 2m,

    at most SLACK |f(2m) - f(-2m)| + ROUNDINGS eps max|f| (curvature over a few ulps is far
    below both). A staircase moves by whole jumps, as many as each move crosses: neither
    twice as much at twice the move nor the same both ways. Non-finite values never are."""
    if not np.all(np.isfinite(values)):
        return False
    minus2, minus, centre, plus, plus2 = values
    change = np.abs(plus2 - minus2)
    allowed = SLACK * change + ROUNDINGS * eps * np.max(np.abs(values), axis=0)
    odd = np.abs((plus2 - minus2) - 2 * (plus - minus))
    even = np.maximum(np.abs(plus + minus - 2 * centre), np.abs(plus2 + minus2 - 2 * centre))
    return bool(np.all((odd <= allowed) & (even <= allowed)))


def independent_notes(
    probes: ParameterVector, first: FirstPass, analytic: np.ndarray
) -> tuple[str, ...]:
    """A note naming the parameters f does not depend on near theta: f bitwise unchanged at
    theta +/- h for every element (central differences and gaps exactly 0) and an analytic
    derivative exactly 0 too. Said as what it is rather than left to a relative diff of 0/0."""
    if first.gaps is None or probes.size == 0:
        return ()
    zero = np.all(first.primary == 0, axis=1) & np.all(zero_gaps(first.gaps), axis=1)
    zero &= np.all(analytic == 0, axis=1)
    names = [f"`{s.name}`" for s in probes.slots if s.size and zero[s.offset : s.stop].all()]
    if not names:
        return ()
    which = "any parameter" if len(names) == len(probes.slots) else ", ".join(names)
    return (
        f"the function does not depend on {which} near theta: every difference is exactly 0 "
        "(f unchanged at theta +/- h), and so is the analytic derivative",
    )
