"""f's noise, measured: a table of f along a random line (ECnoise), and the grain of its values.

The table moves every element by a spacing that sees the precision found (NOISE_ULPS of
its ulps at least) and stays on theta_i's side of zero; each output's sigma is the largest
of the table's estimate, the repeats' spread, half the grain of its values (the rounding
they really carry, which a table moving in whole grid steps can miss) and the rounding of
its value at the precision found. Many outputs pool their noise relative to their terms.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

import numpy as np

from .estimate import NOISE_POINTS, column_rms, noise_level
from .evaluate import Evaluator
from .flags import rows_in_doubt
from .judge import ErrorModel, FirstPass, first_pass
from .schemes import CENTRAL, rounding_weight

NOISE_SPACING = 1 / 64  # the noise table's spacing, as a fraction of each element's step
NOISE_ULPS = 4.0  # ... but at least this many ulps of the precision found, so it sees them
POOL_OUTPUTS = 8  # from this many outputs on, their noise estimates are pooled
POOLED_QUANTILE = 0.9  # pooled: no output's relative noise below this quantile of them all
MANTISSA_BITS = 53  # float64's significand, for the grain of f's values
# A grain is rounding only where the values span this many of its steps: an output moving
# through many grid points; a few steps (0 or 1 and back: a jump) are not rounding.
GRAIN_SPAN = 16
TABLE_SHRINK = 64.0  # a table leaving f's domain is tried the other way, then this closer
# A table whose largest step between neighbours is this many times their median crossed a
# jump (floor, sign, a threshold): f's noise moves every step about alike, a jump one step
# alone. Such a table is tried the other way and closer, like one that left the domain.
JUMP_RATIO = 100.0
# A table is rough where its third differences are this large against its first: a smooth f
# sampled at spacing delta << its length scale L has Delta^3 / Delta^1 ~ (delta / L)^2.
ROUGH = 0.1
# A table whose largest |second difference| is this many times their median holds a kink, a
# jump or a point apart (theta itself, where f is defined apart from its neighbours): noise
# makes the five second differences comparable (for Gaussian noise a ratio of 50 is beyond
# one table in 10^5), a kink or a jump puts one or two far above the rest.
OUTLIER = 50.0
# For independent noise sigma, Delta^2 f ~ N(0, 6 sigma^2), whose median |.| is
# 0.6745 sqrt(6) sigma: sigma is read back from the median as median / MEDIAN_SECOND.
MEDIAN_SECOND = 0.6745 * np.sqrt(6.0)
TABLE_TRIES = ((1.0, 1.0), (-1.0, 1.0), (1.0, TABLE_SHRINK), (-1.0, TABLE_SHRINK))
FLOAT64_EPS = float(np.finfo(np.float64).eps)
TABLE_BATCH_ELEMENTS = 1 << 15  # a table's points evaluated together while this small
SIGNS_AT_ONCE = 1 << 16  # the line's random signs drawn at once (an even number)


def table_spacing(
    theta: np.ndarray, steps: np.ndarray, scales: np.ndarray, eps: np.ndarray
) -> np.ndarray:
    """The noise table's spacing per element: NOISE_SPACING of its step, but at least
    NOISE_ULPS ulps of the precision found (so the table sees that rounding), and never
    wider than the automatic step's table at theta_i's own scale (NOISE_SPACING x
    eps^(1/3) |theta_i|, or NOISE_ULPS of its ulps): a step longer than theta_i (an
    absolute h, a floored scale) must not put curvature, or the edge of f's domain, into a
    table meant for noise."""
    spacing = np.maximum(steps * NOISE_SPACING, NOISE_ULPS * eps * scales)
    own = np.maximum(NOISE_SPACING * np.cbrt(eps), NOISE_ULPS * eps) * np.abs(theta)
    return np.minimum(spacing, np.where(theta != 0, own, np.inf))


class Spacing(Protocol):
    """The noise table's spacing of every element, read a piece at a time."""

    def __getitem__(self, part: slice) -> np.ndarray: ...


def random_signs(rng: np.random.Generator, size: int) -> np.ndarray:
    """The table's random line: whether each element moves up (True) or down, one draw of
    rng.integers(0, 2) each, taken SIGNS_AT_ONCE at a time (an even number: two signs use
    one 64-bit draw, so the pieces are the stream one draw of all would give)."""
    up = np.empty(size, dtype=bool)
    for low in range(0, size, SIGNS_AT_ONCE):
        count = min(SIGNS_AT_ONCE, size - low)
        np.equal(rng.integers(0, 2, size=count), 1, out=up[low : low + count])
    return up


