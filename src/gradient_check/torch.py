"""PyTorch, first class: ``from gradient_check.torch import check_module, check_function,
gradcheck, gradgradcheck``.

* ``check_module(model, loss_fn)``: autograd's gradient of ``loss_fn(model)`` by parameter
  name, checked on a float64 copy of the model;
* ``check_function(fn, *inputs)``: the full Jacobian of every (output, input) pair of a
  function of tensors, through autograd's VJPs, with forward-mode JVPs as a second
  reference;
* ``gradcheck`` and ``gradgradcheck``: drop-ins with torch.autograd's signatures, returning
  True or raising ``GradcheckError`` (a RuntimeError) with our report as the message.

Needs PyTorch (``pip install "gradient-check[torch]"``); ``import gradient_check`` alone
never imports it.
"""

from __future__ import annotations

try:
    import torch  # noqa: F401  (the adapter's one requirement, named if missing)
except ImportError as missing:
    from .errors import MissingDependencyError

    raise MissingDependencyError(
        "gradient_check.torch needs PyTorch, which is not installed: pip install "
        '"gradient-check[torch]"'
    ) from missing

from .adapters.torch.dropin import GradcheckError, gradcheck, gradgradcheck
from .adapters.torch.function import check_function
from .adapters.torch.module import check_module

__all__ = ["GradcheckError", "check_function", "check_module", "gradcheck", "gradgradcheck"]
