"""Which tariff version prices a piece of work: the latest effective on the work's Paris calendar day."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from relais_outcomes.domain.tariffs import Tariff, tariff_at, tariff_in_force
from relais_platform.contracts import BillingKind


def version(effective_from: date, fee: int = 100, **kw) -> Tariff:
    return Tariff(tariff_version_id=uuid.uuid4(), partner_id="acme", effective_from=effective_from,
                  fees={BillingKind.CASE_CLOSED: fee}, vat_rate_bp=kw.pop("vat_rate_bp", 2000), **kw)


def test_a_change_from_the_15th_prices_earlier_work_with_the_old_version() -> None:
    old, new = version(date(2026, 3, 1), 100), version(date(2026, 3, 15), 200)
    assert tariff_in_force([new, old], date(2026, 3, 14)) is old
    assert tariff_in_force([new, old], date(2026, 3, 15)) is new
    assert tariff_in_force([new, old], date(2026, 2, 28)) is None


def test_the_effective_day_is_judged_in_paris() -> None:
    v = version(date(2026, 3, 15))
    assert tariff_at([v], datetime(2026, 3, 14, 23, 30, tzinfo=UTC)) is v  # 00:30 on the 15th in Paris
    assert tariff_at([v], datetime(2026, 3, 14, 22, 59, tzinfo=UTC)) is None  # 23:59 on the 14th


def test_same_terms_compares_every_fee_and_bound_not_identity() -> None:
    a = version(date(2026, 1, 1), 100, monthly_cap_cents=10)
    b = Tariff(tariff_version_id=uuid.uuid4(), partner_id="acme", effective_from=date(2026, 1, 1),
               fees={BillingKind.CASE_CLOSED: 100, BillingKind.VISIT: 0}, vat_rate_bp=2000, monthly_cap_cents=10)
    assert a.same_terms(b)
    assert not a.same_terms(version(date(2026, 1, 1), 100, monthly_cap_cents=11))
    assert not a.same_terms(version(date(2026, 1, 1), 101, monthly_cap_cents=10))
    assert not a.same_terms(version(date(2026, 1, 1), 100, monthly_cap_cents=10, vat_rate_bp=550))


days = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))


@given(starts=st.lists(days, min_size=0, max_size=8, unique=True), on=days)
def test_tariff_in_force_is_the_latest_version_started_on_or_before_the_day(starts: list[date], on: date) -> None:
    versions = [version(s) for s in starts]
    chosen = tariff_in_force(versions, on)
    started = [v for v in versions if v.effective_from <= on]
    if not started:
        assert chosen is None
    else:
        assert chosen is not None and chosen.effective_from <= on
        assert all(v.effective_from <= chosen.effective_from for v in started)
        # nothing later than the chosen one has started yet
        assert all(v.effective_from > on for v in versions if v.effective_from > chosen.effective_from)


@given(starts=st.lists(days, min_size=1, max_size=8, unique=True), offset=st.integers(0, 400))
def test_a_version_rules_from_its_first_day_until_the_next_one(starts: list[date], offset: int) -> None:
    versions = sorted((version(s) for s in starts), key=lambda v: v.effective_from)
    for current, following in zip(versions, [*versions[1:], None], strict=True):
        day = current.effective_from + timedelta(days=offset)
        if following is None or day < following.effective_from:
            assert tariff_in_force(versions, day) is current
