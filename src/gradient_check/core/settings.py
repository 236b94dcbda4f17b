"""How a check measures and judges: the validated options every check shares.

Besides the step, scheme and judging options, Settings carry how much of theta a check
looks at (``mode``: every coordinate, random directions per tensor, sampled elements, or
directions that localise what they find), a ``budget`` that picks the mode, and where and
how the evaluations run: an ``evaluator`` factory (a framework adapter's), an
``executor`` (any object with ``submit``: a concurrent.futures pool, a dask client's
executor; core only holds it: adapters/executors registers the evaluator that uses it),
and a ``progress`` callable the engine calls with (evaluations done, expected).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InvalidProblemError
from .judge import DEFAULT_MARGIN
from .schemes import Scheme, get_scheme
from .steps import Step, as_step

MODES = ("full", "directional", "sample", "locate")
DEFAULT_DIRECTIONS = 3  # per tensor: one direction nearly orthogonal to an error is rare
DEFAULT_SAMPLES = 16  # elements per tensor in sample mode
# "30s", "2.5 min", "1h": a budget in seconds; an int is a budget in evaluations
_SECONDS = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(s|sec|seconds?|m|min|minutes?|h|hours?)\s*$")
_UNIT = {"s": 1.0, "m": 60.0, "h": 3600.0}


@dataclass(frozen=True)
class Budget:
    """A limit on a check's cost: ``evaluations`` of f, or wall-clock ``seconds``."""

    evaluations: int | None = None
    seconds: float | None = None

    def __str__(self) -> str:
        return f"{self.evaluations} evaluations" if self.seconds is None else f"{self.seconds:g} s"


@dataclass(frozen=True)
class Settings:
    """How a check measures and judges; every field has a documented default."""

    h: Step  # the step: absolute, relative or automatic
    scheme: Scheme  # the finite-difference formula
    margin: float = DEFAULT_MARGIN  # "clearly exceeds": this many estimated errors
    band_scale: float = 1.0  # multiplies the texts' band edges (deep networks)
    promote: bool = True  # evaluate low-precision parameters as float64 copies if f allows
    seed: int = 0  # the private generator of random directions (the probes use fixed ones)
    # builds the Evaluator from (f, workspace, output spec); None: the in-place loop. An
    # adapter (a vmapped PyTorch or JAX function) or an executor supplies its own.
    evaluator: Callable[..., Any] | None = None
    mode: str = "full"  # one of MODES
    # random directions per tensor; None: the mode's own (DEFAULT_DIRECTIONS, or locate's 2)
    directions: int | None = None
    samples: int = DEFAULT_SAMPLES  # elements per tensor (sample)
    budget: Budget | None = None  # picks the mode to fit, when given
    executor: Any = None  # an object with .submit (concurrent.futures.Executor, dask)
    progress: Callable[[int, int], None] | None = None  # called with (done, expected)


def make_settings(
    h: Any,
    scheme: Any,
    margin: float,
    band_scale: float,
    promote: bool,
    seed: int,
    *,
    mode: str = "full",
    directions: int | None = None,
    samples: int = DEFAULT_SAMPLES,
    budget: Any = None,
    executor: Any = None,
    progress: Callable[[int, int], None] | None = None,
) -> Settings:
    """Validate a check's options into Settings, naming any that is unusable."""
    for name, value in (("margin", margin), ("band_scale", band_scale)):
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float, np.number))
            or not (np.isfinite(value) and value > 0)
        ):
            raise InvalidProblemError(f"`{name}` must be a positive finite number; got {value!r}.")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InvalidProblemError(f"`seed` must be an integer >= 0; got {seed!r}.")
    if not isinstance(promote, (bool, np.bool_)):
        raise InvalidProblemError(
            f"`promote` must be True or False; got {promote!r}. True evaluates float32/float16 "
            "parameters as float64 copies where the function allows it."
        )
    if not isinstance(mode, str) or mode not in MODES:
        raise InvalidProblemError(f"`mode` is {mode!r}; choose one of {', '.join(MODES)}.")
    for name, value in (("directions", directions), ("samples", samples)):
        if name == "directions" and value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise InvalidProblemError(f"`{name}` must be a positive int; got {value!r}.")
    if budget is not None and mode != "full":
        raise InvalidProblemError(
            f"`budget` picks the mode itself; drop either budget={budget!r} or mode={mode!r}."
        )
    if directions is not None and mode in ("full", "sample") and budget is None:
        raise InvalidProblemError(
            f"`directions` applies to mode='directional' or mode='locate', not mode={mode!r}: "
            "drop it, or choose one of those modes."
        )
    if executor is not None and not callable(getattr(executor, "submit", None)):
        raise InvalidProblemError(
            f"`executor` must have a submit method (a concurrent.futures.Executor, or "
            f"dask's Client(...).get_executor()); got {type(executor).__name__}."
        )
    if progress is not None and not callable(progress):
        raise InvalidProblemError(f"`progress` must be callable(done, expected); got {progress!r}.")
    return Settings(
        as_step(h),
        get_scheme(scheme),
        float(margin),
        float(band_scale),
        bool(promote),
        int(seed),
        mode=mode,
        directions=None if directions is None else int(directions),
        samples=int(samples),
        budget=as_budget(budget),
        executor=executor,
        progress=progress,
    )


def as_budget(budget: Any) -> Budget | None:
    """``budget`` as a Budget: an int counts evaluations of f; a string with a unit of time
    ("30s", "2 min", "1h") is wall-clock seconds; None is no budget."""
    if budget is None or isinstance(budget, Budget):
        return budget
    if isinstance(budget, (int, np.integer)) and not isinstance(budget, bool) and budget > 0:
        return Budget(evaluations=int(budget))
    found = _SECONDS.match(budget) if isinstance(budget, str) else None
    if found and float(found.group(1)) > 0:
        return Budget(seconds=float(found.group(1)) * _UNIT[found.group(2)[0]])
    raise InvalidProblemError(
        f"`budget` is {budget!r}; give a positive int (evaluations of the function) or a "
        'time with its unit ("30s", "2 min", "1h").'
    )
