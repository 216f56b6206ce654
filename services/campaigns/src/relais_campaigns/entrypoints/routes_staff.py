"""HTTP routes to manage sites and agents."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from relais_campaigns.domain.availability import holiday_department_for
from relais_campaigns.domain.model import AgentProfile
from relais_campaigns.entrypoints.deps import AgentId, Now, SiteId, StaffPrincipal, transaction
from relais_campaigns.entrypoints.schemas import AgentBody, AgentOut, AgentPatchBody, SiteBody, SiteOut, dump
from relais_campaigns.service_layer import staff
from relais_campaigns.service_layer.commands import PatchAgent, PutAgent, PutSite
from relais_platform.http import Pool

router = APIRouter(tags=["sites and agents"])
ERRORS = {401: {}, 403: {}, 404: {}, 409: {}, 422: {}}


@router.put("/sites/{site_id}", response_model=SiteOut, responses={201: {"model": SiteOut}, **ERRORS})
async def put_site(site_id: SiteId, body: SiteBody, principal: StaffPrincipal, pool: Pool,
                    now: Now) -> JSONResponse:
    """Create (201) or replace (200) a site; unrouted cases it now covers are routed and assigned at once.
    Admin, or the supervisor of that site."""
    prefixes = tuple(sorted(set(body.postcode_prefixes)))
    cmd = PutSite(site_id=site_id, name=body.name, postcode_prefixes=prefixes, time_zone=body.time_zone,
                  opening_days=tuple(dict.fromkeys(body.opening_days)),
                  holiday_department=body.holiday_department or holiday_department_for(prefixes))
    async with transaction(pool) as conn:
        saved = await staff.put_site(conn=conn, cmd=cmd, principal=principal, now=now)
    return JSONResponse(dump(SiteOut.of(saved.row)), status_code=201 if saved.created else 200)


@router.put("/agents/{agent_id}", response_model=AgentOut, responses={201: {"model": AgentOut}, **ERRORS})
async def put_agent(agent_id: AgentId, body: AgentBody, principal: StaffPrincipal, pool: Pool,
                    now: Now) -> JSONResponse:
    """Create (201) or replace (200) an agent; added capacity is used at once, removed capacity (or an
    inactive agent) gives cases back to the site's queue. Admin, or the supervisor of the agent's site."""
    profile = AgentProfile(site_id=body.site_id, display_name=body.display_name,
                           channels=tuple(dict.fromkeys(body.channels)), daily_capacity=body.daily_capacity,
                           languages=tuple(dict.fromkeys(body.languages)), active=body.active,
                           working_days=tuple(dict.fromkeys(body.working_days)),
                           absences=tuple(a.as_absence() for a in body.absences))
    async with transaction(pool) as conn:
        saved = await staff.put_agent(conn=conn, cmd=PutAgent(agent_id=agent_id, profile=profile),
                                      principal=principal, now=now)
    return JSONResponse(dump(AgentOut.of(saved.row, open_cases=saved.open_cases, absences=saved.absences)),
                        status_code=201 if saved.created else 200)


@router.patch("/agents/{agent_id}", response_model=AgentOut, responses=ERRORS)
async def patch_agent(agent_id: AgentId, body: AgentPatchBody, principal: StaffPrincipal, pool: Pool,
                    now: Now) -> AgentOut:
    """Change some fields of an agent (e.g. `active: false`, a new capacity); cases they may no longer
    hold go back to the queue and to other agents at once."""
    cmd = PatchAgent(
        agent_id=agent_id, site_id=body.site_id, display_name=body.display_name,
        channels=tuple(dict.fromkeys(body.channels)) if body.channels else None,
        daily_capacity=body.daily_capacity, active=body.active,
        languages=tuple(dict.fromkeys(body.languages)) if body.languages else None,
        working_days=tuple(dict.fromkeys(body.working_days)) if body.working_days else None,
        absences=tuple(a.as_absence() for a in body.absences) if body.absences is not None else None)
    async with transaction(pool) as conn:
        saved = await staff.patch_agent(conn=conn, cmd=cmd, principal=principal, now=now)
    return AgentOut.of(saved.row, open_cases=saved.open_cases, absences=saved.absences)
