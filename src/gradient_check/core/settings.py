"""How a check measures and judges: the validated options every check shares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InvalidProblemError
from .judge import DEFAULT_MARGIN
from .schemes import Scheme, get_scheme
from .steps import Step, as_step


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


def make_settings(
    h: Any, scheme: Any, margin: float, band_scale: float, promote: bool, seed: int
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
    return Settings(
        as_step(h), get_scheme(scheme), float(margin), float(band_scale), bool(promote), int(seed)
    )
