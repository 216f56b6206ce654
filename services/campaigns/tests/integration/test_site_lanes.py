"""Opened cases shared out by site between the worker and a child process: the same assignments as one lane,
and a share that fails fails the batch, which is then applied once."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator

import pytest
from structlog.testing import capture_logs

from relais_campaigns.bootstrap import SCHEMA
from relais_campaigns.entrypoints.stream import cases_opened_handler
from relais_platform.contracts import Channel
from relais_platform.events import encode, envelope
from relais_platform.lanes import ProcessLanes

pytestmark = pytest.mark.integration

SITES = {"lyon": ["69"], "marseille": ["13"], "paris": ["75"], "paris-15": ["75015"]}
AGENTS = [("lyon-a", "lyon", 3, ("phone", "door_to_door")), ("lyon-b", "lyon", 2, ("phone",)),
          ("marseille-a", "marseille", 2, ("door_to_door",)), ("paris-a", "paris", 4, ("phone", "door_to_door")),
          ("paris-b", "paris", 3, ("phone", "door_to_door")), ("paris-c", "paris", 1, ("phone",)),
          ("paris-15-a", "paris-15", 1, ("phone", "door_to_door"))]


def _lanes(dsn: str, schema: str) -> ProcessLanes:
    return ProcessLanes(service="relais-campaigns", dsn=dsn, schema=schema, count=2, pool_size=2,
                        imports=("relais_campaigns.service_layer.site_lanes",), log_json=False)


@pytest.fixture
async def campaigns_lanes(test_database_url: str) -> AsyncIterator[ProcessLanes]:
    lanes = _lanes(test_database_url, SCHEMA)
    await lanes.start()
    yield lanes
    lanes.close()


async def _staff(kit) -> None:
    for site_id, prefixes in SITES.items():
        await kit.put_site(site_id, prefixes)
    for agent_id, site_id, capacity, channels in AGENTS:
        await kit.put_agent(agent_id, site_id, capacity=capacity, channels=channels)


def _batch(kit) -> list:
    """Cases of four sites, unrouted ones, phone-only and address-only ones, a duplicate and a re-sent case."""
    events = [kit.opened(postcode=f"{prefix}{i:03d}", priority=i % 4, amount=1_000 + 37 * i % 500,
                         phone=i % 5 != 0, preference=Channel.DOOR_TO_DOOR if i % 7 == 0 else None)
              for i in range(30) for prefix in ("69", "13", "75", "33")]
    events += [kit.opened(postcode="75015", priority=3) for _ in range(3)]
    events += [kit.opened(postcode=None, department="69") for _ in range(4)]
    events += [events[5], envelope(events[6].data, source="/relais/intake")]
    return events


async def _outcome(kit) -> tuple[list[tuple], Counter]:
    cases = await kit.pool.fetch("SELECT case_id, status, site_id, agent_id, channel, assignment_version "
                                 "FROM cases ORDER BY case_id")
    events = Counter((e.case_id, e.status, e.site_id, e.agent_id, e.channel, e.reason)
                     for e in await kit.assignments())
    return [tuple(r) for r in cases], events


async def _feed_in_two_batches(kit, events, lanes: ProcessLanes | None) -> None:
    """One handler for both batches, as in the worker: the second is shared out with the sites the first read."""
    handler = cases_opened_handler(kit.resources, lanes)
    for batch in (events[:70], events[70:]):
        await handler([encode(e) for e in batch])


async def test_two_lanes_assign_exactly_as_one(campaigns_kit, campaigns_lanes) -> None:
    kit = campaigns_kit
    await _staff(kit)
    events = _batch(kit)
    await _feed_in_two_batches(kit, events, None)
    one_lane = await _outcome(kit)

    await kit.pool.execute("TRUNCATE cases, outbox, agents, sites CASCADE")
    await _staff(kit)
    with capture_logs() as logs:
        await _feed_in_two_batches(kit, events, campaigns_lanes)
    assert [e["lanes"] for e in logs if e["event"] == "batch applied"] == [2, 2]
    assert await _outcome(kit) == one_lane
    statuses = Counter(status for _, status, *_ in one_lane[0])
    assert statuses == {"assigned": 16, "waiting": 81, "unrouted": 30}
    assert max(one_lane[1].values()) == 1 and len(one_lane[1]) == len(one_lane[0])  # one event a case


async def test_a_failing_share_fails_the_batch_and_the_retry_applies_every_case_once(campaigns_kit,
                                                                                     test_database_url) -> None:
    kit = campaigns_kit
    await _staff(kit)
    events = _batch(kit)
    broken = _lanes(test_database_url, "public")  # the child's share meets no campaigns tables
    await broken.start()
    try:
        with pytest.raises(Exception, match="does not exist"):
            await kit.feed_opened(events, lanes=broken)
    finally:
        broken.close()
    done_by_the_worker = await kit.pool.fetchval("SELECT count(*) FROM cases")
    assert 0 < done_by_the_worker < 127  # the worker's share committed, the child's did not

    await kit.feed_opened(events)  # the batch again (its offsets were never committed)
    cases, published = await _outcome(kit)
    assert len(cases) == 127 and max(published.values()) == 1 and len(published) == 127
    assert Counter(agent for *_, agent, _, _ in cases if agent) == {agent: capacity for agent, _, capacity, _ in AGENTS}
