"""Fixtures of the outcomes integration tests: the real PostgreSQL, the outcomes schema rebuilt once per
session and emptied before each test, the HTTP API in-process through httpx, and the stream handlers fed
with real encoded events."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import httpx
import pytest

from relais_outcomes.bootstrap import MIGRATIONS, SCHEMA, create_api
from relais_outcomes.config import Settings
from relais_outcomes.entrypoints.stream import CONSUMERS, batch_handler
from relais_platform.contracts import (
    AssignmentChanged,
    AssignmentStatus,
    AttemptRecorded,
    AttemptResult,
    CaseOpened,
    CaseResolved,
    Channel,
    Customer,
    OutcomeType,
)
from relais_platform.events import EventData, encode, envelope
from relais_platform.ids import case_id_for
from relais_platform.testing import auth_header, headers_as, service_fixtures, truncate_all

outcomes_schema, outcomes_pool, outcomes_app = service_fixtures(
    "outcomes", schema=SCHEMA, migrations_dir=MIGRATIONS,
    make_app=lambda dsn: create_api(Settings(env="test", database_url=dsn)))


@pytest.fixture(autouse=True)
async def outcomes_empty(outcomes_pool: asyncpg.Pool) -> None:
    """Every outcomes table emptied before each test."""
    await truncate_all(outcomes_pool, SCHEMA)


@pytest.fixture
async def outcomes_client(outcomes_app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the app."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=outcomes_app), base_url="http://t") as client:
        yield client


@pytest.fixture
def outcomes_as() -> Callable[..., dict[str, str]]:
    """Authorization headers: outcomes_as("agent"), outcomes_as("partner", partner_id="other")."""
    return headers_as


class OutcomesWorld:
    """Builds real contract events, encodes them, and feeds them to the worker's batch handlers."""

    def __init__(self, app: Any) -> None:
        self._handlers = {c.topic: batch_handler(app.state.resources, c) for c in CONSUMERS}
        self.campaign_id = uuid.UUID("00000000-0000-4000-8000-00000000c0de")
        self.fed: list[tuple[str, bytes]] = []

    async def feed(self, *events: Any, record: bool = True) -> None:
        """Deliver encoded events (envelopes or raw bytes) to the handler of their topic, as one batch per topic."""
        by_topic: dict[str, list[bytes]] = {}
        for event in events:
            topic, raw = (event.data.topic, encode(event)) if hasattr(event, "data") else event
            by_topic.setdefault(topic, []).append(raw)
            if record:
                self.fed.append((topic, raw))
        for topic, raws in by_topic.items():
            await self._handlers[topic](raws)

    def event(self, data: EventData, *, at: datetime | None = None) -> Any:
        """A CloudEvents envelope from this test's producer."""
        return envelope(data, source="/relais/test", time=at)

    def opened(self, ref: str, *, partner_id: str = "acme", opened_at: datetime | None = None) -> Any:
        """CaseOpened for external_ref `ref`."""
        case_id = case_id_for(partner_id=partner_id, campaign_id=self.campaign_id, external_ref=ref)
        customer = Customer(first_name="Jeanne", last_name="Martin", phone_e164="+33612345678",
                            time_zone="Europe/Paris", department="75")
        return self.event(CaseOpened(case_id=case_id, partner_id=partner_id, campaign_id=self.campaign_id,
                                     external_ref=ref, customer=customer, amount_due_cents=12345,
                                     opened_at=opened_at or datetime(2026, 3, 1, 8, tzinfo=UTC)))

    def assigned(self, opened: Any, *, agent_id: str | None = "agent-1", site_id: str | None = "site-1",
                 status: AssignmentStatus = AssignmentStatus.ASSIGNED, changed_at: datetime | None = None) -> Any:
        """AssignmentChanged for an opened case."""
        c = opened.data
        return self.event(AssignmentChanged(case_id=c.case_id, partner_id=c.partner_id, campaign_id=c.campaign_id,
                                            status=status, site_id=site_id, agent_id=agent_id,
                                            changed_at=changed_at or datetime(2026, 3, 1, 9, tzinfo=UTC)))

    def attempt(self, opened: Any, at: datetime, *, result: AttemptResult = AttemptResult.REACHED,
                channel: Channel = Channel.PHONE) -> Any:
        """AttemptRecorded on an opened case."""
        c = opened.data
        return self.event(AttemptRecorded(attempt_id=uuid.uuid4(), case_id=c.case_id, partner_id=c.partner_id,
                                          campaign_id=c.campaign_id, agent_id="agent-1", site_id="site-1",
                                          channel=channel, result=result, attempted_at=at))

    def resolved(self, opened: Any, at: datetime, outcome: OutcomeType, **details: Any) -> Any:
        """CaseResolved of an opened case, as the outcomes API publishes it (event id = outcome id)."""
        c = opened.data
        outcome_id = details.pop("outcome_id", uuid.uuid4())
        data = CaseResolved(outcome_id=outcome_id, case_id=c.case_id, partner_id=c.partner_id,
                            campaign_id=c.campaign_id, external_ref=c.external_ref, outcome=outcome, resolved_at=at,
                            **details)
        return envelope(data, source="/relais/outcomes", event_id=outcome_id)


@pytest.fixture
def outcomes_world(outcomes_app: Any) -> OutcomesWorld:
    """Event builders and the worker's batch handlers on the test database."""
    return OutcomesWorld(outcomes_app)


@pytest.fixture
def outcomes_tariff(outcomes_client: httpx.AsyncClient) -> Callable[..., Any]:
    """PUT a tariff version as finance: await outcomes_tariff("2026-03-01", case_closed_cents=4500, ...)."""

    async def put(effective_from: str | date, *, partner_id: str = "acme", vat_rate_bp: int = 2000,
                  expect: int | None = None, **fees: int) -> dict[str, Any]:
        body = {"effective_from": str(effective_from), "vat_rate_bp": vat_rate_bp,
                "fees": {k: v for k, v in fees.items() if k.endswith("_cents") and not k.startswith("monthly")},
                **{k: v for k, v in fees.items() if k.startswith("monthly")}}
        r = await outcomes_client.put(f"/v1/partners/{partner_id}/tariff", json=body, headers=auth_header("finance"))
        assert r.status_code == (expect or r.status_code) and r.status_code in (200, 201, 409), r.text
        assert expect is not None or r.status_code in (200, 201), r.text  # a setup call must not silently conflict
        return r.json()

    return put
