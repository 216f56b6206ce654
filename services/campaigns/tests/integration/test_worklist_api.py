"""GET /v1/agents/{agent_id}/worklist: the day's calls and visits in work order, for those allowed to see them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

pytestmark = pytest.mark.integration
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
async def desk(campaigns_kit):
    kit = campaigns_kit
    await kit.put_site("paris", ["75"])
    await kit.put_site("lyon", ["69"])
    await kit.put_agent("ana", "paris", capacity=10)
    await kit.put_agent("leo", "lyon", capacity=1)
    t0 = datetime.now(UTC) - timedelta(days=2)
    kit.cases = {
        "old_small": kit.opened(amount=1_000, opened_at=t0),
        "new_small": kit.opened(amount=1_000, opened_at=t0 + timedelta(hours=1)),
        "big": kit.opened(amount=90_000, opened_at=t0 + timedelta(hours=2)),
        "urgent": kit.opened(priority=7, amount=10, opened_at=t0 + timedelta(hours=3)),
        "visit": kit.opened(phone=False, opened_at=t0),
        "callback": kit.opened(amount=5, opened_at=t0 + timedelta(hours=4)),
        "callback_later": kit.opened(amount=6, opened_at=t0 + timedelta(hours=4)),
    }
    await kit.feed_opened(list(kit.cases.values()))
    return kit


def names(kit, entries) -> list[str]:
    ids = {str(e.data.case_id): n for n, e in kit.cases.items()}
    return [ids[e["case_id"]] for e in entries]


async def _callback(kit, name: str, at: datetime) -> None:
    attempted_at = min(at, kit.now) - timedelta(hours=1)
    r = await kit.client.post(f"/v1/cases/{kit.cases[name].data.case_id}/attempts",
                              headers=kit.auth("agent", agent_id="ana"),
                              json={"result": "callback_requested", "callback_at": at.isoformat(),
                                    "attempted_at": attempted_at.isoformat()})
    assert r.status_code == 201, r.text


async def test_the_day_lists_callbacks_due_first_then_priority_amount_and_age(desk) -> None:
    kit = desk
    today = kit.now.astimezone(PARIS).date()
    overdue = kit.now - timedelta(minutes=30)
    day_after = datetime.combine(today + timedelta(days=2), datetime.min.time(), PARIS) + timedelta(hours=11)
    await _callback(kit, "callback", overdue)
    await _callback(kit, "callback_later", day_after)
    r = await kit.client.get("/v1/agents/ana/worklist", headers=kit.auth("agent", agent_id="ana"))
    assert r.status_code == 200
    body = r.json()
    assert (body["agent_id"], body["date"], body["time_zone"]) == ("ana", today.isoformat(), "Europe/Paris")
    assert names(kit, body["calls"]) == ["callback", "urgent", "big", "old_small", "new_small"]
    assert names(kit, body["visits"]) == ["visit"]
    first = body["calls"][0]
    assert (first["attempts_count"], first["last_result"]) == (1, "callback_requested")
    assert datetime.fromisoformat(first["callback_at"]) == overdue
    customer = kit.cases["callback"].data.customer
    assert first["customer"]["phone_e164"] == customer.phone_e164
    assert first["customer"]["address"]["postcode"] == "75011"
    assert body["calls"][1]["attempts_count"] == 0 and body["calls"][1]["last_attempt_at"] is None

    later = await kit.client.get(f"/v1/agents/ana/worklist?date={(today + timedelta(days=2)).isoformat()}",
                                 headers=kit.auth("agent", agent_id="ana"))
    assert names(kit, later.json()["calls"])[:2] == ["callback", "callback_later"]


async def test_a_new_attempt_without_callback_clears_the_callback(desk) -> None:
    kit = desk
    await _callback(kit, "callback", kit.now - timedelta(minutes=5))
    kit.clock.advance(timedelta(days=1))  # the next working day: the minimum gap has passed
    r = await kit.client.post(f"/v1/cases/{kit.cases['callback'].data.case_id}/attempts",
                              headers=kit.auth("agent", agent_id="ana"),
                              json={"result": "no_answer", "attempted_at": (kit.now - timedelta(hours=5)).isoformat()})
    assert r.status_code == 201
    body = (await kit.client.get("/v1/agents/ana/worklist", headers=kit.auth("admin"))).json()
    entry = next(e for e in body["calls"] if e["case_id"] == str(kit.cases["callback"].data.case_id))
    assert (entry["callback_at"], entry["last_result"], entry["attempts_count"]) == (None, "no_answer", 2)
    assert names(kit, body["calls"])[-1] == "callback"  # back to its place by priority


@pytest.mark.parametrize("role, scope, status", [
    ("agent", {"agent_id": "ana"}, 200),
    ("agent", {"agent_id": "leo"}, 404),
    ("supervisor", {"site_id": "paris"}, 200),
    ("supervisor", {"site_id": "lyon"}, 404),
    ("admin", {}, 200),
    ("partner", {"partner_id": "edf"}, 403),
    ("finance", {}, 403),
])
async def test_who_may_see_a_worklist(desk, role, scope, status) -> None:
    r = await desk.client.get("/v1/agents/ana/worklist", headers=desk.auth(role, **scope))
    assert r.status_code == status


async def test_unknown_agents_and_bad_dates(desk) -> None:
    admin = desk.auth("admin")
    assert (await desk.client.get("/v1/agents/nobody/worklist", headers=admin)).status_code == 404
    for bad in ("2025-02-30", "tomorrow", "03/04/2025"):
        r = await desk.client.get(f"/v1/agents/ana/worklist?date={bad}", headers=admin)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "date"


async def test_an_agent_without_cases_has_an_empty_day(desk) -> None:
    r = await desk.client.get("/v1/agents/leo/worklist?date=2025-06-01", headers=desk.auth("agent", agent_id="leo"))
    assert r.json() == {"agent_id": "leo", "date": "2025-06-01", "time_zone": "Europe/Paris", "works": False,
                        "calls": [], "visits": []}  # a Sunday
