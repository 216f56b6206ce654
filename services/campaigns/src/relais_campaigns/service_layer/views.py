"""Read models: an agent's worklist for a day and a site's board."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from pydantic import BaseModel

from relais_campaigns.adapters import staff_repo, views_repo
from relais_campaigns.adapters.cases_repo import queued_of
from relais_campaigns.domain.attempts import CONTACT_RESULTS, ratio
from relais_campaigns.domain.worklist import WorkItem, worklist_for_day
from relais_campaigns.service_layer.access import manages_site, may_work_as
from relais_platform.auth import Principal, Role
from relais_platform.errors import NotFound


class CustomerView(BaseModel):
    """The person to contact (personal data: shown to the agent holding the case and their supervisors)."""

    first_name: str
    last_name: str
    phone_e164: str | None
    phone_kind: str | None
    address: dict[str, Any] | None


class WorklistEntry(BaseModel):
    """One call or visit of the day."""

    case_id: uuid.UUID
    external_ref: str
    partner_id: str
    campaign_id: uuid.UUID
    channel: str
    customer: CustomerView
    customer_time_zone: str
    amount_due_cents: int
    campaign_priority: int
    debt_since: date | None
    campaign_ends_on: date | None
    opened_at: datetime
    assigned_at: datetime | None
    attempts_count: int
    last_attempt_at: datetime | None
    last_result: str | None
    callback_at: datetime | None


class Worklist(BaseModel):
    """An agent's calls and visits for one day, each list in work order (callbacks due first)."""

    agent_id: str
    date: date
    time_zone: str
    calls: list[WorklistEntry]
    visits: list[WorklistEntry]


async def worklist(*, conn: asyncpg.Connection, principal: Principal, agent_id: str, day: date | None,
                   now: datetime) -> Worklist:
    """The day's list of the agent's held cases; callbacks asked for a later day are left out."""
    agent = await staff_repo.get_agent(conn, agent_id=agent_id)
    if agent is None or not may_work_as(principal, agent_id=agent_id, site_id=agent["site_id"]):
        raise NotFound(f"agent {agent_id} not found")
    site = await staff_repo.get_site(conn, site_id=agent["site_id"])
    assert site is not None  # agents.site_id references sites
    zone = site["time_zone"]
    day = day or now.astimezone(ZoneInfo(zone)).date()
    rows = {r["case_id"]: r for r in await views_repo.worklist_rows(conn, agent_id=agent_id)}
    items = [WorkItem(case=queued_of(r), callback_at=r["callback_at"]) for r in rows.values()]
    ordered = [_entry(rows[i.case.case_id]) for i in worklist_for_day(items, day=day, zone=zone)]
    return Worklist(agent_id=agent_id, date=day, time_zone=zone,
                    calls=[e for e in ordered if e.channel == "phone"],
                    visits=[e for e in ordered if e.channel == "door_to_door"])


def _entry(row: asyncpg.Record) -> WorklistEntry:
    customer = CustomerView(first_name=row["first_name"], last_name=row["last_name"],
                            phone_e164=row["phone_e164"], phone_kind=row["phone_kind"], address=row["address"])
    fields = {k: row[k] for k in WorklistEntry.model_fields if k not in ("customer", "customer_time_zone")}
    return WorklistEntry(customer=customer, customer_time_zone=row["time_zone"], **fields)


class BoardAgent(BaseModel):
    """One agent's progress."""

    agent_id: str
    display_name: str
    active: bool
    channels: list[str]
    capacity: int
    assigned_open: int
    attempted: int
    reached: int
    resolved: int


class Board(BaseModel):
    """A site's progress. `contact_rate` = cases reached / cases attempted; `resolution_rate` = cases
    resolved / cases the site received (waiting, held or resolved). `unrouted` counts cases no site
    covers, network-wide: only admins see it (it belongs to no site), supervisors get null."""

    site_id: str
    as_of: datetime
    agents: list[BoardAgent]
    waiting: int
    assigned: int
    resolved: int
    attempted: int
    reached: int
    unrouted: int | None
    contact_rate: float
    resolution_rate: float


async def board(*, conn: asyncpg.Connection, principal: Principal, site_id: str, now: datetime) -> Board:
    """Per-agent and site-wide progress of a site."""
    if not manages_site(principal, site_id) or await staff_repo.get_site(conn, site_id=site_id) is None:
        raise NotFound(f"site {site_id} not found")
    results = sorted(str(r) for r in CONTACT_RESULTS)
    agents = [BoardAgent(capacity=r["daily_capacity"], **{k: r[k] for k in BoardAgent.model_fields if k != "capacity"})
              for r in await views_repo.board_agents(conn, site_id=site_id, contact_results=results)]
    t = await views_repo.board_totals(conn, site_id=site_id, contact_results=results)
    received = t["waiting"] + t["assigned"] + t["resolved"]
    unrouted = await views_repo.unrouted_count(conn) if principal.role is Role.ADMIN else None
    return Board(site_id=site_id, as_of=now.astimezone(UTC), agents=agents, waiting=t["waiting"],
                 assigned=t["assigned"], resolved=t["resolved"], attempted=t["attempted"], reached=t["reached"],
                 unrouted=unrouted, contact_rate=ratio(t["reached"], t["attempted"]),
                 resolution_rate=ratio(t["resolved"], received))
