"""Periodic release: cases held by an agent who is away today, callbacks open to the site that fall due on
a day their holder does not work, and cases left untouched for N open days of their site go back to the
queue and to agents who can work them (a faust timer runs this)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg

from relais_campaigns.adapters import queue_repo, staff_repo
from relais_campaigns.domain.availability import SiteCalendar, is_stale, weekday_numbers
from relais_campaigns.service_layer.assignment import AssignmentLog, fill, give_back
from relais_platform import outbox


def _stale_ids(rows: list[asyncpg.Record], *, now: datetime, after_working_days: int) -> list[asyncpg.Record]:
    """The candidates whose site had `after_working_days` open days since they were last touched."""
    stale = []
    for r in rows:
        zone = ZoneInfo(r["time_zone"])
        calendar = SiteCalendar(weekday_numbers(r["opening_days"]), r["holiday_department"])
        if is_stale(last_touched=r["last_touched"].astimezone(zone).date(), today=now.astimezone(zone).date(),
                    site=calendar, after_working_days=after_working_days):
            stale.append(r)
    return stale


async def release_unavailable(*, conn: asyncpg.Connection, now: datetime, after_working_days: int) -> int:
    """Give back cases of absent agents and untouched cases, then refill; returns how many were released.

    One scan finds the candidates and so the sites whose agents to lock; under the locks only those
    candidates are checked again (a case that qualifies meanwhile waits for the next pass)."""
    before = now - timedelta(days=after_working_days)  # N open days are at least N calendar days
    seen = await queue_repo.release_candidates(conn, now=now, before=before)
    if not seen:
        return 0
    agents = await staff_repo.lock_agents(conn, site_ids=sorted({r["site_id"] for r in seen}))  # agents first
    found = await queue_repo.release_candidates(conn, now=now, before=before, case_ids=[r["case_id"] for r in seen])
    away = [r for r in found if r["why"] == "absent"]
    callbacks = [r for r in found if r["why"] == "callback"]
    stale = _stale_ids([r for r in found if r["why"] == "untouched"], now=now, after_working_days=after_working_days)
    log = AssignmentLog(now=now)
    released = await give_back(conn, case_ids=[r["case_id"] for r in away], reason="agent absent", log=log)
    released += await give_back(conn, case_ids=[r["case_id"] for r in callbacks],
                                reason="callback due, open to the site", log=log)
    released += await give_back(conn, case_ids=[r["case_id"] for r in stale],
                                reason=f"untouched for {after_working_days} working days", log=log)
    holders = {r["agent_id"] for r in (*stale, *callbacks)}  # they take back only what nobody else can
    assigned = await fill(conn, agents=agents, log=log, others_first=holders)
    log.record_state(released, except_ids=assigned, reason="released, waiting for an agent")
    await outbox.enqueue_encoded(conn, log.events)
    return len(released)
