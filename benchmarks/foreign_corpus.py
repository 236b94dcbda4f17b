"""Cases for bench_foreign.py: derivatives of code nobody here wrote, with known answers.

Every case is a function of a few numpy arrays (a scalar loss, or a vector for a Jacobian
case), a point, and the derivative that the function's own analytic code returns there:
PyTorch's autograd (OpInfo operators, float32 models), scipy.special's derivative
functions, scikit-learn's LinearModelLoss, and closed forms for piecewise functions,
stationary points, vector maps and scaled models. Each case is checked with its correct
derivative and with three injected faults:

* ``x2``: the whole derivative doubled,
* ``x1.01``: the whole derivative 1 % off,
* ``elem10``: the largest-magnitude element (away from any kink the case declares) 10 % off.

A fault that changes nothing (a zero derivative) is not generated. A fault that no finite
difference in the case's precision could see is generated but flagged ``resolvable=False``
(and left out of the miss counts): every changed element's change is below 30 times the
rounding floor eps * |f| / h of a central difference at the step h = eps^(1/3) * |x_i|
(the tensor's mean magnitude where x_i is smaller, 1 if all are 0).

Categories (each in its own module): ``opinfo`` and ``opinfo-xfail`` (foreign_opinfo.py;
the second holds operators whose gradient test PyTorch itself skips or expects to fail,
reported apart and left out of the totals); ``special`` (foreign_special.py);
``piecewise``, ``stationary``, ``scales`` (foreign_math.py); ``sklearn``, ``float32``,
``jacobian`` (foreign_models.py).

    from foreign_corpus import specs, build, variants
    for spec in specs(quick=True):
        for case in build(spec):            # a list: a spec may give several cases, or skips
            for fault, derivative, labels, resolvable in variants(case): ...

Deterministic: every random draw comes from a generator seeded by the case's name.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from foreign_case import Case, Skip

CATEGORIES = (
    "opinfo",
    "opinfo-xfail",
    "special",
    "sklearn",
    "piecewise",
    "stationary",
    "float32",
    "jacobian",
    "scales",
)
# operators whose gradient PyTorch's own OpInfo gradcheck test skips or expects to fail: their
# "correct" derivative is not trusted, so they are reported apart and left out of "all"
UNTRUSTED = ("opinfo-xfail",)
FAULTS = ("none", "x2", "x1.01", "elem10")
RESOLVE_FACTOR = 30.0


# ----------------------------------------------------------------------------------------
# Faults
# ----------------------------------------------------------------------------------------


def element_label(name: str, shape: tuple, index: int) -> str:
    if len(shape) == 0:
        return name
    where = ", ".join(str(int(i)) for i in np.unravel_index(index, shape))
    return f"{name}[{where}]"


def _kink_flat(case: Case) -> np.ndarray:
    if case.kinks is None:
        return np.zeros(case.size, dtype=bool)
    return np.concatenate([np.ravel(np.asarray(k, dtype=bool)) for k in case.kinks])


def _column_owner(case: Case, column: int) -> tuple[int, int]:
    start = 0
    for i, x in enumerate(case.point):
        if column < start + x.size:
            return i, column - start
        start += x.size
    raise IndexError(column)


def _scales(case: Case) -> np.ndarray:
    """Per coordinate: |x_i|, or its tensor's mean magnitude where that is larger; 1 if all 0."""
    out = []
    for x in case.point:
        a = np.abs(np.ravel(x).astype(np.float64))
        mean = float(a.mean()) if a.size else 0.0
        s = np.maximum(a, mean)
        out.append(np.where(s > 0, s, 1.0))
    return np.concatenate(out) if out else np.zeros(0)


def _floor(case: Case, f0: Any) -> np.ndarray:
    """The rounding floor of a central difference, (rows, coordinates): eps |f| / h."""
    eps = float(np.finfo(np.dtype(case.dtype)).eps)
    h = eps ** (1 / 3) * _scales(case)
    f = np.abs(np.ravel(np.asarray(f0, dtype=np.float64)))
    f = np.maximum(f, 1e-300)
    return eps * f[:, None] / h[None, :]


