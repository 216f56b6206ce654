"""Invoice rules: numbers, the grace period, what a credit note may take, and the French amounts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relais_outcomes.domain.exports import euros, rate_percent
from relais_outcomes.domain.invoices import (
    InvoiceBalance,
    check_may_finalize,
    credit_for,
    document_number,
    grace_ends_at,
)
from relais_outcomes.domain.statements import vat_half_up
from relais_platform.errors import Conflict, RelaisError, Unprocessable


def test_numbers_have_the_series_the_year_and_six_digits() -> None:
    assert document_number("REL", 2026, 123) == "REL-2026-000123"
    assert document_number("AVO", 2027, 999_999) == "AVO-2027-999999"
    with pytest.raises(ValueError, match="range"):
        document_number("REL", 2026, 0)


def test_the_grace_period_counts_from_the_first_of_next_month_in_paris() -> None:
    assert grace_ends_at("2026-03", 5) == datetime(2026, 4, 5, 22, tzinfo=UTC)  # 6 April 00:00 CEST
    assert grace_ends_at("2026-12", 0) == datetime(2026, 12, 31, 23, tzinfo=UTC)  # 1 January 00:00 CET


@pytest.mark.parametrize(("now", "force", "admin", "result"), [
    (datetime(2026, 4, 5, 22, tzinfo=UTC), False, False, False),
    (datetime(2026, 4, 5, 21, 59, tzinfo=UTC), True, True, True),
    (datetime(2026, 4, 5, 21, 59, tzinfo=UTC), False, True, None),
    (datetime(2026, 4, 5, 21, 59, tzinfo=UTC), True, False, None),
])
def test_only_an_admin_may_force_an_early_finalisation(now, force, admin, result) -> None:
    if result is None:
        with pytest.raises(Conflict):
            check_may_finalize("2026-03", now=now, grace_days=5, force=force, is_admin=admin)
    else:
        assert check_may_finalize("2026-03", now=now, grace_days=5, force=force, is_admin=admin) is result


@given(net=st.integers(0, 10_000_000), rate=st.integers(0, 10_000),
       asks=st.lists(st.integers(-5, 3_000_000), max_size=12))
def test_credit_notes_never_exceed_what_they_correct(net: int, rate: int, asks: list[int]) -> None:
    vat = vat_half_up(net, rate)
    balance = InvoiceBalance(net_cents=net, vat_cents=vat, vat_rate_bp=rate)
    for ask in [*asks, net]:
        try:
            credited = credit_for(balance, net_cents=ask, line_ids=[], line_amounts={})
        except RelaisError:
            continue
        assert credited.net_cents == ask > 0 and credited.vat_cents >= 0
        balance = InvoiceBalance(net_cents=net, vat_cents=vat, vat_rate_bp=rate,
                                 credited_net_cents=balance.credited_net_cents + credited.net_cents,
                                 credited_vat_cents=balance.credited_vat_cents + credited.vat_cents)
        assert balance.credited_net_cents <= net and balance.credited_vat_cents <= vat
    if balance.credited_net_cents == net:
        assert balance.credited_vat_cents == vat  # crediting it all gives every VAT cent back, no more


def test_a_credit_by_lines_takes_whole_lines_once() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    balance = InvoiceBalance(net_cents=7000, vat_cents=1400, vat_rate_bp=2000, credited_line_ids=frozenset({a}))
    assert credit_for(balance, net_cents=None, line_ids=[b], line_amounts={a: 3000, b: 4000}).net_cents == 4000
    with pytest.raises(Conflict):
        credit_for(balance, net_cents=None, line_ids=[a], line_amounts={a: 3000, b: 4000})
    with pytest.raises(Unprocessable):
        credit_for(balance, net_cents=None, line_ids=[uuid.uuid4()], line_amounts={a: 3000})
    with pytest.raises(Unprocessable):
        credit_for(balance, net_cents=None, line_ids=[b, b], line_amounts={b: 4000})
    with pytest.raises(Unprocessable):
        credit_for(balance, net_cents=10, line_ids=[b], line_amounts={b: 4000})
    with pytest.raises(Unprocessable):
        credit_for(balance, net_cents=None, line_ids=[], line_amounts={})


@pytest.mark.parametrize(("cents", "text"), [(0, "0,00"), (5, "0,05"), (123456, "1 234,56"), (-100, "-1,00"),
                                             (100_000_000, "1 000 000,00")])
def test_amounts_read_the_french_way(cents: int, text: str) -> None:
    assert euros(cents) == text


def test_vat_rates_read_as_percent() -> None:
    assert (rate_percent(2000), rate_percent(550), rate_percent(0)) == ("20,00 %", "5,50 %", "0,00 %")
