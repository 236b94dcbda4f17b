"""The precision a JAX check evaluates in: float64 under x64 mode, restored; or the user's."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gradient_check import InvalidProblemError
from gradient_check.adapters.jax.precision import precision_of, x64_enabled
from gradient_check.jax import check

W = np.array([0.3, -1.2, 0.7, 2.0])


def loss(p):
    return jnp.sum(jnp.tanh(p["w"]) ** 2)


def test_float64_is_the_default_and_x64_mode_is_restored_after():
    assert not x64_enabled()
    seen = []

    def watched(p):
        seen.append((jax.config.jax_enable_x64, p["w"].dtype))
        return loss(p)

    report = check(watched, {"w": W.astype(np.float32)})
    assert report.ok
    assert set(seen) == {(True, np.dtype(np.float64))}
    assert not x64_enabled()
    assert any("float64 copies" in n and "restored" in n for n in report.notes)


def test_x64_mode_is_restored_when_the_loss_raises():
    def broken(p):
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        check(broken, {"w": W})
    assert not x64_enabled()


def test_dtype_none_keeps_the_precision_jax_computes_in():
    seen = []

    def watched(p):
        seen.append(p["w"].dtype)
        return loss(p)

    report = check(watched, {"w": W}, dtype=None)  # numpy float64, but JAX computes float32
    assert report.ok
    assert set(seen) == {np.dtype(np.float32)}
    assert any("own precision (dtype=None): float32" in n for n in report.notes)
    assert any("precision float32" in n for n in report.notes)


def test_dtype_float32_casts_and_says_so():
    report = check(loss, {"w": W}, dtype=jnp.float32)
    assert report.ok
    assert any("float32 copies of the leaves (dtype=float32)" in n for n in report.notes)


def test_bfloat16_with_dtype_none_is_refused_with_the_fix():
    with pytest.raises(InvalidProblemError, match=r"bfloat16.*dtype=jnp.float32"):
        check(loss, {"w": jnp.asarray(W, dtype=jnp.bfloat16)}, dtype=None)


def test_bfloat16_leaves_are_checked_as_float64_copies_by_default():
    report = check(loss, {"w": jnp.asarray(W, dtype=jnp.bfloat16)})
    assert report.ok


@pytest.mark.parametrize("bad", [np.float16, np.int32, "float128", object])
def test_a_dtype_other_than_float64_float32_or_none_is_refused(bad):
    with pytest.raises(InvalidProblemError, match="`dtype` is"):
        precision_of(bad)
