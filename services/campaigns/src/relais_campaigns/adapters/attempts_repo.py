"""Contact attempts in PostgreSQL."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg


@dataclass(frozen=True, slots=True)
class AttemptRow:
    """A recorded attempt."""

    attempt_id: uuid.UUID
    case_id: uuid.UUID
    agent_id: str
    site_id: str
    channel: str
    result: str
    attempted_at: datetime
    callback_at: datetime | None
    note: str | None
    recorded_by: str
    recorded_at: datetime
    callback_open_to_site: bool = False


async def insert_attempt(conn: asyncpg.Connection, *, attempt: AttemptRow) -> None:
    """Store one attempt, under the key of its case's person (the contact rules count the person)."""
    await conn.execute(
        "INSERT INTO attempts (attempt_id, case_id, agent_id, site_id, channel, result, attempted_at, callback_at, "
        "note, recorded_by, recorded_at, callback_open_to_site, person_key) "
        "SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, person_key FROM cases WHERE case_id = $2",
        attempt.attempt_id, attempt.case_id, attempt.agent_id, attempt.site_id, attempt.channel, attempt.result,
        attempt.attempted_at, attempt.callback_at, attempt.note, attempt.recorded_by, attempt.recorded_at,
        attempt.callback_open_to_site)
