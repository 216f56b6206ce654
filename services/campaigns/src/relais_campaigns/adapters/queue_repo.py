"""Site queues and holdings: who holds which case, who waits, what is handed out and given back."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime

import asyncpg

from relais_campaigns.adapters.cases_repo import HOLDING, holding_of, queued_of
from relais_campaigns.domain.assignment import Assignment
from relais_campaigns.domain.model import CaseStatus, HeldCase, Holding, QueuedCase

_QUEUED = "case_id, site_id, channel, campaign_priority, amount_due_cents, opened_at"


async def agent_loads(conn: asyncpg.Connection, *, agent_ids: Sequence[str]) -> dict[str, int]:
    """How many open cases each agent holds (kept by a trigger on cases, migration 0006)."""
    rows = await conn.fetch("SELECT agent_id, open_cases FROM agents WHERE agent_id = ANY($1::text[])",
                            list(agent_ids))
    return {r["agent_id"]: r["open_cases"] for r in rows}


async def waiting_cases(conn: asyncpg.Connection, *, slots: dict[tuple[str, str], int]) -> list[QueuedCase]:
    """The most urgent waiting cases of each (site, channel), as many as there are free slots, locked."""
    keys = sorted(slots)
    rows = await conn.fetch(
        f"SELECT w.* FROM unnest($1::text[], $2::text[], $3::int[]) AS q(site_id, channel, lim) "
        f"CROSS JOIN LATERAL (SELECT {_QUEUED} FROM cases c WHERE c.status = 'waiting' AND c.site_id = q.site_id "
        "AND c.channel = q.channel ORDER BY c.campaign_priority DESC, c.amount_due_cents DESC, c.opened_at, "
        "c.case_id LIMIT q.lim FOR NO KEY UPDATE) AS w",
        [k[0] for k in keys], [k[1] for k in keys], [slots[k] for k in keys])
    return [queued_of(r) for r in rows]


async def assign(conn: asyncpg.Connection, *, plan: Sequence[Assignment], now: datetime,
                 from_statuses: Iterable[CaseStatus] = (CaseStatus.WAITING,)) -> list[Holding]:
    """Give each planned case to its agent (only if still in one of `from_statuses`)."""
    if not plan:
        return []
    rows = await conn.fetch(
        "UPDATE cases c SET status = 'assigned', agent_id = p.agent_id, assigned_at = $3, "
        "assignment_version = c.assignment_version + 1 FROM unnest($1::uuid[], $2::text[]) AS p(case_id, agent_id) "
        "WHERE c.case_id = p.case_id AND c.status = ANY($4::text[]) RETURNING c.case_id, c.partner_id, "
        "c.campaign_id, c.status, c.site_id, c.agent_id, c.assignment_version",
        [p.case_id for p in plan], [p.agent_id for p in plan], now, [str(s) for s in from_statuses])
    return [holding_of(r) for r in rows]


async def held_cases(conn: asyncpg.Connection, *, agent_id: str) -> list[HeldCase]:
    """The open cases an agent holds, locked, with whether each was attempted already."""
    rows = await conn.fetch(
        f"SELECT {_QUEUED}, EXISTS (SELECT 1 FROM attempts a WHERE a.case_id = c.case_id) AS attempted "
        "FROM cases c WHERE agent_id = $1 AND status = 'assigned' ORDER BY case_id FOR NO KEY UPDATE", agent_id)
    return [HeldCase(case=queued_of(r), attempted=r["attempted"]) for r in rows]


async def release(conn: asyncpg.Connection, *, case_ids: Sequence[uuid.UUID]) -> list[Holding]:
    """Put held cases back in their site's queue."""
    if not case_ids:
        return []
    rows = await conn.fetch(
        "UPDATE cases SET status = 'waiting', agent_id = NULL, assigned_at = NULL, "
        "assignment_version = assignment_version + 1 WHERE case_id = ANY($1::uuid[]) AND status = 'assigned' "
        f"RETURNING {HOLDING}", list(case_ids))
    return [holding_of(r) for r in rows]


async def route(conn: asyncpg.Connection, *, case_ids: Sequence[uuid.UUID], site_id: str) -> list[Holding]:
    """Send unrouted cases to a site's queue."""
    rows = await conn.fetch(
        "UPDATE cases SET status = 'waiting', site_id = $2, assignment_version = assignment_version + 1 "
        f"WHERE case_id = ANY($1::uuid[]) AND status = 'unrouted' RETURNING {HOLDING}", list(case_ids), site_id)
    return [holding_of(r) for r in rows]


async def unrouted_covered(conn: asyncpg.Connection, *, prefixes: Sequence[str]) -> list[asyncpg.Record]:
    """Unrouted cases one of `prefixes` covers (postcode prefix, or the department when there is no postcode)."""
    return await conn.fetch(
        "SELECT case_id, postcode, department FROM cases WHERE status = 'unrouted' AND ("
        "coalesce(postcode, department) LIKE ANY (SELECT p || '%' FROM unnest($1::text[]) p) "
        "OR department = ANY($1::text[])) ORDER BY case_id FOR NO KEY UPDATE", list(prefixes))


