"""The Jacobian of a function of tensors from autograd, as one real (m, n) matrix.

Rows come from VJPs: one backward per real output coordinate (a one-hot cotangent, or 1j
on the imaginary part of a complex output; the other outputs get zero cotangents), each
giving dL/dRe + i dL/dIm for every input, which is the row in the engine's real
coordinates. Columns come from forward-mode JVPs (``torch.autograd.forward_ad``): one dual
forward pass per real input coordinate. Both also exist batched (``is_grads_batched`` and
``torch.func.vmap`` over ``torch.func.jvp``), which gradcheck's ``check_batched_grad`` and
``check_batched_forward_grad`` compare with the one-by-one results.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.autograd.forward_ad as fwAD

from .inputs import FunctionInputs, named_outputs

# Two exact derivatives of one function (backward and forward mode) may differ by
# reordered sums: this many ulps of the Jacobian's largest entry.
AD_ULPS = 1e3


@dataclass
class Traced:
    """The function at a point with its checked inputs as fresh leaves that require grad."""

    leaves: dict[str, torch.Tensor]  # name -> the values' leaf (a sparse input's values)
    outputs: dict[str, torch.Tensor]


def traced(inputs: FunctionInputs, arrays: dict[str, np.ndarray]) -> Traced:
    """The function at ``arrays`` under autograd (copies of the arrays, never shared)."""
    leaves = {
        name: torch.tensor(arrays[name], device=inputs.devices[name]).requires_grad_()
        for name in inputs.where
    }
    with torch.enable_grad():
        outputs = named_outputs(inputs.call(leaves))
    return Traced(leaves, outputs)


def coordinates(tensor: torch.Tensor) -> int:
    """Real coordinates of a tensor: its elements, twice for complex ones."""
    return tensor.numel() * (2 if tensor.is_complex() else 1)


def one_hot(like: torch.Tensor, coordinate: int) -> torch.Tensor:
    """The unit tangent (or cotangent) of real coordinate ``coordinate`` of ``like``."""
    unit = torch.zeros(like.shape, dtype=like.dtype, device=like.device)  # contiguous
    if like.is_complex():
        unit.view(-1)[coordinate // 2] = 1j if coordinate % 2 else 1.0
    else:
        unit.view(-1)[coordinate] = 1.0
    return unit


def flat_row(grads: tuple, leaves: dict[str, torch.Tensor]) -> torch.Tensor:
    """One VJP as a real row over the inputs' coordinates (zeros where a grad is None)."""
    parts = []
    for g, leaf in zip(grads, leaves.values(), strict=True):
        if g is None:
            g = torch.zeros_like(leaf)
        elif g.layout != torch.strided:
            g = g.to_dense()
        if leaf.is_complex() and not g.is_complex():
            g = g.to(leaf.dtype)
        parts.append(torch.view_as_real(g.resolve_conj()).reshape(-1) if g.is_complex() else g)
    return torch.cat([p.reshape(-1) for p in parts]).detach()


def live_outputs(trace: Traced) -> list[tuple[str, torch.Tensor]]:
    """The outputs autograd can differentiate (those that require grad)."""
    return [(name, y) for name, y in trace.outputs.items() if y.requires_grad]


def backward_jacobian(trace: Traced) -> tuple[np.ndarray, list[torch.dtype]]:
    """dF/dtheta from one VJP per real output coordinate, and the dtypes of the grads
    autograd returned (for ``check_grad_dtypes``)."""
    leaves = list(trace.leaves.values())
    n = sum(coordinates(leaf) for leaf in leaves)
    live = live_outputs(trace)
    rows, dtypes = [], set()
    for name, y in trace.outputs.items():
        if not y.requires_grad:  # not connected to any input: a zero block
            rows.append(torch.zeros((coordinates(y), n), dtype=torch.float64))
            continue
        for coordinate in range(coordinates(y)):
            cotangents = [
                one_hot(out, coordinate) if other == name else torch.zeros_like(out)
                for other, out in live
            ]
            grads = torch.autograd.grad(
                [out for _, out in live], leaves, cotangents, retain_graph=True, allow_unused=True
            )
            dtypes |= {g.dtype for g in grads if g is not None}
            rows.append(flat_row(grads, trace.leaves).to("cpu", torch.float64)[None])
    matrix = torch.cat(rows).numpy() if rows else np.zeros((0, n))
    return in_precision(matrix, dtypes), sorted(dtypes, key=str)


