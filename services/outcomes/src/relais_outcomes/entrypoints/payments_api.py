"""HTTP API of payments (/v1): remittances (JSON or bank statement CSV), reconciliation, disputes."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

import asyncpg
import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from relais_outcomes.domain.calendar import billing_date
from relais_outcomes.domain.invoices import INVOICE_NUMBER_PATTERN
from relais_outcomes.domain.reconciliation import Reconciliation
from relais_outcomes.domain.remittances import IncomingRemittance, parse_bank_statement
from relais_outcomes.entrypoints.roles import BillingReader, FinanceOnly, Number, PartnerId
from relais_outcomes.entrypoints.schemas import Body, StrictCents
from relais_outcomes.service_layer.payments import (
    disputes_of_invoice,
    import_bank_statement,
    open_dispute,
    reconciliation,
    record_remittance,
    settle_dispute,
)
from relais_platform.errors import Unprocessable
from relais_platform.http import IdempotencyKey, Pool, idempotent

router = APIRouter(tags=["payments"])  # included under /v1 by entrypoints.api

InvoiceNumber = Annotated[str, Field(pattern=INVOICE_NUMBER_PATTERN)]
MAX_STATEMENT_BYTES = 5_000_000


class RemittanceIn(Body):
    """A payment received from the partner."""

    amount_cents: StrictCents = Field(gt=0)
    received_on: date
    bank_reference: str = Field(min_length=1, max_length=200, description="Unique per partner")
    invoice_numbers: list[InvoiceNumber] = Field(default_factory=list, max_length=100)


class DisputeIn(Body):
    """What the partner contests: one line of the invoice, or the whole invoice."""

    line_id: uuid.UUID | None = None
    reason: str = Field(min_length=1, max_length=2000)


class DisputeResolutionIn(Body):
    """Finance's answer: a credit note (the disputed line by default, or net_cents) or a rejection."""

    decision: Literal["credit", "reject"]
    reason: str = Field(min_length=1, max_length=500)
    net_cents: StrictCents | None = Field(default=None, gt=0)


class DisputeOut(BaseModel):
    """A dispute and how it ended."""

    dispute_id: uuid.UUID
    invoice_number: str
    partner_id: str
    line_id: uuid.UUID | None
    reason: str
    status: Literal["open", "credited", "rejected"]
    resolution_reason: str | None
    credit_note_number: str | None
    opened_by: str
    opened_at: datetime
    resolved_by: str | None
    resolved_at: datetime | None


def reconciliation_out(r: Reconciliation, *, partner_id: str, as_of: date) -> dict[str, Any]:
    """The JSON of a reconciliation, with per-invoice figures and partner totals."""
    invoices = [{
        "number": s.invoice.number, "period": s.invoice.period, "issue_date": s.invoice.issue_date,
        "due_date": s.invoice.due_date, "billed_cents": s.invoice.billed_cents,
        "credited_cents": s.invoice.credited_cents, "paid_cents": s.paid_cents,
        "outstanding_cents": s.outstanding_cents, "days_overdue": s.days_overdue(as_of),
        "open_disputes": s.invoice.open_disputes,
        "matches": [{"remittance_id": m.remittance_id, "amount_cents": m.amount_cents, "rule": str(m.rule),
                     "explanation": m.explanation} for m in s.matches],
    } for s in r.invoices]
    leftovers = {name: [{"remittance_id": x.remittance_id, "amount_cents": x.amount_cents,
                         "received_on": x.received_on, "bank_reference": x.bank_reference,
                         "explanation": x.explanation} for x in items]
                 for name, items in (("unmatched_payments", r.unmatched), ("overpayments", r.overpayments))}
    totals = {f"{k}_cents": sum(i[f"{k}_cents"] for i in invoices) for k in ("billed", "credited", "paid",
                                                                              "outstanding")}
    return {"partner_id": partner_id, "as_of": as_of, "currency": "EUR", "totals": totals, "invoices": invoices,
            **leftovers}


