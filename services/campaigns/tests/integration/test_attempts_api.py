"""POST /v1/cases/{case_id}/attempts: who may record, what is valid, idempotency, the published event."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest

from relais_platform.contracts import AttemptResult, Channel

pytestmark = pytest.mark.integration


@pytest.fixture
async def held(campaigns_kit):
    """ana holds a phone case (with an address) at paris; a second case waits; lyon exists."""
    kit = campaigns_kit
    await kit.put_site("paris", ["75"])
    await kit.put_site("lyon", ["69"])
    await kit.put_agent("ana", "paris", capacity=1)
    await kit.put_agent("bob", "paris", capacity=1, channels=["door_to_door"])
    call, queued = kit.opened(priority=3), kit.opened()
    await kit.feed_opened([call, queued])
    kit.call_id, kit.queued_id = call.data.case_id, queued.data.case_id
    assert (await kit.case(kit.call_id))["agent_id"] == "ana"
    return kit


def url(case_id) -> str:
    return f"/v1/cases/{case_id}/attempts"


async def test_the_holding_agent_records_an_attempt_and_it_is_published_without_the_note(held) -> None:
    kit = held
    r = await kit.client.post(url(kit.call_id), headers=kit.auth("agent", agent_id="ana", sub="u-ana"),
                              json={"result": "voicemail", "note": "left a message for Mme Curie"})
    assert r.status_code == 201
    body = r.json()
    assert (body["agent_id"], body["site_id"], body["channel"], body["result"], body["recorded_by"]) == (
        "ana", "paris", "phone", "voicemail", "u-ana")
    attempted_at = datetime.fromisoformat(body["attempted_at"])
    assert attempted_at == kit.now  # the service clock
    [event] = await kit.attempts_published()
    assert event.data.attempt_id == uuid.UUID(body["attempt_id"])
    assert (event.data.case_id, event.data.result, event.data.channel) == (kit.call_id, AttemptResult.VOICEMAIL,
                                                                           Channel.PHONE)
    raw = await kit.pool.fetchval("SELECT value FROM outbox_events WHERE topic = 'relais.campaigns.attempts.v1'")
    assert b"Curie" not in raw and b"note" not in raw
    assert await kit.pool.fetchval("SELECT note FROM attempts") == "left a message for Mme Curie"


async def test_who_may_record(held) -> None:
    kit, ok = held, {"result": "no_answer"}
    for role, scope, hours_ago in [("supervisor", {"site_id": "paris"}, 5), ("admin", {}, 0)]:
        at = (kit.now - timedelta(hours=hours_ago)).isoformat()  # 4 hours apart at least: the minimum gap
        r = await kit.client.post(url(kit.call_id), headers=kit.auth(role, **scope), json=ok | {"attempted_at": at})
        assert r.status_code == 201 and r.json()["agent_id"] == "ana"  # on ana's behalf
    for role, scope in [("agent", {"agent_id": "bob"}), ("supervisor", {"site_id": "lyon"})]:
        assert (await kit.client.post(url(kit.call_id), headers=kit.auth(role, **scope), json=ok)).status_code == 404
    for role, scope in [("partner", {"partner_id": "edf"}), ("finance", {})]:
        assert (await kit.client.post(url(kit.call_id), headers=kit.auth(role, **scope), json=ok)).status_code == 403
    ana = kit.auth("agent", agent_id="ana")
    assert (await kit.client.post(url(uuid.uuid4()), headers=ana, json=ok)).status_code == 404
    assert (await kit.client.post(url(kit.queued_id), headers=ana, json=ok)).status_code == 404  # not hers
    r = await kit.client.post(url(kit.queued_id), headers=kit.auth("admin"), json=ok)
    assert r.status_code == 409 and r.json()["status"] == "waiting"


async def test_a_resolved_case_takes_no_more_attempts(held) -> None:
    kit = held
    await kit.feed_resolved([kit.resolved(kit.call_id)])
    r = await kit.client.post(url(kit.call_id), headers=kit.auth("agent", agent_id="ana"), json={"result": "reached"})
    assert r.status_code == 409
    assert (r.json()["field"], r.json()["status"]) == ("status", "resolved")


@pytest.mark.parametrize("body, field", [
    ({"result": "maybe"}, "result"),
    ({}, "result"),
    ({"result": "reached", "attempted_at": "2025-03-03T10:00:00"}, "attempted_at"),
    ({"result": "reached", "attempted_at": "yesterday"}, "attempted_at"),
    ({"result": "reached", "note": "x" * 2001}, "note"),
    ({"result": "reached", "channel": "pigeon"}, "channel"),
    ({"result": "reached", "mood": "good"}, "mood"),
])
async def test_bad_bodies_name_the_field(held, body, field) -> None:
    r = await held.client.post(url(held.call_id), headers=held.auth("agent", agent_id="ana"), json=body)
    assert r.status_code == 422 and field in [e["field"] for e in r.json()["errors"]]


H = timedelta(hours=1)


@pytest.mark.parametrize("body, field", [
    ({"result": "reached", "attempted_at": 10 * H / 60}, "attempted_at"),
    ({"result": "reached", "attempted_at": -8 * 24 * H}, "attempted_at"),
    ({"result": "callback_requested"}, "callback_at"),
    ({"result": "callback_requested", "attempted_at": -H, "callback_at": -2 * H}, "callback_at"),
    ({"result": "reached", "callback_at": 24 * H}, "callback_at"),
    ({"result": "busy", "channel": "door_to_door"}, "result"),  # a door is never busy
    ({"result": "not_home"}, "result"),  # nobody is "not home" on the phone
])
async def test_impossible_attempts_name_the_field(held, body, field) -> None:
    body = {k: (held.now + v).isoformat() if isinstance(v, timedelta) else v for k, v in body.items()}
    r = await held.client.post(url(held.call_id), headers=held.auth("agent", agent_id="ana"), json=body)
    assert r.status_code == 422 and r.json()["field"] == field
    assert await held.pool.fetchval("SELECT count(*) FROM attempts") == 0


async def test_a_visit_needs_an_address(campaigns_kit) -> None:
    kit = campaigns_kit
    await kit.put_site("paris", ["75"])
    await kit.put_agent("ana", "paris")
    phone_only = kit.opened(postcode=None, department="75")
    await kit.feed_opened([phone_only])
    r = await kit.client.post(url(phone_only.data.case_id), headers=kit.auth("agent", agent_id="ana"),
                              json={"result": "not_home", "channel": "door_to_door"})
    assert r.status_code == 422 and r.json()["field"] == "channel"


async def test_an_idempotency_key_replays_the_first_response(held) -> None:
    kit = held
    ana = kit.auth("agent", agent_id="ana") | {"Idempotency-Key": "tablet-42-0001"}
    body = {"result": "callback_requested", "callback_at": (kit.now + timedelta(hours=20)).isoformat()}
    first = await kit.client.post(url(kit.call_id), headers=ana, json=body)
    again = await kit.client.post(url(kit.call_id), headers=ana, json=body)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers.get("Idempotent-Replay") == "true"
    assert await kit.pool.fetchval("SELECT count(*) FROM attempts") == 1
    assert len(await kit.attempts_published()) == 1
    other = await kit.client.post(url(kit.call_id), headers=ana, json={"result": "no_answer"})
    assert other.status_code == 422 and other.json()["field"] == "Idempotency-Key"
    assert await kit.pool.fetchval("SELECT count(*) FROM attempts") == 1


async def test_a_refused_attempt_is_not_remembered_by_the_idempotency_key(held) -> None:
    kit = held
    ana = kit.auth("agent", agent_id="ana") | {"Idempotency-Key": "k1"}
    r = await kit.client.post(url(kit.call_id), headers=ana, json={"result": "not_home"})
    assert r.status_code == 422
    r = await kit.client.post(url(kit.call_id), headers=ana, json={"result": "not_home"})
    assert r.status_code == 422  # evaluated again, not replayed
