"""End-to-end fixtures: the services started by `make up` / `make test`, driven over HTTP and Kafka
the way a partner, an agent, a supervisor and finance would."""

from __future__ import annotations

import asyncio
import os
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from relais_platform.testing import auth_header

INTAKE = os.environ.get("RELAIS_INTAKE_URL", "http://127.0.0.1:8001")
CAMPAIGNS = os.environ.get("RELAIS_CAMPAIGNS_URL", "http://127.0.0.1:8002")
OUTCOMES = os.environ.get("RELAIS_OUTCOMES_URL", "http://127.0.0.1:8003")

# One site and one agent dedicated to end-to-end runs: Gironde (33) is outside the demo's territory.
E2E_SITE = "e2e-gironde"
E2E_AGENT = "e2e-agent-gironde"
TARIFF = {"effective_from": "2026-01-01", "vat_rate_bp": 2000,
          "fees": {"case_closed_cents": 4500, "successful_contact_cents": 1200, "visit_cents": 2500,
                   "payment_plan_cents": 1500, "referral_taken_up_cents": 2000}}


@dataclass
class Actors:
    """Headers of each person in a scenario, and the partner they work for."""

    partner_id: str
    partner: dict[str, str]
    other_partner: dict[str, str]
    agent: dict[str, str]
    supervisor: dict[str, str]
    finance: dict[str, str]
    admin: dict[str, str]


async def eventually(probe: Callable[[], Awaitable[Any]], *, timeout: float = 45, what: str) -> Any:
    """Poll `probe` until it returns something truthy (the system is asynchronous by design)."""
    deadline = time.monotonic() + timeout
    while True:
        result = await probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.3)


def fresh_mobile() -> str:
    """A French mobile number no earlier run used (the stack's database outlives a run, and the contact limits
    count a person — a phone — across every case and campaign)."""
    digits = f"1{random.randrange(10**7):07d}"  # 061x: mainland (0639, 0690-0697 are overseas mobiles)
    return "06 " + " ".join(digits[i:i + 2] for i in range(0, 8, 2))


def e164(mobile: str) -> str:
    """`fresh_mobile()` in E.164."""
    return "+33" + mobile.replace(" ", "")[1:]


def current_period() -> str:
    """The billing month of now, in Paris time (how lines are assigned to statements)."""
    return datetime.now(ZoneInfo("Europe/Paris")).strftime("%Y-%m")


@pytest.fixture(scope="session")
async def e2e_http() -> httpx.AsyncClient:
    async with httpx.AsyncClient(timeout=30) as client:
        for url in (INTAKE, CAMPAIGNS, OUTCOMES):
            try:
                ready = await client.get(f"{url}/readyz")
            except httpx.HTTPError as exc:
                pytest.fail(f"{url} is not running ({exc}); `make test` starts the services")
            assert ready.status_code == 200, f"{url}/readyz: {ready.text}"
        yield client


@pytest.fixture
async def actors(e2e_http: httpx.AsyncClient) -> Actors:
    """A fresh partner with a tariff, and the e2e site and agent registered."""
    partner_id = f"e2e-{uuid.uuid4().hex[:10]}"
    a = Actors(
        partner_id=partner_id,
        partner=auth_header("partner", partner_id=partner_id),
        other_partner=auth_header("partner", partner_id=f"e2e-other-{uuid.uuid4().hex[:6]}"),
        agent=auth_header("agent", agent_id=E2E_AGENT),
        supervisor=auth_header("supervisor", site_id=E2E_SITE),
        finance=auth_header("finance"),
        admin=auth_header("admin"),
    )
    r = await e2e_http.put(f"{OUTCOMES}/v1/partners/{partner_id}/tariff", headers=a.finance, json=TARIFF)
    assert r.status_code in (200, 201), r.text
    r = await e2e_http.put(f"{CAMPAIGNS}/v1/sites/{E2E_SITE}", headers=a.admin,
                           json={"name": "E2E Gironde", "postcode_prefixes": ["33"], "time_zone": "Europe/Paris"})
    assert r.status_code in (200, 201), r.text
    r = await e2e_http.put(f"{CAMPAIGNS}/v1/agents/{E2E_AGENT}", headers=a.admin,
                           json={"site_id": E2E_SITE, "display_name": "Agent E2E",
                                 "channels": ["phone", "door_to_door"], "daily_capacity": 500})
    assert r.status_code in (200, 201), r.text
    return a
