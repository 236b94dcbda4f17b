"""check_module: autograd's gradient of a model's loss, by parameter name, on a copy."""

import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from gradient_check import InvalidProblemError, Outcome, StochasticLossError  # noqa: E402
from gradient_check.errors import CheckInterrupted  # noqa: E402
from gradient_check.torch import check_module  # noqa: E402


class ScaledTanh(torch.autograd.Function):
    """tanh whose backward is multiplied by ``factor`` (1: correct)."""

    @staticmethod
    def forward(ctx, x, factor):
        y = torch.tanh(x)
        ctx.save_for_backward(y)
        ctx.factor = factor
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * (1 - y * y) * ctx.factor, None


class Net(nn.Module):
    def __init__(self, factor=1.0, dropout=0.0):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(4, 5), nn.Dropout(dropout))
        self.head = nn.Linear(5, 3)
        self.factor = factor

    def forward(self, x):
        return self.head(ScaledTanh.apply(self.encoder(x), self.factor))


def data():
    generator = torch.Generator().manual_seed(0)
    return torch.randn(6, 4, generator=generator), torch.tensor([0, 1, 2, 0, 1, 2])


def model(**kwargs):
    torch.manual_seed(1)
    return Net(**kwargs)


def loss_of(X, y):
    return lambda m: F.cross_entropy(m(X), y)


def test_rows_are_named_as_named_parameters_names_them_and_a_correct_model_passes():
    X, y = data()
    net = model()
    report = check_module(net, loss_of(X, y))
    assert report.ok
    assert [row.name for row in report.parameters] == [n for n, _ in net.named_parameters()]
    assert report.row("encoder.0.weight").shape == (5, 4)


def test_a_wrong_backward_in_a_custom_function_names_the_parameters_before_it():
    X, y = data()
    report = check_module(model(factor=1.01), loss_of(X, y))
    assert report.outcome is Outcome.WRONG
    # the wrong factor sits between the encoder and the head: only the encoder's gradients
    # pass through it
    assert sorted(report.wrong) == ["encoder.0.bias", "encoder.0.weight"]


def snapshot(net):
    return (
        {k: v.clone() for k, v in net.state_dict().items()},
        [None if p.grad is None else p.grad.clone() for p in net.parameters()],
        [p.dtype for p in net.parameters()],
        net.training,
        torch.get_rng_state(),
        torch.get_num_threads(),
    )


def assert_same(before, after):
    state, grads, dtypes, training, rng, threads = before
    state2, grads2, dtypes2, training2, rng2, threads2 = after
    assert state.keys() == state2.keys()
    assert all(torch.equal(state[k], state2[k]) for k in state)
    assert all(
        (a is None and b is None) or torch.equal(a, b) for a, b in zip(grads, grads2, strict=True)
    )
    assert (dtypes, training, threads) == (dtypes2, training2, threads2)
    assert torch.equal(rng, rng2)


def test_the_users_model_grads_flag_rng_and_threads_are_untouched():
    X, y = data()
    net = nn.Sequential(nn.Linear(4, 5), nn.BatchNorm1d(5), nn.Tanh(), nn.Linear(5, 3))
    net[0].weight.grad = torch.full_like(net[0].weight, 7.0)
    torch.set_num_threads(2)
    before = snapshot(net)
    report = check_module(net, loss_of(X, y))  # batch norm in training mode: batch statistics
    assert report.ok
    assert_same(before, snapshot(net))


def test_untouched_even_when_interrupted_on_the_fifth_call():
    X, y = data()
    net = model()
    net.head.weight.grad = torch.ones_like(net.head.weight)
    torch.set_num_threads(2)
    before, calls = snapshot(net), []

    def loss(m):
        calls.append(1)
        torch.rand(1)  # moves torch's generator: the fork must put it back
        if len(calls) == 5:
            raise KeyboardInterrupt
        return F.cross_entropy(m(X), y)

    with pytest.raises(KeyboardInterrupt):
        check_module(net, loss, batched=False)
    assert len(calls) == 5
    assert_same(before, snapshot(net))


