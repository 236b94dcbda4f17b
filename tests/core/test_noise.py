"""The noise table: sigma per output, pooled across outputs computed alike."""

import numpy as np
import pytest

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
