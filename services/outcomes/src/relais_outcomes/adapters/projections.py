"""Repository of the projections outcomes keeps of other services' events: cases and their holders."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from relais_outcomes.domain.access import CaseScope
from relais_platform.contracts import AssignmentChanged, CaseOpened


@dataclass(frozen=True, slots=True)
class CaseRecord:
    """A case as outcomes knows it, with its current holder (if any)."""

    case_id: uuid.UUID
    partner_id: str
    campaign_id: uuid.UUID
    external_ref: str
    opened_at: datetime
    scope: CaseScope


async def insert_cases(conn: asyncpg.Connection, *, cases: Sequence[CaseOpened]) -> None:
    """Add opened cases; a case already known keeps its first record (case ids are deterministic)."""
    if not cases:
        return
    await conn.execute(
        "INSERT INTO cases (case_id, partner_id, campaign_id, external_ref, opened_at) "
        "SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::timestamptz[]) "
        "ON CONFLICT (case_id) DO NOTHING",
        [c.case_id for c in cases], [c.partner_id for c in cases], [c.campaign_id for c in cases],
        [c.external_ref for c in cases], [c.opened_at for c in cases],
    )


async def upsert_holders(conn: asyncpg.Connection, *, changes: Sequence[AssignmentChanged]) -> None:
    """Apply assignment changes (one per case at most); a change older than the stored one is ignored."""
    if not changes:
        return
    await conn.execute(
        "INSERT INTO holders (case_id, agent_id, site_id, status, changed_at) "
        "SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[]) "
        "ON CONFLICT (case_id) DO UPDATE SET agent_id = EXCLUDED.agent_id, site_id = EXCLUDED.site_id, "
        "status = EXCLUDED.status, changed_at = EXCLUDED.changed_at "
        "WHERE holders.changed_at < EXCLUDED.changed_at",
        [c.case_id for c in changes], [c.agent_id for c in changes], [c.site_id for c in changes],
        [str(c.status) for c in changes], [c.changed_at for c in changes],
    )


async def find_case(conn: asyncpg.Connection, *, case_id: uuid.UUID, for_update: bool = False) -> CaseRecord | None:
    """The case and its holder; `for_update` serialises writers of the same case's outcome."""
    row = await conn.fetchrow(
        "SELECT c.case_id, c.partner_id, c.campaign_id, c.external_ref, c.opened_at, "
        "h.agent_id, h.site_id, h.status FROM cases c LEFT JOIN holders h USING (case_id) "
        "WHERE c.case_id = $1" + (" FOR UPDATE OF c" if for_update else ""),
        case_id,
    )
    if row is None:
        return None
    scope = CaseScope(partner_id=row["partner_id"], holder_agent_id=row["agent_id"],
                      holder_site_id=row["site_id"], holder_status=row["status"])
    return CaseRecord(case_id=row["case_id"], partner_id=row["partner_id"], campaign_id=row["campaign_id"],
                      external_ref=row["external_ref"], opened_at=row["opened_at"], scope=scope)


async def partner_known(conn: asyncpg.Connection, *, partner_id: str) -> bool:
    """True when outcomes has heard of the partner: a case, a tariff or a billing line."""
    return bool(await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM cases WHERE partner_id = $1) "
        "OR EXISTS (SELECT 1 FROM tariff_versions WHERE partner_id = $1) "
        "OR EXISTS (SELECT 1 FROM billing_lines WHERE partner_id = $1)",
        partner_id,
    ))

