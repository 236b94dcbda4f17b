"""The global random generators, saved and put back around a check.

A check must leave numpy's and Python's global RNG states as it found them, whatever the
user's code drew from them; and a draw made while evaluating f at one point is how a
random loss (dropout, sampling) gives itself away. A loss that seeds the global generator
itself before drawing (``np.random.seed(0)`` inside) is deterministic all the same: after
each call the state is the same whatever it was before, and so are its values.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable
from typing import Any

import numpy as np

# Seeds of the states the guard sets before calling f again, to see whether f's own seeding
# erases them: any states unlike the user's do (two, so that two calls start differently).
SCRAMBLE_SEEDS = (0x5EED_0001, 0x5EED_0002)

State = tuple[Any, Any]  # (numpy's global state, Python's)


def global_state() -> State:
    """numpy's and Python's global generator states, as they are now."""
    return np.random.get_state(), random.getstate()


def same_part(one: State, two: State, part: int) -> bool:
    """True if numpy's (``part`` 0) or Python's (1) global state is the same in both."""
    if part == 1:
        return bool(one[1] == two[1])
    a, b = one[0], two[0]
    return bool(a[0] == b[0] and np.array_equal(a[1], b[1]) and a[2:] == b[2:])


def same_state(one: State, two: State) -> bool:
    """True if two global states are equal (numpy's key array compared by value)."""
    return same_part(one, two, 0) and same_part(one, two, 1)


class RngGuard:
    """Save the global numpy and Python RNG states on entry and put them back on exit,
    whatever happens; ``changed()`` says whether anything drew from them meanwhile."""

    def __enter__(self) -> RngGuard:
        self.numpy_state, self.python_state = global_state()
        return self

    def changed(self) -> bool:
        """True if numpy's or Python's global generator moved since entry."""
        return not same_state(global_state(), (self.numpy_state, self.python_state))

    def repeat(self, call: Callable[[], Any], count: int) -> tuple[list[Any], bool]:
        """``count`` more calls of f, and whether f uses the global generators
        deterministically: it leaves untouched each one it did not move before (at the
        centre, since entry), and resets each one it did: before every call that generator
        is set to a state of our own (SCRAMBLE_SEEDS), different each time and unlike the
        user's, and after it the state is the one the first call left, so f seeded it."""
        first = global_state()
        entry = (self.numpy_state, self.python_state)
        moved = [not same_part(first, entry, part) for part in (0, 1)]
        results, deterministic = [], True
        for k in range(count):
            if moved[0]:
                np.random.seed(SCRAMBLE_SEEDS[k % len(SCRAMBLE_SEEDS)])
            if moved[1]:
                random.seed(SCRAMBLE_SEEDS[k % len(SCRAMBLE_SEEDS)])
            before = global_state()
            results.append(call())
            after = global_state()
            for part in (0, 1):
                deterministic &= same_part(after, first if moved[part] else before, part)
        return results, deterministic

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
