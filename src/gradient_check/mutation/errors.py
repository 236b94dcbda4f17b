"""The error of mutation testing, raised before any mutant runs."""

from __future__ import annotations

from gradient_check.errors import GradientCheckError


class MutationError(GradientCheckError, ValueError):
    """Raised when a function cannot be mutated or a mutation test is misconfigured."""
