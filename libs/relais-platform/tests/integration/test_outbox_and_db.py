"""Outbox relay on the real PostgreSQL and Kafka; migrations; consumer de-duplication; idempotency keys."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import orjson
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from relais_platform.auth import Principal, Role
from relais_platform.contracts import AssignmentChanged
from relais_platform.db import as_new, claim_events, copy_to_scratch, insert_new_rows, migrate
from relais_platform.errors import Unprocessable
from relais_platform.events import decode, encode, envelope
from relais_platform.http import idempotent
from relais_platform.kafka import ensure_topics, make_producer, partition_for
from relais_platform.outbox import EncodedEvent, OutboxRelay, enqueue, enqueue_encoded
from relais_platform.testing import fresh_schema, pool_on

pytestmark = pytest.mark.integration
SCHEMA = "platform_test"
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
async def platform_pool(test_database_url: str, tmp_path: Path):
    await fresh_schema(dsn=test_database_url, schema=SCHEMA, migrations_dir=tmp_path)
    pool = await pool_on(test_database_url, SCHEMA)
    yield pool
    await pool.close()


def _event(case_id: uuid.UUID) -> object:
    data = AssignmentChanged(case_id=case_id, partner_id="p", campaign_id=uuid.uuid4(), status="waiting",
                             changed_at=datetime.now(UTC))
    return envelope(data, source="/relais/test")


async def _enqueue_to(conn: asyncpg.Connection, topic: str, events: list) -> None:
    """Like outbox.enqueue, but onto a throwaway topic so tests never feed the running services."""
    for e in events:
        await conn.execute("INSERT INTO outbox (event_id, topic, key, value) VALUES ($1, $2, $3, $4)",
                           e.id, topic, e.subject, orjson.dumps(e.model_dump(mode="json")))
    await conn.execute("SELECT pg_notify('relais_outbox', current_schema())")


async def _consumed(bootstrap: str, topic: str, *, count: int, partitions: int) -> list[Any]:
    """The first `count` records of `topic`, read from the beginning of each partition."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        got: list[Any] = []
        while len(got) < count:
            batch = await consumer.getmany(timeout_ms=5000)
            assert batch, "relay did not publish everything"
            got += [r for records in batch.values() for r in records]
        return got
    finally:
        await consumer.stop()


async def test_migrations_apply_once_and_refuse_an_edited_file(test_database_url: str, tmp_path: Path) -> None:
    (tmp_path / "0001_t.sql").write_text("CREATE TABLE t (x int);")
    await fresh_schema(dsn=test_database_url, schema=SCHEMA, migrations_dir=tmp_path)
    assert await migrate(dsn=test_database_url, schema=SCHEMA, migrations_dir=tmp_path) == []
    (tmp_path / "0002_u.sql").write_text("CREATE TABLE u (y int);")
    assert await migrate(dsn=test_database_url, schema=SCHEMA, migrations_dir=tmp_path) == [f"{SCHEMA}/0002_u.sql"]
    (tmp_path / "0001_t.sql").write_text("CREATE TABLE t (x bigint);")
    with pytest.raises(RuntimeError, match="changed after it was applied"):
        await migrate(dsn=test_database_url, schema=SCHEMA, migrations_dir=tmp_path)


async def test_claim_events_returns_only_first_sightings(platform_pool: asyncpg.Pool) -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    async with platform_pool.acquire() as conn, conn.transaction():
        assert await claim_events(conn, consumer="c", event_ids=[a, b]) == {a, b}
    async with platform_pool.acquire() as conn, conn.transaction():
        assert await claim_events(conn, consumer="c", event_ids=[a, b, a]) == set()
        assert await claim_events(conn, consumer="other", event_ids=[a]) == {a}


async def test_an_event_enqueued_in_a_rolled_back_transaction_is_never_published(platform_pool: asyncpg.Pool) -> None:
    async with platform_pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        await enqueue(conn, [_event(uuid.uuid4())])
        await tx.rollback()
    assert await platform_pool.fetchval("SELECT count(*) FROM outbox") == 0


