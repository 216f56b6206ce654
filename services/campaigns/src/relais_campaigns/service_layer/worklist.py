"""An agent's day: only the cases the contact rules allow that day, each with the next moment it may be
worked; calls by callback time and priority, visits as a route."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from pydantic import BaseModel

from relais_campaigns.adapters import rules_repo, staff_repo, views_repo
from relais_campaigns.adapters.cases_repo import queued_of
from relais_campaigns.domain.availability import Absence, SiteCalendar, weekday_numbers, works_on
from relais_campaigns.domain.contact_rules import Person, next_allowed
from relais_campaigns.domain.route import Stop, route_order
from relais_campaigns.domain.worklist import WorkItem, day_window, worklist_order
from relais_campaigns.service_layer.access import may_work_as
from relais_platform.auth import Principal
from relais_platform.contracts import Channel
from relais_platform.errors import NotFound


class CustomerView(BaseModel):
    """The person to contact (personal data: shown to the agent holding the case and their supervisors)."""

    first_name: str
    last_name: str
    phone_e164: str | None
    phone_kind: str | None
    address: dict[str, Any] | None


class WorklistEntry(BaseModel):
    """One call or visit of the day, with the first moment the contact rules allow it."""

    case_id: uuid.UUID
    external_ref: str
    partner_id: str
    campaign_id: uuid.UUID
    channel: str
    customer: CustomerView
    customer_time_zone: str
    next_allowed_at: datetime
    area: str | None
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
    """An agent's calls (callbacks due first, then by priority) and visits (as a route) for one day;
    `works` is false (and the lists empty) on a day the site is closed, off for the agent, or an absence."""

    agent_id: str
    date: date
    time_zone: str
    works: bool
    calls: list[WorklistEntry]
    visits: list[WorklistEntry]


async def worklist(*, conn: asyncpg.Connection, principal: Principal, agent_id: str, day: date | None,
                   now: datetime) -> Worklist:
    """The day's list of the agent's held cases that the contact rules allow that day."""
    agent = await staff_repo.agent_calendar(conn, agent_id=agent_id)
    if agent is None or not may_work_as(principal, agent_id=agent_id, site_id=agent["site_id"]):
        raise NotFound(f"agent {agent_id} not found")
    zone = agent["time_zone"]
    day = day or now.astimezone(ZoneInfo(zone)).date()
    calendar = SiteCalendar(weekday_numbers(agent["opening_days"]), agent["holiday_department"])
    absences = [Absence(f, t) for f, t in zip(agent["absent_from"], agent["absent_to"], strict=True)]
    if not works_on(day, site=calendar, working_days=weekday_numbers(agent["working_days"]), absences=absences):
        return Worklist(agent_id=agent_id, date=day, time_zone=zone, works=False, calls=[], visits=[])
    entries = await _allowed_entries(conn, agent_id=agent_id, day=day, zone=zone, now=now)
    calls = [e for e in entries if e.channel == Channel.PHONE]
    visits = route_order([e for e in entries if e.channel == Channel.DOOR_TO_DOOR], _stop)
    return Worklist(agent_id=agent_id, date=day, time_zone=zone, works=True, calls=calls, visits=visits)


async def _allowed_entries(conn: asyncpg.Connection, *, agent_id: str, day: date, zone: str,
                           now: datetime) -> list[WorklistEntry]:
    """The held cases with a moment the rules allow between now (or the day's start) and the day's end,
    in work order: callbacks due first, then campaign priority, amount due and age."""
    rows = {r["case_id"]: r for r in await views_repo.worklist_rows(conn, agent_id=agent_id)}
    policies = await rules_repo.policies_for(conn, partner_ids=sorted({r["partner_id"] for r in rows.values()}))
    histories = await rules_repo.histories(conn, person_keys=sorted({r["person_key"] for r in rows.values()}))
    start, end = day_window(day, zone)
    allowed: dict[uuid.UUID, datetime] = {}
    for case_id, r in rows.items():
        person = Person(time_zone=r["time_zone"], department=r["department"], history=histories[r["person_key"]])
        after = max(start, now, r["callback_at"] or start)
        moment = next_allowed(policies[r["partner_id"]], person, channel=Channel(r["channel"]), after=after,
                              until=end)
        if moment is not None:
            allowed[case_id] = moment
    items = [WorkItem(case=queued_of(rows[c]), callback_at=rows[c]["callback_at"]) for c in allowed]
    return [_entry(rows[i.case.case_id], allowed[i.case.case_id]) for i in worklist_order(items, due_before=end)]


def _entry(row: asyncpg.Record, next_allowed_at: datetime) -> WorklistEntry:
    customer = CustomerView(first_name=row["first_name"], last_name=row["last_name"],
                            phone_e164=row["phone_e164"], phone_kind=row["phone_kind"], address=row["address"])
    skip = ("customer", "customer_time_zone", "next_allowed_at", "area")
    fields = {k: row[k] for k in WorklistEntry.model_fields if k not in skip}
    return WorklistEntry(customer=customer, customer_time_zone=row["time_zone"], next_allowed_at=next_allowed_at,
                         area=row["postcode"], **fields)


def _stop(entry: WorklistEntry) -> Stop:
    address = entry.customer.address or {}
    return Stop(key=str(entry.case_id), area=entry.area or "", street=str(address.get("line1", "")),
                latitude=address.get("latitude"), longitude=address.get("longitude"))
