"""Evaluate f at batches of perturbed points: the evaluator, and the guards around it.

The ``Evaluator`` is the one seam between the engine and how f is run. The default,
``InPlaceEvaluator``, perturbs the user's arrays in place through a ``Workspace`` (one
element write, one call, one store per point) and restores them exactly; a framework
adapter (PyTorch, JAX) or an executor (a process pool, dask) implements the same two
methods and the rest of the path does not change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

import numpy as np

from ..errors import InvalidProblemError, LossError
from .flatten import ParameterVector, leaf_at, real_view
from .outputs import OutputSpec
from .workspace import Workspace, bitwise_equal, saved_values, unreadable_output


class Evaluator(Protocol):
    """Evaluates f at a batch of points near theta and returns its outputs as float64.

    Two kinds of batch, both answered with one row of m outputs (read as the OutputSpec
    reads them) per point:

    * ``at_coordinates``: points that each move one coordinate of theta (the 2n central
      differences, the longer steps, the refinements): theta with theta_i set to
      values[k, q] for i = coordinates[k], an array of shape (k, q, m);
    * ``at_thetas``: whole parameter vectors (random directions, the probes), an array of
      shape (points, m).

    Contract: evaluate at exactly the values given (already rounded to each coordinate's
    evaluation dtype, so differences divide by the step really taken); leave every
    parameter bitwise as it was; raise LossError, saying where, for an output that cannot
    be read. Non-finite outputs are returned, not raised: the caller names them.
    """

    def at_coordinates(
        self, coordinates: np.ndarray, values: np.ndarray, out: np.ndarray | None = None
    ) -> np.ndarray:
        """f's outputs with coordinate coordinates[k] at values[k, q]: shape (k, q, m)."""
        ...

    def at_thetas(self, thetas: np.ndarray, where: Callable[[int], str]) -> np.ndarray:
        """f's outputs at each row of ``thetas`` (points, n): shape (points, m).
        ``where(j)`` describes point j for an error message."""
        ...


class InPlaceEvaluator:
    """The default evaluator: f called in this process on the workspace's live structure,
    one point after another, each perturbation written in place and undone exactly."""

    def __init__(self, f: Callable[[Any], Any], workspace: Workspace, spec: OutputSpec) -> None:
        self.f, self.workspace, self.spec = f, workspace, spec

    def at_coordinates(
        self, coordinates: np.ndarray, values: np.ndarray, out: np.ndarray | None = None
    ) -> np.ndarray:
        if out is None:
            out = np.empty((*values.shape, self.spec.size))
        self.workspace.evaluate_points(self.f, coordinates, values, self.spec.read, out)
        return out

    def at_thetas(self, thetas: np.ndarray, where: Callable[[int], str]) -> np.ndarray:
        out = np.empty((thetas.shape[0], self.spec.size))
        for j, theta in enumerate(thetas):
            out[j] = self.workspace.evaluate_theta(
                self.f, theta, lambda y, j=j: read_output(self.spec, y, where(j))
            )
        return out


def read_output(spec: OutputSpec, y: Any, where: str) -> np.ndarray:
    """One evaluation's outputs as float64, or a LossError saying where it changed kind."""
    try:
        # a copy: f may return a view of its parameters, which are restored after the call
        return np.atleast_1d(np.array(spec.read(y), dtype=np.float64))
    except (TypeError, ValueError) as error:
        raise unreadable_output(y, error, where) from error


def check_unchanged(workspace: Workspace, who: str = "the function") -> None:
    """Raise if ``who`` wrote into its parameters or replaced one in its containers."""
    changed = workspace.changed_slots()
    replaced = workspace.replaced_slots()
    if changed or replaced:
        what = (
            f"changed parameter {', '.join(f'`{s.name}`' for s in changed)} in place"
            if changed
            else f"replaced parameter {', '.join(f'`{s.name}`' for s in replaced)} in its container"
        )
        raise LossError(
            f"{who} {what} while being evaluated. A function under check must not modify its "
            "parameters: copy before writing."
        )


