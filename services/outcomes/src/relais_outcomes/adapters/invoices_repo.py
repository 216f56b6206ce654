"""Repository of invoices and credit notes: gapless numbers, frozen statements, credit notes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

import asyncpg

from relais_outcomes.adapters.billing_repo import COLUMNS, line_of
from relais_outcomes.domain.billing import BillingLine
from relais_outcomes.domain.invoices import Credited, CreditNote, Invoice, InvoiceBalance, document_number
from relais_outcomes.domain.statements import Statement
from relais_platform.db import scratch_table

_INVOICE = ("number, partner_id, period, issue_date, due_date, tariff_version_id, subtotal_cents, adjustment_kind, "
            "adjustment_cents, net_cents, vat_rate_bp, vat_cents, total_cents, finalized_by, forced, created_at")
_CREDIT = ("number, invoice_number, partner_id, issue_date, reason, line_ids, net_cents, vat_cents, total_cents, "
           "created_by, created_at")


async def next_number(conn: asyncpg.Connection, *, series: str, year: int) -> str:
    """The next number of a series for a year. The counter row stays locked until the caller's transaction
    ends, so concurrent callers queue, and a rollback gives the number back: no gap, no reuse."""
    await conn.execute("INSERT INTO document_counters (series, year, last_number) VALUES ($1, $2, 0) "
                       "ON CONFLICT DO NOTHING", series, year)
    seq = await conn.fetchval("UPDATE document_counters SET last_number = last_number + 1 "
                              "WHERE series = $1 AND year = $2 RETURNING last_number", series, year)
    return document_number(series, year, seq)


async def lock_statement(conn: asyncpg.Connection, *, partner_id: str, period: str) -> None:
    """Serialise finalisations of one partner's month for the rest of the transaction."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"outcomes.finalize|{partner_id}")


_DRAFT = ("FROM billing_lines l WHERE l.partner_id = $1 AND l.period <= $2 "
          "AND (l.period = $2 OR EXISTS (SELECT 1 FROM invoices i WHERE i.partner_id = $1 AND i.period = l.period)) "
          "AND NOT EXISTS (SELECT 1 FROM invoice_lines il WHERE il.line_id = l.line_id)")
_LINE_COLUMNS = ", ".join("l." + c for c in COLUMNS.split(", "))


async def draft_lines(conn: asyncpg.Connection, *, partner_id: str, period: str) -> list[BillingLine]:
    """Lines a month's statement holds: the month's lines not invoiced yet, plus late lines of months
    already invoiced before it (carried forward), in the order the work happened."""
    rows = await conn.fetch(f"SELECT {_LINE_COLUMNS} {_DRAFT} ORDER BY l.occurred_at, l.line_id", partner_id, period)
    return [line_of(r) for r in rows]


async def freeze_draft(conn: asyncpg.Connection, *, partner_id: str, period: str) -> tuple[int, int]:
    """Take the draft's lines, in statement order, into this transaction's `frozen_lines` (so the invoice holds
    exactly the lines it totals, whatever the worker adds meanwhile); returns their count and sum."""
    await scratch_table(conn, "frozen_lines", (("line_id", "uuid"), ("position", "integer"),
                                              ("amount_cents", "bigint")))
    row = await conn.fetchrow(
        "WITH f AS (INSERT INTO frozen_lines SELECT l.line_id, row_number() OVER (ORDER BY l.occurred_at, l.line_id), "
        f"l.amount_cents {_DRAFT} RETURNING amount_cents) SELECT count(*), coalesce(sum(amount_cents), 0) FROM f",
        partner_id, period)
    return row[0], int(row[1])


async def save_invoice(conn: asyncpg.Connection, *, number: str, statement: Statement, issue_date: date,
                       due_date: date, finalized_by: str, forced: bool) -> None:
    """Freeze a statement under its number, with the lines `freeze_draft` took, in order."""
    s = statement
    await conn.execute(
        f"INSERT INTO invoices ({_INVOICE.removesuffix(', created_at')}) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        number, s.partner_id, s.period, issue_date, due_date, s.tariff.tariff_version_id if s.tariff else None,
        s.subtotal_cents, str(s.adjustment.kind) if s.adjustment else None, s.adjustment_cents, s.net_cents,
        s.vat_rate_bp, s.vat_cents, s.total_cents, finalized_by, forced,
    )
    await conn.execute("INSERT INTO invoice_lines (line_id, number, position) SELECT line_id, $1, position "
                       "FROM frozen_lines ORDER BY position", number)


def _invoice(row: asyncpg.Record | None) -> Invoice | None:
    return Invoice(**dict(row)) if row else None


def _credit_note(row: asyncpg.Record) -> CreditNote:
    return CreditNote(**{**dict(row), "line_ids": tuple(row["line_ids"])})


async def invoice(conn: asyncpg.Connection, *, number: str) -> Invoice | None:
    """An invoice's header."""
    return _invoice(await conn.fetchrow(f"SELECT {_INVOICE} FROM invoices WHERE number = $1", number))


