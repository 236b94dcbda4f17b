"""The package's exceptions: one base class, a few subclasses a caller may want to catch."""

from __future__ import annotations


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
