"""Handlers of the agents' and supervisors' work on one case: attempts and reassignment."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from relais_campaigns import SOURCE
from relais_campaigns.adapters import cases_repo, queue_repo, staff_repo
from relais_campaigns.adapters.attempts_repo import AttemptRow, insert_attempt
from relais_campaigns.domain.assignment import Assignment, reassignment_refusal
from relais_campaigns.domain.attempts import AttemptDraft, validate_attempt
from relais_campaigns.domain.model import AgentLoad, CaseSnapshot, CaseStatus
from relais_campaigns.service_layer.access import manages_site, may_work_as
from relais_campaigns.service_layer.assignment import AssignmentLog, fill
from relais_campaigns.service_layer.commands import ReassignCase, RecordAttempt
from relais_platform import outbox
from relais_platform.auth import Principal
from relais_platform.contracts import AssignmentStatus, AttemptRecorded, AttemptResult, Channel
from relais_platform.errors import Conflict, NotFound
from relais_platform.events import envelope
from relais_platform.ids import derived_id


def _ensure_open(case: CaseSnapshot) -> None:
    """Closed cases take no more work (409 naming the status)."""
    status = case.holding.status
    if status.is_closed:
        raise Conflict(f"case is {status}", field="status", status=str(status))


async def record_attempt(*, conn: asyncpg.Connection, cmd: RecordAttempt, principal: Principal,
                         now: datetime) -> AttemptRow:
    """Record an attempt by the agent holding the case (or on their behalf) and publish AttemptRecorded."""
    case = await cases_repo.get_case(conn, case_id=cmd.case_id, lock="share")
    if case is None or not may_work_as(principal, agent_id=case.holding.agent_id, site_id=case.holding.site_id):
        raise NotFound(f"case {cmd.case_id} not found")
    _ensure_open(case)
    holding = case.holding
    if holding.status is not CaseStatus.ASSIGNED or holding.agent_id is None or holding.site_id is None:
        raise Conflict(f"case is {holding.status}: no agent holds it", field="status", status=str(holding.status))
    draft = AttemptDraft(result=cmd.result, channel=cmd.channel or case.queued.channel,
                         attempted_at=cmd.attempted_at or now, callback_at=cmd.callback_at)
    validate_attempt(draft, now=now, has_phone=case.has_phone, has_address=case.has_address)
    attempt = AttemptRow(
        attempt_id=uuid.uuid4(), case_id=cmd.case_id, agent_id=holding.agent_id, site_id=holding.site_id,
        channel=str(draft.channel), result=str(draft.result), attempted_at=draft.attempted_at,
        callback_at=draft.callback_at, note=cmd.note, recorded_by=principal.sub, recorded_at=now)
    await insert_attempt(conn, attempt=attempt)
    data = AttemptRecorded(
        attempt_id=attempt.attempt_id, case_id=attempt.case_id, partner_id=holding.partner_id,
        campaign_id=holding.campaign_id, agent_id=attempt.agent_id, site_id=attempt.site_id,
        channel=Channel(attempt.channel), result=AttemptResult(attempt.result),
        attempted_at=attempt.attempted_at, callback_at=attempt.callback_at)
    event_id = derived_id("attempt_recorded", attempt.attempt_id)
    await outbox.enqueue(conn, [envelope(data, source=SOURCE, event_id=event_id, time=now)])
    return attempt


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
    await outbox.enqueue(conn, log.events)
    return Reassigned(case_id=holding.case_id, site_id=holding.site_id, agent_id=holding.agent_id,
                      previous_agent_id=case.holding.agent_id)
