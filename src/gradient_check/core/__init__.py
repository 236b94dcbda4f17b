"""The engine, numpy only, one module per stage of the path a check takes.

flatten (theta, named slots) -> outputs (f's outputs as a real vector) -> settings (steps,
schemes) -> probe (centre, repeats, precision, noise) -> plan (coordinates or random
directions) -> analytic (the derivative's rows) -> measure (first differences, longer
steps) -> judge (first pass) -> refine (the rows in doubt) -> summarise (the report), with
bands and estimate beside them, ``engine.run_check`` running them in that order, and
``workspace`` / ``evaluate`` / ``rng`` keeping the user's parameters and generators as they
were. Nothing here imports from the rest of the package but ``errors`` and ``report``, and
nothing here imports a framework: adapters and executors plug in through the
``evaluate.Evaluator`` protocol and the ``analytic.AnalyticFn`` callback.
"""
