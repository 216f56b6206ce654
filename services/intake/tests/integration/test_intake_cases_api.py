"""Case batches over HTTP: per-line outcomes, storage, outbox events, rejections CSV, roles, bad bodies."""

from __future__ import annotations

import csv
import io
import time
import uuid
from typing import Any

import pytest

from relais_intake.service_layer import submissions
from relais_platform.auth import Principal, Role
from relais_platform.contracts import CaseOpened
from relais_platform.events import decode
from relais_platform.ids import case_id_for

pytestmark = pytest.mark.integration

ADDRESS = {"line1": "12 rue des Lilas", "postcode": "69003", "city": "Lyon"}


async def _submit(client, campaign_id: str, cases: list[dict[str, Any]], headers: dict[str, str]) -> Any:
    return await client.post(f"/v1/campaigns/{campaign_id}/cases", json={"cases": cases}, headers=headers)


async def _opened_events(pool) -> dict[str, Any]:
    rows = await pool.fetch("SELECT topic, key, value FROM outbox_events WHERE topic = 'relais.cases.opened.v1' "
                            "ORDER BY seq, ordinal")
    events = {r["key"]: decode(r["value"], CaseOpened) for r in rows}
    assert len(events) == len(rows)
    return events


async def test_mixed_batch_outcome_per_line(intake_client, intake_as, intake_campaign, intake_case,
                                            intake_pool) -> None:
    campaign = await intake_campaign(partner_id="acme")
    cid, partner = campaign["campaign_id"], intake_as("partner")
    earlier = await _submit(intake_client, cid, [intake_case("OLD")], partner)
    assert earlier.json()["accepted"] == 1
    batch = [
        intake_case("V1"),
        intake_case("P-ADDR", phone="06 12"),
        intake_case("P-NOADDR", phone="06 12", address=None),
        intake_case("NEG", amount_due="-12,50"),
        intake_case("BADPC", address={**ADDRESS, "postcode": "00100"}),
        intake_case("V1", first_name="Autre"),
        intake_case("OLD"),
        intake_case("DOM", phone="0692 12 34 56", address=None, amount_due=87.3),
        intake_case("MULTI", first_name="", amount_due="abc", debt_since="2999-01-01", contract="C-9"),
    ]
    response = await _submit(intake_client, cid, batch, partner)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["rows_read"], body["accepted"], body["rejected"], body["duplicates"]) == (
        "done", 9, 3, 4, 2)
    outcome = [(r["index"], r["line"], r["external_ref"], r["status"],
                [(x["field"], x["code"]) for x in r["reasons"]], [(w["field"], w["code"]) for w in r["warnings"]])
               for r in body["results"]]
    assert outcome == [
        (0, 1, "V1", "accepted", [], []),
        (1, 2, "P-ADDR", "accepted", [], [("phone", "invalid_phone")]),
        (2, 3, "P-NOADDR", "rejected", [("phone", "invalid_phone")], []),
        (3, 4, "NEG", "rejected", [("amount_due", "negative")], []),
        (4, 5, "BADPC", "rejected", [("address.postcode", "invalid_postcode")], []),
        (5, 6, "V1", "duplicate", [("external_ref", "duplicate_in_batch")], []),
        (6, 7, "OLD", "duplicate", [("external_ref", "already_in_campaign")], []),
        (7, 8, "DOM", "accepted", [], []),
        (8, 9, "MULTI", "rejected", [("first_name", "required"), ("amount_due", "invalid_amount"),
                                     ("debt_since", "in_future")], []),
    ]
    ids = {r["external_ref"]: r["case_id"] for r in body["results"]}
    for ref in ("V1", "P-ADDR", "DOM", "OLD"):
        assert ids[ref] == str(case_id_for(partner_id="acme", campaign_id=cid, external_ref=ref))
    assert all(r["case_id"] is None for r in body["results"] if r["status"] == "rejected")

    cases = {r["external_ref"]: r for r in await intake_pool.fetch("SELECT * FROM cases")}
    assert set(cases) == {"OLD", "V1", "P-ADDR", "DOM"}
    assert cases["V1"]["first_name"] == "Léa" and cases["V1"]["amount_due_cents"] == 123456
    assert cases["P-ADDR"]["phone_e164"] is None and cases["P-ADDR"]["address"]["city"] == "Lyon"
    dom = cases["DOM"]
    assert (dom["department"], dom["time_zone"], dom["phone_e164"], dom["phone_kind"], dom["amount_due_cents"],
            dom["address"], dom["status"]) == ("974", "Indian/Reunion", "+262692123456", "mobile", 8730, None, "open")
    assert str(cases["V1"]["submission_id"]) == body["submission_id"]

    events = await _opened_events(intake_pool)
    assert set(events) == {ids["OLD"], ids["V1"], ids["P-ADDR"], ids["DOM"]}  # accepted cases only, once each
    v1 = events[ids["V1"]]
    assert (v1.source, v1.subject, v1.data.external_ref, v1.data.partner_id) == ("/relais/intake", ids["V1"], "V1",
                                                                                "acme")
    assert (v1.data.campaign_priority, str(v1.data.campaign_ends_on), v1.data.channel_preference) == (
        3, campaign["ends_on"], "phone")
    assert (v1.data.customer.department, v1.data.customer.time_zone) == ("69", "Europe/Paris")
    assert v1.data.customer.first_name == "Léa" and str(v1.data.debt_since) == "2024-11-02"
    assert events[ids["P-ADDR"]].data.customer.phone_e164 is None
    assert events[ids["DOM"]].data.customer.time_zone == "Indian/Reunion"

    stored = await intake_pool.fetch("SELECT line, external_ref, raw, reasons FROM rejections "
                                     "WHERE kind = 'rejected' ORDER BY line")
    assert [(r["line"], r["external_ref"]) for r in stored] == [(3, "P-NOADDR"), (4, "NEG"), (5, "BADPC"),
                                                                (9, "MULTI")]
    dead = await intake_pool.fetch("SELECT key FROM outbox_events WHERE topic = 'relais.intake.rejections.v1' "
                                   "ORDER BY seq, ordinal")
    assert [r["key"] for r in dead] == ["P-NOADDR", "NEG", "BADPC", "MULTI"]  # dead letters, keyed by external_ref
    duplicates = await intake_pool.fetch("SELECT line, external_ref FROM rejections WHERE kind = 'duplicate' "
                                         "ORDER BY line")
    assert [(r["line"], r["external_ref"]) for r in duplicates] == [(6, "V1"), (7, "OLD")]
    assert stored[1]["raw"]["amount_due"] == "-12,50" and stored[3]["raw"]["contract"] == "C-9"
    assert stored[1]["reasons"][0]["code"] == "negative"

    detail = (await intake_client.get(f"/v1/campaigns/{cid}", headers=partner)).json()
    assert (detail["cases"], detail["cases_total"], detail["submissions"]) == ({"open": 4}, 4, 2)


