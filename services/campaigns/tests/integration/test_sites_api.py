"""PUT /v1/sites/{site_id}: who may, what is valid, and the cases a new prefix routes."""

from __future__ import annotations

import asyncpg
import pytest

from relais_platform.contracts import AssignmentStatus

pytestmark = pytest.mark.integration

BODY = {"name": "PIMMS Paris 11", "postcode_prefixes": ["75011", "75012"], "time_zone": "Europe/Paris"}


async def test_admin_creates_then_replaces_a_site(campaigns_kit) -> None:
    c, admin = campaigns_kit.client, campaigns_kit.auth("admin")
    r = await c.put("/v1/sites/paris-11", headers=admin, json=BODY)
    assert r.status_code == 201
    assert r.json() | {"created_at": None, "updated_at": None} == {
        "site_id": "paris-11", "name": "PIMMS Paris 11", "postcode_prefixes": ["75011", "75012"],
        "time_zone": "Europe/Paris", "opening_days": ["mon", "tue", "wed", "thu", "fri"],
        "holiday_department": "75", "created_at": None, "updated_at": None}
    r = await c.put("/v1/sites/paris-11", headers=admin, json=BODY | {"postcode_prefixes": ["2B", "75", "75"]})
    assert r.status_code == 200 and r.json()["postcode_prefixes"] == ["2B", "75"]
    assert r.json()["holiday_department"] == "2B"  # the first department its prefixes name


async def test_opening_days_and_the_holiday_calendar(campaigns_kit) -> None:
    c, admin = campaigns_kit.client, campaigns_kit.auth("admin")
    r = await c.put("/v1/sites/metz", headers=admin, json=BODY | {"postcode_prefixes": ["57"]})
    assert r.json()["holiday_department"] == "57"  # Alsace-Moselle keeps Good Friday and St Stephen's Day
    r = await c.put("/v1/sites/metz", headers=admin, json=BODY | {
        "postcode_prefixes": ["57"], "opening_days": ["tue", "sat"], "holiday_department": "67"})
    assert (r.json()["opening_days"], r.json()["holiday_department"]) == (["tue", "sat"], "67")
    for bad, field in [({"opening_days": ["someday"]}, "opening_days.0"), ({"opening_days": []}, "opening_days"),
                       ({"holiday_department": "99x"}, "holiday_department")]:
        r = await c.put("/v1/sites/metz", headers=admin, json=BODY | bad)
        assert r.status_code == 422 and field in [e["field"] for e in r.json()["errors"]]


async def test_a_supervisor_manages_only_their_own_site(campaigns_kit) -> None:
    kit = campaigns_kit
    own = kit.auth("supervisor", site_id="paris-11")
    assert (await kit.client.put("/v1/sites/paris-11", headers=own, json=BODY)).status_code == 201
    r = await kit.client.put("/v1/sites/lyon", headers=own, json=BODY | {"postcode_prefixes": ["69"]})
    assert r.status_code == 404
    assert await kit.pool.fetchval("SELECT count(*) FROM sites WHERE site_id = 'lyon'") == 0


@pytest.mark.parametrize("role, scope", [("agent", {"agent_id": "ana"}), ("partner", {"partner_id": "edf"}),
                                         ("finance", {})])
async def test_other_roles_may_not_touch_sites(campaigns_kit, role, scope) -> None:
    r = await campaigns_kit.client.put("/v1/sites/paris", headers=campaigns_kit.auth(role, **scope), json=BODY)
    assert r.status_code == 403


async def test_no_token_is_401(campaigns_kit) -> None:
    assert (await campaigns_kit.client.put("/v1/sites/paris", json=BODY)).status_code == 401


