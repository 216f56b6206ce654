"""Outcomes the system records (partner recalls, exhausted cases), referral follow-ups and the partner's
outcomes CSV, against the real PostgreSQL with real encoded events."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime

import pytest

from relais_platform.contracts import AssignmentStatus, CaseRecalled, CaseResolved, Topics
from relais_platform.events import decode

pytestmark = pytest.mark.integration

FEES = {"case_closed_cents": 4000, "referral_taken_up_cents": 1800}


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def recall(world, opened, *, day: int = 5, reason: str | None = "paid at the counter"):
    c = opened.data
    return world.event(CaseRecalled(case_id=c.case_id, partner_id=c.partner_id, campaign_id=c.campaign_id,
                                    external_ref=c.external_ref, reason=reason, recalled_at=at(day)))


async def resolved_events(pool) -> list:
    rows = await pool.fetch("SELECT value FROM outbox_events WHERE topic = $1 "
                            "ORDER BY seq, ordinal", Topics.OUTCOMES_RESOLVED)
    return [decode(r["value"], CaseResolved) for r in rows]


async def replay_outbox(world, pool) -> None:
    """Feed what outcomes published on the resolved topic back to its own billing consumer."""
    rows = await pool.fetch("SELECT value FROM outbox_events WHERE topic = $1 "
                            "ORDER BY seq, ordinal", Topics.OUTCOMES_RESOLVED)
    await world.feed(*[(Topics.OUTCOMES_RESOLVED, r["value"]) for r in rows])


async def billed(pool) -> list[tuple[str, int]]:
    rows = await pool.fetch("SELECT kind, amount_cents FROM billing_lines ORDER BY occurred_at, kind")
    return [(r["kind"], r["amount_cents"]) for r in rows]


async def test_a_recall_closes_a_known_case_as_recalled_and_is_never_billed(outcomes_world, outcomes_pool,
                                                                           outcomes_tariff) -> None:
    await outcomes_tariff("2026-03-01", **FEES)
    w = outcomes_world
    a = w.opened("R-1")
    event = recall(w, a)
    await w.feed(a, w.assigned(a), event)
    await w.feed(event)  # redelivered: nothing more
    (published,) = await resolved_events(outcomes_pool)
    assert (published.data.outcome, published.data.case_id, published.data.external_ref) == ("recalled", a.data.case_id,
                                                                                             "R-1")
    assert published.data.resolved_at == at(5)
    row = await outcomes_pool.fetchrow("SELECT type, recorded_by, note FROM outcomes WHERE case_id = $1",
                                       a.data.case_id)
    assert tuple(row.values()) == ("recalled", "system:partner-recall", "paid at the counter")
    await replay_outbox(w, outcomes_pool)
    assert await billed(outcomes_pool) == []


async def test_a_recall_before_the_case_is_known_waits_for_it(outcomes_world, outcomes_pool) -> None:
    w = outcomes_world
    a = w.opened("R-2", opened_at=at(6))
    await w.feed(recall(w, a, day=5))  # stamped before the case opened too (clock skew)
    assert await resolved_events(outcomes_pool) == []
    assert await outcomes_pool.fetchval("SELECT state FROM system_outcomes") == "pending"
    await w.feed(a)
    (published,) = await resolved_events(outcomes_pool)
    assert published.data.outcome == "recalled" and published.data.resolved_at == at(6)
    assert await outcomes_pool.fetchval("SELECT state FROM system_outcomes") == "applied"
    await w.feed(a)  # the case redelivered: no second outcome
    assert len(await resolved_events(outcomes_pool)) == 1


async def test_a_recall_of_a_resolved_case_changes_nothing(outcomes_world, outcomes_pool, outcomes_client,
                                                           outcomes_as) -> None:
    w = outcomes_world
    a = w.opened("R-3")
    await w.feed(a, w.assigned(a))
    r = await outcomes_client.post(f"/v1/cases/{a.data.case_id}/outcome", json={"type": "paid"},
                                   headers=outcomes_as("agent"))
    assert r.status_code == 201, r.text
    await w.feed(recall(w, a, day=25))
    assert [e.data.outcome for e in await resolved_events(outcomes_pool)] == ["paid"]
    row = await outcomes_pool.fetchrow("SELECT state, state_reason FROM system_outcomes")
    assert tuple(row.values()) == ("ignored", "case already resolved as paid")


async def test_an_exhausted_case_closes_unreachable_and_is_billed_as_closed(outcomes_world, outcomes_pool,
                                                                           outcomes_tariff) -> None:
    await outcomes_tariff("2026-03-01", **FEES)
    w = outcomes_world
    a, b = w.opened("R-4"), w.opened("R-5")
    exhausted = w.assigned(a, agent_id=None, site_id="site-1", status=AssignmentStatus.EXHAUSTED,
                           changed_at=at(20))
    await w.feed(a, b, w.assigned(a), w.assigned(b, status=AssignmentStatus.RELEASED, changed_at=at(20)))
    await w.feed(exhausted)
    await w.feed(exhausted)
    (published,) = await resolved_events(outcomes_pool)
    assert (published.data.outcome, published.data.case_id) == ("unreachable", a.data.case_id)
    await replay_outbox(w, outcomes_pool)
    await replay_outbox(w, outcomes_pool)
    assert await billed(outcomes_pool) == [("case_closed", 4000)]
    holder = await outcomes_pool.fetchval("SELECT status FROM holders WHERE case_id = $1", a.data.case_id)
    assert holder == "exhausted"


async def test_an_exhausted_case_then_a_recall_keeps_the_first_outcome(outcomes_world, outcomes_pool) -> None:
    w = outcomes_world
    a = w.opened("R-6")
    exhausted = w.assigned(a, status=AssignmentStatus.EXHAUSTED, changed_at=at(3))
    await w.feed(exhausted, recall(w, a, day=4))  # both before the case is known
    await w.feed(a)
    assert [e.data.outcome for e in await resolved_events(outcomes_pool)] == ["unreachable"]
    states = await outcomes_pool.fetch("SELECT type, state FROM system_outcomes ORDER BY occurred_at")
    assert [tuple(s.values()) for s in states] == [("unreachable", "applied"), ("recalled", "ignored")]


@pytest.fixture
async def referred_case(outcomes_world, outcomes_client, outcomes_as) -> uuid.UUID:
    a = outcomes_world.opened("R-7")
    await outcomes_world.feed(a, outcomes_world.assigned(a))
    r = await outcomes_client.post(f"/v1/cases/{a.data.case_id}/outcome", headers=outcomes_as("agent"), json={
        "type": "referred", "referral": {"target": "fsl"}, "resolved_at": at(10).isoformat()})
    assert r.status_code == 201, r.text
    return a.data.case_id


async def follow(client, case_id, headers, status: str, **extra):
    return await client.post(f"/v1/cases/{case_id}/outcome/referral", json={"status": status, **extra},
                             headers=headers)


async def test_a_referral_moves_forward_and_bills_taken_up_once(outcomes_client, outcomes_as, outcomes_pool,
                                                               outcomes_world, outcomes_tariff, referred_case) -> None:
    await outcomes_tariff("2026-03-01", **FEES)
    agent = outcomes_as("agent")
    r = await follow(outcomes_client, referred_case, agent, "accepted", updated_at=at(12).isoformat())
    assert r.status_code == 201, r.text
    assert r.json()["referral"] == {"target": "fsl", "status": "accepted"}
    assert r.json()["correction_reason"] == "referral follow-up: proposed → accepted"
    r = await follow(outcomes_client, referred_case, agent, "taken_up", updated_at=at(15).isoformat())
    assert r.status_code == 201, r.text
    r = await follow(outcomes_client, referred_case, agent, "accepted")
    assert r.status_code == 409 and r.json()["current_status"] == "taken_up"
    r = await outcomes_client.get(f"/v1/cases/{referred_case}/outcome", headers=outcomes_as("partner"))
    assert [h["referral"]["status"] for h in r.json()["history"]] == ["proposed", "accepted", "taken_up"]
    await replay_outbox(outcomes_world, outcomes_pool)
    await replay_outbox(outcomes_world, outcomes_pool)
    assert await billed(outcomes_pool) == [("case_closed", 4000), ("referral_taken_up", 1800)]


@pytest.mark.parametrize(("role", "scope", "status"), [
    ("partner", {}, 403), ("finance", {}, 403), ("agent", {"agent_id": "agent-2"}, 404),
    ("supervisor", {"site_id": "site-9"}, 404), ("supervisor", {}, 201), ("admin", {}, 201)])
async def test_referral_follow_up_roles(outcomes_client, outcomes_as, referred_case, role, scope, status) -> None:
    r = await follow(outcomes_client, referred_case, outcomes_as(role, **scope), "accepted")
    assert r.status_code == status, r.text


async def test_referral_follow_up_refuses_bad_input(outcomes_client, outcomes_as, outcomes_world,
                                                    referred_case) -> None:
    agent = outcomes_as("agent")
    r = await follow(outcomes_client, referred_case, agent, "proposed")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "status"
    r = await follow(outcomes_client, referred_case, agent, "accepted", updated_at=at(9).isoformat())
    assert r.status_code == 422 and r.json()["field"] == "updated_at"
    r = await follow(outcomes_client, referred_case, agent, "accepted", extra="x")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "extra"
    r = await follow(outcomes_client, uuid.uuid4(), agent, "accepted")
    assert r.status_code == 404
    b = outcomes_world.opened("R-8")
    await outcomes_world.feed(b, outcomes_world.assigned(b))
    await outcomes_client.post(f"/v1/cases/{b.data.case_id}/outcome", json={"type": "paid"}, headers=agent)
    r = await follow(outcomes_client, b.data.case_id, agent, "accepted")
    assert r.status_code == 409 and r.json()["current_outcome_type"] == "paid"


async def test_referral_follow_up_is_idempotent(outcomes_client, outcomes_as, referred_case) -> None:
    headers = {**outcomes_as("agent"), "Idempotency-Key": "k-1"}
    first = await follow(outcomes_client, referred_case, headers, "accepted")
    again = await follow(outcomes_client, referred_case, headers, "accepted")
    assert (first.status_code, again.status_code) == (201, 201) and first.json() == again.json()
    other = await follow(outcomes_client, referred_case, headers, "taken_up")
    assert other.status_code == 422


async def test_the_campaign_outcomes_csv_is_the_partner_feed_as_a_file(outcomes_client, outcomes_as, outcomes_world,
                                                                       referred_case) -> None:
    w = outcomes_world
    await follow(outcomes_client, referred_case, outcomes_as("agent"), "accepted")
    a = w.opened("R-9")
    await w.feed(a, recall(w, a, day=11, reason="secret"))
    url = f"/v1/campaigns/{w.campaign_id}/outcomes.csv"
    r = await outcomes_client.get(url, headers=outcomes_as("partner"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [(x["external_ref"], x["outcome"], x["referral_status"], x["current"]) for x in rows] == [
        ("R-7", "referred", "proposed", "false"), ("R-7", "referred", "accepted", "true"),
        ("R-9", "recalled", "", "true")]
    assert "note" not in rows[0] and "secret" not in r.text
    assert rows[1]["supersedes_outcome_id"] == rows[0]["outcome_id"]
    for role, scope, status in [("finance", {}, 200), ("admin", {}, 200), ("partner", {"partner_id": "other"}, 404),
                                ("agent", {}, 403), ("supervisor", {}, 403)]:
        assert (await outcomes_client.get(url, headers=outcomes_as(role, **scope))).status_code == status, role
    assert (await outcomes_client.get(f"/v1/campaigns/{uuid.uuid4()}/outcomes.csv",
                                      headers=outcomes_as("finance"))).status_code == 404
    assert (await outcomes_client.get("/v1/campaigns/nope/outcomes.csv",
                                      headers=outcomes_as("finance"))).status_code == 422
    assert (await outcomes_client.get(url)).status_code == 401


