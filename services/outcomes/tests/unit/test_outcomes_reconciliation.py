"""Reconciliation rules and bank statement parsing."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relais_outcomes.domain.reconciliation import InvoiceDue, MatchRule, Payment, reconcile
from relais_outcomes.domain.remittances import parse_amount_cents, parse_bank_statement
from relais_platform.errors import Unprocessable

D = date(2026, 4, 10)


def inv(n: int, billed: int, *, credited: int = 0, due: date = date(2026, 5, 10), issued: date = D) -> InvoiceDue:
    return InvoiceDue(f"REL-2026-{n:06d}", "2026-03", issued, due, billed, credited)


def pay(amount: int, *, ref: str = "VIR", on: date = D, names: tuple[str, ...] = ()) -> Payment:
    return Payment(uuid.uuid4(), amount, on, ref, names)


def test_explicit_reference_wins_over_exact_amount_and_age() -> None:
    result = reconcile([inv(1, 1000), inv(2, 500)], [pay(500, names=("REL-2026-000002",))])
    assert [(s.invoice.number, s.paid_cents) for s in result.invoices] == [("REL-2026-000001", 0),
                                                                          ("REL-2026-000002", 500)]
    assert result.invoices[1].matches[0].rule == MatchRule.EXPLICIT_REFERENCE


def test_an_invoice_number_in_the_bank_reference_counts_as_explicit() -> None:
    result = reconcile([inv(1, 1000), inv(2, 500)], [pay(300, ref="VIR SEPA REL-2026-000002 ACME")])
    assert result.invoices[1].paid_cents == 300


def test_exact_amount_before_oldest_first() -> None:
    result = reconcile([inv(1, 1000, due=date(2026, 5, 1)), inv(2, 700)], [pay(700)])
    assert [s.paid_cents for s in result.invoices] == [0, 700]
    assert result.invoices[1].matches[0].rule == MatchRule.EXACT_AMOUNT


def test_oldest_first_then_overpayment() -> None:
    result = reconcile([inv(1, 1000, due=date(2026, 5, 1)), inv(2, 700)], [pay(2000)])
    assert [s.paid_cents for s in result.invoices] == [1000, 700]
    assert [o.amount_cents for o in result.overpayments] == [300] and not result.unmatched


def test_a_payment_before_any_invoice_is_unmatched() -> None:
    result = reconcile([inv(1, 1000, issued=date(2026, 5, 1))], [pay(1000, on=date(2026, 4, 1))])
    assert result.invoices[0].paid_cents == 0 and [u.amount_cents for u in result.unmatched] == [1000]


def test_credit_notes_reduce_what_is_outstanding_and_overdue_days_count_from_the_due_date() -> None:
    result = reconcile([inv(1, 1200, credited=200)], [pay(400)])
    state = result.invoices[0]
    assert state.outstanding_cents == 600
    assert state.days_overdue(date(2026, 5, 10)) == 0 and state.days_overdue(date(2026, 5, 25)) == 15


@given(st.lists(st.integers(1, 50_000), min_size=1, max_size=6), st.lists(st.integers(1, 80_000), max_size=8))
def test_money_is_neither_created_nor_lost(billed: list[int], paid: list[int]) -> None:
    invoices = [inv(n, amount) for n, amount in enumerate(billed, start=1)]
    result = reconcile(invoices, [pay(p) for p in paid])
    placed = sum(s.paid_cents for s in result.invoices)
    left = sum(x.amount_cents for x in [*result.unmatched, *result.overpayments])
    assert placed + left == sum(paid)
    assert all(0 <= s.outstanding_cents <= s.invoice.billed_cents for s in result.invoices)
    assert all(m.explanation for s in result.invoices for m in s.matches)


@pytest.mark.parametrize(("text", "cents"), [("1 234,56", 123456), ("1234.56", 123456), ("1.234,56 €", 123456),
                                             ("12", 1200), ("0,5", 50), ("1\u202f000,00", 100000)])
def test_amounts_are_parsed_without_floats(text: str, cents: int) -> None:
    assert parse_amount_cents(text) == cents


@pytest.mark.parametrize("text", ["", "abc", "12,345", "1,234.56", "-5", "1e3"])
def test_bad_amounts_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="amount"):
        parse_amount_cents(text)


def test_a_bank_statement_with_semicolons_and_french_dates() -> None:
    rows = parse_bank_statement("Date;Amount;Reference;Invoices\n30/04/2026;\"1 000,00\";VIR 1;REL-2026-000001 "
                                "REL-2026-000002\n")
    assert rows[0].amount_cents == 100000 and rows[0].received_on == date(2026, 4, 30)
    assert rows[0].invoice_numbers == ("REL-2026-000001", "REL-2026-000002")
    with pytest.raises(Unprocessable) as exc:
        parse_bank_statement("date,amount,reference\n2026-04-30,10,\n")
    assert exc.value.field == "line 2.reference"


def test_a_bank_statement_with_a_nul_character_is_refused() -> None:
    with pytest.raises(Unprocessable) as exc:
        parse_bank_statement("date,amount,reference\n2026-04-30,10,VIR\x001\n")
    assert exc.value.field == "body"
