"""The copy of the user's model that a check runs on, so that the model itself is never
touched: not its parameters, buffers, ``.grad``s, training flag nor its hooks.

``copy.deepcopy`` copies parameters, buffers, the training flag and module hooks; the copy
is cast to the check's dtype (float64 by default: its floating parameters and buffers,
complex ones to the matching complex dtype), floating inputs reaching any of its modules
are cast the same way (so ``loss_fn`` may keep its float32 data), and the tensor hooks on
parameters (``Tensor.register_hook``), which deepcopy leaves behind, are carried over, so
that the gradient checked is the one training would use.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import torch

from ...errors import InvalidProblemError
from .convert import COMPLEX_OF

DTYPES = (torch.float16, torch.float32, torch.float64)


def check_dtype(dtype: Any) -> None:
    """Refuse a ``dtype`` the check cannot evaluate in, naming the choices."""
    if dtype is not None and dtype not in DTYPES:
        raise InvalidProblemError(
            f"`dtype` is {dtype!r}; choose torch.float64 (the default: the check's own "
            "rounding out of the way), torch.float32 or torch.float16, or None to keep the "
            "model's precision (numpy has no bfloat16)."
        )


def model_copy(model: torch.nn.Module, dtype: torch.dtype | None) -> torch.nn.Module:
    """A deep copy of ``model`` in ``dtype`` (None: as it is), without ``.grad``s."""
    if not isinstance(model, torch.nn.Module):
        raise InvalidProblemError(
            f"`model` is a {type(model).__name__}, not a torch.nn.Module; for a function of "
            "tensors use check_function(fn, *inputs)."
        )
    try:
        twin = copy.deepcopy(model)
    except Exception as error:
        raise InvalidProblemError(
            f"`model` cannot be copied (copy.deepcopy raised {type(error).__name__}: {error}). "
            "The check runs on a copy so that your model is never touched: make the model "
            "deep-copyable (no open files, locks or generators among its attributes)."
        ) from error
    for (_, mine), (_, theirs) in zip(
        twin.named_parameters(remove_duplicate=False),
        model.named_parameters(remove_duplicate=False),
        strict=True,
    ):
        mine.grad = None
        for hook in (getattr(theirs, "_backward_hooks", None) or {}).values():
            mine.register_hook(hook)
    if dtype is not None:
        _cast(twin, dtype)
        for module in twin.modules():
            module.register_forward_pre_hook(_inputs_cast(dtype), with_kwargs=True)
    return twin


def _cast(module: torch.nn.Module, dtype: torch.dtype) -> None:
    """Cast floating parameters and buffers to ``dtype``, complex ones to its complex twin;
    integer buffers (batch norm's counter) stay as they are."""
    tensors = [*module.parameters(), *module.buffers()]
    for tensor in tensors:
        if tensor.is_floating_point() and tensor.dtype != dtype:
            tensor.data = tensor.data.to(dtype)
        elif tensor.is_complex():
            if dtype not in COMPLEX_OF:
                raise InvalidProblemError(
                    f"the model has complex parameters, which have no {dtype} form; pass "
                    "dtype=torch.float64 or torch.float32."
                )
            tensor.data = tensor.data.to(COMPLEX_OF[dtype])


def _inputs_cast(dtype: torch.dtype):
    """A forward pre-hook casting the floating tensors among a module's inputs to ``dtype``."""

    def cast(value: Any) -> Any:
        if isinstance(value, torch.Tensor):
            return value.to(dtype) if value.is_floating_point() and value.dtype != dtype else value
        if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
            return type(value)(cast(v) for v in value)
        if isinstance(value, Mapping):
            return {k: cast(v) for k, v in value.items()}
        return value

    def hook(_module: torch.nn.Module, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
        return cast(args), cast(kwargs)

    return hook


def dropout_in_training(model: torch.nn.Module) -> list[str]:
    """The names of dropout modules left in training mode (where a loss draws its masks)."""
    return [
        name or type(module).__name__
        for name, module in model.named_modules()
        if module.training and "Dropout" in type(module).__name__
    ]
