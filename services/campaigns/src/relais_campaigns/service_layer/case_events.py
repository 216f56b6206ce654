"""Handlers of the events other services publish about cases: opened (from intake), resolved (from outcomes)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg
import orjson

from relais_campaigns.adapters import cases_repo, staff_repo
from relais_campaigns.adapters.cases_repo import NewCase, Resolution
from relais_campaigns.domain.model import CaseStatus, Site, channel_for
from relais_campaigns.domain.routing import site_for_postcode
from relais_campaigns.service_layer.assignment import AssignmentLog, fill
from relais_platform import outbox
from relais_platform.contracts import AssignmentStatus, CaseOpened, CaseResolved, OutcomeType
from relais_platform.db import claim_events
from relais_platform.events import Envelope


async def _claim(conn: asyncpg.Connection, consumer: str, events: Sequence[Envelope[Any]]) -> list[Envelope[Any]]:
    """The events of the batch never processed before, in batch order."""
    new = await claim_events(conn, consumer=consumer, event_ids=sorted({e.id for e in events}))
    return [e for e in events if e.id in new]  # decode_batch already kept one event per id


def closed_status(outcome: str) -> CaseStatus:
    """A recalled case is withdrawn (never contacted again); any other outcome resolves it."""
    return CaseStatus.WITHDRAWN if outcome == OutcomeType.RECALLED else CaseStatus.RESOLVED


def projection(data: CaseOpened, *, sites: Sequence[Site], early: Resolution | None) -> NewCase:
    """The case row of an opened case: routed to a site (or unrouted), or already closed by an early outcome."""
    customer = data.customer
    address = customer.address
    postcode = address.postcode if address else None
    site = site_for_postcode(postcode, customer.department, sites)
    status = closed_status(early.outcome) if early else (CaseStatus.WAITING if site else CaseStatus.UNROUTED)
    channel = channel_for(has_phone=customer.phone_e164 is not None, has_address=address is not None,
                          preference=data.channel_preference)
    return NewCase(
        case_id=data.case_id, partner_id=data.partner_id, campaign_id=data.campaign_id,
        external_ref=data.external_ref, first_name=customer.first_name, last_name=customer.last_name,
        phone_e164=customer.phone_e164, phone_kind=str(customer.phone_kind) if customer.phone_kind else None,
        address_json=orjson.dumps(address.model_dump(mode="json")).decode() if address else None,
        postcode=postcode, department=customer.department, time_zone=customer.time_zone,
        amount_due_cents=data.amount_due_cents, campaign_priority=data.campaign_priority,
        debt_since=data.debt_since, campaign_ends_on=data.campaign_ends_on, channel=str(channel),
        status=str(status), site_id=site.site_id if site else None, opened_at=data.opened_at,
        resolved_at=early.resolved_at if early else None, outcome=early.outcome if early else None)


async def open_cases(*, conn: asyncpg.Connection, events: Sequence[Envelope[CaseOpened]], consumer: str,
                     now: datetime) -> int:
    """Project new cases, route them, hand them to agents with room; one AssignmentChanged per new case
    (assigned, waiting or unrouted). Returns how many cases were new."""
    fresh = await _claim(conn, consumer, events)
    by_case = {e.data.case_id: e.data for e in reversed(fresh)}  # first event of a case wins
    if not by_case:
        return 0
    await staff_repo.lock_prefix_registry(conn, shared=True)
    await cases_repo.lock_arrivals(conn, shared=True)
    sites = await staff_repo.load_sites(conn)
    early = await cases_repo.take_early_outcomes(conn, case_ids=list(by_case))
    rows = [projection(d, sites=sites, early=early.get(cid)) for cid, d in by_case.items()]
    inserted = await cases_repo.insert_cases(conn, cases=rows)
    site_ids = sorted({h.site_id for h in inserted if h.status is CaseStatus.WAITING and h.site_id})
    log = AssignmentLog(now=now)
    agents = await staff_repo.lock_agents(conn, site_ids=site_ids) if site_ids else []
    assigned = await fill(conn, agents=agents, log=log)
    log.record_state(inserted, except_ids=assigned)
    await outbox.enqueue(conn, log.events)
    return len(inserted)


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
    await outbox.enqueue(conn, log.events)
    return len(before)