def in_precision(matrix: np.ndarray, dtypes: set[torch.dtype]) -> np.ndarray:
    """The matrix in the coarsest precision autograd computed it in (exact: its values
    came from there), so that the check reads the derivative's own rounding from it."""
    coarsest = max(dtypes, key=lambda d: torch.finfo(d).eps, default=torch.float64)
    real = {torch.complex64: np.float32, torch.complex128: np.float64}.get(coarsest)
    return matrix.astype(real or np.dtype(str(coarsest).split(".")[-1]), copy=False)


def forward_jacobian(inputs: FunctionInputs, arrays: dict[str, np.ndarray]) -> np.ndarray:
    """dF/dtheta from one forward-mode JVP per real input coordinate."""
    primals = {
        name: torch.tensor(arrays[name], device=inputs.devices[name]) for name in inputs.where
    }
    columns, dtypes = [], set()
    with torch.no_grad(), fwAD.dual_level():
        for name, primal in primals.items():
            for coordinate in range(coordinates(primal)):
                values = dict(primals)
                values[name] = fwAD.make_dual(primal, one_hot(primal, coordinate))
                outputs = named_outputs(inputs.call(values))
                parts, precisions = [], []
                for y in outputs.values():
                    tangent = fwAD.unpack_dual(y).tangent
                    precisions.append(None if tangent is None else tangent.dtype)
                    parts.append(
                        torch.zeros(coordinates(y), dtype=torch.float64)
                        if tangent is None
                        else _real(tangent).to("cpu", torch.float64)
                    )
                columns.append(torch.cat(parts))
                dtypes |= {p for p in precisions if p is not None}
    return in_precision(torch.stack(columns, dim=1).numpy(), dtypes)


def _real(tensor: torch.Tensor) -> torch.Tensor:
    if tensor.layout != torch.strided:
        tensor = tensor.to_dense()
    return (
        torch.view_as_real(tensor.resolve_conj()).reshape(-1)
        if tensor.is_complex()
        else (tensor.reshape(-1))
    )


def batched_backward_jacobian(trace: Traced) -> np.ndarray:
    """dF/dtheta from one batched VJP (``is_grads_batched``: vmap over the cotangents)."""
    leaves = list(trace.leaves.values())
    live = live_outputs(trace)
    n = sum(coordinates(leaf) for leaf in leaves)
    blocks = []
    for name, y in trace.outputs.items():
        m = coordinates(y)
        if not y.requires_grad:
            blocks.append(np.zeros((m, n)))
            continue
        cotangents = [
            torch.stack([one_hot(out, c) for c in range(m)])
            if other == name
            else torch.zeros((m, *out.shape), dtype=out.dtype, device=out.device)
            for other, out in live
        ]
        grads = torch.autograd.grad(
            [out for _, out in live],
            leaves,
            cotangents,
            retain_graph=True,
            allow_unused=True,
            is_grads_batched=True,
        )
        rows = [
            flat_row(tuple(g[k] if g is not None else None for g in grads), trace.leaves)
            for k in range(m)
        ]
        blocks.append(torch.stack(rows).to("cpu", torch.float64).numpy())
    return np.concatenate(blocks)


def batched_forward_jacobian(inputs: FunctionInputs, arrays: dict[str, np.ndarray]) -> np.ndarray:
    """dF/dtheta from JVPs batched over the tangents (``torch.func.vmap`` of
    ``torch.func.jvp``), one batch per input."""
    primals = {
        name: torch.tensor(arrays[name], device=inputs.devices[name]) for name in inputs.where
    }
    names = list(primals)

    def flat(*values: torch.Tensor) -> torch.Tensor:
        outputs = named_outputs(inputs.call(dict(zip(names, values, strict=True))))
        return torch.cat([_real(y) for y in outputs.values()])

    columns = []
    for name, primal in primals.items():
        tangents = torch.stack([one_hot(primal, c) for c in range(coordinates(primal))])

        def along(tangent: torch.Tensor, name: str = name) -> torch.Tensor:
            moved = [
                tangent if other == name else torch.zeros_like(p) for other, p in primals.items()
            ]
            return torch.func.jvp(flat, tuple(primals.values()), tuple(moved))[1]

        columns.append(torch.func.vmap(along)(tangents).to("cpu", torch.float64).numpy().T)
    return np.concatenate(columns, axis=1)


def disagreement(
    one: np.ndarray, other: np.ndarray, eps: float, scale: float | None = None
) -> float:
    """The largest |one - other| as a multiple of AD_ULPS ulps of ``scale`` (by default the
    larger Jacobian's largest entry); 0 where it is within them: the two agree."""
    if scale is None:
        scale = max(float(np.max(np.abs(a), initial=0.0)) for a in (one, other))
    allowed = AD_ULPS * eps * max(scale, float(np.finfo(float).tiny))
    gap = float(np.max(np.abs(one - other), initial=0.0))
    return 0.0 if gap <= allowed else gap / allowed
