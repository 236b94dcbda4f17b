"""A step-size sweep as plain text: the error against h, the automatic step marked."""

from __future__ import annotations

import numpy as np

from ..checks.sweep import Sweep
from ..report import text_form


@text_form(Sweep)
def render_sweep(sweep: Sweep) -> str:
    """One line per step h: measured and estimated error, truncation and rounding parts."""
    lines = [
        f"step-size sweep ({sweep.scheme}, {sweep.elements} elements, reference: "
        f"{sweep.reference})",
        "",
        "h          measured   estimated  truncation rounding",
    ]
    marked = min(sweep.points, key=lambda p: abs(np.log(p.h / sweep.auto_h))).h
    for p in sweep.points:
        mark = "  <- automatic step" if p.h == marked else ""
        lines.append(
            f"{p.h:<10.0e} {p.measured:<10.2e} {p.estimated:<10.2e} "
            f"{p.truncation:<10.2e} {p.rounding:<9.2e}{mark}"
        )
    lines += [
        "",
        f"automatic step ~ {sweep.auto_h:.1e}; smallest measured error at h = {sweep.best_h:.0e}",
    ]
    return "\n".join(lines)