async def test_enqueue_adds_only_the_events_not_in_the_outbox_yet(platform_pool: asyncpg.Pool) -> None:
    events = [_event(uuid.uuid4()) for _ in range(6)]
    async with platform_pool.acquire() as conn, conn.transaction():
        assert await enqueue(conn, events[:2]) == 2
        assert await enqueue(conn, events) == 4  # the COPY meets known ids: the new events are still added, once
        rows = await conn.fetch("SELECT event_id FROM outbox ORDER BY seq")
    assert [r["event_id"] for r in rows] == [e.id for e in events]


async def test_one_off_events_skip_the_id_check_and_never_hide_a_checked_one(platform_pool: asyncpg.Pool) -> None:
    def one_off(e: Any, *, dedupe: bool = False) -> EncodedEvent:
        return EncodedEvent(e.id, "relais.test.v1", e.subject, encode(e), dedupe=dedupe)

    checked, one_offs = _event(uuid.uuid4()), [_event(uuid.uuid4()) for _ in range(2)]
    async with platform_pool.acquire() as conn, conn.transaction():
        assert await enqueue_encoded(conn, [one_off(e) for e in one_offs]) == 2
        assert await enqueue(conn, [checked]) == 1
        # a one-off's id is not looked up: its writer's state guarantees it is written once
        assert await enqueue_encoded(conn, [one_off(one_offs[0])]) == 1
        # the checked events still skip the ids queued with the check, whatever one-offs share them
        assert await enqueue_encoded(conn, [one_off(checked, dedupe=True), one_off(one_offs[1], dedupe=True),
                                            one_off(checked)]) == 2
        rows = await conn.fetch("SELECT event_id, dedupe FROM outbox_events ORDER BY seq, ordinal")
        framed = await conn.fetch("SELECT events FROM outbox ORDER BY seq")
    assert [r["events"] for r in framed] == [2, None, None, None, None]  # the first two one-offs share a row
    assert [(r["event_id"], r["dedupe"]) for r in rows] == [
        (one_offs[0].id, False), (one_offs[1].id, False), (checked.id, True), (one_offs[0].id, False),
        (one_offs[1].id, True), (checked.id, False)]


async def test_relay_publishes_in_order_once_and_deletes_rows(platform_pool: asyncpg.Pool,
                                                               kafka_bootstrap: str) -> None:
    topic = f"relais.test.outbox.{uuid.uuid4().hex[:8]}"
    await ensure_topics(kafka_bootstrap, [topic], partitions=1)
    case_id = uuid.uuid4()
    events = [_event(case_id) for _ in range(25)]
    async with platform_pool.acquire() as conn, conn.transaction():
        await _enqueue_to(conn, topic, events)
        assert await enqueue(conn, events[:3]) == 0  # same ids again: skipped
    producer = make_producer(kafka_bootstrap)
    await producer.start()
    try:
        relay = OutboxRelay(pool=platform_pool, producer=producer, schema=SCHEMA, batch_size=10)
        assert [await relay.publish_pending() for _ in range(4)] == [10, 10, 5, 0]
    finally:
        await producer.stop()
    assert await platform_pool.fetchval("SELECT count(*) FROM outbox") == 0
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        got = []
        while len(got) < 25:
            batch = await consumer.getmany(tp, timeout_ms=5000)
            assert batch, "relay did not publish everything"
            got += batch[tp]
    finally:
        await consumer.stop()
    assert [decode(m.value, AssignmentChanged).id for m in got] == [e.id for e in events]
    assert {m.key for m in got} == {str(case_id).encode()}
    assert dict(got[0].headers)["content-type"] == b"application/cloudevents+json"


