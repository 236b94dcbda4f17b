"""Mutation testing of a backward pass: operators that change one AST node, the mutants
they make, and the gradient check as their judge. Imported lazily by the package: a
gradient check never needs ``ast`` or ``inspect``."""

from . import text  # noqa: F401  (registers the plain text that str(mutation_report) shows)
