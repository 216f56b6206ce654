"""Sites and agents in PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

from relais_campaigns.domain.availability import Absence
from relais_campaigns.domain.model import Agent, AgentProfile, Site
from relais_platform.contracts import Channel

_AGENT_COLUMNS = ("agent_id, site_id, display_name, channels, daily_capacity, languages, active, working_days, "
                  "created_at, updated_at")
_SITE_COLUMNS = "site_id, name, postcode_prefixes, time_zone, opening_days, holiday_department, created_at, updated_at"


def site_of(row: asyncpg.Record) -> Site:
    """The domain site of a row."""
    return Site(site_id=row["site_id"], postcode_prefixes=tuple(row["postcode_prefixes"]),
                time_zone=row["time_zone"], name=row["name"], opening_days=tuple(row["opening_days"]),
                holiday_department=row["holiday_department"])


def profile_of(row: asyncpg.Record, *, absences: Sequence[Absence] = ()) -> AgentProfile:
    """The editable profile of an agent row (with its absences, loaded apart)."""
    return AgentProfile(site_id=row["site_id"], display_name=row["display_name"],
                        channels=tuple(Channel(c) for c in row["channels"]), daily_capacity=row["daily_capacity"],
                        languages=tuple(row["languages"]), active=row["active"],
                        working_days=tuple(row["working_days"]), absences=tuple(absences))


def agent_of(row: asyncpg.Record) -> Agent:
    """The domain agent of a row."""
    return Agent(agent_id=row["agent_id"], site_id=row["site_id"],
                 channels=frozenset(Channel(c) for c in row["channels"]),
                 daily_capacity=row["daily_capacity"], active=row["active"])


async def load_sites(conn: asyncpg.Connection) -> list[Site]:
    """Every site (a network has tens of them)."""
    return [site_of(r) for r in await conn.fetch(f"SELECT {_SITE_COLUMNS} FROM sites ORDER BY site_id")]


async def get_site(conn: asyncpg.Connection, *, site_id: str) -> asyncpg.Record | None:
    """One site row, or None."""
    return await conn.fetchrow(f"SELECT {_SITE_COLUMNS} FROM sites WHERE site_id = $1", site_id)


async def lock_prefix_registry(conn: asyncpg.Connection, *, shared: bool = False) -> None:
    """Until commit: exclusive for a site change (two sites never claim one prefix, and no case is routed
    against prefixes about to change); shared for routing new cases (they never miss a site's change)."""
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    await conn.execute(f"SELECT {function}(hashtextextended('campaigns.site_prefixes', 0))")


async def prefixes_taken(conn: asyncpg.Connection, *, site_id: str, prefixes: Sequence[str]) -> list[str]:
    """Those of `prefixes` that another site already covers, exactly."""
    rows = await conn.fetch(
        "SELECT DISTINCT p FROM sites, unnest(postcode_prefixes) AS p "
        "WHERE site_id <> $1 AND p = ANY($2::text[]) ORDER BY p", site_id, list(prefixes))
    return [r["p"] for r in rows]


async def upsert_site(conn: asyncpg.Connection, *, site: Site) -> tuple[asyncpg.Record, bool]:
    """Create or replace a site; returns the row and whether it was created."""
    row = await conn.fetchrow(
        "INSERT INTO sites (site_id, name, postcode_prefixes, time_zone, opening_days, holiday_department) "
        "VALUES ($1, $2, $3, $4, $5, $6) "
        "ON CONFLICT (site_id) DO UPDATE SET name = EXCLUDED.name, postcode_prefixes = EXCLUDED.postcode_prefixes, "
        "time_zone = EXCLUDED.time_zone, opening_days = EXCLUDED.opening_days, "
        "holiday_department = EXCLUDED.holiday_department, "
        f"updated_at = now() RETURNING {_SITE_COLUMNS}, (xmax = 0) AS created",
        site.site_id, site.name, list(site.postcode_prefixes), site.time_zone, list(site.opening_days),
        site.holiday_department)
    assert row is not None
    return row, bool(row["created"])


async def lock_agents(conn: asyncpg.Connection, *, site_ids: Sequence[str],
                      agent_id: str | None = None) -> list[Agent]:
    """Lock the agents of `site_ids` (and `agent_id`), always in agent_id order so lockers never deadlock.

    FOR NO KEY UPDATE serialises every transaction that hands out these agents' capacity, yet, unlike
    FOR UPDATE, does not block the foreign-key checks of attempts that reference an agent.
    """
    rows = await conn.fetch(
        f"SELECT {_AGENT_COLUMNS} FROM agents WHERE site_id = ANY($1::text[]) OR agent_id = $2 "
        "ORDER BY agent_id FOR NO KEY UPDATE", list(site_ids), agent_id)
    return [agent_of(r) for r in rows]


async def get_agent(conn: asyncpg.Connection, *, agent_id: str) -> asyncpg.Record | None:
    """One agent row, or None."""
    return await conn.fetchrow(f"SELECT {_AGENT_COLUMNS} FROM agents WHERE agent_id = $1", agent_id)


async def upsert_agent(conn: asyncpg.Connection, *, agent_id: str,
                       profile: AgentProfile) -> tuple[asyncpg.Record, bool]:
    """Create or replace an agent; returns the row and whether it was created."""
    row = await conn.fetchrow(
        "INSERT INTO agents (agent_id, site_id, display_name, channels, daily_capacity, languages, active, "
        "working_days) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (agent_id) DO UPDATE SET "
        "site_id = EXCLUDED.site_id, display_name = EXCLUDED.display_name, channels = EXCLUDED.channels, "
        "daily_capacity = EXCLUDED.daily_capacity, languages = EXCLUDED.languages, active = EXCLUDED.active, "
        f"working_days = EXCLUDED.working_days, updated_at = now() RETURNING {_AGENT_COLUMNS}, (xmax = 0) AS created",
        agent_id, profile.site_id, profile.display_name, [str(c) for c in profile.channels],
        profile.daily_capacity, list(profile.languages), profile.active, list(profile.working_days))
    assert row is not None
    await conn.execute("DELETE FROM absences WHERE agent_id = $1", agent_id)
    await conn.execute("INSERT INTO absences (agent_id, starts_on, ends_on) SELECT $1, * FROM unnest($2::date[], "
                       "$3::date[])", agent_id, [a.starts_on for a in profile.absences],
                       [a.ends_on for a in profile.absences])
    return row, bool(row["created"])


async def agent_calendar(conn: asyncpg.Connection, *, agent_id: str) -> asyncpg.Record | None:
    """In one query: the agent's site and working days, the site's zone and calendar, the agent's absences
    (`absent_from`/`absent_to`, earliest first); None for an unknown agent."""
    return await conn.fetchrow(
        "SELECT g.site_id, g.working_days, s.time_zone, s.opening_days, s.holiday_department, "
        "coalesce(b.starts, '{}') AS absent_from, coalesce(b.ends, '{}') AS absent_to "
        "FROM agents g JOIN sites s ON s.site_id = g.site_id LEFT JOIN LATERAL ("
        "  SELECT array_agg(starts_on ORDER BY starts_on) AS starts, array_agg(ends_on ORDER BY starts_on) AS ends "
        "  FROM absences WHERE agent_id = g.agent_id) b ON true WHERE g.agent_id = $1", agent_id)


async def absences_of(conn: asyncpg.Connection, *, agent_id: str) -> list[Absence]:
    """An agent's absences, earliest first."""
    rows = await conn.fetch("SELECT starts_on, ends_on FROM absences WHERE agent_id = $1 ORDER BY starts_on",
                            agent_id)
    return [Absence(r["starts_on"], r["ends_on"]) for r in rows]


async def absent_agents(conn: asyncpg.Connection, *, agent_ids: Sequence[str], now: datetime) -> set[str]:
    """Those of `agent_ids` away today (today in their site's time zone)."""
    rows = await conn.fetch(
        "SELECT DISTINCT b.agent_id FROM absences b JOIN agents g ON g.agent_id = b.agent_id "
        "JOIN sites s ON s.site_id = g.site_id WHERE b.agent_id = ANY($1::text[]) "
        "AND ($2::timestamptz AT TIME ZONE s.time_zone)::date BETWEEN b.starts_on AND b.ends_on",
        list(agent_ids), now)
    return {r["agent_id"] for r in rows}
