"""Requests the API fuzz suite (tests/contract/test_api_fuzz.py) found answering 500, now refused with a 422
naming the field: values PostgreSQL or orjson cannot hold, and a malformed multipart upload."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration

JSON = {"content-type": "application/json"}


async def _post_raw(client, path: str, raw: str, headers: dict[str, str]):
    return await client.post(path, content=raw.encode("utf-8", "surrogatepass"), headers={**headers, **JSON})


def _field(response) -> str:
    assert response.status_code == 422, response.text
    return response.json()["errors"][0]["field"]


async def test_a_huge_integer_in_a_case_with_an_idempotency_key(intake_client, intake_as, intake_campaign,
                                                                 intake_key, intake_pool) -> None:
    # was: 500, the Idempotency-Key hash (orjson) cannot write an integer beyond 64 bits
    campaign = await intake_campaign()
    raw = '{"cases": [{"external_ref": "R1", "extra": {"contract": 123456789012345678901234567890}}]}'
    response = await _post_raw(intake_client, f"/v1/campaigns/{campaign['campaign_id']}/cases", raw,
                               {**intake_as("partner"), "Idempotency-Key": intake_key()})
    assert _field(response) == "cases.0.extra.contract"
    assert await intake_pool.fetchval("SELECT count(*) FROM submissions") == 0


async def test_a_huge_integer_on_a_rejected_line(intake_client, intake_as, intake_campaign) -> None:
    # was: 500, the rejected line is kept as sent in a jsonb column written through orjson
    campaign = await intake_campaign()
    raw = '{"cases": [{"external_ref": "R1", "first_name": -100000000000000000000000}]}'
    response = await _post_raw(intake_client, f"/v1/campaigns/{campaign['campaign_id']}/cases", raw,
                               intake_as("partner"))
    assert _field(response) == "cases.0.first_name"


async def test_a_lone_surrogate_in_a_case(intake_client, intake_as, intake_campaign) -> None:
    # was: 500, the case was accepted and its CaseOpened event could not be encoded
    campaign = await intake_campaign()
    raw = '{"cases": [{"external_ref": "R1", "first_name": "L\\ud800a", "last_name": "Martin"}]}'
    response = await _post_raw(intake_client, f"/v1/campaigns/{campaign['campaign_id']}/cases", raw,
                               intake_as("partner"))
    assert _field(response) == "cases.0.first_name"


async def test_a_nul_character_in_a_campaign_name(intake_client, intake_as, intake_campaign_body) -> None:
    # was: 500, PostgreSQL text cannot hold U+0000
    body = intake_campaign_body(name="Eau\u0000")
    response = await intake_client.post("/v1/campaigns", json=body, headers=intake_as("partner"))
    assert _field(response) == "name"
    assert "NUL" in response.json()["detail"]


async def test_a_malformed_multipart_upload(intake_client, intake_as, intake_campaign) -> None:
    # was: 500, python-multipart's parse error escaped the route
    campaign = await intake_campaign()
    boundary = "7c5156fb04a2177cf9e322ad31ebde44"
    response = await intake_client.post(
        f"/v1/campaigns/{campaign['campaign_id']}/cases/upload",
        content=f"--{boundary}\r\nNone--{boundary}--\r\n".encode(),
        headers={**intake_as("partner"), "content-type": f"multipart/form-data; boundary={boundary}"})
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "file" and "malformed" in response.json()["detail"]
