"""Uploaded files in PostgreSQL: their chunks, the lease of the worker processing one, its checkpoints."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import asyncpg

from relais_intake.domain.submission import SubmissionChannel, SubmissionStatus

LEASE_SECONDS = 60  # a worker that stops checkpointing for this long has its file taken over


async def insert_upload(*, conn: asyncpg.Connection, submission_id: uuid.UUID, campaign_id: uuid.UUID,
                        partner_id: str, channel: SubmissionChannel, filename: str | None,
                        file_format: dict[str, Any], idempotency_key: str | None, now: datetime) -> None:
    """Start receiving a file (visible to others only once the upload transaction commits)."""
    await conn.execute(
        "INSERT INTO submissions (submission_id, campaign_id, partner_id, channel, status, filename, file_format, "
        " idempotency_key, created_at) VALUES ($1, $2, $3, $4, 'received', $5, $6, $7, $8)",
        submission_id, campaign_id, partner_id, str(channel), filename, file_format, idempotency_key, now,
    )


async def append_chunk(*, conn: asyncpg.Connection, submission_id: uuid.UUID, seq: int, data: bytes) -> None:
    """Store one chunk of the file."""
    await conn.execute("INSERT INTO submission_chunks (submission_id, seq, data) VALUES ($1, $2, $3)",
                       submission_id, seq, data)


async def seal_upload(*, conn: asyncpg.Connection, submission_id: uuid.UUID, content_hash: str,
                      size: int) -> None:
    """Record the file's hash and size once every byte is stored, and wake the workers."""
    await conn.execute("UPDATE submissions SET content_hash = $2, bytes_total = $3 WHERE submission_id = $1",
                       submission_id, content_hash, size)
    await conn.execute("SELECT pg_notify('relais_intake_uploads', $1)", str(submission_id))


async def find_upload(*, conn: asyncpg.Connection, campaign_id: uuid.UUID, content_hash: str | None = None,
                      idempotency_key: str | None = None) -> asyncpg.Record | None:
    """An earlier, not failed, submission of the campaign with this content hash or this Idempotency-Key."""
    return await conn.fetchrow(
        "SELECT submission_id, content_hash FROM submissions WHERE campaign_id = $1 AND status <> 'failed' "
        "AND (content_hash = $2 OR idempotency_key = $3) ORDER BY (idempotency_key = $3) DESC NULLS LAST LIMIT 1",
        campaign_id, content_hash, idempotency_key,
    )


async def claim_next(*, conn: asyncpg.Connection, owner: uuid.UUID) -> asyncpg.Record | None:
    """Take the oldest file waiting, or one whose worker's lease ran out (it crashed): FOR UPDATE SKIP LOCKED,
    so two workers never take the same file."""
    return await conn.fetchrow(
        "UPDATE submissions SET status = 'validating', lease_owner = $1, attempts = attempts + 1, "
        f" lease_until = clock_timestamp() + interval '{LEASE_SECONDS} seconds' "
        "WHERE submission_id = (SELECT submission_id FROM submissions "
        "  WHERE status IN ('received', 'validating') AND channel IN ('csv', 'xlsx') AND content_hash IS NOT NULL "
        "    AND (lease_until IS NULL OR lease_until < clock_timestamp()) "
        "  ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED) "
        "RETURNING submission_id, campaign_id, channel, file_format, bytes_total, rows_done, attempts",
        owner,
    )


async def read_chunk(*, pool: asyncpg.Pool, submission_id: uuid.UUID, seq: int) -> bytes:
    """One chunk of a stored file."""
    return await pool.fetchval("SELECT data FROM submission_chunks WHERE submission_id = $1 AND seq = $2",
                               submission_id, seq)


CHUNK_COMMITS = "relais_intake_chunks"  # notified with the submission id when a chunk of its file commits


@contextlib.asynccontextmanager
async def chunk_commits(*, pool: asyncpg.Pool, submission_id: uuid.UUID) -> AsyncIterator[asyncio.Event]:
    """An event set whenever a chunk of the file commits (a connection of `pool` listens meanwhile)."""
    committed = asyncio.Event()
    wanted = str(submission_id)

    def heard(_conn: object, _pid: int, _channel: str, payload: str) -> None:
        if payload == wanted:
            committed.set()

    async with pool.acquire() as conn:
        await conn.add_listener(CHUNK_COMMITS, heard)
        try:
            yield committed
        finally:
            await conn.remove_listener(CHUNK_COMMITS, heard)


async def lock_turn(*, conn: asyncpg.Connection, submission_id: uuid.UUID, owner: uuid.UUID) -> int | None:
    """Lock the file's row for the caller's transaction and return the rows committed so far; None when the lease
    is no longer `owner`'s. Chunks written by several lanes thus commit one at a time, in the file's order."""
    return await conn.fetchval(
        "SELECT rows_done FROM submissions WHERE submission_id = $1 AND lease_owner = $2 AND status = 'validating' "
        "FOR UPDATE",
        submission_id, owner,
    )


async def abandon(*, conn: asyncpg.Connection, submission_id: uuid.UUID, owner: uuid.UUID) -> None:
    """Hand the lease to no one until it runs out: the owner's other lanes stop at their next chunk, and the file is
    taken over (resumed) when the lease expires, as if its worker had crashed."""
    await conn.execute("UPDATE submissions SET lease_owner = gen_random_uuid() "
                       "WHERE submission_id = $1 AND lease_owner = $2", submission_id, owner)


async def checkpoint(*, conn: asyncpg.Connection, submission_id: uuid.UUID, owner: uuid.UUID, rows_before: int,
                     rows: int, accepted: int, rejected: int, duplicates: int, bytes_read: int,
                     file_format: dict[str, Any] | None = None) -> bool:
    """Count a chunk of `rows` that follows the first `rows_before` and renew the lease, in the chunk's transaction,
    which tells the file's other lanes when it commits (`chunk_commits`); False when the lease was lost (another
    worker took the file over) or the rows before it are not what is counted, and the caller must roll back."""
    counted = await conn.fetch(
        "WITH counted AS (UPDATE submissions SET rows_done = rows_done + $3, rows_read = rows_read + $3, "
        " accepted = accepted + $4, rejected = rejected + $5, duplicates = duplicates + $6, "
        " bytes_read = greatest(bytes_read, $7), file_format = coalesce($8, file_format), "
        f" lease_until = clock_timestamp() + interval '{LEASE_SECONDS} seconds' "
        " WHERE submission_id = $1 AND lease_owner = $2 AND status = 'validating' AND rows_done = $9 "
        " RETURNING submission_id) "
        f"SELECT pg_notify('{CHUNK_COMMITS}', submission_id::text) FROM counted",
        submission_id, owner, rows, accepted, rejected, duplicates, bytes_read, file_format, rows_before,
    )
    return len(counted) == 1


async def finish(*, conn: asyncpg.Connection, submission_id: uuid.UUID, owner: uuid.UUID,
                 status: SubmissionStatus, error: str | None = None) -> None:
    """Mark the file done (or failed with the reason) and drop its chunks, which are no longer needed."""
    done = await conn.execute(
        "UPDATE submissions SET status = $3, error = $4, finished_at = clock_timestamp(), lease_owner = NULL, "
        " lease_until = NULL, bytes_read = CASE WHEN $3 = 'done' THEN bytes_total ELSE bytes_read END "
        "WHERE submission_id = $1 AND lease_owner = $2",
        submission_id, owner, str(status), error,
    )
    if done.endswith(" 1"):
        await conn.execute("DELETE FROM submission_chunks WHERE submission_id = $1", submission_id)
