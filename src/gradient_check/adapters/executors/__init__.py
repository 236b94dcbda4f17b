"""Run a check's evaluations on any concurrent.futures.Executor: a process pool, or a dask
cluster through ``Client(...).get_executor()``.

How check() reaches it without core or checks importing an executor library: Settings
carry the user's ``executor`` object (anything with ``submit``), and the engine asks
``core.evaluate.evaluator_of`` for the evaluator; that looks the factory up in a registry
(``core.evaluate.EXECUTOR_EVALUATORS``) which this package fills when it is imported.
``import gradient_check`` imports it (it imports no framework: cloudpickle is loaded when
an executor is first used), so ``check(loss, params, grads, executor=pool)`` just works.
"""

from __future__ import annotations

from ...core.evaluate import register_executor_evaluator
from .evaluator import ExecutorEvaluator, single_threaded

register_executor_evaluator(ExecutorEvaluator)

__all__ = ["ExecutorEvaluator", "single_threaded"]
