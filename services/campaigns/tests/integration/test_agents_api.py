"""PUT and PATCH /v1/agents/{agent_id}: who may, what is valid, and capacity used or given back at once."""

from __future__ import annotations

import pytest

from relais_platform.contracts import AssignmentStatus

pytestmark = pytest.mark.integration

BODY = {"site_id": "paris", "display_name": "Ana", "channels": ["phone"], "daily_capacity": 3}


@pytest.fixture
async def paris(campaigns_kit):
    await campaigns_kit.put_site("paris", ["75"])
    await campaigns_kit.put_site("lyon", ["69"])
    return campaigns_kit


async def test_admin_creates_then_replaces_an_agent(paris) -> None:
    c, admin = paris.client, paris.auth("admin")
    r = await c.put("/v1/agents/ana", headers=admin, json=BODY)
    assert r.status_code == 201
    body = r.json()
    assert {k: body[k] for k in ("agent_id", "site_id", "channels", "daily_capacity", "languages", "active",
                                 "open_cases")} == {"agent_id": "ana", "site_id": "paris", "channels": ["phone"],
                                                    "daily_capacity": 3, "languages": ["fr"], "active": True,
                                                    "open_cases": 0}
    r = await c.put("/v1/agents/ana", headers=admin, json=BODY | {"languages": ["fr", "ar"], "active": False})
    assert r.status_code == 200 and r.json()["languages"] == ["fr", "ar"] and r.json()["active"] is False


async def test_a_supervisor_manages_the_agents_of_their_site_only(paris) -> None:
    c = paris.client
    sup = paris.auth("supervisor", site_id="paris")
    assert (await c.put("/v1/agents/ana", headers=sup, json=BODY)).status_code == 201
    r = await c.put("/v1/agents/leo", headers=sup, json=BODY | {"site_id": "lyon"})
    assert r.status_code == 422 and r.json()["field"] == "site_id"
    await paris.put_agent("leo", "lyon")
    lyon_agent = {"site_id": "paris", "display_name": "Leo", "channels": ["phone"], "daily_capacity": 1}
    assert (await c.put("/v1/agents/leo", headers=sup, json=lyon_agent)).status_code == 404
    assert (await c.patch("/v1/agents/leo", headers=sup, json={"active": False})).status_code == 404
    assert (await c.patch("/v1/agents/ana", headers=sup, json={"site_id": "lyon"})).status_code == 422


@pytest.mark.parametrize("role, scope", [("agent", {"agent_id": "ana"}), ("partner", {"partner_id": "edf"}),
                                         ("finance", {})])
async def test_other_roles_may_not_manage_agents(paris, role, scope) -> None:
    h = paris.auth(role, **scope)
    assert (await paris.client.put("/v1/agents/ana", headers=h, json=BODY)).status_code == 403
    assert (await paris.client.patch("/v1/agents/ana", headers=h, json={"active": False})).status_code == 403


@pytest.mark.parametrize("change, field", [
    ({"site_id": "nowhere"}, "site_id"),
    ({"daily_capacity": 0}, "daily_capacity"),
    ({"daily_capacity": 501}, "daily_capacity"),
    ({"channels": []}, "channels"),
    ({"channels": ["fax"]}, "channels.0"),
    ({"languages": ["French"]}, "languages.0"),
    ({"display_name": ""}, "display_name"),
    ({"site_id": "Paris!"}, "site_id"),
    ({"manager": "x"}, "manager"),
])
async def test_bad_agent_bodies_name_the_field(paris, change, field) -> None:
    r = await paris.client.put("/v1/agents/ana", headers=paris.auth("admin"), json=BODY | change)
    assert r.status_code == 422
    body = r.json()
    assert field in ([e["field"] for e in body.get("errors", [])] + [body.get("field")])


