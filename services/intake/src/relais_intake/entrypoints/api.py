"""HTTP routes of the intake service, under /v1: campaigns, case batches, submissions and their rejections."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from relais_intake.domain.campaign import Lifecycle, NewCampaign
from relais_intake.domain.partner_record import is_partner_id
from relais_intake.entrypoints.deps import scope_of
from relais_intake.entrypoints.people_api import router as people_router
from relais_intake.entrypoints.schemas import (
    CampaignDetailOut,
    CampaignIn,
    CampaignOut,
    CasesIn,
    SubmissionOut,
    SubmissionResultOut,
)
from relais_intake.entrypoints.uploads_api import router as uploads_router
from relais_intake.service_layer import campaigns, submissions
from relais_platform.auth import Principal, Role
from relais_platform.errors import Unprocessable
from relais_platform.http import CurrentPrincipal, IdempotencyKey, Pool, allow, idempotent

router = APIRouter(prefix="/v1", tags=["intake"])

CAMPAIGN_READERS = (Role.PARTNER, Role.ADMIN, Role.FINANCE, Role.SUPERVISOR)
CAMPAIGN_WRITERS = (Role.PARTNER, Role.ADMIN)


def _now() -> datetime:
    return datetime.now(UTC)


def _new_campaign(body: CampaignIn, principal: Principal) -> NewCampaign:
    """The campaign to create, for the caller's own partner (partner) or the one named (admin)."""
    fields = body.model_dump(exclude={"partner_id"})
    if principal.role != Role.PARTNER:
        if body.partner_id is None:
            raise Unprocessable("partner_id is required when an admin creates a campaign", field="partner_id")
        return NewCampaign(partner_id=body.partner_id, **fields)
    if body.partner_id is not None and body.partner_id != principal.partner_id:
        raise Unprocessable("a partner creates campaigns only for itself", field="partner_id")
    partner_id = principal.partner_id or ""
    if not is_partner_id(partner_id):
        raise Unprocessable("the token's partner_id is not a valid partner id (1-64 of a-z 0-9 _ -)",
                            field="partner_id")
    return NewCampaign(partner_id=partner_id, **fields)


@router.post("/campaigns", status_code=201, response_model=CampaignOut)
async def create_campaign(body: CampaignIn, principal: CurrentPrincipal, pool: Pool, request: Request,
                          key: IdempotencyKey = None) -> JSONResponse:
    """Create a campaign (active unless `status` is "draft"); partners for themselves, admins for any partner."""
    allow(principal, *CAMPAIGN_WRITERS)
    new = _new_campaign(body, principal)

    async def action(conn: asyncpg.Connection) -> tuple[int, CampaignOut]:
        return 201, CampaignOut.of(await campaigns.create_campaign(conn=conn, new=new, now=_now()))

    return await idempotent(pool, principal=principal, key=key, scope=scope_of(principal, request), payload=body,
                            action=action)


@router.get("/campaigns/{campaign_id}", response_model=CampaignDetailOut)
async def get_campaign(campaign_id: uuid.UUID, principal: CurrentPrincipal, pool: Pool) -> CampaignDetailOut:
    """A campaign with its number of cases per status and its number of submissions."""
    allow(principal, *CAMPAIGN_READERS)
    async with pool.acquire() as conn:
        overview = await campaigns.campaign_overview(conn=conn, principal=principal, campaign_id=campaign_id)
    return CampaignDetailOut.of_overview(overview)


async def _lifecycle(campaign_id: uuid.UUID, action: Lifecycle, principal: Principal, pool: asyncpg.Pool,
                     request: Request, key: str | None) -> JSONResponse:
    allow(principal, *CAMPAIGN_WRITERS)

    async def change(conn: asyncpg.Connection) -> tuple[int, CampaignOut]:
        campaign = await campaigns.change_campaign_status(conn=conn, principal=principal, campaign_id=campaign_id,
                                                          action=action, now=_now())
        return 200, CampaignOut.of(campaign)

    return await idempotent(pool, principal=principal, key=key, scope=scope_of(principal, request), payload={},
                            action=change)


@router.post("/campaigns/{campaign_id}/pause", response_model=CampaignOut)
async def pause_campaign(campaign_id: uuid.UUID, principal: CurrentPrincipal, pool: Pool, request: Request,
                         key: IdempotencyKey = None) -> JSONResponse:
    """Pause an active campaign: it takes no new cases until resumed."""
    return await _lifecycle(campaign_id, Lifecycle.PAUSE, principal, pool, request, key)


@router.post("/campaigns/{campaign_id}/resume", response_model=CampaignOut)
async def resume_campaign(campaign_id: uuid.UUID, principal: CurrentPrincipal, pool: Pool, request: Request,
                          key: IdempotencyKey = None) -> JSONResponse:
    """Activate a draft campaign or resume a paused one."""
    return await _lifecycle(campaign_id, Lifecycle.RESUME, principal, pool, request, key)


@router.post("/campaigns/{campaign_id}/close", response_model=CampaignOut)
async def close_campaign(campaign_id: uuid.UUID, principal: CurrentPrincipal, pool: Pool, request: Request,
                         key: IdempotencyKey = None) -> JSONResponse:
    """Close a campaign for good."""
    return await _lifecycle(campaign_id, Lifecycle.CLOSE, principal, pool, request, key)


@router.post("/campaigns/{campaign_id}/cases", response_model=SubmissionResultOut)
async def submit_cases(campaign_id: uuid.UUID, body: CasesIn, principal: CurrentPrincipal, pool: Pool,
                       request: Request, key: IdempotencyKey = None) -> JSONResponse:
    """Submit 1 to 10,000 cases: valid ones are opened, invalid ones rejected with reasons, repeats reported
    as duplicates; one result per case, in the order sent."""
    allow(principal, *CAMPAIGN_WRITERS)
    command = submissions.SubmitCases(campaign_id=campaign_id,
                                      cases=[case.model_dump(exclude_unset=True) for case in body.cases])

    async def action(conn: asyncpg.Connection) -> tuple[int, dict[str, Any]]:
        report = await submissions.submit_cases(conn=conn, principal=principal, command=command, now=_now())
        return 200, SubmissionResultOut.body_of(report)

    return await idempotent(pool, principal=principal, key=key, scope=scope_of(principal, request),
                            payload={"cases": command.cases}, action=action)


@router.get("/submissions/{submission_id}", response_model=SubmissionOut)
async def get_submission(submission_id: uuid.UUID, principal: CurrentPrincipal, pool: Pool) -> SubmissionOut:
    """A submission's status and counts (accepted, rejected, duplicates)."""
    allow(principal, *CAMPAIGN_WRITERS)
    async with pool.acquire() as conn:
        submission = await submissions.visible_submission(conn=conn, principal=principal,
                                                          submission_id=submission_id)
    return SubmissionOut.of(submission)


@router.get("/submissions/{submission_id}/rejections.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}})
async def get_rejections_csv(submission_id: uuid.UUID, principal: CurrentPrincipal, pool: Pool) -> Response:
    """The rejected and duplicate lines of a submission with a `reasons` column: for a file, its own columns in its
    own separator and charset; for a JSON batch, a `;`-separated UTF-8 CSV."""
    allow(principal, *CAMPAIGN_WRITERS)
    download = await submissions.rejections_csv(pool=pool, principal=principal, submission_id=submission_id)
    return StreamingResponse(download.chunks(), media_type=f"text/csv; charset={download.charset}",
                             headers={"Content-Disposition": f'attachment; filename="rejections-{submission_id}.csv"'})


router.include_router(uploads_router)
router.include_router(people_router)
