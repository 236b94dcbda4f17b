"""Plots with matplotlib (the ``plot`` extra), imported only when a plot is asked for."""

from __future__ import annotations

from ..checks.sweep import Sweep


def plot_sweep(result: Sweep, path: str) -> None:
    """Measured and estimated error against h on log axes, the automatic step marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [p.h for p in result.points]
    figure, axes = plt.subplots(figsize=(6.4, 4.2))
    axes.loglog(steps, [p.measured for p in result.points], "o-", label="measured")
    axes.loglog(steps, [p.estimated for p in result.points], "s--", label="estimated")
    axes.loglog(
        steps,
        [p.truncation for p in result.points],
        ":",
        label="truncation part (from D(h) - D(h/2))",
    )
    axes.loglog(steps, [p.rounding for p in result.points], ":", label="rounding part")
    axes.axvline(result.auto_h, color="grey", linewidth=1, label="automatic step")
    axes.axvspan(1e-7, 1e-4, color="green", alpha=0.08, label="texts' range 1e-7..1e-4")
    axes.set_xlabel("step h")
    axes.set_ylabel("relative difference from the reference")
    axes.set_title(f"{result.scheme} differences, {result.elements} elements")
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
