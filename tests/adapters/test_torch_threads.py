"""torch's intra-op threads during a check, and the user's setting put back after."""

import pytest

torch = pytest.importorskip("torch")

from gradient_check import InvalidProblemError  # noqa: E402
from gradient_check.adapters.torch.threads import intra_op_threads  # noqa: E402
from gradient_check.torch import check_function  # noqa: E402


def test_one_thread_inside_and_the_users_setting_restored_even_on_an_error():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with intra_op_threads(1):
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 2
        with pytest.raises(KeyboardInterrupt), intra_op_threads(1):
            raise KeyboardInterrupt
        assert torch.get_num_threads() == 2
        with intra_op_threads(None):
            assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_a_check_runs_on_one_thread_and_says_so():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    seen = []

    def fn(x):
        seen.append(torch.get_num_threads())
        return torch.sin(x)

    try:
        report = check_function(fn, torch.ones(3, dtype=torch.float64, requires_grad=True))
        assert set(seen) == {1}
        assert torch.get_num_threads() == 2
        assert any("1 intra-op thread(s); torch's setting (2)" in n for n in report.notes)
        kept = []
        check_function(
            lambda x: kept.append(torch.get_num_threads()) or x * 2,
            torch.ones(2, dtype=torch.float64, requires_grad=True),
            threads=None,
        )
        assert set(kept) == {2}
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("threads", [0, -1, 1.5, True, "2"])
def test_a_thread_count_that_is_not_one_is_refused(threads):
    with pytest.raises(InvalidProblemError, match="threads"), intra_op_threads(threads):
        pass
