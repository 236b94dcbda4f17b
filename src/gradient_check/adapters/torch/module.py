"""check_module: the gradient of a PyTorch model's loss, checked by parameter name.

    report = check_module(model, lambda m: F.cross_entropy(m(X), y))

Built on the core's gradient check (``checks.gradient.gradient_report``): theta is numpy
copies of the parameters keyed by ``model.named_parameters()`` names; the loss of those
arrays is ``loss_fn`` evaluated through ``torch.func.functional_call`` on a copy of the
model (copying.py), batched through torch.func.vmap where it can be (batched.py); the
analytic gradient is autograd's, on the copy's own parameters, so custom
``autograd.Function``s and hooks are what gets checked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import torch
from torch.func import functional_call

from ...checks.calls import require_callable
from ...checks.derivatives import check_tolerance, settings_of
from ...checks.gradient import gradient_report
from ...core.outputs import scalar_spec
from ...errors import InvalidProblemError
from ...report import Report
from ..interrupt import interruptible
from .batched import BatchLog, batched_settings
from .convert import as_array, devices_of, numpy_copy, tensor_of, with_notes
from .copying import check_dtype, dropout_in_training, model_copy
from .randomness import REPEATS, refuse_random
from .threads import THREADS, intra_op_threads, thread_note

PREFIX = "model."  # the model's place inside the module that computes the loss


class LossOf(torch.nn.Module):
    """``loss_fn(model)`` as a module without inputs, so that functional_call can swap the
    model's parameters for the check's whatever ``loss_fn`` does with the model."""

    def __init__(self, model: torch.nn.Module, loss_fn: Callable[[torch.nn.Module], Any]):
        super().__init__()
        self.model = model
        self.loss_fn = loss_fn

    def forward(self) -> Any:
        return self.loss_fn(self.model)


class ModuleLoss:
    """The copy of a model, its checked parameters as numpy arrays, and three views of its
    loss: of numpy arrays (the engine's), of tensors (vmap's), and its gradient."""

    def __init__(self, model: torch.nn.Module, loss_fn: Callable[..., Any], dtype: Any) -> None:
        self.twin = model_copy(model, dtype)
        refuse_reused_modules(self.twin)  # the copy keeps the model's sharing
        self.loss_fn = loss_fn
        self.wrapper = LossOf(self.twin, loss_fn)
        named = list(self.twin.named_parameters())
        checked = [(name, p) for name, p in named if p.requires_grad]
        if not checked:
            raise InvalidProblemError(
                "`model` has no parameter that requires grad, so there is no gradient to check; "
                "set requires_grad=True on the parameters to check."
            )
        self.names = [name for name, _ in checked]
        self.tensors = [p for _, p in checked]
        self.frozen = [name for name, p in named if not p.requires_grad]
        self.device = checked[0][1].device
        self.devices = {name: p.device for name, p in checked}
        self.params = {name: numpy_copy(p, name) for name, p in checked}

    def loss(self, arrays: dict[str, np.ndarray]) -> Any:
        """The loss at ``arrays`` (the engine's theta), as a numpy scalar of its dtype."""
        tensors = {PREFIX + n: tensor_of(arrays[n], self.devices[n]) for n in self.names}
        with torch.no_grad():
            value = as_array(functional_call(self.wrapper, tensors, ()))
        return value[()] if isinstance(value, np.ndarray) and value.ndim == 0 else value

    def flat_call(self, tensors: dict[str, torch.Tensor]) -> torch.Tensor:
        """The loss of one point's parameters as a tensor of one output (for vmap)."""
        value = functional_call(self.wrapper, {PREFIX + n: t for n, t in tensors.items()}, ())
        return value.reshape(1)

    def gradient(self, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """autograd's gradient at ``arrays``, on the copy's own parameters (their hooks
        run), each in its parameter's dtype."""
        with torch.no_grad():
            for name, tensor in zip(self.names, self.tensors, strict=True):
                tensor.copy_(torch.from_numpy(arrays[name]))
        with torch.enable_grad():
            value = self.loss_fn(self.twin)
            if not isinstance(value, torch.Tensor):
                raise InvalidProblemError(
                    f"`loss_fn(model)` returned a {type(value).__name__}, not a tensor, so "
                    "autograd has no gradient of it: return the loss tensor (no .item())."
                )
            found = [None] * len(self.tensors)  # not connected to the parameters: zero
            if value.requires_grad:
                if value.numel() != 1:
                    raise InvalidProblemError(
                        f"`loss_fn(model)` returned a tensor of shape {tuple(value.shape)}; it "
                        "must return a scalar: reduce it with .sum() or .mean()."
                    )
                found = torch.autograd.grad(value.reshape(()), self.tensors, allow_unused=True)
                if all(g is None for g in found):
                    raise InvalidProblemError(
                        "`loss_fn(m)` has a gradient, but not with respect to the model it is "
                        "given: compute the loss from its argument (lambda m: "
                        "F.mse_loss(m(x), y)), not from a variable holding your model."
                    )
        return {
            name: np.zeros_like(self.params[name]) if g is None else numpy_copy(g, name)
            for name, g in zip(self.names, found, strict=True)
        }


def refuse_reused_modules(model: torch.nn.Module) -> None:
    """Refuse a module with parameters of its own reached by two paths (the same Linear
    twice in a Sequential): a functional call rebinds its parameters per path, and the
    gradient autograd gives the copy would not be the one the loss uses. Parameters
    tied between two different modules are fine."""
    seen: dict[int, str] = {}
    for name, module in model.named_modules(remove_duplicate=False):
        if not any(True for _ in module.parameters(recurse=False)):
            continue
        if id(module) in seen:
            raise InvalidProblemError(
                f"`model` reaches the same module as `{seen[id(module)]}` and as `{name}`; "
                "check_module cannot check a module used twice yet: tie the parameters of two "
                "modules instead, or check the function with gradient_check.torch."
                "check_function(fn, *parameters)."
            )
        seen[id(module)] = name


def check_module(
    model: torch.nn.Module,
    loss_fn: Callable[[torch.nn.Module], Any],
    *,
    dtype: torch.dtype | None = torch.float64,
    nondet_tol: float = 0.0,
    batched: bool = True,
    threads: int | None = THREADS,
    **options: Any,
) -> Report:
    """Check autograd's gradient of ``loss_fn(model)`` against finite differences.

    Rows are named as ``model.named_parameters()`` names them (``encoder.layers.0.weight``);
    parameters with ``requires_grad=False`` are held fixed. The check runs on a copy: in
    ``dtype`` (float64 by default, floating inputs reaching its modules cast too; ``None``
    keeps the model's precision, judged with the evidence float32 rounding leaves). The
    model, its parameters, buffers, ``.grad``s, training flag and torch's RNG state are
    never touched, however the check ends. Dropout and batch norm run in the mode the
    model is in; a random loss (dropout in training mode) is refused.

    Arguments:
        model: a ``torch.nn.Module``.
        loss_fn: ``loss_fn(model) -> scalar tensor``, e.g. ``lambda m: F.mse_loss(m(X), Y)``.
        dtype: the copy's precision; None keeps the model's.
        nondet_tol: how far two backward passes at the same point may differ.
        batched: evaluate through torch.func.vmap where the loss allows it.
        threads: torch's intra-op threads during the check (None: as set; restored after).
        options: ``check``'s options: h, scheme, margin, band_scale, seed, ...; ``promote``
            is False here (the copy is already in ``dtype``).
    """
    check_dtype(dtype)
    require_callable(loss_fn, "loss_fn(model)")
    settings = settings_of({"promote": False, **options})
    tolerance = check_tolerance(nondet_tol)
    before = torch.get_num_threads()
    with interruptible() as tally, intra_op_threads(threads):  # Ctrl-C: after the restores
        problem = ModuleLoss(model, loss_fn, dtype)
        with torch.random.fork_rng(devices=devices_of(problem.devices.values())):
            dropout = dropout_in_training(model)
            refuse_random(
                tally.counted(problem.loss),
                problem.params,
                lambda y: scalar_spec(y, "loss_fn(model)"),
                "loss_fn(model)",
                f" (dropout in training mode: {', '.join(dropout)})" if dropout else "",
            )
            log = BatchLog("the loss")
            tally.more.append(lambda: log.checks)
            settings = batched_settings(settings, batched, problem.flat_call, problem.device, log)
            report = gradient_report(
                problem.loss, problem.params, problem.gradient, settings, tolerance=tolerance
            )
    report = replace(
        report,
        evaluations={**report.evaluations, "randomness_probe": 1 + REPEATS, **log.evaluations()},
    )
    return with_notes(report, module_notes(model, problem, dtype, threads, before) + log.notes())


def module_notes(
    model: torch.nn.Module, problem: ModuleLoss, dtype: Any, threads: int | None, before: int
) -> list[str]:
    """What the adapter did, for the report: the copy, frozen parameters, threads."""
    kind = "a copy of the model" if dtype is None else f"a {str(dtype).split('.')[-1]} copy"
    cast = "" if dtype is None else ", floating inputs to its modules cast too"
    notes = [
        f"checked on {kind} (copy.deepcopy{cast}); the model, its .grad, training flag "
        f"({'train' if model.training else 'eval'} mode, kept) and torch's RNG are untouched"
    ]
    if problem.frozen:
        notes.append(f"held fixed (requires_grad=False): {', '.join(problem.frozen)}")
    return notes + thread_note(threads, before)
