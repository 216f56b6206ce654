"""HTTP API of the outcomes service (/v1): outcomes of cases, partner tariffs, monthly statements."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
from fastapi import APIRouter
from fastapi.responses import JSONResponse, StreamingResponse

from relais_outcomes.domain.access import sees_internals
from relais_outcomes.entrypoints.invoices_api import router as invoices_router
from relais_outcomes.entrypoints.payments_api import router as payments_router
from relais_outcomes.entrypoints.roles import BillingReader, FinanceOnly, PartnerId, Period
from relais_outcomes.entrypoints.schemas import (
    CaseOutcomesOut,
    OutcomeIn,
    OutcomeOut,
    ReferralFollowUpIn,
    StatementOut,
    TariffIn,
    TariffOut,
    outcome_out,
    statement_out,
    tariff_out,
)
from relais_outcomes.service_layer.finance import draft_statement, put_tariff
from relais_outcomes.service_layer.outcomes import (
    campaign_outcomes_csv,
    case_outcomes,
    check_campaign_readable,
    follow_up_referral,
    record_outcome,
)
from relais_platform.auth import Role
from relais_platform.http import IdempotencyKey, Pool, idempotent, roles

router = APIRouter(prefix="/v1")


OutcomeRecorder = roles(Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
OutcomeReader = roles(Role.PARTNER, Role.AGENT, Role.SUPERVISOR, Role.FINANCE, Role.ADMIN)


@router.post("/cases/{case_id}/outcome", status_code=201, response_model=OutcomeOut, tags=["outcomes"])
async def post_outcome(case_id: uuid.UUID, body: OutcomeIn, principal: OutcomeRecorder, pool: Pool,
                       idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Record the final outcome of a case held by the caller; correct it with supersedes_outcome_id + reason."""
    command = body.to_command(case_id)

    async def action(conn: asyncpg.Connection) -> tuple[int, Any]:
        outcome, case = await record_outcome(conn=conn, principal=principal, command=command, now=datetime.now(UTC))
        return 201, outcome_out(outcome, external_ref=case.external_ref, internal=True)

    return await idempotent(pool, principal=principal, key=idempotency_key, payload=body, action=action,
                            scope=f"POST /v1/cases/{case_id}/outcome")


@router.post("/cases/{case_id}/outcome/referral", status_code=201, response_model=OutcomeOut, tags=["outcomes"])
async def post_referral_follow_up(case_id: uuid.UUID, body: ReferralFollowUpIn, principal: OutcomeRecorder, pool: Pool,
                                  idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Move the case's referral forward (proposed → accepted → taken_up); taken_up bills referral_taken_up."""
    async def action(conn: asyncpg.Connection) -> tuple[int, Any]:
        outcome, case = await follow_up_referral(conn=conn, principal=principal, case_id=case_id, status=body.status,
                                                 at=body.updated_at, note=body.note, now=datetime.now(UTC))
        return 201, outcome_out(outcome, external_ref=case.external_ref, internal=True)

    return await idempotent(pool, principal=principal, key=idempotency_key, payload=body, action=action,
                            scope=f"POST /v1/cases/{case_id}/outcome/referral")


@router.get("/campaigns/{campaign_id}/outcomes.csv", tags=["outcomes"], response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}}, "description": "One row per outcome, oldest first"}})
async def get_campaign_outcomes_csv(campaign_id: uuid.UUID, principal: BillingReader, pool: Pool,
                                    ) -> StreamingResponse:
    """Every outcome of a campaign as CSV: the partner feed as a file (corrections included, no agent notes)."""
    async with pool.acquire() as conn:
        await check_campaign_readable(conn=conn, principal=principal, campaign_id=campaign_id)
    return StreamingResponse(campaign_outcomes_csv(pool=pool, campaign_id=campaign_id), media_type="text/csv",
                             headers={"Content-Disposition": f'attachment; filename="outcomes-{campaign_id}.csv"'})


@router.get("/cases/{case_id}/outcome", response_model=CaseOutcomesOut, tags=["outcomes"])
async def get_outcome(case_id: uuid.UUID, principal: OutcomeReader, pool: Pool) -> JSONResponse:
    """The current outcome of a case and its corrections (agent notes and names are never shown to partners)."""
    async with pool.acquire() as conn:
        found = await case_outcomes(conn=conn, principal=principal, case_id=case_id)
    internal, ref = sees_internals(principal), found.case.external_ref
    return JSONResponse({
        "case_id": str(case_id),
        "current": outcome_out(found.current, external_ref=ref, internal=internal) if found.current else None,
        "history": [outcome_out(o, external_ref=ref, internal=internal) for o in found.history],
    })


@router.put("/partners/{partner_id}/tariff", response_model=TariffOut, tags=["finance"],
            responses={201: {"model": TariffOut, "description": "A new version was added"},
                       409: {"description": "The version with this effective_from already priced lines"}})
async def put_partner_tariff(partner_id: PartnerId, body: TariffIn, principal: FinanceOnly,
                             pool: Pool) -> JSONResponse:
    """Add a version of the partner's tariff from `effective_from`, or replace one no line was priced with."""
    async with pool.acquire() as conn, conn.transaction():
        created, versions = await put_tariff(conn=conn, principal=principal, command=body.to_command(partner_id))
    return JSONResponse(tariff_out(partner_id, versions).model_dump(mode="json"), status_code=201 if created else 200)


@router.get("/partners/{partner_id}/statements/{period}", response_model=StatementOut, tags=["finance"])
async def get_statement(partner_id: PartnerId, period: Period, principal: BillingReader, pool: Pool) -> StatementOut:
    """A partner's month (a live draft until finalised): lines, minimum/cap adjustment, VAT, total in cents."""
    async with pool.acquire() as conn:
        statement, invoice_number = await draft_statement(conn=conn, principal=principal, partner_id=partner_id,
                                                          period=period)
    return statement_out(statement, invoice_number)


router.include_router(invoices_router)
router.include_router(payments_router)
