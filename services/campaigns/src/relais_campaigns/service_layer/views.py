"""Read model: a site's board (the worklist lives in service_layer.worklist)."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
from pydantic import BaseModel

from relais_campaigns.adapters import staff_repo, views_repo
from relais_campaigns.domain.attempts import CONTACT_RESULTS, ratio
from relais_campaigns.service_layer.access import manages_site
from relais_platform.auth import Principal, Role
from relais_platform.errors import NotFound


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
    callbacks_due: int


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
    callbacks_due: int
    unrouted: int | None
    contact_rate: float
    resolution_rate: float


async def board(*, conn: asyncpg.Connection, principal: Principal, site_id: str, now: datetime) -> Board:
    """Per-agent and site-wide progress of a site."""
    if not manages_site(principal, site_id) or await staff_repo.get_site(conn, site_id=site_id) is None:
        raise NotFound(f"site {site_id} not found")
    results = sorted(str(r) for r in CONTACT_RESULTS)
    due = await views_repo.callbacks_due(conn, site_id=site_id, now=now)
    agents = [BoardAgent(capacity=r["daily_capacity"], callbacks_due=due.get(r["agent_id"], 0),
                         **{k: r[k] for k in BoardAgent.model_fields if k not in ("capacity", "callbacks_due")})
              for r in await views_repo.board_agents(conn, site_id=site_id, contact_results=results)]
    t = await views_repo.board_totals(conn, site_id=site_id, contact_results=results)
    received = t["waiting"] + t["assigned"] + t["resolved"]
    unrouted = await views_repo.unrouted_count(conn) if principal.role is Role.ADMIN else None
    return Board(site_id=site_id, as_of=now.astimezone(UTC), agents=agents, waiting=t["waiting"],
                 assigned=t["assigned"], resolved=t["resolved"], attempted=t["attempted"], reached=t["reached"],
                 callbacks_due=sum(due.values()),
                 unrouted=unrouted, contact_rate=ratio(t["reached"], t["attempted"]),
                 resolution_rate=ratio(t["resolved"], received))
