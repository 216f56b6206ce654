"""consume_in_batches on the real Kafka: batches in partition order, retried until the handler succeeds, offsets
committed only after success, in a consumer group of its own."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid

import pytest
from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from relais_platform.kafka import (
    KafkaRecord,
    StagedHandler,
    consume_in_batches,
    ensure_topics,
    make_faust_app,
    make_producer,
)

pytestmark = pytest.mark.integration


async def _produce(bootstrap: str, topic: str, values: list[bytes]) -> None:
    producer = make_producer(bootstrap)
    await producer.start()
    try:
        sent = [await producer.send(topic, v, key=str(i % 5).encode(), headers=[("h", b"1")])
                for i, v in enumerate(values)]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def _filled_topic(bootstrap: str, name: str, *, partitions: int, values: list[bytes]) -> tuple[str, str]:
    """A fresh topic `relais.test.<name>.<tag>` holding `values` (record i keyed i % 5); returns (tag, topic)."""
    tag = uuid.uuid4().hex[:8]
    topic = f"relais.test.{name}.{tag}"
    await ensure_topics(bootstrap, [topic], partitions=partitions)
    await _produce(bootstrap, topic, values)
    return tag, topic


def _of_key(values: list[bytes], key: int) -> list[bytes]:
    """The values produced under one key, in production order."""
    return [v for i, v in enumerate(values) if i % 5 == key]


async def _committed(bootstrap: str, group: str) -> dict[TopicPartition, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return {tp: meta.offset for tp, meta in (await admin.list_consumer_group_offsets(group)).items()}
    finally:
        await admin.close()


async def _until(predicate, what: str, timeout: float = 30) -> None:
    for _ in range(int(timeout / 0.1)):
        if await predicate():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def test_batches_are_retried_until_they_succeed_and_only_then_committed(kafka_bootstrap: str) -> None:
    values = [f"v{i}".encode() for i in range(300)]
    tag, topic = await _filled_topic(kafka_bootstrap, "bulk", partitions=2, values=values)
    seen: list[bytes] = []
    failures = [2]  # the first two calls fail (a database outage, say)

    async def handler(batch: list[bytes]) -> None:
        if failures[0]:
            failures[0] -= 1
            raise RuntimeError("database unavailable")
        seen.extend(batch)

    app = make_faust_app(app_id=f"relais-test-bulk-{tag}", bootstrap=kafka_bootstrap)
    consume_in_batches(app, topic, handler, consumer="test.bulk", max_batch=120)
    await app.start()
    try:
        await _until(lambda: _true(len(seen) >= 300), "every record")
        group = f"relais-test-bulk-{tag}.{topic}"
        await _until(lambda: _all_committed(kafka_bootstrap, group, topic), "offsets committed")
    finally:
        await app.stop()
    assert sorted(seen) == sorted(values) and len(seen) == 300  # none lost, none twice (no rebalance here)
    for key in range(5):  # in order within a key (one partition per key)
        mine = _of_key(values, key)
        assert [v for v in seen if v in set(mine)] == mine


async def test_records_mode_hands_keys_headers_and_positions(kafka_bootstrap: str) -> None:
    tag, topic = await _filled_topic(kafka_bootstrap, "bulk-records", partitions=1, values=[b"a", b"b"])
    got: list[KafkaRecord] = []

    async def handler(batch: list[KafkaRecord]) -> None:
        got.extend(batch)

    app = make_faust_app(app_id=f"relais-test-bulk-{tag}", bootstrap=kafka_bootstrap)
    consume_in_batches(app, topic, handler, consumer="test.records", records=True)
    await app.start()
    try:
        await _until(lambda: _true(len(got) >= 2), "both records")
    finally:
        await app.stop()
    assert [(r.topic, r.partition, r.offset, r.key, r.value) for r in got] == [
        (topic, 0, 0, b"0", b"a"), (topic, 0, 1, b"1", b"b")]
    assert got[0].headers == [("h", b"1")] and got[0].record_id != got[1].record_id


async def _true(value: bool) -> bool:
    return value


async def _all_committed(bootstrap: str, group: str, topic: str, *, partitions: int = 2, records: int = 300) -> bool:
    committed = await _committed(bootstrap, group)
    return sum(committed.get(TopicPartition(topic, p), 0) for p in range(partitions)) == records


async def test_a_staged_handler_prepares_the_next_batch_while_the_current_one_is_applied(kafka_bootstrap: str) -> None:
    values = [f"v{i}".encode() for i in range(400)]
    tag, topic = await _filled_topic(kafka_bootstrap, "bulk-staged", partitions=1, values=values)
    timeline: list[tuple[str, int, float]] = []
    applied: list[bytes] = []
    prepare_threads: set[str] = set()

    def prepare(batch: list[bytes]) -> list[bytes]:
        prepare_threads.add(threading.current_thread().name)
        timeline.append(("prepare", len(batch), time.monotonic()))
        return [v.upper() for v in batch]

    async def apply(prepared: list[bytes]) -> None:
        timeline.append(("apply-start", len(prepared), time.monotonic()))
        await asyncio.sleep(0.3)  # a transaction waiting on PostgreSQL
        applied.extend(prepared)
        timeline.append(("apply-end", len(prepared), time.monotonic()))

    app = make_faust_app(app_id=f"relais-test-bulk-{tag}", bootstrap=kafka_bootstrap)
    consume_in_batches(app, topic, StagedHandler(prepare=prepare, apply=apply), consumer="test.staged", max_batch=100)
    await app.start()
    try:
        await _until(lambda: _true(len(applied) >= 400), "every record applied")
    finally:
        await app.stop()
    assert applied == [v.upper() for v in values]  # one partition: applied in order, each once
    assert threading.current_thread().name not in prepare_threads  # prepared off the event loop's thread
    starts = [t for kind, _, t in timeline if kind == "prepare"]
    ends = [t for kind, _, t in timeline if kind == "apply-end"]
    assert any(s < e for s, e in zip(starts[1:], ends, strict=False)), "no batch was prepared during an apply"


async def test_members_share_the_partitions_and_run_their_batches_at_once(kafka_bootstrap: str) -> None:
    values = [f"v{i}".encode() for i in range(400)]
    tag, topic = await _filled_topic(kafka_bootstrap, "bulk-members", partitions=4, values=values)
    seen: list[bytes] = []
    running, both = [0], asyncio.Event()

    async def handler(batch: list[bytes]) -> None:
        running[0] += 1
        if running[0] == 2:
            both.set()
        try:  # a transaction's round trips: the other member runs meanwhile (whichever joined the group later
            await asyncio.wait_for(both.wait(), timeout=45)  # gets its partitions after a rebalance)
        finally:
            running[0] -= 1
        seen.extend(batch)

    app = make_faust_app(app_id=f"relais-test-bulk-{tag}", bootstrap=kafka_bootstrap)
    consume_in_batches(app, topic, handler, consumer="test.members", max_batch=20, members=2)
    await app.start()
    try:
        await _until(lambda: _true(len(seen) >= 400), "every record", timeout=60)
        await _until(lambda: _all_committed(kafka_bootstrap, f"relais-test-bulk-{tag}.{topic}", topic,
                                            partitions=4, records=400), "offsets committed")
    finally:
        await app.stop()
    assert both.is_set(), "the two members never ran a batch at the same time"
    assert set(seen) == set(values)
    for key in range(5):  # each partition has one member: a key's records stay in order (a record handed to a
        mine = _of_key(values, key)  # member before a rebalance may come again)
        assert list(dict.fromkeys(v for v in seen if v in set(mine))) == mine
