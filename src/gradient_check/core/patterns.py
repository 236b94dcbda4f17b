"""What a difference at two steps says about f near theta_i: smooth, kink, jump, or unclear.

A central difference at step h gives the one-sided slopes m(h) = (f0 - f(-h)) / h and
p(h) = (f(+h) - f0) / h. As h shrinks, for a smooth f their gap p - m = h f'' shrinks like
h and D(h) - f' like h^p; at a kink at theta the gap stays (f'(+) - f'(-)); at a jump at
theta the increments f(+h) - f0 (or f0 - f(-h)) stay at the jump J, so a slope grows like
J / h; a kink or jump elsewhere inside the step moves the slopes in none of these patterns
until the step no longer reaches it. ``read_pair`` reads the two shortest steps of a
``Ladder`` (and the third, for the trend of the truncation) and decides each element, or
leaves it UNDECIDED for a shorter step; with ``final`` it decides every element.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .estimate import PairReading, jumps, richardson_pair
from .judge import GAP_NOISE, JUMP, KINK, OK, REMOVABLE, UNRESOLVED, WRONG
from .ladder import Ladder

UNDECIDED = -1  # a status for "measure again at a shorter step"
KINK_ROUNDING = 4.0  # a bracketed element's error, in units of the two steps' rounding
SLOPE_CHANGE_NOISE = 3.0  # noise of a one-sided slope's change between the steps, in roundings
LOPSIDED_SHARE = 0.5  # slopes that moved this much more on one side than on the other
# A smooth f's gap shrinks by the step ratio r: within this share of gap / r it is smooth
SMOOTH_GAP_SHARE = 0.5
# A kink at theta keeps its gap, and its slopes barely move: each by at most this share
STABLE_SHARE = 0.25
# A jump's implied slope J / h beyond this many times the slopes either side of it: a
# kink at distance d < h gives at most |f'(+) - f'(-)| d / h, bounded by those slopes
JUMP_SLOPES = 2.0
# A single pair is trusted to confirm "wrong" only where D moved between its steps by this
# little against the disagreement: no plausible misestimate of the truncation closes it
TRUSTED_SHARE = 0.1
# At a jump, "far outside" the slopes either side of it: beyond margin x error plus this
# share of their magnitude (half the slope: a doubled derivative is far outside)
JUMP_SLACK = 0.5
JUMP_AGREE = 0.25  # a jump settled: J at two pairs of steps within this share of itself
# A point apart: f(theta +/- h) - f0 the same J either side, within this share and the noise
APART_SHARE = 1e-3
# A kink settled: the one-sided derivatives (the slopes' limits) from two pairs of steps
# agree within one rounding of each slope and this share of the gap (a kink at distance d
# moves them by about the gap x d / h: a kink within 2 % of the step counts as at theta)
SETTLED_SHARE = 0.02
DEEP_RATIO = 16.0  # a pair of steps this far apart: refinement's jump to its shortest step


@dataclass(frozen=True)
class Refined:
    """Elements judged at a pair of steps: status codes (UNDECIDED: measure again), best
    numeric value, its error, the bracket (a kink's one-sided slopes, a jump's slopes
    either side of it; NaN elsewhere), |c| of the truncation c h^p where f was smooth (0
    elsewhere: it tells the first step's truncation from noise), and ``interior``: left
    undecided only because the analytic value lies strictly between the one-sided
    derivatives of a kink at theta (only the shortest step can tell it from a kink off it).
    """

    status: np.ndarray
    numeric: np.ndarray
    error: np.ndarray
    low: np.ndarray
    high: np.ndarray
    coefficient: np.ndarray
    interior: np.ndarray


@dataclass(frozen=True)
class _Shape:
    """The pair's one-sided slopes read as a pattern: smooth, a kink at theta (``kink``,
    with ``settled`` where the pair before agrees on its one-sided derivatives), kinks
    inside the step, or a jump; the bracket of each (kink: the shorter step's slopes and
    their limits as h -> 0; inside: the shorter step's slopes, the closest to theta; jump:
    the slopes either side of the jump without it) and the one-sided derivatives ``ends``
    with how far each moved from its slope."""

    smooth: np.ndarray
    kink: np.ndarray
    settled: np.ndarray  # a kink's, or a jump's, seen the same at the pair before
    inside: np.ndarray
    jump: np.ndarray
    low: np.ndarray
    high: np.ndarray
    ends: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # minus, plus, their errors
    jump_low: np.ndarray
    jump_high: np.ndarray
    jump_slope: np.ndarray  # J / h at the shorter step: how far a slope is off there
    apart: np.ndarray  # f(theta) stands apart from f on both sides: read as smooth


def _limits(minus: np.ndarray, plus: np.ndarray, ratio: np.ndarray, k: int) -> tuple:
    """The one-sided derivatives f'(theta-), f'(theta+) from the slopes at steps k-1 and k:
    each slope's Richardson limit s(h_k) + (s(h_k) - s(h_k-1)) / (r - 1) (error O(h))."""
    r = ratio[:, None] - 1
    return (
        minus[k] + (minus[k] - minus[k - 1]) / r,
        plus[k] + (plus[k] - plus[k - 1]) / r,
    )


