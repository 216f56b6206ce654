"""Handlers of the supervisors' work on one case: reassignment (attempts live in service_layer.attempts)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from relais_campaigns.adapters import cases_repo, queue_repo, staff_repo
from relais_campaigns.domain.assignment import Assignment, reassignment_refusal
from relais_campaigns.domain.model import AgentLoad, CaseSnapshot, CaseStatus
from relais_campaigns.service_layer.access import manages_site
from relais_campaigns.service_layer.assignment import AssignmentLog, fill
from relais_campaigns.service_layer.commands import ReassignCase
from relais_platform import outbox
from relais_platform.auth import Principal
from relais_platform.contracts import AssignmentStatus
from relais_platform.errors import Conflict, NotFound


def _ensure_open(case: CaseSnapshot) -> None:
    """Closed cases take no more work (409 naming the status)."""
    status = case.holding.status
    if status.is_closed:
        raise Conflict(f"case is {status}", field="status", status=str(status))


@dataclass(frozen=True, slots=True)
class Reassigned:
    """The new holder of a case and the one before."""

    case_id: uuid.UUID
    site_id: str | None
    agent_id: str | None
    previous_agent_id: str | None


async def reassign_case(*, conn: asyncpg.Connection, cmd: ReassignCase, principal: Principal,
                        now: datetime) -> Reassigned:
    """Give a case to a named agent of its site; the previous holder's freed slot goes to the queue."""
    seen = await cases_repo.get_case(conn, case_id=cmd.case_id)
    if seen is None or not manages_site(principal, seen.holding.site_id):
        raise NotFound(f"case {cmd.case_id} not found")
    site_ids = [seen.holding.site_id] if seen.holding.site_id else []
    agents = await staff_repo.lock_agents(conn, site_ids=site_ids)
    case = await cases_repo.get_case(conn, case_id=cmd.case_id, lock="update")
    assert case is not None  # cases are never deleted
    _ensure_open(case)
    if case.holding.status not in (CaseStatus.ASSIGNED, CaseStatus.WAITING):
        raise Conflict(f"case is {case.holding.status}: route it to a site first", field="status",
                       status=str(case.holding.status))
    target = next((a for a in agents if a.agent_id == cmd.agent_id), None)
    loads = await queue_repo.agent_loads(conn, agent_ids=[cmd.agent_id])
    refusal = "agent_not_in_site" if target is None else reassignment_refusal(
        case.queued, AgentLoad(agent=target, load=loads.get(cmd.agent_id, 0)), holder_id=case.holding.agent_id)
    if refusal:
        raise Conflict(f"agent {cmd.agent_id} cannot take this case: {refusal}", field="agent_id", reason=refusal)
    log = AssignmentLog(now=now)
    [holding] = await queue_repo.assign(conn, plan=[Assignment(cmd.case_id, cmd.agent_id)], now=now,
                                        from_statuses=(CaseStatus.ASSIGNED, CaseStatus.WAITING))
    log.record(holding, AssignmentStatus.ASSIGNED, f"reassigned: {cmd.reason}" if cmd.reason else "reassigned")
    await fill(conn, agents=agents, log=log)
    await outbox.enqueue_encoded(conn, log.events)
    return Reassigned(case_id=holding.case_id, site_id=holding.site_id, agent_id=holding.agent_id,
                      previous_agent_id=case.holding.agent_id)
