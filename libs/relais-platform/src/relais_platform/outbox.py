"""Transactional outbox: events are written in the same transaction as the state they describe,
then a relay publishes them to Kafka in order and deletes them (the outbox is a queue; Kafka keeps the events).
A row holds one event, or a frame of a transaction's one-off events on one topic (the view outbox_events lists
every event either way)."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import struct
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import asyncpg
import structlog
from aiokafka import AIOKafkaProducer
from prometheus_client import Gauge

from relais_platform.db import copy_if_new
from relais_platform.events import CONTENT_TYPE, Envelope, encode
from relais_platform.kafka import namespaced, partition_for
from relais_platform.metrics import counter

log = structlog.get_logger(__name__)

PUBLISHED = counter("relais_outbox_published_total", "Events published from the outbox", ["schema"])
_HEADERS = [("content-type", CONTENT_TYPE.encode())]
BACKLOG = Gauge("relais_outbox_backlog", "Unpublished events seen by the relay's last pass", ["schema"])


async def enqueue(conn: asyncpg.Connection, events: Iterable[Envelope[Any]]) -> int:
    """Add events to the outbox inside the caller's transaction; returns how many were added.

    An event whose id is already in the outbox is skipped, so re-running a handler is harmless.
    """
    return await enqueue_encoded(conn, [EncodedEvent(e.id, e.data.topic, e.subject, encode(e)) for e in events])


class EncodedEvent(NamedTuple):
    """An event already serialised as its CloudEvents JSON (hot paths that build the bytes themselves)."""

    event_id: uuid.UUID | str  # its text form will do: the outbox stores either
    topic: str
    key: str
    value: bytes
    # False only when the writer's own state makes the event a one-off: it announces a row the same statement has
    # just inserted and would have skipped had it been there (a billing line, an opened case). The outbox then
    # does not check its id against the queued events (a random-key unique index entry per event), and frames it
    # with the one-offs next to it on the same topic: one outbox row for the lot (`frame`).
    dedupe: bool = True


_COLUMNS = [*EncodedEvent._fields, "events"]  # the outbox columns a COPY fills
_LENGTHS = struct.Struct(">III")  # a framed event's id text, key and value lengths


def frame(events: Sequence[EncodedEvent]) -> bytes:
    """One value holding `events` in order: for each, the lengths of its id's text, key and value, then those bytes
    (the SQL function outbox_unframe reads the same)."""
    parts: list[bytes] = []
    for event in events:
        event_id, key = str(event.event_id).encode(), event.key.encode()
        parts += (_LENGTHS.pack(len(event_id), len(key), len(event.value)), event_id, key, event.value)
    return b"".join(parts)


def unframe(value: bytes) -> Iterator[tuple[bytes, bytes]]:
    """The (key, value) of each event of a frame, in order."""
    at, end = 0, len(value)
    while at < end:
        id_length, key_length, value_length = _LENGTHS.unpack_from(value, at)
        at += _LENGTHS.size + id_length
        yield value[at:at + key_length], value[at + key_length:at + key_length + value_length]
        at += key_length + value_length


# The most events a frame holds. A frame of 10,000 AssignmentChanged is a 5.4 MB value that PostgreSQL grows, copies
# and compresses into freshly faulted memory on write, and again on the relay's read: 1.9 µs of the backend an event
# written and read, against 1.4-1.5 µs with frames of 500-2,000 (SQL harness, 100,000 events).
FRAME_EVENTS = 1000


def _outbox_rows(events: Sequence[EncodedEvent], *, frame_events: int = FRAME_EVENTS) -> list[tuple[Any, ...]]:
    """The outbox rows of `events`, in order: each run of one-offs (`dedupe` unset) on one topic framed, `frame_events`
    at most a row, every other event a row of its own (the outbox checks its id)."""
    rows: list[tuple[Any, ...]] = []
    for (topic, one_off), run in itertools.groupby(events, key=lambda e: (e.topic, not e.dedupe)):
        if not one_off:
            rows += ((*event, None) for event in run)
            continue
        one_offs = list(run)
        for start in range(0, len(one_offs), frame_events):
            if len(part := one_offs[start:start + frame_events]) > 1:
                rows.append((part[0].event_id, topic, "", frame(part), False, len(part)))
            else:
                rows += ((*event, None) for event in part)
    return rows


async def enqueue_encoded(conn: asyncpg.Connection, events: Sequence[EncodedEvent]) -> int:
    """Like `enqueue`, for events the caller serialised (its tests must decode them with the contract model).

    The rows are COPYed (a third of the cost of an INSERT from arrays, measured on the billing path), the one-offs
    framed (`_outbox_rows`); only when an event id is already in the outbox — a handler re-run — are they inserted
    again skipping the known ids (rows with `dedupe` set; the others are one-offs by their writer's state).
    """
    if not events:
        return 0
    rows = _outbox_rows(events)
    if await copy_if_new(conn, "outbox", _COLUMNS, rows):
        added = len(events)
    else:
        added = await conn.fetchval(
            "WITH added AS (INSERT INTO outbox (event_id, topic, key, value, dedupe, events) "
            "SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bytea[], $5::boolean[], $6::integer[]) "
            "ON CONFLICT (event_id) WHERE dedupe DO NOTHING RETURNING coalesce(events, 1) AS n) "
            "SELECT coalesce(sum(n), 0) FROM added", *zip(*rows, strict=True))
    if added:
        await conn.execute("SELECT pg_notify('relais_outbox', current_schema())")
    return added


class OutboxRelay:
    """Publishes the outbox of one schema. Only one relay per schema is active at a time (an advisory
    lock held on a dedicated connection), so records of one key reach Kafka in the order written."""

    def __init__(self, *, pool: asyncpg.Pool, producer: AIOKafkaProducer, schema: str,
                 poll_seconds: float = 0.5, batch_size: int = 5000, topic_namespace: str = "") -> None:
        self._pool = pool
        self._producer = producer
        self._schema = schema
        self._poll = poll_seconds
        self._batch = batch_size
        self._namespace = topic_namespace
        self._wake = asyncio.Event()
        self._lock_key = int.from_bytes(hashlib.sha256(f"outbox:{schema}".encode()).digest()[:8], "big", signed=True)

    async def run(self) -> None:
        """Wait for leadership, then publish until cancelled."""
        async with self._pool.acquire() as leader:
            while not await leader.fetchval("SELECT pg_try_advisory_lock($1)", self._lock_key):  # noqa: ASYNC110
                await asyncio.sleep(2)  # another process is the relay; take over if it dies
            log.info("outbox relay active", schema=self._schema)
            await leader.add_listener("relais_outbox", self._on_notify)
            try:
                while True:
                    published = await self.publish_pending()
                    if published < self._batch:
                        self._wake.clear()
                        try:
                            await asyncio.wait_for(self._wake.wait(), self._poll)
                        except TimeoutError:
                            pass
            finally:
                await leader.remove_listener("relais_outbox", self._on_notify)
                await leader.execute("SELECT pg_advisory_unlock($1)", self._lock_key)

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        if payload == self._schema:
            self._wake.set()

    async def publish_pending(self) -> int:
        """Publish one batch of unpublished events, in outbox order; returns how many were sent.

        A batch is the first rows whose events (a frame's several) add up to the batch size, the last frame whole.
        Records are appended to one aiokafka batch per partition (the key's murmur2 partition, as `send` would
        pick), which costs a fraction of a `send` per record; the rows are deleted once the broker acked all.
        """
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(_BATCH, self._batch)
            if not rows:
                BACKLOG.labels(self._schema).set(0)
                return 0
            sent = await self._send(rows)
            await asyncio.gather(*sent.futures)  # all acknowledged by the broker before they go
            await conn.execute("DELETE FROM outbox WHERE seq = ANY($1::bigint[])", [r["seq"] for r in rows])
        PUBLISHED.labels(self._schema).inc(sent.events)
        BACKLOG.labels(self._schema).set(sent.events)
        return sent.events

    async def _send(self, rows: Sequence[asyncpg.Record]) -> _Sent:
        """Hand the rows' events to the producer as per-partition batches, in outbox order within each partition."""
        partitions: dict[str, list[int]] = {}
        open_batches: dict[tuple[str, int], Any] = {}
        sent = _Sent([], 0)
        for row in rows:
            topic = namespaced(row["topic"], self._namespace)
            if topic not in partitions:
                partitions[topic] = sorted(await self._producer.partitions_for(topic))
            records = [(row["key"].encode(), row["value"])] if row["events"] is None else unframe(row["value"])
            for key, value in records:
                sent.events += 1
                where = (topic, partition_for(key, partitions[topic]))
                batch = open_batches.get(where)
                if batch is None or batch.append(timestamp=None, key=key, value=value, headers=_HEADERS) is None:
                    if batch is not None:  # full: send it, start the next one
                        sent.futures.append(await self._producer.send_batch(batch, where[0], partition=where[1]))
                    batch = open_batches[where] = self._producer.create_batch()
                    if batch.append(timestamp=None, key=key, value=value, headers=_HEADERS) is None:
                        raise ValueError(f"an event of outbox row {row['seq']} is larger than a producer batch")
        for (topic, partition), batch in open_batches.items():
            sent.futures.append(await self._producer.send_batch(batch, topic, partition=partition))
        return sent


# The first rows in outbox order until their events reach $1 (a row of one event counts one, a frame its events).
_BATCH = ("SELECT seq, topic, key, value, events FROM ("
          " SELECT seq, topic, key, value, events, sum(coalesce(events, 1)) OVER (ORDER BY seq) AS upto"
          " FROM outbox ORDER BY seq LIMIT $1) queued "
          "WHERE upto - coalesce(events, 1) < $1 ORDER BY seq")


@dataclass(slots=True)
class _Sent:
    """What `_send` handed to the producer: a future per producer batch, and the events."""

    futures: list[asyncio.Future[Any]]
    events: int
