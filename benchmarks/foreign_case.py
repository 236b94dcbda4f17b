"""The shape of a foreign-code case (``Case``, ``Skip``) and its deterministic generators:
what the category modules build and foreign_corpus.py turns into faulty variants."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np


def seed_of(name: str) -> int:
    return zlib.crc32(name.encode())


def rng_of(name: str) -> np.random.Generator:
    return np.random.default_rng(seed_of(name))


@dataclass
class Case:
    """One function, point and correct derivative."""

    name: str
    category: str
    fn: Callable[[list[np.ndarray]], Any]  # numpy inputs -> float, or a 1-D array
    point: list[np.ndarray]
    derivative: Any  # grad: a list like point; jacobian: a dense (m, n) matrix
    kind: str = "grad"  # "grad" or "jacobian"
    dtype: str = "float64"
    names: list[str] = field(default_factory=list)
    kinks: list[np.ndarray] | None = None  # per input, True where a kink may be within a step
    torch_fn: Callable[..., Any] | None = None  # native torch forward (OpInfo, torch models)
    group: str = ""  # a sub-category for the tables (e.g. the function, the scale)
    note: str = ""
    meta: dict = field(default_factory=dict)  # what a module needs to rebuild a reference

    def __post_init__(self):
        dt = np.dtype(self.dtype)
        self.point = [np.array(x, dtype=dt) for x in self.point]
        if not self.names:
            self.names = [f"x{i}" for i in range(len(self.point))]
        if self.kind == "grad":
            self.derivative = [
                np.array(d, dtype=dt).reshape(x.shape) for d, x in zip(self.derivative, self.point)
            ]
        else:
            self.derivative = np.array(self.derivative, dtype=dt)

    @property
    def size(self) -> int:
        return int(sum(x.size for x in self.point))


@dataclass
class Skip:
    """A case that could not be built (an op that errors, is random, has no float output)."""

    name: str
    category: str
    reason: str


def finish(name, label, fn, point, grad, category="special", group=None, **kw) -> Case | Skip:
    """A case named "category name @ label", or a skip where f or its derivative is not finite."""
    full = f"{category} {name} @ {label}"
    value = fn([np.array(p) for p in point])
    if not np.isfinite(value) or not all(np.all(np.isfinite(g)) for g in grad):
        return Skip(full, category, "not finite at this argument")
    return Case(full, category, fn, point, grad, group=group or name, **kw)