def stopping_loss(X, y, stop):
    """A loss whose ``stop``-th call draws from torch's generator and raises Ctrl-C.
    ``returned`` holds a flag per call that returned: True for an evaluation of the loss
    (under no_grad: the engine's and the adapter's probes), False for autograd's gradient."""
    returned = []

    def loss(m):
        torch.rand(1)  # moves torch's generator: the fork must put it back
        if len(returned) + 1 == stop:
            raise KeyboardInterrupt
        value = F.cross_entropy(m(X), y)
        returned.append(not torch.is_grad_enabled())
        return value

    return loss, returned


def test_every_evaluation_of_the_loss_is_in_the_reports_count():
    X, y = data()
    loss, returned = stopping_loss(X, y, -1)
    report = check_module(model(), loss, batched=False)
    assert report.evaluations["randomness_probe"] == 3  # the adapter's, before the engine's
    assert report.total_evaluations == sum(returned) and not all(returned)


# calls 1-3: the adapter's randomness probe; 4-5: autograd's gradient twice (repeatability),
# before the engine; 6 on: the engine's probes (the centre, the repeats)
@pytest.mark.parametrize("stop", range(1, 9))
def test_a_ctrl_c_in_the_adapters_own_calls_is_a_check_interrupted(stop):
    X, y = data()
    net = model()
    net.eval()  # the training flag must stay as it is
    net.head.weight.grad = torch.ones_like(net.head.weight)
    torch.set_num_threads(2)
    before = snapshot(net)
    loss, returned = stopping_loss(X, y, stop)
    with pytest.raises(KeyboardInterrupt) as caught:  # not a bare one: a CheckInterrupted
        check_module(net, loss, batched=False)
    stopped = caught.value
    assert isinstance(stopped, CheckInterrupted)
    assert len(returned) == stop - 1 and stopped.stage == "probes"
    assert stopped.evaluations == {"probes": stopped.done}
    if stop <= 6:  # before the engine's first evaluation returned: exactly those counted
        assert stopped.done == sum(returned) == min(stop - 1, 3)
    else:  # the engine counts its repeats as one batch: none until both returned
        assert 3 < stopped.done <= sum(returned)
    assert "parameters and random state restored" in str(stopped)
    assert isinstance(stopped.__cause__, KeyboardInterrupt)
    assert not isinstance(stopped.__cause__, CheckInterrupted)  # wrapped once
    assert_same(before, snapshot(net))


def test_a_ctrl_c_in_the_vmap_agreement_check_counts_its_calls_as_they_return():
    """Calls 9 and 10 are the agreement check's (the loss vmapped at theta, then called
    alone): stopped at 10, the vmapped call counts; the model is untouched either way."""
    X, y = data()
    done, kinds = [], []
    for stop in (9, 10):
        torch.manual_seed(1)
        net = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3))
        before, calls = snapshot(net), []

        def loss(m, stop=stop, calls=calls):
            calls.append(torch.is_inference_mode_enabled())  # vmap's calls run in it
            if len(calls) == stop:
                raise KeyboardInterrupt
            return F.cross_entropy(m(X), y)  # no random op: vmap batches it

        with pytest.raises(KeyboardInterrupt) as caught:
            check_module(net, loss)
        assert isinstance(caught.value, CheckInterrupted) and caught.value.stage == "probes"
        done.append(caught.value.done)
        kinds = calls
        assert_same(before, snapshot(net))
    assert kinds[8:] == [True, False]  # vmapped, then alone
    assert done[1] == done[0] + 1


def test_dropout_in_training_mode_is_refused_with_pytorchs_fix():
    X, y = data()
    net = model(dropout=0.5)
    with pytest.raises(StochasticLossError, match=r"model\.eval\(\)") as raised:
        check_module(net, loss_of(X, y))
    assert "encoder.1" in str(raised.value)  # the dropout module, by name
    assert "torch.manual_seed(0)" in str(raised.value)
    assert net.training


def test_dropout_in_eval_mode_or_seeded_inside_the_loss_is_checked():
    X, y = data()
    net = model(dropout=0.5)
    assert check_module(net.eval(), loss_of(X, y)).ok
    net.train()

    def seeded(m):
        torch.manual_seed(0)
        return F.cross_entropy(m(X), y)

    state = torch.get_rng_state()
    assert check_module(net, seeded).ok
    assert torch.equal(state, torch.get_rng_state())


