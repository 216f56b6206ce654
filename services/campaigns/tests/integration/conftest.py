"""Fixtures of the campaigns integration tests: the real PostgreSQL, the HTTP app in-process, and the
stream handlers fed with real encoded events. Fixture names start with `campaigns_`."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest

from relais_campaigns.adapters.clock import ManualClock
from relais_campaigns.bootstrap import MIGRATIONS, SCHEMA, create_api
from relais_campaigns.config import Settings
from relais_campaigns.domain.calendar import is_public_holiday
from relais_campaigns.entrypoints.stream import cases_opened_handler, outcomes_resolved_handler
from relais_platform.contracts import (
    Address,
    AssignmentChanged,
    AttemptRecorded,
    CaseOpened,
    CaseResolved,
    Channel,
    Customer,
    OutcomeType,
    Topics,
)
from relais_platform.events import Envelope, decode, encode, envelope
from relais_platform.ids import case_id_for
from relais_platform.lanes import ProcessLanes
from relais_platform.runtime import Resources
from relais_platform.testing import auth_header, fresh_schema, truncate_all

ADMIN = {"role": "admin"}
PARIS = ZoneInfo("Europe/Paris")
_refs = itertools.count(1)


def working_day_at(after: date, hour: int, *, department: str = "75", days_needed: int = 2) -> datetime:
    """`hour`:00 Paris time on the first day after `after` that starts `days_needed` working days in a row."""
    day = after + timedelta(days=1)
    while not all((d := day + timedelta(days=i)).weekday() < 5 and not is_public_holiday(d, department)
                  for i in range(days_needed)):
        day += timedelta(days=1)
    return datetime.combine(day, time(hour), tzinfo=PARIS).astimezone(UTC)


class CampaignsKit:
    """Builds events, feeds the handlers, drives the API and reads the outcome, for one test."""

    def __init__(self, *, client: httpx.AsyncClient, resources: Resources, pool: asyncpg.Pool,
                 clock: ManualClock) -> None:
        self.client = client
        self.clock = clock
        self.resources = resources
        self.pool = pool
        self.partner_id = "edf"
        self.campaign_id = uuid.uuid4()

    @property
    def now(self) -> datetime:
        """What the service clock reads."""
        return self.clock.now()

    @staticmethod
    def auth(role: str, **scope: str) -> dict[str, str]:
        """Bearer header for a role."""
        return auth_header(role, **scope)

    async def put_site(self, site_id: str, prefixes: Sequence[str], *, time_zone: str = "Europe/Paris") -> None:
        """Create a site as admin."""
        r = await self.client.put(f"/v1/sites/{site_id}", headers=self.auth("admin"),
                                  json={"name": site_id.title(), "postcode_prefixes": list(prefixes),
                                        "time_zone": time_zone})
        assert r.status_code in (200, 201), r.text

    async def put_agent(self, agent_id: str, site_id: str, *, capacity: int = 5,
                        channels: Sequence[str] = ("phone", "door_to_door"), active: bool = True) -> dict[str, Any]:
        """Create or replace an agent as admin."""
        r = await self.client.put(f"/v1/agents/{agent_id}", headers=self.auth("admin"),
                                  json={"site_id": site_id, "display_name": agent_id.title(),
                                        "channels": list(channels), "daily_capacity": capacity, "active": active})
        assert r.status_code in (200, 201), r.text
        return r.json()

    def opened(self, *, postcode: str | None = "75011", department: str | None = None, phone: bool | str = True,
               priority: int = 0, amount: int = 10_000, opened_at: datetime | None = None,
               preference: Channel | None = None, external_ref: str | None = None, partner_id: str | None = None,
               campaign_id: uuid.UUID | None = None, ends_on: date | None = None,
               line1: str | None = None) -> Envelope[CaseOpened]:
        """A CaseOpened event as intake publishes it. Each case is a different person (its own phone number
        and street) unless `phone` (a number) or `line1` says otherwise."""
        n = next(_refs)
        ref = external_ref or f"ref-{n}"
        partner, campaign = partner_id or self.partner_id, campaign_id or self.campaign_id
        number = phone if isinstance(phone, str) else (f"+336{n:08d}" if phone else None)
        street = line1 or f"{n} rue de la Paix"
        address = Address(line1=street, postcode=postcode, city="Ville") if postcode else None
        customer = Customer(first_name="Marie", last_name="Curie", phone_e164=number,
                            phone_kind="mobile" if number else None, address=address, time_zone="Europe/Paris",
                            department=department or (postcode or "75")[:2])
        data = CaseOpened(case_id=case_id_for(partner_id=partner, campaign_id=campaign, external_ref=ref),
                          partner_id=partner, campaign_id=campaign, external_ref=ref,
                          customer=customer, amount_due_cents=amount, campaign_priority=priority,
                          channel_preference=preference, campaign_ends_on=ends_on,
                          opened_at=opened_at or datetime.now(UTC) - timedelta(hours=1))
        return envelope(data, source="/relais/intake")

    def resolved(self, case_id: uuid.UUID, *, outcome: OutcomeType = OutcomeType.PAID) -> Envelope[CaseResolved]:
        """A CaseResolved event as the outcomes service publishes it."""
        data = CaseResolved(outcome_id=uuid.uuid4(), case_id=case_id, partner_id=self.partner_id,
                            campaign_id=self.campaign_id, external_ref="x", outcome=outcome,
                            resolved_at=datetime.now(UTC))
        return envelope(data, source="/relais/outcomes")

    async def feed_opened(self, events: Sequence[Envelope[Any]], resources: Resources | None = None,
                          lanes: ProcessLanes | None = None) -> None:
        """Run the cases_opened batch handler on encoded events (shared out between `lanes` when given)."""
        await cases_opened_handler(resources or self.resources, lanes)([encode(e) for e in events])

    async def feed_resolved(self, events: Sequence[Envelope[Any]]) -> None:
        """Run the outcomes_resolved batch handler on encoded events."""
        await outcomes_resolved_handler(self.resources)([encode(e) for e in events])

    async def case(self, case_id: uuid.UUID) -> asyncpg.Record:
        """The projection row of a case."""
        row = await self.pool.fetchrow("SELECT * FROM cases WHERE case_id = $1", case_id)
        assert row is not None
        return row

    async def loads(self) -> dict[str, int]:
        """Open cases held per agent."""
        rows = await self.pool.fetch("SELECT agent_id, count(*) AS n FROM cases WHERE status = 'assigned' "
                                     "GROUP BY agent_id")
        return {r["agent_id"]: r["n"] for r in rows}

    async def assignments(self) -> list[AssignmentChanged]:
        """Every AssignmentChanged in the outbox, decoded, in outbox order."""
        return [e.data for e in await self._outbox(Topics.ASSIGNMENTS, AssignmentChanged)]

    async def attempts_published(self) -> list[Envelope[AttemptRecorded]]:
        """Every AttemptRecorded in the outbox, decoded."""
        return await self._outbox(Topics.ATTEMPTS, AttemptRecorded)

    async def _outbox(self, topic: str, model: type) -> list[Envelope[Any]]:
        rows = await self.pool.fetch("SELECT key, value FROM outbox_events WHERE topic = $1 "
                                     "ORDER BY seq, ordinal", topic)
        events = [decode(r["value"], model) for r in rows]
        assert all(r["key"] == e.subject for r, e in zip(rows, events, strict=True))
        return events

    async def outbox_size(self) -> int:
        """Rows in the outbox."""
        return int(await self.pool.fetchval("SELECT count(*) FROM outbox_events"))


@pytest.fixture(scope="session")
async def campaigns_settings(test_database_url: str) -> Settings:
    """Settings on the test database, with the campaigns schema rebuilt once per session."""
    await fresh_schema(dsn=test_database_url, schema=SCHEMA, migrations_dir=MIGRATIONS)
    return Settings(env="test", database_url=test_database_url)


@pytest.fixture(scope="session")
async def campaigns_resources(campaigns_settings: Settings) -> AsyncIterator[Resources]:
    """The pool (created lazily) shared by the app and the handlers."""
    resources = Resources(campaigns_settings, schema=SCHEMA)
    yield resources
    await resources.close()


@pytest.fixture(scope="session")
def campaigns_clock() -> ManualClock:
    """The clock of the in-process API; each test starts on a working afternoon (16:00 Paris)."""
    return ManualClock(working_day_at(datetime.now(PARIS).date(), 16))


@pytest.fixture(scope="session")
async def campaigns_client(campaigns_settings: Settings, campaigns_resources: Resources,
                           campaigns_clock: ManualClock) -> AsyncIterator[httpx.AsyncClient]:
    """The campaigns API in-process, on the test clock."""
    app = create_api(campaigns_settings, resources=campaigns_resources, clock=campaigns_clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        yield client
    await app.state.resources.close()


@pytest.fixture
async def campaigns_kit(campaigns_client: httpx.AsyncClient, campaigns_resources: Resources,
                        campaigns_clock: ManualClock) -> CampaignsKit:
    """An empty schema, the clock on a working afternoon, and the helpers to fill it."""
    pool = await campaigns_resources.pool()
    await truncate_all(pool, SCHEMA)
    campaigns_clock.set_now(working_day_at(datetime.now(PARIS).date(), 16))
    return CampaignsKit(client=campaigns_client, resources=campaigns_resources, pool=pool, clock=campaigns_clock)
