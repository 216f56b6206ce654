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
CHUNK = 1000  # events per statement of a bulk consumer (a batch holds up to 5,000)


@dataclass(frozen=True, slots=True)
class Consumer:
    """One topic this service consumes: the payload model and the handler of new events."""

    topic: str
    model: type[EventData]
    apply: Apply  # async (*, conn, events) -> Any; with `chunk`: async (*, conn, chunks) -> Any
    # A bulk consumer whose writes skip what exists (no processed_events rows) reads its values a chunk at a
    # time with its own decoder: chunk(raws, consumer=name) -> what `apply` takes of each chunk.
    chunk: Callable[..., Any] | None = None

    @property
    def dedupes_itself(self) -> bool:
        """Its writes skip what exists: no processed_events rows."""
        return self.chunk is not None

    @property
    def name(self) -> str:
        """The consumer name in processed_events: `outcomes.<topic short name>`."""
        return "outcomes." + self.topic.removeprefix("relais.").removesuffix(".v1")


def decode_batch(raws: Sequence[bytes], *, consumer: Consumer) -> list[Envelope[Any]]:
    """Typed events of a batch, first occurrence of each id only; poison values are skipped."""
    return decode_events(raws, consumer.model, consumer=consumer.name)


async def consume_batch(pool: asyncpg.Pool, raws: Sequence[bytes], *, consumer: Consumer) -> None:
    """Apply a batch in one transaction: only the events never processed by `consumer` take effect, so
    redeliveries change nothing."""
    if consumer.chunk is not None:
        await _consume_in_chunks(pool, raws, consumer=consumer, decode=consumer.chunk)
        return
    events = decode_batch(raws, consumer=consumer)
    if not events:
        return
    async with pool.acquire() as conn, conn.transaction():
        new = await claim_events(conn, consumer=consumer.name, event_ids=[e.id for e in events])
        fresh = [e for e in events if e.id in new]
        if fresh:
            await consumer.apply(conn=conn, events=fresh)


async def _consume_in_chunks(pool: asyncpg.Pool, raws: Sequence[bytes], *, consumer: Consumer,
                             decode: Callable[..., Any]) -> None:
    """A bulk consumer's batch in one transaction, handed over as lazily decoded chunks: the handler decodes
    the next chunk while the database works on the previous one. An event repeated in a later chunk finds its
    lines there already, so it changes nothing."""
    chunks = (decode(raws[start:start + CHUNK], consumer=consumer.name) for start in range(0, len(raws), CHUNK))
    async with pool.acquire() as conn, conn.transaction():
        await consumer.apply(conn=conn, chunks=chunks)
