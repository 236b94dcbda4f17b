"""Charts as inline SVG, written here: no plotting library, no script, no network.

``diff_chart``: each block's relative difference on a log axis over the texts' four bands;
``sweep_chart``: a step-size sweep's error against h on log-log axes. Every text in a chart
is escaped; numbers that a log axis cannot place (zero, negative, NaN) are written beside
the axis, never dropped silently.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from ..checks.sweep import Sweep
from ..core.bands import BAND_EDGES
from ..report import Outcome, Report, Verdict

FONT = 'font-family="system-ui, sans-serif" font-size="12"'
OUTCOME_COLOUR = {
    Outcome.PASS: "#2e7d32",
    Outcome.WRONG: "#c62828",
    Outcome.STRUCTURAL: "#c62828",
    Outcome.CANNOT_TELL: "#ef8f00",
}
# the texts' bands, low to high: pale shades, so the bars (coloured by outcome) lead
BAND_SHADE = {
    Verdict.CORRECT: "#e8f5e9",
    Verdict.NON_SMOOTH_ONLY: "#f4f9d8",
    Verdict.SUSPICIOUS: "#fff1dc",
    Verdict.WRONG: "#fde4e1",
}
BAND_LABEL = {  # short enough for a band two decades wide
    Verdict.CORRECT: "correct",
    Verdict.NON_SMOOTH_ONLY: "non-smooth only",
    Verdict.SUSPICIOUS: "possibly wrong",
    Verdict.WRONG: "wrong",
}
SMALLEST_DECADE = -17  # below double precision's relative resolution nothing is read


@dataclass(frozen=True)
class LogAxis:
    """Decades ``low``..``high`` of a log axis mapped onto pixels ``start``..``end``."""

    low: int
    high: int
    start: float
    end: float

    def at(self, value: float) -> float:
        """The pixel of a positive ``value``, clamped to the axis."""
        decade = min(max(math.log10(value), self.low), self.high)
        return self.start + (decade - self.low) / (self.high - self.low) * (self.end - self.start)

    def ticks(self) -> list[int]:
        """The decades to label: every one, or every other where there are many."""
        every = 1 if self.high - self.low <= 10 else 2
        return [d for d in range(self.low, self.high + 1) if (d - self.high) % every == 0]


def decades(values: Sequence[float], low: float, high: float) -> tuple[int, int]:
    """Whole decades that hold ``low``..``high`` and every positive finite value."""
    seen = [v for v in values if math.isfinite(v) and v > 0]
    lowest = min([low, *seen])
    highest = max([high, *seen])
    return (
        max(SMALLEST_DECADE, math.floor(math.log10(lowest))),
        math.ceil(math.log10(highest)),
    )


def text(x: float, y: float, words: str, anchor: str = "start", extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {extra}>{escape(words)}</text>'


def rect(
    x: float,
    y: float,
    width: float,
    height: float,
    fill: str,
    title: str | None = None,
    stroke: str | None = None,
) -> str:
    """A filled rectangle; with a ``title``, the tooltip a browser shows over it."""
    shape = (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(width, 0):.1f}" '
        f'height="{max(height, 0):.1f}" fill="{fill}"'
    )
    if stroke:
        shape += f' stroke="{stroke}"'
    return f"{shape}><title>{escape(title)}</title></rect>" if title else f"{shape}/>"


def svg(width: float, height: float, title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" {FONT}>'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _ticks(axis: LogAxis, top: float, bottom: float) -> list[str]:
    """Vertical grid lines and labels at an x axis's decades."""
    out = []
    for decade in axis.ticks():
        x = axis.at(10.0**decade)
        out.append(_line(x, top, x, bottom, "#9e9e9e", 0.5))
        out.append(text(x, bottom + 14, f"1e{decade}", "middle"))
    return out


def diff_chart(report: Report) -> str:
    """Each block's relative difference as a bar on a log axis, over the texts' four bands
    (edges 1e-7, 1e-4, 1e-2 times ``band_scale``); a bar's colour is its block's outcome."""
    rows = report.parameters
    edges = [edge * report.band_scale for edge in BAND_EDGES]
    low, high = decades([r.diff for r in rows], edges[0] * 1e-3, max(1.0, edges[-1] * 10))
    label_width, bar_height, top = 200.0, 18.0, 24.0
    width = 900.0
    axis = LogAxis(low, high, label_width, width - 80)
    height = top + len(rows) * (bar_height + 6) + 44
    bottom = height - 40
    body = []
    bounds = [10.0**low, *edges, 10.0**high]
    for band, (left, right) in zip(Verdict, zip(bounds, bounds[1:])):
        x0, x1 = axis.at(left), axis.at(right)
        body.append(rect(x0, top - 6, x1 - x0, bottom - top + 6, BAND_SHADE[band]))
        body.append(
            f'<text x="{(x0 + x1) / 2:.1f}" y="{top - 10:.1f}" text-anchor="middle" '
            f'font-size="10" fill="#555">{BAND_LABEL[band]}</text>'
        )
    body += _ticks(axis, top - 6, bottom)
    for k, row in enumerate(rows):
        y = top + k * (bar_height + 6)
        body.append(text(label_width - 8, y + 13, _shortened(row.block), "end"))
        colour = OUTCOME_COLOUR[row.outcome]
        placeable = math.isfinite(row.diff) and row.diff > 0
        end = axis.at(row.diff) if placeable else axis.start
        title = f"{row.block}: {row.diff:.3g} ({row.outcome.value})"
        body.append(rect(axis.start, y, end - axis.start, bar_height, colour, title))
        body.append(text(end + 4, y + 13, f"{row.diff:.2e}"))
        if math.isfinite(row.error_bound) and row.error_bound > 0:
            body.append(_bound_mark(axis.at(row.error_bound), y, bar_height, row.error_bound))
    body.append(
        text(
            axis.start,
            height - 4,
            "| : the relative difference the estimated errors alone could explain (error bound)",
            extra='font-size="10" fill="#555"',
        )
    )
    return svg(
        width,
        height,
        f"relative difference of each block ({report.kind}), log scale, texts' bands shaded",
        body,
    )


