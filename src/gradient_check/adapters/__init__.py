"""Where frameworks and executors plug into the engine: ``torch``, ``jax``, ``executors``.

An adapter supplies one or both of the engine's two extension points and never judges:
an evaluator (``core.evaluate.Evaluator``: a batch of perturbed points in, f's outputs
out; a vmapped PyTorch or JAX function, or futures on a process pool or a dask cluster)
and an analytic side (autograd's or jax's derivative, handed to the checks as the
gradient or Jacobian). Flattening, estimating, judging and the report stay the core's.
"""
