"""A topic namespace (a benchmark's or a test's private copy of the topics) is deleted whole, and only it."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from relais_platform.kafka import delete_namespace, ensure_topics, namespaced

pytestmark = pytest.mark.integration


async def _topics(bootstrap: str) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


async def test_deleting_a_namespace_deletes_its_topics_only(kafka_bootstrap: str) -> None:
    tag = uuid.uuid4().hex[:8]
    mine, neighbour = f"test-{tag}", f"test-{tag}x"  # a namespace that merely starts the same way is not mine
    topics = [namespaced(t, mine) for t in ("relais.cases.opened.v1", "relais.billing.lines.v1")]
    await ensure_topics(kafka_bootstrap, [*topics, namespaced("relais.cases.opened.v1", neighbour)], partitions=1)
    assert await delete_namespace(kafka_bootstrap, mine) == sorted(topics)
    for _ in range(50):  # the broker learns of the deletion from the controller a moment later
        left = await _topics(kafka_bootstrap)
        if not left & set(topics):
            break
        await asyncio.sleep(0.1)
    assert not left & set(topics) and namespaced("relais.cases.opened.v1", neighbour) in left
    assert await delete_namespace(kafka_bootstrap, neighbour) == [namespaced("relais.cases.opened.v1", neighbour)]
    with pytest.raises(ValueError, match="not a namespace"):
        await delete_namespace(kafka_bootstrap, "")
