"""The cases_opened consumer: project, route, assign, publish; redelivery changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from relais_campaigns.adapters import cases_repo
from relais_platform.contracts import AssignmentStatus, Channel, OutcomeType
from relais_platform.events import encode

pytestmark = pytest.mark.integration


async def test_a_batch_is_routed_to_two_sites_assigned_up_to_capacity_and_the_rest_waits(campaigns_kit) -> None:
    kit = campaigns_kit
    await kit.put_site("paris", ["75"])
    await kit.put_site("ajaccio", ["2A"])
    await kit.put_agent("ana", "paris", capacity=2)
    await kit.put_agent("bob", "paris", capacity=2)
    await kit.put_agent("corso", "ajaccio", capacity=1, channels=["phone"])
    t0 = datetime.now(UTC) - timedelta(days=1)
    paris = [kit.opened(postcode="75011", priority=p, opened_at=t0 + timedelta(minutes=i))
             for i, p in enumerate([0, 0, 5, 0, 1, 0])]
    corsica = [kit.opened(postcode="20000", department="2A"), kit.opened(postcode="20090", department="2A")]
    lyon = kit.opened(postcode="69001")
    await kit.feed_opened([*paris, *corsica, lyon])

    assert await kit.loads() == {"ana": 2, "bob": 2, "corso": 1}
    statuses = {e.data.case_id: (await kit.case(e.data.case_id))["status"] for e in [*paris, *corsica, lyon]}
    assert statuses[lyon.data.case_id] == "unrouted"
    assert [statuses[e.data.case_id] for e in paris] == ["assigned", "assigned", "assigned", "waiting", "assigned",
                                                         "waiting"]  # priority 5 and 1 first, then oldest
    assert sorted(statuses[e.data.case_id] for e in corsica) == ["assigned", "waiting"]

    events = await kit.assignments()
    assert len(events) == 9 and len({e.case_id for e in events}) == 9  # one per case
    by_case = {e.case_id: e for e in events}
    assert by_case[lyon.data.case_id].status is AssignmentStatus.UNROUTED and by_case[lyon.data.case_id].site_id is None
    assigned = [e for e in events if e.status is AssignmentStatus.ASSIGNED]
    assert len(assigned) == 5 and all(e.agent_id and e.site_id for e in assigned)
    waiting = [e for e in events if e.status is AssignmentStatus.WAITING]
    assert {e.site_id for e in waiting} == {"paris", "ajaccio"} and all(e.agent_id is None for e in waiting)


async def test_the_projection_keeps_what_the_worklist_needs(campaigns_kit) -> None:
    kit = campaigns_kit
    await kit.put_site("paris", ["75"])
    visit = kit.opened(postcode="75011", phone=False, amount=12_345)
    preferred = kit.opened(postcode="75012", preference=Channel.DOOR_TO_DOOR)
    await kit.feed_opened([visit, preferred])
    row = await kit.case(visit.data.case_id)
    assert (row["channel"], row["postcode"], row["department"], row["amount_due_cents"]) == (
        "door_to_door", "75011", "75", 12_345)
    assert row["address"]["postcode"] == "75011" and row["phone_e164"] is None
    assert (await kit.case(preferred.data.case_id))["channel"] == "door_to_door"


async def test_redelivering_the_same_batch_changes_nothing(campaigns_kit) -> None:
    kit = campaigns_kit
    await kit.put_site("paris", ["75"])
    await kit.put_agent("ana", "paris", capacity=1)
    batch = [kit.opened(), kit.opened(), kit.opened(postcode="69001")]
    await kit.feed_opened(batch)
    before = (await kit.pool.fetch("SELECT * FROM cases ORDER BY case_id"), await kit.outbox_size())
    await kit.feed_opened(batch)
    await kit.feed_opened(batch[1:])
    after = (await kit.pool.fetch("SELECT * FROM cases ORDER BY case_id"), await kit.outbox_size())
    assert before == after and before[1] == 3


async def test_the_same_case_opened_again_under_another_event_id_is_ignored(campaigns_kit) -> None:
    kit = campaigns_kit
    await kit.put_site("paris", ["75"])
    first = kit.opened(external_ref="dup")
    again = kit.opened(external_ref="dup", amount=1)
    assert first.id != again.id and first.data.case_id == again.data.case_id
    await kit.feed_opened([first, again])
    await kit.feed_opened([again])
    assert (await kit.case(first.data.case_id))["amount_due_cents"] == 10_000
    assert len(await kit.assignments()) == 1


async def test_poison_values_are_skipped_and_the_rest_of_the_batch_is_applied(campaigns_kit) -> None:
    kit = campaigns_kit
    await kit.put_site("paris", ["75"])
    good = kit.opened()
    await kit.feed_opened([])  # an empty batch is harmless
    from relais_campaigns.entrypoints.stream import cases_opened_handler

    await cases_opened_handler(kit.resources)([b"{broken", encode(good), b'{"id": 1}'])
    assert (await kit.case(good.data.case_id))["status"] == "waiting"


async def test_a_case_whose_outcome_arrived_first_is_projected_closed(campaigns_kit) -> None:
    kit = campaigns_kit
    await kit.put_site("paris", ["75"])
    await kit.put_agent("ana", "paris", capacity=3)
    opened = kit.opened()
    await kit.feed_resolved([kit.resolved(opened.data.case_id)])
    await kit.feed_opened([opened])
    row = await kit.case(opened.data.case_id)
    assert (row["status"], row["outcome"], row["agent_id"]) == ("resolved", "paid", None)
    assert await kit.assignments() == []
    assert await kit.pool.fetchval("SELECT count(*) FROM early_outcomes") == 0


async def test_a_slot_planned_for_a_case_that_exists_already_goes_to_the_next_waiting_case(campaigns_kit) -> None:
    """Arrivals are planned before they are inserted: one already in the projection (here withdrawn; with two
    workers, inserted a moment ago) must not keep its planned slot from the case behind it."""
    kit = campaigns_kit
    await kit.put_site("paris", ["75"])
    await kit.put_agent("ana", "paris", capacity=1)
    first = kit.opened(external_ref="again", priority=9)
    await kit.feed_resolved([kit.resolved(first.data.case_id, outcome=OutcomeType.RECALLED)])
    await kit.feed_opened([first])
    assert (await kit.case(first.data.case_id))["status"] == "withdrawn"
    again, behind = kit.opened(external_ref="again", priority=9), kit.opened(priority=0)
    await kit.feed_opened([again, behind])
    assert (await kit.case(behind.data.case_id))["agent_id"] == "ana"
    events = await kit.assignments()
    assert [(e.case_id, e.status) for e in events] == [(behind.data.case_id, AssignmentStatus.ASSIGNED)]


async def test_a_case_taken_on_arrival_is_stored_as_if_queued_then_assigned(campaigns_kit) -> None:
    kit = campaigns_kit
    await kit.put_site("paris", ["75"])
    await kit.put_agent("ana", "paris", capacity=1)
    taken, waits = kit.opened(priority=5), kit.opened(priority=1)
    await kit.feed_opened([waits, taken])
    row, queued = await kit.case(taken.data.case_id), await kit.case(waits.data.case_id)
    assert (row["status"], row["agent_id"], row["assignment_version"]) == ("assigned", "ana", 2)
    assert row["assigned_at"] is not None and row["received_at"] is not None
    assert (queued["status"], queued["agent_id"], queued["assignment_version"]) == ("waiting", None, 1)
    assert await kit.loads() == {"ana": 1}
    assert await kit.pool.fetchval("SELECT open_cases FROM agents WHERE agent_id = 'ana'") == 1


async def test_a_case_another_worker_inserted_after_the_check_is_skipped_with_the_rest_inserted(
        campaigns_kit, monkeypatch) -> None:
    """New cases are COPYed straight into the projection; when one of them appeared between the check and the COPY
    (two workers racing on one event), the COPY is undone and the batch inserted again without it."""
    kit = campaigns_kit
    await kit.put_site("paris", ["75"])
    await kit.put_agent("ana", "paris", capacity=5)
    first = kit.opened(priority=9)
    await kit.feed_opened([first])

    async def nothing_known(conn, *, case_ids):  # the other worker's insert is not visible to the check
        return set()

    monkeypatch.setattr(cases_repo, "known_case_ids", nothing_known)
    second = kit.opened(priority=0)
    await kit.feed_opened([first, second])
    assert await kit.pool.fetchval("SELECT count(*) FROM cases") == 2
    assert (await kit.case(second.data.case_id))["agent_id"] == "ana"
    assert await kit.loads() == {"ana": 2}
    events = await kit.assignments()
    assert sorted((e.case_id, e.status) for e in events) == sorted(
        [(first.data.case_id, AssignmentStatus.ASSIGNED), (second.data.case_id, AssignmentStatus.ASSIGNED)])
