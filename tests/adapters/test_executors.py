"""Checks run on executors' workers: a process pool and a two-worker dask cluster give the
serial run's report, leave the parameters as they were, and cancel on Ctrl-C."""

import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest

import gradient_check as gc
import gradient_check.adapters.executors
from gradient_check import InvalidProblemError, Outcome
from gradient_check.adapters.executors import evaluator as executor_evaluator
from gradient_check.adapters.executors import single_threaded
from gradient_check.core.workspace import Workspace
from gradient_check.errors import CheckInterrupted

RNG = np.random.default_rng(11)
X = RNG.standard_normal((40, 6))


def loss(p):
    return float(np.sum(np.tanh(X @ p["W"] + p["b"]) ** 2))


def grads(p):
    t = np.tanh(X @ p["W"] + p["b"])
    d = 2 * t * (1 - t**2)
    return {"W": X.T @ d, "b": d.sum(axis=0)}


def problem():
    params = {"W": RNG.standard_normal((6, 3)), "b": RNG.standard_normal(3)}
    g = grads(params)
    g["W"][4, 1] += 1e-3
    return params, g


@pytest.fixture(autouse=True)
def on_the_workers(monkeypatch):
    """Every batch of more than one point goes to the workers (a cheap loss's batches
    would otherwise be evaluated in this process)."""
    monkeypatch.setattr(executor_evaluator, "LOCAL_SECONDS", 0.0)


@pytest.fixture(scope="module")
def dask_executor():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = distributed.Client(cluster)
    yield client.get_executor()
    client.close()
    cluster.close()


@pytest.mark.parametrize("mode", ["full", "locate"])
def test_a_process_pool_gives_the_serial_report(mode):
    params, g = problem()
    before = {k: v.copy() for k, v in params.items()}
    serial = gc.check(loss, params, g, mode=mode)
    spawn = multiprocessing.get_context("spawn")  # a fork after jax's threads warns
    with ProcessPoolExecutor(2, mp_context=spawn, initializer=single_threaded) as pool:
        pooled = gc.check(loss, params, g, mode=mode, executor=pool)
    assert str(pooled) == str(serial) and pooled.evaluations == serial.evaluations
    assert pooled.outcome is Outcome.WRONG
    assert all(np.array_equal(params[k], before[k]) for k in params)


def test_a_dask_cluster_gives_the_serial_report(dask_executor):
    params, g = problem()
    before = {k: v.copy() for k, v in params.items()}
    serial = gc.check(loss, params, g)
    remote = gc.check(loss, params, g, executor=dask_executor)
    assert str(remote) == str(serial)
    assert [e.label for e in remote.parameters[0].wrong] == ["W[4, 1]"]
    assert all(np.array_equal(params[k], before[k]) for k in params)


class Interrupting:
    """An executor that runs its first task, answers Ctrl-C for the second, and leaves the
    rest pending; it records every future."""

    def __init__(self):
        self.futures = []

    def submit(self, fn, *args):
        future = Future()
        if len(self.futures) == 0:
            future.set_result(fn(*args))
        elif len(self.futures) == 1:
            future.set_exception(KeyboardInterrupt())
        self.futures.append(future)
        return future


def test_ctrl_c_cancels_outstanding_work_and_restores_the_parameters():
    params, g = problem()
    before = {k: v.copy() for k, v in params.items()}
    executor = Interrupting()
    with pytest.raises(CheckInterrupted) as caught:
        gc.check(loss, params, g, executor=executor)
    assert all(np.array_equal(params[k], before[k]) for k in params)
    left = executor.futures[2:]
    assert left and all(future.cancelled() for future in left)
    assert caught.value.stage == "probes"  # the noise table is the first batch sent


def test_small_batches_stay_in_this_process(monkeypatch):
    """A batch cheaper than a round trip is evaluated here: with a cheap loss, nothing is
    submitted, and the report is the serial one."""
    monkeypatch.setattr(executor_evaluator, "LOCAL_SECONDS", 10.0)
    params, g = problem()
    executor = Interrupting()  # any submit would be interrupted
    assert str(gc.check(loss, params, g, executor=executor)) == str(gc.check(loss, params, g))
    assert executor.futures == []


def test_threads_of_one_worker_each_perturb_their_own_copy():
    """A thread pool (or a dask worker with several threads) runs tasks at once in one
    process: sharing one copy of theta, they saw each other's perturbations."""

    def slow(p):  # a Python loop: threads switch inside it, between reads of theta
        return float(sum(np.sin(x) ** 2 for x in p["w"]))

    w = np.random.default_rng(3).standard_normal(300)
    grad = {"w": np.sin(2 * w)}
    serial = gc.check(slow, {"w": w}, grad)
    with ThreadPoolExecutor(4) as pool:
        threaded = [gc.check(slow, {"w": w}, grad, executor=pool) for _ in range(2)]
    assert serial.ok and all(str(report) == str(serial) for report in threaded)


def test_chunks_last_at_most_a_task_and_cover_the_batch():
    params, _ = problem()
    evaluator = executor_evaluator.ExecutorEvaluator(
        Interrupting(), loss, Workspace(params, gc.flatten(params)), None
    )
    evaluator.seconds, evaluator.timed = 0.5, 10  # 50 ms per evaluation
    pieces = evaluator.chunks(1000, 2)
    assert all(s.stop - s.start <= 10 for s in pieces)  # 10 rows x 2 points x 50 ms = 1 s
    assert [i for s in pieces for i in range(s.start, s.stop)] == list(range(1000))


def test_single_threaded_limits_blas_and_the_environment(monkeypatch):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    for name in executor_evaluator.THREAD_VARIABLES:
        monkeypatch.setenv(name, "")  # recorded, so the variable is restored (or removed)
        monkeypatch.delenv(name)
    with threadpoolctl.threadpool_limits(None):  # restores the limits afterwards
        executor_evaluator.single_threaded()
        blas = [p for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]
        assert blas and all(p["num_threads"] == 1 for p in blas)
    assert all(os.environ[name] == "1" for name in executor_evaluator.THREAD_VARIABLES)


def test_an_object_without_submit_is_refused():
    params, g = problem()
    with pytest.raises(InvalidProblemError, match="submit"):
        gc.check(loss, params, g, executor="localhost:8786")
