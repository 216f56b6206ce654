"""The intake worker's side of an uploaded file: claim it, read it row by row straight from PostgreSQL, and take
its rows in chunks (validate, open, reject, count) — each chunk one transaction with its checkpoint, so a worker
that dies mid-file is replaced by one that resumes after the last committed chunk, duplicating nothing."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import structlog

from relais_intake.adapters import campaigns_repo, uploads_repo
from relais_intake.adapters.file_rows import ChunkFile, Row, csv_rows, xlsx_rows
from relais_intake.domain.campaign import ensure_takes_cases
from relais_intake.domain.file_format import ColumnMap, check_file_row, csv_dialect
from relais_intake.domain.problems import FieldProblem
from relais_intake.domain.submission import SubmissionChannel, SubmissionStatus
from relais_intake.domain.validation import RejectedCase, ValidCase
from relais_intake.service_layer.case_intake import take_cases
from relais_intake.service_layer.submissions import BUSINESS_ZONE
from relais_platform.errors import RelaisError

log = structlog.get_logger(__name__)

ROWS_PER_CHUNK = 5000
MAX_ATTEMPTS = 3  # a file that crashed this many workers is marked failed instead of crashing the next


class FileRefused(Exception):
    """The file as a whole cannot be taken (no usable header, campaign closed...); the reason is shown."""


class LeaseLost(Exception):
    """Another worker took the file over (this one was too slow to checkpoint): stop, roll back."""


async def process_next_file(*, pool: asyncpg.Pool, owner: uuid.UUID) -> uuid.UUID | None:
    """Claim the oldest waiting file and process it to the end; None when there was nothing to do."""
    async with pool.acquire() as conn:
        claimed = await uploads_repo.claim_next(conn=conn, owner=owner)
    if claimed is None:
        return None
    submission_id = claimed["submission_id"]
    structlog.contextvars.bind_contextvars(submission_id=str(submission_id))
    try:
        if claimed["attempts"] > MAX_ATTEMPTS:
            raise FileRefused(f"processing failed {MAX_ATTEMPTS} times; see the intake worker log")
        await _process(pool=pool, claimed=claimed, owner=owner)
        status, error = SubmissionStatus.DONE, None
    except (FileRefused, RelaisError) as refused:
        status, error = SubmissionStatus.FAILED, str(refused)
    except LeaseLost:
        log.warning("file taken over by another worker")
        return submission_id
    async with pool.acquire() as conn, conn.transaction():
        await uploads_repo.finish(conn=conn, submission_id=submission_id, owner=owner, status=status, error=error)
    log.info("file processed", status=str(status))
    return submission_id


async def _process(*, pool: asyncpg.Pool, claimed: asyncpg.Record, owner: uuid.UUID) -> None:
    submission_id = claimed["submission_id"]
    async with pool.acquire() as conn:
        campaign = await campaigns_repo.get_campaign(conn=conn, campaign_id=claimed["campaign_id"])
    assert campaign is not None
    now = datetime.now(UTC)
    today = now.astimezone(BUSINESS_ZONE).date()
    ensure_takes_cases(campaign.status, ends_on=campaign.ends_on, today=today)
    loop = asyncio.get_running_loop()

    def fetch(seq: int) -> bytes:  # runs in the parsing thread; the event loop does the I/O
        read = uploads_repo.read_chunk(pool=pool, submission_id=submission_id, seq=seq)
        return asyncio.run_coroutine_threadsafe(read, loop).result()

    raw = ChunkFile(fetch, claimed["bytes_total"])
    file_format = dict(claimed["file_format"] or {})
    rows = await _rows(pool=pool, claimed=claimed, raw=raw, file_format=file_format)
    columns = await asyncio.to_thread(_header, rows)
    file_format["header"] = list(columns.raw_row(columns.header))
    channel = str(claimed["channel"])
    # The next chunk is read and validated (in a thread) while this one is written: CPU and database overlap.
    upcoming = asyncio.ensure_future(asyncio.to_thread(_next_chunk, rows, columns, claimed["rows_done"], today))
    try:
        while checked := await upcoming:
            upcoming = asyncio.ensure_future(asyncio.to_thread(_next_chunk, rows, columns, 0, today))
            async with pool.acquire() as conn, conn.transaction():
                taken = await take_cases(conn=conn, campaign=campaign, submission_id=submission_id,
                                         channel=channel, checked=checked, now=datetime.now(UTC))
                if not await uploads_repo.checkpoint(
                        conn=conn, submission_id=submission_id, owner=owner, rows=len(checked),
                        accepted=taken.accepted, rejected=taken.rejected, duplicates=taken.duplicates,
                        bytes_read=raw.tell(), file_format=file_format):
                    raise LeaseLost
    finally:
        upcoming.cancel()  # a failed chunk: the one read ahead is dropped, its rows are read again on resume


async def _rows(*, pool: asyncpg.Pool, claimed: asyncpg.Record, raw: ChunkFile,
                file_format: dict[str, Any]) -> Iterator[Row]:
    """The file's rows; for a CSV, its charset and separator are decided from its first bytes."""
    if claimed["channel"] == SubmissionChannel.XLSX:
        return xlsx_rows(raw)
    head = (await uploads_repo.read_chunk(pool=pool, submission_id=claimed["submission_id"], seq=0))[:65536]
    charset, separator = csv_dialect(head, declared_charset=file_format.get("declared_charset"),
                                     declared_separator=file_format.get("separator"))
    file_format.update(charset=charset, separator=separator)
    return csv_rows(raw, charset=charset, separator=separator)


def _header(rows: Iterator[Row]) -> ColumnMap:
    try:
        first = next(rows, None)
    except Exception as exc:  # openpyxl on a file that is no workbook, say
        raise FileRefused(f"the file cannot be read as declared: {type(exc).__name__}: {str(exc)[:200]}") from exc
    if first is None:
        raise FileRefused("the file has no header row")
    try:
        return ColumnMap.of([str(c) if c is not None else "" for c in first[1]])
    except FieldProblem as problem:
        raise FileRefused(problem.reason) from problem


def _next_chunk(rows: Iterator[Row], columns: ColumnMap, skip: int, today: date) -> list[ValidCase | RejectedCase]:
    """The next ROWS_PER_CHUNK rows, validated (after skipping the `skip` rows an earlier worker committed)."""
    for _ in range(skip):
        if next(rows, None) is None:
            return []
    chunk: list[ValidCase | RejectedCase] = []
    for line, cells in rows:
        chunk.append(check_file_row(columns, line, cells, today=today))
        if len(chunk) == ROWS_PER_CHUNK:
            break
    return chunk
