"""HTTP API of invoicing: finalise a month, invoices (JSON, CSV, PDF), credit notes, accounting export."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from relais_outcomes.adapters.invoice_pdf import Seller, render_invoice_pdf
from relais_outcomes.config import Settings
from relais_outcomes.domain.exports import (
    ACCOUNTING_COLUMNS,
    INVOICE_LINE_COLUMNS,
    csv_text,
    invoice_line_rows,
)
from relais_outcomes.entrypoints.invoice_schemas import (
    MAX_INLINE_LINES,
    CreditNoteIn,
    CreditNoteOut,
    FinalizeIn,
    InvoiceOut,
    credit_note_out,
    invoice_out,
)
from relais_outcomes.entrypoints.roles import BillingReader, FinanceOnly, Number, PartnerId, Period
from relais_outcomes.service_layer.invoicing import (
    FinalizeTerms,
    accounting_rows,
    add_credit_note,
    finalize,
    invoice_view,
)
from relais_platform.http import IdempotencyKey, Pool, idempotent

router = APIRouter(tags=["invoices"])  # included under /v1 by entrypoints.api


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _seller(request: Request) -> Seller:
    return request.app.state.seller


AppSettings = Annotated[Settings, Depends(_settings)]
InvoiceSeller = Annotated[Seller, Depends(_seller)]


@router.post("/partners/{partner_id}/statements/{period}/finalize", status_code=201, response_model=InvoiceOut,
             responses={409: {"description": "Already finalised, nothing to invoice, or grace period not over"}})
async def post_finalize(partner_id: PartnerId, period: Period, principal: FinanceOnly, pool: Pool,
                        settings: AppSettings, body: FinalizeIn | None = None,
                        idempotency_key: IdempotencyKey = None) -> Response:
    """Freeze the month's statement into an invoice numbered REL-YYYY-NNNNNN (gapless per year)."""
    options = body or FinalizeIn()
    terms = FinalizeTerms(grace_days=settings.statement_grace_days, payment_terms_days=settings.payment_terms_days)

    async def action(conn: asyncpg.Connection) -> tuple[int, Any]:
        view = await finalize(conn=conn, principal=principal, partner_id=partner_id, period=period,
                              force=options.force, now=datetime.now(UTC), terms=terms, line_limit=MAX_INLINE_LINES)
        return 201, invoice_out(view)

    return await idempotent(pool, principal=principal, key=idempotency_key, payload=options, action=action,
                            scope=f"POST /v1/partners/{partner_id}/statements/{period}/finalize")


@router.get("/invoices/{number}.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}, "description": "One row per line, with evidence ids"}})
async def get_invoice_csv(number: Number, principal: BillingReader, pool: Pool) -> Response:
    """The invoice's lines as CSV: one row per line with its case id and the ids of the events proving it."""
    async with pool.acquire() as conn:
        view = await invoice_view(conn=conn, principal=principal, number=number)
    text = csv_text([INVOICE_LINE_COLUMNS, *invoice_line_rows(number, view.lines)])
    return Response(text, media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{number}.csv"'})


@router.get("/invoices/{number}.pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}, "description": "The French invoice"}})
async def get_invoice_pdf(number: Number, principal: BillingReader, pool: Pool, seller: InvoiceSeller) -> Response:
    """The invoice as a French PDF invoice: seller, buyer, number, dates, period, lines, HT, TVA, TTC."""
    async with pool.acquire() as conn:
        view = await invoice_view(conn=conn, principal=principal, number=number)
    return Response(render_invoice_pdf(view.invoice, view.lines, view.credit_notes, seller),
                    media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{number}.pdf"'})


@router.get("/invoices/{number}", response_model=InvoiceOut)
async def get_invoice(number: Number, principal: BillingReader, pool: Pool) -> InvoiceOut:
    """An invoice with its lines (and their evidence) and the credit notes that correct it."""
    async with pool.acquire() as conn:
        return invoice_out(await invoice_view(conn=conn, principal=principal, number=number,
                                              line_limit=MAX_INLINE_LINES))


@router.post("/invoices/{number}/credit-notes", status_code=201, response_model=CreditNoteOut,
             responses={409: {"description": "It would take more than is left on the invoice"}})
async def post_credit_note(number: Number, body: CreditNoteIn, principal: FinanceOnly, pool: Pool,
                           idempotency_key: IdempotencyKey = None) -> Response:
    """Correct an invoice with a credit note AVO-YYYY-NNNNNN (never more than is left on the invoice)."""
    async def action(conn: asyncpg.Connection) -> tuple[int, Any]:
        note = await add_credit_note(conn=conn, principal=principal, number=number, reason=body.reason,
                                     net_cents=body.net_cents, line_ids=body.line_ids, now=datetime.now(UTC))
        return 201, credit_note_out(note)

    return await idempotent(pool, principal=principal, key=idempotency_key, payload=body, action=action,
                            scope=f"POST /v1/invoices/{number}/credit-notes")


@router.get("/partners/{partner_id}/accounting/{period}.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}, "description": "Documents issued in the month"}})
async def get_accounting_csv(partner_id: PartnerId, period: Period, principal: BillingReader, pool: Pool) -> Response:
    """The partner's invoices and credit notes issued in a month (credit notes negative), for accounting."""
    async with pool.acquire() as conn:
        rows = await accounting_rows(conn=conn, principal=principal, partner_id=partner_id, period=period)
    body = [[r["issue_date"], r["kind"], r["number"], r["invoice_number"], partner_id, r["period"], r["due_date"],
             r["net_cents"], r["vat_rate_bp"], r["vat_cents"], r["total_cents"]] for r in rows]
    return Response(csv_text([ACCOUNTING_COLUMNS, *body]), media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{partner_id}-{period}.csv"'})


