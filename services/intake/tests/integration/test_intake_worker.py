"""The intake worker: its partner-records agent, and its outbox reaching Kafka keyed by case_id."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from relais_intake.bootstrap import SCHEMA, create_worker
from relais_intake.config import Settings
from relais_platform.contracts import CaseOpened, Topics
from relais_platform.events import decode
from relais_platform.kafka import ensure_topics, make_producer
from relais_platform.outbox import OutboxRelay

pytestmark = pytest.mark.integration


def test_worker_consumes_partner_records(test_database_url: str) -> None:
    app = create_worker(Settings(env="test", database_url=test_database_url, topic_namespace="ns"))
    assert list(app.consumed_topics) == [f"ns.{Topics.INTAKE_SUBMISSIONS}"]


async def test_accepted_cases_reach_kafka_through_the_outbox(intake_client, intake_as, intake_campaign, intake_case,
                                                             intake_pool, kafka_bootstrap: str) -> None:
    # The events go to a private copy of the topic: the services started by `make test` consume the real one.
    private_topic = f"relais.test.intake-outbox.{uuid.uuid4().hex[:8]}"
    await ensure_topics(kafka_bootstrap, [private_topic])
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, enable_auto_commit=False)
    await consumer.start()
    producer = make_producer(kafka_bootstrap)
    await producer.start()
    try:
        partitions = [TopicPartition(private_topic, p) for p in sorted(await producer.partitions_for(private_topic))]
        consumer.assign(partitions)
        await consumer.seek_to_end(*partitions)
        for tp in partitions:
            await consumer.position(tp)  # pin the start before anything is published
        campaign = await intake_campaign()
        body = (await intake_client.post(f"/v1/campaigns/{campaign['campaign_id']}/cases", headers=intake_as("partner"),
                                         json={"cases": [intake_case("K1"), intake_case("K2"),
                                                         intake_case("K3", amount_due="-1")]})).json()
        expected = {r["case_id"] for r in body["results"] if r["status"] == "accepted"}
        assert {r["topic"] for r in await intake_pool.fetch("SELECT topic FROM outbox_events")} == {
            Topics.CASES_OPENED, Topics.INTAKE_REJECTIONS}
        await intake_pool.execute("DELETE FROM outbox WHERE topic = $1", Topics.INTAKE_REJECTIONS)
        await intake_pool.execute("UPDATE outbox SET topic = $1", private_topic)
        relay = OutboxRelay(pool=intake_pool, producer=producer, schema=SCHEMA)
        assert await relay.publish_pending() == 2
        assert await relay.publish_pending() == 0
        assert await intake_pool.fetchval("SELECT count(*) FROM outbox_events") == 0
        seen = await _read_keys(consumer, expected)
        assert set(seen) == expected
        assert {e.data.external_ref for e in seen.values()} == {"K1", "K2"}
    finally:
        await producer.stop()
        await consumer.stop()


async def _read_keys(consumer: AIOKafkaConsumer, wanted: set[str]) -> dict[str, object]:
    found: dict[str, object] = {}
    async with asyncio.timeout(20):
        while set(found) != wanted:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    key = record.key.decode()
                    if key in wanted:
                        found[key] = decode(record.value, CaseOpened)
    return found