async def test_rejections_csv(intake_client, intake_as, intake_campaign, intake_case) -> None:
    campaign = await intake_campaign()
    body = (await _submit(intake_client, campaign["campaign_id"], [
        intake_case("OK"), intake_case("NEG", amount_due="-3"),
        intake_case("BAD", phone="x", address=None, first_name="Zoé ; \"Z\"", segment="B2C"),
    ], intake_as("partner"))).json()
    response = await intake_client.get(f"/v1/submissions/{body['submission_id']}/rejections.csv",
                                       headers=intake_as("partner"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8")), delimiter=";"))
    assert [(r["line"], r["external_ref"]) for r in rows] == [("2", "NEG"), ("3", "BAD")]
    assert rows[0]["amount_due"] == "'-3" and rows[0]["address.city"] == "Lyon"
    assert rows[0]["reasons"].startswith("amount_due: ")
    assert rows[1]["first_name"] == "Zoé ; \"Z\"" and rows[1]["segment"] == "B2C"
    assert rows[1]["reasons"].startswith("phone: ") and " | " not in rows[0]["reasons"]
    clean = (await _submit(intake_client, campaign["campaign_id"], [intake_case("OK2")], intake_as("admin"))).json()
    empty = await intake_client.get(f"/v1/submissions/{clean['submission_id']}/rejections.csv",
                                    headers=intake_as("admin"))
    assert empty.status_code == 200 and empty.text.count("\r\n") == 1


async def test_rejections_csv_is_streamed_in_batches(intake_client, intake_as, intake_campaign, intake_case,
                                                     intake_pool) -> None:
    campaign = await intake_campaign()
    cases = [intake_case(f"N{i}", amount_due="-1") for i in range(6)] + [intake_case("LATE", amount_due="0",
                                                                                   late_field="only here")]
    body = (await _submit(intake_client, campaign["campaign_id"], cases, intake_as("partner"))).json()
    whole = (await intake_client.get(f"/v1/submissions/{body['submission_id']}/rejections.csv",
                                     headers=intake_as("partner"))).content
    admin = Principal(sub="t", role=Role.ADMIN)
    submission = await submissions.visible_submission(conn=intake_pool, principal=admin,
                                                      submission_id=uuid.UUID(body["submission_id"]))
    pieces = [p async for p in submissions.RejectionsDownload(intake_pool, submission, batch=2).chunks()]
    assert len(pieces) > 4 and b"".join(pieces) == whole
    rows = list(csv.DictReader(io.StringIO(whole.decode("utf-8")), delimiter=";"))
    assert [r["external_ref"] for r in rows] == [*(f"N{i}" for i in range(6)), "LATE"]
    assert rows[-1]["late_field"] == "only here" and rows[0]["late_field"] == ""  # a column seen only at the end


async def test_submission_status_and_roles(intake_client, intake_as, intake_campaign, intake_case) -> None:
    campaign = await intake_campaign(partner_id="acme")
    body = (await _submit(intake_client, campaign["campaign_id"], [intake_case("A"), intake_case("A")],
                          intake_as("partner", partner_id="acme"))).json()
    for suffix in ("", "/rejections.csv"):
        path = f"/v1/submissions/{body['submission_id']}{suffix}"
        assert (await intake_client.get(path, headers=intake_as("partner", partner_id="acme"))).status_code == 200
        assert (await intake_client.get(path, headers=intake_as("admin"))).status_code == 200
        assert (await intake_client.get(path, headers=intake_as("partner", partner_id="other"))).status_code == 404
        for role in ("agent", "finance", "supervisor"):
            assert (await intake_client.get(path, headers=intake_as(role))).status_code == 403
        unknown = f"/v1/submissions/{uuid.uuid4()}{suffix}"
        assert (await intake_client.get(unknown, headers=intake_as("admin"))).status_code == 404
    status = (await intake_client.get(f"/v1/submissions/{body['submission_id']}", headers=intake_as("admin"))).json()
    assert (status["status"], status["rows_read"], status["accepted"], status["rejected"], status["duplicates"],
            status["channel"], status["campaign_id"]) == ("done", 2, 1, 0, 1, "json", campaign["campaign_id"])
    assert status["finished_at"] >= status["created_at"]


async def test_who_may_submit(intake_client, intake_as, intake_campaign, intake_case, intake_pool) -> None:
    campaign = await intake_campaign(partner_id="acme")
    cid = campaign["campaign_id"]
    assert (await _submit(intake_client, cid, [intake_case("F")], intake_as("partner", partner_id="other"))
            ).status_code == 404
    for role in ("agent", "finance", "supervisor"):
        assert (await _submit(intake_client, cid, [intake_case("F")], intake_as(role))).status_code == 403
    assert (await _submit(intake_client, str(uuid.uuid4()), [intake_case("F")], intake_as("admin"))).status_code == 404
    admin = await _submit(intake_client, cid, [intake_case("F")], intake_as("admin"))
    assert admin.status_code == 200 and admin.json()["partner_id"] == "acme"
    assert await intake_pool.fetchval("SELECT count(*) FROM cases") == 1


@pytest.mark.parametrize(("action", "status"), [("pause", "paused"), ("close", "closed")])
async def test_only_an_active_campaign_takes_cases(intake_client, intake_as, intake_campaign, intake_case,
                                                   intake_pool, action: str, status: str) -> None:
    campaign = await intake_campaign()
    await intake_client.post(f"/v1/campaigns/{campaign['campaign_id']}/{action}", headers=intake_as("partner"))
    response = await _submit(intake_client, campaign["campaign_id"], [intake_case("A")], intake_as("partner"))
    assert response.status_code == 409 and f"campaign is {status}" in response.json()["detail"]
    assert await intake_pool.fetchval("SELECT count(*) FROM submissions") == 0


async def test_draft_and_ended_campaigns_take_no_cases(intake_client, intake_as, intake_campaign,
                                                        intake_case) -> None:
    draft = await intake_campaign(status="draft")
    response = await _submit(intake_client, draft["campaign_id"], [intake_case("A")], intake_as("partner"))
    assert response.status_code == 409 and "campaign is draft" in response.json()["detail"]
    ended = await intake_campaign(starts_on="2020-01-01", ends_on="2020-12-31")
    response = await _submit(intake_client, ended["campaign_id"], [intake_case("A")], intake_as("partner"))
    assert response.status_code == 409 and "ended on 2020-12-31" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"cases": []}, "cases"), ({}, "cases"), ({"cases": "A1"}, "cases"), ({"cases": [1]}, "cases.0"),
        ({"cases": [{"first_name": ["Léa"]}]}, "cases.0.first_name"),
        ({"cases": [{"address": [1, 2]}]}, "cases.0.address"), ({"cases": [{"extra": 3}]}, "cases.0.extra"),
        ({"cases": [{"external_ref": "A"}], "source": "x"}, "source"),
    ],
)
async def test_bad_batch_bodies_name_the_field(intake_client, intake_as, intake_campaign, body: dict[str, Any],
                                               field: str) -> None:
    campaign = await intake_campaign()
    response = await intake_client.post(f"/v1/campaigns/{campaign['campaign_id']}/cases", json=body,
                                        headers=intake_as("partner"))
    assert response.status_code == 422, response.text
    assert any(e["field"] == field or e["field"].startswith(f"{field}.") for e in response.json()["errors"])


