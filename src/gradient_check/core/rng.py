"""The global random generators, saved and put back around a check.

A check must leave numpy's and Python's global RNG states as it found them, whatever the
user's code drew from them; and a draw made while evaluating f at one point is how a
random loss (dropout, sampling) gives itself away.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable
from typing import Any

import numpy as np


class RngGuard:
    """Save the global numpy and Python RNG states on entry and put them back on exit,
    whatever happens; ``changed()`` says whether anything drew from them meanwhile."""

    def __enter__(self) -> RngGuard:
        self.numpy_state = np.random.get_state()
        self.python_state = random.getstate()
        return self

    def changed(self) -> bool:
        """True if numpy's or Python's global generator moved since entry."""
        state = np.random.get_state()
        same = state[0] == self.numpy_state[0] and np.array_equal(state[1], self.numpy_state[1])
        same = same and state[2:] == self.numpy_state[2:]
        return not same or random.getstate() != self.python_state

    def __exit__(self, *exc: object) -> None:
        np.random.set_state(self.numpy_state)
        random.setstate(self.python_state)


def restores_rng(function: Callable) -> Callable:
    """Run a public check so that the global numpy and Python RNG states come back as they
    were, whatever the user's code (loss, derivative, VJP) drew from them."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with RngGuard():
            return function(*args, **kwargs)

    return wrapper