async def invoice_of_period(conn: asyncpg.Connection, *, partner_id: str, period: str) -> Invoice | None:
    """The invoice that froze a partner's month, if any."""
    return _invoice(await conn.fetchrow(f"SELECT {_INVOICE} FROM invoices WHERE partner_id = $1 AND period = $2",
                                        partner_id, period))


async def invoice_lines(conn: asyncpg.Connection, *, number: str, limit: int | None = None) -> list[BillingLine]:
    """The lines an invoice froze, in their invoice order (the first `limit` only, when given)."""
    bounded = limit is not None
    rows = await conn.fetch(
        f"SELECT {_LINE_COLUMNS} FROM invoice_lines il JOIN billing_lines l USING (line_id) WHERE il.number = $1 "
        "ORDER BY il.position" + (" LIMIT $2" if bounded else ""), number, *([limit] if bounded else []))
    return [line_of(r) for r in rows]


async def line_count(conn: asyncpg.Connection, *, number: str) -> int:
    """How many lines an invoice froze."""
    return await conn.fetchval("SELECT count(*) FROM invoice_lines WHERE number = $1", number)


async def credit_notes(conn: asyncpg.Connection, *, invoice_number: str) -> list[CreditNote]:
    """The credit notes of an invoice, oldest first."""
    rows = await conn.fetch(f"SELECT {_CREDIT} FROM credit_notes WHERE invoice_number = $1 ORDER BY number",
                            invoice_number)
    return [_credit_note(r) for r in rows]


async def balance(conn: asyncpg.Connection, *, number: str, for_update: bool = False) -> InvoiceBalance | None:
    """An invoice's net and VAT and what credit notes took; `for_update` serialises credit notes of it."""
    head = await conn.fetchrow("SELECT partner_id, net_cents, vat_cents, vat_rate_bp FROM invoices WHERE number = $1"
                               + (" FOR UPDATE" if for_update else ""), number)
    if head is None:
        return None
    took = await conn.fetchrow(
        "SELECT coalesce(sum(net_cents), 0) AS net, coalesce(sum(vat_cents), 0) AS vat, "
        "(SELECT coalesce(array_agg(l), '{}') FROM credit_notes c, unnest(c.line_ids) AS l "
        " WHERE c.invoice_number = $1) AS lines FROM credit_notes WHERE invoice_number = $1", number)
    return InvoiceBalance(net_cents=head["net_cents"], vat_cents=head["vat_cents"], vat_rate_bp=head["vat_rate_bp"],
                          credited_net_cents=int(took["net"]), credited_vat_cents=int(took["vat"]),
                          credited_line_ids=frozenset(took["lines"]), partner_id=head["partner_id"])


async def line_amounts(conn: asyncpg.Connection, *, number: str,
                       line_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    """The amounts of those of `line_ids` that are on the invoice (a credit note reads only what it cancels)."""
    rows = await conn.fetch("SELECT l.line_id, l.amount_cents FROM invoice_lines il JOIN billing_lines l "
                            "USING (line_id) WHERE il.number = $1 AND il.line_id = ANY($2::uuid[])",
                            number, list(line_ids))
    return {r["line_id"]: r["amount_cents"] for r in rows}


async def save_credit_note(conn: asyncpg.Connection, *, number: str, invoice_number: str, partner_id: str,
                           issue_date: date, reason: str, line_ids: Sequence[uuid.UUID], credited: Credited,
                           created_by: str) -> CreditNote:
    """Store a credit note."""
    return _credit_note(await conn.fetchrow(
        f"INSERT INTO credit_notes ({_CREDIT.removesuffix(', created_at')}) "
        f"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {_CREDIT}",
        number, invoice_number, partner_id, issue_date, reason, list(line_ids), credited.net_cents,
        credited.vat_cents, credited.total_cents, created_by,
    ))


async def documents_issued(conn: asyncpg.Connection, *, partner_id: str, start: date,
                           end: date) -> list[asyncpg.Record]:
    """Invoices and credit notes of a partner issued in [start, end), by issue date then number."""
    return await conn.fetch(
        "SELECT 'invoice' AS kind, number, NULL AS invoice_number, issue_date, due_date, period, net_cents, "
        "vat_rate_bp, vat_cents, total_cents FROM invoices WHERE partner_id = $1 AND issue_date >= $2 "
        "AND issue_date < $3 UNION ALL "
        "SELECT 'credit_note', c.number, c.invoice_number, c.issue_date, NULL, i.period, -c.net_cents, i.vat_rate_bp, "
        "-c.vat_cents, -c.total_cents FROM credit_notes c JOIN invoices i ON i.number = c.invoice_number "
        "WHERE c.partner_id = $1 AND c.issue_date >= $2 AND c.issue_date < $3 ORDER BY issue_date, kind DESC, number",
        partner_id, start, end,
    )
