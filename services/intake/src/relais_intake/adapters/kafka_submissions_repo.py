"""The running submission of a partner's Kafka records: one per partner, campaign and day."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg


async def open_day_submission(*, conn: asyncpg.Connection, submission_id: uuid.UUID, campaign_id: uuid.UUID,
                              partner_id: str, now: datetime) -> int:
    """Create the day's submission if needed and lock it; returns how many records it has read so far."""
    await conn.execute(
        "INSERT INTO submissions (submission_id, campaign_id, partner_id, channel, status, created_at) "
        "VALUES ($1, $2, $3, 'kafka', 'validating', $4) ON CONFLICT DO NOTHING",
        submission_id, campaign_id, partner_id, now,
    )
    return await conn.fetchval("SELECT rows_read FROM submissions WHERE submission_id = $1 FOR UPDATE",
                               submission_id)


async def count_records(*, conn: asyncpg.Connection, submission_id: uuid.UUID, rows: int, accepted: int,
                        rejected: int, duplicates: int) -> None:
    """Add a batch's records to the day's counts; the submission is `done` up to its last batch."""
    await conn.execute(
        "UPDATE submissions SET rows_read = rows_read + $2, accepted = accepted + $3, rejected = rejected + $4, "
        " duplicates = duplicates + $5, status = 'done', finished_at = clock_timestamp() WHERE submission_id = $1",
        submission_id, rows, accepted, rejected, duplicates,
    )
