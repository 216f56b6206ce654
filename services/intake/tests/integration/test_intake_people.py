"""The opposition list refuses rows of people who objected; a recall withdraws a case with one CaseRecalled."""

from __future__ import annotations

import uuid

import pytest

from relais_intake.service_layer.file_processing import process_next_file
from relais_platform.contracts import CaseOpened, CaseRecalled, CaseRejected
from relais_platform.events import decode

pytestmark = pytest.mark.integration


async def test_opposed_people_are_refused_in_json_and_files(intake_client, intake_as, intake_campaign, intake_case,
                                                            intake_pool) -> None:
    campaign = await intake_campaign(partner_id="acme")
    url = "/v1/partners/acme/oppositions"
    by_phone = await intake_client.post(url, json={"phone": "+33 6 12 34 56 78", "note": "courrier du 3 mars"},
                                        headers=intake_as("partner"))
    assert by_phone.status_code == 201 and by_phone.json()["value"] == "+33612345678"
    by_ref = await intake_client.post(url, json={"external_ref": "OPP-2"}, headers=intake_as("admin"))
    assert by_ref.status_code == 201 and by_ref.json()["kind"] == "external_ref"
    batch = [intake_case("A1", phone="06 12 34 56 78"), intake_case("OPP-2", phone="06 98 76 54 32"),
             intake_case("A3", phone="06 98 76 54 33")]
    body = (await intake_client.post(f"/v1/campaigns/{campaign['campaign_id']}/cases", json={"cases": batch},
                                     headers=intake_as("partner"))).json()
    assert [(r["status"], [x["code"] for x in r["reasons"]]) for r in body["results"]] == [
        ("rejected", ["opposition"]), ("rejected", ["opposition"]), ("accepted", [])]
    dead = await intake_pool.fetch("SELECT value FROM outbox_events WHERE topic = 'relais.intake.rejections.v1'")
    assert {decode(r["value"], CaseRejected).data.reasons[0].code for r in dead} == {"opposition"}

    upload = await intake_client.post(f"/v1/campaigns/{campaign['campaign_id']}/cases/upload",
                                      content=b"ref;nom;prenom;tel;cp;montant\nF1;Roux;Ana;0612345678;75011;10\n"
, headers=intake_as("partner"))
    await process_next_file(pool=intake_pool, owner=uuid.uuid4())
    done = (await intake_client.get(f"/v1/submissions/{upload.json()['submission_id']}",
                                    headers=intake_as("partner"))).json()
    assert (done["accepted"], done["rejected"]) == (0, 1)
    # another partner's list does not apply
    other = await intake_campaign(partner_id="beta")
    taken = (await intake_client.post(f"/v1/campaigns/{other['campaign_id']}/cases", json={"cases": [batch[0]]},
                                      headers=intake_as("partner", partner_id="beta"))).json()
    assert taken["accepted"] == 1


async def test_an_opposed_phone_lets_a_later_line_of_the_same_reference_open(intake_client, intake_as,
                                                                             intake_campaign, intake_pool) -> None:
    campaign = await intake_campaign(partner_id="acme")
    await intake_client.post("/v1/partners/acme/oppositions", json={"phone": "06 12 34 56 78"},
                             headers=intake_as("partner"))
    upload = await intake_client.post(f"/v1/campaigns/{campaign['campaign_id']}/cases/upload",
                                      content=b"ref;nom;prenom;tel;cp;montant\nD1;Roux;Ana;0612345678;75011;10\n"
                                              b"D1;Roux;Ana;0698765432;75011;10\n", headers=intake_as("partner"))
    await process_next_file(pool=intake_pool, owner=uuid.uuid4())
    done = (await intake_client.get(f"/v1/submissions/{upload.json()['submission_id']}",
                                    headers=intake_as("partner"))).json()
    assert (done["accepted"], done["rejected"], done["duplicates"]) == (1, 1, 0)
    case = await intake_pool.fetchrow("SELECT phone_e164, opened_at FROM cases WHERE external_ref = 'D1'")
    assert case["phone_e164"] == "+33698765432"  # the second line, the first being refused
    [opened] = await intake_pool.fetch("SELECT key, value FROM outbox_events WHERE topic = 'relais.cases.opened.v1'")
    event = decode(opened["value"], CaseOpened)
    assert (event.data.customer.phone_e164, event.data.opened_at) == ("+33698765432", case["opened_at"])


async def test_opposition_access_and_bad_input(intake_client, intake_as) -> None:
    url = "/v1/partners/acme/oppositions"
    assert (await intake_client.post(url, json={"phone": "0612345678"},
                                     headers=intake_as("partner", partner_id="beta"))).status_code == 404
    for role in ("agent", "supervisor", "finance"):
        assert (await intake_client.post(url, json={"phone": "0612345678"}, headers=intake_as(role))).status_code == 403
    for body, field in (({}, "external_ref"), ({"phone": "12"}, "phone"), ({"phone": "0612345678",
                        "external_ref": "X"}, "phone"), ({"external_ref": "a b"}, "external_ref")):
        response = await intake_client.post(url, json=body, headers=intake_as("partner"))
        assert response.status_code == 422 and response.json()["field"] == field, response.text
    extra = await intake_client.post(url, json={"phone": "0612345678", "who": "x"}, headers=intake_as("partner"))
    assert extra.status_code == 422 and extra.json()["errors"][0]["field"] == "who"
    bad_partner = await intake_client.post("/v1/partners/NOT VALID/oppositions", json={"phone": "0612345678"},
                                           headers=intake_as("admin"))
    assert bad_partner.status_code == 422


async def test_recall_emits_case_recalled_once(intake_client, intake_as, intake_campaign, intake_case,
                                               intake_pool, intake_key) -> None:
    campaign = await intake_campaign()
    cid = campaign["campaign_id"]
    await intake_client.post(f"/v1/campaigns/{cid}/cases", json={"cases": [intake_case("PAID-1")]},
                             headers=intake_as("partner"))
    url = f"/v1/campaigns/{cid}/cases/PAID-1/recall"
    first = await intake_client.post(url, json={"reason": "paid on 2 March"},
                                     headers={**intake_as("partner"), "Idempotency-Key": intake_key()})
    assert first.status_code == 200 and first.json()["status"] == "recalled"
    again = await intake_client.post(url, headers=intake_as("admin"))
    assert again.status_code == 200 and again.json()["recalled_at"] == first.json()["recalled_at"]
    rows = await intake_pool.fetch("SELECT key, value FROM outbox_events WHERE topic = 'relais.cases.recalled.v1'")
    assert len(rows) == 1
    event = decode(rows[0]["value"], CaseRecalled)
    assert (str(event.data.case_id), event.data.reason, rows[0]["key"]) == (first.json()["case_id"], "paid on 2 March",
                                                                           first.json()["case_id"])
    counts = (await intake_client.get(f"/v1/campaigns/{cid}", headers=intake_as("partner"))).json()["cases"]
    assert counts == {"recalled": 1}
    assert (await intake_client.post(f"/v1/campaigns/{cid}/cases/NOPE/recall",
                                     headers=intake_as("partner"))).status_code == 404
    assert (await intake_client.post(url, headers=intake_as("partner", partner_id="beta"))).status_code == 404
    assert (await intake_client.post(url, headers=intake_as("agent"))).status_code == 403
    bad = await intake_client.post(url, json={"reason": 3}, headers=intake_as("partner"))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "reason"
