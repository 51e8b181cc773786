"""Rates with a 95% interval: the Wilson score interval."""

from __future__ import annotations

import numpy as np
import pytest

from spatule.intervals import Z95, rate, shown, wilson


@pytest.mark.parametrize("k, n", [(0, 7), (7, 7), (3, 10), (28, 30), (1, 1), (50, 100)])
def test_the_wilson_interval_holds_the_rates_the_score_test_does_not_reject(k: int, n: int):
    """Wilson's interval is every p whose score test accepts k of n: |k/n - p| <= z sqrt(p(1-p)/n)."""
    grid = np.linspace(0, 1, 200001)
    accepted = grid[np.abs(k / n - grid) <= Z95 * np.sqrt(grid * (1 - grid) / n)]
    low, high = wilson(k, n)
    assert low == pytest.approx(accepted.min(), abs=1e-4) and high == pytest.approx(accepted.max(), abs=1e-4)


def test_none_wrong_of_seven_still_allows_an_error_rate_of_a_third():
    low, high = wilson(0, 7)
    assert low == 0.0 and high == pytest.approx(0.354, abs=1e-3)
    assert wilson(7, 7)[1] == 1.0 and wilson(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError):
        wilson(8, 7)


def test_a_rate_carries_its_count_and_reads_as_text():
    figure = rate(28, 30)
    assert (figure["k"], figure["n"], figure["rate"]) == (28, 30, 0.9333)
    assert shown(figure) == "0.933 (28/30, 0.787-0.982)"
    assert rate(0, 0)["rate"] is None and shown(rate(0, 0)) == "- (0/0)"
