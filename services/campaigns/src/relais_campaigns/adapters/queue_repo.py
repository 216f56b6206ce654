"""Site queues and holdings: who holds which case, who waits, what is handed out and given back."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime

import asyncpg

from relais_campaigns.adapters.cases_repo import HOLDING, holding_of, queued_of
from relais_campaigns.domain.assignment import Assignment
from relais_campaigns.domain.model import CaseStatus, HeldCase, Holding, QueuedCase

_QUEUED = "case_id, site_id, channel, campaign_priority, amount_due_cents, opened_at"


async def agent_loads(conn: asyncpg.Connection, *, agent_ids: Sequence[str]) -> dict[str, int]:
    """How many open cases each agent holds."""
    rows = await conn.fetch("SELECT agent_id, count(*) AS n FROM cases WHERE status = 'assigned' "
                            "AND agent_id = ANY($1::text[]) GROUP BY agent_id", list(agent_ids))
    return {r["agent_id"]: r["n"] for r in rows}


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
