"""Every route wants a valid bearer token."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.integration

CASE = uuid.uuid4()
ROUTES = [
    ("PUT", "/v1/sites/paris", {"name": "P", "postcode_prefixes": ["75"], "time_zone": "Europe/Paris"}),
    ("PUT", "/v1/agents/ana", {"site_id": "paris", "display_name": "A", "channels": ["phone"], "daily_capacity": 1}),
    ("PATCH", "/v1/agents/ana", {"active": False}),
    ("GET", "/v1/agents/ana/worklist", None),
    ("POST", f"/v1/cases/{CASE}/attempts", {"result": "reached"}),
    ("POST", f"/v1/cases/{CASE}/reassign", {"agent_id": "ana"}),
    ("GET", "/v1/sites/paris/board", None),
    ("PUT", "/v1/partners/acme/contact-rules", {}),
    ("GET", "/v1/partners/acme/contact-rules", None),
    ("PUT", "/v1/admin/clock", {"now": "2026-01-05T10:00:00+00:00"}),
    ("GET", "/v1/admin/clock", None),
]


@pytest.mark.parametrize("method, path, body", ROUTES)
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-a-jwt"}, {"Authorization": "Basic abc"}])
async def test_no_valid_token_is_401(campaigns_kit, method, path, body, headers) -> None:
    r = await campaigns_kit.client.request(method, path, headers=headers, json=body)
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"
