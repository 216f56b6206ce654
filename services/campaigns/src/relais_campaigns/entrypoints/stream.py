"""Kafka consumers of the campaigns service: cases opened by intake, outcomes resolved by the outcomes service."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import faust
import structlog

from relais_campaigns.adapters.opened_codec import RoutingKey, decode_opened, routing_key
from relais_campaigns.domain.routing import PostcodeRouter
from relais_campaigns.service_layer.case_events import open_cases, resolve_cases
from relais_campaigns.service_layer.housekeeping import release_unavailable
from relais_campaigns.service_layer.site_lanes import open_share, router_of, shares_by_site
from relais_platform.contracts import CaseResolved, Topics
from relais_platform.events import decode_batch
from relais_platform.kafka import StagedHandler, consume_in_batches
from relais_platform.lanes import ProcessLanes
from relais_platform.runtime import Resources

log = structlog.get_logger(__name__)

CASES_OPENED_CONSUMER = "campaigns.cases_opened"
OPENED_BATCH = 20000  # a batch's cost is partly fixed (locks, queue reads, commit): big batches amortise it
OUTCOMES_RESOLVED_CONSUMER = "campaigns.outcomes_resolved"

Apply = Callable[[asyncpg.Connection, list[Any], datetime], Awaitable[int]]


def staged_handler(resources: Resources, decode: Callable[[list[bytes]], list[Any]], apply: Apply, *,
                   consumer: str) -> StagedHandler:
    """A bulk consumer's handler: decode (the next batch, while this one's transaction runs), then apply the whole
    batch in one transaction."""

    async def in_transaction(items: list[Any]) -> None:
        if not items:
            return
        pool = await resources.pool()
        async with pool.acquire() as conn, conn.transaction():
            applied = await apply(conn, items, datetime.now(UTC))
        log.info("batch applied", consumer=consumer, events=len(items), applied=applied)

    return StagedHandler(prepare=decode, apply=in_transaction)


def cases_opened_handler(resources: Resources, lanes: ProcessLanes | None = None) -> StagedHandler:
    """Project, route and assign opened cases, decoded by the fast CaseOpened codec; with several `lanes`, each
    batch shared out by site between them."""
    if lanes is not None and lanes.count > 1:
        return _shared_by_site(resources, lanes)
    return staged_handler(
        resources, lambda values: decode_opened(values, consumer=CASES_OPENED_CONSUMER),
        lambda conn, cases, now: open_cases(conn=conn, cases=cases, consumer=CASES_OPENED_CONSUMER, now=now),
        consumer=CASES_OPENED_CONSUMER)


def _shared_by_site(resources: Resources, lanes: ProcessLanes) -> StagedHandler:
    """The next batch is read and shared out (in the preparing thread) with the sites as the batch before saw them,
    so the lanes never wait for it; the sites are read again while the lanes work (the split is only about speed: one
    batch late is harmless)."""
    sites: list[PostcodeRouter] = []
    Keyed = list[tuple[bytes, RoutingKey]]

    def prepare(values: list[bytes]) -> tuple[Keyed, list[list[bytes]] | None]:
        keyed = [(raw, routing_key(raw)) for raw in values]
        return keyed, shares_by_site(keyed, router=sites[-1], count=lanes.count) if sites else None

    async def apply(prepared: tuple[Keyed, list[list[bytes]] | None]) -> None:
        pool = await resources.pool()
        keyed, shares = prepared
        if shares is None:  # the first batch: shared out now
            shares = shares_by_site(keyed, router=await router_of(pool), count=lanes.count)
        now = datetime.now(UTC)
        # the children's shares handed over first: the worker's own share decodes before its first await
        running = [lanes.run(open_share, share, now, CASES_OPENED_CONSUMER) for share in shares[1:] if share]
        running.append(open_share(pool, shares[0], now, CASES_OPENED_CONSUMER))
        results = await asyncio.gather(router_of(pool), *running, return_exceptions=True)  # every lane done first
        if failed := next((r for r in results if isinstance(r, BaseException)), None):
            raise failed
        sites[:] = [results[0]]
        log.info("batch applied", consumer=CASES_OPENED_CONSUMER, events=len(keyed),
                 applied=sum(results[1:]), lanes=len(running))

    return StagedHandler(prepare=prepare, apply=apply)


def outcomes_resolved_handler(resources: Resources) -> StagedHandler:
    """Close resolved cases and reuse the capacity they free."""
    return staged_handler(
        resources, lambda values: decode_batch(values, CaseResolved, consumer=OUTCOMES_RESOLVED_CONSUMER),
        lambda conn, events, now: resolve_cases(conn=conn, events=events, consumer=OUTCOMES_RESOLVED_CONSUMER,
                                                now=now),
        consumer=OUTCOMES_RESOLVED_CONSUMER)


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


def register(app: faust.App, resources: Resources, *, lanes: ProcessLanes | None = None) -> None:
    """Attach the campaigns consumers and the periodic release to the faust app; opened cases are shared out
    between `lanes` when given (started by the caller, closed when the worker stops)."""

    @app.timer(interval=getattr(resources.settings, "housekeeping_seconds", 300.0))
    async def housekeeping() -> None:
        """Give back cases of absent agents and cases left untouched; never let a failure stop the timer."""
        try:
            await run_housekeeping(resources)
        except Exception:  # the next tick retries; one failed pass must not kill the worker
            log.exception("housekeeping failed")

    consume_in_batches(app, Topics.CASES_OPENED, cases_opened_handler(resources, lanes), consumer=CASES_OPENED_CONSUMER,
                       max_batch=OPENED_BATCH)
    consume_in_batches(app, Topics.OUTCOMES_RESOLVED, outcomes_resolved_handler(resources),
                       consumer=OUTCOMES_RESOLVED_CONSUMER)