async def test_relay_run_wakes_on_notify_and_only_one_relay_leads(platform_pool: asyncpg.Pool,
                                                                   kafka_bootstrap: str) -> None:
    producer = make_producer(kafka_bootstrap)
    await producer.start()
    leader = OutboxRelay(pool=platform_pool, producer=producer, schema=SCHEMA, poll_seconds=30)
    follower = OutboxRelay(pool=platform_pool, producer=producer, schema=SCHEMA, poll_seconds=0.05)
    tasks = [asyncio.create_task(leader.run())]
    await asyncio.sleep(0.3)
    tasks.append(asyncio.create_task(follower.run()))
    try:
        topic = f"relais.test.notify.{uuid.uuid4().hex[:8]}"
        await ensure_topics(kafka_bootstrap, [topic], partitions=1)
        async with platform_pool.acquire() as conn, conn.transaction():
            await _enqueue_to(conn, topic, [_event(uuid.uuid4())])
        for _ in range(50):  # the leader polls every 30 s: only NOTIFY can make this fast
            if not await platform_pool.fetchval("SELECT count(*) FROM outbox"):
                break
            await asyncio.sleep(0.1)
        assert await platform_pool.fetchval("SELECT count(*) FROM outbox") == 0
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await producer.stop()


async def test_idempotency_key_replays_the_first_response_and_refuses_another_body(
        platform_pool: asyncpg.Pool) -> None:
    who = Principal(sub="p1", role=Role.PARTNER, partner_id="p")
    calls = []

    async def action(conn: asyncpg.Connection) -> tuple[int, dict[str, object]]:
        calls.append(1)
        return 201, {"n": len(calls)}

    first = await idempotent(platform_pool, principal=who, key="k1", scope="POST /x", payload={"a": 1}, action=action)
    again = await idempotent(platform_pool, principal=who, key="k1", scope="POST /x", payload={"a": 1}, action=action)
    assert (first.status_code, first.body) == (again.status_code, again.body) and len(calls) == 1
    assert again.headers["Idempotent-Replay"] == "true"
    with pytest.raises(Unprocessable, match="different request body"):
        await idempotent(platform_pool, principal=who, key="k1", scope="POST /x", payload={"a": 2}, action=action)
    other = Principal(sub="p2", role=Role.PARTNER, partner_id="q")
    await idempotent(platform_pool, principal=other, key="k1", scope="POST /x", payload={"a": 2}, action=action)
    assert len(calls) == 2  # keys are scoped per caller
    same_sub = Principal(sub="p1", role=Role.PARTNER, partner_id="q")
    await idempotent(platform_pool, principal=same_sub, key="k1", scope="POST /x", payload={"a": 3}, action=action)
    assert len(calls) == 3  # ... and per partner, even under one token subject


async def test_relay_batches_keep_each_keys_order_on_its_default_partition(platform_pool: asyncpg.Pool,
                                                                            kafka_bootstrap: str) -> None:
    topic = f"relais.test.partitions.{uuid.uuid4().hex[:8]}"
    await ensure_topics(kafka_bootstrap, [topic], partitions=3)
    cases = [uuid.uuid4() for _ in range(7)]
    events = [_event(cases[i % 7]) for i in range(700)]
    async with platform_pool.acquire() as conn, conn.transaction():
        await _enqueue_to(conn, topic, events)
    producer = make_producer(kafka_bootstrap, max_batch_size=16 * 1024)  # several batches per partition
    await producer.start()
    try:
        relay = OutboxRelay(pool=platform_pool, producer=producer, schema=SCHEMA, batch_size=300)
        assert [await relay.publish_pending() for _ in range(4)] == [300, 300, 100, 0]
    finally:
        await producer.stop()
    got: dict[int, list] = {p: [] for p in range(3)}
    for record in await _consumed(kafka_bootstrap, topic, count=700, partitions=3):
        got[record.partition].append(record)
    for partition, records in got.items():
        for record in records:
            assert partition_for(record.key, [0, 1, 2]) == partition
    for case_id in cases:
        key = str(case_id).encode()
        on_kafka = [decode(m.value, AssignmentChanged).id for p in got.values() for m in p if m.key == key]
        assert on_kafka == [e.id for e in events if e.data.case_id == case_id]