def _jump(ladder: Ladder, rounding: np.ndarray, margin: float) -> tuple:
    """A jump at the pair (k = 2), whether it is settled: the pair before (k = 1) saw the
    same jump, J within JUMP_AGREE of itself, on the same side (a kink leaving the stencil
    between two steps can look like a jump once; a jump at theta keeps its J); and whether
    f(theta) stands apart at both pairs: f on both sides jumps from f0 by the same J, so
    the central difference, which never uses f0, is that of f's continuous extension."""
    slopes = (ladder.minus, ladder.plus)
    found, apart = [], np.ones(ladder.minus.shape[1:], dtype=bool)
    for k in (1, 2):
        noise = margin * SLOPE_CHANGE_NOISE * (rounding[k - 1] + rounding[k])
        found.append(jumps(ladder.steps, slopes, k, noise, JUMP_SLOPES))
        (minus, size_minus), (plus, size_plus) = found[-1][:2]
        long, short = ladder.steps[:, k - 1 : k], ladder.steps[:, k : k + 1]
        tol = APART_SHARE * np.abs(size_plus) + 2 * noise * long * short / (long - short)
        apart &= minus & plus & (np.abs(size_plus + size_minus) <= tol)
    (minus_before, plus_before, *_), (minus, plus, low, high, implied) = found
    settled = np.zeros(low.shape, dtype=bool)
    for (now, size), (before, size_before) in ((minus, minus_before), (plus, plus_before)):
        same = np.abs(size - size_before) <= JUMP_AGREE * np.abs(size)
        settled |= now & before & same
    return (minus[0] | plus[0]) & ~apart, settled, apart, low, high, implied


def _shape(ladder: Ladder, rounding: np.ndarray, margin: float, trend: np.ndarray) -> _Shape:
    """Read the slopes at the pair of steps (see the module's docstring and _Shape);
    ``trend``: three steps agree on the truncation c h^p (``richardson_pair``)."""
    minus, plus = ladder.minus, ladder.plus
    ratio = ladder.steps[:, 1] / ladder.steps[:, 2]
    r = ratio[:, None]
    gap_c, gap_f = plus[1] - minus[1], plus[2] - minus[2]
    tol_c, tol_f = (margin * GAP_NOISE * rounding[k] for k in (1, 2))
    quiet_c, quiet_f = np.abs(gap_c) <= tol_c, np.abs(gap_f) <= tol_f
    noise = margin * SLOPE_CHANGE_NOISE * (rounding[1] + rounding[2])
    change_plus, change_minus = plus[1] - plus[2], minus[1] - minus[2]
    moved = np.abs(change_plus) + np.abs(change_minus)
    # one slope moved, the other did not: a kink inside the step, on one side
    lopsided = ~(np.abs(change_plus + change_minus) <= LOPSIDED_SHARE * moved)
    lopsided &= ~(moved <= noise)
    # a smooth f's gap is h f'': it shrinks by r with the step
    halving = np.abs(gap_f - gap_c / r) <= SMOOTH_GAP_SHARE * np.abs(gap_c) / r + tol_f + tol_c / r
    jump, jump_settled, apart, jump_low, jump_high, jump_slope = _jump(ladder, rounding, margin)
    # a kink at theta: the gap stays (halfway from 1/r to 1 of itself at least, halfway
    # from 1 to r at most: a gap that grows like 1/h is a jump's), with the same sign,
    # and each slope barely moves
    stays = ~quiet_f & (np.abs(gap_f) >= (1 + 1 / r) / 2 * np.abs(gap_c))
    stays &= np.abs(gap_f) <= (1 + r) / 2 * np.abs(gap_c) + tol_f
    stays &= (np.sign(gap_c) == np.sign(gap_f)) | quiet_c
    stable = np.maximum(np.abs(change_plus), np.abs(change_minus))
    stays &= stable <= STABLE_SHARE * np.abs(gap_f) + noise
    kink = stays & ~jump
    # smooth: gaps in the noise, or halving without one slope alone moving; or halving
    # where D follows c h^p over three steps (a large third derivative moves D as much as
    # the gap: an inflection point)
    smooth = ((quiet_c & quiet_f) | (halving & (~lopsided | trend))) & ~jump & ~kink
    smooth |= apart  # f(theta) apart: its central differences are a smooth function's
    inside = ~smooth & ~kink & ~jump
    minus_end, plus_end = _limits(minus, plus, ratio, 2)
    # settled: the pair before gives the same one-sided derivatives (NaN: no pair before),
    # within SETTLED_SHARE of the gap and one rounding of each slope, not the margin's
    # many: "settled" confirms "wrong", and a move the noise allowance would hide is no
    # evidence for it
    older = ladder.steps[:, 0] / ladder.steps[:, 1]
    minus_old, plus_old = _limits(minus, plus, older, 1)
    agree = SETTLED_SHARE * np.abs(gap_f) + rounding.sum(axis=0)
    settled = (np.abs(minus_end - minus_old) <= agree) & (np.abs(plus_end - plus_old) <= agree)
    settled &= noise <= STABLE_SHARE * np.abs(gap_f)
    # the bracket: at a kink at theta, the slopes and their limits; inside the step, the
    # shorter step's slopes (the closest to theta; the longer one may span a jump)
    at_theta = np.stack([minus[2], plus[2], minus_end, plus_end])
    candidates = np.where(kink, at_theta, np.stack([minus[2], plus[2], minus[2], plus[2]]))
    ends = (minus_end, plus_end, np.abs(minus_end - minus[2]), np.abs(plus_end - plus[2]))
    return _Shape(
        smooth, kink, np.where(jump, jump_settled, settled), inside, jump,
        candidates.min(axis=0), candidates.max(axis=0), ends, jump_low, jump_high, jump_slope,
        apart,
    )  # fmt: skip


