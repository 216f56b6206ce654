"""The faust wiring of stream.py on the real Kafka: an agent registered by `register` consumes a topic in
batches, skips poison, and applies events through the same handler as in production. It uses a private
test topic and consumer group, so it never touches the platform's topics."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaProducer

from relais_outcomes.entrypoints.stream import register
from relais_outcomes.service_layer.consumers import Consumer
from relais_outcomes.service_layer.projections import project_cases_opened
from relais_platform.contracts import CaseOpened, Customer
from relais_platform.events import encode, envelope
from relais_platform.kafka import ensure_topics, make_faust_app

pytestmark = pytest.mark.integration


async def test_a_registered_agent_consumes_real_kafka_into_the_projection(outcomes_app, outcomes_pool,
                                                                          kafka_bootstrap: str) -> None:
    tag = uuid.uuid4().hex[:8]
    topic = f"relais.test.outcomes-worker.{tag}"
    await ensure_topics(kafka_bootstrap, [topic], partitions=1)
    customer = Customer(first_name="Inès", last_name="Roux", time_zone="Europe/Paris", department="93")
    events = [envelope(CaseOpened(case_id=uuid.uuid4(), partner_id="acme", campaign_id=uuid.uuid4(),
                                  external_ref=f"W-{n}", customer=customer, amount_due_cents=100,
                                  opened_at=datetime(2026, 3, 1, tzinfo=UTC)), source="/relais/test")
              for n in range(3)]
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        for raw in [encode(events[0]), b"poison", encode(events[1]), encode(events[0]), encode(events[2])]:
            await producer.send_and_wait(topic, raw, key=b"k")
    finally:
        await producer.stop()

    app = make_faust_app(app_id=f"relais-outcomes-test-{tag}", bootstrap=kafka_bootstrap)
    register(app, outcomes_app.state.resources, [Consumer(topic, CaseOpened, project_cases_opened)])
    await app.start()
    try:
        refs: list[str] = []
        for _ in range(80):
            refs = [r["external_ref"] for r in await outcomes_pool.fetch("SELECT external_ref FROM cases")]
            if len(refs) == 3:
                break
            await asyncio.sleep(0.25)
    finally:
        await app.stop()
    assert sorted(refs) == ["W-0", "W-1", "W-2"]
    claimed = await outcomes_pool.fetchval("SELECT count(*) FROM processed_events WHERE consumer = $1",
                                           "outcomes.test.outcomes-worker." + tag)
    assert claimed == 3
