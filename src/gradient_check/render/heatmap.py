"""Heatmaps of a block's element-wise error, as inline SVG: a transposed or mis-scaled
derivative shows as a pattern at a glance.

A row's ``errors`` (each element's |analytic - numeric| over margin x its estimated
error) give a continuous map: pale below 1 (within what the finite difference's error
explains), red above, purple where the error is not finite. A row without them is mapped
from the elements the report names: wrong, at a kink, unconfirmed, undecided; the rest are
unnamed (agreeing, or beyond the 50 listed, which the caption then says). A tensor is laid
out by its own shape (a matrix as itself, a vector as one line, more dimensions folded
into the last); a Jacobian block's outputs are its lines. Large maps are pooled by their
maximum, so that one wrong element is never averaged away.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from ..report import Outcome, Row
from .charts import rect, svg, text

MAX_CELLS = 48  # cells along either side of a drawn map; larger maps are pooled
TITLED_CELLS = 1024  # maps up to this many cells get a tooltip per cell
# named elements' categories, by severity: pooling keeps the most severe
UNNAMED, NOISE, KINK, UNDECIDED, WRONG = 0, 1, 2, 3, 4
CATEGORY = {
    UNNAMED: ("not named", "#f1f3f1"),
    NOISE: ("not confirmed (noise)", "#bdbdbd"),
    KINK: ("kink: valid subgradient", "#64b5f6"),
    UNDECIDED: ("undecided", "#ffb74d"),
    WRONG: ("wrong", "#c62828"),
}
NOT_FINITE = "#4a148c"
_INDEX = re.compile(r"\[([0-9, ]*)\](?:\.(?:real|imag))?$")


@dataclass(frozen=True)
class Grid:
    """A block's elements laid out for drawing: values (ratios, or CATEGORY codes)."""

    values: np.ndarray  # 2-D
    named: bool  # CATEGORY codes from the named elements, not ratios
    lines: str  # what a line of the map is
    listed_all: bool = True  # every named element is listed (none beyond the 50 kept)


def layout(shape: tuple[int, ...]) -> tuple[int, int]:
    """A tensor's elements as lines x columns: a matrix as itself, a vector as one line,
    a scalar as one cell, more dimensions folded into the last."""
    if len(shape) >= 2:
        return shape[0], math.prod(shape[1:])
    return 1, math.prod(shape)


def grid_of(row: Row) -> Grid | None:
    """The map of one row: from its ``errors`` where the engine kept them, else from its
    named elements; None where it has neither."""
    size = math.prod(row.shape)
    if row.errors:
        values = np.array(row.errors, dtype=float)
        if size and values.size % size == 0 and values.size // size > 1:
            return Grid(values.reshape(size, -1).T, False, "outputs")  # a Jacobian block
        if values.size == size:
            return Grid(values.reshape(layout(row.shape)), False, _lines(row.shape))
        return Grid(values.reshape(1, -1), False, "elements in order")
    named = [
        (elements, code)
        for elements, code in (
            (row.noise, NOISE),
            (row.kinks, KINK),
            (row.undecided, UNDECIDED),
            (row.wrong, WRONG),
        )
        if elements
    ]
    if not named or size == 0:
        return None
    flat = np.zeros(size)
    for elements, code in named:
        for element in elements:
            index = element_index(element.label, row)
            if index is not None:
                flat[index] = max(flat[index], code)
    listed = (
        len(row.wrong) == row.wrong_count
        and len(row.kinks) == row.kink_count
        and len(row.noise) == row.noise_count
        and len(row.undecided) == row.undecided_count
    )
    return Grid(flat.reshape(layout(row.shape)), True, _lines(row.shape), listed)


def _lines(shape: tuple[int, ...]) -> str:
    return "the first index" if len(shape) >= 2 else "one line"


def element_index(label: str, row: Row) -> int | None:
    """The flat (C order) index in ``row``'s parameter of an element's ``label``:
    ``W1[3, 2]``, ``y[1] / W1[3, 2]`` or ``z[0].imag``; None where it names none."""
    part = label.rsplit(" / ", 1)[-1] if row.output is not None else label
    if not part.startswith(row.name):
        return None
    rest = part[len(row.name) :]
    if not rest or rest in (".real", ".imag"):
        return 0 if math.prod(row.shape) == 1 else None
    found = _INDEX.match(rest)
    if found is None or not found.group(1).strip():
        return None
    index = tuple(int(i) for i in found.group(1).split(","))
    if len(index) != len(row.shape) or any(not 0 <= i < n for i, n in zip(index, row.shape)):
        return None
    return int(np.ravel_multi_index(index, row.shape))


