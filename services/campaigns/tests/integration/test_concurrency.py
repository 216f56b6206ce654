"""Two workers assigning at once (two pools, real transactions) never overfill an agent nor assign a
case twice."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime

import pytest

from relais_campaigns.adapters.opened_codec import decode_opened
from relais_campaigns.bootstrap import SCHEMA
from relais_campaigns.service_layer.case_events import open_cases
from relais_platform.contracts import AssignmentStatus
from relais_platform.events import encode, envelope
from relais_platform.runtime import Resources

pytestmark = pytest.mark.integration

ROUNDS = 8
CAPACITY = {"a": 2, "b": 1, "c": 3}


@pytest.fixture
async def campaigns_second_worker(campaigns_settings):
    resources = Resources(campaigns_settings, schema=SCHEMA)
    yield resources
    await resources.close()


async def test_parallel_batches_on_overlapping_cases_respect_capacity(campaigns_kit, campaigns_second_worker):
    kit = campaigns_kit
    for r in range(ROUNDS):
        site, prefix = f"site-{r}", f"{10 + r}"
        await kit.put_site(site, [prefix])
        for name, capacity in CAPACITY.items():
            await kit.put_agent(f"{name}-{r}", site, capacity=capacity)
        events = [kit.opened(postcode=f"{prefix}{i:03d}", priority=i % 3) for i in range(16)]
        # the overlap is delivered to both workers, once with the same event ids (a rebalance) and once
        # under new event ids (the same case re-sent)
        resent = [envelope(e.data, source="/relais/intake") for e in events[6:9]]
        first, second = events[:10], [*events[6:], *resent]
        await asyncio.gather(kit.feed_opened(first), kit.feed_opened(second, campaigns_second_worker))

    loads = await kit.loads()
    for r in range(ROUNDS):
        assert {n: loads.get(f"{n}-{r}", 0) for n in CAPACITY} == CAPACITY, f"round {r}: {loads}"
    published = await kit.assignments()
    assigned = Counter(e.case_id for e in published if e.status is AssignmentStatus.ASSIGNED)
    assert sum(assigned.values()) == ROUNDS * sum(CAPACITY.values())
    assert max(assigned.values()) == 1
    assert Counter(e.case_id for e in published).most_common(1)[0][1] == 1  # one event per case
    rows = await kit.pool.fetch("SELECT status, count(*) AS n FROM cases GROUP BY status")
    assert {r["status"]: r["n"] for r in rows} == {"assigned": ROUNDS * 6, "waiting": ROUNDS * 10}


async def test_parallel_batches_of_distinct_cases_for_one_site_respect_capacity(campaigns_kit,
                                                                               campaigns_second_worker):
    """Distinct cases: nothing but the agent locks keeps the two transactions apart."""
    kit = campaigns_kit
    for r in range(ROUNDS):
        site, prefix = f"site-{r}", f"{10 + r}"
        await kit.put_site(site, [prefix])
        for name, capacity in CAPACITY.items():
            await kit.put_agent(f"{name}-{r}", site, capacity=capacity)
        left = [kit.opened(postcode=f"{prefix}{i:03d}") for i in range(8)]
        right = [kit.opened(postcode=f"{prefix}{i:03d}") for i in range(8)]
        await asyncio.gather(kit.feed_opened(left), kit.feed_opened(right, campaigns_second_worker))
    loads = await kit.loads()
    assert all(loads[f"{n}-{r}"] == c for n, c in CAPACITY.items() for r in range(ROUNDS)), loads
    assigned = Counter(e.case_id for e in await kit.assignments() if e.status is AssignmentStatus.ASSIGNED)
    assert len(assigned) == ROUNDS * 6 and max(assigned.values()) == 1


async def test_parallel_resolutions_and_new_cases_keep_capacity(campaigns_kit, campaigns_second_worker):
    kit = campaigns_kit
    await kit.put_site("paris", ["75"])
    await kit.put_agent("ana", "paris", capacity=2)
    await kit.put_agent("bob", "paris", capacity=2)
    first = [kit.opened() for _ in range(6)]
    await kit.feed_opened(first)
    held = [e for e in first if (await kit.case(e.data.case_id))["status"] == "assigned"]
    more = [kit.opened() for _ in range(6)]
    await asyncio.gather(kit.feed_resolved([kit.resolved(e.data.case_id) for e in held[:2]]),
                         kit.feed_opened(more, campaigns_second_worker))
    assert await kit.loads() == {"ana": 2, "bob": 2}
    counts = await kit.pool.fetch("SELECT status, count(*) AS n FROM cases GROUP BY status")
    assert {r["status"]: r["n"] for r in counts} == {"assigned": 4, "resolved": 2, "waiting": 6}


async def test_cases_opened_while_a_site_changes_are_routed_against_the_committed_site(campaigns_kit):
    """A site change and new cases never cross: the cases wait for the change, then route to the site."""
    kit = campaigns_kit
    case = kit.opened(postcode="69001")
    async with kit.pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('campaigns.site_prefixes', 0))")
        await conn.execute("INSERT INTO sites (site_id, name, postcode_prefixes, time_zone) "
                           "VALUES ('lyon', 'Lyon', '{69}', 'Europe/Paris')")
        feeding = asyncio.create_task(kit.feed_opened([case]))
        await asyncio.sleep(0.3)
        assert not feeding.done()  # held back by the site change in flight
        await tx.commit()
    await asyncio.wait_for(feeding, 5)
    row = await kit.case(case.data.case_id)
    assert (row["status"], row["site_id"]) == ("waiting", "lyon")


async def test_an_outcome_arriving_while_its_case_is_being_opened_still_closes_it(campaigns_kit):
    """The two topics are not ordered together: the outcome waits for the case being projected."""
    kit = campaigns_kit
    await kit.put_site("paris", ["75"])
    await kit.put_agent("ana", "paris", capacity=1)
    opened, other = kit.opened(priority=5), kit.opened()
    async with kit.pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        await open_cases(conn=conn, cases=decode_opened([encode(opened), encode(other)], consumer="test"),
                         consumer="campaigns.cases_opened", now=datetime.now(UTC))
        resolving = asyncio.create_task(kit.feed_resolved([kit.resolved(opened.data.case_id)]))
        await asyncio.sleep(0.3)
        assert not resolving.done()
        await tx.commit()
    await asyncio.wait_for(resolving, 5)
    assert (await kit.case(opened.data.case_id))["status"] == "resolved"
    assert (await kit.case(other.data.case_id))["agent_id"] == "ana"  # the freed slot was reused
    assert await kit.pool.fetchval("SELECT count(*) FROM early_outcomes") == 0
