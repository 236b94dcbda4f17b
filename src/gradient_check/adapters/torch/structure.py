"""The structural checks torch.autograd.gradcheck makes beyond the Jacobian's values,
each a problem line for the report (which then fails as "structural problem").

* undefined incoming gradients: each output's backward run alone (the others' gradients
  undefined) must work and agree with the Jacobian; with every output's gradient undefined
  (autograd's UndefinedGrad node) the inputs' gradients must be None or zero;
* zero incoming gradients must give zero gradients (a backward that adds a term of its own
  fails this);
* gradient dtypes and devices like the inputs' (``check_grad_dtypes``);
* batched gradients, backward and forward, like the one-by-one ones (``check_batched_grad``,
  ``check_batched_forward_grad``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from .jacobians import AD_ULPS, Traced, coordinates, disagreement, flat_row, live_outputs


def _failed(what: str, error: Exception) -> str:
    first = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{what} raised {type(error).__name__}: {first}"[:300]


def undefined_grads(trace: Traced, matrix: np.ndarray, eps: float) -> list[str]:
    """Each output's backward alone, against the Jacobian's rows; then all undefined."""
    live = live_outputs(trace)
    leaves = list(trace.leaves.values())
    problems = []
    offsets, start = {}, 0
    for name, y in trace.outputs.items():
        offsets[name] = (start, start + coordinates(y))
        start += coordinates(y)
    if len(live) > 1:
        for name, y in live:
            cotangent = torch.ones_like(y)
            try:
                grads = torch.autograd.grad(
                    [y], leaves, [cotangent], retain_graph=True, allow_unused=True
                )
            except Exception as error:
                problems.append(
                    _failed(f"the backward with only `{name}`'s gradient defined", error)
                    + ": a backward must accept undefined (None) incoming gradients"
                )
                continue
            row = flat_row(grads, trace.leaves).to("cpu", torch.float64).numpy()
            low, high = offsets[name]
            weights = np.zeros(matrix.shape[0])
            weights[low : high : 2 if y.is_complex() else 1] = 1.0  # the real parts of ones
            if disagreement(row, weights @ matrix, eps):
                problems.append(
                    f"the backward with only `{name}`'s gradient defined differs from the one "
                    "with the other outputs' gradients zero: undefined incoming gradients are "
                    "not handled as zeros"
                )
    problems += _all_undefined(live, leaves)
    return problems


def _all_undefined(live: list[tuple[str, torch.Tensor]], leaves: list[torch.Tensor]) -> list[str]:
    """Every output's incoming gradient undefined: the inputs' must be None or zero."""
    undefined = getattr(getattr(torch._C, "_functions", None), "UndefinedGrad", None)
    if undefined is None or not live:
        return []
    try:
        outputs = [undefined()(y) for _, y in live]
        grads = torch.autograd.grad(
            outputs,
            leaves,
            [torch.ones_like(y) for y in outputs],
            retain_graph=True,
            allow_unused=True,
        )
    except Exception as error:
        return [
            _failed("the backward with every incoming gradient undefined", error)
            + ": a backward must accept undefined (None) incoming gradients"
        ]
    nonzero = [g for g in grads if g is not None and bool(torch.any(g.to_dense() != 0))]
    if nonzero:
        return [
            "the backward with every incoming gradient undefined returned nonzero gradients; "
            "it must return None or zeros"
        ]
    return []


def zero_cotangents(trace: Traced) -> list[str]:
    """Zero incoming gradients must give zero (or None) gradients."""
    live = live_outputs(trace)
    if not live:
        return []
    try:
        grads = torch.autograd.grad(
            [y for _, y in live],
            list(trace.leaves.values()),
            [torch.zeros_like(y) for _, y in live],
            retain_graph=True,
            allow_unused=True,
        )
    except Exception as error:
        return [_failed("the backward with zero incoming gradients", error)]
    row = flat_row(grads, trace.leaves)
    if bool(torch.any(row != 0)):
        return [
            f"the backward of zero incoming gradients is not zero (norm "
            f"{float(torch.linalg.vector_norm(row.double())):.2e}): it adds a term that does "
            "not depend on the incoming gradient"
        ]
    return []


def grad_dtypes(trace: Traced, dtypes: list[torch.dtype]) -> list[str]:
    """The gradients' dtypes and devices against the inputs' (``check_grad_dtypes``)."""
    mine = {leaf.dtype for leaf in trace.leaves.values()}
    wrong = [d for d in dtypes if d not in mine and not (d.is_complex and _real_of(d) in mine)]
    if wrong:
        return [
            f"the backward returned gradients of dtype {', '.join(map(str, wrong))} for inputs "
            f"of dtype {', '.join(sorted(map(str, mine)))}: a gradient must have its input's dtype"
        ]
    return []


def _real_of(dtype: torch.dtype) -> torch.dtype:
    return {torch.complex64: torch.float32, torch.complex128: torch.float64}.get(dtype, dtype)


def batched_like(
    what: str, batched: Callable[[], np.ndarray], matrix: np.ndarray, eps: float
) -> list[str]:
    """A batched Jacobian (``what``) must be computable and equal the one-by-one one."""
    try:
        found = batched()
    except Exception as error:
        return [_failed(f"{what}", error) + "; pass check_batched_grad=False if vmap is not meant"]
    ratio = disagreement(found, matrix, eps)
    if ratio:
        gap = float(np.max(np.abs(found - matrix)))
        return [
            f"{what} differ from the one-by-one ones by {gap:.2e} (over {AD_ULPS:g} ulps of the "
            "Jacobian's scale): the backward's vmap rule is wrong"
        ]
    return []
