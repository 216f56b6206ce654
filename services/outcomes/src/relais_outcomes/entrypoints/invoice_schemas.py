"""HTTP bodies of invoicing: finalisation, invoices, credit notes."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field

from relais_outcomes.domain.invoices import CreditNote
from relais_outcomes.entrypoints.schemas import Body, StatementLineOut, StrictCents, line_out
from relais_outcomes.service_layer.invoicing import InvoiceView

# A national campaign's invoice may hold a million lines: JSON shows the first ones, the CSV has them all.
MAX_INLINE_LINES = 5_000


class FinalizeIn(Body):
    """Options of a finalisation (the body may be omitted)."""

    force: bool = Field(default=False, strict=True, description="Admin only: finalise before the grace period ends")


class CreditNoteIn(Body):
    """A correction of an invoice: an amount excluding VAT, or whole invoice lines, and why."""

    reason: str = Field(min_length=1, max_length=500)
    net_cents: StrictCents | None = Field(default=None, description="Amount excluding VAT to credit")
    line_ids: list[uuid.UUID] = Field(default_factory=list, max_length=10_000,
                                      description="Invoice lines to cancel in full (instead of net_cents)")


class CreditNoteOut(BaseModel):
    """A credit note: what it takes off its invoice (net, VAT, total), in cents."""

    number: str
    invoice_number: str
    partner_id: str
    issue_date: date
    reason: str
    line_ids: list[uuid.UUID]
    net_cents: int
    vat_cents: int
    total_cents: int
    created_by: str
    created_at: datetime | None


class InvoiceOut(BaseModel):
    """A finalised statement under its gapless number; it never changes, credit notes correct it."""

    number: str
    partner_id: str
    period: str
    issue_date: date
    due_date: date
    currency: str = "EUR"
    tariff_version_id: uuid.UUID | None
    line_count: int
    lines: list[StatementLineOut] = Field(description=f"The first {MAX_INLINE_LINES} lines; all in the .csv")
    lines_truncated: bool
    subtotal_cents: int
    adjustment_kind: str | None
    adjustment_cents: int
    net_cents: int
    vat_rate_bp: int
    vat_cents: int
    total_cents: int
    credit_notes: list[CreditNoteOut]
    credited_cents: int = Field(description="Total (VAT included) of the credit notes")
    finalized_by: str
    forced: bool


def credit_note_out(c: CreditNote) -> CreditNoteOut:
    """The JSON of a credit note."""
    return CreditNoteOut(number=c.number, invoice_number=c.invoice_number, partner_id=c.partner_id,
                         issue_date=c.issue_date, reason=c.reason, line_ids=list(c.line_ids), net_cents=c.net_cents,
                         vat_cents=c.vat_cents, total_cents=c.total_cents, created_by=c.created_by,
                         created_at=c.created_at)


def invoice_out(view: InvoiceView) -> InvoiceOut:
    """The JSON of an invoice with its lines and credit notes."""
    i = view.invoice
    return InvoiceOut(
        number=i.number, partner_id=i.partner_id, period=i.period, issue_date=i.issue_date, due_date=i.due_date,
        tariff_version_id=i.tariff_version_id,
        lines=[line_out(x, statement_period=i.period) for x in view.lines[:MAX_INLINE_LINES]],
        line_count=view.line_count, lines_truncated=view.line_count > MAX_INLINE_LINES,
        subtotal_cents=i.subtotal_cents, adjustment_kind=i.adjustment_kind, adjustment_cents=i.adjustment_cents,
        net_cents=i.net_cents, vat_rate_bp=i.vat_rate_bp, vat_cents=i.vat_cents, total_cents=i.total_cents,
        credit_notes=[credit_note_out(c) for c in view.credit_notes],
        credited_cents=sum(c.total_cents for c in view.credit_notes), finalized_by=i.finalized_by, forced=i.forced,
    )
