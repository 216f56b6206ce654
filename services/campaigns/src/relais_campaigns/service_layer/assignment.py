"""Handing out capacity: fill a site's free slots from its queue, give back cases, and publish
every change of holder as an AssignmentChanged event.

Every transaction that hands out or frees an agent's capacity first locks the agents concerned
(staff_repo.lock_agents, in agent_id order), then touches cases: one lock order everywhere.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import asyncpg

from relais_campaigns import SOURCE
from relais_campaigns.adapters import queue_repo, staff_repo
from relais_campaigns.domain.assignment import free_slots, plan_assignments
from relais_campaigns.domain.model import Agent, AgentLoad, CaseStatus, Holding
from relais_platform.contracts import AssignmentChanged, AssignmentStatus, Channel
from relais_platform.events import Envelope, envelope
from relais_platform.ids import derived_id

_QUEUE_STATUS = {CaseStatus.WAITING: AssignmentStatus.WAITING, CaseStatus.UNROUTED: AssignmentStatus.UNROUTED}


def assignment_event_id(holding: Holding, status: AssignmentStatus) -> uuid.UUID:
    """Deterministic: the same change of the same case always gets the same event id, so re-running
    a transaction (redelivery, retry) never publishes a change twice."""
    return derived_id("assignment", holding.case_id, holding.version, status)


class AssignmentLog:
    """The AssignmentChanged events of one transaction, in the order the changes happened."""

    def __init__(self, *, now: datetime) -> None:
        self.now = now
        self.events: list[Envelope[Any]] = []

    def record(self, holding: Holding, status: AssignmentStatus, reason: str | None = None,
               channel: Channel | None = None) -> None:
        """Note that `holding` is now in `status` (and, on escalation, worked on `channel`)."""
        held = status is AssignmentStatus.ASSIGNED
        data = AssignmentChanged(
            case_id=holding.case_id, partner_id=holding.partner_id, campaign_id=holding.campaign_id,
            status=status, site_id=holding.site_id, agent_id=holding.agent_id if held else None,
            channel=channel, reason=reason, changed_at=self.now)
        self.events.append(envelope(data, source=SOURCE, event_id=assignment_event_id(holding, status),
                                    time=self.now))

    def record_state(self, holdings: Iterable[Holding], *, except_ids: set[uuid.UUID],
                     reason: str | None = None) -> None:
        """Publish the current queue state (waiting/unrouted) of cases no later change superseded."""
        for holding in holdings:
            if holding.case_id not in except_ids and holding.status in _QUEUE_STATUS:
                self.record(holding, _QUEUE_STATUS[holding.status], reason)


async def fill(conn: asyncpg.Connection, *, agents: Sequence[Agent], log: AssignmentLog) -> set[uuid.UUID]:
    """Give the free capacity of `agents` (already locked) to their sites' most urgent waiting cases;
    returns the ids of the cases assigned."""
    if not agents:
        return set()
    away = await staff_repo.absent_agents(conn, agent_ids=[a.agent_id for a in agents], now=log.now)
    agents = [replace(a, active=False) if a.agent_id in away else a for a in agents]  # nothing for the absent
    loads = await queue_repo.agent_loads(conn, agent_ids=[a.agent_id for a in agents])
    with_load = [AgentLoad(agent=a, load=loads.get(a.agent_id, 0)) for a in agents]
    slots = free_slots(with_load)
    if not slots:
        return set()
    queued = await queue_repo.waiting_cases(conn, slots=slots)
    plan = plan_assignments(queued, with_load)
    assigned = await queue_repo.assign(conn, plan=plan, now=log.now)
    for holding in assigned:
        log.record(holding, AssignmentStatus.ASSIGNED)
    return {h.case_id for h in assigned}


async def give_back(conn: asyncpg.Connection, *, case_ids: Sequence[uuid.UUID], reason: str,
                    log: AssignmentLog, channel: Channel | None = None) -> list[Holding]:
    """Return held cases to their site's queue, publishing `released`."""
    released = await queue_repo.release(conn, case_ids=case_ids)
    for holding in released:
        log.record(holding, AssignmentStatus.RELEASED, reason, channel)
    return released
