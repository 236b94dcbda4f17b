"""What would decide a block that cannot tell: the largest part of its estimated error
(the function's noise, the derivative's own rounding, or truncation), or the element no
finite difference can judge (a jump, slopes that never settled).
"""

from __future__ import annotations

import numpy as np

from ..report import Element
from .chunks import chunked_sum
from .judge import Judged


def advice(parts: dict[str, float], low_precision: bool, noisy: bool) -> str:
    """What would make a block decidable, from the largest part of its estimated error."""
    largest = max(parts, key=parts.get)
    if largest == "derivative":
        return "the derivative's own precision dominates: compute it in float64"
    if largest == "truncation":
        return "truncation error dominates: use a smaller step h"
    if low_precision:
        return "rounding in low precision dominates: evaluate the function in float64"
    if noisy:
        return "the function is noisy: make it deterministic, or use a larger step h"
    return "rounding error dominates: use a larger step h"


def error_parts(judged: Judged, rows: slice, cols: slice) -> dict[str, float]:
    """The block's estimated error split into the function's noise, the derivative's own
    rounding, and (for refined rows) what remains: truncation."""
    errors, refined = judged.errors, judged.refinement
    inverse = chunked_sum(lambda part: 1.0 / judged.first.steps[part], rows)
    noise = float(inverse * np.sum(errors.noise[cols]))
    derivative = float(errors.analytic_rounding[cols].sum() * (rows.stop - rows.start))
    inside = (refined.doubt >= rows.start) & (refined.doubt < rows.stop)
    first = errors.rounding(judged.first.steps[refined.doubt[inside]])[:, cols]
    truncation = float(np.sum(np.maximum(refined.error[inside][:, cols] - first, 0)))
    return {"noise": noise, "derivative": derivative, "truncation": truncation}


def undecided_advice(element: Element) -> str:
    """What would decide a block holding an element no finite difference here can judge."""
    if element.kind == "jump":
        return (
            f"f jumps at {element.label} (its one-sided slopes grow like 1/h as the step "
            "shrinks): no derivative exists there; move theta off the discontinuity"
        )
    return (
        f"at {element.label} the one-sided slopes never settled as the step shrank (f "
        "changes on a shorter scale than the shortest step, or several kinks lie inside "
        "it): move theta away from them, or check at a point where f is smooth"
    )