@pytest.mark.parametrize("change, field", [
    ({"postcode_prefixes": []}, "postcode_prefixes"),
    ({"postcode_prefixes": ["75", "2C"]}, "postcode_prefixes.1"),
    ({"postcode_prefixes": ["750111"]}, "postcode_prefixes.0"),
    ({"time_zone": "Europe/Lyon"}, "time_zone"),
    ({"name": ""}, "name"),
    ({"colour": "blue"}, "colour"),
])
async def test_bad_bodies_name_the_field(campaigns_kit, change, field) -> None:
    r = await campaigns_kit.client.put("/v1/sites/paris", headers=campaigns_kit.auth("admin"), json=BODY | change)
    assert r.status_code == 422
    assert field in [e["field"] for e in r.json()["errors"]]


async def test_missing_fields_and_bad_site_ids_name_the_field(campaigns_kit) -> None:
    c, admin = campaigns_kit.client, campaigns_kit.auth("admin")
    r = await c.put("/v1/sites/paris", headers=admin, json={"name": "x"})
    assert {"postcode_prefixes", "time_zone"} <= {e["field"] for e in r.json()["errors"]}
    r = await c.put("/v1/sites/Paris%2011", headers=admin, json=BODY)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "site_id"


async def test_a_prefix_another_site_covers_is_a_conflict(campaigns_kit) -> None:
    c, admin = campaigns_kit.client, campaigns_kit.auth("admin")
    await c.put("/v1/sites/paris", headers=admin, json=BODY)
    r = await c.put("/v1/sites/paris-bis", headers=admin, json=BODY | {"postcode_prefixes": ["75", "75012"]})
    assert r.status_code == 409
    assert r.json()["field"] == "postcode_prefixes" and r.json()["prefixes"] == ["75012"]
    r = await c.put("/v1/sites/paris-bis", headers=admin, json=BODY | {"postcode_prefixes": ["75"]})
    assert r.status_code == 201  # a shorter prefix is fine: the longest match wins


async def test_a_site_that_now_covers_unrouted_cases_takes_them_at_once(campaigns_kit) -> None:
    kit = campaigns_kit
    await kit.put_site("lyon", ["38"])
    await kit.put_agent("leo", "lyon", capacity=1)
    lyon_cases = [kit.opened(postcode="69001", priority=2), kit.opened(postcode=None, department="69")]
    elsewhere = kit.opened(postcode="31000")
    await kit.feed_opened([*lyon_cases, elsewhere])
    assert {(await kit.case(e.data.case_id))["status"] for e in lyon_cases} == {"unrouted"}

    await kit.put_site("lyon", ["38", "69"])
    first, second = [await kit.case(e.data.case_id) for e in lyon_cases]
    assert (first["status"], first["agent_id"], first["site_id"]) == ("assigned", "leo", "lyon")
    assert (second["status"], second["site_id"]) == ("waiting", "lyon")
    assert (await kit.case(elsewhere.data.case_id))["status"] == "unrouted"
    latest = {e.case_id: e for e in await kit.assignments()}
    assert latest[lyon_cases[0].data.case_id].status is AssignmentStatus.ASSIGNED
    assert latest[lyon_cases[1].data.case_id].status is AssignmentStatus.WAITING


async def test_sites_and_agents_are_never_deleted_nor_renumbered(campaigns_kit) -> None:
    """The schema's rule since the cases' foreign keys to them went (migration 0009): what cases name stays."""
    await campaigns_kit.put_site("paris-11", ["75011"])
    await campaigns_kit.put_agent("a-1", "paris-11")
    await campaigns_kit.feed_opened([campaigns_kit.opened()])
    for statement in ("DELETE FROM sites", "DELETE FROM agents", "UPDATE sites SET site_id = 'elsewhere'",
                      "UPDATE agents SET agent_id = 'someone-else'"):
        with pytest.raises(asyncpg.RestrictViolationError, match="kept for good"):
            await campaigns_kit.pool.execute(statement)
    assert await campaigns_kit.pool.fetchval(
        "SELECT count(*) FROM cases JOIN sites USING (site_id) JOIN agents USING (agent_id)") == 1