async def test_more_than_10000_cases_is_refused(intake_client, intake_as, intake_campaign, intake_pool) -> None:
    campaign = await intake_campaign()
    cases = [{"external_ref": f"R{i}"} for i in range(10_001)]
    response = await _submit(intake_client, campaign["campaign_id"], cases, intake_as("partner"))
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "cases"
    assert await intake_pool.fetchval("SELECT count(*) FROM submissions") == 0


async def test_idempotent_batch(intake_client, intake_as, intake_campaign, intake_case, intake_key,
                                intake_pool) -> None:
    campaign = await intake_campaign()
    headers = {**intake_as("partner"), "Idempotency-Key": intake_key()}
    batch = [intake_case("A"), intake_case("B", amount_due="0")]
    first = await _submit(intake_client, campaign["campaign_id"], batch, headers)
    counts = [await intake_pool.fetchval(f"SELECT count(*) FROM {t}") for t in ("submissions", "cases", "outbox_events",
                                                                                 "rejections")]
    assert counts == [1, 1, 2, 1]  # one CaseOpened, one CaseRejected
    replay = await _submit(intake_client, campaign["campaign_id"], batch, headers)
    assert replay.status_code == 200 and replay.json() == first.json()
    assert replay.headers["Idempotent-Replay"] == "true"
    assert [await intake_pool.fetchval(f"SELECT count(*) FROM {t}") for t in ("submissions", "cases", "outbox_events",
                                                                              "rejections")] == counts
    changed = await _submit(intake_client, campaign["campaign_id"], [intake_case("A")], headers)
    assert changed.status_code == 422 and changed.json()["field"] == "Idempotency-Key"
    elsewhere = await _submit(intake_client, (await intake_campaign())["campaign_id"], batch, headers)
    assert elsewhere.status_code == 200  # a key belongs to one campaign: this is a new submission
    # ... whose case A is not opened twice: it is open in the partner's other active campaign
    assert (elsewhere.json()["accepted"], elsewhere.json()["duplicates"]) == (0, 1)
    assert elsewhere.json()["results"][0]["reasons"][0]["code"] == "open_in_other_campaign"
    assert elsewhere.json()["submission_id"] != first.json()["submission_id"]
    without_key = await _submit(intake_client, campaign["campaign_id"], batch, intake_as("partner"))
    assert without_key.json()["submission_id"] != first.json()["submission_id"]
    assert without_key.json()["duplicates"] == 1
    assert await intake_pool.fetchval("SELECT count(*) FROM outbox_events WHERE topic = 'relais.cases.opened.v1'") == 1


async def test_ten_thousand_cases(intake_client, intake_as, intake_campaign, intake_case, intake_pool) -> None:
    campaign = await intake_campaign()
    cases = [intake_case(f"BULK-{i:05d}", phone=f"06{i:08d}", amount_due=f"{i + 1},{i % 100:02d}")
             for i in range(10_000)]
    started = time.perf_counter()
    response = await _submit(intake_client, campaign["campaign_id"], cases, intake_as("partner"))
    elapsed = time.perf_counter() - started
    print(f"\nintake: 10,000-case batch answered in {elapsed:.2f} s (in-process ASGI: validation, one unnest "
          f"INSERT, 10,000 outbox events, one transaction)")
    assert response.status_code == 200
    assert (response.json()["accepted"], response.json()["rejected"]) == (10_000, 0)
    assert await intake_pool.fetchval("SELECT count(*) FROM cases") == 10_000
    assert await intake_pool.fetchval("SELECT count(*) FROM outbox_events") == 10_000
    assert await intake_pool.fetchval("SELECT sum(amount_due_cents) FROM cases") == sum(
        (i + 1) * 100 + i % 100 for i in range(10_000))
    assert elapsed < 30  # a generous ceiling: the figure above is what matters
