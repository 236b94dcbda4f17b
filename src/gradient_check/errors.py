"""The package's exceptions: one base class, a few subclasses a caller may want to catch."""

from __future__ import annotations

from typing import Any


class GradientCheckError(Exception):
    """Base class of every error raised by gradient_check."""


class InvalidProblemError(GradientCheckError, ValueError):
    """The parameters, derivatives or function given to a check are malformed."""


class LossError(GradientCheckError):
    """The function under check returned something unusable (non-scalar, non-finite, mutated)."""


class StochasticLossError(GradientCheckError):
    """The function gives different values for the same parameters, so no verdict is possible."""


class StepError(GradientCheckError, ValueError):
    """The finite-difference step cannot be taken (vanishes or is not a valid step)."""


class MissingDependencyError(GradientCheckError, ImportError):
    """An optional part (an adapter, the command line, plots) needs a library that is not
    installed; the message names the extra that installs it."""


class CheckInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a check; the parameters and every random generator's state were
    restored before this was raised. A KeyboardInterrupt, so code that stops on Ctrl-C
    still stops; catch it to read what was measured before the interrupt:

    * ``stage``: the stage that was running ("probes", "differences", "refinement" or
      "localisation");
    * ``evaluations``: evaluations of f made, by stage, in the stages' order. A finished
      stage's count is exact; the running stage's counts the batches of points that had
      returned (a batch cut short by the interrupt counts none of its points);
    * ``done`` and ``expected``: their sum, and the evaluations the check had planned
      (0 until the plan was known, which is after the probes);
    * ``covered``: the coordinates of theta (half-open ranges ``(start, stop)`` in
      ``flatten(params)``'s order) whose first central differences were all measured; a
      directional, sampled or localising check, which measures directions, covers none;
    * ``report``: the partial report, a ``Report`` of the coordinates measured, judged on
      their first differences alone; it never passes. A coordinate check has one once the
      first piece of its central differences returned (any scheme: once they all did);
      None before that, and for a directional, sampled or localising check.
    """

    def __init__(
        self,
        stage: str,
        evaluations: dict[str, int],
        expected: int = 0,
        covered: tuple[tuple[int, int], ...] = (),
        report: Any = None,
    ) -> None:
        self.stage, self.evaluations, self.report = stage, dict(evaluations), report
        self.done, self.expected, self.covered = sum(self.evaluations.values()), expected, covered
        planned = f" of {expected}" if expected else ""
        coordinates = sum(stop - start for start, stop in covered)
        measured = f", {coordinates} coordinates' differences measured" if covered else ""
        super().__init__(
            f"check interrupted during {stage} after {self.done}{planned} evaluations"
            f"{measured}; parameters and random state restored"
        )
