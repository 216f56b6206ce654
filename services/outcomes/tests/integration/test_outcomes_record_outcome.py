"""POST/GET /v1/cases/{case_id}/outcome against the real PostgreSQL: roles, validation, corrections,
idempotency, and the CaseResolved written to the outbox."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from relais_platform.contracts import AssignmentStatus, CaseResolved, Topics
from relais_platform.events import decode

pytestmark = pytest.mark.integration

RESOLVED_AT = "2026-03-20T10:00:00+00:00"
DUE = (datetime.now(UTC).date() + timedelta(days=10)).isoformat()
PLAN = {"type": "payment_plan", "note": "ne rappeler qu'après 18h, a pleuré",
        "payment_plan": {"instalments": 3, "first_due_date": DUE, "instalment_amounts_cents": [4115, 4115, 4115]}}


@pytest.fixture
async def held_case(outcomes_world) -> uuid.UUID:
    """A case opened for partner acme and held by agent-1 at site-1."""
    opened = outcomes_world.opened("R-1")
    await outcomes_world.feed(opened, outcomes_world.assigned(opened))
    return opened.data.case_id


async def post(client, case_id, body, headers, key: str | None = None):
    extra = {"Idempotency-Key": key} if key else {}
    return await client.post(f"/v1/cases/{case_id}/outcome", json=body, headers={**headers, **extra})


async def outbox(pool, topic: str = Topics.OUTCOMES_RESOLVED) -> list:
    return await pool.fetch("SELECT event_id, key, value FROM outbox_events WHERE topic = $1 "
                            "ORDER BY seq, ordinal", topic)


async def test_the_holder_records_an_outcome_and_the_partner_feed_gets_it_without_the_note(
        outcomes_client, outcomes_as, outcomes_pool, held_case) -> None:
    r = await post(outcomes_client, held_case, PLAN, outcomes_as("agent"))
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["case_id"], body["type"], body["external_ref"], body["partner_id"]) == (
        str(held_case), "payment_plan", "R-1", "acme")
    assert body["note"] == PLAN["note"] and body["payment_plan"]["instalments"] == 3
    assert body["supersedes_outcome_id"] is None and body["recorded_by"] == "test-agent:agent-1"

    (row,) = await outbox(outcomes_pool)
    assert "pleuré" not in row["value"].decode() and b"note" not in row["value"]
    event = decode(row["value"], CaseResolved)
    assert event.id == row["event_id"] == uuid.UUID(body["outcome_id"]) == event.data.outcome_id
    assert row["key"] == str(held_case) == event.subject
    assert (event.type, event.source, event.data.outcome, event.data.external_ref) == (
        "relais.case.resolved.v1", "/relais/outcomes", "payment_plan", "R-1")
    assert event.data.payment_plan is not None and event.data.payment_plan.instalment_amounts_cents == [4115] * 3


@pytest.mark.parametrize(("role", "scope", "status"), [
    ("partner", {"partner_id": "acme"}, 403), ("finance", {}, 403),
    ("agent", {"agent_id": "agent-2"}, 404), ("supervisor", {"site_id": "site-2"}, 404),
    ("supervisor", {"site_id": "site-1"}, 201), ("admin", {}, 201), ("agent", {"agent_id": "agent-1"}, 201),
])
async def test_who_may_record(outcomes_client, outcomes_as, outcomes_pool, held_case, role, scope, status) -> None:
    r = await post(outcomes_client, held_case, {"type": "paid"}, outcomes_as(role, **scope))
    assert r.status_code == status, r.text
    assert len(await outbox(outcomes_pool)) == (1 if status == 201 else 0)


async def test_a_role_that_may_never_record_gets_403_before_its_body_is_judged(outcomes_client, outcomes_as,
                                                                               held_case) -> None:
    r = await post(outcomes_client, held_case, {"type": "won", "x": 1}, outcomes_as("partner"))
    assert r.status_code == 403


async def test_no_token_is_401(outcomes_client, held_case) -> None:
    assert (await outcomes_client.post(f"/v1/cases/{held_case}/outcome", json={"type": "paid"})).status_code == 401


async def test_an_unknown_case_or_one_the_agent_no_longer_holds_is_404(outcomes_client, outcomes_as, outcomes_world,
                                                                      held_case) -> None:
    r = await post(outcomes_client, uuid.uuid4(), {"type": "paid"}, outcomes_as("admin"))
    assert r.status_code == 404 and r.json()["field"] == "case_id"
    opened = outcomes_world.opened("R-1")
    released = outcomes_world.assigned(opened, agent_id=None, status=AssignmentStatus.RELEASED,
                                       changed_at=datetime(2026, 3, 2, tzinfo=UTC))
    await outcomes_world.feed(released)
    assert (await post(outcomes_client, held_case, {"type": "paid"}, outcomes_as("agent"))).status_code == 404


async def test_an_older_assignment_never_overrides_a_newer_one(outcomes_client, outcomes_as, outcomes_world) -> None:
    opened = outcomes_world.opened("R-9")
    newer = outcomes_world.assigned(opened, agent_id="agent-1", changed_at=datetime(2026, 3, 5, tzinfo=UTC))
    older = outcomes_world.assigned(opened, agent_id="agent-2", changed_at=datetime(2026, 3, 4, tzinfo=UTC))
    await outcomes_world.feed(opened, newer)
    await outcomes_world.feed(older)
    case_id = opened.data.case_id
    assert (await post(outcomes_client, case_id, {"type": "paid"}, outcomes_as("agent", agent_id="agent-2"))
            ).status_code == 404
    assert (await post(outcomes_client, case_id, {"type": "paid"}, outcomes_as("agent"))).status_code == 201


async def test_an_assignment_before_the_case_is_known_still_needs_the_case(outcomes_client, outcomes_as,
                                                                           outcomes_world) -> None:
    opened = outcomes_world.opened("R-late")
    await outcomes_world.feed(outcomes_world.assigned(opened))
    assert (await post(outcomes_client, opened.data.case_id, {"type": "paid"}, outcomes_as("agent"))).status_code == 404
    await outcomes_world.feed(opened)
    assert (await post(outcomes_client, opened.data.case_id, {"type": "paid"}, outcomes_as("agent"))).status_code == 201


@pytest.mark.parametrize(("body", "field"), [
    ({}, "type"),
    ({"type": "won"}, "type"),
    ({"type": "payment_plan"}, "payment_plan"),
    ({"type": "paid", "referral": {"target": "fsl"}}, "referral"),
    ({"type": "referred"}, "referral"),
    ({"type": "contact_updated", "contact_update": {}}, "contact_update"),
    ({"type": "contact_updated", "contact_update": {"phone_e164": "0612"}}, "contact_update.phone_e164"),
    ({"type": "payment_plan", "payment_plan": {"instalments": 2, "first_due_date": "2099-01-01",
                                               "instalment_amounts_cents": [1]}},
     "payment_plan.instalment_amounts_cents"),
    ({"type": "payment_plan", "payment_plan": {"instalments": 1, "first_due_date": "2020-01-01",
                                               "instalment_amounts_cents": [1]}}, "payment_plan.first_due_date"),
    ({"type": "paid", "resolved_at": "2099-01-01T00:00:00Z"}, "resolved_at"),
    ({"type": "paid", "resolved_at": "2020-01-01T00:00:00Z"}, "resolved_at"),
    ({"type": "paid", "resolved_at": "yesterday"}, "resolved_at"),
    ({"type": "paid", "colour": "blue"}, "colour"),
    ({"type": "paid", "supersedes_outcome_id": str(uuid.uuid4()), "correction_reason": "x"},
     "supersedes_outcome_id"),
    ({"type": "paid", "correction_reason": "because"}, "correction_reason"),
])
async def test_bad_bodies_are_422_naming_the_field(outcomes_client, outcomes_as, outcomes_pool, held_case,
                                                   body, field) -> None:
    r = await post(outcomes_client, held_case, body, outcomes_as("agent"))
    assert r.status_code == 422, r.text
    problem = r.json()
    assert field in {problem.get("field"), *(e["field"] for e in problem.get("errors", []))}
    assert await outbox(outcomes_pool) == []


async def test_a_malformed_case_id_is_422(outcomes_client, outcomes_as) -> None:
    r = await post(outcomes_client, "not-a-uuid", {"type": "paid"}, outcomes_as("admin"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "case_id"


async def test_an_outcome_is_final_and_a_correction_supersedes_it(outcomes_client, outcomes_as, outcomes_pool,
                                                                  held_case) -> None:
    first = (await post(outcomes_client, held_case, {"type": "refused", "note": "n1"}, outcomes_as("agent"))).json()
    again = await post(outcomes_client, held_case, {"type": "paid"}, outcomes_as("agent"))
    assert again.status_code == 409
    assert "outcome is final; send supersedes_outcome_id and correction_reason" in again.json()["detail"]
    no_reason = await post(outcomes_client, held_case, {"type": "paid", "supersedes_outcome_id": first["outcome_id"]},
                           outcomes_as("agent"))
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "correction_reason"

    fix = {"type": "paid", "supersedes_outcome_id": first["outcome_id"], "correction_reason": "paid at the counter"}
    second = await post(outcomes_client, held_case, fix, outcomes_as("supervisor"))
    assert second.status_code == 201, second.text
    stale = await post(outcomes_client, held_case, fix, outcomes_as("agent"))
    assert stale.status_code == 422 and stale.json()["field"] == "supersedes_outcome_id"

    view = (await outcomes_client.get(f"/v1/cases/{held_case}/outcome", headers=outcomes_as("finance"))).json()
    assert view["current"]["outcome_id"] == second.json()["outcome_id"] and view["current"]["type"] == "paid"
    assert [o["outcome_id"] for o in view["history"]] == [first["outcome_id"], second.json()["outcome_id"]]
    assert view["history"][0]["superseded_by"] == second.json()["outcome_id"]
    events = [decode(r["value"], CaseResolved).data for r in await outbox(outcomes_pool)]
    assert [(e.outcome, e.supersedes_outcome_id, e.correction_reason) for e in events] == [
        ("refused", None, None), ("paid", uuid.UUID(first["outcome_id"]), "paid at the counter")]


async def test_concurrent_outcomes_for_one_case_yield_one_201_and_one_409(outcomes_client, outcomes_as,
                                                                           held_case) -> None:
    results = await asyncio.gather(*(post(outcomes_client, held_case, {"type": t}, outcomes_as("agent"))
                                     for t in ("paid", "refused", "moved")))
    assert sorted(r.status_code for r in results) == [201, 409, 409]


async def test_idempotency_key_replays_the_first_response(outcomes_client, outcomes_as, outcomes_pool,
                                                          held_case) -> None:
    first = await post(outcomes_client, held_case, PLAN, outcomes_as("agent"), key="k-1")
    replay = await post(outcomes_client, held_case, PLAN, outcomes_as("agent"), key="k-1")
    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay.json() == first.json() and replay.headers.get("Idempotent-Replay") == "true"
    other = await post(outcomes_client, held_case, {**PLAN, "note": "different"}, outcomes_as("agent"), key="k-1")
    assert other.status_code == 422 and other.json()["field"] == "Idempotency-Key"
    assert await outcomes_pool.fetchval("SELECT count(*) FROM outcomes") == 1
    assert len(await outbox(outcomes_pool)) == 1


async def test_a_failed_request_does_not_burn_its_idempotency_key(outcomes_client, outcomes_as, held_case) -> None:
    bad = await post(outcomes_client, held_case, {"type": "payment_plan"}, outcomes_as("agent"), key="k-2")
    assert bad.status_code == 422
    fixed = await post(outcomes_client, held_case, PLAN, outcomes_as("agent"), key="k-3")
    assert fixed.status_code == 201


@pytest.mark.parametrize(("role", "scope", "status", "sees_note"), [
    ("partner", {"partner_id": "acme"}, 200, False), ("partner", {"partner_id": "other"}, 404, None),
    ("agent", {"agent_id": "agent-1"}, 200, True), ("agent", {"agent_id": "agent-2"}, 404, None),
    ("supervisor", {"site_id": "site-1"}, 200, True), ("supervisor", {"site_id": "site-2"}, 404, None),
    ("finance", {}, 200, True), ("admin", {}, 200, True),
])
async def test_who_may_read_an_outcome(outcomes_client, outcomes_as, held_case, role, scope, status,
                                       sees_note) -> None:
    assert (await post(outcomes_client, held_case, PLAN, outcomes_as("agent"))).status_code == 201
    r = await outcomes_client.get(f"/v1/cases/{held_case}/outcome", headers=outcomes_as(role, **scope))
    assert r.status_code == status, r.text
    if status == 200:
        body = r.json()
        assert body["current"]["type"] == "payment_plan" and len(body["history"]) == 1
        assert ("note" in body["current"]) is sees_note and ("pleuré" in r.text) is sees_note
        assert ("note" in body["history"][0]) is sees_note
        assert ("recorded_by" in body["current"]) is sees_note


async def test_reading_an_unresolved_or_unknown_case(outcomes_client, outcomes_as, held_case) -> None:
    r = await outcomes_client.get(f"/v1/cases/{held_case}/outcome", headers=outcomes_as("partner"))
    assert r.status_code == 200 and r.json() == {"case_id": str(held_case), "current": None, "history": []}
    r = await outcomes_client.get(f"/v1/cases/{uuid.uuid4()}/outcome", headers=outcomes_as("admin"))
    assert r.status_code == 404
    r = await outcomes_client.get("/v1/cases/nope/outcome", headers=outcomes_as("admin"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "case_id"


async def test_the_outbox_event_matches_the_published_contract(outcomes_client, outcomes_as, outcomes_pool,
                                                               held_case) -> None:
    body = {"type": "contact_updated", "resolved_at": RESOLVED_AT,
            "contact_update": {"address": {"line1": "2 rue Neuve", "postcode": "93200", "city": "Saint-Denis"}}}
    assert (await post(outcomes_client, held_case, body, outcomes_as("admin"))).status_code == 201
    (row,) = await outbox(outcomes_pool)
    raw = orjson.loads(row["value"])
    assert set(raw) == {"id", "source", "type", "specversion", "time", "datacontenttype", "subject", "data"}
    assert raw["data"]["resolved_at"].startswith("2026-03-20T10:00:00")
    assert raw["data"]["contact_update"]["address"]["city"] == "Saint-Denis"
