"""The intake worker's side of an uploaded file: claim it, read it row by row straight from PostgreSQL, and take
its rows in chunks (validate, open, reject, count) — each chunk one transaction with its checkpoint, so a worker
that dies mid-file is replaced by one that resumes after the last committed chunk, duplicating nothing."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
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
from relais_intake.service_layer.file_lanes import FileLanes
from relais_intake.service_layer.submissions import BUSINESS_ZONE
from relais_platform.errors import RelaisError

log = structlog.get_logger(__name__)

ROWS_PER_CHUNK = 5000
MAX_ATTEMPTS = 3  # a file that crashed this many workers is marked failed instead of crashing the next
# While a file is read, its reading thread is busy in Python and keeps the GIL up to the interpreter's switch
# interval (5 ms by default) each time the event loop wakes to answer PostgreSQL; a chunk's write is a score of
# round trips, and lanes write in turn, so the whole file waited on those hand-overs.
READING_SWITCH_INTERVAL = 0.0005
TURN_RECHECK_SECONDS = 1.0  # a lane waiting for its chunk's turn is woken by the commit before it, or looks again


class FileRefused(Exception):
    """The file as a whole cannot be taken (no usable header, campaign closed...); the reason is shown."""


class LeaseLost(Exception):
    """Another worker took the file over (this one was too slow to checkpoint): stop, roll back."""


async def process_next_file(*, pool: asyncpg.Pool, owner: uuid.UUID,
                            lanes: FileLanes | None = None) -> uuid.UUID | None:
    """Claim the oldest waiting file and process it to the end (a big CSV in `lanes`); None when there was nothing
    to do."""
    async with pool.acquire() as conn:
        claimed = await uploads_repo.claim_next(conn=conn, owner=owner)
    if claimed is None:
        return None
    submission_id = claimed["submission_id"]
    structlog.contextvars.bind_contextvars(submission_id=str(submission_id))
    try:
        if claimed["attempts"] > MAX_ATTEMPTS:
            raise FileRefused(f"processing failed {MAX_ATTEMPTS} times; see the intake worker log")
        await _process(pool=pool, claimed=claimed, owner=owner, lanes=lanes)
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


@dataclass(frozen=True, slots=True)
class Lane:
    """One reader and writer of a claimed file: lane `index` of `count` takes the chunks `index`, `index + count`,
    ... counted from `resume_at` (the rows committed before this run); the others' rows it parses and skips."""

    submission_id: uuid.UUID
    owner: uuid.UUID
    channel: str
    file_format: dict[str, Any]
    bytes_total: int
    resume_at: int
    campaign: Campaign
    today: date
    rows_per_chunk: int
    index: int = 0
    count: int = 1


async def _process(*, pool: asyncpg.Pool, claimed: asyncpg.Record, owner: uuid.UUID, lanes: FileLanes | None) -> None:
    async with pool.acquire() as conn:
        campaign = await campaigns_repo.get_campaign(conn=conn, campaign_id=claimed["campaign_id"])
    if campaign is None:  # cannot happen while submissions reference campaigns; refused rather than crashed
        raise FileRefused("the campaign of this file does not exist")
    today = datetime.now(UTC).astimezone(BUSINESS_ZONE).date()
    ensure_takes_cases(campaign.status, ends_on=campaign.ends_on, today=today)
    lane = Lane(submission_id=claimed["submission_id"], owner=owner, channel=str(claimed["channel"]),
                file_format=dict(claimed["file_format"] or {}), bytes_total=claimed["bytes_total"],
                resume_at=claimed["rows_done"], campaign=campaign, today=today, rows_per_chunk=ROWS_PER_CHUNK)
    if lanes is None or lane.channel != SubmissionChannel.CSV or (count := lanes.lanes_for(lane.bytes_total)) == 1:
        await run_lane(pool, lane)
        return
    log.info("file taken by lanes", lanes=count, resume_at=lane.resume_at)
    await _run_lanes(pool, [replace(lane, index=i, count=count) for i in range(count)], lanes)


async def _run_lanes(pool: asyncpg.Pool, lanes: list[Lane], processes: FileLanes) -> None:
    """The first lane here, the others in the child processes. When one fails (or this worker stops), the lease
    is abandoned so that the others stop at their next chunk; what was committed stays, and is resumed from."""
    running = [asyncio.ensure_future(run_lane(pool, lanes[0]))]
    running += [asyncio.ensure_future(processes.run(run_lane, lane)) for lane in lanes[1:]]
    try:
        await asyncio.wait(running, return_when=asyncio.FIRST_EXCEPTION)
    finally:
        if not all(task.done() for task in running):
            running[0].cancel()
            async with pool.acquire() as conn:
                await uploads_repo.abandon(conn=conn, submission_id=lanes[0].submission_id, owner=lanes[0].owner)
            await asyncio.wait(running)
    failures = [failure for task in running if not task.cancelled() and (failure := task.exception()) is not None]
    if failures:  # the failure itself before the LeaseLost it caused in the other lanes
        raise next((failure for failure in failures if not isinstance(failure, LeaseLost)), failures[0])