def test_frozen_parameters_are_held_fixed_and_said_so():
    X, y = data()
    net = model()
    net.head.bias.requires_grad_(False)
    report = check_module(net, loss_of(X, y))
    assert "head.bias" not in [row.name for row in report.parameters]
    assert any("held fixed" in note and "head.bias" in note for note in report.notes)


def test_float32_model_is_checked_in_float64_by_default_and_in_float32_on_request():
    X, y = data()
    net = model()  # float32 parameters, float32 data
    report = check_module(net, loss_of(X, y))
    assert report.ok and any("float64 copy" in note for note in report.notes)
    assert net.head.weight.dtype == torch.float32
    own = check_module(net, loss_of(X, y), dtype=None)
    assert own.outcome is not Outcome.WRONG  # no false alarm at float32's rounding
    assert any("float32" in note for note in own.notes)


def test_parameter_hooks_are_part_of_the_checked_gradient():
    X, y = data()
    net = model()
    net.head.weight.register_hook(lambda grad: grad * 1.5)  # what training would use
    report = check_module(net, loss_of(X, y))
    assert report.wrong == ["head.weight"]


def test_a_loss_that_is_not_scalar_or_a_model_that_is_not_a_module_is_refused():
    X, y = data()
    with pytest.raises(InvalidProblemError, match=r"torch\.nn\.Module"):
        check_module(lambda x: x, loss_of(X, y))
    with pytest.raises(InvalidProblemError, match="dtype"):
        check_module(model(), loss_of(X, y), dtype=torch.int64)
    with pytest.raises(InvalidProblemError, match="unknown option"):
        check_module(model(), loss_of(X, y), steps=3)
    with pytest.raises(Exception, match="scalar"):
        check_module(model(), lambda m: m(X))
    with pytest.raises(InvalidProblemError, match=r"no \.item\(\)"):
        check_module(model(), lambda m: F.cross_entropy(m(X), y).item())


def test_a_loss_detached_from_the_model_is_caught_as_a_zero_gradient():
    X, y = data()
    report = check_module(model(), lambda m: F.cross_entropy(m(X).detach(), y) + m.head.bias.sum())
    assert report.outcome is Outcome.WRONG
    # autograd sees only the bias term; every parameter moves the detached cross-entropy
    assert sorted(report.wrong) == sorted(n for n, _ in model().named_parameters())


def test_batched_and_one_by_one_evaluation_reach_the_same_verdict():
    X, y = data()
    batched = check_module(model(factor=1.01), loss_of(X, y))
    loop = check_module(model(factor=1.01), loss_of(X, y), batched=False)
    assert batched.wrong == loop.wrong
    assert any("torch.func.vmap" in note for note in batched.notes)
    assert not any("torch.func.vmap" in note for note in loop.notes)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
def test_a_cuda_model_is_checked_on_its_device():
    X, y = data()
    net = model().cuda()
    assert check_module(net, loss_of(X.cuda(), y.cuda())).ok
    assert net.head.weight.device.type == "cuda"


def test_a_loss_of_the_outer_model_instead_of_its_argument_is_refused():
    """The likeliest closure slip: the loss ignores the copy it is given, so every
    difference is zero and so is autograd's gradient of the copy; it used to pass."""
    X, y = data()
    net = model()
    with pytest.raises(InvalidProblemError, match="not from a variable holding your model"):
        check_module(net, lambda m: F.cross_entropy(net(X), y))


def test_a_module_used_twice_is_refused_and_tied_parameters_are_checked():
    shared = nn.Linear(5, 5).double()
    twice = nn.Sequential(shared, nn.Tanh(), shared)
    x = torch.randn(4, 5, dtype=torch.float64)
    with pytest.raises(InvalidProblemError, match="same module as `0` and as `2`"):
        check_module(twice, lambda m: m(x).pow(2).sum())
    tied = nn.Sequential(nn.Linear(5, 5), nn.Tanh(), nn.Linear(5, 5)).double()
    tied[2].weight = tied[0].weight
    assert check_module(tied, lambda m: m(x).pow(2).sum()).ok
