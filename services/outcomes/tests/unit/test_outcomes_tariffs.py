"""Which tariff version prices a piece of work: the latest effective on the work's Paris calendar day."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from relais_outcomes.domain.calendar import period_of
from relais_outcomes.domain.tariffs import Tariff, TariffIndex, tariff_at, tariff_in_force
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


@given(st.dictionaries(st.sampled_from(["acme", "zeta", "omega"]),
                       st.lists(st.dates(date(2025, 1, 1), date(2027, 12, 31)), max_size=5, unique=True)),
       st.sampled_from(["acme", "zeta", "omega", "nobody"]), st.dates(date(2024, 12, 1), date(2028, 1, 31)))
def test_the_tariff_index_finds_the_version_in_force(starts: dict[str, list[date]], partner: str, on: date) -> None:
    versions = {p: [Tariff(tariff_version_id=uuid.uuid4(), partner_id=p, effective_from=d, fees={}, vat_rate_bp=0)
                    for d in days] for p, days in starts.items()}
    assert TariffIndex(versions).in_force(partner, on) is tariff_in_force(versions.get(partner, []), on)


@given(st.lists(st.dates(date(2026, 3, 20), date(2026, 11, 5)), max_size=4, unique=True),
       st.lists(st.tuples(st.datetimes(datetime(2026, 3, 20), datetime(2026, 11, 5)),
                          st.sampled_from([UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=2))]),
                          st.sampled_from(list(BillingKind))), max_size=30))
def test_a_price_is_the_fee_of_the_version_in_force_on_the_paris_day(starts: list[date], work: list) -> None:
    """Around both daylight-saving changes of 2026, whatever the instant's zone; prices kept per day are reused."""
    versions = [Tariff(tariff_version_id=uuid.uuid4(), partner_id="acme", effective_from=d,
                       fees={k: 100 * (i + 1) + n for n, k in enumerate(BillingKind)}, vat_rate_bp=0)
                for i, d in enumerate(starts)]
    index = TariffIndex({"acme": versions})
    for naive, zone, kind in work:
        moment = naive.replace(tzinfo=zone)
        tariff = tariff_at(versions, moment)
        assert index.price("acme", kind, moment) == (tariff.fee(kind) if tariff else 0,
                                                     tariff.tariff_version_id if tariff else None, period_of(moment))
