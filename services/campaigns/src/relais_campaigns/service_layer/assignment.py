"""Handing out capacity: fill a site's free slots from its queue, give back cases, and publish
every change of holder as an AssignmentChanged event.

Every transaction that hands out or frees an agent's capacity first locks the agents concerned
(staff_repo.lock_agents, in agent_id order), then touches cases: one lock order everywhere.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace
from datetime import datetime

import asyncpg
import orjson

from relais_campaigns import SOURCE
from relais_campaigns.adapters import queue_repo, staff_repo
from relais_campaigns.adapters.cases_repo import NewCase
from relais_campaigns.domain.assignment import Assignment, free_slots, plan_assignments, plan_others_first
from relais_campaigns.domain.model import Agent, AgentLoad, CaseStatus, Holding, QueuedCase
from relais_platform.contracts import AssignmentChanged, AssignmentStatus, Channel
from relais_platform.events import EnvelopeFrame, moment_json
from relais_platform.ids import name_id_text
from relais_platform.outbox import EncodedEvent
from relais_platform.tuples import maker

_encoded_event = maker(EncodedEvent)  # one per case on hot paths (relais_platform.tuples)
_QUEUE_STATUS = {CaseStatus.WAITING: AssignmentStatus.WAITING, CaseStatus.UNROUTED: AssignmentStatus.UNROUTED}


def _text(value: object) -> str:
    """`value` as JSON (asyncpg's UUIDs as their text)."""
    return orjson.dumps(value, default=str).decode()


def assignment_event_id(case_id: str, version: int, status: AssignmentStatus) -> str:
    """Deterministic: the same change of the same case always gets the same event id, so re-running a transaction
    (redelivery, retry) never publishes a change twice. `derived_id("assignment", case_id, version, status)` as text,
    without building UUID objects (this runs for every case of a batch; the outbox takes the id as text)."""
    return name_id_text("assignment|" + case_id + "|" + str(version) + "|" + status)  # a StrEnum: its value


class AssignmentLog:
    """The AssignmentChanged events of one transaction, in the order the changes happened, serialised at
    once as the contract model would: the envelope's fixed parts written once per transaction (`EnvelopeFrame`),
    the data after the case id once per distinct change (partner, campaign, status, site, agent, channel, reason:
    a transaction meets a few), so a case costs its ids and a few byte joins (this runs once per case on hot
    paths)."""

    def __init__(self, *, now: datetime) -> None:
        self.now = now
        self.events: list[EncodedEvent] = []
        self._frame = EnvelopeFrame(event_type=AssignmentChanged.event_type, source=SOURCE, time=now)
        self._changed_at = moment_json(now)
        self._rests: dict[tuple[object, ...], bytes] = {}  # a change's data after its case id, per distinct change

    def record(self, holding: Holding, status: AssignmentStatus, reason: str | None = None,
               channel: Channel | None = None) -> None:
        """Note that `holding` is now in `status` (and, on escalation, worked on `channel`)."""
        self.events.append(self.encode(holding, status, reason, channel))

    def arrival(self, case: NewCase) -> EncodedEvent | None:
        """The event announcing a new case row (assigned, waiting or unrouted), not recorded yet; None when it
        arrived closed. It is a one-off for the outbox: only the insert that adds the case announces it."""
        state = AssignmentStatus.ASSIGNED if case.status is CaseStatus.ASSIGNED else _QUEUE_STATUS.get(case.status)
        if state is None:
            return None
        return self._encoded(str(case.case_id), case.partner_id, case.campaign_id, case.site_id, case.agent_id,
                             case.assignment_version, state, None, None, dedupe=False)

    def encode(self, holding: Holding, status: AssignmentStatus, reason: str | None = None,
               channel: Channel | None = None, *, dedupe: bool = True) -> EncodedEvent:
        """The AssignmentChanged of `holding` now in `status`, serialised (`dedupe`: see outbox.EncodedEvent)."""
        return self._encoded(str(holding.case_id), holding.partner_id, holding.campaign_id, holding.site_id,
                             holding.agent_id, holding.version, status, reason, channel, dedupe=dedupe)

    def _encoded(self, subject: str, partner_id: str, campaign_id: uuid.UUID, site_id: str | None,
                 agent_id: str | None, version: int, status: AssignmentStatus, reason: str | None,
                 channel: Channel | None, *, dedupe: bool) -> EncodedEvent:
        event_id = assignment_event_id(subject, version, status)
        agent = agent_id if status is AssignmentStatus.ASSIGNED else None
        key = (partner_id, campaign_id, status, site_id, agent, channel, reason)
        rest = self._rests.get(key)
        if rest is None:
            rest = self._rests[key] = (
                f'","partner_id":{_text(partner_id)},"campaign_id":{_text(campaign_id)},"status":"{status.value}",'
                f'"site_id":{_text(site_id)},"agent_id":{_text(agent)},"channel":{_text(channel)},'
                f'"reason":{_text(reason)},"changed_at":{self._changed_at}}}').encode()
        data = b'{"case_id":"' + subject.encode() + rest
        return _encoded_event((event_id, AssignmentChanged.topic, subject,
                               self._frame.encode(event_id, subject, data), dedupe))

    def record_state(self, holdings: Iterable[Holding], *, except_ids: set[uuid.UUID],
                     reason: str | None = None) -> None:
        """Publish the current queue state (waiting/unrouted) of cases no later change superseded."""
        for holding in holdings:
            if holding.case_id not in except_ids and holding.status in _QUEUE_STATUS:
                self.record(holding, _QUEUE_STATUS[holding.status], reason)


async def _with_load(conn: asyncpg.Connection, *, agents: Sequence[Agent], now: datetime) -> list[AgentLoad]:
    """The locked `agents` with the open cases each holds; an agent away today takes nothing."""
    away = await staff_repo.absent_agents(conn, agent_ids=[a.agent_id for a in agents], now=now)
    loads = await queue_repo.agent_loads(conn, agent_ids=[a.agent_id for a in agents])
    return [AgentLoad(agent=replace(a, active=False) if a.agent_id in away else a, load=loads.get(a.agent_id, 0))
            for a in agents]


async def fill(conn: asyncpg.Connection, *, agents: Sequence[Agent], log: AssignmentLog,
               others_first: Collection[str] = ()) -> set[uuid.UUID]:
    """Give the free capacity of `agents` (already locked) to their sites' most urgent waiting cases, the
    agents in `others_first` taking only what nobody else can; returns the ids of the cases assigned."""
    if not agents:
        return set()
    with_load = await _with_load(conn, agents=agents, now=log.now)
    slots = free_slots(with_load)
    if not slots:
        return set()
    queued = await queue_repo.waiting_cases(conn, slots=slots)
    plan = (plan_others_first(queued, with_load, last=others_first) if others_first
            else plan_assignments(queued, with_load))
    assigned = await queue_repo.assign(conn, plan=plan, now=log.now)
    for holding in assigned:
        log.record(holding, AssignmentStatus.ASSIGNED)
    return {h.case_id for h in assigned}


async def plan_arrivals(conn: asyncpg.Connection, *, agents: Sequence[Agent], arriving: Sequence[QueuedCase],
                        now: datetime) -> tuple[dict[uuid.UUID, str], list[Assignment]]:
    """Plan the free capacity of `agents` (already locked) over their sites' queues and the cases arriving
    now, as `fill` would once the arrivals were queued: returns the agent of each arriving case that gets
    one (to insert it assigned) and the assignments of cases already queued (to apply)."""
    if not agents:
        return {}, []
    with_load = await _with_load(conn, agents=agents, now=now)
    slots = free_slots(with_load)
    if not slots:
        return {}, []
    queued = await queue_repo.waiting_cases(conn, slots=slots)
    queued_ids = {q.case_id for q in queued}
    plan = plan_assignments([*queued, *(a for a in arriving if a.case_id not in queued_ids)], with_load)
    placed = {p.case_id: p.agent_id for p in plan if p.case_id not in queued_ids}
    return placed, [p for p in plan if p.case_id in queued_ids]


async def give_back(conn: asyncpg.Connection, *, case_ids: Sequence[uuid.UUID], reason: str,
                    log: AssignmentLog, channel: Channel | None = None) -> list[Holding]:
    """Return held cases to their site's queue, publishing `released`."""
    released = await queue_repo.release(conn, case_ids=case_ids)
    for holding in released:
        log.record(holding, AssignmentStatus.RELEASED, reason, channel)
    return released
