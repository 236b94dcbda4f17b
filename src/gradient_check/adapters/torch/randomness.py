"""A random function refused before its derivative is taken, with PyTorch's causes and fixes.

The engine refuses a function whose repeated values at theta differ, but an adapter takes
autograd's derivative first (twice, to test that it is deterministic), which for dropout
would differ too and be reported as a nondeterministic backward. So the adapter evaluates
the function 1 + REPEATS times at theta first, the engine's way, and refuses it with
advice that names PyTorch's generator.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ...core.outputs import OutputSpec
from ...core.probe import REPEATS, refuse_stochastic
from ...errors import StochasticLossError

__all__ = ["REPEATS", "refuse_random"]


def refuse_random(
    f: Callable[[Any], Any],
    params: Any,
    spec_of: Callable[[Any], OutputSpec],
    what: str,
    causes: str = "",
) -> None:
    """Raise StochasticLossError if f's values at ``params`` differ between calls."""
    first = f(params)
    spec = spec_of(first)
    f0 = np.atleast_1d(np.asarray(spec.read(first), dtype=np.float64))
    repeats = np.array(
        [np.atleast_1d(np.asarray(spec.read(f(params)), dtype=np.float64)) for _ in range(REPEATS)]
    )
    try:
        refuse_stochastic(f0, repeats, spec, False, what)
    except StochasticLossError as error:
        raise StochasticLossError(
            f"{error} In PyTorch{causes}: call model.eval() (or pass training=False) to switch "
            f"dropout off, or seed torch inside `{what.split('(')[0]}` (torch.manual_seed(0) as "
            "its first line) so that every call draws the same masks; the check forks torch's "
            "RNG, so your generator's state is kept either way."
        ) from None