async def escalate(conn: asyncpg.Connection, *, case_id: uuid.UUID, now: datetime) -> Holding | None:
    """Turn a held phone case into a door-to-door visit (same holder for now)."""
    row = await conn.fetchrow(
        "UPDATE cases SET channel = 'door_to_door', escalated_at = $2, assignment_version = assignment_version + 1 "
        f"WHERE case_id = $1 AND status = 'assigned' AND channel = 'phone' RETURNING {HOLDING}", case_id, now)
    return holding_of(row) if row else None


async def release_candidates(conn: asyncpg.Connection, *, now: datetime, before: datetime,
                             case_ids: Sequence[uuid.UUID] | None = None) -> list[asyncpg.Record]:
    """Held cases that may have to go back, each with `why`: `absent` (its holder is away today, in the
    site's zone), `callback` (a callback open to the site is due on a day its holder does not work) or
    `untouched` (neither assigned nor attempted since `before`, no callback still to come; with the moment
    last touched and the site's calendar, to count its open days). `case_ids`: only those cases."""
    return await conn.fetch(
        "SELECT * FROM (SELECT c.case_id, c.site_id, c.agent_id, s.time_zone, s.opening_days, s.holiday_department, "
        "greatest(c.assigned_at, c.last_attempted_at) AS last_touched, CASE "
        "WHEN EXISTS (SELECT 1 FROM absences b WHERE b.agent_id = c.agent_id "
        "  AND ($1::timestamptz AT TIME ZONE s.time_zone)::date BETWEEN b.starts_on AND b.ends_on) THEN 'absent' "
        "WHEN c.last_result = 'callback_requested' AND c.last_callback_open_to_site AND c.last_callback_at <= $1 "
        "  AND NOT (to_char($1::timestamptz AT TIME ZONE s.time_zone, 'dy') = ANY(g.working_days)) THEN 'callback' "
        "WHEN c.assigned_at <= $2 AND (c.last_attempted_at IS NULL OR c.last_attempted_at <= $2) "
        "  AND NOT (c.last_result IS NOT DISTINCT FROM 'callback_requested' AND c.last_callback_at > $1) "
        "  THEN 'untouched' END AS why "
        "FROM cases_latest_attempt c JOIN sites s ON s.site_id = c.site_id JOIN agents g ON g.agent_id = c.agent_id "
        "WHERE c.status = 'assigned' AND ($3::uuid[] IS NULL OR c.case_id = ANY($3::uuid[]))) r "
        "WHERE why IS NOT NULL ORDER BY case_id", now, before, None if case_ids is None else list(case_ids))


async def exhaust(conn: asyncpg.Connection, *, case_ids: Sequence[uuid.UUID]) -> list[Holding]:
    """Close open cases as exhausted (their holders' slots are free again), in case_id order."""
    rows = await conn.fetch(
        "UPDATE cases SET status = 'exhausted', assignment_version = assignment_version + 1 "
        f"WHERE case_id = ANY($1::uuid[]) AND status IN ('assigned', 'waiting') RETURNING {HOLDING}",
        sorted(case_ids))
    return sorted((holding_of(r) for r in rows), key=lambda h: h.case_id)


async def exhaust_unrouted(conn: asyncpg.Connection, *, now: datetime) -> list[tuple[Holding, date]]:
    """Close as exhausted the unrouted cases whose campaign ended before today on the customer's calendar (no
    site ever covered them in time), in case_id order, each with its campaign's end."""
    rows = await conn.fetch(
        "UPDATE cases SET status = 'exhausted', assignment_version = assignment_version + 1 "
        "WHERE status = 'unrouted' AND campaign_ends_on < ($1::timestamptz AT TIME ZONE time_zone)::date "
        f"RETURNING {HOLDING}, campaign_ends_on", now)
    return sorted(((holding_of(r), r["campaign_ends_on"]) for r in rows), key=lambda found: found[0].case_id)


async def exhaustion_candidates(conn: asyncpg.Connection, *, now: datetime, calendar_days: int, lookback_days: int,
                                case_ids: Sequence[uuid.UUID] | None = None) -> list[asyncpg.Record]:
    """Open cases (held or waiting) whose campaign may end before their next lawful moment: it ends within
    `calendar_days` of today (customer's zone), or within `lookback_days` more when an attempt on their person
    in the last `lookback_days` may still hold them back (refusal, count, gap). `recent` says which. With
    `case_ids`: only those, locked."""
    lock = " ORDER BY c.case_id FOR NO KEY UPDATE OF c" if case_ids is not None else ""
    return await conn.fetch(
        "SELECT * FROM (SELECT c.case_id, c.partner_id, c.site_id, c.channel, c.time_zone, c.department, "
        "c.campaign_ends_on, c.person_key, c.campaign_ends_on - ($1::timestamptz AT TIME ZONE c.time_zone)::date "
        "  AS days_left, EXISTS (SELECT 1 FROM attempts a WHERE a.person_key = c.person_key "
        "  AND a.attempted_at > $1::timestamptz - make_interval(days => $3::int)) AS recent "
        "FROM cases c WHERE c.status IN ('assigned', 'waiting') AND c.campaign_ends_on IS NOT NULL "
        "AND c.campaign_ends_on < ($1::timestamptz AT TIME ZONE c.time_zone)::date + $2::int + $3::int "
        f"AND ($4::uuid[] IS NULL OR c.case_id = ANY($4::uuid[])){lock}) r "
        "WHERE days_left < $2::int OR recent", now, calendar_days, lookback_days,
        None if case_ids is None else sorted(case_ids))
