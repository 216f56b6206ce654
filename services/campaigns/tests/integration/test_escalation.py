"""Escalation: after N failed calls (default 3) or a wrong number, a phone case with an address becomes a
door-to-door visit, published as AssignmentChanged with channel door_to_door."""

from __future__ import annotations

from datetime import timedelta

import pytest

from relais_platform.contracts import AssignmentStatus, Channel

pytestmark = pytest.mark.integration
H = timedelta(hours=1)


async def three_failed_calls(kit, case_id, headers) -> None:
    """10:00, 14:30 and 18:40 the same working day (the clock starts at 16:00)."""
    for result, at in [("no_answer", kit.now - 6 * H), ("busy", kit.now - 90 * H / 60)]:
        r = await kit.client.post(f"/v1/cases/{case_id}/attempts", headers=headers,
                                  json={"result": result, "attempted_at": at.isoformat()})
        assert r.status_code == 201, r.text
    kit.clock.advance(160 * H / 60)
    r = await kit.client.post(f"/v1/cases/{case_id}/attempts", headers=headers, json={"result": "voicemail"})
    assert r.status_code == 201, r.text


async def test_three_failed_calls_turn_the_case_into_a_visit_for_its_holder(campaigns_kit) -> None:
    kit = campaigns_kit
    await kit.put_site("paris", ["75"])
    await kit.put_agent("ana", "paris", channels=["phone", "door_to_door"])
    call = kit.opened()
    await kit.feed_opened([call])
    ana = kit.auth("agent", agent_id="ana")
    await three_failed_calls(kit, call.data.case_id, ana)
    row = await kit.case(call.data.case_id)
    assert (row["channel"], row["agent_id"], row["status"]) == ("door_to_door", "ana", "assigned")
    last = (await kit.assignments())[-1]
    assert (last.status, last.channel, last.agent_id, last.reason) == (
        AssignmentStatus.ASSIGNED, Channel.DOOR_TO_DOOR, "ana", "escalated to door_to_door")
    kit.clock.advance(timedelta(days=1))
    day = (await kit.client.get("/v1/agents/ana/worklist", headers=ana)).json()
    assert [v["case_id"] for v in day["visits"]] == [str(call.data.case_id)] and day["calls"] == []
    r = await kit.client.post(f"/v1/cases/{call.data.case_id}/attempts", headers=ana, json={"result": "busy"})
    assert r.status_code == 422 and r.json()["field"] == "result"  # the case is a visit now


async def test_a_wrong_number_sends_the_case_to_an_agent_who_visits(campaigns_kit) -> None:
    kit = campaigns_kit
    await kit.put_site("paris", ["75"])
    await kit.put_agent("ana", "paris", channels=["phone"])
    await kit.put_agent("cy", "paris", channels=["door_to_door"])
    call = kit.opened()
    await kit.feed_opened([call])
    r = await kit.client.post(f"/v1/cases/{call.data.case_id}/attempts", headers=kit.auth("agent", agent_id="ana"),
                              json={"result": "wrong_number"})
    assert r.status_code == 201
    row = await kit.case(call.data.case_id)
    assert (row["channel"], row["agent_id"]) == ("door_to_door", "cy")
    released, assigned = (await kit.assignments())[-2:]
    assert (released.status, released.channel, released.agent_id) == (AssignmentStatus.RELEASED,
                                                                       Channel.DOOR_TO_DOOR, None)
    assert (assigned.status, assigned.agent_id) == (AssignmentStatus.ASSIGNED, "cy")


async def test_no_escalation_without_an_address_or_before_the_third_failure(campaigns_kit) -> None:
    kit = campaigns_kit
    await kit.put_site("paris", ["75"])
    await kit.put_agent("ana", "paris", channels=["phone", "door_to_door"])
    phone_only, with_address = kit.opened(postcode=None, department="75"), kit.opened()
    await kit.feed_opened([phone_only, with_address])
    ana = kit.auth("agent", agent_id="ana")
    await three_failed_calls(kit, phone_only.data.case_id, ana)
    assert (await kit.case(phone_only.data.case_id))["channel"] == "phone"
    r = await kit.client.post(f"/v1/cases/{with_address.data.case_id}/attempts", headers=ana,
                              json={"result": "no_answer"})
    assert r.status_code == 201 and (await kit.case(with_address.data.case_id))["channel"] == "phone"


async def test_the_partner_contract_sets_the_number_of_failed_calls(campaigns_kit) -> None:
    kit = campaigns_kit
    await kit.put_site("paris", ["75"])
    await kit.put_agent("ana", "paris", channels=["phone", "door_to_door"])
    r = await kit.client.put("/v1/partners/edf/contact-rules", headers=kit.auth("admin"),
                             json={"escalate_after_failed_calls": 1})
    assert r.status_code == 200
    call = kit.opened()
    await kit.feed_opened([call])
    r = await kit.client.post(f"/v1/cases/{call.data.case_id}/attempts", headers=kit.auth("agent", agent_id="ana"),
                              json={"result": "no_answer"})
    assert r.status_code == 201 and (await kit.case(call.data.case_id))["channel"] == "door_to_door"


async def test_a_case_with_no_allowed_contact_left_in_its_campaign_is_exhausted(campaigns_kit) -> None:
    kit = campaigns_kit
    await kit.put_site("paris", ["75"])
    await kit.put_agent("ana", "paris", capacity=1, channels=["phone"])
    ends_on = kit.now.date() + timedelta(days=20)
    call = kit.opened(postcode=None, department="75")
    call = call.model_copy(update={"data": call.data.model_copy(update={"campaign_ends_on": ends_on})})
    queued = kit.opened(postcode=None, department="75")
    await kit.feed_opened([call, queued])
    r = await kit.client.post(f"/v1/cases/{call.data.case_id}/attempts", headers=kit.auth("agent", agent_id="ana"),
                              json={"result": "refused"})  # 60 days of peace > 20 days of campaign
    assert r.status_code == 201
    row = await kit.case(call.data.case_id)
    assert (row["status"], row["agent_id"]) == ("exhausted", "ana")
    exhausted = [e for e in await kit.assignments() if e.status is AssignmentStatus.EXHAUSTED]
    assert [(e.case_id, e.reason) for e in exhausted] == [
        (call.data.case_id, f"no contact allowed before the campaign ends on {ends_on}")]
    assert (await kit.case(queued.data.case_id))["agent_id"] == "ana"  # the freed slot is used at once
    again = await kit.client.post(f"/v1/cases/{call.data.case_id}/attempts",
                                  headers=kit.auth("agent", agent_id="ana"), json={"result": "reached"})
    assert (again.status_code, again.json()["status"]) == (409, "exhausted")


async def test_a_case_with_room_left_in_its_campaign_is_not_exhausted(campaigns_kit) -> None:
    kit = campaigns_kit
    await kit.put_site("paris", ["75"])
    await kit.put_agent("ana", "paris", capacity=1, channels=["phone"])
    call = kit.opened(postcode=None, department="75")
    ends_on = kit.now.date() + timedelta(days=90)
    call = call.model_copy(update={"data": call.data.model_copy(update={"campaign_ends_on": ends_on})})
    await kit.feed_opened([call])
    r = await kit.client.post(f"/v1/cases/{call.data.case_id}/attempts", headers=kit.auth("agent", agent_id="ana"),
                              json={"result": "refused"})
    assert r.status_code == 201 and (await kit.case(call.data.case_id))["status"] == "assigned"
