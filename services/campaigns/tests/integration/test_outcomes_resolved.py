"""The outcomes_resolved consumer: a resolved case frees its agent, whose slot goes to the queue at once."""

from __future__ import annotations

import pytest

from relais_platform.contracts import AssignmentStatus, OutcomeType

pytestmark = pytest.mark.integration


async def _one_agent_two_cases(kit):
    await kit.put_site("paris", ["75"])
    await kit.put_agent("ana", "paris", capacity=1)
    held, queued = kit.opened(priority=5), kit.opened(priority=1)
    await kit.feed_opened([held, queued])
    assert (await kit.case(held.data.case_id))["agent_id"] == "ana"
    assert (await kit.case(queued.data.case_id))["status"] == "waiting"
    return held, queued


async def test_a_resolved_case_frees_capacity_and_a_waiting_case_is_assigned(campaigns_kit) -> None:
    kit = campaigns_kit
    held, queued = await _one_agent_two_cases(kit)
    await kit.feed_resolved([kit.resolved(held.data.case_id, outcome=OutcomeType.PAYMENT_PLAN)])
    done = await kit.case(held.data.case_id)
    assert (done["status"], done["outcome"], done["agent_id"]) == ("resolved", "payment_plan", "ana")
    assert done["resolved_at"] is not None
    assert (await kit.case(queued.data.case_id))["agent_id"] == "ana"
    last = (await kit.assignments())[-1]
    assert (last.case_id, last.status, last.agent_id) == (queued.data.case_id, AssignmentStatus.ASSIGNED, "ana")


async def test_redelivered_and_corrected_outcomes(campaigns_kit) -> None:
    kit = campaigns_kit
    held, _queued = await _one_agent_two_cases(kit)
    event = kit.resolved(held.data.case_id)
    await kit.feed_resolved([event])
    size = await kit.outbox_size()
    await kit.feed_resolved([event])
    assert await kit.outbox_size() == size
    await kit.feed_resolved([kit.resolved(held.data.case_id, outcome=OutcomeType.REFERRED)])  # a correction
    assert (await kit.case(held.data.case_id))["outcome"] == "referred"
    assert await kit.outbox_size() == size
    assert await kit.loads() == {"ana": 1}


async def test_a_waiting_case_resolved_leaves_the_queue(campaigns_kit) -> None:
    kit = campaigns_kit
    held, queued = await _one_agent_two_cases(kit)
    await kit.feed_resolved([kit.resolved(queued.data.case_id, outcome=OutcomeType.RECALLED)])
    assert (await kit.case(queued.data.case_id))["status"] == "withdrawn"  # recalled: never contacted again
    [withdrawn] = [e for e in await kit.assignments() if e.status is AssignmentStatus.WITHDRAWN]
    assert (withdrawn.case_id, withdrawn.reason) == (queued.data.case_id, "recalled by the partner")
    await kit.feed_resolved([kit.resolved(held.data.case_id)])
    assert await kit.loads() == {}


async def test_an_outcome_for_an_unknown_case_is_kept_for_later(campaigns_kit) -> None:
    kit = campaigns_kit
    opened = kit.opened()
    await kit.feed_resolved([kit.resolved(opened.data.case_id)])
    row = await kit.pool.fetchrow("SELECT outcome FROM early_outcomes WHERE case_id = $1", opened.data.case_id)
    assert row["outcome"] == "paid"
