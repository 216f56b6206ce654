"""The contact rules at the HTTP edge: a rule break is a 409 naming the rule, a partner's contract
overrides the limits, a withdrawn case is never contacted, and the admin test clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from relais_platform.contracts import OutcomeType

pytestmark = pytest.mark.integration
H = timedelta(hours=1)


@pytest.fixture
async def desk(campaigns_kit):
    """ana (phone only) holds one phone case of partner edf at paris; the clock reads a working 16:00."""
    kit = campaigns_kit
    await kit.put_site("paris", ["75"])
    await kit.put_agent("ana", "paris", capacity=3, channels=["phone"])
    call = kit.opened()
    await kit.feed_opened([call])
    kit.case_id = call.data.case_id
    kit.ana = kit.auth("agent", agent_id="ana")
    return kit


async def attempt(kit, result: str = "no_answer", at=None, **extra):
    body = {"result": result, **extra} | ({"attempted_at": at.isoformat()} if at else {})
    return await kit.client.post(f"/v1/cases/{kit.case_id}/attempts", headers=kit.ana, json=body)


async def test_outside_the_phone_window_is_a_409_naming_the_rule_and_the_next_moment(desk) -> None:
    kit = desk
    kit.clock.set_now(kit.now + 4 * H + 30 * H / 60)  # 20:30 in Paris
    r = await attempt(kit)
    assert r.status_code == 409
    body = r.json()
    assert (body["rule"], body["field"]) == ("phone_window", "attempted_at")
    assert body["next_allowed_at"] == (kit.now + 13 * H + 30 * H / 60).isoformat()  # 10:00 the next day
    assert await kit.pool.fetchval("SELECT count(*) FROM attempts") == 0
    assert await kit.attempts_published() == []


async def test_minimum_gap_and_thirty_day_limit(desk) -> None:
    kit = desk
    assert (await attempt(kit, at=kit.now - 2 * H)).status_code == 201
    r = await attempt(kit)
    assert (r.status_code, r.json()["rule"]) == (409, "min_gap")
    assert r.json()["next_allowed_at"] is not None


async def test_a_refusal_blocks_contact_for_sixty_days(desk) -> None:
    kit = desk
    assert (await attempt(kit, "refused", at=kit.now - 5 * H)).status_code == 201
    r = await attempt(kit, "reached")
    assert (r.status_code, r.json()["rule"]) == (409, "refusal_cooldown")


async def test_a_partner_contract_overrides_the_limits(desk) -> None:
    kit = desk
    admin = kit.auth("admin")
    r = await kit.client.put("/v1/partners/edf/contact-rules", headers=admin,
                             json={"min_gap_minutes": 60, "max_attempts": 2,
                                   "phone_windows": [{"start": "09:00", "end": "21:00"}]})
    assert r.status_code == 200, r.text
    effective = r.json()["effective"]
    assert (effective["min_gap_minutes"], effective["max_attempts"], effective["refusal_cooldown_days"]) == (60, 2, 60)
    assert effective["phone_windows"] == [{"start": "09:00", "end": "21:00"}]
    assert (await attempt(kit, at=kit.now - 2 * H)).status_code == 201
    assert (await attempt(kit)).status_code == 201  # 2 h later: enough for this partner
    kit.clock.advance(90 * H / 60)
    r = await attempt(kit)
    assert (r.status_code, r.json()["rule"]) == (409, "max_attempts")
    got = await kit.client.get("/v1/partners/edf/contact-rules", headers=kit.auth("supervisor", site_id="paris"))
    assert got.json()["overrides"] == {"min_gap_minutes": 60, "max_attempts": 2,
                                       "phone_windows": [{"start": "09:00:00", "end": "21:00:00"}]}
    reset = await kit.client.put("/v1/partners/edf/contact-rules", headers=admin, json={})
    assert reset.json()["effective"]["max_attempts"] == 4


@pytest.mark.parametrize("body, field", [
    ({"max_attempts": 0}, "max_attempts"),
    ({"min_gap_minutes": -1}, "min_gap_minutes"),
    ({"phone_windows": [{"start": "14:00", "end": "10:00"}]}, "phone_windows.0"),
    ({"phone_windows": [{"start": "10:00", "end": "14:00"}, {"start": "13:00", "end": "15:00"}]}, "phone_windows"),
    ({"phone_days": ["monday"]}, "phone_days.0"),
    ({"phone_windows": []}, "phone_windows"),
    ({"curfew": True}, "curfew"),
])
async def test_bad_contact_rules_name_the_field(desk, body, field) -> None:
    r = await desk.client.put("/v1/partners/edf/contact-rules", headers=desk.auth("admin"), json=body)
    assert r.status_code == 422
    fields = [e["field"] for e in r.json().get("errors", [])] or [r.json()["field"]]
    assert field in fields


@pytest.mark.parametrize("role, scope, status", [
    ("supervisor", {"site_id": "paris"}, 403), ("agent", {"agent_id": "ana"}, 403),
    ("partner", {"partner_id": "edf"}, 403), ("finance", {}, 403)])
async def test_only_admins_set_contact_rules(desk, role, scope, status) -> None:
    r = await desk.client.put("/v1/partners/edf/contact-rules", headers=desk.auth(role, **scope), json={})
    assert r.status_code == status


async def test_a_withdrawn_case_is_never_contacted(desk) -> None:
    kit = desk
    await kit.feed_resolved([kit.resolved(kit.case_id, outcome=OutcomeType.RECALLED)])
    r = await attempt(kit)
    assert (r.status_code, r.json()["rule"], r.json()["status"]) == (409, "opposition", "withdrawn")


async def test_the_admin_test_clock(desk) -> None:
    kit = desk
    admin = kit.auth("admin")
    target = kit.now + 24 * H
    r = await kit.client.put("/v1/admin/clock", headers=admin, json={"now": target.isoformat()})
    assert r.status_code == 200 and r.json()["now"] == target.isoformat().replace("+00:00", "Z")
    assert kit.now == target
    assert (await kit.client.put("/v1/admin/clock", headers=kit.auth("supervisor", site_id="paris"),
                                 json={"now": target.isoformat()})).status_code == 403
    r = await kit.client.put("/v1/admin/clock", headers=admin, json={"now": "2026-03-10T10:00:00"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "now"
    for absurd in ("0001-01-01T00:00:00+01:16", "9999-12-31T23:59:59+00:00"):  # found by the API fuzzing
        r = await kit.client.put("/v1/admin/clock", headers=admin, json={"now": absurd})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "now"
    assert (await kit.client.get("/v1/admin/clock", headers=admin)).status_code == 200
    assert kit.now == target
