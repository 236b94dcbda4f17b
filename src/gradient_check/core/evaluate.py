"""Evaluate f at batches of perturbed points: the evaluator, and the guards around it.

The ``Evaluator`` is the one seam between the engine and how f is run. The default,
``InPlaceEvaluator``, perturbs the user's arrays in place through a ``Workspace`` (one
element write, one call, one store per point) and restores them exactly; a framework
adapter (PyTorch, JAX) or an executor (a process pool, dask) implements the same two
methods and the rest of the path does not change.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

import numpy as np

from ..errors import CheckInterrupted, InvalidProblemError, LossError
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


PIECE_SECONDS = 0.25  # the in-place loop reports progress (and covered points) this often
FIRST_PIECE = 8  # points of a batch in its first piece; doubled while pieces are quick


class AutoProgress:
    """``check``'s default ``progress``: when a check starts, the display registered by
    gradient_check.render.progress (a rich bar on stderr, drawn only on a terminal and only
    once the check has run about two seconds), or nothing where none is registered or
    stderr is not a terminal. A callable, so Settings take it as any progress callback."""

    def __call__(self, done: int, expected: int) -> None:
        return None

    def __repr__(self) -> str:
        return "'auto'"


AUTO_PROGRESS = AutoProgress()
# Factories () -> progress callable or None, for AUTO_PROGRESS: core imports no renderer;
# gradient_check.render.progress registers its factory on import.
PROGRESS_DISPLAYS: list[Callable[[], Callable[[int, int], None] | None]] = []


def register_progress_display(factory: Callable[[], Callable[[int, int], None] | None]) -> None:
    """Make ``factory()`` (a progress callable, or None for none) what AUTO_PROGRESS means."""
    if factory not in PROGRESS_DISPLAYS:
        PROGRESS_DISPLAYS.append(factory)


def progress_of(progress: Callable[[int, int], None] | None) -> Callable[[int, int], None] | None:
    """The progress callback a check reports to: ``progress``, or for AUTO_PROGRESS the
    registered display's (None when there is none)."""
    if isinstance(progress, AutoProgress):
        return PROGRESS_DISPLAYS[-1]() if PROGRESS_DISPLAYS else None
    return progress


def evaluator_of(
    settings: Any, f: Callable[[Any], Any], workspace: Workspace, spec: OutputSpec
) -> Counted:
    """The check's evaluator: the adapter's factory, the registered executor evaluator for
    ``settings.executor``, or the in-place loop; counted by stage, for ``settings.progress``
    and for what a Ctrl-C leaves (errors.CheckInterrupted)."""
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
    return Counted(evaluator, progress_of(settings.progress))


class Counted:
    """An evaluator that counts its points by the check's stage and reports them to
    ``progress(done, expected)``; the engine names the stage and sets ``expected`` once
    the plan is known (0 until then).

    The in-place loop's batches are run in pieces (FIRST_PIECE points, doubled while a
    piece takes under PIECE_SECONDS / 2), so that progress moves and a Ctrl-C loses at most
    one piece; an evaluator with an ``on_done`` attribute (the executors') reports its own
    points as they return; any other is called with whole batches, as without counting.
    During the "differences" stage the coordinates measured are kept as ranges.
    """

    def __init__(
        self, inner: Evaluator, progress: Callable[[int, int], None] | None = None
    ) -> None:
        self.inner, self.progress, self.expected = inner, progress, 0
        self.stage, self.by_stage = "probes", {"probes": 1}  # the centre, evaluated first
        self.runs: list[list[int]] = []  # [start, stop) ranges of measured coordinates
        self.piece = FIRST_PIECE
        self.splits = isinstance(inner, InPlaceEvaluator)
        self.itself = hasattr(inner, "on_done")
        if self.itself:
            inner.on_done = self.count

    @property
    def done(self) -> int:
        return sum(self.by_stage.values())

    def enter(self, stage: str) -> None:
        """Count what follows in ``stage``."""
        self.stage = stage
        self.by_stage.setdefault(stage, 0)

    def count(self, points: int) -> None:
        self.by_stage[self.stage] += points
        if self.progress is not None:
            self.progress(self.done, max(self.expected, self.done))

    def pieces(self, size: int, points_per_row: int, run: Callable[[slice], None]) -> None:
        """Run rows [0, size) through ``run`` in pieces, counting each."""
        start = 0
        while start < size:
            rows = max(1, self.piece // points_per_row) if self.splits else size
            part = slice(start, min(size, start + rows))
            began = time.perf_counter()
            run(part)
            if self.splits and time.perf_counter() - began < PIECE_SECONDS / 2:
                self.piece *= 2
            if not self.itself:
                self.count((part.stop - part.start) * points_per_row)
            start = part.stop

    def at_coordinates(
        self, coordinates: np.ndarray, values: np.ndarray, out: np.ndarray | None = None
    ) -> np.ndarray:
        if len(coordinates) == 0:
            return self.inner.at_coordinates(coordinates, values, out)
        held: list[np.ndarray] = [] if out is None else [out]

        def run(part: slice) -> None:
            if not held:  # the first piece says how many outputs f has
                found = self.inner.at_coordinates(coordinates[part], values[part])
                held.append(np.empty((*values.shape, found.shape[-1])))
                held[0][part] = found
            else:
                self.inner.at_coordinates(coordinates[part], values[part], held[0][part])
            if self.stage == "differences":
                self.cover(coordinates[part])

        per = int(np.prod(values.shape[1:], dtype=int))
        self.pieces(len(coordinates), max(1, per), run)
        return held[0]

    def at_thetas(self, thetas: np.ndarray, where: Callable[[int], str]) -> np.ndarray:
        if thetas.shape[0] == 0:
            return self.inner.at_thetas(thetas, where)
        found: list[np.ndarray] = []

        def run(part: slice) -> None:
            found.append(self.inner.at_thetas(thetas[part], lambda j: where(part.start + j)))

        self.pieces(thetas.shape[0], 1, run)
        return found[0] if len(found) == 1 else np.concatenate(found)

    def cover(self, coordinates: np.ndarray) -> None:
        """Add ``coordinates`` to the measured ranges (a retry inside the last range adds
        nothing)."""
        if coordinates.size == 0:
            return
        breaks = np.flatnonzero(np.diff(coordinates) != 1) + 1
        for run in np.split(coordinates, breaks):
            low, high = int(run[0]), int(run[-1]) + 1
            last = self.runs[-1] if self.runs else None
            if last is not None and last[0] <= low <= last[1]:
                last[1] = max(last[1], high)
            else:
                self.runs.append([low, high])

    def covered(self) -> tuple[tuple[int, int], ...]:
        """The measured coordinates as sorted, disjoint [start, stop) ranges."""
        merged: list[list[int]] = []
        for low, high in sorted(self.runs):
            if merged and low <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], high)
            else:
                merged.append([low, high])
        return tuple((low, high) for low, high in merged)

    def interrupted(self) -> CheckInterrupted:
        """What was measured before a Ctrl-C, as the exception that says so."""
        return CheckInterrupted(self.stage, self.by_stage, self.expected, self.covered())

    def close(self) -> None:
        """End the progress display, if it has an end."""
        close = getattr(self.progress, "close", None)
        if callable(close):
            close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)
