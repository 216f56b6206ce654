"""Campaigns over HTTP: creation, reading, lifecycle; every role; bad bodies; Idempotency-Key."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from relais_platform.testing import auth_header

pytestmark = pytest.mark.integration


async def test_partner_creates_an_active_campaign_for_itself(intake_client, intake_as, intake_campaign_body) -> None:
    response = await intake_client.post("/v1/campaigns", json=intake_campaign_body(),
                                        headers=intake_as("partner", partner_id="acme"))
    assert response.status_code == 201, response.text
    campaign = response.json()
    assert (campaign["partner_id"], campaign["status"], campaign["priority"]) == ("acme", "active", 3)
    assert campaign["legal_basis"].startswith("Art. 6(1)(f)") and campaign["channel_preference"] == "phone"
    uuid.UUID(campaign["campaign_id"])


async def test_draft_on_request(intake_campaign) -> None:
    assert (await intake_campaign(status="draft"))["status"] == "draft"


async def test_admin_creates_for_the_partner_named(intake_client, intake_as, intake_campaign_body) -> None:
    response = await intake_client.post("/v1/campaigns", json=intake_campaign_body(partner_id="veolia"),
                                        headers=intake_as("admin"))
    assert response.status_code == 201 and response.json()["partner_id"] == "veolia"
    missing = await intake_client.post("/v1/campaigns", json=intake_campaign_body(), headers=intake_as("admin"))
    assert missing.status_code == 422 and missing.json()["field"] == "partner_id"


async def test_a_partner_cannot_create_for_another(intake_client, intake_as, intake_campaign_body) -> None:
    response = await intake_client.post("/v1/campaigns", json=intake_campaign_body(partner_id="other"),
                                        headers=intake_as("partner", partner_id="acme"))
    assert response.status_code == 422 and response.json()["field"] == "partner_id"
    same = await intake_client.post("/v1/campaigns", json=intake_campaign_body(partner_id="acme"),
                                    headers=intake_as("partner", partner_id="acme"))
    assert same.status_code == 201


async def test_a_partner_token_with_an_unusable_id_is_refused(intake_client, intake_as, intake_campaign_body) -> None:
    response = await intake_client.post("/v1/campaigns", json=intake_campaign_body(),
                                        headers=intake_as("partner", partner_id="ACME Corp"))
    assert response.status_code == 422 and response.json()["field"] == "partner_id"


@pytest.mark.parametrize("role", ["agent", "finance", "supervisor"])
async def test_other_roles_may_not_create(intake_client, intake_as, intake_campaign_body, role: str) -> None:
    response = await intake_client.post("/v1/campaigns", json=intake_campaign_body(partner_id="acme"),
                                        headers=intake_as(role))
    assert response.status_code == 403


async def test_no_token_is_401(intake_client, intake_campaign_body) -> None:
    assert (await intake_client.post("/v1/campaigns", json=intake_campaign_body())).status_code == 401


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"legal_basis": ...}, "legal_basis"), ({"legal_basis": ""}, "legal_basis"),
        ({"legal_basis": "   "}, "legal_basis"), ({"name": ...}, "name"), ({"name": 12}, "name"),
        ({"starts_on": "2025-02-01", "ends_on": "2025-01-31"}, "ends_on"), ({"starts_on": "2025-13-01"}, "starts_on"),
        ({"ends_on": ...}, "ends_on"), ({"priority": 10}, "priority"), ({"priority": -1}, "priority"),
        ({"priority": "3"}, "priority"), ({"channel_preference": "email"}, "channel_preference"),
        ({"status": "closed"}, "status"), ({"tariff_ref": ""}, "tariff_ref"), ({"colour": "red"}, "colour"),
        ({"partner_id": "Not A Slug"}, "partner_id"),
    ],
)
async def test_bad_campaign_bodies_name_the_field(intake_client, intake_as, intake_campaign_body,
                                                  change: dict[str, Any], field: str) -> None:
    body = {k: v for k, v in intake_campaign_body(**change).items() if v is not ...}
    response = await intake_client.post("/v1/campaigns", json=body, headers=intake_as("partner"))
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]


async def test_not_json_is_a_422(intake_client, intake_as) -> None:
    response = await intake_client.post("/v1/campaigns", content=b"{not json",
                                        headers={**intake_as("partner"), "content-type": "application/json"})
    assert response.status_code == 422


async def test_idempotent_creation(intake_client, intake_as, intake_campaign_body, intake_key, intake_pool) -> None:
    headers = {**intake_as("partner"), "Idempotency-Key": intake_key()}
    first = await intake_client.post("/v1/campaigns", json=intake_campaign_body(), headers=headers)
    replay = await intake_client.post("/v1/campaigns", json=intake_campaign_body(), headers=headers)
    assert first.status_code == replay.status_code == 201
    assert replay.json() == first.json() and replay.headers["Idempotent-Replay"] == "true"
    assert await intake_pool.fetchval("SELECT count(*) FROM campaigns") == 1
    other = await intake_client.post("/v1/campaigns", json=intake_campaign_body(name="Autre"), headers=headers)
    assert other.status_code == 422 and other.json()["field"] == "Idempotency-Key"
    assert await intake_pool.fetchval("SELECT count(*) FROM campaigns") == 1


async def test_get_campaign_visibility(intake_client, intake_as, intake_campaign) -> None:
    campaign = await intake_campaign(partner_id="acme")
    path = f"/v1/campaigns/{campaign['campaign_id']}"
    for role in ("admin", "finance", "supervisor"):
        response = await intake_client.get(path, headers=intake_as(role))
        assert response.status_code == 200 and response.json()["campaign_id"] == campaign["campaign_id"]
    own = await intake_client.get(path, headers=intake_as("partner", partner_id="acme"))
    assert own.status_code == 200
    assert (own.json()["cases"], own.json()["cases_total"], own.json()["submissions"]) == ({}, 0, 0)
    foreign = await intake_client.get(path, headers=intake_as("partner", partner_id="other"))
    assert foreign.status_code == 404 and "acme" not in foreign.text
    assert (await intake_client.get(path, headers=intake_as("agent"))).status_code == 403
    unknown = await intake_client.get(f"/v1/campaigns/{uuid.uuid4()}", headers=intake_as("admin"))
    assert unknown.status_code == 404
    bad_id = await intake_client.get("/v1/campaigns/not-a-uuid", headers=intake_as("admin"))
    assert bad_id.status_code == 422 and bad_id.json()["errors"][0]["field"] == "campaign_id"


async def test_lifecycle(intake_client, intake_as, intake_campaign) -> None:
    campaign = await intake_campaign(status="draft")
    path = f"/v1/campaigns/{campaign['campaign_id']}"
    partner = intake_as("partner")

    async def move(action: str, headers: dict[str, str] = partner) -> Any:
        return await intake_client.post(f"{path}/{action}", headers=headers)

    refused = await move("pause")
    assert refused.status_code == 409 and refused.json()["current_status"] == "draft" and "draft" in refused.text
    assert (await move("resume")).json()["status"] == "active"
    assert (await move("resume")).status_code == 409
    assert (await move("pause")).json()["status"] == "paused"
    assert (await move("pause")).json()["current_status"] == "paused"
    assert (await move("resume", intake_as("admin"))).json()["status"] == "active"
    closed = await move("close")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert closed.json()["updated_at"] > campaign["updated_at"]
    for action in ("pause", "resume", "close"):
        again = await move(action)
        assert again.status_code == 409 and again.json()["current_status"] == "closed"


async def test_lifecycle_roles(intake_client, intake_as, intake_campaign) -> None:
    campaign = await intake_campaign(partner_id="acme")
    path = f"/v1/campaigns/{campaign['campaign_id']}/pause"
    assert (await intake_client.post(path, headers=intake_as("partner", partner_id="other"))).status_code == 404
    for role in ("agent", "finance", "supervisor"):
        assert (await intake_client.post(path, headers=intake_as(role))).status_code == 403
    unknown = await intake_client.post(f"/v1/campaigns/{uuid.uuid4()}/close", headers=intake_as("admin"))
    assert unknown.status_code == 404
    detail = await intake_client.get(f"/v1/campaigns/{campaign['campaign_id']}", headers=intake_as("admin"))
    assert detail.json()["status"] == "active"


async def test_lifecycle_replay_with_idempotency_key(intake_client, intake_as, intake_campaign, intake_key) -> None:
    campaign = await intake_campaign()
    headers = {**intake_as("partner"), "Idempotency-Key": intake_key()}
    path = f"/v1/campaigns/{campaign['campaign_id']}/pause"
    first = await intake_client.post(path, headers=headers)
    replay = await intake_client.post(path, headers=headers)
    assert first.status_code == replay.status_code == 200 and replay.json() == first.json()
    assert (await intake_client.post(path, headers=intake_as("partner"))).status_code == 409  # no key: a new try
    # A key belongs to one resource: the same key on another campaign is another request.
    other_campaign = await intake_campaign()
    other = await intake_client.post(f"/v1/campaigns/{other_campaign['campaign_id']}/pause", headers=headers)
    assert other.status_code == 200 and other.json()["campaign_id"] == other_campaign["campaign_id"]
    assert "Idempotent-Replay" not in other.headers


async def test_partners_sharing_a_token_subject_never_replay_each_other(intake_client, intake_as,
                                                                       intake_campaign_body, intake_key) -> None:
    key = intake_key()  # both tokens carry the same sub: the scope must still keep the partners apart
    acme = await intake_client.post("/v1/campaigns", json=intake_campaign_body(),
                                    headers={**auth_header("partner", sub="shared", partner_id="acme"),
                                             "Idempotency-Key": key})
    other = await intake_client.post("/v1/campaigns", json=intake_campaign_body(),
                                     headers={**auth_header("partner", sub="shared", partner_id="other"),
                                              "Idempotency-Key": key})
    assert acme.status_code == other.status_code == 201
    assert (acme.json()["partner_id"], other.json()["partner_id"]) == ("acme", "other")
