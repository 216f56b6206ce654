"""Campaigns in PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from relais_intake.domain.campaign import Campaign, CampaignStatus, NewCampaign

_COLUMNS = ("campaign_id, partner_id, name, status, legal_basis, starts_on, ends_on, channel_preference, "
            "priority, tariff_ref, created_at, updated_at")


def _campaign(row: asyncpg.Record) -> Campaign:
    return Campaign(**{**dict(row), "status": CampaignStatus(row["status"])})


async def insert_campaign(*, conn: asyncpg.Connection, campaign_id: uuid.UUID, new: NewCampaign,
                          now: datetime) -> Campaign:
    """Store a new campaign and return it."""
    row = await conn.fetchrow(
        "INSERT INTO campaigns (campaign_id, partner_id, name, status, legal_basis, starts_on, ends_on, "
        " channel_preference, priority, tariff_ref, created_at, updated_at) "
        f"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING {_COLUMNS}",
        campaign_id, new.partner_id, new.name, str(new.status), new.legal_basis, new.starts_on, new.ends_on,
        new.channel_preference, new.priority, new.tariff_ref, now,
    )
    return _campaign(row)


async def get_campaign(*, conn: asyncpg.Connection, campaign_id: uuid.UUID, lock: str | None = None) -> Campaign | None:
    """The campaign, or None; `lock` ("share" or "update") holds the row until the transaction ends."""
    suffix = {None: "", "share": " FOR SHARE", "update": " FOR UPDATE"}[lock]
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM campaigns WHERE campaign_id = $1{suffix}", campaign_id)
    return _campaign(row) if row else None


async def set_status(*, conn: asyncpg.Connection, campaign_id: uuid.UUID, status: CampaignStatus,
                     now: datetime) -> Campaign:
    """Record a new lifecycle status."""
    row = await conn.fetchrow(
        f"UPDATE campaigns SET status = $2, updated_at = $3 WHERE campaign_id = $1 RETURNING {_COLUMNS}",
        campaign_id, str(status), now,
    )
    return _campaign(row)


async def case_counts(*, conn: asyncpg.Connection, campaign_id: uuid.UUID) -> dict[str, int]:
    """Number of cases of the campaign per case status."""
    rows = await conn.fetch(
        "SELECT status, count(*) AS n FROM cases WHERE campaign_id = $1 GROUP BY status ORDER BY status", campaign_id
    )
    return {r["status"]: r["n"] for r in rows}


async def submission_count(*, conn: asyncpg.Connection, campaign_id: uuid.UUID) -> int:
    """Number of submissions made to the campaign."""
    return await conn.fetchval("SELECT count(*) FROM submissions WHERE campaign_id = $1", campaign_id)


async def partner_lookups(*, conn: asyncpg.Connection, partner_id: str, campaign_id: uuid.UUID) -> tuple[bool, bool]:
    """Whether cases for this campaign must be looked up at all: (the partner has people on its opposition list,
    the partner has another active or paused campaign). One probe each, instead of a chunk's references sent in
    vain."""
    row = await conn.fetchrow(
        "SELECT EXISTS (SELECT 1 FROM oppositions WHERE partner_id = $1) AS oppositions, "
        " EXISTS (SELECT 1 FROM campaigns WHERE partner_id = $1 AND campaign_id <> $2 "
        "   AND status IN ('active', 'paused')) AS other_campaigns",
        partner_id, campaign_id,
    )
    assert row is not None
    return row["oppositions"], row["other_campaigns"]