def table_points(
    theta: np.ndarray, k: np.ndarray, factor: float, up: np.ndarray, spacing: Spacing
) -> np.ndarray:
    """The table's points theta + k (factor delta v) for the multiples ``k``, (len(k), n),
    built TABLE_BATCH_ELEMENTS elements at a time: v_i = +/-1 (``up``), delta = ``spacing``."""
    points = np.empty((k.size, theta.size))
    for low in range(0, theta.size, TABLE_BATCH_ELEMENTS):
        part = slice(low, min(theta.size, low + TABLE_BATCH_ELEMENTS))
        step = np.where(up[part], 1.0, -1.0)
        step *= spacing[part]
        step = factor * step
        np.multiply(k[:, None], step, out=points[:, part])
        points[:, part] += theta[part]
    return points


def noise(
    evaluator: Evaluator,
    theta: np.ndarray,
    f0: np.ndarray,
    repeats: np.ndarray,
    spacing: Spacing,
    rng: np.random.Generator,
    resolution: float,
) -> tuple[np.ndarray, np.ndarray, int, bool, float]:
    """sigma per output from a noise table: f at theta + k delta v, k = 0 .. NOISE_POINTS - 1,
    v random signs, delta = ``spacing`` per element (read a piece at a time: an array, or a
    steptable.Column); where f is not finite there (theta at or near its domain's edge)
    along -v, then TABLE_SHRINK times closer both ways; inf if f never is. Also the outputs
    whose grain the table could not see (they hardly moved along its line), the
    evaluations made, whether the table is rough (``rough``), and how many times closer
    than ``spacing`` the table kept was taken (1, or TABLE_SHRINK)."""
    up = random_signs(rng, theta.size)
    where = "with every element moved slightly (noise table)"
    made, kept, used = 0, None, 1.0
    batch = max(1, TABLE_BATCH_ELEMENTS // max(1, theta.size))  # whole points at a time
    for sign, shrink in TABLE_TRIES:
        found = [f0[None]]
        for start in range(1, NOISE_POINTS, batch):
            k = np.arange(start, min(NOISE_POINTS, start + batch), dtype=np.float64)
            points = table_points(theta, k, sign / shrink, up, spacing)
            found.append(evaluator.at_thetas(points, lambda _: where))
            del points
        table = np.vstack(found)
        made += NOISE_POINTS - 1
        if not np.all(np.isfinite(table)):
            continue
        if kept is None:  # a table across a jump beats none at all
            kept, used = table, shrink
        if not crossed_jump(table):
            kept, used = table, shrink
            break
    if kept is None:
        return np.full(f0.size, np.inf), np.zeros(f0.size, dtype=bool), made, False, 1.0
    table = kept
    unseen = grain(table - f0) == 0
    sigma = noise_from_table(table, f0, repeats, resolution)
    return sigma, unseen, made, rough(table), used


def rough(table: np.ndarray) -> bool:
    """Whether some output of a table (points, outputs) changes on a scale as short as its
    spacing: rms of its third differences above ROUGH times that of its first. Noise alone
    is rough too (its third differences are larger), so roughness only says where to look."""
    first = column_rms(np.diff(table, axis=0))
    third = column_rms(np.diff(table, 3, axis=0))
    return bool(np.any((first > 0) & (third > ROUGH * first)))


def crossed_jump(table: np.ndarray) -> bool:
    """Whether any output of a noise table (points, outputs) jumps between two neighbours:
    one step JUMP_RATIO times the median step, which neither noise nor a smooth f makes."""
    steps = np.abs(np.diff(table, axis=0))
    median = np.median(steps, axis=0)
    return bool(np.any(steps.max(axis=0) > JUMP_RATIO * median))


class Grain:
    """The grain of an output's values, gathered over batches of their differences from f0.

    Floating-point rounding puts every value of an output on a grid of some power of two:
    its own ulp for a value computed directly, the ulp of its terms for a difference of
    nearly equal terms ((1e8 + x) - 1e8 moves in steps of 1.5e-8), float32's ulp for a
    value computed in float32. The coarsest grid the values lie on (the largest power of
    two dividing every difference) is the rounding they really carry, even where a table
    moving in whole grid steps shows no noise; it counts only where the values span
    GRAIN_SPAN steps of it.
    """

    def __init__(self, outputs: int) -> None:
        self.lowest = np.full(outputs, np.inf)  # the smallest lowest set bit seen
        self.span = np.zeros(outputs)  # the largest |difference| seen

    def add(self, differences: np.ndarray) -> None:
        """Take in differences of shape (points, outputs)."""
        size = np.abs(differences)
        mantissa, exponent = np.frexp(size)
        integer = (mantissa * 2.0**MANTISSA_BITS).astype(np.int64)
        lowest = np.ldexp((integer & -integer).astype(np.float64), exponent - MANTISSA_BITS)
        np.minimum(self.lowest, np.where(size > 0, lowest, np.inf).min(axis=0), out=self.lowest)
        np.maximum(self.span, size.max(axis=0, initial=0.0), out=self.span)

    def value(self) -> np.ndarray:
        """Per output: the grain, 0 where it is unknown (no move, or too few grid steps)."""
        known = np.isfinite(self.lowest) & (self.span >= GRAIN_SPAN * self.lowest)
        return np.where(known, self.lowest, 0.0)


def grain(differences: np.ndarray) -> np.ndarray:
    """Per output (column) of ``differences`` (points, outputs) of f's values from f0: their
    grain (``Grain``), 0 where unknown."""
    tally = Grain(differences.shape[1])
    tally.add(differences)
    return tally.value()


def noise_from_table(
    table: np.ndarray, f0: np.ndarray, repeats: np.ndarray, resolution: float
) -> np.ndarray:
    """sigma per output: the largest of the table's noise estimate, the repeats' spread,
    half the grain of its values (the largest rounding error of a value on that grid) and
    the rounding at ``resolution`` of the table's largest magnitude.

    From POOL_OUTPUTS outputs on, seven points estimate each output's noise only roughly:
    outputs computed alike share their noise relative to the size of their terms (the
    grain, or the values where larger), so none is judged below the POOLED_QUANTILE of
    those relative noises, times its own terms' size. An output that is a difference of
    nearly equal terms is judged by its terms, not by its small value.
    """
    spread = np.max(np.abs(repeats - f0), axis=0)
    half_grain = 0.5 * grain(table - f0)
    values = np.maximum(np.abs(f0), np.max(np.abs(table), axis=0))
    sigma = np.maximum.reduce([robust_noise(table), spread, half_grain, resolution * values])
    if sigma.size >= POOL_OUTPUTS:
        terms = np.maximum(values, half_grain / max(resolution, FLOAT64_EPS))
        relative = sigma / np.maximum(terms, np.finfo(float).tiny)
        sigma = np.maximum(sigma, np.quantile(relative, POOLED_QUANTILE) * terms)
    return sigma


def robust_noise(table: np.ndarray) -> np.ndarray:
    """Per output of a table (points, outputs): ECnoise's sigma (``noise_level``), except
    where the table holds a kink, a jump or a point apart from the rest (largest |second
    difference| above OUTLIER times their median). Such a feature is not noise of f's
    values: it makes one or two second differences large and leaves the others as smooth
    as f is, while ECnoise's higher differences spread it over the whole table and read a
    slope change times the spacing (or a jump) as sigma. There sigma is read from the
    median second difference, median |Delta^2 f| / (0.6745 sqrt 6), which the feature
    does not move. Noise makes every second difference comparable, so a noisy function
    keeps its ECnoise estimate (see OUTLIER)."""
    sigma = noise_level(table)
    second = np.abs(np.diff(table, 2, axis=0))
    median = np.median(second, axis=0)
    apart = second.max(axis=0) > OUTLIER * median
    return np.where(apart, median / MEDIAN_SECOND, sigma)


def regrained(
    first: FirstPass,
    errors: ErrorModel,
    analytic: np.ndarray,
    grains: Grain,
    watch: np.ndarray,
) -> tuple[FirstPass, ErrorModel]:
    """Where the grain of an output's values (seen over every difference) shows more
    rounding than its noise estimate, half a grain becomes its noise; the rows with an
    element the first pass flagged are judged again under it (a larger noise only widens
    the bounds, so the others stay consistent)."""
    sigma = errors.sigma.copy()
    sigma[watch] = np.maximum(sigma[watch], 0.5 * grains.value())
    if np.array_equal(sigma, errors.sigma):
        return first, errors
    errors = replace(errors, sigma=sigma, noise=sigma * rounding_weight(CENTRAL))
    rows = rows_in_doubt(first.consistent)
    consistent = first.consistent.copy()
    gaps = None if first.gaps is None else first.gaps[rows]
    primary = first.primary[rows]
    residual = np.abs(analytic[rows] - primary)
    relative = first.relative_steps(rows)
    consistent[rows] = first_pass(errors, residual, primary, first.steps[rows], relative, gaps)
    return replace(first, consistent=consistent), errors
