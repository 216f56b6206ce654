"""Absences release an agent's cases at once and keep new ones away; the periodic release gives back
cases of agents whose absence began and cases left untouched for N open days."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from relais_campaigns.entrypoints.stream import run_housekeeping
from relais_platform.contracts import AssignmentStatus

from .conftest import PARIS, working_day_at

pytestmark = pytest.mark.integration
DAY = timedelta(days=1)


@pytest.fixture
async def pair(campaigns_kit):
    """ana and bob (capacity 2 each) at paris; ana holds two cases, bob one."""
    kit = campaigns_kit
    await kit.put_site("paris", ["75"])
    await kit.put_agent("ana", "paris", capacity=2)
    cases = [kit.opened(priority=9), kit.opened(priority=8)]
    await kit.feed_opened(cases)
    await kit.put_agent("bob", "paris", capacity=3)
    third = kit.opened(priority=1)
    await kit.feed_opened([third])
    kit.ana_cases = [c.data.case_id for c in cases]
    kit.today = kit.now.date()
    return kit


async def test_an_absence_from_today_gives_the_cases_back_at_once(pair) -> None:
    kit = pair
    start = min(kit.today, datetime.now(UTC).date())  # the worker below runs on the real clock
    away = [{"from": str(start), "to": str(kit.today + 2 * DAY)}]
    r = await kit.client.patch("/v1/agents/ana", headers=kit.auth("supervisor", site_id="paris"),
                               json={"absences": away})
    assert r.status_code == 200, r.text
    assert r.json()["open_cases"] == 0 and r.json()["absences"] == away
    assert await kit.loads() == {"bob": 3}
    released = [e for e in await kit.assignments() if e.status is AssignmentStatus.RELEASED]
    assert {e.case_id for e in released} == set(kit.ana_cases) and {e.reason for e in released} == {"agent absent"}
    await kit.feed_opened([kit.opened()])  # new work goes to nobody who is away
    assert (await kit.loads()).get("ana") is None


async def test_a_future_absence_releases_when_it_begins(pair) -> None:
    kit = pair
    body = {"absences": [{"from": str(kit.today + DAY), "to": str(kit.today + 3 * DAY)}]}
    r = await kit.client.patch("/v1/agents/ana", headers=kit.auth("admin"), json=body)
    assert r.json()["open_cases"] == 2
    assert await run_housekeeping(kit.resources, now=kit.now) == 0
    assert await run_housekeeping(kit.resources, now=kit.now + DAY) == 2
    assert (await kit.loads()).get("ana") is None


async def test_bad_absences_name_the_field(pair) -> None:
    kit, admin = pair, pair.auth("admin")
    for body, field in [({"absences": [{"from": "2026-03-10", "to": "2026-03-09"}]}, "absences.0"),
                        ({"absences": [{"from": "2026-03-10"}]}, "absences.0.to"),
                        ({"absences": [{"from": "2026-03-10", "to": "2026-03-12", "why": "x"}]}, "absences.0.why"),
                        ({"working_days": ["funday"]}, "working_days.0")]:
        r = await kit.client.patch("/v1/agents/ana", headers=admin, json=body)
        assert r.status_code == 422 and field in [e["field"] for e in r.json()["errors"]], r.text
    r = await kit.client.patch("/v1/agents/ana", headers=admin, json={"absences": [
        {"from": "2026-03-10", "to": "2026-03-12"}, {"from": "2026-03-12", "to": "2026-03-13"}]})
    assert r.status_code == 422 and r.json()["field"] == "absences"


async def test_open_days_untouched_are_counted_by_date_not_by_hours(pair) -> None:
    """Held since 23:00 on a working day, the cases have had three open days just after midnight on the third
    open date, though barely more than two days have passed."""
    kit = pair
    day = working_day_at(datetime.now(PARIS).date(), 23, days_needed=4).astimezone(PARIS).date()
    touched = datetime.combine(day, time(23), tzinfo=PARIS)
    await kit.pool.execute("UPDATE cases SET assigned_at = $1 WHERE status = 'assigned'", touched)
    third_date = datetime.combine(day + 3 * DAY, time(0, 30), tzinfo=PARIS)
    assert await run_housekeeping(kit.resources, now=third_date - timedelta(hours=1)) == 0  # two open days
    assert await run_housekeeping(kit.resources, now=third_date) == 3


async def test_untouched_cases_go_to_another_agent_after_three_open_days(pair) -> None:
    kit = pair
    first, second = kit.ana_cases
    assigned_at = (await kit.case(second))["assigned_at"]
    r = await kit.client.post(f"/v1/cases/{first}/attempts", headers=kit.auth("agent", agent_id="ana"),
                              json={"result": "no_answer"})
    assert r.status_code == 201
    assert await run_housekeeping(kit.resources, now=assigned_at + DAY) == 0  # one open day at most
    await kit.put_agent("cy", "paris", capacity=5)
    three_days_on = assigned_at + 7 * DAY  # 3+ open days in any week
    kit.clock.set_now(min(three_days_on, kit.now + 2 * DAY))
    assert await run_housekeeping(kit.resources, now=kit.now) == 2  # the attempt kept `first` with ana
    assert (await kit.case(first))["agent_id"] == "ana" and (await kit.case(second))["agent_id"] == "cy"
    assert await run_housekeeping(kit.resources, now=kit.now + 7 * DAY) == 3  # cy left hers untouched too
    assert (await kit.case(first))["agent_id"] == "bob"  # the one agent who did not just let them sit
    released = [e for e in await kit.assignments() if e.status is AssignmentStatus.RELEASED]
    assert {e.reason for e in released} == {"untouched for 3 working days"}


async def test_a_callback_open_to_the_site_goes_to_a_colleague_when_its_taker_is_off(pair) -> None:
    kit = pair
    open_one, reserved = kit.ana_cases
    callback_at = kit.now + 19 * timedelta(hours=1)  # 11:00 the next (working) day
    ana = kit.auth("agent", agent_id="ana")
    for case_id, open_to_site in [(open_one, True), (reserved, False)]:
        r = await kit.client.post(f"/v1/cases/{case_id}/attempts", headers=ana, json={
            "result": "callback_requested", "callback_at": callback_at.isoformat(),
            "callback_open_to_site": open_to_site})
        assert r.status_code == 201 and r.json()["callback_open_to_site"] is open_to_site
    off = callback_at.astimezone(ZoneInfo("Europe/Paris")).strftime("%a").lower()
    days = [d for d in ("mon", "tue", "wed", "thu", "fri") if d != off]
    r = await kit.client.patch("/v1/agents/ana", headers=kit.auth("admin"), json={"working_days": days})
    assert r.status_code == 200 and r.json()["open_cases"] == 2  # a day off is not an absence
    assert await run_housekeeping(kit.resources, now=callback_at - timedelta(minutes=5)) == 0  # not due yet
    assert await run_housekeeping(kit.resources, now=callback_at + timedelta(minutes=30)) == 1
    assert (await kit.case(open_one))["agent_id"] == "bob"
    assert (await kit.case(reserved))["agent_id"] == "ana"  # reserved to the agent who took it


async def test_callback_open_to_site_only_with_a_callback(pair) -> None:
    kit = pair
    r = await kit.client.post(f"/v1/cases/{kit.ana_cases[0]}/attempts", headers=kit.auth("agent", agent_id="ana"),
                              json={"result": "no_answer", "callback_open_to_site": True})
    assert r.status_code == 422 and r.json()["field"] == "callback_open_to_site"
