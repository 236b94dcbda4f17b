"""The noise table: sigma per output, pooled across outputs computed alike."""

import numpy as np
import pytest

from gradient_check import Outcome, check
from gradient_check.core.estimate import noise_level
from gradient_check.core.probe import POOL_OUTPUTS, noise_from_table

WIGGLE = np.array([0.0, 1.0, -1.0, 0.5, -0.5, 1.0, -1.0])  # the same pattern for every output


def table_of(outputs: int) -> tuple[np.ndarray, np.ndarray]:
    """f0 and a noise table whose outputs have relative noise 1e-12, 2e-12, ... (distinct)."""
    magnitude = np.linspace(1.0, 3.0, outputs)
    relative = 1e-12 * np.arange(1, outputs + 1)
    table = magnitude * (1 + np.outer(WIGGLE, relative))
    return table[0], table


def unpooled(table: np.ndarray, f0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    magnitude = np.maximum(np.abs(f0), np.max(np.abs(table), axis=0))
    return noise_level(table), magnitude


def test_fewer_than_pool_outputs_keep_their_own_noise():
    f0, table = table_of(POOL_OUTPUTS - 1)
    sigma = noise_from_table(table, f0, np.array([f0, f0]), 0.0)
    assert np.array_equal(sigma, unpooled(table, f0)[0])


def test_from_pool_outputs_on_no_output_is_judged_below_the_90_percent_quantile():
    for outputs in (POOL_OUTPUTS, 20):
        f0, table = table_of(outputs)
        own, magnitude = unpooled(table, f0)
        sigma = noise_from_table(table, f0, np.array([f0, f0]), 0.0)
        level = np.quantile(own / magnitude, 0.9)  # the 0.9 quantile, not 0.8 nor 0.95
        np.testing.assert_array_equal(sigma, np.maximum(own, level * magnitude))
        assert np.min(sigma / magnitude) == pytest.approx(level, rel=1e-12)
        assert not np.array_equal(sigma, own)  # pooling raised the quiet outputs


def test_the_repeats_spread_and_the_resolution_are_floors():
    f0, table = table_of(3)
    magnitude = unpooled(table, f0)[1]
    repeats = np.array([f0, f0 + np.array([0.0, 1e-6, 0.0])])
    sigma = noise_from_table(table, f0, repeats, 1e-9)
    assert sigma[1] == np.abs(repeats[1] - f0)[1]  # a repeat that moved
    np.testing.assert_array_equal(sigma[[0, 2]], (1e-9 * magnitude)[[0, 2]])


def test_the_grain_of_values_is_the_rounding_they_carry_even_where_the_table_is_smooth():
    from gradient_check.core.noise import grain

    big = 54422557.41625081  # its ulp is 2**-27 ~ 7.45e-9
    x = 0.75 + 11 * 2.0**-27 * np.arange(7) / 0.5  # (big + 0.5 x) - big moves 11 ulps a point
    table = ((big + 0.5 * x) - big)[:, None]
    f0 = table[0]
    assert noise_level(table)[0] == 0.0  # whole grid steps: the table alone sees no noise
    assert grain(table - f0)[0] == 2.0**-27
    sigma = noise_from_table(table, f0, np.array([f0, f0]), np.finfo(float).eps)
    assert sigma[0] == 2.0**-28  # half a grain: the largest rounding of a value on it


def test_a_jump_of_a_step_or_two_is_not_a_grain():
    from gradient_check.core.noise import grain

    steps = np.array([[0.0], [0.0], [1.0], [1.0], [1.0], [1.0], [1.0]])
    assert grain(steps - steps[0])[0] == 0.0  # one jump of 1: not rounding


def test_outputs_pool_their_noise_relative_to_their_terms_not_their_values():
    """Ten outputs computed alike, two of them nearly cancelling: the cancelling ones keep
    their own (large relative) noise, and do not lift the others' to it."""
    from gradient_check.core.noise import grain

    rng = np.random.default_rng(3)
    terms = rng.uniform(1.0, 2.0, 10)
    drift = np.arange(7.0)[:, None] * 1e-8 * terms  # a smooth move along the table's line
    values = terms + drift + np.outer(WIGGLE, terms) * 1e-15
    values[:, :2] = (1e6 + values[:, :2]) - 1e6  # terms of 1e6: on a grid of 1.2e-10
    f0 = values[0]
    sigma = noise_from_table(values, f0, np.array([f0, f0]), np.finfo(float).eps)
    assert np.all(sigma[:2] >= 0.5 * grain(values - f0)[:2]) and np.all(sigma[:2] > 1e-11)
    assert np.all(sigma[2:] < 1e-13)  # not raised to the cancelling outputs' 1e-10


def test_the_table_spacing_sees_the_precision_found_and_stays_on_its_side_of_zero():
    from gradient_check.core.noise import NOISE_ULPS, table_spacing

    eps16, eps64 = float(np.finfo(np.float16).eps), float(np.finfo(float).eps)
    theta = np.array([1.0, 1e-6, 0.0])
    steps = np.array([eps16 ** (1 / 3), 1e-3, 0.1])  # the last two: absolute steps
    scales = np.array([1.0, 1e-6, 1.0])
    spacing = table_spacing(theta, steps, scales, np.array([eps16, eps64, eps64]))
    assert spacing[0] >= NOISE_ULPS * eps16  # float16's step / 64 would be 1.5 ulps
    assert spacing[1] * 7 < 1e-6  # the table never crosses zero
    assert spacing[2] == 0.1 / 64


class FunctionEvaluator:
    """An evaluator of f at whole theta vectors, for the noise table alone."""

    def __init__(self, f):
        self.f = f

    def at_thetas(self, thetas, where):
        return np.array([[self.f(theta)] for theta in thetas])


class Signs:
    """A generator whose random signs are given."""

    def __init__(self, signs):
        self.signs = np.asarray(signs, dtype=float)

    def integers(self, low, high, size):  # 1 moves an element up, 0 down
        return (self.signs[:size] > 0).astype(np.int64)


def test_a_noise_table_leaving_the_domain_is_turned_round_then_taken_closer():
    from gradient_check.core.noise import noise

    def f(p):  # finite for p0 <= 1 and p1 >= 1 only: theta sits 1e-8 from both edges
        with np.errstate(invalid="ignore"):
            return float(np.sqrt(1.0 - p[0]) + np.sqrt(p[1] - 1.0))

    theta = np.array([1.0 - 1e-8, 1.0 + 1e-8])
    f0 = np.array([f(theta)])
    spacing = np.full(2, 1e-7)  # six of them leave the domain, whichever way both move
    sigma, _, made, _, used = noise(
        FunctionEvaluator(f), theta, f0, np.array([f0, f0]), spacing, Signs([1, 1]), 2.2e-16
    )
    assert np.isfinite(sigma[0]) and made >= 18  # +v, -v, then +v / 64 (and a closer look)
    assert used == 64.0  # the table kept is the closer one, and it says so


def test_a_noise_table_across_a_jump_is_taken_the_other_way():
    """floor(theta_0) at exactly 3: a table moving theta_0 down crosses the jump at once; the
    noise is read from the table the other way, not from the jump (which would blur every
    element's bound, here the smooth one's)."""
    x = np.array([3.0, 1.5])
    report = check(lambda p: float(np.floor(p[0]) + p[1] ** 2), x, np.array([0.0, 3.0]))
    note = next(n for n in report.notes if n.startswith("measured noise"))
    assert "2.2e-16 relative" in note or "1.1e-16 relative" in note
    assert report.outcome is Outcome.CANNOT_TELL
    assert "f jumps at params[0]" in report.headline  # the discontinuity, named


def test_the_tables_line_is_drawn_in_pieces_as_one_draw_of_all():
    from gradient_check.core.noise import SIGNS_AT_ONCE, random_signs, table_points

    size = 2 * SIGNS_AT_ONCE + 3  # pieces, and an odd last one
    up = random_signs(np.random.default_rng(7), size)
    whole = np.random.default_rng(7).choice([-1.0, 1.0], size=size)  # the line as it was
    np.testing.assert_array_equal(np.where(up, 1.0, -1.0), whole)
    rng = np.random.default_rng(8)
    theta, spacing = rng.standard_normal(size), rng.random(size) * 1e-6
    k = np.array([1.0, 2.0, 5.0])
    points = table_points(theta, k, -1 / 64, up, spacing)
    np.testing.assert_array_equal(points, k[:, None] * (-1 / 64 * (whole * spacing)) + theta)