def _bound_mark(x: float, y: float, height: float, bound: float) -> str:
    """A block's error bound: a black tick across its bar."""
    return (
        f'<line x1="{x:.1f}" y1="{y - 2:.1f}" x2="{x:.1f}" y2="{y + height + 2:.1f}" '
        f'stroke="#212121" stroke-width="2"><title>error bound {bound:.2e}</title></line>'
    )


def _shortened(name: str, most: int = 28) -> str:
    return name if len(name) <= most else name[: most - 1] + "…"


SWEEP_LINES = (  # (field, label, stroke dash)
    ("measured", "measured", ""),
    ("estimated", "estimated", "6 3"),
    ("truncation", "truncation part", "2 3"),
    ("rounding", "rounding part", "2 3"),
)
SWEEP_COLOURS = ("#1565c0", "#c62828", "#6a1b9a", "#ef8f00")
TEXTS_STEPS = (1e-7, 1e-4)  # the texts' range of steps h


def _line(x1: float, y1: float, x2: float, y2: float, stroke: str, width: float) -> str:
    return (
        f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{stroke}" '
        f'stroke-width="{width}"/>'
    )


def _sweep_line(sweep: Sweep, x: LogAxis, y: LogAxis, key: str, dash: str, colour: str) -> str:
    """One quantity of the sweep against h; values a log axis cannot place are left out."""
    points = [
        (x.at(p.h), y.at(getattr(p, key)))
        for p in sweep.points
        if p.h > 0 and math.isfinite(getattr(p, key)) and getattr(p, key) > 0
    ]
    path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
    out = (
        f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="1.8" '
        f'stroke-dasharray="{dash}"/>'
    )
    if key == "measured":  # the measured points are what was seen: marked one by one
        out += "".join(
            f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}"/>' for px, py in points
        )
    return out


def sweep_chart(sweep: Sweep) -> str:
    """The error against h on log-log axes: measured, estimated and its two parts; the
    texts' range of steps shaded and the automatic step marked."""
    steps = [p.h for p in sweep.points]
    errors = [getattr(p, key) for p in sweep.points for key, *_ in SWEEP_LINES]
    width, height, left, top, right, bottom = 640.0, 380.0, 60.0, 16.0, 500.0, 330.0
    x = LogAxis(*decades(steps, min(steps), max(steps)), left, right)
    y = LogAxis(*decades(errors, 1e-12, 1e-2), bottom, top)
    shade = [x.at(h) for h in TEXTS_STEPS]
    body = [rect(shade[0], top, shade[1] - shade[0], bottom - top, "#e8f5e9")]
    body += _ticks(x, top, bottom)
    for decade in y.ticks():
        at = y.at(10.0**decade)
        body.append(_line(left, at, right, at, "#9e9e9e", 0.5))
        body.append(text(left - 4, at + 4, f"1e{decade}", "end"))
    auto = x.at(sweep.auto_h) if sweep.auto_h > 0 else left
    body.append(_line(auto, top, auto, bottom, "#424242", 1.5))
    legend = [("automatic step", "#424242"), ("texts' range of h", "#a5d6a7")]
    for (key, label, dash), colour in zip(SWEEP_LINES, SWEEP_COLOURS):
        body.append(_sweep_line(sweep, x, y, key, dash, colour))
        legend.insert(-2, (label, colour))
    for k, (label, colour) in enumerate(legend):
        body.append(rect(right + 12, top + 8 + 18 * k, 14, 10, colour))
        body.append(text(right + 32, top + 17 + 18 * k, label))
    middle = (top + bottom) / 2
    body.append(text((left + right) / 2, height - 14, "step h", "middle"))
    body.append(
        text(14, middle, "relative error", "middle", f'transform="rotate(-90 14 {middle:.0f})"')
    )
    return svg(width, height, f"step-size sweep ({sweep.scheme}): error against h", body)
