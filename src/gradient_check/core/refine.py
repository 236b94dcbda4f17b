"""Refine the rows in doubt: shorter steps until each element's slopes show what f is there.

An element the first pass could not clear is measured again, at 2h where the first pass
saw no curvature (rounding dominates: the longer step halves it), at h/2 otherwise. Each
pair of steps is read by ``patterns.read_pair``: smooth (Richardson's extrapolation and its
truncation estimate), a kink at theta (any value between the one-sided derivatives is a
valid subgradient), a kink or several inside the step, or a jump (slopes ~ 1/h). Where the
pair cannot decide (kinks inside the step, a jump, an analytic value strictly inside a
kink's bracket, truncation estimates of two pairs that disagree because the step spans
features of f), the row is measured again at a step SHORTEN times shorter, at most
MAX_SHORTENINGS times, and only while the shorter step's rounding still resolves
RESOLUTION_WANTED of the element or half its disagreement: a kink or jump at distance d
from theta leaves the stencil once h < d, and a feature of width w is resolved once
h << w. Where a pair still cannot decide at the last step, the element is UNRESOLVED
("cannot tell"), or JUMP; it is wrong only where the steps that decide it agree it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from .flags import rows_in_doubt
from .judge import (
    KINK,
    NOISE,
    OK,
    REMOVABLE,
    RESOLUTION_WANTED,
    UNRESOLVED,
    ErrorModel,
    FirstPass,
    Refinement,
    curvature_negligible,
)
from .ladder import Ladder
from .patterns import UNDECIDED, Refined, read_pair

LONGER, SHORTER = 2.0, 0.5  # the second step, against the first: Richardson's ratio 2
# Each further step is 4 times shorter: a kink or jump at distance d leaves the stencil
# after log4(h / d) of them; 8 reach 4^-8 / 2 ~ 8e-6 of the first step (the automatic
# 6e-6 |theta| goes to 5e-11 |theta|: breakpoints 1e-9 away are resolved).
SHORTEN, MAX_SHORTENINGS = 4.0, 8
# ... and while its rounding stays within this share of the disagreement to be resolved.
# Where only kinks with an analytic value strictly between their one-sided derivatives
# wait, the next step is SHORTEN x the shortest step at which rounding still resolves
# RESOLUTION_WANTED (at least the ladder's shortest): only there can a kink at theta be
# told from one just off it, and one step by step there would cost every stage.
USEFUL_SHARE = 0.5
# Rows x outputs refined at once: a row's ladder holds about 90 numbers per element, so a
# gradient wrong everywhere would otherwise hold 90 x theta while it is refined.
REFINED_AT_ONCE = 1 << 14
# Why f was evaluated at the shorter steps (its sentence: summarise.EVALUATIONS)
SHORTENED = "shortened"

# (rows, steps) -> (differences (rows, outputs), f's values (rows, offsets, outputs), steps)
Measure = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]


def refine_doubt(
    analytic: np.ndarray,
    first: FirstPass,
    errors: ErrorModel,
    measure: Measure,
    order: int,
    f0: np.ndarray,
) -> Refinement:
    """Measure the rows the first pass left in doubt at shorter steps and judge them there.

    ``measure(rows, steps)`` takes each row's difference at the given steps. The second
    step is 2h where the first pass saw no curvature (never for a row already lengthened),
    otherwise h/2; then h'/4, h'/16, ... only for rows with an element still undecided.
    """
    doubt = rows_in_doubt(first.consistent)
    if doubt.size == 0:
        return Refinement.none(analytic.shape[1])
    rows = max(1, REFINED_AT_ONCE // analytic.shape[1])
    parts = [
        _refine_rows(analytic, first, errors, measure, order, f0, doubt[start : start + rows])
        for start in range(0, doubt.size, rows)
    ]
    return parts[0] if len(parts) == 1 else Refinement.joined(parts)


def _refine_rows(
    analytic: np.ndarray,
    first: FirstPass,
    errors: ErrorModel,
    measure: Measure,
    order: int,
    f0: np.ndarray,
    doubt: np.ndarray,
) -> Refinement:
    """refine_doubt for some of the rows in doubt (``doubt``): every row is refined on its
    own evidence, so the rows can be taken a share at a time."""
    gaps = None if first.gaps is None else first.gaps[doubt]
    quiet = curvature_negligible(gaps, errors)
    up = np.zeros(doubt.size, dtype=bool) if quiet is None else quiet
    up &= ~first.lengthened[doubt]  # never lengthen a row twice
    nominal = first.nominal[doubt] * np.where(up, LONGER, SHORTER)
    second, values, second_steps = measure(doubt, nominal)
    ladder = Ladder.start(first, doubt, second, values, second_steps, up, f0)
    made = [("refinement", values.shape[0] * values.shape[1])]
    state = _State.undecided(analytic[doubt], first, doubt)
    a = analytic[doubt]
    lowest = first.nominal[doubt] * SHORTER / SHORTEN**MAX_SHORTENINGS
    for _ in range(MAX_SHORTENINGS + 1):
        live = np.flatnonzero(state.open_rows())
        if live.size == 0:
            break
        floor = _floor(a[live], ladder.derivative[2, live], errors, USEFUL_SHARE)
        shorter = ladder.nominal[live] / SHORTEN
        useful = (floor <= ladder.steps[live, 2:3] / SHORTEN) & (state.status[live] == UNDECIDED)
        going = useful.any(axis=1) & (shorter >= lowest[live] * (1 - 1e-9))
        rows = ladder.rows(live)
        rounding = rows.rounding(errors, f0)
        pair = read_pair(
            a[live], rows, rounding, errors.analytic_rounding, order, errors.margin, ~going
        )
        pair, coarse = _coarse(pair, a[live], errors, ladder.steps[live, 2], going)
        state.record(live, pair, coarse)
        waiting = state.status[live] == UNDECIDED
        more = going & waiting.any(axis=1)
        if not more.any():
            break
        rows, nominal = live[more], shorter[more]
        deep = ~np.any(waiting[more] & ~pair.interior[more], axis=1)
        bottom = _floor(a[rows], ladder.derivative[2, rows], errors, 0.0)
        bottom = np.where(waiting[more], bottom, np.inf).min(axis=1)
        bottom = SHORTEN * np.maximum(bottom, lowest[rows])
        nominal = np.where(deep, np.minimum(nominal, bottom), nominal)
        derivative, values, steps = measure(doubt[rows], nominal)
        ladder = ladder.extended(rows, derivative, values, steps, nominal, f0)
        made.append((SHORTENED, values.shape[0] * values.shape[1]))
    return state.refinement(first, errors, doubt, ladder, order, _merged(made), a)


def _floor(
    analytic: np.ndarray, shortest: np.ndarray, errors: ErrorModel, useful: float
) -> np.ndarray:
    """Per element, the shortest step whose rounding still tells something: margin x
    (noise_r / h + derivative rounding_r) within RESOLUTION_WANTED of the element's scale
    (its analytic value, or its output's typical slope), or within ``useful`` of what is to
    be resolved, |analytic - D| at the shortest step so far. inf where none does."""
    scale = np.maximum(np.abs(analytic), errors.typical_slope)
    wanted = np.maximum(RESOLUTION_WANTED * scale, useful * np.abs(analytic - shortest))
    room = wanted / errors.margin - errors.analytic_rounding
    with np.errstate(divide="ignore", invalid="ignore"):
        floor = np.where(room > 0, errors.noise / room, np.inf)
    return np.where(np.isnan(floor), np.inf, floor)


def _coarse(
    pair: Refined,
    analytic: np.ndarray,
    errors: ErrorModel,
    shortest: np.ndarray,
    going: np.ndarray,
) -> tuple[Refined, np.ndarray]:
    """The pair with its coarse agreements left UNDECIDED, and which they are: elements
    that agree (OK) but whose margin x error cannot resolve RESOLUTION_WANTED of the
    element, while the next step's rounding still would (``_floor`` <= h / SHORTEN).

    Richardson's error |D(h) - D(h/r)| / (r^p - 1) falls like h^p: a function whose
    length scale d is far below the step (log or ellipk 1e-8 from a singularity, stepped
    one-sided at 6e-6) agrees at h ~ d with an error of a few per cent, which could hide
    a 1e-2 fault; a few steps 4 times shorter bring it to (h/d)^p of that. The agreement
    is kept (``_State.record``) should the shorter steps not settle."""
    scale = np.maximum(np.abs(analytic), errors.typical_slope)
    coarse = np.isin(pair.status, (OK, REMOVABLE)) & ~(
        errors.margin * pair.error <= RESOLUTION_WANTED * scale
    )
    coarse &= _floor(analytic, pair.numeric, errors, 0.0) <= (shortest / SHORTEN)[:, None]
    coarse &= going[:, None]
    return replace(pair, status=np.where(coarse, UNDECIDED, pair.status)), coarse


def _merged(made: list[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
    """Evaluation counts with equal identifiers added up, in first-seen order."""
    totals: dict[str, int] = {}
    for reason, count in made:
        totals[reason] = totals.get(reason, 0) + count
    return tuple(totals.items())


@dataclass
class _State:
    """The doubt rows' verdicts as they are decided, stage by stage (mutable, private).

    Elements the first pass found consistent are decided from the start, at their first
    values; the others stay UNDECIDED until a pair of steps decides them. A kink first
    read with the analytic value strictly inside its bracket keeps that pair's numbers
    (``held``): the shortest steps only confirm it is at theta, with coarser rounding."""

    status: np.ndarray
    numeric: np.ndarray
    error: np.ndarray
    low: np.ndarray
    high: np.ndarray
    coefficient: np.ndarray  # |c| of the truncation c h^p where a smooth pair decided
    held: np.ndarray  # bool: numbers kept from the pair that first read an interior kink
    agreed: np.ndarray  # bool: numbers kept from the last pair that agreed, coarsely

    @staticmethod
    def undecided(analytic: np.ndarray, first: FirstPass, doubt: np.ndarray) -> _State:
        flagged = ~first.consistent[doubt]
        nan = np.full(analytic.shape, np.nan)
        return _State(
            np.where(flagged, UNDECIDED, OK),
            first.primary[doubt].copy(),
            nan.copy(),
            nan.copy(),
            nan.copy(),
            np.zeros(analytic.shape),
            np.zeros(analytic.shape, dtype=bool),
            np.zeros(analytic.shape, dtype=bool),
        )

    def open_rows(self) -> np.ndarray:
        return np.any(self.status == UNDECIDED, axis=1)

    def record(self, rows: np.ndarray, pair: Refined, coarse: np.ndarray) -> None:
        """Keep the pair's verdicts for the rows' elements it decided, and only those; an
        interior kink's numbers from the first pair that read it, if it ends a KINK; a
        ``coarse`` agreement's numbers, which stand (OK) if the shorter steps end
        UNRESOLVED."""
        waiting = self.status[rows] == UNDECIDED
        held = self.held[rows]
        hold = waiting & pair.interior & ~held
        agree = waiting & coarse
        fallback = self.agreed[rows] & (pair.status == UNRESOLVED)
        new = waiting & (pair.status != UNDECIDED) & ~fallback
        kept = held & (pair.status == KINK)
        self._set(rows, "status", pair.status, new)
        self._set(rows, "status", np.full(pair.status.shape, OK), waiting & fallback)
        for name in ("numeric", "error", "low", "high"):
            self._set(rows, name, getattr(pair, name), (new & ~kept) | hold | agree)
        self._set(rows, "coefficient", pair.coefficient, new | agree)
        self.held[rows] = (held | hold) & ~(new & ~kept)
        self.agreed[rows] = (self.agreed[rows] | agree) & ~new

    def _set(self, rows: np.ndarray, name: str, values: np.ndarray, where: np.ndarray) -> None:
        block = getattr(self, name)[rows]
        block[where] = values[where]
        getattr(self, name)[rows] = block

    def refinement(
        self,
        first: FirstPass,
        errors: ErrorModel,
        doubt: np.ndarray,
        ladder: Ladder,
        order: int,
        made: tuple[tuple[str, int], ...],
        analytic: np.ndarray,
    ) -> Refinement:
        """The findings: an element that agrees now but failed the first step beyond its
        own estimated error (rounding, the curvature its gap shows, and its truncation as
        the deciding pair measured it, h0^p / h^p times theirs) is NOISE."""
        steps = first.steps[doubt]
        first_rounding = np.multiply.outer(1.0 / steps, errors.noise) + errors.analytic_rounding
        loose = first_rounding + self.coefficient * steps[:, None] ** order
        if first.gaps is not None:  # + |gap| / 2h: the bound that holds wherever f' is monotone
            loose = loose + np.abs(first.gaps[doubt]) / (2 * steps[:, None])
        residual = np.abs(analytic - first.primary[doubt])  # ``analytic``: the doubt rows'
        first_wrong = ~(residual <= errors.margin * loose)
        flagged = ~first.consistent[doubt]
        status = np.where((self.status == OK) & first_wrong & flagged, NOISE, self.status)
        status = status.astype(np.int8)  # codes 0..6: a byte each, for every row in doubt
        error = np.where(flagged, self.error, first_rounding)
        return Refinement(
            doubt,
            status,
            self.numeric,
            error,
            self.low,
            self.high,
            made,
            np.nanmin(ladder.steps, axis=1),
        )


def refine_elements(
    analytic: np.ndarray,
    coarse: np.ndarray,
    fine: np.ndarray,
    rounding_coarse: np.ndarray,
    rounding_fine: np.ndarray,
    analytic_rounding: np.ndarray,
    order: int,
    margin: float,
    slopes_coarse: tuple[np.ndarray, np.ndarray] | None,
    slopes_fine: tuple[np.ndarray, np.ndarray] | None,
) -> Refined:
    """Judge elements measured at two steps only (coarse = 2 x fine), as the last pair of
    a ladder: every element decided (``read_pair`` with ``final``)."""
    rows = coarse.shape[0]
    nan = np.full_like(coarse, np.nan)
    steps = np.tile([np.nan, 2.0, 1.0], (rows, 1))

    def three(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.stack([nan, a, b])

    minus = plus = None
    if slopes_coarse is not None and slopes_fine is not None:
        minus = three(slopes_coarse[0], slopes_fine[0])
        plus = three(slopes_coarse[1], slopes_fine[1])
    ladder = Ladder(steps, np.ones(rows), three(coarse, fine), minus, plus, three(nan, nan))
    rounding = three(rounding_coarse, rounding_fine)
    final = np.ones(rows, dtype=bool)
    return read_pair(analytic, ladder, rounding, analytic_rounding, order, margin, final)
