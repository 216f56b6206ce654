"""Statement totals: sum of lines, monthly minimum/cap adjustment, VAT rounded half-up in integers."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relais_outcomes.domain.billing import BillingLine
from relais_outcomes.domain.statements import AdjustmentKind, build_statement, monthly_adjustment, vat_half_up
from relais_outcomes.domain.tariffs import Tariff
from relais_platform.contracts import BillingKind


def tariff(vat_rate_bp: int = 2000, minimum: int | None = None, cap: int | None = None) -> Tariff:
    return Tariff(tariff_version_id=uuid.uuid4(), partner_id="acme", effective_from=date(2026, 1, 1), fees={},
                  vat_rate_bp=vat_rate_bp, monthly_minimum_cents=minimum, monthly_cap_cents=cap)


def line(amount: int, kind: BillingKind = BillingKind.CASE_CLOSED, priced: bool = True) -> BillingLine:
    return BillingLine(line_id=uuid.uuid4(), partner_id="acme", case_id=uuid.uuid4(), campaign_id=uuid.uuid4(),
                       kind=kind, amount_cents=amount, tariff_version_id=uuid.uuid4() if priced else None,
                       period="2026-03", occurred_at=datetime(2026, 3, 3, tzinfo=UTC),
                       evidence_event_ids=(uuid.uuid4(),))


@pytest.mark.parametrize(("net", "bp", "vat"), [
    (7200, 2000, 1440),   # exact
    (5, 1000, 1),         # 0.5 cent -> 1 (half-up)
    (15, 1000, 2),        # 1.5 -> 2
    (25, 1000, 3),        # 2.5 -> 3 (half-up, not banker's 2)
    (4, 1000, 0),         # 0.4 -> 0
    (6, 1000, 1),         # 0.6 -> 1
    (1999, 550, 110),     # 109.945 -> 110
    (1990, 550, 109),     # 109.45 -> 109
    (1, 5000, 1),         # 0.5 -> 1
    (12345, 0, 0),        # VAT-exempt partner
    (12345, 10000, 12345),
    (0, 2000, 0),
    (-5, 1000, -1),       # a credit rounds half away from zero too
    (-4, 1000, 0),
])
def test_vat_rounds_half_up_to_the_cent(net: int, bp: int, vat: int) -> None:
    assert vat_half_up(net, bp) == vat


@pytest.mark.parametrize("bp", [-1, 10001])
def test_vat_rate_outside_0_to_100_percent_is_refused(bp: int) -> None:
    with pytest.raises(ValueError):
        vat_half_up(100, bp)


@given(net=st.integers(-10**12, 10**12), bp=st.integers(0, 10_000))
def test_vat_matches_decimal_half_up(net: int, bp: int) -> None:
    expected = (Decimal(net) * bp / 10_000).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    assert vat_half_up(net, bp) == int(expected)


amounts = st.lists(st.integers(0, 10**7), max_size=40)


@given(amounts=amounts, bp=st.integers(0, 10_000))
def test_statement_total_is_sum_of_lines_plus_vat_recomputed_naively(amounts: list[int], bp: int) -> None:
    s = build_statement(partner_id="acme", period="2026-03", lines=[line(a) for a in amounts],
                        tariff_at_month_end=tariff(bp))
    subtotal = 0
    for a in amounts:
        subtotal += a
    naive_vat = int((Decimal(subtotal) * Decimal(bp) / Decimal(10_000)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert (s.subtotal_cents, s.adjustment_cents, s.vat_cents) == (subtotal, 0, naive_vat)
    assert s.total_cents == subtotal + naive_vat


@given(amounts=amounts, minimum=st.none() | st.integers(0, 10**8), span=st.none() | st.integers(0, 10**8),
       bp=st.integers(0, 10_000))
def test_the_net_respects_the_monthly_minimum_and_cap(amounts: list[int], minimum: int | None, span: int | None,
                                                       bp: int) -> None:
    cap = None if span is None else (minimum or 0) + span
    s = build_statement(partner_id="acme", period="2026-03", lines=[line(a) for a in amounts],
                        tariff_at_month_end=tariff(bp, minimum, cap))
    assert s.net_cents == s.subtotal_cents + s.adjustment_cents
    if minimum is not None:
        assert s.net_cents >= minimum
    if cap is not None:
        assert s.net_cents <= cap
    if (minimum is None or s.subtotal_cents >= minimum) and (cap is None or s.subtotal_cents <= cap):
        assert s.adjustment is None
    assert s.total_cents == s.net_cents + vat_half_up(s.net_cents, bp)


def test_a_month_under_the_minimum_gets_a_positive_adjustment_line() -> None:
    s = build_statement(partner_id="acme", period="2026-03", lines=[line(3000), line(2000)],
                        tariff_at_month_end=tariff(2000, minimum=10000))
    assert s.adjustment is not None and s.adjustment.kind == AdjustmentKind.MONTHLY_MINIMUM
    assert (s.subtotal_cents, s.adjustment_cents, s.net_cents, s.vat_cents, s.total_cents) == (
        5000, 5000, 10000, 2000, 12000)


def test_a_month_over_the_cap_gets_a_negative_adjustment_line() -> None:
    s = build_statement(partner_id="acme", period="2026-03", lines=[line(9000), line(9000)],
                        tariff_at_month_end=tariff(2000, minimum=1000, cap=15000))
    assert s.adjustment is not None and s.adjustment.kind == AdjustmentKind.MONTHLY_CAP
    assert (s.subtotal_cents, s.adjustment_cents, s.net_cents, s.total_cents) == (18000, -3000, 15000, 18000)


def test_no_tariff_at_month_end_means_no_bound_and_no_vat() -> None:
    assert monthly_adjustment(0, None) is None
    s = build_statement(partner_id="acme", period="2026-03", lines=[line(0, priced=False)], tariff_at_month_end=None)
    assert (s.vat_rate_bp, s.vat_cents, s.total_cents, s.unpriced_count) == (0, 0, 0, 1)


def test_counts_by_kind() -> None:
    s = build_statement(partner_id="acme", period="2026-03",
                        lines=[line(1, BillingKind.VISIT), line(1, BillingKind.VISIT), line(1)],
                        tariff_at_month_end=None)
    assert s.counts_by_kind == {"case_closed": 1, "successful_contact": 0, "visit": 2, "payment_plan": 0,
                                "referral_taken_up": 0}
