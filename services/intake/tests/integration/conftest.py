"""Fixtures of the intake integration tests: the real PostgreSQL, the intake schema rebuilt once per session,
every table emptied before each test, and the HTTP API driven in-process through httpx."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from relais_intake.bootstrap import MIGRATIONS, SCHEMA, create_api
from relais_intake.config import Settings
from relais_platform.testing import headers_as, service_fixtures, truncate_all

intake_schema, intake_pool, intake_app = service_fixtures(
    "intake", schema=SCHEMA, migrations_dir=MIGRATIONS,
    make_app=lambda dsn: create_api(Settings(env="test", database_url=dsn)))


@pytest.fixture
async def intake_client(intake_app: Any, intake_pool: asyncpg.Pool) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the app, with every intake table emptied first."""
    await truncate_all(intake_pool, SCHEMA)
    transport = httpx.ASGITransport(app=intake_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t", timeout=60) as client:
        yield client


@pytest.fixture
def intake_as() -> Callable[..., dict[str, str]]:
    """Authorization headers for a role: intake_as("partner", partner_id="acme"), intake_as("admin")."""
    return headers_as


def _campaign_body(**overrides: Any) -> dict[str, Any]:
    """A valid campaign request body, running from yesterday for 60 days."""
    today = datetime.now(UTC).date()
    body = {"name": "Hiver 2025", "legal_basis": "Art. 6(1)(f) RGPD - intérêt légitime, convention du 3 mars",
            "starts_on": (today - timedelta(days=1)).isoformat(), "ends_on": (today + timedelta(days=60)).isoformat(),
            "channel_preference": "phone", "priority": 3, "tariff_ref": "T-2025"}
    body.update(overrides)
    return body


@pytest.fixture
def intake_campaign(intake_client: httpx.AsyncClient,
                    intake_as: Callable[..., dict[str, str]]) -> Callable[..., Any]:
    """Create a campaign through the API for a partner and return its JSON."""

    async def create(partner_id: str = "acme", **overrides: Any) -> dict[str, Any]:
        response = await intake_client.post("/v1/campaigns", json=_campaign_body(**overrides),
                                            headers=intake_as("partner", partner_id=partner_id))
        assert response.status_code == 201, response.text
        return response.json()

    return create


def _case(ref: str, **overrides: Any) -> dict[str, Any]:
    """A valid case with a phone and an address."""
    body = {"external_ref": ref, "first_name": "Léa", "last_name": "Dupont-Moreau", "phone": "06 12 34 56 78",
            "address": {"line1": "12 rue des Lilas", "postcode": "69003", "city": "Lyon"},
            "amount_due": "1 234,56 €", "debt_since": "2024-11-02"}
    body.update(overrides)
    return body


@pytest.fixture
def intake_campaign_body() -> Callable[..., dict[str, Any]]:
    """Builder of a valid campaign body: intake_campaign_body(priority=5)."""
    return _campaign_body


@pytest.fixture
def intake_case() -> Callable[..., dict[str, Any]]:
    """Builder of a valid case: intake_case("REF-1", phone=None)."""
    return _case


@pytest.fixture
def intake_key() -> Callable[[], str]:
    """Maker of fresh Idempotency-Keys."""
    return lambda: uuid.uuid4().hex