@contextmanager
def guard_parameters(params: Any, vector: ParameterVector, who: str) -> Iterator[None]:
    """Run user code that must not write its parameters; if it does, restore them and raise.

    For code called outside a workspace (a derivative called to test it), on the user's
    own arrays.
    """
    arrays = [(s, leaf_at(params, s.path)) for s in vector.slots]
    # contiguous arrays are compared and restored through their real view, against theta's
    # slice where it holds their bits: no copy of a float64 parameter
    saved = [
        (a, saved_values(real_view(a), vector.theta[s.offset : s.stop]))
        if a.flags.c_contiguous
        else (a, a.copy())
        for s, a in arrays
        if isinstance(a, np.ndarray)
    ]
    named = [s for s, a in arrays if isinstance(a, np.ndarray)]
    try:
        yield
    finally:
        seen = [real_view(a) if a.flags.c_contiguous else a for a, _ in saved]
        changed = [
            i
            for i, (now, (_, old)) in enumerate(zip(seen, saved, strict=True))
            if not bitwise_equal(now, old)
        ]
        for i in changed:
            if saved[i][0].flags.writeable:
                seen[i][...] = saved[i][1]
        changed = [named[i] for i in changed]
    if changed:
        names = ", ".join(f"`{s.name}`" for s in changed)
        raise LossError(
            f"{who} changed parameter {names} in place (now restored). A derivative must not "
            "modify its parameters: copy before writing."
        )


# Factories (executor, f, workspace, spec) -> Evaluator for Settings.executor: core knows no
# executor library; gradient_check.adapters.executors registers its factory on import.
EXECUTOR_EVALUATORS: list[Callable[..., Evaluator]] = []


def register_executor_evaluator(factory: Callable[..., Evaluator]) -> None:
    """Make ``factory(executor, f, workspace, spec)`` the evaluator of Settings.executor."""
    if factory not in EXECUTOR_EVALUATORS:
        EXECUTOR_EVALUATORS.append(factory)


def evaluator_of(settings: Any, f: Callable[[Any], Any], workspace: Workspace, spec: OutputSpec):
    """The check's evaluator: the adapter's factory, the registered executor evaluator for
    ``settings.executor``, or the in-place loop; counted for ``settings.progress``."""
    if settings.evaluator is not None:
        evaluator = settings.evaluator(f, workspace, spec)
    elif settings.executor is not None:
        if not EXECUTOR_EVALUATORS:
            raise InvalidProblemError(
                "`executor` needs gradient_check.adapters.executors: import it (it registers "
                "the evaluator that runs f on an executor's workers)."
            )
        evaluator = EXECUTOR_EVALUATORS[-1](settings.executor, f, workspace, spec)
    else:
        evaluator = InPlaceEvaluator(f, workspace, spec)
    return evaluator if settings.progress is None else Counted(evaluator, settings.progress)


class Counted:
    """An evaluator that reports its points to ``progress(done, expected)``; the engine sets
    ``expected`` once the plan is known (0 until then)."""

    def __init__(self, inner: Evaluator, progress: Callable[[int, int], None]) -> None:
        self.inner, self.progress, self.done, self.expected = inner, progress, 0, 0

    def count(self, points: int) -> None:
        self.done += points
        self.progress(self.done, max(self.expected, self.done))

    def at_coordinates(
        self, coordinates: np.ndarray, values: np.ndarray, out: np.ndarray | None = None
    ) -> np.ndarray:
        found = self.inner.at_coordinates(coordinates, values, out)
        self.count(int(np.prod(values.shape)))
        return found

    def at_thetas(self, thetas: np.ndarray, where: Callable[[int], str]) -> np.ndarray:
        found = self.inner.at_thetas(thetas, where)
        self.count(thetas.shape[0])
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)
