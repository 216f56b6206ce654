"""Invoices and credit notes: numbering, when a month may be finalised, and how much a credit note may take.

Rules:
- Numbers: `REL-YYYY-NNNNNN` for invoices and `AVO-YYYY-NNNNNN` for credit notes, one gapless series per
  year of the issue date (Europe/Paris).
- A month may be finalised once its grace period is over: `grace_days` after the first day of the next
  month (Paris midnight). Before that only an admin may force it; finance gets 409.
- Late lines: a line whose month is already invoiced lands on the next statement that is finalised
  (it is shown on every later draft, flagged `carried_forward`).
- A credit note never takes more than what is left on its invoice: net and VAT are each bounded by
  what earlier credit notes left; its VAT is the invoice's rate half-up, capped by the VAT left, and the
  note that takes the last cent of net takes the last cent of VAT too. A line can be credited once.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from relais_outcomes.domain.calendar import BILLING_ZONE, last_day_of
from relais_outcomes.domain.statements import vat_half_up
from relais_platform.errors import Conflict, Unprocessable

INVOICE_SERIES = "REL"
CREDIT_NOTE_SERIES = "AVO"
NUMBER_PATTERN = r"^(REL|AVO)-\d{4}-\d{6}$"
INVOICE_NUMBER_PATTERN = r"^REL-\d{4}-\d{6}$"


def document_number(series: str, year: int, seq: int) -> str:
    """`REL-2026-000123`: the series, the year and a six-digit sequence number."""
    if not 1 <= seq <= 999_999:
        raise ValueError("sequence number out of range")
    return f"{series}-{year:04d}-{seq:06d}"


def grace_ends_at(period: str, grace_days: int) -> datetime:
    """The instant after which a month's statement may be finalised without forcing."""
    first_of_next = last_day_of(period) + timedelta(days=1)
    return datetime.combine(first_of_next + timedelta(days=grace_days), time(0), BILLING_ZONE)


def check_may_finalize(period: str, *, now: datetime, grace_days: int, force: bool, is_admin: bool) -> bool:
    """True when the finalisation is forced early; 409 when it is early and not forced by an admin."""
    ends = grace_ends_at(period, grace_days)
    if now >= ends:
        return False
    if force and is_admin:
        return True
    raise Conflict(f"the grace period of {period} ends at {ends.isoformat()}: late events may still land; "
                   "only an admin may force an earlier finalisation (force: true)", grace_ends_at=ends.isoformat())


@dataclass(frozen=True, slots=True)
class Credited:
    """What a credit note takes from its invoice."""

    net_cents: int
    vat_cents: int

    @property
    def total_cents(self) -> int:
        """Net plus VAT."""
        return self.net_cents + self.vat_cents


@dataclass(frozen=True, slots=True)
class InvoiceBalance:
    """An invoice's net and VAT, and what its credit notes already took."""

    net_cents: int
    vat_cents: int
    vat_rate_bp: int
    credited_net_cents: int = 0
    credited_vat_cents: int = 0
    credited_line_ids: frozenset[uuid.UUID] = frozenset()
    partner_id: str = ""


def credit_for(balance: InvoiceBalance, *, net_cents: int | None, line_ids: Sequence[uuid.UUID],
               line_amounts: Mapping[uuid.UUID, int]) -> Credited:
    """The net and VAT a new credit note takes: an amount, or the sum of whole invoice lines (422 on a
    foreign or already credited line; 409 when it would take more than is left)."""
    if (net_cents is None) == (not line_ids):
        raise Unprocessable("give either net_cents or line_ids", field="net_cents")
    if line_ids:
        for line_id in line_ids:
            if line_id not in line_amounts:
                raise Unprocessable(f"line {line_id} is not on this invoice", field="line_ids")
            if line_id in balance.credited_line_ids:
                raise Conflict(f"line {line_id} was already credited", field="line_ids")
        if len(set(line_ids)) != len(line_ids):
            raise Unprocessable("a line is listed twice", field="line_ids")
        net_cents = sum(line_amounts[i] for i in line_ids)
    assert net_cents is not None
    left_net = balance.net_cents - balance.credited_net_cents
    left_vat = balance.vat_cents - balance.credited_vat_cents
    if net_cents <= 0:
        raise Unprocessable("a credit note must take more than 0 cents", field="net_cents")
    if net_cents > left_net:
        raise Conflict(f"the credit note ({net_cents} cents) exceeds what is left on the invoice ({left_net} cents)",
                       field="net_cents", left_net_cents=left_net)
    vat = left_vat if net_cents == left_net else min(vat_half_up(net_cents, balance.vat_rate_bp), left_vat)
    return Credited(net_cents=net_cents, vat_cents=vat)


def due_date_for(issue_date: date, payment_terms_days: int) -> date:
    """When an invoice falls due."""
    return issue_date + timedelta(days=payment_terms_days)


@dataclass(frozen=True, slots=True)
class Invoice:
    """A finalised monthly statement under its number. Never changes once written."""

    number: str
    partner_id: str
    period: str
    issue_date: date
    due_date: date
    tariff_version_id: uuid.UUID | None
    subtotal_cents: int
    adjustment_kind: str | None
    adjustment_cents: int
    net_cents: int
    vat_rate_bp: int
    vat_cents: int
    total_cents: int
    finalized_by: str
    forced: bool
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CreditNote:
    """A correction of an invoice, with its own number; amounts are what it takes off the invoice."""

    number: str
    invoice_number: str
    partner_id: str
    issue_date: date
    reason: str
    line_ids: tuple[uuid.UUID, ...]
    net_cents: int
    vat_cents: int
    total_cents: int
    created_by: str
    created_at: datetime | None = None
