"""Handlers of the site and agent commands; a change of capacity is used (or given back) at once."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

import asyncpg

from relais_campaigns.adapters import queue_repo, staff_repo
from relais_campaigns.domain.assignment import cases_to_release
from relais_campaigns.domain.availability import Absence, overlapping
from relais_campaigns.domain.model import AgentProfile, Site
from relais_campaigns.domain.routing import site_for_postcode
from relais_campaigns.service_layer.access import ensure_site_visible, manages_site
from relais_campaigns.service_layer.assignment import AssignmentLog, fill, give_back
from relais_campaigns.service_layer.commands import PatchAgent, PutAgent, PutSite
from relais_platform import outbox
from relais_platform.auth import Principal
from relais_platform.errors import Conflict, NotFound, Unprocessable


@dataclass(frozen=True, slots=True)
class Saved:
    """A stored site or agent, whether it was just created, and how many cases its agents now hold."""

    row: asyncpg.Record
    created: bool
    open_cases: int = 0
    absences: tuple[Absence, ...] = ()


async def put_site(*, conn: asyncpg.Connection, cmd: PutSite, principal: Principal, now: datetime) -> Saved:
    """Create or replace a site, then route to it the unrouted cases it now covers and fill its agents."""
    ensure_site_visible(principal, cmd.site_id, what=f"site {cmd.site_id}")
    await staff_repo.lock_prefix_registry(conn)
    taken = await staff_repo.prefixes_taken(conn, site_id=cmd.site_id, prefixes=cmd.postcode_prefixes)
    if taken:
        raise Conflict(f"postcode prefixes already covered by another site: {', '.join(taken)}",
                       field="postcode_prefixes", prefixes=taken)
    site = Site(site_id=cmd.site_id, name=cmd.name, postcode_prefixes=cmd.postcode_prefixes, time_zone=cmd.time_zone,
                opening_days=cmd.opening_days, holiday_department=cmd.holiday_department)
    row, created = await staff_repo.upsert_site(conn, site=site)
    agents = await staff_repo.lock_agents(conn, site_ids=[cmd.site_id])
    log = AssignmentLog(now=now)
    sites = await staff_repo.load_sites(conn)
    candidates = await queue_repo.unrouted_covered(conn, prefixes=cmd.postcode_prefixes)
    mine = [c["case_id"] for c in candidates
            if (best := site_for_postcode(c["postcode"], c["department"], sites)) and best.site_id == cmd.site_id]
    routed = await queue_repo.route(conn, case_ids=mine, site_id=cmd.site_id)
    assigned = await fill(conn, agents=agents, log=log)
    log.record_state(routed, except_ids=assigned, reason="site now covers the postcode")
    await outbox.enqueue_encoded(conn, log.events)
    return Saved(row=row, created=created)


async def put_agent(*, conn: asyncpg.Connection, cmd: PutAgent, principal: Principal, now: datetime) -> Saved:
    """Create or replace an agent."""
    existing = await staff_repo.get_agent(conn, agent_id=cmd.agent_id)
    if existing is not None:
        ensure_site_visible(principal, existing["site_id"], what=f"agent {cmd.agent_id}")
    return await _save_agent(conn, agent_id=cmd.agent_id, before=existing, profile=cmd.profile,
                             principal=principal, now=now)


async def patch_agent(*, conn: asyncpg.Connection, cmd: PatchAgent, principal: Principal, now: datetime) -> Saved:
    """Change some fields of an existing agent."""
    existing = await staff_repo.get_agent(conn, agent_id=cmd.agent_id)
    if existing is None or not manages_site(principal, existing["site_id"]):
        raise NotFound(f"agent {cmd.agent_id} not found")
    absences = await staff_repo.absences_of(conn, agent_id=cmd.agent_id)
    profile = cmd.applied_to(staff_repo.profile_of(existing, absences=absences))
    return await _save_agent(conn, agent_id=cmd.agent_id, before=existing, profile=profile,
                             principal=principal, now=now)


async def _save_agent(conn: asyncpg.Connection, *, agent_id: str, before: asyncpg.Record | None,
                      profile: AgentProfile, principal: Principal, now: datetime) -> Saved:
    """Store the agent, give back what they may no longer hold, and refill both sites concerned."""
    if not manages_site(principal, profile.site_id):
        raise Unprocessable("site_id must be a site you manage", field="site_id")
    if await staff_repo.get_site(conn, site_id=profile.site_id) is None:
        raise Unprocessable(f"site {profile.site_id} does not exist", field="site_id")
    if overlapping(profile.absences):
        raise Unprocessable("absences overlap", field="absences")
    site_ids = sorted({profile.site_id, *([before["site_id"]] if before else [])})
    await staff_repo.lock_agents(conn, site_ids=site_ids, agent_id=agent_id)
    row, created = await staff_repo.upsert_agent(conn, agent_id=agent_id, profile=profile)
    log = AssignmentLog(now=now)
    moved = before is not None and before["site_id"] != profile.site_id
    held = await queue_repo.held_cases(conn, agent_id=agent_id)
    away = bool(await staff_repo.absent_agents(conn, agent_ids=[agent_id], now=now))
    as_agent = replace(profile.as_agent(agent_id), active=profile.active and not away)
    to_release = cases_to_release(as_agent, held, moved_site=moved)
    released = await give_back(conn, case_ids=to_release, reason=_release_reason(profile, moved, away), log=log)
    agents = await staff_repo.lock_agents(conn, site_ids=site_ids, agent_id=agent_id)
    assigned = await fill(conn, agents=agents, log=log)
    log.record_state(released, except_ids=assigned, reason="released, waiting for an agent")
    await outbox.enqueue_encoded(conn, log.events)
    loads = await queue_repo.agent_loads(conn, agent_ids=[agent_id])
    return Saved(row=row, created=created, open_cases=loads.get(agent_id, 0), absences=profile.absences)


def _release_reason(profile: AgentProfile, moved: bool, away: bool) -> str:
    if not profile.active:
        return "agent inactive"
    if away:
        return "agent absent"
    return "agent moved to another site" if moved else "agent capacity or channels reduced"
