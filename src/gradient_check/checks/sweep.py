"""The step-size sweep: the finite difference's error against h, measured and estimated.

The texts' advice on h, made visible: as h shrinks the truncation error falls (~h^order)
until rounding error (~sigma / h) takes over. For each h the sweep measures the texts'
relative difference between the differences and a reference (the analytic gradient, or a
Richardson-extrapolated five-point estimate), and puts the estimated error beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from os import PathLike
from typing import Any

import numpy as np

from ..core.bands import relative_difference
from ..core.estimate import coarse_truncation, richardson
from ..core.evaluate import Evaluator, InPlaceEvaluator, check_unchanged
from ..core.flatten import ParameterVector, flatten
from ..core.match import flatten_like
from ..core.measure import differences
from ..core.probe import Centre, centred, probe
from ..core.rng import RngGuard, restores_rng
from ..core.schemes import FIVE_POINT, Scheme, get_scheme, rounding_weight
from ..core.settings import Settings
from ..core.steps import AUTO, step_sizes
from ..report import form_of, text_of

DEFAULT_STEPS = tuple(10.0**-k for k in range(1, 13))  # 1e-1 ... 1e-12
MAX_ELEMENTS = 64  # elements swept, drawn at random beyond this


@dataclass(frozen=True)
class SweepPoint:
    """The error at one step h, measured and estimated (relative, as the texts' diff)."""

    h: float
    measured: float  # relative difference of D(h) from the reference
    estimated: float  # (truncation + rounding) relative to the gradient's size
    truncation: float
    rounding: float


@dataclass(frozen=True)
class Sweep:
    """A step-size sweep: one point per h, the automatic step, the best measured step."""

    points: tuple[SweepPoint, ...]
    auto_h: float  # the median automatic step of the swept elements
    reference: str
    scheme: str
    elements: int

    @property
    def best_h(self) -> float:
        return min(self.points, key=lambda p: p.measured).h

    def to_dict(self) -> dict[str, Any]:
        """The sweep as JSON-ready data (schema ``gradient-check/sweep/1``)."""
        return form_of("dict", Sweep)(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Sweep:
        """The sweep that ``to_dict`` gave ``data``."""
        return form_of("from_dict", Sweep)(data)

    def to_html(self, path: str | PathLike[str] | None = None) -> str:
        """The sweep as one self-contained HTML page; written to ``path`` when given."""
        return form_of("html", Sweep)(self, path)

    def _repr_html_(self) -> str:
        return form_of("html_fragment", Sweep)(self)

    def __str__(self) -> str:
        return text_of(self)


@restores_rng
def sweep(
    loss: Callable[[Any], Any],
    params: Any,
    grads: Any = None,
    *,
    steps: Sequence[float] = DEFAULT_STEPS,
    scheme: str = "central",
    elements: int = MAX_ELEMENTS,
    seed: int = 0,
) -> Sweep:
    """Measure the finite-difference error against absolute steps ``steps``.

    Without ``grads`` the reference is Richardson's extrapolation of five-point
    differences at the automatic step, good to about 1e-13 relative on smooth functions.
    The loss is probed as every check probes it: a random loss is refused
    (StochasticLossError), and its precision and noise are measured.

    Example:
        >>> import numpy as np
        >>> s = sweep(lambda x: float(np.sum(np.sin(x))), np.array([0.3, 1.2]), np.cos)
        >>> s.best_h in (1e-5, 1e-6, 1e-4), s.points[0].measured > s.points[4].measured
        (True, True)
    """
    method = get_scheme(scheme)
    vector = flatten(params)
    rng = np.random.default_rng(seed)
    chosen = np.arange(vector.size)
    if vector.size > elements:
        chosen = np.sort(rng.choice(vector.size, elements, replace=False))
    with RngGuard() as rng_guard, centred(loss, params, vector, True, "loss", True) as at:
        evaluator = InPlaceEvaluator(loss, at.workspace, at.spec)
        probes = probe(loss, at, evaluator, Settings(AUTO, method), rng_guard)
        if grads is not None:
            given = grads(params) if callable(grads) else grads
            reference, name = flatten_like(given, vector, "grads")[chosen], "analytic gradient"
        else:
            reference = _richardson_reference(evaluator, at, vector, probes.eps, chosen)
            name = "Richardson five-point"
        size = 2 * float(np.linalg.norm(reference)) or 1.0  # the texts' denominator, ~2 ||g||
        points = tuple(
            _point(evaluator, at, method, chosen, float(h), reference, probes.sigma[0], size)
            for h in steps
        )
        check_unchanged(at.workspace)
    return Sweep(points, float(np.median(probes.steps[chosen])), name, method.name, chosen.size)


def _richardson_reference(
    evaluator: Evaluator,
    centre: Centre,
    vector: ParameterVector,
    eps: np.ndarray,
    chosen: np.ndarray,
) -> np.ndarray:
    """Five-point differences at the automatic step s and at 2s, extrapolated."""
    five = step_sizes(AUTO, vector, FIVE_POINT, eps)[chosen]
    coarse = differences(evaluator, centre, FIVE_POINT, chosen, 2 * five)[0][:, 0]
    fine = differences(evaluator, centre, FIVE_POINT, chosen, five)[0][:, 0]
    return richardson(coarse, fine, FIVE_POINT.order)[0]


def _point(
    evaluator: Evaluator,
    centre: Centre,
    method: Scheme,
    chosen: np.ndarray,
    h: float,
    reference: np.ndarray,
    sigma: float,
    size: float,
) -> SweepPoint:
    """The error of the differences at h: measured against the reference, and estimated
    (truncation by Richardson from h and h/2, rounding sigma sum|w| / h per element)."""
    d = differences(evaluator, centre, method, chosen, np.full(chosen.size, h))[0][:, 0]
    d_half = differences(evaluator, centre, method, chosen, np.full(chosen.size, h / 2))[0][:, 0]
    truncation = coarse_truncation(d, d_half, method.order) / size
    rounding = float(rounding_weight(method) * sigma / h) * np.sqrt(chosen.size) / size
    measured = relative_difference(reference, d)
    return SweepPoint(h, measured, truncation + rounding, truncation, rounding)
