"""Submissions and their rejected lines in PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import datetime

import asyncpg
import orjson

from relais_intake.domain.batch import CaseResult
from relais_intake.domain.rejection_report import StoredRejection
from relais_intake.domain.submission import Submission, SubmissionChannel, SubmissionStatus
from relais_intake.domain.validation import RejectedCase, ValidCase, storable

_COLUMNS = ("submission_id, campaign_id, partner_id, channel, status, rows_read, accepted, rejected, duplicates, "
            "created_at, finished_at, filename, file_format, bytes_total, bytes_read, error")


def _submission(row: asyncpg.Record) -> Submission:
    return Submission(**{**dict(row), "channel": SubmissionChannel(row["channel"]),
                         "status": SubmissionStatus(row["status"])})


async def start_submission(*, conn: asyncpg.Connection, submission_id: uuid.UUID, campaign_id: uuid.UUID,
                           partner_id: str, channel: SubmissionChannel, rows_read: int, now: datetime) -> None:
    """Record that a batch was received and is being validated."""
    await conn.execute(
        "INSERT INTO submissions (submission_id, campaign_id, partner_id, channel, status, rows_read, created_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7)",
        submission_id, campaign_id, partner_id, str(channel), str(SubmissionStatus.VALIDATING), rows_read, now,
    )


async def finish_submission(*, conn: asyncpg.Connection, submission_id: uuid.UUID, accepted: int, rejected: int,
                            duplicates: int) -> Submission:
    """Record the counts of a processed batch and mark it done (finished now, by the database clock)."""
    row = await conn.fetchrow(
        "UPDATE submissions SET status = $2, accepted = $3, rejected = $4, duplicates = $5, "
        f"finished_at = clock_timestamp() WHERE submission_id = $1 RETURNING {_COLUMNS}",
        submission_id, str(SubmissionStatus.DONE), accepted, rejected, duplicates,
    )
    return _submission(row)


async def get_submission(*, conn: asyncpg.Connection, submission_id: uuid.UUID) -> Submission | None:
    """The submission, or None."""
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM submissions WHERE submission_id = $1", submission_id)
    return _submission(row) if row else None


async def store_refused(*, conn: asyncpg.Connection, submission_id: uuid.UUID, refused: Sequence[CaseResult],
                        checked: Sequence[RejectedCase | ValidCase]) -> None:
    """Keep every rejected or duplicate line (its outcome is its `kind`) with its fields as sent and its reasons,
    in one statement."""
    if not refused:
        return
    await conn.execute(
        "INSERT INTO rejections (submission_id, line, external_ref, raw, reasons, kind) "
        "SELECT $1, line, ref, raw, reasons::jsonb, kind "
        "FROM unnest($2::int[], $3::text[], $4::jsonb[], $5::text[], $6::text[]) AS r(line, ref, raw, reasons, kind) "
        "ON CONFLICT DO NOTHING",
        submission_id, [r.line for r in refused], [r.external_ref for r in refused],
        [storable(dict(checked[r.index].raw)) for r in refused],
        # a list per row would read as a second array dimension: the reasons travel as JSON text
        [orjson.dumps([e.as_dict() for e in r.reasons]).decode() for r in refused],
        [str(r.status) for r in refused],
    )


async def rejections_in_batches(*, conn: asyncpg.Connection, submission_id: uuid.UUID,
                                batch: int = 2000) -> AsyncIterator[list[StoredRejection]]:
    """The rejected lines of a submission, in line order, a batch at a time from a server-side cursor (memory
    holds one batch, however many lines were refused); the caller holds a transaction."""
    cursor = conn.cursor("SELECT line, external_ref, raw, reasons FROM rejections WHERE submission_id = $1 "
                         "ORDER BY line", submission_id, prefetch=batch)
    rows: list[StoredRejection] = []
    async for r in cursor:
        rows.append(StoredRejection(line=r["line"], external_ref=r["external_ref"], raw=r["raw"],
                                    reasons=r["reasons"]))
        if len(rows) == batch:
            yield rows
            rows = []
    if rows:
        yield rows
