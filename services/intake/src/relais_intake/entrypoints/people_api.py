"""HTTP routes about people: the partner's opposition list and the recall of a case."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from relais_intake.domain.opposition import opposition_of
from relais_intake.domain.problems import FieldProblem
from relais_intake.entrypoints.deps import scope_of
from relais_intake.service_layer import people
from relais_platform.auth import Role
from relais_platform.contracts import Slug
from relais_platform.errors import Unprocessable
from relais_platform.http import CurrentPrincipal, IdempotencyKey, Pool, allow, idempotent

router = APIRouter(tags=["intake"])


class OppositionIn(BaseModel):
    """A person who objected: exactly one of `phone` (any French form) or `external_ref`."""

    model_config = ConfigDict(extra="forbid")

    phone: StrictStr | None = Field(default=None, max_length=40)
    external_ref: StrictStr | None = Field(default=None, max_length=64)
    note: StrictStr | None = Field(default=None, max_length=500)


class OppositionOut(BaseModel):
    """An entry of the opposition list."""

    partner_id: str
    kind: str
    value: str
    note: str | None
    created_at: datetime


class RecallIn(BaseModel):
    """Why the case is withdrawn (optional)."""

    model_config = ConfigDict(extra="forbid")

    reason: StrictStr | None = Field(default=None, max_length=500)


class RecallOut(BaseModel):
    """The recalled case."""

    case_id: uuid.UUID
    campaign_id: uuid.UUID
    external_ref: str
    status: str
    recalled_at: datetime
    recall_reason: str | None


@router.post("/partners/{partner_id}/oppositions", status_code=201, response_model=OppositionOut)
async def add_opposition(partner_id: Annotated[Slug, Path()], body: OppositionIn, principal: CurrentPrincipal,
                         pool: Pool, request: Request, key: IdempotencyKey = None) -> JSONResponse:
    """Record that a person objected (by phone or external_ref): their rows are refused with `opposition`."""
    allow(principal, Role.PARTNER, Role.ADMIN)
    try:
        opposition = opposition_of(phone=body.phone, external_ref=body.external_ref)
    except FieldProblem as problem:
        raise Unprocessable(problem.reason, field="phone" if body.phone else "external_ref") from problem

    async def action(conn: asyncpg.Connection) -> tuple[int, Any]:
        row = await people.record_opposition(conn=conn, principal=principal, partner_id=partner_id,
                                             opposition=opposition, note=body.note, now=datetime.now(UTC))
        return 201, OppositionOut(**{k: row[k] for k in OppositionOut.model_fields})

    return await idempotent(pool, principal=principal, key=key, scope=scope_of(principal, request), payload=body,
                            action=action)


@router.post("/campaigns/{campaign_id}/cases/{external_ref}/recall", response_model=RecallOut)
async def recall_case(campaign_id: uuid.UUID, external_ref: Annotated[str, Path(max_length=64)],
                      principal: CurrentPrincipal, pool: Pool, request: Request, body: RecallIn | None = None,
                      key: IdempotencyKey = None) -> JSONResponse:
    """Withdraw a case (the customer paid meanwhile): it leaves the worklists and closes as `recalled`."""
    allow(principal, Role.PARTNER, Role.ADMIN)
    command = people.RecallCase(campaign_id=campaign_id, external_ref=external_ref,
                                reason=body.reason if body else None)

    async def action(conn: asyncpg.Connection) -> tuple[int, Any]:
        row = await people.recall_case(conn=conn, principal=principal, command=command, now=datetime.now(UTC))
        return 200, RecallOut(**{k: row[k] for k in RecallOut.model_fields})

    return await idempotent(pool, principal=principal, key=key, scope=scope_of(principal, request),
                            payload=body or {}, action=action)
