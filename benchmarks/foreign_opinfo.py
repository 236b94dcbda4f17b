"""Cases from PyTorch's OpInfo database: every operator with autograd and float64.

For each operator of ``torch.testing._internal.common_methods_invocations.op_db`` that
supports autograd and float64 (forward and backward), the first few sample inputs from
``op.sample_inputs("cpu", torch.float64, requires_grad=True)`` (sampled under a seed from
the operator's name) whose differentiable float64 tensors hold 1 ... ``MAX_N`` elements.
The function is the one PyTorch's own gradcheck tests use,
``sample.output_process_fn_grad(op.gradcheck_wrapper(op.get_op(), input, *args, **kwargs))``,
reduced to a scalar loss = sum(out_k * W_k) over its floating outputs that depend on the
inputs (complex outputs as their real view), W_k fixed standard normal. The derivative is
autograd's. Our checker sees a numpy loss that copies its arrays into float64 tensors and
evaluates under ``torch.no_grad``; torch's gradcheck sees the torch loss itself.

Operators whose gradcheck test PyTorch itself skips or marks as an expected failure (cpu,
float64; tolerance overrides aside) go to the category ``opinfo-xfail``: their autograd
derivative is not trusted as "correct", so they are reported apart and left out of "all".

Skipped (and listed as skips): random operators (dropout, bernoulli, normal, rrelu,
fractional max pooling, low-rank SVD/PCA, and any whose loss differs between two calls),
samples whose loss, derivative or differentiable inputs are not finite, samples with no
non-empty differentiable float64 input or no differentiable floating output, sparse
outputs, and operators that error.
"""

from __future__ import annotations

import itertools

import numpy as np
import torch
from foreign_case import Case, Skip, seed_of
from torch.utils._pytree import tree_flatten, tree_unflatten

MAX_N = 512  # differentiable input elements per sample
SAMPLES_FULL, SAMPLES_QUICK = 3, 1
QUICK_OPS = 45
RANDOM = {
    "normal",
    "bernoulli",
    "multinomial",
    "uniform",
    "nn.functional.dropout",
    "nn.functional.dropout2d",
    "nn.functional.dropout3d",
    "nn.functional.alpha_dropout",
    "nn.functional.feature_alpha_dropout",
    "native_dropout_backward",
    "nn.functional.rrelu",
    "nn.functional.fractional_max_pool2d",
    "nn.functional.fractional_max_pool3d",
    "svd_lowrank",
    "pca_lowrank",
}

_OPS: dict | None = None


def _op_table() -> dict:
    global _OPS
    if _OPS is None:
        from torch.testing._internal.common_methods_invocations import op_db

        _OPS = {}
        for op in op_db:
            if not op.supports_autograd:
                continue
            try:
                ok = torch.float64 in op.supported_dtypes("cpu") and (
                    torch.float64 in op.supported_backward_dtypes("cpu")
                )
            except Exception:
                ok = False
            if ok:
                _OPS[(op.name, op.variant_test_name)] = op
    return _OPS


def _op_name(name: str, variant: str) -> str:
    return f"{name}.{variant}" if variant else name


def specs(category: str, quick: bool = False, max_ops: int | None = None) -> list[tuple]:
    keys = list(_op_table())
    limit = QUICK_OPS if quick and max_ops is None else max_ops
    if limit is not None and limit < len(keys):
        # evenly spread over the database, deterministic
        keys = [keys[int(i * len(keys) / limit)] for i in range(limit)]
    samples = SAMPLES_QUICK if quick else SAMPLES_FULL
    return [("opinfo", name, variant, samples) for name, variant in keys]


def _real(t: torch.Tensor) -> torch.Tensor:
    return torch.view_as_real(t.resolve_conj()) if t.is_complex() else t


def _torch_xfails(op) -> bool:
    """Does PyTorch skip or expect to fail its own gradcheck test of ``op`` (cpu, float64)?"""
    from torch.testing._internal.opinfo.core import DecorateInfo

    for d in op.decorators:
        if not isinstance(d, DecorateInfo):
            continue
        try:
            active = d.is_active("TestBwdGradients", "test_fn_grad", "cpu", torch.float64, {})
        except Exception:
            active = False
        names = {type(x).__name__ for x in d.decorators} | {
            getattr(x, "__name__", "") for x in d.decorators
        }
        if active and "toleranceOverride" not in names:
            return True
    return False