def read_pair(
    analytic: np.ndarray,
    ladder: Ladder,
    rounding: np.ndarray,
    analytic_rounding: np.ndarray,
    order: int,
    margin: float,
    final: np.ndarray,
) -> Refined:
    """Judge each element from the ladder's two shortest steps (and the one before them).

    Smooth: OK within margin x Richardson's error; WRONG beyond it where the truncation
    estimate is trusted (two pairs agree on it, or D moved between the steps within its
    rounding or by far less than the disagreement); UNRESOLVED if never trusted.
    Kink at theta: KINK at one of the one-sided derivatives, or (``final``) anywhere
    between them; WRONG outside them once settled. Kinks inside the step and jumps wait for
    a shorter step; at the ``final`` step (per row) they are KINK if between the slopes
    (else UNRESOLVED), and JUMP (or WRONG if far outside the slopes either side of it).
    Everything else is UNDECIDED. NaN never agrees: a non-finite value is UNRESOLVED.
    ``rounding`` (3, rows, outputs) is the rounding of each step's differences, noise_r / h.
    """
    smooth = richardson_pair(
        ladder.steps, ladder.derivative, rounding, analytic_rounding, order, margin
    )
    final = np.broadcast_to(np.asarray(final, dtype=bool).reshape(-1, 1), analytic.shape)
    residual = np.abs(analytic - smooth.numeric)
    agree = residual <= margin * smooth.error
    # trusted to say "wrong": two pairs agree on the truncation, or D moved between the
    # steps no more than its rounding, or far less than the disagreement
    moved_within = smooth.moved <= margin * (rounding[1] + rounding[2])
    trusted = smooth.trend | moved_within | (smooth.moved <= TRUSTED_SHARE * residual)
    wrong = ~agree & trusted
    if ladder.minus is None or ladder.plus is None:  # no slopes: every element is smooth
        status = np.select([agree, wrong, final], [OK, WRONG, UNRESOLVED], UNDECIDED)
        nan = np.full(analytic.shape, np.nan)
        error = np.where(status == UNRESOLVED, np.fmax(smooth.error, residual), smooth.error)
        never = np.zeros(analytic.shape, dtype=bool)
        refined = Refined(status, smooth.numeric, error, nan, nan, smooth.coefficient, never)
        return _finite(analytic, ladder, refined)
    shape = _shape(ladder, rounding, margin, smooth.trend)
    kink_error = KINK_ROUNDING * (rounding[1] + rounding[2]) + analytic_rounding
    between = analytic >= shape.low - margin * kink_error
    between &= analytic <= shape.high + margin * kink_error
    minus_end, plus_end, minus_off, plus_off = shape.ends
    # a kink that stayed, settled, over steps DEEP_RATIO apart is at theta to within the
    # shorter: any value between its one-sided derivatives is a valid subgradient
    far_apart = (ladder.steps[:, 1] >= DEEP_RATIO * ladder.steps[:, 2])[:, None]
    # at one of the one-sided derivatives: within margin x the error, plus once how far
    # the limit moved from the slope (a kink at theta barely moves them; one inside the
    # step, at d, moves the slope on its side by about the gap x d / h)
    at_end = np.abs(analytic - minus_end) <= margin * kink_error + minus_off
    at_end |= np.abs(analytic - plus_end) <= margin * kink_error + plus_off
    slack = np.fmax(np.abs(shape.jump_low), np.abs(shape.jump_high))
    slack = margin * kink_error + JUMP_SLACK * slack
    near_jump = (analytic >= shape.jump_low - slack) & (analytic <= shape.jump_high + slack)
    conditions = [
        shape.smooth & agree,
        shape.smooth & wrong,
        shape.smooth & final,
        shape.kink & between & (at_end | final | (shape.settled & far_apart)),
        shape.kink & ~between & shape.settled,
        shape.kink & final,
        shape.inside & final & between,
        shape.inside & final,
        shape.jump & final & shape.settled & near_jump,
        shape.jump & final & shape.settled,
        shape.jump & final,  # seen at one pair only: a kink leaving the stencil, or a jump
    ]
    codes = [OK, WRONG, UNRESOLVED, KINK, WRONG, UNRESOLVED, KINK, UNRESOLVED]
    status = np.select(conditions, [*codes, JUMP, WRONG, UNRESOLVED], UNDECIDED)
    # a point apart at steps longer than a feature of f (a bump narrower than them) looks
    # the same: judged only at the shortest step
    status = np.where(shape.apart & ~final, UNDECIDED, status)
    status = np.where(shape.apart & (status == OK), REMOVABLE, status)
    refined = _numbers(analytic, ladder, shape, smooth, status, kink_error, slack / margin)
    refined = replace(refined, interior=shape.kink & between & ~at_end)
    return _finite(analytic, ladder, refined)


