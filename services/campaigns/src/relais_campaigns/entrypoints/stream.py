"""Kafka consumers of the campaigns service: cases opened by intake, outcomes resolved by the outcomes service."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import faust
import structlog

from relais_campaigns.adapters.opened_codec import OpenedCase, decode_opened
from relais_campaigns.service_layer.case_events import open_cases, resolve_cases
from relais_campaigns.service_layer.housekeeping import release_unavailable
from relais_platform.contracts import CaseResolved, Topics
from relais_platform.events import EventData, decode_batch
from relais_platform.kafka import BatchHandler, StagedHandler, consume_in_batches
from relais_platform.runtime import Resources

log = structlog.get_logger(__name__)

CASES_OPENED_CONSUMER = "campaigns.cases_opened"
OPENED_BATCH = 5000  # a batch's cost is mostly fixed (locks, queue reads): big batches amortise it
OUTCOMES_RESOLVED_CONSUMER = "campaigns.outcomes_resolved"

D = TypeVar("D", bound=EventData)
CaseHandler = Callable[..., Awaitable[int]]


def batch_handler(resources: Resources, model: type[D], handler: CaseHandler, *, consumer: str) -> BatchHandler:
    """A bulk consumer's handler: decode, then apply the whole batch in one transaction."""

    async def handle(values: list[bytes]) -> None:
        events = decode_batch(values, model, consumer=consumer)
        if not events:
            return
        pool = await resources.pool()
        async with pool.acquire() as conn, conn.transaction():
            applied = await handler(conn=conn, events=events, consumer=consumer, now=datetime.now(UTC))
        log.info("batch applied", consumer=consumer, events=len(events), applied=applied)

    return handle


def cases_opened_handler(resources: Resources) -> StagedHandler:
    """Project, route and assign opened cases: decoded by the fast CaseOpened codec (the next batch, while this
    one's transaction runs), then one transaction."""

    def decode(values: list[bytes]) -> list[OpenedCase]:
        return decode_opened(values, consumer=CASES_OPENED_CONSUMER)

    async def apply(cases: list[OpenedCase]) -> None:
        if not cases:
            return
        pool = await resources.pool()
        async with pool.acquire() as conn, conn.transaction():
            applied = await open_cases(conn=conn, cases=cases, consumer=CASES_OPENED_CONSUMER, now=datetime.now(UTC))
        log.info("batch applied", consumer=CASES_OPENED_CONSUMER, events=len(cases), applied=applied)

    return StagedHandler(prepare=decode, apply=apply)


def outcomes_resolved_handler(resources: Resources) -> BatchHandler:
    """Close resolved cases and reuse the capacity they free."""
    return batch_handler(resources, CaseResolved, resolve_cases, consumer=OUTCOMES_RESOLVED_CONSUMER)


async def run_housekeeping(resources: Resources, *, now: datetime | None = None) -> int:
    """One pass of the periodic release (absent agents, untouched cases), in one transaction."""
    pool = await resources.pool()
    settings = resources.settings
    async with pool.acquire() as conn, conn.transaction():
        released = await release_unavailable(conn=conn, now=now or datetime.now(UTC) + _offset(settings),
                                             after_working_days=getattr(settings, "stale_after_working_days", 3))
    if released:
        log.info("cases released", released=released)
    return released


def _offset(settings: Any) -> timedelta:
    return timedelta(seconds=getattr(settings, "clock_offset_seconds", 0.0))


def register(app: faust.App, resources: Resources) -> None:
    """Attach the campaigns consumers and the periodic release to the faust app."""

    @app.timer(interval=getattr(resources.settings, "housekeeping_seconds", 300.0))
    async def housekeeping() -> None:
        """Give back cases of absent agents and cases left untouched; never let a failure stop the timer."""
        try:
            await run_housekeeping(resources)
        except Exception:  # the next tick retries; one failed pass must not kill the worker
            log.exception("housekeeping failed")

    consume_in_batches(app, Topics.CASES_OPENED, cases_opened_handler(resources), consumer=CASES_OPENED_CONSUMER,
                       max_batch=OPENED_BATCH)
    consume_in_batches(app, Topics.OUTCOMES_RESOLVED, outcomes_resolved_handler(resources),
                       consumer=OUTCOMES_RESOLVED_CONSUMER)
