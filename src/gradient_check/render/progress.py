"""A check's progress on a terminal: a rich bar on stderr with the count and ETA of
evaluations, drawn only once the check has run about two seconds.

``check``'s default ``progress`` (core.evaluate.AUTO_PROGRESS) becomes ``terminal_progress()``
when a check starts: a ``ProgressBar`` when stderr is a terminal, else None (nothing drawn:
piped output, CI logs, tests). Importing this module registers that factory and imports no
rich: rich is loaded when a bar is first drawn.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from ..core.evaluate import register_progress_display

DELAY_SECONDS = 2.0  # a check shorter than this draws nothing


class ProgressBar:
    """``progress(done, expected)`` that draws a bar on ``stream`` (stderr) once
    ``delay`` seconds (DELAY_SECONDS) have passed since it was made; ``close()`` removes it."""

    def __init__(
        self,
        stream: TextIO | None = None,
        delay: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream, self.clock = stream, clock
        self.delay = DELAY_SECONDS if delay is None else delay
        self.started = clock()
        self.bar: Any = None
        self.task: Any = None

    def __call__(self, done: int, expected: int) -> None:
        if self.bar is None:
            if self.clock() - self.started < self.delay:
                return
            self.open(expected)
        self.bar.update(self.task, completed=done, total=max(expected, done))

    def open(self, expected: int) -> None:
        """Start drawing (rich is imported here, not before)."""
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        console = Console(file=self.stream or sys.stderr)
        self.bar = Progress(
            TextColumn("gradient check"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("evaluations"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )
        self.task = self.bar.add_task("check", total=max(expected, 1))
        self.bar.start()

    def close(self) -> None:
        """Remove the bar (if it was drawn)."""
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


def is_terminal(stream: Any) -> bool:
    """Whether ``stream`` is an interactive terminal."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or closed
        return False


def terminal_progress() -> ProgressBar | None:
    """AUTO_PROGRESS's display: a bar when stderr is a terminal and rich is installed."""
    if not is_terminal(sys.stderr) or importlib.util.find_spec("rich") is None:
        return None
    return ProgressBar()


register_progress_display(terminal_progress)