def _numbers(
    analytic: np.ndarray,
    ladder: Ladder,
    shape: _Shape,
    smooth: PairReading,
    status: np.ndarray,
    kink_error: np.ndarray,
    allowance: np.ndarray,
) -> Refined:
    """Each element's numbers for its reading: Richardson's value and error where smooth;
    the shorter step's difference and the kink error where bracketed; at a jump, the
    slope without the jump nearest the analytic value, with the jump's J / h as error (or
    the allowance, where it is far outside them). An UNRESOLVED element's error covers
    its disagreement: nothing the finite difference measured rules it out."""
    bracketed = shape.kink | shape.inside
    numeric = np.where(bracketed, ladder.derivative[2], smooth.numeric)
    numeric = np.where(shape.jump, np.clip(analytic, shape.jump_low, shape.jump_high), numeric)
    error = np.where(bracketed, kink_error, smooth.error)
    error = np.where(shape.jump, np.where(status == JUMP, shape.jump_slope, allowance), error)
    error = np.where(status == UNRESOLVED, np.fmax(error, np.abs(analytic - numeric)), error)
    low = np.where(bracketed, shape.low, np.where(shape.jump, shape.jump_low, np.nan))
    high = np.where(bracketed, shape.high, np.where(shape.jump, shape.jump_high, np.nan))
    coefficient = np.where(shape.smooth, smooth.coefficient, 0.0)
    never = np.zeros(analytic.shape, dtype=bool)
    return Refined(status, numeric, error, low, high, coefficient, never)


def _finite(analytic: np.ndarray, ladder: Ladder, refined: Refined) -> Refined:
    """NaN is never agreement: where a difference or slope of the pair, the numeric value
    or its error is not finite, the element is UNRESOLVED (a finite difference that
    overflowed tells nothing), unless the analytic value is not finite (WRONG)."""
    measured = [ladder.derivative[1:]]
    if ladder.minus is not None and ladder.plus is not None:
        measured += [ladder.minus[1:], ladder.plus[1:]]
    known = np.all([np.isfinite(m).all(axis=0) for m in measured], axis=0)
    unknown = ~(known & np.isfinite(refined.numeric) & np.isfinite(refined.error))
    bad_analytic = ~np.isfinite(analytic)
    if not (unknown.any() or bad_analytic.any()):
        return refined
    status = np.where(bad_analytic, WRONG, np.where(unknown, UNRESOLVED, refined.status))
    return replace(refined, status=status)
