"""HTTP API of the outcomes service (/v1): outcomes of cases, partner tariffs, monthly statements."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse

from relais_outcomes.domain.access import sees_internals
from relais_outcomes.domain.calendar import PERIOD_PATTERN
from relais_outcomes.entrypoints.schemas import (
    CaseOutcomesOut,
    OutcomeIn,
    OutcomeOut,
    StatementOut,
    TariffIn,
    TariffOut,
    outcome_out,
    statement_out,
    tariff_out,
)
from relais_outcomes.service_layer.finance import draft_statement, put_tariff
from relais_outcomes.service_layer.outcomes import case_outcomes, record_outcome
from relais_platform.auth import Principal, Role
from relais_platform.http import CurrentPrincipal, IdempotencyKey, allow, idempotent

router = APIRouter(prefix="/v1")


async def _pool(request: Request) -> asyncpg.Pool:
    return await request.app.state.resources.pool()


def _roles(*roles: Role) -> Any:
    """A principal dependency that refuses (403) any other role before the request is even parsed."""
    def dependency(principal: CurrentPrincipal) -> Principal:
        allow(principal, *roles)
        return principal
    return Annotated[Principal, Depends(dependency)]


Pool = Annotated[asyncpg.Pool, Depends(_pool)]
OutcomeRecorder = _roles(Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
OutcomeReader = _roles(Role.PARTNER, Role.AGENT, Role.SUPERVISOR, Role.FINANCE, Role.ADMIN)
TariffWriter = _roles(Role.FINANCE, Role.ADMIN)
StatementReader = _roles(Role.PARTNER, Role.FINANCE, Role.ADMIN)
PartnerId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
Period = Annotated[str, Path(pattern=PERIOD_PATTERN, description="Billing month YYYY-MM (Europe/Paris)")]


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
async def put_partner_tariff(partner_id: PartnerId, body: TariffIn, principal: TariffWriter,
                             pool: Pool) -> JSONResponse:
    """Add a version of the partner's tariff from `effective_from`, or replace one no line was priced with."""
    async with pool.acquire() as conn, conn.transaction():
        created, versions = await put_tariff(conn=conn, principal=principal, command=body.to_command(partner_id))
    return JSONResponse(tariff_out(partner_id, versions).model_dump(mode="json"), status_code=201 if created else 200)


@router.get("/partners/{partner_id}/statements/{period}", response_model=StatementOut, tags=["finance"])
async def get_statement(partner_id: PartnerId, period: Period, principal: StatementReader, pool: Pool) -> StatementOut:
    """The partner's draft statement for a month: lines, minimum/cap adjustment, VAT and total in cents."""
    async with pool.acquire() as conn:
        statement = await draft_statement(conn=conn, principal=principal, partner_id=partner_id, period=period)
    return statement_out(statement)
