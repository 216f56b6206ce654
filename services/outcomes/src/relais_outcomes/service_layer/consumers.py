"""At-least-once consumption made exactly-once in effect: decode a batch, claim its event ids and apply
only the new events, all in one transaction."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import pydantic
import structlog

from relais_platform.db import claim_events
from relais_platform.events import Envelope, EventData
from relais_platform.kafka import POISON_EVENTS

log = structlog.get_logger(__name__)

Apply = Callable[..., Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Consumer:
    """One topic this service consumes: the payload model and the handler of new events."""

    topic: str
    model: type[EventData]
    apply: Apply  # async (*, conn, events) -> Any

    @property
    def name(self) -> str:
        """The consumer name in processed_events: `outcomes.<topic short name>`."""
        return "outcomes." + self.topic.removeprefix("relais.").removesuffix(".v1")


@functools.cache
def envelope_of(model: type[EventData]) -> type[Envelope[Any]]:
    """The parametrised envelope class of a payload model, built once (pydantic generics are slow to look up)."""
    return Envelope[model]  # type: ignore[valid-type]


def decode_batch(raws: Sequence[bytes], *, consumer: Consumer) -> list[Envelope[Any]]:
    """Typed events of a batch, first occurrence of each id only; an undecodable value is logged and skipped.

    Same result as events.decode, parsed straight from the JSON bytes by pydantic-core (the hot path).
    """
    events: dict[uuid.UUID, Envelope[Any]] = {}
    model = envelope_of(consumer.model)
    for raw in raws:
        try:
            event = model.model_validate_json(raw)
        except (pydantic.ValidationError, ValueError, TypeError) as exc:
            POISON_EVENTS.labels(consumer.name).inc()
            log.warning("poison event skipped", consumer=consumer.name, error=str(exc)[:500])
            continue
        if event.type != consumer.model.event_type:
            POISON_EVENTS.labels(consumer.name).inc()
            log.warning("foreign event type skipped", consumer=consumer.name, event_id=str(event.id),
                        event_type=event.type)
            continue
        events.setdefault(event.id, event)
    return list(events.values())


async def consume_batch(pool: asyncpg.Pool, raws: Sequence[bytes], *, consumer: Consumer) -> int:
    """Apply a batch in one transaction; returns how many events were new (redeliveries change nothing)."""
    events = decode_batch(raws, consumer=consumer)
    if not events:
        return 0
    async with pool.acquire() as conn, conn.transaction():
        new = await claim_events(conn, consumer=consumer.name, event_ids=[e.id for e in events])
        fresh = [e for e in events if e.id in new]
        if fresh:
            await consumer.apply(conn=conn, events=fresh)
    return len(fresh)
