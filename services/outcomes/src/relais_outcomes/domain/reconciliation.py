"""Matching a partner's payments to its invoices, every match explained.

Payments are taken in the order they were received (same day: the order they were recorded). For each one:
1. explicit reference: the invoices it names (in the remittance, or an invoice number written in the
   bank reference) are paid first, in the order named;
2. exact amount: else, an open invoice whose outstanding amount equals what is left of the payment
   (the oldest such invoice);
3. oldest first: what is still left pays the open invoices by due date, then number.
Steps 2 and 3 only consider invoices issued on or before the payment date. What a payment cannot place
is an over-payment when part of it matched, an unmatched payment when none did.
Outstanding = billed (TTC) - credited (credit notes TTC) - paid; days overdue count from the due date.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

INVOICE_NUMBER_IN_TEXT = re.compile(r"REL-\d{4}-\d{6}")


class MatchRule(StrEnum):
    EXPLICIT_REFERENCE = "explicit_reference"
    EXACT_AMOUNT = "exact_amount"
    OLDEST_FIRST = "oldest_first"


@dataclass(frozen=True, slots=True)
class InvoiceDue:
    """What reconciliation needs of an invoice."""

    number: str
    period: str
    issue_date: date
    due_date: date
    billed_cents: int
    credited_cents: int
    open_disputes: int = 0


@dataclass(frozen=True, slots=True)
class Payment:
    """A remittance received from the partner."""

    remittance_id: uuid.UUID
    amount_cents: int
    received_on: date
    bank_reference: str
    invoice_numbers: tuple[str, ...] = ()

    def named_invoices(self) -> list[str]:
        """The invoices the payment names, explicitly or in its bank reference, without repeats."""
        named = [*self.invoice_numbers, *INVOICE_NUMBER_IN_TEXT.findall(self.bank_reference)]
        return list(dict.fromkeys(named))


@dataclass(frozen=True, slots=True)
class Match:
    """Part of a payment applied to an invoice, and why."""

    remittance_id: uuid.UUID
    invoice_number: str
    amount_cents: int
    rule: MatchRule
    explanation: str


@dataclass(slots=True)
class InvoiceState:
    """An invoice after matching."""

    invoice: InvoiceDue
    paid_cents: int = 0
    matches: list[Match] = field(default_factory=list)

    @property
    def outstanding_cents(self) -> int:
        """Billed minus credited minus paid (never below 0: matching stops at 0)."""
        return self.invoice.billed_cents - self.invoice.credited_cents - self.paid_cents

    def days_overdue(self, as_of: date) -> int:
        """Days past the due date while something is outstanding."""
        if self.outstanding_cents <= 0 or as_of <= self.invoice.due_date:
            return 0
        return (as_of - self.invoice.due_date).days


@dataclass(frozen=True, slots=True)
class Leftover:
    """Money of a payment no invoice took: unmatched (none of it matched) or an over-payment."""

    remittance_id: uuid.UUID
    amount_cents: int
    received_on: date
    bank_reference: str
    explanation: str


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """Every invoice with its matches, and the money not placed."""

    invoices: list[InvoiceState]
    unmatched: list[Leftover]
    overpayments: list[Leftover]


def reconcile(invoices: Sequence[InvoiceDue], payments: Sequence[Payment]) -> Reconciliation:
    """Match payments to invoices by explicit reference, then exact amount, then oldest invoice first."""
    states = {i.number: InvoiceState(i) for i in sorted(invoices, key=lambda i: (i.due_date, i.number))}
    unmatched: list[Leftover] = []
    overpayments: list[Leftover] = []
    for payment in sorted(payments, key=lambda p: p.received_on):  # stable: same day keeps recording order
        left, notes = _place(payment, states)
        if left > 0:
            placed = payment.amount_cents - left
            target = overpayments if placed else unmatched
            why = "; ".join([*notes, "no open invoice left to pay" if placed else "no open invoice to pay"])
            target.append(Leftover(payment.remittance_id, left, payment.received_on, payment.bank_reference, why))
    return Reconciliation(invoices=list(states.values()), unmatched=unmatched, overpayments=overpayments)


def _place(payment: Payment, states: dict[str, InvoiceState]) -> tuple[int, list[str]]:
    left, notes = payment.amount_cents, []
    for number in payment.named_invoices():
        state = states.get(number)
        if state is None:
            notes.append(f"names {number}, which is not an invoice of this partner")
        elif state.outstanding_cents <= 0:
            notes.append(f"names {number}, which has nothing outstanding")
        elif left > 0:
            left -= _apply(payment, state, left, MatchRule.EXPLICIT_REFERENCE, f"the payment names {number}")
    eligible = [s for s in states.values() if s.invoice.issue_date <= payment.received_on]
    exact = next((s for s in eligible if left > 0 and s.outstanding_cents == left), None)
    if exact is not None:
        left -= _apply(payment, exact, left, MatchRule.EXACT_AMOUNT,
                       f"{left} cents is exactly what {exact.invoice.number} has outstanding")
    for state in eligible:
        if left <= 0:
            break
        if state.outstanding_cents > 0:
            left -= _apply(payment, state, left, MatchRule.OLDEST_FIRST,
                           f"oldest open invoice (due {state.invoice.due_date.isoformat()})")
    return left, notes


def _apply(payment: Payment, state: InvoiceState, available: int, rule: MatchRule, why: str) -> int:
    amount = min(available, state.outstanding_cents)
    state.paid_cents += amount
    state.matches.append(Match(payment.remittance_id, state.invoice.number, amount, rule,
                               f"{amount} cents of payment {payment.bank_reference} ({payment.received_on}): {why}"))
    return amount
