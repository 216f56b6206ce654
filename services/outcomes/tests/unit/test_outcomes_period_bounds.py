"""Every billing month the API accepts has bounds the date arithmetic can compute: `0000-01` and `9999-12` used
to pass the pattern and answer 500 (found by the API fuzz suite, tests/contract/test_api_fuzz.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relais_outcomes.domain.calendar import PERIOD_PATTERN, is_period, last_day_of, period_bounds


@given(st.from_regex(PERIOD_PATTERN, fullmatch=True))
def test_every_accepted_month_has_computable_bounds(period: str) -> None:
    start, end = period_bounds(period)
    assert start < end and (last_day_of(period) + timedelta(days=1)).day == 1
    assert start.astimezone(end.tzinfo).strftime("%Y-%m") == period


@pytest.mark.parametrize("period", ["0000-01", "0001-01", "9999-12", "1899-12", "3000-01", "٢٠٢٦-01", "2026-1"])
def test_months_outside_1900_2999_or_not_in_ascii_digits_are_not_periods(period: str) -> None:
    assert not is_period(period)
    with pytest.raises(ValueError, match="not a billing period"):
        last_day_of(period)


@pytest.mark.parametrize("period", ["1900-01", "2026-11", "2999-12"])
def test_the_months_at_the_ends_are_periods(period: str) -> None:
    assert is_period(period)
