"""Where frameworks plug into the engine (PyTorch, JAX, executors: the next issues).

An adapter supplies one or both of the engine's two extension points and never judges:
an evaluator (``core.evaluate.Evaluator``: a batch of perturbed points in, f's outputs
out) and an analytic side (``core.engine.AnalyticFn``: the derivative rows, and their
precision).
"""
