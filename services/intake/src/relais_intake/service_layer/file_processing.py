"""The intake worker's side of an uploaded file: claim it, read it row by row straight from PostgreSQL, and take
its rows in chunks (validate, open, reject, count) — each chunk one transaction with its checkpoint, so a worker
that dies mid-file is replaced by one that resumes after the last committed chunk, duplicating nothing."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import structlog

from relais_intake.adapters import campaigns_repo, uploads_repo
from relais_intake.adapters.file_rows import ChunkFile, Row, csv_rows, xlsx_rows
from relais_intake.domain.campaign import Campaign, ensure_takes_cases
from relais_intake.domain.file_format import ColumnMap, check_file_row, csv_dialect
from relais_intake.domain.problems import FieldProblem
from relais_intake.domain.submission import SubmissionChannel, SubmissionStatus
from relais_intake.domain.validation import RejectedCase, ValidCase
from relais_intake.service_layer.case_intake import PreparedChunk, prepare_chunk, take_prepared
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
    if campaign is None:  # cannot happen while submissions reference campaigns; refused rather than crashed
        raise FileRefused("the campaign of this file does not exist")
    now = datetime.now(UTC)
    today = now.astimezone(BUSINESS_ZONE).date()
    ensure_takes_cases(campaign.status, ends_on=campaign.ends_on, today=today)
    loop = asyncio.get_running_loop()

    def fetch(seq: int) -> bytes:  # runs in the parsing thread; the event loop does the I/O
        read = uploads_repo.read_chunk(pool=pool, submission_id=submission_id, seq=seq)
        return asyncio.run_coroutine_threadsafe(read, loop).result()

    first_chunk = await uploads_repo.read_chunk(pool=pool, submission_id=submission_id, seq=0) or b""
    raw = ChunkFile(fetch, claimed["bytes_total"], first_chunk=first_chunk)  # read once: sniffed, then parsed
    file_format = dict(claimed["file_format"] or {})
    rows = _rows(claimed=claimed, raw=raw, head=first_chunk[:65536], file_format=file_format)
    # The file is read, validated and prepared in a thread of its own, always the same: rows are read in order, and
    # the memory of a long file stays in one allocator arena.
    reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="intake-file-reader")
    try:
        columns = await loop.run_in_executor(reader, _header, rows)
        file_format["header"] = list(columns.raw_row(columns.header))

        def read_ahead(skip: int) -> asyncio.Future[PreparedChunk]:
            return loop.run_in_executor(reader, _next_chunk, rows, columns, skip, today, campaign)

        await _write_chunks(pool=pool, read_ahead=read_ahead, claimed=claimed, campaign=campaign, owner=owner,
                            raw=raw, file_format=file_format)
    finally:
        reader.shutdown(wait=False)  # not waiting here: the reader may need this loop to fetch a chunk


async def _write_chunks(*, pool: asyncpg.Pool, read_ahead: Callable[[int], asyncio.Future[PreparedChunk]],
                        claimed: asyncpg.Record, campaign: Campaign, owner: uuid.UUID, raw: ChunkFile,
                        file_format: dict[str, Any]) -> None:
    """Each chunk in its transaction with its checkpoint, while the next one is read: CPU and database overlap, and
    the writing side only waits for the database."""
    submission_id, channel = claimed["submission_id"], str(claimed["channel"])
    upcoming = read_ahead(claimed["rows_done"])
    try:
        while (chunk := await upcoming).checked:
            upcoming = read_ahead(0)
            async with pool.acquire() as conn, conn.transaction():
                taken = await take_prepared(conn=conn, campaign=campaign, submission_id=submission_id,
                                            channel=channel, chunk=chunk)
                if not await uploads_repo.checkpoint(
                        conn=conn, submission_id=submission_id, owner=owner, rows=len(chunk.checked),
                        accepted=taken.accepted, rejected=taken.rejected, duplicates=taken.duplicates,
                        bytes_read=raw.tell(), file_format=file_format):
                    raise LeaseLost
    finally:
        upcoming.cancel()  # a failed chunk: the one read ahead is dropped, its rows are read again on resume


def _rows(*, claimed: asyncpg.Record, raw: ChunkFile, head: bytes, file_format: dict[str, Any]) -> Iterator[Row]:
    """The file's rows; for a CSV, its charset and separator are decided from its first bytes (`head`)."""
    if claimed["channel"] == SubmissionChannel.XLSX:
        return xlsx_rows(raw)
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


def _next_chunk(rows: Iterator[Row], columns: ColumnMap, skip: int, today: date, campaign: Campaign) -> PreparedChunk:
    """The next ROWS_PER_CHUNK rows, validated and prepared (after skipping the `skip` rows an earlier worker
    committed); an empty chunk at the end of the file."""
    chunk: list[ValidCase | RejectedCase] = []
    for _ in range(skip):
        if next(rows, None) is None:
            return prepare_chunk(chunk, campaign=campaign, now=datetime.now(UTC))
    for line, cells in rows:
        chunk.append(check_file_row(columns, line, cells, today=today))
        if len(chunk) == ROWS_PER_CHUNK:
            break
    return prepare_chunk(chunk, campaign=campaign, now=datetime.now(UTC))