def _sample_case(op, opname: str, index: int, sample) -> Case | Skip:
    full = f"opinfo {opname} #{index}"
    leaves, tree = tree_flatten((sample.input, sample.args, sample.kwargs))
    slots = [
        i
        for i, t in enumerate(leaves)
        if isinstance(t, torch.Tensor)
        and t.dtype == torch.float64
        and t.requires_grad
        and t.layout == torch.strided
        and t.numel() > 0
    ]
    if not slots:
        return Skip(full, "opinfo", "no differentiable float64 input")
    base = [leaves[i].detach().clone() for i in slots]
    if not all(bool(torch.isfinite(b).all()) for b in base):
        return Skip(full, "opinfo", "a differentiable input is not finite")
    n = sum(b.numel() for b in base)
    if not 1 <= n <= MAX_N:
        return Skip(full, "opinfo", f"{n} input elements (outside 1..{MAX_N})")
    const = [t.detach().clone() if isinstance(t, torch.Tensor) else t for t in leaves]
    variant = op.get_op()

    def outputs(*xs):
        current = list(const)
        for i, x in zip(slots, xs):
            current[i] = x
        inp, args, kwargs = tree_unflatten(current, tree)
        out = sample.output_process_fn_grad(op.gradcheck_wrapper(variant, inp, *args, **kwargs))
        return [t for t in tree_flatten(out)[0] if isinstance(t, torch.Tensor)]

    probe = [b.clone().requires_grad_(True) for b in base]
    outs = outputs(*probe)
    keep = [
        k
        for k, t in enumerate(outs)
        if t.requires_grad and (t.is_floating_point() or t.is_complex())
    ]
    if not keep:
        return Skip(full, "opinfo", "no differentiable floating output")
    if any(outs[k].layout != torch.strided for k in keep):
        return Skip(full, "opinfo", "sparse output")
    gen = torch.Generator().manual_seed(seed_of(full))
    weights = {
        k: torch.randn(_real(outs[k]).shape, generator=gen, dtype=torch.float64) for k in keep
    }

    def torch_loss(*xs):
        outs = outputs(*xs)
        total = torch.zeros((), dtype=torch.float64)
        for k in keep:
            total = total + (_real(outs[k]).to(torch.float64) * weights[k]).sum()
        return total

    def fn(v):
        with torch.no_grad():
            return float(torch_loss(*[torch.tensor(np.asarray(a)) for a in v]))

    xs = [b.clone().requires_grad_(True) for b in base]
    loss = torch_loss(*xs)
    if not loss.requires_grad:
        return Skip(full, "opinfo", "loss does not depend on the inputs")
    grads = torch.autograd.grad(loss, xs, allow_unused=True)
    grads = [
        torch.zeros_like(b) if g is None or g._is_zerotensor() else g.detach().resolve_conj()
        for g, b in zip(grads, base)
    ]
    point = [b.numpy().copy() for b in base]
    first, second = fn(point), fn(point)
    if not np.isfinite(first) or not all(bool(torch.isfinite(g).all()) for g in grads):
        return Skip(full, "opinfo", "not finite")
    if first != second:
        return Skip(full, "opinfo", "random: two calls differ")

    def torch_fn(*xs):
        return torch_loss(*xs)

    names = [f"x{j}" for j in range(len(base))]
    category = "opinfo-xfail" if _torch_xfails(op) else "opinfo"
    return Case(
        full.replace("opinfo", category, 1),
        category,
        fn,
        point,
        [g.numpy().copy() for g in grads],
        names=names,
        torch_fn=torch_fn,
        group=opname,
    )


def build(spec: tuple) -> list:
    _, name, variant, count = spec
    opname = _op_name(name, variant)
    if name in RANDOM:
        return [Skip(f"opinfo {opname}", "opinfo", "random operator")]
    op = _op_table()[(name, variant)]
    torch.manual_seed(seed_of(opname))
    try:
        samples = list(
            itertools.islice(op.sample_inputs("cpu", torch.float64, requires_grad=True), 12)
        )
    except Exception as error:
        return [Skip(f"opinfo {opname}", "opinfo", f"sample_inputs: {type(error).__name__}")]
    made, skips = [], []
    for index, sample in enumerate(samples):
        try:
            case = _sample_case(op, opname, index, sample)
        except Exception as error:
            case = Skip(
                f"opinfo {opname} #{index}", "opinfo", f"{type(error).__name__}: {str(error)[:120]}"
            )
        (made if isinstance(case, Case) else skips).append(case)
        if len(made) == count:
            break
    if not made:
        return skips[:1] or [Skip(f"opinfo {opname}", "opinfo", "no sample")]
    return made
