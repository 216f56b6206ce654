"""Repository of remittances and disputes, and the invoice facts reconciliation reads."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import asyncpg

from relais_outcomes.domain.reconciliation import InvoiceDue, Payment
from relais_outcomes.domain.remittances import IncomingRemittance

_REMITTANCE = "remittance_id, amount_cents, received_on, bank_reference, invoice_numbers"
DISPUTE_COLUMNS = ("dispute_id, invoice_number, partner_id, line_id, reason, status, resolution_reason, "
                   "credit_note_number, opened_by, opened_at, resolved_by, resolved_at")


async def add_remittances(conn: asyncpg.Connection, *, partner_id: str, items: Sequence[IncomingRemittance],
                          source: str, created_by: str) -> list[uuid.UUID | None]:
    """Store payments; a bank reference the partner already has is skipped (None in its place)."""
    ids = [uuid.uuid4() for _ in items]
    rows = await conn.fetch(
        "INSERT INTO remittances (remittance_id, partner_id, amount_cents, received_on, bank_reference, "
        "invoice_numbers, source, created_by) SELECT i, $2, a, d, r, coalesce(string_to_array(n, ' '), '{}'), $3, $4 "
        "FROM unnest($1::uuid[], $5::bigint[], $6::date[], $7::text[], $8::text[]) AS x(i, a, d, r, n) "
        "ON CONFLICT (partner_id, bank_reference) DO NOTHING RETURNING remittance_id",
        ids, partner_id, source, created_by, [i.amount_cents for i in items], [i.received_on for i in items],
        [i.bank_reference for i in items], [" ".join(i.invoice_numbers) or None for i in items],
    )
    added = {r["remittance_id"] for r in rows}
    return [i if i in added else None for i in ids]


async def remittance_by_reference(conn: asyncpg.Connection, *, partner_id: str,
                                  bank_reference: str) -> asyncpg.Record | None:
    """A partner's payment with that bank reference."""
    return await conn.fetchrow(f"SELECT {_REMITTANCE} FROM remittances WHERE partner_id = $1 "
                               "AND bank_reference = $2", partner_id, bank_reference)


async def payments_of(conn: asyncpg.Connection, *, partner_id: str) -> list[Payment]:
    """Every payment of a partner, in the order received then recorded."""
    rows = await conn.fetch(f"SELECT {_REMITTANCE} FROM remittances WHERE partner_id = $1 "
                            "ORDER BY received_on, created_at, remittance_id", partner_id)
    return [Payment(uuid.UUID(str(r["remittance_id"])), r["amount_cents"], r["received_on"], r["bank_reference"],
                    tuple(r["invoice_numbers"] or ())) for r in rows]


async def invoices_due(conn: asyncpg.Connection, *, partner_id: str) -> list[InvoiceDue]:
    """Every invoice of a partner with what credit notes took and how many disputes are open."""
    rows = await conn.fetch(
        "SELECT i.number, i.period, i.issue_date, i.due_date, i.total_cents, "
        "(SELECT coalesce(sum(total_cents), 0) FROM credit_notes c WHERE c.invoice_number = i.number) AS credited, "
        "(SELECT count(*) FROM disputes d WHERE d.invoice_number = i.number AND d.status = 'open') AS disputes "
        "FROM invoices i WHERE i.partner_id = $1", partner_id)
    return [InvoiceDue(r["number"], r["period"], r["issue_date"], r["due_date"], r["total_cents"],
                       int(r["credited"]), r["disputes"]) for r in rows]


async def add_dispute(conn: asyncpg.Connection, *, invoice_number: str, partner_id: str, line_id: uuid.UUID | None,
                      reason: str, opened_by: str) -> asyncpg.Record:
    """Open a dispute."""
    return await conn.fetchrow(
        "INSERT INTO disputes (dispute_id, invoice_number, partner_id, line_id, reason, opened_by) "
        f"VALUES ($1, $2, $3, $4, $5, $6) RETURNING {DISPUTE_COLUMNS}",
        uuid.uuid4(), invoice_number, partner_id, line_id, reason, opened_by)


async def dispute(conn: asyncpg.Connection, *, dispute_id: uuid.UUID,
                  for_update: bool = False) -> asyncpg.Record | None:
    """A dispute; `for_update` serialises its resolution."""
    return await conn.fetchrow(f"SELECT {DISPUTE_COLUMNS} FROM disputes WHERE dispute_id = $1"
                               + (" FOR UPDATE" if for_update else ""), dispute_id)


async def disputes_of(conn: asyncpg.Connection, *, invoice_number: str) -> list[asyncpg.Record]:
    """The disputes of an invoice, oldest first."""
    return await conn.fetch(f"SELECT {DISPUTE_COLUMNS} FROM disputes WHERE invoice_number = $1 ORDER BY opened_at",
                            invoice_number)


async def resolve_dispute(conn: asyncpg.Connection, *, dispute_id: uuid.UUID, status: str, reason: str,
                          credit_note_number: str | None, resolved_by: str, at: datetime) -> asyncpg.Record:
    """Close a dispute with a credit note or a rejection."""
    return await conn.fetchrow(
        "UPDATE disputes SET status = $2, resolution_reason = $3, credit_note_number = $4, resolved_by = $5, "
        f"resolved_at = $6 WHERE dispute_id = $1 RETURNING {DISPUTE_COLUMNS}",
        dispute_id, status, reason, credit_note_number, resolved_by, at)
