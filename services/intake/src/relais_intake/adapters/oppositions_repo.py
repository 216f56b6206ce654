"""The opposition list in PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

from relais_intake.domain.opposition import Opposition


async def record(*, conn: asyncpg.Connection, partner_id: str, opposition: Opposition, note: str | None,
                 recorded_by: str, now: datetime) -> asyncpg.Record:
    """Add an opposition (recording it again keeps the first); returns the stored row."""
    await conn.execute(
        "INSERT INTO oppositions (partner_id, kind, value, note, recorded_by, created_at) "
        "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        partner_id, str(opposition.kind), opposition.value, note, recorded_by, now,
    )
    return await conn.fetchrow("SELECT partner_id, kind, value, note, created_at FROM oppositions "
                               "WHERE partner_id = $1 AND kind = $2 AND value = $3",
                               partner_id, str(opposition.kind), opposition.value)


async def opposed(*, conn: asyncpg.Connection, partner_id: str, phones: Sequence[str],
                  refs: Sequence[str]) -> tuple[set[str], set[str]]:
    """Of these phones and references, those on the partner's opposition list: (phones, refs)."""
    if not phones and not refs:
        return set(), set()
    rows = await conn.fetch(
        "SELECT kind, value FROM oppositions WHERE partner_id = $1 AND ("
        " (kind = 'phone' AND value = ANY($2::text[])) OR (kind = 'external_ref' AND value = ANY($3::text[])))",
        partner_id, list(phones), list(refs),
    )
    return ({r["value"] for r in rows if r["kind"] == "phone"},
            {r["value"] for r in rows if r["kind"] == "external_ref"})