def flat_derivative(case: Case, derivative: Any) -> np.ndarray:
    """The derivative as a real (rows, coordinates) matrix: one row for a gradient."""
    if case.kind == "grad":
        return np.concatenate([np.ravel(np.asarray(d, dtype=np.float64)) for d in derivative])[
            None, :
        ]
    return np.asarray(derivative, dtype=np.float64)


def unflat(case: Case, matrix: np.ndarray) -> Any:
    dt = np.dtype(case.dtype)
    if case.kind == "grad":
        parts, start = [], 0
        for x in case.point:
            parts.append(matrix[0, start : start + x.size].reshape(x.shape).astype(dt))
            start += x.size
        return parts
    return matrix.astype(dt)


def variants(case: Case, f0: Any | None = None):
    """(fault, derivative, (kind, faulty names, faulty element label), resolvable) per fault.

    ``f0`` is the function's value at the point (evaluated here when not given).
    """
    if f0 is None:
        f0 = case.fn([np.array(x, copy=True) for x in case.point])
    D = flat_derivative(case, case.derivative)
    kink = _kink_flat(case)
    floor = _floor(case, f0)
    yield "none", case.derivative, ("none", frozenset(), None), True
    finite = np.isfinite(D)
    for fault in FAULTS[1:]:
        F = D.copy()
        element = None
        if fault == "x2":
            F = 2.0 * D
        elif fault == "x1.01":
            F = 1.01 * D
        else:
            magnitude = np.where(finite & ~kink[None, :], np.abs(D), -1.0)
            r, c = np.unravel_index(int(np.argmax(magnitude)), D.shape)
            if magnitude[r, c] <= 0:
                continue
            F[r, c] = 1.1 * D[r, c]
            element = (int(r), int(c))
        F = flat_derivative(case, unflat(case, F))  # the faulty derivative as the case's dtype
        change = np.abs(F - flat_derivative(case, case.derivative))
        change[:, kink] = 0.0
        change[~np.isfinite(change)] = 0.0
        if not np.any(change > 0):
            continue  # the fault changes nothing (a zero derivative)
        resolvable = bool(np.any(change > RESOLVE_FACTOR * floor))
        owners = {_column_owner(case, int(c))[0] for c in np.unique(np.nonzero(change)[1])}
        prefix = "" if case.kind == "grad" else "out / "
        faulty = frozenset(prefix + case.names[i] for i in owners)
        label = None
        if element is not None:
            i, j = _column_owner(case, element[1])
            label = element_label(case.names[i], case.point[i].shape, j)
            if case.kind == "jacobian":
                label = f"{element_label('out', np.shape(f0), element[0])} / {label}"
        yield fault, unflat(case, F), (fault, faulty, label), resolvable


# ----------------------------------------------------------------------------------------
# The corpus: specs (cheap, picklable) and builders
# ----------------------------------------------------------------------------------------


def _modules():
    import foreign_math
    import foreign_models
    import foreign_opinfo
    import foreign_special

    return {
        "opinfo": foreign_opinfo,
        "special": foreign_special,
        "piecewise": foreign_math,
        "stationary": foreign_math,
        "scales": foreign_math,
        "sklearn": foreign_models,
        "float32": foreign_models,
        "jacobian": foreign_models,
    }


def specs(quick: bool = False, max_ops: int | None = None, categories=CATEGORIES) -> list:
    """Every case's spec, a tuple whose first item is its category."""
    modules = _modules()
    out = []
    for category in categories:
        if category not in UNTRUSTED:  # built by its trusted twin's specs
            out += modules[category].specs(category, quick=quick, max_ops=max_ops)
    return out


def build(spec: tuple) -> list[Case | Skip]:
    """The cases (or skips) of one spec."""
    try:
        made = _modules()[spec[0]].build(spec)
    except Exception as error:  # a builder that fails is a skip, named
        return [Skip(" ".join(str(s) for s in spec), spec[0], f"{type(error).__name__}: {error}")]
    return made if isinstance(made, list) else [made]
