"""Recording a contact attempt: the contact rules gate it, and failed calls escalate to a visit."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime

import asyncpg

from relais_campaigns import SOURCE
from relais_campaigns.adapters import cases_repo, queue_repo, rules_repo, staff_repo
from relais_campaigns.adapters.attempts_repo import AttemptRow, insert_attempt
from relais_campaigns.domain.attempts import AttemptDraft, validate_attempt
from relais_campaigns.domain.contact_rules import (
    ContactPolicy,
    PastAttempt,
    Person,
    Rule,
    is_exhausted,
    next_allowed,
    rule_broken,
    should_escalate,
)
from relais_campaigns.domain.model import Agent, CaseSnapshot, CaseStatus, Holding
from relais_campaigns.service_layer.access import may_work_as
from relais_campaigns.service_layer.assignment import AssignmentLog, fill, give_back
from relais_campaigns.service_layer.commands import RecordAttempt
from relais_platform import outbox
from relais_platform.auth import Principal
from relais_platform.contracts import AssignmentStatus, AttemptRecorded, Channel
from relais_platform.errors import Conflict, NotFound
from relais_platform.events import envelope
from relais_platform.ids import derived_id


def _visible(case: CaseSnapshot | None, principal: Principal, case_id: uuid.UUID) -> CaseSnapshot:
    if case is None or not may_work_as(principal, agent_id=case.holding.agent_id, site_id=case.holding.site_id):
        raise NotFound(f"case {case_id} not found")
    return case


def _ensure_workable(case: CaseSnapshot) -> None:
    """409 unless an agent holds the open case; a withdrawn case is the opposition rule."""
    status = case.holding.status
    if status is CaseStatus.WITHDRAWN:
        raise Conflict("the case was withdrawn: the person may not be contacted", field="status",
                       status=str(status), rule=str(Rule.OPPOSITION))
    if status.is_closed:
        raise Conflict(f"case is {status}", field="status", status=str(status))
    if status is not CaseStatus.ASSIGNED or case.holding.agent_id is None:
        raise Conflict(f"case is {status}: no agent holds it", field="status", status=str(status))


def gate(policy: ContactPolicy, person: Person, draft: AttemptDraft) -> None:
    """The single gate before any attempt: 409 naming the rule it would break and the next allowed moment."""
    broken = rule_broken(policy, person, channel=draft.channel, at=draft.attempted_at)
    if broken is None:
        return
    allowed = next_allowed(policy, person, channel=draft.channel, after=draft.attempted_at)
    raise Conflict(f"contact rule {broken.rule}: {broken.message}", field="attempted_at", rule=str(broken.rule),
                   next_allowed_at=allowed.isoformat() if allowed else None)


async def record_attempt(*, conn: asyncpg.Connection, cmd: RecordAttempt, principal: Principal,
                         now: datetime) -> AttemptRow:
    """Record an attempt the contact rules allow, by the agent holding the case (or on their behalf),
    publish AttemptRecorded; then escalate a phone case to a visit after N failed calls or a wrong number,
    and close it as exhausted when no allowed contact remains before its campaign ends."""
    seen = _visible(await cases_repo.get_case(conn, case_id=cmd.case_id), principal, cmd.case_id)
    site_ids = [seen.holding.site_id] if seen.holding.site_id else []
    agents = await staff_repo.lock_agents(conn, site_ids=site_ids) if site_ids else []  # agents before cases
    case = _visible(await cases_repo.get_case(conn, case_id=cmd.case_id, lock="update"), principal, cmd.case_id)
    _ensure_workable(case)
    draft = AttemptDraft(result=cmd.result, channel=cmd.channel or case.queued.channel,
                         attempted_at=cmd.attempted_at or now, callback_at=cmd.callback_at,
                         callback_open_to_site=cmd.callback_open_to_site)
    validate_attempt(draft, now=now, has_phone=case.has_phone, has_address=case.has_address)
    partner = case.holding.partner_id
    policy = (await rules_repo.policies_for(conn, partner_ids=[partner]))[partner]
    await rules_repo.lock_person(conn, person_key=case.person_key)  # after agents and case: one lock order
    person = Person(time_zone=case.time_zone, department=case.department,
                    history=await rules_repo.history(conn, person_key=case.person_key))
    gate(policy, person, draft)
    attempt = await _store(conn, case=case, draft=draft, cmd=cmd, principal=principal, now=now)
    done = PastAttempt(draft.attempted_at, draft.result, draft.channel, cmd.case_id)
    after = replace(person, history=(*person.history, done))
    log = AssignmentLog(now=now)
    channel = case.queued.channel
    if channel is Channel.PHONE and should_escalate(policy, after.history, has_address=case.has_address,
                                                    case_id=cmd.case_id):
        channel = await escalate(conn, case_id=case.holding.case_id, agents=agents, log=log)
    if is_exhausted(policy, after, channel=channel, after=max(now, draft.attempted_at),
                    campaign_ends_on=case.campaign_ends_on):
        await exhaust(conn, case_id=case.holding.case_id, agents=agents, log=log, ends_on=case.campaign_ends_on)
    await outbox.enqueue_encoded(conn, log.events)
    return attempt


async def _store(conn: asyncpg.Connection, *, case: CaseSnapshot, draft: AttemptDraft, cmd: RecordAttempt,
                 principal: Principal, now: datetime) -> AttemptRow:
    holding = case.holding
    assert holding.agent_id is not None and holding.site_id is not None  # checked by _ensure_workable
    attempt = AttemptRow(
        attempt_id=uuid.uuid4(), case_id=cmd.case_id, agent_id=holding.agent_id, site_id=holding.site_id,
        channel=str(draft.channel), result=str(draft.result), attempted_at=draft.attempted_at,
        callback_at=draft.callback_at, note=cmd.note, recorded_by=principal.sub, recorded_at=now,
        callback_open_to_site=draft.callback_open_to_site)
    await insert_attempt(conn, attempt=attempt)
    data = AttemptRecorded(
        attempt_id=attempt.attempt_id, case_id=attempt.case_id, partner_id=holding.partner_id,
        campaign_id=holding.campaign_id, agent_id=attempt.agent_id, site_id=attempt.site_id,
        channel=draft.channel, result=draft.result, attempted_at=attempt.attempted_at,
        callback_at=attempt.callback_at)
    event_id = derived_id("attempt_recorded", attempt.attempt_id)
    await outbox.enqueue(conn, [envelope(data, source=SOURCE, event_id=event_id, time=now)])
    return attempt


async def escalate(conn: asyncpg.Connection, *, case_id: uuid.UUID, agents: Sequence[Agent],
                   log: AssignmentLog) -> Channel:
    """Make a held phone case a door-to-door visit: it stays with its holder when they visit, else it goes
    back to the site's queue and to an agent who visits (agents of the site already locked)."""
    door = Channel.DOOR_TO_DOOR
    holding = await queue_repo.escalate(conn, case_id=case_id, now=log.now)
    if holding is None:
        return door
    holder = next((a for a in agents if a.agent_id == holding.agent_id), None)
    if holder is not None and holder.active and door in holder.channels:
        log.record(holding, AssignmentStatus.ASSIGNED, "escalated to door_to_door", door)
    else:
        await give_back(conn, case_ids=[case_id], reason="escalated to door_to_door", log=log, channel=door)
        await fill(conn, agents=agents, log=log)
    return door


async def exhaust(conn: asyncpg.Connection, *, case_id: uuid.UUID, agents: Sequence[Agent], log: AssignmentLog,
                  ends_on: date | None) -> None:
    """Close a case no allowed contact can reach before its campaign ends (the outcomes service records it
    unreachable), and give its holder's freed slot to the queue."""
    await exhaust_cases(conn, ends_on={case_id: ends_on}, agents=agents, log=log)


async def exhaust_cases(conn: asyncpg.Connection, *, ends_on: Mapping[uuid.UUID, date | None],
                        agents: Sequence[Agent], log: AssignmentLog) -> list[Holding]:
    """Close open cases as exhausted (`ends_on`: each one's campaign end, for the reason), announce each with
    AssignmentChanged(exhausted), and give the freed slots to the queue at once (agents already locked)."""
    closed = await queue_repo.exhaust(conn, case_ids=list(ends_on))
    for holding in closed:
        end = ends_on[holding.case_id]
        reason = f"no contact allowed before the campaign ends on {end}" if end else "no contact allowed"
        log.record(holding, AssignmentStatus.EXHAUSTED, reason)
    if closed:
        await fill(conn, agents=agents, log=log)
    return closed