@router.post("/partners/{partner_id}/remittances", status_code=201)
async def post_remittance(partner_id: PartnerId, body: RemittanceIn, principal: FinanceOnly, pool: Pool,
                          idempotency_key: IdempotencyKey = None) -> Response:
    """Record a payment received from the partner (409 when its bank reference is already recorded)."""
    item = IncomingRemittance(body.amount_cents, body.received_on, body.bank_reference, tuple(body.invoice_numbers))

    async def action(conn: asyncpg.Connection) -> tuple[int, Any]:
        remittance_id = await record_remittance(conn=conn, principal=principal, partner_id=partner_id, item=item)
        return 201, {"remittance_id": remittance_id, "partner_id": partner_id, **body.model_dump(mode="json")}

    return await idempotent(pool, principal=principal, key=idempotency_key, payload=body, action=action,
                            scope=f"POST /v1/partners/{partner_id}/remittances")


@router.post("/partners/{partner_id}/remittances/import", status_code=201, openapi_extra={"requestBody": {
    "required": True, "content": {"text/csv": {"schema": {"type": "string"}, "example":
                                               "date,amount,reference,invoices\n2026-04-30,\"1 234,56\",VIR 123,"
                                               "REL-2026-000001\n"}}}})
async def post_bank_statement(partner_id: PartnerId, request: Request, principal: FinanceOnly,
                              pool: Pool) -> dict[str, int]:
    """Import the partner's credits from a bank statement CSV; lines already recorded (same reference) are skipped."""
    raw = await request.body()
    if len(raw) > MAX_STATEMENT_BYTES:
        raise Unprocessable(f"the file exceeds {MAX_STATEMENT_BYTES} bytes", field="body")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    items = parse_bank_statement(text)
    async with pool.acquire() as conn, conn.transaction():
        imported, known = await import_bank_statement(conn=conn, principal=principal, partner_id=partner_id,
                                                      items=items)
    return {"imported": imported, "already_recorded": known}


@router.get("/partners/{partner_id}/reconciliation")
async def get_reconciliation(partner_id: PartnerId, principal: BillingReader, pool: Pool,
                             as_of: Annotated[date | None, Query(description="Default: today (Paris)")] = None,
                             ) -> Response:
    """Each invoice's billed, credited, paid, outstanding and days overdue; unmatched and over-payments;
    every match explained (explicit reference, then exact amount, then oldest invoice first)."""
    async with pool.acquire() as conn:
        result = await reconciliation(conn=conn, principal=principal, partner_id=partner_id)
    day = as_of or billing_date(datetime.now(UTC))
    return _json(reconciliation_out(result, partner_id=partner_id, as_of=day))


@router.post("/invoices/{number}/disputes", status_code=201, response_model=DisputeOut)
async def post_dispute(number: Number, body: DisputeIn, principal: BillingReader, pool: Pool,
                       idempotency_key: IdempotencyKey = None) -> Response:
    """Contest an invoice line (or the whole invoice); finance answers with a credit note or a rejection."""
    async def action(conn: asyncpg.Connection) -> tuple[int, Any]:
        row = await open_dispute(conn=conn, principal=principal, number=number, line_id=body.line_id,
                                 reason=body.reason)
        return 201, DisputeOut(**dict(row))

    return await idempotent(pool, principal=principal, key=idempotency_key, payload=body, action=action,
                            scope=f"POST /v1/invoices/{number}/disputes")


@router.get("/invoices/{number}/disputes", response_model=list[DisputeOut])
async def get_disputes(number: Number, principal: BillingReader, pool: Pool) -> list[DisputeOut]:
    """The disputes of an invoice and how each ended."""
    async with pool.acquire() as conn:
        return [DisputeOut(**dict(r)) for r in await disputes_of_invoice(conn=conn, principal=principal,
                                                                         number=number)]


@router.post("/disputes/{dispute_id}/resolution", response_model=DisputeOut)
async def post_dispute_resolution(dispute_id: uuid.UUID, body: DisputeResolutionIn, principal: FinanceOnly,
                                  pool: Pool, idempotency_key: IdempotencyKey = None) -> Response:
    """Resolve a dispute with a credit note (AVO-…) or a rejection with its reason."""
    async def action(conn: asyncpg.Connection) -> tuple[int, Any]:
        row = await settle_dispute(conn=conn, principal=principal, dispute_id=dispute_id,
                                   accept=body.decision == "credit", reason=body.reason, net_cents=body.net_cents,
                                   now=datetime.now(UTC))
        return 200, DisputeOut(**dict(row))

    return await idempotent(pool, principal=principal, key=idempotency_key, payload=body, action=action,
                            scope=f"POST /v1/disputes/{dispute_id}/resolution")


def _json(body: dict[str, Any]) -> Response:
    return Response(orjson.dumps(body), media_type="application/json")