async def test_bad_patches_name_the_field(paris) -> None:
    c, admin = paris.client, paris.auth("admin")
    await paris.put_agent("ana", "paris")
    assert (await c.patch("/v1/agents/ana", headers=admin, json={})).status_code == 422
    r = await c.patch("/v1/agents/ana", headers=admin, json={"daily_capacity": None})
    assert r.status_code == 422 and "daily_capacity" in r.json()["detail"]
    r = await c.patch("/v1/agents/ana", headers=admin, json={"daily_capacity": -1})
    assert r.json()["errors"][0]["field"] == "daily_capacity"
    assert (await c.patch("/v1/agents/nobody", headers=admin, json={"active": False})).status_code == 404
    assert (await c.put("/v1/agents/UPPER", headers=admin, json=BODY)).json()["errors"][0]["field"] == "agent_id"


async def test_new_capacity_is_used_at_once(paris) -> None:
    kit = paris
    cases = [kit.opened() for _ in range(4)]
    await kit.feed_opened(cases)
    created = await kit.put_agent("ana", "paris", capacity=3)
    assert created["open_cases"] == 3
    r = await kit.client.patch("/v1/agents/ana", headers=kit.auth("admin"), json={"daily_capacity": 10})
    assert r.json()["open_cases"] == 4


async def test_an_inactive_agent_gives_everything_back_to_colleagues_or_the_queue(paris) -> None:
    kit = paris
    await kit.put_agent("ana", "paris", capacity=3)
    cases = [kit.opened() for _ in range(3)]
    await kit.feed_opened(cases)
    await kit.put_agent("bob", "paris", capacity=2)  # the queue is empty: bob holds nothing yet
    r = await kit.client.patch("/v1/agents/ana", headers=kit.auth("admin"), json={"active": False})
    assert r.status_code == 200 and r.json()["open_cases"] == 0 and r.json()["active"] is False
    assert await kit.loads() == {"bob": 2}
    events = (await kit.assignments())[3:]
    released = [e for e in events if e.status is AssignmentStatus.RELEASED]
    assert len(released) == 3 and all(e.reason == "agent inactive" and e.agent_id is None for e in released)
    after = [e for e in events if e.status is not AssignmentStatus.RELEASED]
    assert sorted(e.status for e in after) == ["assigned", "assigned", "waiting"]
    assert {e.agent_id for e in after if e.status is AssignmentStatus.ASSIGNED} == {"bob"}
    assert len({e.case_id for e in after}) == 3


async def test_a_capacity_drop_gives_back_the_excess_keeping_cases_already_attempted(paris) -> None:
    kit = paris
    await kit.put_agent("ana", "paris", capacity=3)
    low, mid, high = kit.opened(priority=0), kit.opened(priority=1), kit.opened(priority=2)
    await kit.feed_opened([low, mid, high])
    r = await kit.client.post(f"/v1/cases/{low.data.case_id}/attempts", headers=kit.auth("agent", agent_id="ana"),
                              json={"result": "no_answer"})
    assert r.status_code == 201
    r = await kit.client.patch("/v1/agents/ana", headers=kit.auth("admin"), json={"daily_capacity": 2})
    assert r.json()["open_cases"] == 2
    assert (await kit.case(mid.data.case_id))["status"] == "waiting"
    assert {(await kit.case(e.data.case_id))["agent_id"] for e in (low, high)} == {"ana"}


async def test_dropping_a_channel_or_moving_site_gives_back_the_cases_concerned(paris) -> None:
    kit = paris
    await kit.put_agent("ana", "paris", capacity=5, channels=["phone", "door_to_door"])
    call, visit = kit.opened(), kit.opened(phone=False)
    await kit.feed_opened([call, visit])
    r = await kit.client.patch("/v1/agents/ana", headers=kit.auth("admin"), json={"channels": ["phone"]})
    assert r.json()["open_cases"] == 1 and (await kit.case(visit.data.case_id))["status"] == "waiting"
    r = await kit.client.patch("/v1/agents/ana", headers=kit.auth("admin"), json={"site_id": "lyon"})
    assert r.json()["open_cases"] == 0 and r.json()["site_id"] == "lyon"
    row = await kit.case(call.data.case_id)
    assert (row["status"], row["site_id"]) == ("waiting", "paris")
