"""The worklist keeps only what the contact rules allow that day, says when each case may be worked,
orders visits as a route, is empty on a day off; the board counts callbacks due."""

from __future__ import annotations

import random
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from relais_campaigns.domain.route import Stop, path_length_km
from relais_platform.contracts import Address, Channel

pytestmark = pytest.mark.integration
H = timedelta(hours=1)
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
async def day(campaigns_kit):
    kit = campaigns_kit
    await kit.put_site("paris", ["75"])
    await kit.put_agent("ana", "paris", capacity=50)
    kit.ana = kit.auth("agent", agent_id="ana")
    return kit


async def post(kit, case_id, result, at, **extra):
    r = await kit.client.post(f"/v1/cases/{case_id}/attempts", headers=kit.ana,
                              json={"result": result, "attempted_at": at.isoformat(), **extra})
    assert r.status_code == 201, r.text


async def test_only_cases_the_rules_allow_today_each_with_its_next_moment(day) -> None:
    kit = day
    fresh, gap, refused, late = (kit.opened(priority=p) for p in (4, 3, 2, 1))
    await kit.feed_opened([fresh, gap, refused, late])
    await post(kit, gap.data.case_id, "no_answer", kit.now - 2 * H)  # 14:00: next at 18:00
    await post(kit, refused.data.case_id, "refused", kit.now - 5 * H)  # 60 days of peace
    await post(kit, late.data.case_id, "busy", kit.now - 3 * H / 4)  # 15:15: next at 19:15
    body = (await kit.client.get("/v1/agents/ana/worklist", headers=kit.ana)).json()
    got = {e["case_id"]: e["next_allowed_at"] for e in body["calls"]}
    assert list(got) == [str(c.data.case_id) for c in (fresh, gap, late)]
    assert got[str(fresh.data.case_id)] == kit.now.isoformat().replace("+00:00", "Z")
    moments = [kit.now + 2 * H, kit.now + 13 * H / 4]
    assert [got[str(c.data.case_id)] for c in (gap, late)] == [m.isoformat().replace("+00:00", "Z") for m in moments]
    kit.clock.advance(4 * H + H / 12)  # 20:05: no call is allowed any more today
    body = (await kit.client.get("/v1/agents/ana/worklist", headers=kit.ana)).json()
    assert body["works"] is True and body["calls"] == []


async def test_visits_come_as_a_route_grouped_by_postcode(day) -> None:
    kit = day
    rng = random.Random(7)
    events = []
    for i in range(30):
        event = kit.opened(phone=False, postcode="75011")
        address = Address(line1=f"{i} rue X", postcode="75011", city="Paris",
                          latitude=48.85 + rng.random() * 0.02, longitude=2.37 + rng.random() * 0.03)
        customer = event.data.customer.model_copy(update={"address": address})
        event = event.model_copy(update={"data": event.data.model_copy(update={"customer": customer})})
        events.append(event)
    other = kit.opened(phone=False, postcode="75012")
    await kit.feed_opened([*events, other])
    body = (await kit.client.get("/v1/agents/ana/worklist", headers=kit.ana)).json()
    visits = body["visits"]
    assert len(visits) == 31 and body["calls"] == []
    assert [v["area"] for v in visits] == ["75011"] * 30 + ["75012"]

    def stops(entries):
        return [Stop(e["case_id"], e["area"], "", e["customer"]["address"]["latitude"],
                     e["customer"]["address"]["longitude"]) for e in entries]

    naive = sorted(visits[:30], key=lambda e: e["case_id"])
    assert path_length_km(stops(visits[:30])) < 0.5 * path_length_km(stops(naive))


async def test_a_day_off_or_an_absence_gives_an_empty_day(day) -> None:
    kit = day
    await kit.feed_opened([kit.opened()])
    today = kit.now.astimezone(PARIS).date()
    r = await kit.client.patch("/v1/agents/ana", headers=kit.auth("admin"),
                               json={"absences": [{"from": str(today + timedelta(days=1)),
                                                   "to": str(today + timedelta(days=1))}]})
    assert r.status_code == 200
    tomorrow = await kit.client.get(f"/v1/agents/ana/worklist?date={today + timedelta(days=1)}", headers=kit.ana)
    assert (tomorrow.json()["works"], tomorrow.json()["calls"]) == (False, [])
    body = (await kit.client.get("/v1/agents/ana/worklist", headers=kit.ana)).json()
    assert body["works"] is True and len(body["calls"]) == 1


async def test_the_board_counts_callbacks_due(day) -> None:
    kit = day
    due, later = kit.opened(), kit.opened()
    await kit.feed_opened([due, later])
    await post(kit, due.data.case_id, "callback_requested", kit.now - 2 * H,
               callback_at=(kit.now - H).isoformat())
    await post(kit, later.data.case_id, "callback_requested", kit.now - 2 * H,
               callback_at=(kit.now + 24 * H).isoformat())
    board = (await kit.client.get("/v1/sites/paris/board", headers=kit.auth("admin"))).json()
    assert board["callbacks_due"] == 1 and board["agents"][0]["callbacks_due"] == 1
    body = (await kit.client.get("/v1/agents/ana/worklist", headers=kit.ana)).json()
    assert [e["case_id"] for e in body["calls"]] == [str(due.data.case_id)]  # the other one: tomorrow
    assert body["calls"][0]["channel"] == Channel.PHONE
