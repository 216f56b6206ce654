"""HTTP routes of the daily work: worklists, attempts, reassignment, the site board."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import AfterValidator

from relais_campaigns.entrypoints.deps import (
    AgentId,
    CaseId,
    FieldPrincipal,
    Now,
    SiteId,
    StaffPrincipal,
    transaction,
)
from relais_campaigns.entrypoints.schemas import AttemptBody, AttemptOut, ReassignBody, ReassignOut
from relais_campaigns.service_layer import attempts, casework, views, worklist
from relais_campaigns.service_layer.commands import ReassignCase, RecordAttempt
from relais_platform.http import IdempotencyKey, Pool, idempotent

router = APIRouter(tags=["work"])
ERRORS = {401: {}, 403: {}, 404: {}, 409: {}, 422: {}}


def _has_day_window(day: date | None) -> date | None:
    """A day whose window can be computed in any time zone (not the first or last day of the calendar)."""
    if day is not None and not date.min < day < date.max:
        raise ValueError(f"date must be between {date.min} and {date.max}, both excluded")
    return day


Day = Annotated[date | None, Query(alias="date", description="YYYY-MM-DD; today in the site's zone by default"),
                AfterValidator(_has_day_window)]


@router.get("/agents/{agent_id}/worklist", response_model=worklist.Worklist, responses=ERRORS)
async def get_worklist(agent_id: AgentId, principal: FieldPrincipal, pool: Pool, now: Now,
                       day: Day = None) -> worklist.Worklist:
    """The agent's calls and visits for the day, callbacks due first, then by campaign priority, amount
    due and age. The agent themself, their site's supervisor, or an admin."""
    async with transaction(pool) as conn:
        return await worklist.worklist(conn=conn, principal=principal, agent_id=agent_id, day=day, now=now)


@router.post("/cases/{case_id}/attempts", status_code=201, response_model=AttemptOut, responses=ERRORS)
async def post_attempt(case_id: CaseId, body: AttemptBody, principal: FieldPrincipal, pool: Pool, now: Now,
                       idempotency_key: IdempotencyKey = None) -> Response:
    """Record a call or visit attempt on a held case (the agent holding it, or their supervisor/an admin
    on their behalf); publishes AttemptRecorded. Accepts Idempotency-Key."""
    cmd = RecordAttempt(case_id=case_id, result=body.result, channel=body.channel,
                        attempted_at=body.attempted_at, callback_at=body.callback_at, note=body.note,
                        callback_open_to_site=body.callback_open_to_site)

    async def action(conn: object) -> tuple[int, AttemptOut]:
        attempt = await attempts.record_attempt(conn=conn, cmd=cmd, principal=principal, now=now)
        return 201, AttemptOut.of(attempt)

    return await idempotent(pool, principal=principal, key=idempotency_key, payload=body, action=action,
                            scope=f"POST /v1/cases/{case_id}/attempts")


@router.post("/cases/{case_id}/reassign", response_model=ReassignOut, responses=ERRORS)
async def post_reassign(case_id: CaseId, body: ReassignBody, principal: StaffPrincipal, pool: Pool, now: Now,
                        idempotency_key: IdempotencyKey = None) -> Response:
    """Give a case to another agent of its site (active, working the case's channel, with room); 409
    names the reason otherwise. The site's supervisor or an admin. Accepts Idempotency-Key."""
    cmd = ReassignCase(case_id=case_id, agent_id=body.agent_id, reason=body.reason)

    async def action(conn: object) -> tuple[int, ReassignOut]:
        done = await casework.reassign_case(conn=conn, cmd=cmd, principal=principal, now=now)
        return 200, ReassignOut(case_id=done.case_id, site_id=done.site_id, agent_id=done.agent_id,
                                previous_agent_id=done.previous_agent_id)

    return await idempotent(pool, principal=principal, key=idempotency_key, payload=body, action=action,
                            scope=f"POST /v1/cases/{case_id}/reassign")


@router.get("/sites/{site_id}/board", response_model=views.Board, responses=ERRORS)
async def get_board(site_id: SiteId, principal: StaffPrincipal, pool: Pool,
                    now: Now) -> views.Board:
    """Progress of a site: per agent and in total. The site's supervisor or an admin."""
    async with transaction(pool) as conn:
        return await views.board(conn=conn, principal=principal, site_id=site_id, now=now)
