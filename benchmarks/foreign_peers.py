"""The three checkers of bench_foreign.py, each run on one case and one (faulty?) derivative.

All three judge the same numbers: the case's numpy function and the derivative its own
analytic code returned at the point (with the fault applied). The peers get them in their
own framework:

* torch.autograd.gradcheck (defaults, ``raise_exception=False``) on a
  ``torch.autograd.Function`` whose forward evaluates the case's function (natively in torch
  for OpInfo cases, through numpy otherwise) and whose backward returns the given derivative
  times the incoming gradient (a vector-Jacobian product for a Jacobian case). Inputs are
  float64, or float32 for a float32 case.
* jax.test_util.check_grads(order=1, modes=("rev",)) with x64 enabled, on a
  ``jax.custom_vjp`` function whose forward is a ``jax.pure_callback`` into the case's numpy
  function and whose backward returns the same product; an AssertionError is a failure.
* ours: ``check`` (a scalar loss) or ``check_jacobian`` (a vector function), defaults.

An exception other than the peers' own failure is recorded as ``error`` (and counts as
not passing).
"""

from __future__ import annotations

import time
import warnings

import jax
import numpy as np
import torch

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_platforms", "cpu")

import jax.numpy as jnp  # noqa: E402
from jax.test_util import check_grads  # noqa: E402

from gradient_check import Evidence, check, check_jacobian  # noqa: E402

TORCH_DTYPE = {"float64": torch.float64, "float32": torch.float32}


def _short(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}".replace("\n", " ")
    return text[:300]


def _split(vector, sizes, shapes):
    """A flat vector (numpy or torch or jax) cut into the inputs' shapes."""
    out, start = [], 0
    for size, shape in zip(sizes, shapes):
        out.append(vector[start : start + size].reshape(shape))
        start += size
    return out


# ----------------------------------------------------------------------------------------
# torch
# ----------------------------------------------------------------------------------------


def torch_function(case, derivative):
    """A torch function of the case's inputs with ``derivative`` as its backward."""
    dtype = TORCH_DTYPE[case.dtype]
    sizes = [x.size for x in case.point]
    shapes = [x.shape for x in case.point]
    if case.kind == "grad":
        given = [torch.as_tensor(np.asarray(d)).to(dtype) for d in derivative]
    else:
        given = torch.as_tensor(np.asarray(derivative)).to(dtype)  # (m, n)

    class Wrapped(torch.autograd.Function):
        @staticmethod
        def forward(ctx, *xs):
            if case.torch_fn is not None:
                out = case.torch_fn(*[x.detach().clone() for x in xs])
                return out.detach().to(dtype)
            value = case.fn([x.detach().numpy().copy() for x in xs])
            return torch.as_tensor(np.asarray(value, dtype=np.float64)).to(dtype)

        @staticmethod
        def backward(ctx, gout):
            if case.kind == "grad":
                return tuple(gout * g for g in given)
            flat = given.T @ gout.reshape(-1)
            return tuple(_split(flat, sizes, shapes))

    return Wrapped.apply


def run_torch(case, derivative) -> dict:
    start = time.perf_counter()
    dtype = TORCH_DTYPE[case.dtype]
    inputs = tuple(
        torch.tensor(np.asarray(x), dtype=dtype).requires_grad_(True) for x in case.point
    )
    fn = torch_function(case, derivative)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            passed = bool(torch.autograd.gradcheck(fn, inputs, raise_exception=False))
        rec = dict(passed=passed)
    except Exception as error:  # gradcheck raises on some structural problems anyway
        rec = dict(passed=False, error=_short(error))
    rec["time"] = time.perf_counter() - start
    return rec


# ----------------------------------------------------------------------------------------
# jax
# ----------------------------------------------------------------------------------------


def jax_function(case, derivative, out_shape):
    np_dtype = np.dtype(case.dtype)
    sizes = [x.size for x in case.point]
    shapes = [x.shape for x in case.point]
    if case.kind == "grad":
        given = [jnp.asarray(np.asarray(d, dtype=np_dtype)) for d in derivative]
    else:
        given = jnp.asarray(np.asarray(derivative, dtype=np_dtype))
    result = jax.ShapeDtypeStruct(out_shape, np_dtype)

    def host(*xs):
        value = case.fn([np.array(x, dtype=np_dtype) for x in xs])
        return np.asarray(value, dtype=np_dtype).reshape(out_shape)

    @jax.custom_vjp
    def f(*xs):
        return jax.pure_callback(host, result, *xs)

    def fwd(*xs):
        return f(*xs), None

    def bwd(_, g):
        if case.kind == "grad":
            return tuple(g * d for d in given)
        return tuple(_split(given.T @ jnp.ravel(g), sizes, shapes))

    f.defvjp(fwd, bwd)
    return f


def run_jax(case, derivative, out_shape) -> dict:
    start = time.perf_counter()
    args = tuple(np.array(x, dtype=np.dtype(case.dtype)) for x in case.point)
    try:
        f = jax_function(case, derivative, out_shape)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check_grads(f, args, order=1, modes=("rev",))
        rec = dict(passed=True)
    except AssertionError:
        rec = dict(passed=False)
    except Exception as error:
        rec = dict(passed=False, error=_short(error))
    rec["time"] = time.perf_counter() - start
    return rec


# ----------------------------------------------------------------------------------------
# ours
# ----------------------------------------------------------------------------------------


def run_ours(case, derivative, fault_labels: tuple[str, frozenset, str | None]) -> dict:
    """Our check; ``fault_labels`` = (kind, faulty parameter/block names, faulty element label)."""
    start = time.perf_counter()
    names = case.names
    params = {n: np.array(x, copy=True) for n, x in zip(names, case.point)}

    def fn(p):
        return case.fn([p[n] for n in names])

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if case.kind == "grad":
                grads = {n: np.asarray(d) for n, d in zip(names, derivative)}
                report = check(fn, params, grads)
            else:
                report = check_jacobian(fn, params, np.asarray(derivative))
    except Exception as error:  # a refusal (a random or non-finite loss): recorded
        return dict(error=_short(error), ok=False, time=time.perf_counter() - start)
    kind, faulty, element = fault_labels
    wrong = list(report.wrong)
    elements = [e for row in report.parameters for e in row.wrong]
    labels = [e.label for e in elements]
    rows = [
        dict(
            block=row.block,
            evidence=row.evidence.name,
            diff=row.diff,
            error_bound=row.error_bound,
            worst=row.worst_index,
            analytic=row.worst_analytic,
            numeric=row.worst_numeric,
            counts=(row.wrong_count, row.kink_count, row.noise_count),
            advice=row.advice,
        )
        for row in report.parameters
        if row.evidence is not Evidence.CONSISTENT or row.block in faulty
    ]
    return dict(
        ok=report.ok,
        evidence=report.evidence.name,
        verdict=report.verdict.name,
        diff=report.diff,
        evaluations=report.total_evaluations,
        wrong=wrong,
        problems=list(report.problems),
        named_right=(bool(set(wrong) & faulty) and not set(wrong) - faulty)
        if kind != "none"
        else None,
        named_element=(element in labels) if element else None,
        wrong_elements=[(e.label, e.analytic, e.numeric, e.error_estimate) for e in elements[:8]],
        rows=rows[:6],
        time=time.perf_counter() - start,
    )
