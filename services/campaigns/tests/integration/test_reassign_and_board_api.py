"""POST /v1/cases/{case_id}/reassign and GET /v1/sites/{site_id}/board."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from relais_campaigns.adapters import views_repo
from relais_platform.contracts import AssignmentStatus

pytestmark = pytest.mark.integration


@pytest.fixture
async def team(campaigns_kit):
    """paris: ana (calls and visits, cap 2) and bob (calls, cap 2) hold 2 calls each, cy (visits only,
    cap 1), dee (inactive); one call waits; lyon has leo."""
    kit = campaigns_kit
    await kit.put_site("paris", ["75"])
    await kit.put_site("lyon", ["69"])
    await kit.put_agent("ana", "paris", capacity=2, channels=["phone", "door_to_door"])
    await kit.put_agent("bob", "paris", capacity=2, channels=["phone"])
    await kit.put_agent("cy", "paris", capacity=1, channels=["door_to_door"])
    await kit.put_agent("dee", "paris", capacity=5, active=False)
    await kit.put_agent("leo", "lyon", capacity=5)
    kit.calls = [kit.opened(priority=9 - i) for i in range(5)]
    await kit.feed_opened(kit.calls)
    rows = [await kit.case(e.data.case_id) for e in kit.calls]
    kit.by_agent = {a: [r["case_id"] for r in rows if r["agent_id"] == a] for a in ("ana", "bob")}
    kit.waiting = next(r["case_id"] for r in rows if r["status"] == "waiting")
    return kit


def reassign(kit, case_id, agent_id, headers=None, **extra):
    return kit.client.post(f"/v1/cases/{case_id}/reassign", headers=headers or kit.auth("supervisor", site_id="paris"),
                           json={"agent_id": agent_id, **extra})


async def test_a_supervisor_moves_a_case_and_the_freed_slot_takes_the_queue(team) -> None:
    kit = team
    moved = kit.by_agent["ana"][0]
    await kit.client.patch("/v1/agents/bob", headers=kit.auth("admin"), json={"daily_capacity": 3})
    assert (await kit.case(kit.waiting))["agent_id"] == "bob"  # the extra slot took the queued call
    await kit.client.patch("/v1/agents/bob", headers=kit.auth("admin"), json={"daily_capacity": 4})
    visits = [kit.opened(phone=False), kit.opened(phone=False)]
    await kit.feed_opened(visits)
    held_by = [(await kit.case(v.data.case_id))["agent_id"] for v in visits]
    assert sorted(held_by, key=str) == [None, "cy"]  # ana is full, bob does not visit
    another = visits[held_by.index(None)]

    r = await reassign(kit, moved, "bob", reason="speaks Arabic")
    assert r.status_code == 200
    assert r.json() == {"case_id": str(moved), "status": "assigned", "site_id": "paris", "agent_id": "bob",
                        "previous_agent_id": "ana"}
    assert (await kit.case(another.data.case_id))["agent_id"] == "ana"  # ana's freed slot
    events = (await kit.assignments())[-2:]
    assert [(e.case_id, e.status, e.agent_id, e.reason) for e in events] == [
        (moved, AssignmentStatus.ASSIGNED, "bob", "reassigned: speaks Arabic"),
        (another.data.case_id, AssignmentStatus.ASSIGNED, "ana", None)]


async def test_a_waiting_case_can_be_given_to_a_named_agent(team) -> None:
    kit = team
    await kit.client.patch("/v1/agents/dee", headers=kit.auth("admin"), json={"active": True})
    assert (await kit.case(kit.waiting))["agent_id"] == "dee"  # reactivated dee took it at once
    r = await reassign(kit, kit.waiting, "bob", headers=kit.auth("admin"))
    assert r.status_code == 409 and r.json()["reason"] == "agent_at_capacity"


@pytest.mark.parametrize("target, reason", [
    ("bob", "agent_at_capacity"),
    ("cy", "agent_lacks_channel"),
    ("dee", "agent_inactive"),
    ("leo", "agent_not_in_site"),
    ("nobody", "agent_not_in_site"),
    ("ana", "already_assigned_to_agent"),
])
async def test_a_target_who_cannot_take_the_case_is_refused_with_the_reason(team, target, reason) -> None:
    r = await reassign(team, team.by_agent["ana"][0], target)
    assert r.status_code == 409
    assert (r.json()["field"], r.json()["reason"]) == ("agent_id", reason)


async def test_who_may_reassign(team) -> None:
    kit = team
    case_id = kit.by_agent["ana"][0]
    assert (await reassign(kit, case_id, "bob", kit.auth("supervisor", site_id="lyon"))).status_code == 404
    assert (await reassign(kit, uuid.uuid4(), "bob")).status_code == 404
    for role, scope in [("agent", {"agent_id": "ana"}), ("partner", {"partner_id": "edf"}), ("finance", {})]:
        assert (await reassign(kit, case_id, "bob", kit.auth(role, **scope))).status_code == 403


async def test_closed_and_unrouted_cases_cannot_be_reassigned(team) -> None:
    kit = team
    done = kit.by_agent["bob"][0]
    await kit.feed_resolved([kit.resolved(done)])
    r = await reassign(kit, done, "ana")
    assert r.status_code == 409 and r.json()["status"] == "resolved"
    lost = kit.opened(postcode="31000")
    await kit.feed_opened([lost])
    r = await reassign(kit, lost.data.case_id, "ana", kit.auth("admin"))
    assert r.status_code == 409 and r.json()["status"] == "unrouted"
    assert (await reassign(kit, lost.data.case_id, "ana")).status_code == 404  # no site: not the supervisor's


async def test_bad_reassign_bodies_name_the_field(team) -> None:
    url = f"/v1/cases/{team.waiting}/reassign"
    sup = team.auth("supervisor", site_id="paris")
    for body, field in [({}, "agent_id"), ({"agent_id": "Bob!"}, "agent_id"), ({"agent_id": "bob", "reason": ""},
                        "reason"), ({"agent_id": "bob", "reason": "x" * 151}, "reason"), ({"agent_id": "bob", "x": 1},
                        "x")]:
        r = await team.client.post(url, headers=sup, json=body)
        assert r.status_code == 422 and field in [e["field"] for e in r.json()["errors"]], body
    r = await team.client.post("/v1/cases/not-a-uuid/reassign", headers=sup, json={"agent_id": "bob"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "case_id"


async def test_reassign_idempotency(team) -> None:
    kit = team
    await kit.client.patch("/v1/agents/bob", headers=kit.auth("admin"), json={"daily_capacity": 4})
    headers = kit.auth("supervisor", site_id="paris") | {"Idempotency-Key": "move-1"}
    case_id = kit.by_agent["ana"][0]
    first = await reassign(kit, case_id, "bob", headers)
    again = await reassign(kit, case_id, "bob", headers)
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    assert (await reassign(kit, case_id, "ana", headers)).status_code == 422


async def test_the_board_counts_work_per_agent_and_in_total(team) -> None:
    kit = team
    ana = kit.auth("agent", agent_id="ana")
    first, second = kit.by_agent["ana"]
    for case_id, result, hours_ago in [(first, "no_answer", 5), (first, "reached", 0), (second, "busy", 0)]:
        at = (kit.now - timedelta(hours=hours_ago)).isoformat()
        r = await kit.client.post(f"/v1/cases/{case_id}/attempts", headers=ana,
                                  json={"result": result, "attempted_at": at})
        assert r.status_code == 201
    await kit.feed_resolved([kit.resolved(first)])
    await kit.feed_opened([kit.opened(postcode="31000")])

    r = await kit.client.get("/v1/sites/paris/board", headers=kit.auth("supervisor", site_id="paris"))
    assert r.status_code == 200
    board = r.json()
    agents = {a["agent_id"]: a for a in board["agents"]}
    assert {k: agents["ana"][k] for k in ("capacity", "assigned_open", "attempted", "reached", "resolved")} == {
        "capacity": 2, "assigned_open": 2, "attempted": 2, "reached": 1, "resolved": 1}  # refilled from the queue
    assert agents["bob"]["assigned_open"] == 2 and agents["bob"]["attempted"] == 0
    assert sorted(agents) == ["ana", "bob", "cy", "dee"]
    assert (board["waiting"], board["assigned"], board["resolved"], board["attempted"], board["reached"]) == (
        0, 4, 1, 2, 1)
    assert board["contact_rate"] == 0.5 and board["resolution_rate"] == 0.2
    assert board["unrouted"] is None  # not attributable to a site: admins only
    admin_view = (await kit.client.get("/v1/sites/paris/board", headers=kit.auth("admin"))).json()
    assert admin_view["unrouted"] == 1


@pytest.mark.parametrize("role, scope, site, status", [
    ("supervisor", {"site_id": "lyon"}, "paris", 404),
    ("admin", {}, "nowhere", 404),
    ("supervisor", {"site_id": "nowhere"}, "nowhere", 404),
    ("agent", {"agent_id": "ana"}, "paris", 403),
    ("partner", {"partner_id": "edf"}, "paris", 403),
    ("finance", {}, "paris", 403),
    ("admin", {}, "Paris!", 422),
])
async def test_who_may_see_a_board(team, role, scope, site, status) -> None:
    r = await team.client.get(f"/v1/sites/{site}/board", headers=team.auth(role, **scope))
    assert r.status_code == status


class _Explaining:
    """A connection stand-in that answers each query with its plan, seq scans disabled: a plan that still scans a
    table has no index to go through."""

    def __init__(self, conn) -> None:
        self.conn, self.plans = conn, []

    async def _plan(self, query, *args):
        self.plans.append("\n".join(r[0] for r in await self.conn.fetch(f"EXPLAIN {query}", *args)))

    async def fetch(self, query, *args):
        await self._plan(query, *args)
        return []

    async def fetchrow(self, query, *args):
        await self._plan(query, *args)
        return {}


async def test_the_board_reads_a_sites_cases_through_indexes(team) -> None:
    """The board is read all day by supervisors: none of its queries goes through every case of the network."""
    async with team.pool.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL enable_seqscan = off")
        explaining = _Explaining(conn)
        await views_repo.board_agents(explaining, site_id="paris", contact_results=["reached"])
        await views_repo.board_totals(explaining, site_id="paris", contact_results=["reached"])
        await views_repo.callbacks_due(explaining, site_id="paris", now=team.now)
    assert len(explaining.plans) == 3
    for plan in explaining.plans:
        assert "Seq Scan on cases" not in plan, plan
