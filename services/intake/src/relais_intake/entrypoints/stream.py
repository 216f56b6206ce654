"""Stream side of the intake worker: partners' raw records on relais.intake.submissions.v1, and the processor of
uploaded files (a faust task next to the outbox relay)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import faust
import structlog

from relais_intake.service_layer.file_lanes import FileLanes
from relais_intake.service_layer.file_processing import process_next_file
from relais_intake.service_layer.partner_records import CONSUMER, RawRecord, take_records
from relais_platform.contracts import Topics
from relais_platform.kafka import consume_in_batches
from relais_platform.runtime import Resources

log = structlog.get_logger(__name__)

IDLE_POLL_SECONDS = 0.5


def register(app: faust.App, resources: Resources, *, lanes: FileLanes | None = None) -> None:
    """Attach the intake worker's agent and tasks to `app`; big files are taken by `lanes` when given (started and
    stopped with the worker)."""

    consume_in_batches(app, Topics.INTAKE_SUBMISSIONS, partner_records_handler(resources), consumer=CONSUMER,
                       records=True)

    @app.task
    async def process_uploaded_files() -> None:
        await run_file_processor(resources, lanes=lanes)


def partner_records_handler(resources: Resources) -> Callable[[list[RawRecord]], Awaitable[None]]:
    """The batch handler: one transaction per batch of partner records."""

    async def handle(records: list[RawRecord]) -> None:
        pool = await resources.pool()
        async with pool.acquire() as conn, conn.transaction():
            await take_records(conn=conn, records=records, now=datetime.now(UTC))

    return handle


async def run_file_processor(resources: Resources, *, lanes: FileLanes | None = None,
                             idle_poll: float = IDLE_POLL_SECONDS) -> None:
    """Process uploaded files one after the other until cancelled; a failure is logged, never fatal (the
    file's lease runs out and it is tried again, at most a few times)."""
    owner = uuid.uuid4()
    while True:
        try:
            done = await process_next_file(pool=await resources.pool(), owner=owner, lanes=lanes)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("file processing failed; the file will be retried when its lease runs out")
            done = None
        if done is None:
            await asyncio.sleep(idle_poll)
