"""PyTorch plugged into the engine: modules by parameter name, functions by input, and
drop-ins for torch.autograd.gradcheck and gradgradcheck.

The adapter only supplies evaluations (the loss or function at numpy copies of the
parameters, batched with torch.func.vmap where it can be) and analytic derivatives (from
autograd, so custom ``autograd.Function``s and hooks are what gets checked); flattening,
estimating, judging and reporting are the core's. One job per module:

    convert    tensors <-> numpy arrays, dtypes, devices
    threads    torch's intra-op threads during a check, and the user's setting restored
    batched    the vmap Evaluator, with its fallback to the in-place loop
    module     check_module: a copy of the model, its loss of numpy arrays, its gradient
    copying    the copy: cast, inputs cast at every module, tensor hooks carried over
    inputs     a function's inputs and outputs by name ("input 0", "output 1")
    jacobians  the Jacobian from autograd: VJP rows, JVP columns, batched or one by one
    structure  the structural checks gradcheck makes (undefined, zero, batched gradients)
    function   check_function: the Jacobian of a function of tensors
    dropin     gradcheck and gradgradcheck, torch's signatures, our evidence
"""
