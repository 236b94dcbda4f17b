"""Ctrl-C in an adapter's own calls of the user's function, raised as the engine raises it.

An adapter calls the user's function outside the engine: before it (torch's randomness
probe, jax's first call and its jit-against-called check, autograd's or jax's derivative
called twice for repeatability), inside it (the vmap agreement check) and after it (the
forward-mode and structural cross-checks). ``interruptible`` runs an adapter's check so
that a Ctrl-C anywhere in it raises CheckInterrupted, with the adapter's own evaluations of
f (those its report lists beside the engine's) counted under "probes". Entered outside the
adapter's restorations (threads, torch's RNG fork, jax's x64 mode), it raises after they
have run. Needs neither torch nor jax.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ..core.summarise import stage_of
from ..errors import CheckInterrupted
from ..report import Report


class Tally:
    """The adapter's own evaluations of f, counted as they return, and the engine's last
    report once the engine has returned one."""

    def __init__(self) -> None:
        self.made = 0
        self.more: list[Callable[[], int]] = []  # counts kept elsewhere (a vmap log's)
        self.report: Report | None = None

    def counted(self, f: Callable[..., Any]) -> Callable[..., Any]:
        """``f``, each call that returns counted."""

        def call(*args: Any, **kwargs: Any) -> Any:
            value = f(*args, **kwargs)
            self.made += 1
            return value

        return call

    def total(self) -> int:
        return self.made + sum(count() for count in self.more)

    def made_by_stage(self, evaluations: dict[str, int]) -> dict[str, int]:
        """``evaluations`` by stage with the adapter's own and the report's added, each
        report identifier counted in its stage (``summarise.stage_of``)."""
        made = {"probes": self.total()}
        reported = {} if self.report is None else self.report.evaluations
        for key, count in (*reported.items(), *evaluations.items()):
            stage = stage_of(key)
            made[stage] = made.get(stage, 0) + count
        return made

    def interrupted(self) -> CheckInterrupted:
        """A Ctrl-C outside the engine: in "probes" before it returned a report, else in the
        report's last stage."""
        made = self.made_by_stage({})
        return CheckInterrupted(list(made)[-1], made)

    def merged(self, stopped: CheckInterrupted) -> CheckInterrupted:
        """The engine's interrupt with the adapter's evaluations (and an earlier report's)
        added; its stage, plan and covered coordinates kept."""
        made = self.made_by_stage(stopped.evaluations)
        added = sum(made.values()) - stopped.done
        expected = stopped.expected + added if stopped.expected else 0
        return CheckInterrupted(stopped.stage, made, expected, stopped.covered, stopped.report)


@contextmanager
def interruptible() -> Iterator[Tally]:
    """Run an adapter's check: any KeyboardInterrupt leaves as a CheckInterrupted counting
    the evaluations the Tally yielded was told of (see the module)."""
    tally = Tally()
    try:
        yield tally
    except CheckInterrupted as stopped:  # the engine's: one wrapping, never two
        if not tally.total() and tally.report is None:
            raise
        raise tally.merged(stopped) from stopped.__cause__
    except KeyboardInterrupt as interrupt:
        raise tally.interrupted() from interrupt
