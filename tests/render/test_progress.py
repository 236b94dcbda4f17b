"""The progress bar: drawn on stderr only when it is a terminal and only once a check has
run DELAY_SECONDS; check's default finds it through the registry, silent when piped."""

from __future__ import annotations

import io
import sys

import numpy as np
import pytest

import gradient_check as gc
from gradient_check.core import evaluate
from gradient_check.render import progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def quadratic(n=200):
    x = np.linspace(-1.0, 1.0, n)
    return lambda v: float(v @ v), x, 2 * x


def test_nothing_is_drawn_before_the_delay():
    now = [0.0]
    stream = Terminal()
    bar = progress.ProgressBar(stream, delay=2.0, clock=lambda: now[0])
    now[0] = 1.9
    bar(10, 100)
    assert bar.bar is None and stream.getvalue() == ""
    now[0] = 2.1
    bar(20, 100)
    assert bar.bar is not None
    assert bar.bar.tasks[0].completed == 20 and bar.bar.tasks[0].total == 100
    bar(150, 100)  # more than planned (refinement): the total follows
    assert bar.bar.tasks[0].total == 150
    bar.close()
    assert bar.bar is None
    bar.close()  # closing twice is harmless


def test_the_display_is_registered_and_needs_a_terminal(monkeypatch):
    assert progress.terminal_progress in evaluate.PROGRESS_DISPLAYS
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert progress.terminal_progress() is None
    assert evaluate.progress_of(evaluate.AUTO_PROGRESS) is None
    monkeypatch.setattr(sys, "stderr", Terminal())
    assert isinstance(evaluate.progress_of(evaluate.AUTO_PROGRESS), progress.ProgressBar)
    mine = lambda done, expected: None  # noqa: E731
    assert evaluate.progress_of(mine) is mine and evaluate.progress_of(None) is None


@pytest.mark.parametrize("terminal", [False, True])
def test_check_draws_by_default_only_on_a_terminal(monkeypatch, terminal):
    monkeypatch.setattr(progress, "DELAY_SECONDS", 0.0)
    stream = Terminal() if terminal else io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    report = gc.check(*quadratic())
    assert report.ok
    assert ("evaluations" in stream.getvalue()) is terminal


def test_progress_none_draws_nothing(monkeypatch):
    monkeypatch.setattr(progress, "DELAY_SECONDS", 0.0)
    stream = Terminal()
    monkeypatch.setattr(sys, "stderr", stream)
    assert gc.check(*quadratic(), progress=None).ok
    assert stream.getvalue() == ""