async def run_lane(pool: asyncpg.Pool, lane: Lane) -> None:
    """Read the file straight from PostgreSQL and take the lane's chunks, each in a transaction with its checkpoint
    once every earlier chunk is committed, while the lane's next chunk is read: a dead worker's successor resumes
    after the last committed chunk, duplicating nothing."""
    loop = asyncio.get_running_loop()

    def fetch(seq: int) -> bytes:  # runs in the parsing thread; the event loop does the I/O
        read = uploads_repo.read_chunk(pool=pool, submission_id=lane.submission_id, seq=seq)
        return asyncio.run_coroutine_threadsafe(read, loop).result()

    first_chunk = await uploads_repo.read_chunk(pool=pool, submission_id=lane.submission_id, seq=0) or b""
    raw = ChunkFile(fetch, lane.bytes_total, first_chunk=first_chunk)  # read once: sniffed, then parsed
    file_format = dict(lane.file_format)
    rows = _rows(channel=lane.channel, raw=raw, head=first_chunk[:65536], file_format=file_format)
    # The file is read, validated and prepared in a thread of its own, always the same: rows are read in order, and
    # the memory of a long file stays in one allocator arena.
    reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="intake-file-reader")
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(READING_SWITCH_INTERVAL)
    try:
        columns = await loop.run_in_executor(reader, _header, rows)
        file_format["header"] = list(columns.raw_row(columns.header))

        def read_ahead(skip: int) -> asyncio.Future[PreparedChunk]:
            return loop.run_in_executor(reader, _next_chunk, rows, columns, skip, lane)

        listening = (uploads_repo.chunk_commits(pool=pool, submission_id=lane.submission_id) if lane.count > 1
                     else contextlib.nullcontext(asyncio.Event()))  # one lane never waits: nothing else writes
        async with listening as committed:
            await _write_chunks(pool=pool, read_ahead=read_ahead, lane=lane, raw=raw, file_format=file_format,
                                committed=committed)
    finally:
        sys.setswitchinterval(switch_interval)
        reader.shutdown(wait=False)  # not waiting here: the reader may need this loop to fetch a chunk


async def _write_chunks(*, pool: asyncpg.Pool, read_ahead: Callable[[int], asyncio.Future[PreparedChunk]],
                        lane: Lane, raw: ChunkFile, file_format: dict[str, Any], committed: asyncio.Event) -> None:
    """Each chunk of the lane in its transaction, while its next one is read: CPU and database overlap, and the
    writing side only waits for the database (and for the other lanes' earlier chunks: `committed` is set when a
    chunk of the file commits)."""
    size = lane.rows_per_chunk
    first_row = lane.resume_at + lane.index * size
    upcoming = read_ahead(first_row)
    try:
        while (chunk := await upcoming).checked:
            upcoming = read_ahead((lane.count - 1) * size)
            await _take_in_turn(pool=pool, lane=lane, chunk=chunk, first_row=first_row, raw=raw,
                                file_format=file_format, committed=committed)
            first_row += lane.count * size
    finally:
        upcoming.cancel()  # a failed chunk: the one read ahead is dropped, its rows are read again on resume


async def _take_in_turn(*, pool: asyncpg.Pool, lane: Lane, chunk: PreparedChunk, first_row: int, raw: ChunkFile,
                        file_format: dict[str, Any], committed: asyncio.Event) -> None:
    """Write the chunk, its cases inserted and its checkpoint written once the rows before it are committed: the
    chunks of a file commit in its order whatever the lanes, so the first line of a reference is the one opened
    and the checkpoint is a prefix of the file. What comes before (look-ups, staging, queued events) overlaps
    with the other lanes' turns."""
    async with pool.acquire() as conn, conn.transaction():
        async def in_turn() -> None:
            await _wait_turn(conn=conn, lane=lane, first_row=first_row, committed=committed)

        taken = await take_prepared(conn=conn, campaign=lane.campaign, submission_id=lane.submission_id,
                                    channel=lane.channel, chunk=chunk, accepted_results=False, before_insert=in_turn)
        if not await uploads_repo.checkpoint(
                conn=conn, submission_id=lane.submission_id, owner=lane.owner, rows_before=first_row,
                rows=len(chunk.checked),
                accepted=taken.accepted, rejected=taken.rejected, duplicates=taken.duplicates,
                bytes_read=raw.tell(), file_format=file_format):
            raise LeaseLost


async def _wait_turn(*, conn: asyncpg.Connection, lane: Lane, first_row: int, committed: asyncio.Event) -> None:
    """Until the file's row, locked for the rest of the transaction, says the rows before `first_row` are committed.
    Looked at in a savepoint, rolled back while waiting (the other lanes need the row): on its lock while another
    lane is in turn, else until the next chunk commits (`committed`) or a while has passed."""
    while True:
        committed.clear()  # before looking: a commit from now on wakes this lane
        looking = conn.transaction()
        await looking.start()
        # an error here rolls the chunk's whole transaction back, this savepoint with it
        done = await uploads_repo.lock_turn(conn=conn, submission_id=lane.submission_id, owner=lane.owner)
        if done == first_row:
            await looking.commit()  # the lock stays with the chunk's transaction
            return
        await looking.rollback()
        if done is None or done > first_row:
            raise LeaseLost
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(committed.wait(), TURN_RECHECK_SECONDS)


def _rows(*, channel: str, raw: ChunkFile, head: bytes, file_format: dict[str, Any]) -> Iterator[Row]:
    """The file's rows; for a CSV, its charset and separator are decided from its first bytes (`head`)."""
    if channel == SubmissionChannel.XLSX:
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


def _next_chunk(rows: Iterator[Row], columns: ColumnMap, skip: int, lane: Lane) -> PreparedChunk:
    """The lane's next chunk of rows, validated and prepared, after skipping `skip` rows (the other lanes' or those
    an earlier worker committed); an empty chunk at the end of the file."""
    chunk: list[ValidCase | RejectedCase] = []
    for _ in range(skip):
        if next(rows, None) is None:
            return prepare_chunk(chunk, campaign=lane.campaign, now=datetime.now(UTC))
    for line, cells in rows:
        chunk.append(check_file_row(columns, line, cells, today=lane.today))
        if len(chunk) == lane.rows_per_chunk:
            break
    return prepare_chunk(chunk, campaign=lane.campaign, now=datetime.now(UTC))