async def test_framed_one_offs_are_published_in_order_whole_and_listed_by_the_view(platform_pool: asyncpg.Pool,
                                                                                    kafka_bootstrap: str) -> None:
    topic = f"relais.test.frames.{uuid.uuid4().hex[:8]}"
    await ensure_topics(kafka_bootstrap, [topic], partitions=3)
    cases = [uuid.uuid4() for _ in range(5)]
    events = [_event(cases[i % 5]) for i in range(60)]

    def encoded(e: Any, *, dedupe: bool) -> EncodedEvent:
        return EncodedEvent(e.id, topic, e.subject, encode(e), dedupe=dedupe)

    # one-offs, a checked event, one-offs again: three rows, in order (two frames of 25 and 34 events)
    written = [encoded(e, dedupe=False) for e in events[:25]] + [encoded(events[25], dedupe=True)]
    written += [encoded(e, dedupe=False) for e in events[26:]]
    async with platform_pool.acquire() as conn, conn.transaction():
        assert await enqueue_encoded(conn, written) == 60
    assert [r["events"] for r in await platform_pool.fetch("SELECT events FROM outbox ORDER BY seq")] == [25, None, 34]
    listed = await platform_pool.fetch("SELECT event_id, key, value FROM outbox_events ORDER BY seq, ordinal")
    assert [(r["event_id"], r["key"], r["value"]) for r in listed] == [
        (e.id, str(e.subject), encode(e)) for e in events]
    producer = make_producer(kafka_bootstrap)
    await producer.start()
    try:  # a batch of 10 events: the first frame whole; then the checked event and the frame it does not fill up
        relay = OutboxRelay(pool=platform_pool, producer=producer, schema=SCHEMA, batch_size=10)
        assert [await relay.publish_pending() for _ in range(3)] == [25, 35, 0]
    finally:
        await producer.stop()
    assert await platform_pool.fetchval("SELECT count(*) FROM outbox") == 0
    got = await _consumed(kafka_bootstrap, topic, count=60, partitions=3)
    for case_id in cases:  # each key's events in outbox order on its partition, bytes as written
        key = str(case_id).encode()
        assert [m.value for m in got if m.key == key] == [encode(e) for e in events if e.data.case_id == case_id]
        assert {partition_for(key, [0, 1, 2])} == {m.partition for m in got if m.key == key}


async def test_a_scratch_table_starts_empty_at_each_use_and_is_emptied_at_commit(platform_pool: asyncpg.Pool) -> None:
    columns = (("n", "integer"), ("label", "text"))
    async with platform_pool.acquire() as conn:
        async with conn.transaction():
            await copy_to_scratch(conn, "scratch_test", columns, [(1, "a"), (2, "b")])
            assert await conn.fetchval("SELECT count(*) FROM scratch_test") == 2
            await copy_to_scratch(conn, "scratch_test", columns, [(3, "c")])  # a second batch of the transaction
            assert await conn.fetch("SELECT n, label FROM scratch_test") == [(3, "c")]
        assert await conn.fetchval("SELECT count(*) FROM scratch_test") == 0  # ON COMMIT DELETE ROWS