def pooled(values: np.ndarray, most: int = MAX_CELLS) -> tuple[np.ndarray, int, int]:
    """``values`` pooled by the maximum into at most ``most`` x ``most`` cells (NaN counts
    as the largest), and the lines and columns each cell covers."""
    values = np.where(np.isnan(values), np.inf, values)
    lines, columns = values.shape
    per_line, per_column = math.ceil(lines / most), math.ceil(columns / most)
    if per_line > 1:
        values = np.maximum.reduceat(values, np.arange(0, lines, per_line), axis=0)
    if per_column > 1:
        values = np.maximum.reduceat(values, np.arange(0, columns, per_column), axis=1)
    return values, per_line, per_column


def ratio_colour(ratio: float) -> str:
    """A ratio's colour: pale green up to 1 (1e-3 and below palest), orange to dark red
    from 1 to 1e3, purple where it is not finite."""
    if not math.isfinite(ratio):
        return NOT_FINITE
    if ratio <= 1:
        t = (max(math.log10(ratio), -3) + 3) / 3 if ratio > 0 else 0.0
        return _mix((247, 252, 245), (161, 217, 155), t)
    t = min(math.log10(ratio), 3) / 3
    return _mix((253, 174, 107), (165, 15, 21), t)


def _mix(low: tuple[int, int, int], high: tuple[int, int, int], t: float) -> str:
    r, g, b = (round(a + (z - a) * t) for a, z in zip(low, high))
    return f"#{r:02x}{g:02x}{b:02x}"


def heatmap_svg(row: Row, grid: Grid) -> str:
    """One block's map: a cell per element (or per pooled group of them), with a legend."""
    values, per_line, per_column = pooled(grid.values)
    lines, columns = values.shape
    cell = max(6.0, min(28.0, 480.0 / columns))
    left, top = 8.0, 8.0
    titled = values.size <= TITLED_CELLS
    body = []
    for i in range(lines):
        for j in range(columns):
            value = float(values[i, j])
            colour = CATEGORY[int(value)][1] if grid.named else ratio_colour(value)
            title = None
            if titled:
                title = _cell_title(row, grid, i, j, per_line, per_column, value)
            body.append(rect(left + j * cell, top + i * cell, cell - 1, cell - 1, colour, title))
    legend_top = top + lines * cell + 14
    legend, legend_width = _legend(grid, left, legend_top)
    body += legend
    width = max(left + columns * cell + 8, legend_width)
    return svg(width, legend_top + 24, f"element-wise error of {row.block}", body)


def _cell_title(
    row: Row, grid: Grid, i: int, j: int, per_line: int, per_column: int, value: float
) -> str:
    where = (
        f"[{i}, {j}]"
        if per_line == per_column == 1
        else f"lines {i * per_line}..{(i + 1) * per_line - 1}, "
        f"columns {j * per_column}..{(j + 1) * per_column - 1}"
    )
    what = CATEGORY[int(value)][0] if grid.named else f"{value:.3g} x margin x estimated error"
    return f"{row.block} {where}: {what}"


def _legend(grid: Grid, left: float, top: float) -> tuple[list[str], float]:
    """The legend's pieces, and how far right they reach."""
    if grid.named:
        keys = [CATEGORY[code] for code in (WRONG, UNDECIDED, KINK, NOISE, UNNAMED)]
    else:
        keys = [
            ("<= 1e-3", ratio_colour(1e-3)),
            ("1", ratio_colour(1.0)),
            ("10", ratio_colour(10.0)),
            (">= 1e3", ratio_colour(1e3)),
            ("not finite", NOT_FINITE),
        ]
    out, x = [], left
    for label, colour in keys:
        out.append(rect(x, top, 12, 12, colour, stroke="#9e9e9e"))
        out.append(text(x + 16, top + 10, label))
        x += 24 + 7 * len(label)
    return out, x


def worst_rows(rows: tuple[Row, ...], most: int) -> list[tuple[Row, Grid]]:
    """The rows most worth a map, with their grids: wrong blocks first, then undecided,
    then the rest, each by its relative difference (NaN first: never agreement)."""
    order = {Outcome.WRONG: 0, Outcome.CANNOT_TELL: 1, Outcome.PASS: 2}

    def key(row: Row) -> tuple[int, float]:
        return order.get(row.outcome, 3), -row.diff if not math.isnan(row.diff) else -math.inf

    found = []
    for row in sorted(rows, key=key):
        grid = grid_of(row)
        if grid is not None:
            found.append((row, grid))
        if len(found) == most:
            break
    return found
