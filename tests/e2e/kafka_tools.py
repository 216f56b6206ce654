"""Kafka helpers for end-to-end tests: read what the services published, re-deliver it, wait for lag 0."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import ConsumerRecord

BOOTSTRAP = os.environ.get("RELAIS_KAFKA_BOOTSTRAP", "127.0.0.1:9092")


async def records_since(topic: str, since_ms: int, *, keys: set[bytes]) -> list[ConsumerRecord]:
    """Every record of `topic` written after `since_ms` whose key is in `keys`."""
    consumer = AIOKafkaConsumer(bootstrap_servers=BOOTSTRAP, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in await _partitions(consumer, topic)]
        consumer.assign(tps)
        starts = await consumer.offsets_for_times({tp: since_ms for tp in tps})
        ends = await consumer.end_offsets(tps)
        found: list[ConsumerRecord] = []
        for tp in tps:
            start = starts[tp].offset if starts[tp] else ends[tp]
            consumer.seek(tp, start)
            while await consumer.position(tp) < ends[tp]:
                batch = await consumer.getmany(tp, timeout_ms=2000)
                found += [r for r in batch.get(tp, []) if r.key in keys and r.offset < ends[tp]]
        return found
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    """Partitions of `topic`, waiting for its metadata the first time."""
    await consumer._client._wait_on_metadata(topic)
    return consumer.partitions_for_topic(topic) or set()


async def redeliver(records: Iterable[ConsumerRecord]) -> int:
    """Produce the same records again, byte for byte (what a retrying producer or a replay does)."""
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, acks="all")
    await producer.start()
    try:
        sent = [await producer.send(r.topic, value=r.value, key=r.key, headers=list(r.headers)) for r in records]
        await asyncio.gather(*sent)
        return len(sent)
    finally:
        await producer.stop()


async def wait_caught_up(worker: str, topics: Iterable[str], *, timeout: float = 60) -> None:
    """Wait until the worker (its app id, e.g. relais-outcomes) has committed every record currently in `topics`;
    each topic is consumed in a group of its own, `<worker>.<topic>`."""
    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    consumer = AIOKafkaConsumer(bootstrap_servers=BOOTSTRAP, enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        tps = [TopicPartition(t, p) for t in topics for p in await _partitions(consumer, t)]
        ends = await consumer.end_offsets(tps)
        deadline = time.monotonic() + timeout
        while True:
            committed = {tp: meta.offset for t in {tp.topic for tp in tps}
                         for tp, meta in (await admin.list_consumer_group_offsets(f"{worker}.{t}")).items()}
            behind = {tp: ends[tp] - committed.get(tp, 0) for tp in tps}
            if all(lag <= 0 for lag in behind.values()):
                return
            if time.monotonic() > deadline:
                lagging = {f"{tp.topic}[{tp.partition}]": lag for tp, lag in behind.items() if lag > 0}
                raise AssertionError(f"{worker} still behind after {timeout}s: {lagging}")
            await asyncio.sleep(0.3)
    finally:
        await consumer.stop()
        await admin.close()
