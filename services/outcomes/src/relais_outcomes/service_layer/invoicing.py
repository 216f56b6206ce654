"""Handlers of invoicing: finalise a month into a numbered invoice, read it, correct it with credit notes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import asyncpg

from relais_outcomes.adapters import invoices_repo, tariffs_repo
from relais_outcomes.adapters.projections import partner_known
from relais_outcomes.domain.billing import BillingLine
from relais_outcomes.domain.calendar import billing_date, last_day_of
from relais_outcomes.domain.invoices import (
    CREDIT_NOTE_SERIES,
    INVOICE_SERIES,
    CreditNote,
    Invoice,
    check_may_finalize,
    credit_for,
    due_date_for,
)
from relais_outcomes.domain.statements import Statement, build_statement, statement_of_subtotal
from relais_outcomes.domain.tariffs import tariff_in_force
from relais_platform.auth import Principal, Role
from relais_platform.errors import Conflict, NotFound


@dataclass(frozen=True, slots=True)
class InvoiceView:
    """An invoice with its frozen lines and the credit notes that correct it."""

    invoice: Invoice
    lines: list[BillingLine]  # all of them, or the first ones (line_count says how many there are)
    credit_notes: list[CreditNote]
    line_count: int


@dataclass(frozen=True, slots=True)
class FinalizeTerms:
    """The service settings finalisation applies."""

    grace_days: int
    payment_terms_days: int


def check_partner_scope(principal: Principal, partner_id: str) -> None:
    """A partner sees only its own billing: anything else is 404."""
    if principal.role == Role.PARTNER and principal.partner_id != partner_id:
        raise NotFound(f"partner {partner_id} not found", field="partner_id")


async def statement_of(*, conn: asyncpg.Connection, partner_id: str, period: str) -> Statement:
    """The draft of a month: its uninvoiced lines and the late lines of invoiced months, totalled."""
    lines = await invoices_repo.draft_lines(conn, partner_id=partner_id, period=period)
    versions = (await tariffs_repo.tariffs_of(conn, partner_ids=[partner_id]))[partner_id]
    return build_statement(partner_id=partner_id, period=period, lines=lines,
                           tariff_at_month_end=tariff_in_force(versions, last_day_of(period)))


async def finalize(*, conn: asyncpg.Connection, principal: Principal, partner_id: str, period: str, force: bool,
                   now: datetime, terms: FinalizeTerms, line_limit: int | None = None) -> InvoiceView:
    """Freeze a month's statement into an invoice with the next gapless number of the issue year; the view
    returned holds its first `line_limit` lines."""
    if not await partner_known(conn, partner_id=partner_id):
        raise NotFound(f"partner {partner_id} not found", field="partner_id")
    forced = check_may_finalize(period, now=now, grace_days=terms.grace_days, force=force,
                                is_admin=principal.role == Role.ADMIN)
    await invoices_repo.lock_statement(conn, partner_id=partner_id, period=period)
    existing = await invoices_repo.invoice_of_period(conn, partner_id=partner_id, period=period)
    if existing is not None:
        raise Conflict(f"{period} is already finalised as {existing.number}", invoice_number=existing.number)
    count, subtotal = await invoices_repo.freeze_draft(conn, partner_id=partner_id, period=period)
    versions = (await tariffs_repo.tariffs_of(conn, partner_ids=[partner_id]))[partner_id]
    statement = statement_of_subtotal(partner_id=partner_id, period=period, subtotal_cents=subtotal,
                                      tariff_at_month_end=tariff_in_force(versions, last_day_of(period)))
    if count == 0 and statement.net_cents == 0:
        raise Conflict(f"nothing to invoice for {partner_id} in {period}", field="period")
    issue_date = billing_date(now)
    number = await invoices_repo.next_number(conn, series=INVOICE_SERIES, year=issue_date.year)
    await invoices_repo.save_invoice(conn, number=number, statement=statement, issue_date=issue_date,
                                     due_date=due_date_for(issue_date, terms.payment_terms_days),
                                     finalized_by=principal.sub, forced=forced)
    return await invoice_view(conn=conn, principal=principal, number=number, line_limit=line_limit)


async def visible_invoice(*, conn: asyncpg.Connection, principal: Principal, number: str) -> Invoice:
    """The invoice alone; 404 for an unknown number or another partner's invoice."""
    found = await invoices_repo.invoice(conn, number=number)
    if found is None or (principal.role == Role.PARTNER and principal.partner_id != found.partner_id):
        raise NotFound(f"invoice {number} not found", field="number")
    return found


async def invoice_view(*, conn: asyncpg.Connection, principal: Principal, number: str,
                       line_limit: int | None = None) -> InvoiceView:
    """An invoice, its lines (the first `line_limit` only, when given) and credit notes; 404 for an unknown
    number or another partner's invoice."""
    found = await visible_invoice(conn=conn, principal=principal, number=number)
    lines = await invoices_repo.invoice_lines(conn, number=number, limit=line_limit)
    count = len(lines) if line_limit is None or len(lines) < line_limit else \
        await invoices_repo.line_count(conn, number=number)
    return InvoiceView(invoice=found, lines=lines, credit_notes=await invoices_repo.credit_notes(
        conn, invoice_number=number), line_count=count)


async def add_credit_note(*, conn: asyncpg.Connection, principal: Principal, number: str, reason: str,
                          net_cents: int | None, line_ids: Sequence[uuid.UUID], now: datetime) -> CreditNote:
    """Correct an invoice with a numbered credit note that never takes more than is left on it."""
    balance = await invoices_repo.balance(conn, number=number, for_update=True)
    if balance is None or (principal.role == Role.PARTNER and principal.partner_id != balance.partner_id):
        raise NotFound(f"invoice {number} not found", field="number")
    amounts = await invoices_repo.line_amounts(conn, number=number, line_ids=line_ids) if line_ids else {}
    credited = credit_for(balance, net_cents=net_cents, line_ids=line_ids, line_amounts=amounts)
    issue_date = billing_date(now)
    credit_number = await invoices_repo.next_number(conn, series=CREDIT_NOTE_SERIES, year=issue_date.year)
    return await invoices_repo.save_credit_note(
        conn, number=credit_number, invoice_number=number, partner_id=balance.partner_id, issue_date=issue_date,
        reason=reason, line_ids=line_ids, credited=credited, created_by=principal.sub)


async def accounting_rows(*, conn: asyncpg.Connection, principal: Principal, partner_id: str,
                          period: str) -> list[asyncpg.Record]:
    """A partner's invoices and credit notes issued in a month, for the accounting system."""
    check_partner_scope(principal, partner_id)
    if not await partner_known(conn, partner_id=partner_id):
        raise NotFound(f"partner {partner_id} not found", field="partner_id")
    last = last_day_of(period)
    return await invoices_repo.documents_issued(conn, partner_id=partner_id, start=last.replace(day=1),
                                                end=date.fromordinal(last.toordinal() + 1))