async def test_new_rows_are_copied_in_and_known_ones_skipped_without_losing_the_others(
        platform_pool: asyncpg.Pool) -> None:
    columns = (("n", "integer"), ("doc", "jsonb"))
    async with platform_pool.acquire() as conn:
        await conn.execute("CREATE TEMP TABLE new_rows_test (n integer PRIMARY KEY, doc jsonb NOT NULL)")
        async with conn.transaction():
            assert await insert_new_rows(conn, "new_rows_test", columns, [(1, {"a": 1}), (2, {"b": [2]})],
                                         returning="n") is None  # all new: COPYed straight in
            inserted = await insert_new_rows(conn, "new_rows_test", columns,
                                             [(3, {"c": 3}), (2, {"b": "again"}), (4, {"j": True})],
                                             returning="n")
            assert inserted == {3, 4}
            twice = [(5, {"first": True}), (5, {"second": True})]  # one key twice: the first in order wins
            assert await insert_new_rows(conn, "new_rows_test", columns, twice, returning="n") == {5}
        rows = await conn.fetch("SELECT n, doc FROM new_rows_test ORDER BY n")
        assert [(r["n"], r["doc"]) for r in rows] == [(1, {"a": 1}), (2, {"b": [2]}), (3, {"c": 3}), (4, {"j": True}),
                                                            (5, {"first": True})]


async def test_as_new_rolls_back_only_its_savepoint_on_a_known_row(platform_pool: asyncpg.Pool) -> None:
    async with platform_pool.acquire() as conn:
        await conn.execute("CREATE TEMP TABLE as_new_test (n integer PRIMARY KEY)")
        async with conn.transaction():
            await conn.execute("INSERT INTO as_new_test VALUES (1)")
            async with as_new(conn) as fresh:
                await conn.execute("INSERT INTO as_new_test VALUES (2), (3)")
            async with as_new(conn) as known:
                await conn.execute("INSERT INTO as_new_test VALUES (4)")
                await conn.execute("INSERT INTO as_new_test VALUES (1)")  # there already: the savepoint goes
                raise AssertionError("not reached: the violation leaves the block")
            with pytest.raises(asyncpg.CheckViolationError):  # anything but a known row propagates
                async with as_new(conn):
                    await conn.execute("ALTER TABLE as_new_test ADD CHECK (n < 10)")
                    await conn.execute("INSERT INTO as_new_test VALUES (11)")
        assert (fresh.added, known.added) == (True, False)
        assert [r["n"] for r in await conn.fetch("SELECT n FROM as_new_test ORDER BY n")] == [1, 2, 3]


_MOMENTS = [datetime(2026, 3, 29, 0, 59, 59, 999999, tzinfo=UTC), datetime(2026, 3, 29, 3, 30, tzinfo=PARIS),
            datetime(2026, 10, 25, 2, 30, tzinfo=PARIS), datetime(1999, 12, 31, 23, 59, 59, 1, tzinfo=UTC),
            datetime(1970, 1, 1, tzinfo=UTC), datetime(2026, 12, 1, 12, tzinfo=timezone(timedelta(hours=-3))),
            datetime(2026, 12, 1, 12, 0, 0, 123456), date(2026, 2, 28), datetime.max, datetime.min,
            datetime(9999, 12, 31, 23, tzinfo=UTC), datetime(1, 1, 2, tzinfo=UTC)]


async def test_the_pools_timestamptz_codec_writes_and_reads_what_asyncpgs_own_does(test_database_url: str) -> None:
    pool = await pool_on(test_database_url, "public")
    plain = await asyncpg.connect(test_database_url)
    try:
        async with pool.acquire() as conn:
            for moment in _MOMENTS * 2:  # the second pass through the memo
                query = "SELECT $1::timestamptz::text"
                assert await conn.fetchval(query, moment) == await plain.fetchval(query, moment), moment
                assert await conn.fetchval("SELECT $1::timestamptz", moment) == await plain.fetchval(
                    "SELECT $1::timestamptz", moment), moment
            for text in ("infinity", "-infinity", "2026-06-01 12:34:56.789012+02", "0001-01-01 00:00:00+00"):
                query = f"SELECT '{text}'::timestamptz"
                assert await conn.fetchval(query) == await plain.fetchval(query), text
            with pytest.raises(asyncpg.DataError, match=r"expected a datetime\.date or datetime\.datetime"):
                await conn.fetchval("SELECT $1::timestamptz", "2026-01-01")
    finally:
        await plain.close()
        await pool.close()
