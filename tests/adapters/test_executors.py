"""Checks run on executors' workers: a process pool and a two-worker dask cluster give the
serial run's report, leave the parameters as they were, and cancel on Ctrl-C."""

from concurrent.futures import Future, ProcessPoolExecutor

import numpy as np
import pytest

import gradient_check as gc
import gradient_check.adapters.executors
from gradient_check import InvalidProblemError, Outcome

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
    with ProcessPoolExecutor(2) as pool:
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
    """An executor whose second result is a Ctrl-C; it records what was cancelled."""

    def __init__(self):
        self.futures = []

    def submit(self, fn, *args):
        future = Future()
        if len(self.futures) == 1:
            future.set_exception(KeyboardInterrupt())
        else:
            future.set_result(fn(*args))
        self.futures.append(future)
        return future


def test_ctrl_c_cancels_outstanding_work_and_restores_the_parameters():
    params, g = problem()
    before = {k: v.copy() for k, v in params.items()}
    executor = Interrupting()
    with pytest.raises(KeyboardInterrupt):
        gc.check(loss, params, g, executor=executor)
    assert all(np.array_equal(params[k], before[k]) for k in params)


def test_an_object_without_submit_is_refused():
    params, g = problem()
    with pytest.raises(InvalidProblemError, match="submit"):
        gc.check(loss, params, g, executor="localhost:8786")
