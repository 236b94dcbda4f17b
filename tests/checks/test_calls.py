"""The user's functions: refused at once when they cannot take a check's arguments, and
named in the note of any exception they raise, which still comes out as itself."""

import functools

import numpy as np
import pytest

from gradient_check import InvalidProblemError, check, check_vjp
from gradient_check.checks.calls import UserFunction, require_callable


def _two(x, k):
    return x * k


class Model:
    def __call__(self, params):
        return float(np.sum(params**2))

    def loss(self, params):
        return self(params)


def _adapting(function):
    """A decorator that supplies the second argument: the signature of what it wraps is not
    the one the check calls."""

    @functools.wraps(function)
    def wrapper(x):
        return function(x, 2.0)

    return wrapper


@pytest.mark.parametrize(
    "function",
    [
        lambda p: p,
        functools.partial(_two, k=2.0),
        Model(),
        Model().loss,
        _adapting(_two),
        lambda *args: args[0],
        np.sum,
        np.sin,
        np.linalg.norm,
    ],
    ids=["lambda", "partial", "callable-object", "method", "adapting-decorator", "varargs",
         "numpy-function", "ufunc", "numpy-linalg"],
)  # fmt: skip
def test_whatever_can_take_one_argument_is_accepted(function):
    require_callable(function, "loss(params)")


@pytest.mark.parametrize(
    ("function", "message"),
    [
        (np.eye(2), r"`vjp` is an array of shape \(2, 2\), not a function: pass a function vjp"),
        (None, r"`vjp` is None, not a function"),
        (
            lambda p: p,
            r"`vjp` cannot be called as vjp\(params, cotangent\): its signature is \(p\)",
        ),
        (lambda p, u, *, scale: p, r"its signature is \(p, u, \*, scale\)"),
    ],
)
def test_what_cannot_take_the_arguments_is_refused_with_its_signature(function, message):
    with pytest.raises(InvalidProblemError, match=message):
        require_callable(function, "vjp(params, cotangent)")


class Boom(Exception):
    pass


def test_an_exception_comes_out_as_itself_with_a_note_naming_the_call():
    raised = Boom("inside the backward")

    def grads(p):
        raise raised

    user = UserFunction(grads, "grads(params)", "check")
    with user.during("the nondeterminism probe"), pytest.raises(Boom) as caught:
        user(np.ones(2))
    assert caught.value is raised and caught.value.__cause__ is None
    assert caught.value.__notes__ == [
        "gradient_check.check called `grads(params)` and it raised, at call 1 "
        "(the nondeterminism probe)"
    ]
    assert user.stage == "reading the derivative under check"  # the stage ended with it


@pytest.mark.parametrize("exception", [KeyboardInterrupt, SystemExit])
def test_interrupts_pass_untouched(exception):
    def grads(p):
        raise exception()

    with pytest.raises(exception) as caught:
        UserFunction(grads, "grads(params)", "check")(np.ones(2))
    assert not hasattr(caught.value, "__notes__")


def test_a_check_names_the_raising_derivative_and_restores_the_parameters():
    x = np.array([0.5, -1.0])
    saved = x.copy()

    def vjp(p, u):
        p[0] = 99.0  # writes, then fails
        raise ValueError("shapes do not match")

    with pytest.raises(ValueError, match="shapes do not match") as caught:
        check_vjp(lambda p: np.sin(p), x, vjp)
    assert "check_vjp called `vjp(params, cotangent)` (arguments in that order)" in str(
        caught.value.__notes__
    )
    assert x.tobytes() == saved.tobytes()


def test_a_derivative_interrupted_leaves_the_parameters_as_they_were():
    x = np.array([0.5, -1.0])
    saved = x.copy()
    calls = 0

    def grads(p):
        nonlocal calls
        calls += 1
        p *= 3.0
        if calls == 2:
            raise KeyboardInterrupt
        return 2 * p

    with pytest.raises(KeyboardInterrupt):
        check(lambda p: float(p @ p), x, grads)
    assert x.tobytes() == saved.tobytes()
