"""Handlers of payments and disputes: record remittances, reconcile, open and resolve disputes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import asyncpg

from relais_outcomes.adapters import invoices_repo, payments_repo
from relais_outcomes.adapters.projections import partner_known
from relais_outcomes.domain.reconciliation import Reconciliation, reconcile
from relais_outcomes.domain.remittances import IncomingRemittance
from relais_outcomes.service_layer.invoicing import add_credit_note, check_partner_scope, visible_invoice
from relais_platform.auth import Principal
from relais_platform.errors import Conflict, NotFound, Unprocessable


async def _known_partner(conn: asyncpg.Connection, principal: Principal, partner_id: str) -> None:
    check_partner_scope(principal, partner_id)
    if not await partner_known(conn, partner_id=partner_id):
        raise NotFound(f"partner {partner_id} not found", field="partner_id")


async def record_remittance(*, conn: asyncpg.Connection, principal: Principal, partner_id: str,
                            item: IncomingRemittance) -> uuid.UUID:
    """Record one payment; 409 when the partner already has a payment with that bank reference."""
    await _known_partner(conn, principal, partner_id)
    (added,) = await payments_repo.add_remittances(conn, partner_id=partner_id, items=[item], source="api",
                                                   created_by=principal.sub)
    if added is None:
        existing = await payments_repo.remittance_by_reference(conn, partner_id=partner_id,
                                                               bank_reference=item.bank_reference)
        raise Conflict("a payment with this bank reference is already recorded", field="bank_reference",
                       remittance_id=str(existing["remittance_id"]) if existing else None)
    return added


async def import_bank_statement(*, conn: asyncpg.Connection, principal: Principal, partner_id: str,
                                items: Sequence[IncomingRemittance]) -> tuple[int, int]:
    """Record a bank statement's credits; returns (imported, already known by bank reference)."""
    await _known_partner(conn, principal, partner_id)
    if len({i.bank_reference for i in items}) != len(items):
        raise Unprocessable("a bank reference appears twice in the file", field="reference")
    added = await payments_repo.add_remittances(conn, partner_id=partner_id, items=items, source="csv",
                                                created_by=principal.sub)
    imported = sum(1 for a in added if a is not None)
    return imported, len(items) - imported


async def reconciliation(*, conn: asyncpg.Connection, principal: Principal, partner_id: str) -> Reconciliation:
    """The partner's invoices matched with its payments (partner: own only)."""
    await _known_partner(conn, principal, partner_id)
    return reconcile(await payments_repo.invoices_due(conn, partner_id=partner_id),
                     await payments_repo.payments_of(conn, partner_id=partner_id))


async def open_dispute(*, conn: asyncpg.Connection, principal: Principal, number: str, line_id: uuid.UUID | None,
                       reason: str) -> asyncpg.Record:
    """Contest an invoice or one of its lines (the partner of the invoice, finance or admin)."""
    invoice = await visible_invoice(conn=conn, principal=principal, number=number)
    lines = [] if line_id is None else await invoices_repo.invoice_lines(conn, number=number)
    if line_id is not None and line_id not in {x.line_id for x in lines}:
        raise Unprocessable(f"line {line_id} is not on invoice {number}", field="line_id")
    return await payments_repo.add_dispute(conn, invoice_number=number, partner_id=invoice.partner_id,
                                           line_id=line_id, reason=reason, opened_by=principal.sub)


async def settle_dispute(*, conn: asyncpg.Connection, principal: Principal, dispute_id: uuid.UUID, accept: bool,
                         reason: str, net_cents: int | None, now: datetime) -> asyncpg.Record:
    """Resolve an open dispute: accepted with a credit note (the disputed line by default), or rejected."""
    found = await payments_repo.dispute(conn, dispute_id=dispute_id, for_update=True)
    if found is None:
        raise NotFound(f"dispute {dispute_id} not found", field="dispute_id")
    if found["status"] != "open":
        raise Conflict(f"the dispute is already {found['status']}", status=found["status"])
    credit_number = None
    if accept:
        if net_cents is None and found["line_id"] is None:
            raise Unprocessable("net_cents is needed to credit a dispute of the whole invoice", field="net_cents")
        lines = [found["line_id"]] if net_cents is None else []
        note = await add_credit_note(conn=conn, principal=principal, number=found["invoice_number"],
                                     reason=f"dispute {dispute_id}: {reason}", net_cents=net_cents, line_ids=lines,
                                     now=now)
        credit_number = note.number
    elif net_cents is not None:
        raise Unprocessable("net_cents only goes with decision credit", field="net_cents")
    return await payments_repo.resolve_dispute(conn, dispute_id=dispute_id, status="credited" if accept else "rejected",
                                               reason=reason, credit_note_number=credit_number,
                                               resolved_by=principal.sub, at=now)


async def disputes_of_invoice(*, conn: asyncpg.Connection, principal: Principal, number: str) -> list[asyncpg.Record]:
    """The disputes of an invoice the principal may see."""
    await visible_invoice(conn=conn, principal=principal, number=number)
    return await payments_repo.disputes_of(conn, invoice_number=number)


