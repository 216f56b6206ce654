"""At-least-once consumption made exactly-once in effect: decode a batch, claim its event ids and apply
only the new events, all in one transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from relais_platform.db import claim_events
from relais_platform.events import Envelope, EventData
from relais_platform.events import decode_batch as decode_events

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


def decode_batch(raws: Sequence[bytes], *, consumer: Consumer) -> list[Envelope[Any]]:
    """Typed events of a batch, first occurrence of each id only; poison values are skipped."""
    return decode_events(raws, consumer.model, consumer=consumer.name)


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
