"""Exhaustion by the periodic housekeeping, not only after an attempt: an open case whose campaign ends
before its next lawful moment (never tried and past its end, or held back by the person's refusal on another
case) closes as exhausted with its AssignmentChanged, and its slot goes to the queue; one pass, idempotent."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

import pytest

from relais_campaigns.entrypoints.stream import run_housekeeping
from relais_platform.contracts import AssignmentStatus

from .conftest import PARIS

pytestmark = pytest.mark.integration


@pytest.fixture
async def desk(campaigns_kit):
    """ana (phone, capacity 6) at paris holds six cases, a seventh waits; the clock reads 16:00 on a working
    day that follows a working day ("yesterday")."""
    kit = campaigns_kit
    await kit.put_site("paris", ["75"])
    await kit.put_agent("ana", "paris", capacity=6, channels=["phone"])
    yesterday = kit.now.astimezone(PARIS).date()
    kit.clock.set_now(datetime.combine(yesterday + timedelta(days=1), time(16), PARIS).astimezone(UTC))
    today = yesterday + timedelta(days=1)
    other = uuid.uuid4()
    kit.events = {
        "refused": kit.opened(phone="+33611000001", priority=5),  # no end date: refused yesterday
        "twin": kit.opened(phone="+33611000001", priority=5, campaign_id=other, ends_on=today + timedelta(days=1)),
        "refused_far": kit.opened(phone="+33611000002", priority=5),
        "twin_far": kit.opened(phone="+33611000002", priority=5, campaign_id=other,
                               ends_on=today + timedelta(days=40)),  # beyond the calendar's reach
        "room_left": kit.opened(priority=5, ends_on=today + timedelta(days=1)),
        "ended": kit.opened(priority=5, ends_on=yesterday),  # nobody tried it before its campaign ended
        "waiting": kit.opened(priority=0),
    }
    await kit.feed_opened(list(kit.events.values()))
    kit.ids = {name: e.data.case_id for name, e in kit.events.items()}
    assert (await kit.case(kit.ids["waiting"]))["status"] == "waiting"
    ana = kit.auth("agent", agent_id="ana")
    for name in ("refused", "refused_far"):
        r = await kit.client.post(f"/v1/cases/{kit.ids[name]}/attempts", headers=ana,
                                  json={"result": "refused", "attempted_at": (kit.now - timedelta(days=1)).isoformat()})
        assert r.status_code == 201, r.text
    return kit


async def statuses(kit) -> dict[str, tuple[str, str | None]]:
    return {name: ((row := await kit.case(case_id))["status"], row["agent_id"]) for name, case_id in kit.ids.items()}


async def test_one_pass_exhausts_the_cases_out_of_reach_and_refills_the_slots(desk) -> None:
    kit = desk
    assert {n: s for n, (s, _) in (await statuses(kit)).items()} == {
        "refused": "assigned", "twin": "assigned", "refused_far": "assigned", "twin_far": "assigned",
        "room_left": "assigned", "ended": "assigned", "waiting": "waiting"}  # the attempts exhausted nothing
    assert await run_housekeeping(kit.resources, now=kit.now) == 0  # nothing released
    assert await statuses(kit) == {
        "refused": ("assigned", "ana"), "twin": ("exhausted", "ana"), "refused_far": ("assigned", "ana"),
        "twin_far": ("exhausted", "ana"), "room_left": ("assigned", "ana"), "ended": ("exhausted", "ana"),
        "waiting": ("assigned", "ana")}  # a freed slot went to the queue at once
    events = await kit.assignments()
    exhausted = {e.case_id: e.reason for e in events if e.status is AssignmentStatus.EXHAUSTED}
    ends = {n: kit.events[n].data.campaign_ends_on for n in ("twin", "twin_far", "ended")}
    assert exhausted == {kit.ids[n]: f"no contact allowed before the campaign ends on {end}" for n, end in ends.items()}
    assert events[-1].case_id == kit.ids["waiting"] and events[-1].status is AssignmentStatus.ASSIGNED


async def test_a_second_pass_changes_nothing(desk) -> None:
    kit = desk
    await run_housekeeping(kit.resources, now=kit.now)
    before, outbox = await statuses(kit), await kit.outbox_size()
    assert await run_housekeeping(kit.resources, now=kit.now + timedelta(minutes=5)) == 0
    assert await statuses(kit) == before and await kit.outbox_size() == outbox


async def test_a_case_with_lawful_moments_left_stays_until_they_are_gone(desk) -> None:
    kit = desk
    room_left = kit.ids["room_left"]
    await run_housekeeping(kit.resources, now=kit.now)
    assert (await kit.case(room_left))["status"] == "assigned"
    end = datetime.combine(kit.events["room_left"].data.campaign_ends_on, time(20, 30), PARIS).astimezone(UTC)
    kit.clock.set_now(end)  # its last day's window has closed
    await run_housekeeping(kit.resources, now=end)
    assert (await kit.case(room_left))["status"] == "exhausted"


async def test_an_unrouted_case_closes_as_exhausted_once_its_campaign_has_ended(campaigns_kit) -> None:
    """No site covers Marseille: its cases wait on the unrouted queue for a supervisor to open a site; once their
    campaign has ended on the customer's calendar, nobody may contact them any more and they close."""
    kit = campaigns_kit
    await kit.put_site("paris", ["75"])
    today = kit.now.astimezone(PARIS).date()
    events = {"ended": kit.opened(postcode="13001", ends_on=today - timedelta(days=1)),
              "ends_today": kit.opened(postcode="13002", ends_on=today),
              "no_end": kit.opened(postcode="13003")}
    await kit.feed_opened(list(events.values()))
    ids = {name: e.data.case_id for name, e in events.items()}
    assert {(await kit.case(c))["status"] for c in ids.values()} == {"unrouted"}
    await run_housekeeping(kit.resources, now=kit.now)
    assert {n: (await kit.case(c))["status"] for n, c in ids.items()} == {
        "ended": "exhausted", "ends_today": "unrouted", "no_end": "unrouted"}
    exhausted = [e for e in await kit.assignments() if e.status is AssignmentStatus.EXHAUSTED]
    assert [(e.case_id, e.reason) for e in exhausted] == [
        (ids["ended"], f"no site covered its postcode before its campaign ended on {today - timedelta(days=1)}")]
    outbox = await kit.outbox_size()
    await run_housekeeping(kit.resources, now=kit.now + timedelta(minutes=5))  # once only
    assert await kit.outbox_size() == outbox
