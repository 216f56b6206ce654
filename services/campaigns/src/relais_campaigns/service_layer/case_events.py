"""Handlers of the events other services publish about cases: opened (from intake), resolved (from outcomes)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

import asyncpg

from relais_campaigns.adapters import cases_repo, queue_repo, staff_repo
from relais_campaigns.adapters.cases_repo import NewCase, Resolution
from relais_campaigns.adapters.opened_codec import OpenedCase
from relais_campaigns.domain.model import CaseStatus, QueuedCase, channel_for
from relais_campaigns.domain.person import person_key
from relais_campaigns.domain.routing import PostcodeRouter
from relais_campaigns.service_layer.assignment import AssignmentLog, fill, plan_arrivals
from relais_platform import outbox
from relais_platform.contracts import AssignmentStatus, CaseResolved, Channel, OutcomeType
from relais_platform.db import claim_events
from relais_platform.events import Envelope
from relais_platform.outbox import EncodedEvent
from relais_platform.tuples import maker


async def _claim(conn: asyncpg.Connection, consumer: str, events: Sequence[Envelope[Any]]) -> list[Envelope[Any]]:
    """The events of the batch never processed before, in batch order."""
    new = await claim_events(conn, consumer=consumer, event_ids=sorted({e.id for e in events}))
    return [e for e in events if e.id in new]  # decode_batch already kept one event per id


def closed_status(outcome: str) -> CaseStatus:
    """A recalled case is withdrawn (never contacted again); any other outcome resolves it."""
    return CaseStatus.WITHDRAWN if outcome == OutcomeType.RECALLED else CaseStatus.RESOLVED


class Placement(NamedTuple):
    """Where an opened case goes: its status on arrival, how it is worked, the site that covers it."""

    case: OpenedCase
    status: CaseStatus
    channel: Channel
    site_id: str | None
    early: Resolution | None


# One of each per opened case: built without the Python frame of their generated __new__ (relais_platform.tuples).
_placement, _new_case, _queued_case = maker(Placement), maker(NewCase), maker(QueuedCase)


def placement(case: OpenedCase, *, router: PostcodeRouter, early: Resolution | None) -> Placement:
    """Routed to a site (or unrouted), or already closed by an outcome that arrived first."""
    site = router.site_for(case.postcode, case.department)
    status = closed_status(early.outcome) if early else (CaseStatus.WAITING if site else CaseStatus.UNROUTED)
    preference = Channel(case.channel_preference) if case.channel_preference else None
    channel = channel_for(has_phone=case.phone_e164 is not None, has_address=case.address is not None,
                          preference=preference)
    return _placement((case, status, channel, site.site_id if site else None, early))


def new_case(p: Placement, *, agent_id: str | None, now: datetime) -> NewCase:
    """The projection row of a placed case, handed to `agent_id` at once when one takes it."""
    c = p.case
    return _new_case((
        c.case_id, c.partner_id, c.campaign_id, c.external_ref, c.first_name, c.last_name, c.phone_e164,
        c.phone_kind, c.address, c.postcode,
        c.department, c.time_zone, c.amount_due_cents, c.campaign_priority, c.debt_since, c.campaign_ends_on,
        p.channel, CaseStatus.ASSIGNED if agent_id else p.status, p.site_id, agent_id,
        2 if agent_id else 1, now if agent_id else None, c.opened_at, p.early.resolved_at if p.early else None,
        p.early.outcome if p.early else None,
        person_key(case_id=c.case_id, phone_e164=c.phone_e164, address=c.address, last_name=c.last_name)))


def _queued(p: Placement) -> QueuedCase:
    c = p.case
    return _queued_case((c.case_id, p.site_id, p.channel, c.campaign_priority, c.amount_due_cents, c.opened_at))


def _first_of_each_case(cases: Sequence[OpenedCase]) -> list[OpenedCase]:
    """The first event of each case of the batch.

    Cases the projection holds already (a redelivery, a replay, a second worker racing on one event) are not
    looked up first: the case row is the record that an event was applied, so inserting it finds it (the savepoint
    rolls back and the rows are inserted skipping known ones) and the slots planned for it are refilled. A look-up
    of every case of every batch, for what almost never happens, cost ~1.5 µs a case."""
    first: dict[uuid.UUID, OpenedCase] = {}
    for case in cases:
        first.setdefault(case.case_id, case)
    return list(first.values())


async def open_cases(*, conn: asyncpg.Connection, cases: Sequence[OpenedCase], consumer: str,
                     now: datetime) -> int:
    """Project new cases, route them, hand them to agents with room; one AssignmentChanged per new case
    (assigned, waiting or unrouted). Returns how many cases were new.

    A case an agent takes on arrival is inserted assigned (one write), planned together with its site's
    queue exactly as if it had been queued first."""
    fresh = _first_of_each_case(cases)
    if not fresh:
        return 0
    await staff_repo.lock_prefix_registry(conn, shared=True)
    await cases_repo.lock_arrivals(conn, shared=True)
    router = PostcodeRouter(await staff_repo.load_sites(conn))
    early = await cases_repo.take_early_outcomes(conn, case_ids=[c.case_id for c in fresh])
    placed = [placement(c, router=router, early=early.get(c.case_id)) for c in fresh]
    queued = [_queued(p) for p in placed if p.status is CaseStatus.WAITING]
    site_ids = sorted({q.site_id for q in queued if q.site_id})
    agents = await staff_repo.lock_agents(conn, site_ids=site_ids) if site_ids else []
    taken_by, plan = await plan_arrivals(conn, agents=agents, arriving=queued, now=now)
    log = AssignmentLog(now=now)
    inserted, announced = await _insert_announced(conn, rows=[
        new_case(p, agent_id=taken_by.get(p.case.case_id), now=now) for p in placed], log=log)
    for holding in await queue_repo.assign(conn, plan=plan, now=now):
        log.record(holding, AssignmentStatus.ASSIGNED)
    refilled: set[uuid.UUID] = set()
    if taken_by.keys() - inserted:  # a case planned here existed already: its slot is still free
        refilled = await fill(conn, agents=agents, log=log)
    log.events.extend(event for case_id, event in announced.items() if case_id not in refilled)
    await outbox.enqueue_encoded(conn, log.events)
    return len(inserted)


async def _insert_announced(conn: asyncpg.Connection, *, rows: Sequence[NewCase],
                            log: AssignmentLog) -> tuple[set[uuid.UUID], dict[uuid.UUID, EncodedEvent]]:
    """Insert new cases; returns the ids inserted and the event announcing each."""
    inserted = await cases_repo.insert_new(conn, cases=rows)
    announced = {r.case_id: log.arrival(r) for r in rows if r.case_id in inserted}
    return inserted, {case_id: e for case_id, e in announced.items() if e is not None}


def _latest(events: Sequence[Envelope[CaseResolved]]) -> list[Resolution]:
    """One resolution per case: the last of the batch (a correction supersedes the first outcome)."""
    by_case = {e.data.case_id: Resolution(e.data.case_id, str(e.data.outcome), e.data.resolved_at) for e in events}
    return list(by_case.values())


async def resolve_cases(*, conn: asyncpg.Connection, events: Sequence[Envelope[CaseResolved]], consumer: str,
                        now: datetime) -> int:
    """Close resolved cases, which frees their agents' capacity, and hand that capacity to waiting cases
    at once. An outcome for a case not seen yet is kept until the case arrives. Returns cases closed."""
    resolutions = _latest(await _claim(conn, consumer, events))
    if not resolutions:
        return 0
    case_ids = [r.case_id for r in resolutions]
    known = await cases_repo.known_case_ids(conn, case_ids=case_ids)
    if len(known) < len(case_ids):
        await cases_repo.lock_arrivals(conn, shared=False)  # cases being opened right now commit first
        known = await cases_repo.known_case_ids(conn, case_ids=case_ids)
    site_ids = await cases_repo.sites_holding(conn, case_ids=case_ids)
    agents = await staff_repo.lock_agents(conn, site_ids=site_ids) if site_ids else []
    before = await cases_repo.mark_resolved(conn, resolutions=resolutions)
    freed = {h.site_id for h in before if h.status is CaseStatus.ASSIGNED and h.site_id}
    if not freed <= set(site_ids):  # a case was assigned meanwhile: lock its site too
        agents = await staff_repo.lock_agents(conn, site_ids=sorted(freed | set(site_ids)))
    await cases_repo.store_early_outcomes(conn, resolutions=[r for r in resolutions if r.case_id not in known])
    log = AssignmentLog(now=now)
    recalled = {r.case_id for r in resolutions if r.outcome == OutcomeType.RECALLED}
    for holding in before:
        if holding.case_id in recalled:
            log.record(holding, AssignmentStatus.WITHDRAWN, "recalled by the partner")
    await fill(conn, agents=[a for a in agents if a.site_id in freed], log=log)
    await outbox.enqueue_encoded(conn, log.events)
    return len(before)
