"""Read models: an agent's worklist and a site's board."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

# The cases a site's agents hold, found through cases_held (an agent holds cases of their own site only).
_HELD_AT_SITE = ("status = 'assigned' AND site_id = $1 "
                 "AND agent_id = ANY(ARRAY(SELECT agent_id FROM agents WHERE site_id = $1))")


async def worklist_rows(conn: asyncpg.Connection, *, agent_id: str) -> list[asyncpg.Record]:
    """The open cases an agent holds, with their attempt history summarised (at most their capacity)."""
    return await conn.fetch(
        "SELECT c.case_id, c.external_ref, c.partner_id, c.campaign_id, c.first_name, c.last_name, c.phone_e164, "
        "c.phone_kind, c.address, c.site_id, c.channel, c.amount_due_cents, c.campaign_priority, c.debt_since, "
        "c.campaign_ends_on, c.opened_at, c.assigned_at, c.time_zone, c.department, c.postcode, c.person_key, "
        "coalesce(s.attempts_count, 0) AS attempts_count, s.last_attempt_at, c.last_result, "
        "CASE WHEN c.last_result = 'callback_requested' THEN c.last_callback_at END AS callback_at "
        "FROM cases_latest_attempt c "
        "LEFT JOIN LATERAL (SELECT count(*) AS attempts_count, max(attempted_at) AS last_attempt_at "
        "  FROM attempts a WHERE a.case_id = c.case_id) s ON true "
        "WHERE c.agent_id = $1 AND c.status = 'assigned'", agent_id)


async def board_agents(conn: asyncpg.Connection, *, site_id: str,
                       contact_results: Sequence[str]) -> list[asyncpg.Record]:
    """Per agent of the site: capacity, open cases held, cases attempted, reached and resolved."""
    return await conn.fetch(
        "SELECT g.agent_id, g.display_name, g.active, g.daily_capacity, g.channels, "
        "(SELECT count(*) FROM cases c WHERE c.agent_id = g.agent_id AND c.status = 'assigned' "
        "  AND c.site_id = $1) AS assigned_open, coalesce(r.resolved, 0) AS resolved, "
        "coalesce(t.attempted, 0) AS attempted, coalesce(t.reached, 0) AS reached "
        "FROM agents g "
        "LEFT JOIN (SELECT agent_id, count(*) AS resolved FROM cases WHERE site_id = $1 AND status = 'resolved' "
        "  GROUP BY agent_id) r ON r.agent_id = g.agent_id "
        "LEFT JOIN (SELECT agent_id, count(DISTINCT case_id) AS attempted, "
        "  count(DISTINCT case_id) FILTER (WHERE result = ANY($2::text[])) AS reached "
        "  FROM attempts WHERE site_id = $1 GROUP BY agent_id) t ON t.agent_id = g.agent_id "
        "WHERE g.site_id = $1 ORDER BY g.agent_id", site_id, list(contact_results))


async def board_totals(conn: asyncpg.Connection, *, site_id: str, contact_results: Sequence[str]) -> asyncpg.Record:
    """Site-wide counts: cases by status, and distinct cases attempted and reached."""
    row = await conn.fetchrow(
        "SELECT (SELECT count(*) FROM cases WHERE site_id = $1 AND status = 'waiting') AS waiting, "
        f"(SELECT count(*) FROM cases WHERE {_HELD_AT_SITE}) AS assigned, "
        "(SELECT count(*) FROM cases WHERE site_id = $1 AND status = 'resolved') AS resolved, "
        "(SELECT count(DISTINCT case_id) FROM attempts WHERE site_id = $1) AS attempted, "
        "(SELECT count(DISTINCT case_id) FROM attempts WHERE site_id = $1 AND result = ANY($2::text[])) AS reached",
        site_id, list(contact_results))
    assert row is not None
    return row


async def callbacks_due(conn: asyncpg.Connection, *, site_id: str, now: datetime) -> dict[str, int]:
    """Per agent of the site: held cases whose customer asked to be called back by `now`."""
    rows = await conn.fetch(
        f"SELECT agent_id, count(*) AS n FROM cases_latest_attempt WHERE {_HELD_AT_SITE} "
        "AND last_result = 'callback_requested' AND last_callback_at <= $2 GROUP BY agent_id", site_id, now)
    return {r["agent_id"]: r["n"] for r in rows}


async def unrouted_count(conn: asyncpg.Connection) -> int:
    """Cases no site covers, network-wide."""
    return int(await conn.fetchval("SELECT count(*) FROM cases WHERE status = 'unrouted'"))
