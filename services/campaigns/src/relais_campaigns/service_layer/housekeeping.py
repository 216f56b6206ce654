"""Periodic housekeeping (a faust timer runs it). Release: cases held by an agent who is away today, callbacks
open to the site that fall due on a day their holder does not work, and cases left untouched for N open days
of their site go back to the queue and to agents who can work them. Exhaustion: open cases the contact rules
give no moment before their campaign ends (nobody tried them, or the person's refusal, count or gap holds
them past the end) close as exhausted, as after an attempt."""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg

from relais_campaigns.adapters import queue_repo, rules_repo, staff_repo
from relais_campaigns.domain.availability import SiteCalendar, is_stale, weekday_numbers
from relais_campaigns.domain.contact_rules import CALENDAR_REACH, ContactPolicy, Person, is_exhausted, longest_hold
from relais_campaigns.domain.model import Agent
from relais_campaigns.service_layer.assignment import AssignmentLog, fill, give_back
from relais_campaigns.service_layer.attempts import exhaust_cases
from relais_platform import outbox
from relais_platform.contracts import AssignmentStatus, Channel


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
    """The periodic pass: give back cases of absent agents and untouched cases, then refill; then close as
    exhausted the open cases no lawful contact can reach before their campaign ends, and the unrouted cases
    whose campaign ended. Returns how many cases were released (the exhausted ones are announced by their
    AssignmentChanged).

    Two scans find the candidates and so the sites whose agents to lock, all at once (agents before cases);
    under the locks only those candidates are checked again (a case that qualifies meanwhile waits for the
    next pass)."""
    # Open days are counted by date in the site's zone (`is_stale`): N of them can pass in barely more than N - 1
    # days of clock time (touched at 23:00, checked just after midnight N - 1 days on); an hour more covers a
    # daylight-saving change. The bound only narrows the scan: `is_stale` decides.
    before = now - timedelta(days=after_working_days - 1) + timedelta(hours=1)
    seen = await queue_repo.release_candidates(conn, now=now, before=before)
    reach = await _reach(conn)
    doomed = await _unreachable(conn, await queue_repo.exhaustion_candidates(conn, now=now, **reach.days),
                                reach=reach, now=now)
    log, released = AssignmentLog(now=now), 0
    if seen or doomed:
        agents = await staff_repo.lock_agents(  # agents first
            conn, site_ids=sorted({r["site_id"] for r in (*seen, *doomed) if r["site_id"]}))
        released = await _release(conn, case_ids=[r["case_id"] for r in seen], agents=agents, log=log,
                                  before=before, after_working_days=after_working_days) if seen else 0
        if doomed:
            await _exhaust(conn, case_ids=[r["case_id"] for r in doomed], agents=agents, log=log, reach=reach)
    for holding, ended in await queue_repo.exhaust_unrouted(conn, now=now):  # after the agents: same lock order
        log.record(holding, AssignmentStatus.EXHAUSTED, f"no site covered its postcode before its campaign ended "
                                                        f"on {ended}")
    await outbox.enqueue_encoded(conn, log.events)
    return released


async def _release(conn: asyncpg.Connection, *, case_ids: list[uuid.UUID], agents: list[Agent], log: AssignmentLog,
                   before: datetime, after_working_days: int) -> int:
    """Give back the candidates that still qualify under the locks, then refill the sites' agents."""
    now = log.now
    found = await queue_repo.release_candidates(conn, now=now, before=before, case_ids=case_ids)
    away = [r for r in found if r["why"] == "absent"]
    callbacks = [r for r in found if r["why"] == "callback"]
    stale = _stale_ids([r for r in found if r["why"] == "untouched"], now=now, after_working_days=after_working_days)
    released = await give_back(conn, case_ids=[r["case_id"] for r in away], reason="agent absent", log=log)
    released += await give_back(conn, case_ids=[r["case_id"] for r in callbacks],
                                reason="callback due, open to the site", log=log)
    released += await give_back(conn, case_ids=[r["case_id"] for r in stale],
                                reason=f"untouched for {after_working_days} working days", log=log)
    holders = {r["agent_id"] for r in (*stale, *callbacks)}  # they take back only what nobody else can
    assigned = await fill(conn, agents=agents, log=log, others_first=holders)
    log.record_state(released, except_ids=assigned, reason="released, waiting for an agent")
    return len(released)


@dataclass(frozen=True, slots=True)
class _Reach:
    """The contract policies, and how far ahead of today a campaign's end can lie and still be out of reach."""

    policies: dict[str, ContactPolicy]
    days: dict[str, int]

    def policy(self, partner_id: str) -> ContactPolicy:
        """The partner's effective policy."""
        return self.policies.get(partner_id, ContactPolicy())


async def _reach(conn: asyncpg.Connection) -> _Reach:
    """The policies in force and the SQL filter's horizon: the calendar's reach, plus the longest hold past
    attempts can have on a person under any contract."""
    policies = await rules_repo.contract_policies(conn)
    hold = max(longest_hold(p) for p in (ContactPolicy(), *policies.values()))
    return _Reach(policies, {"calendar_days": CALENDAR_REACH.days,
                             "lookback_days": math.ceil(hold / timedelta(days=1))})


async def _unreachable(conn: asyncpg.Connection, rows: Sequence[asyncpg.Record], *, reach: _Reach,
                       now: datetime) -> list[asyncpg.Record]:
    """The candidates the contact rules give no moment before their campaign's end (customer's zone).

    Only people attempted within the lookback have a history that matters; the others are judged on the
    calendar alone, once per (policy, zone, department, channel, end)."""
    keys = sorted({r["person_key"] for r in rows if r["recent"]})
    histories = await rules_repo.histories(conn, person_keys=keys) if keys else {}
    verdicts: dict[tuple, bool] = {}
    doomed = []
    for r in rows:
        person = Person(time_zone=r["time_zone"], department=r["department"],
                        history=histories.get(r["person_key"], ()) if r["recent"] else ())
        key = (reach.policy(r["partner_id"]), person, r["channel"], r["campaign_ends_on"])
        if key not in verdicts:
            verdicts[key] = is_exhausted(key[0], person, channel=Channel(r["channel"]), after=now,
                                         campaign_ends_on=r["campaign_ends_on"])
        if verdicts[key]:
            doomed.append(r)
    return doomed


async def _exhaust(conn: asyncpg.Connection, *, case_ids: list[uuid.UUID], agents: list[Agent], log: AssignmentLog,
                   reach: _Reach) -> None:
    """Close the candidates still out of reach under the locks, exactly as the attempt path does."""
    found = await queue_repo.exhaustion_candidates(conn, now=log.now, case_ids=case_ids, **reach.days)
    doomed = await _unreachable(conn, found, reach=reach, now=log.now)
    await exhaust_cases(conn, ends_on={r["case_id"]: r["campaign_ends_on"] for r in doomed}, agents=agents, log=log)
