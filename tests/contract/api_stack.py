"""The three Relais HTTP APIs as real processes on free ports over the integration-test database, and a small
world seeded through them (campaigns, cases routed and assigned, an attempt, an outcome, a tariff) so that
fuzzed requests reach the handlers' deep paths and not only their 404s.

Never the demo stack's database (`relais`) nor its ports (8001-8003): the APIs run on `relais_test`, on
ports the OS hands out, and no worker runs; the seed moves events between the services itself, by handing
the rows of each outbox to the real stream handlers (what the relay and the workers would do)."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from relais_campaigns.bootstrap import SCHEMA as CAMPAIGNS_SCHEMA
from relais_campaigns.config import Settings as CampaignsSettings
from relais_campaigns.entrypoints.stream import cases_opened_handler, outcomes_resolved_handler
from relais_outcomes.bootstrap import SCHEMA as OUTCOMES_SCHEMA
from relais_outcomes.config import Settings as OutcomesSettings
from relais_outcomes.entrypoints.stream import CONSUMERS, batch_handler
from relais_platform.contracts import Topics
from relais_platform.runtime import Resources
from relais_platform.testing import TEST_DATABASE_URL, auth_header, ensure_database, pool_on, truncate_all

SERVICES = ("intake", "campaigns", "outcomes")
BIN = Path(sys.executable).parent
DEMO_DATABASE = "relais"
DEMO_PORTS = range(8001, 8004)

PARTNER = "fuzz-partner"
SITE = "fuzz-site"
AGENT = "fuzz-agent"
OTHER_AGENT = "fuzz-agent-2"
ADMIN = auth_header("admin")


@dataclass
class Api:
    """One service's API process."""

    service: str
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Base URL of the API."""
        return f"http://127.0.0.1:{self.port}"


@dataclass
class World:
    """Ids the seed created, by the name of the path parameter that takes them."""

    campaign_id: str = ""
    lifecycle_campaign_id: str = ""
    submission_id: str = ""
    case_ids: list[str] = field(default_factory=list)
    period: str = ""


def _env(port: int | None = None) -> dict[str, str]:
    env = {**os.environ, "RELAIS_ENV": "test", "RELAIS_DATABASE_URL": TEST_DATABASE_URL, "RELAIS_LOG_LEVEL": "WARNING"}
    if port is not None:
        env["RELAIS_HTTP_PORT"] = str(port)
    return env


def _free_port() -> int:
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in DEMO_PORTS:
            return port


def _refuse_demo_database() -> None:
    if TEST_DATABASE_URL.rstrip("/").rpartition("/")[2] == DEMO_DATABASE:
        raise RuntimeError("the API fuzz suite never runs on the demo database")


async def start_apis(log_dir: Path, *, timeout: float = 90.0) -> dict[str, Api]:
    """Migrate the test database for each service and start its API (all at once: the APIs need the schema
    only once called), then wait until every /readyz says ok."""
    _refuse_demo_database()
    await ensure_database(TEST_DATABASE_URL)
    migrations = {s: subprocess.Popen([str(BIN / f"relais-{s}"), "migrate"], env=_env(), stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT) for s in SERVICES}
    apis = {s: Api(service=s, port=_free_port(), log=log_dir / f"{s}.log") for s in SERVICES}
    for api in apis.values():
        with api.log.open("wb") as out:
            api.process = subprocess.Popen([str(BIN / f"relais-{api.service}"), "api"], env=_env(api.port),
                                           stdout=out, stderr=subprocess.STDOUT)
    try:
        for service, migration in migrations.items():
            output, _ = migration.communicate(timeout=timeout)
            if migration.returncode != 0:
                raise RuntimeError(f"relais-{service} migrate failed: {output.decode(errors='replace')[-2000:]}")
        await _wait_ready(apis.values(), timeout)
    except BaseException:
        for migration in migrations.values():
            if migration.poll() is None:
                migration.kill()
        stop_apis(apis)
        raise
    return apis


async def _wait_ready(apis: Iterable[Api], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=3) as client:
        for api in apis:
            while True:
                assert api.process is not None
                if api.process.poll() is not None:
                    raise RuntimeError(f"relais-{api.service} api exited: {api.log.read_text()[-2000:]}")
                try:
                    if (await client.get(f"{api.url}/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"relais-{api.service} api not ready: {api.log.read_text()[-2000:]}")
                await asyncio.sleep(0.2)


def stop_apis(apis: dict[str, Api]) -> None:
    """Stop the processes this module started (SIGTERM, then SIGKILL after 10 s)."""
    for api in apis.values():
        if api.process is not None and api.process.poll() is None:
            api.process.terminate()
    for api in apis.values():
        if api.process is None:
            continue
        try:
            api.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            api.process.kill()
            api.process.wait(timeout=10)


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code < 300, f"{response.request.method} {response.request.url}: {response.text}"
    return response.json()


async def seed(apis: dict[str, Api]) -> World:
    """Empty the three schemas, then build a small world through the APIs and the stream handlers."""
    for schema in ("intake", CAMPAIGNS_SCHEMA, OUTCOMES_SCHEMA):
        pool = await pool_on(TEST_DATABASE_URL, schema)
        try:
            await truncate_all(pool, schema)
        finally:
            await pool.close()
    campaigns = Resources(CampaignsSettings(env="test", database_url=TEST_DATABASE_URL), schema=CAMPAIGNS_SCHEMA)
    outcomes = Resources(OutcomesSettings(env="test", database_url=TEST_DATABASE_URL), schema=OUTCOMES_SCHEMA)
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            return await _seed(client, apis, campaigns, outcomes)
    finally:
        await campaigns.close()
        await outcomes.close()


async def _seed(client: httpx.AsyncClient, apis: dict[str, Api], campaigns: Resources,
                outcomes: Resources) -> World:
    intake, staff, results = apis["intake"].url, apis["campaigns"].url, apis["outcomes"].url
    world = World(period=datetime.now(UTC).strftime("%Y-%m"))
    today = date.today()
    campaign = {"partner_id": PARTNER, "name": "Fuzz", "legal_basis": "Contract art. 6",
                "starts_on": str(today - timedelta(days=1)), "ends_on": str(today + timedelta(days=90))}
    world.campaign_id = _ok(await client.post(f"{intake}/v1/campaigns", json=campaign, headers=ADMIN))["campaign_id"]
    world.lifecycle_campaign_id = _ok(await client.post(f"{intake}/v1/campaigns", json=campaign,
                                                        headers=ADMIN))["campaign_id"]
    await client.put(f"{staff}/v1/sites/{SITE}", headers=ADMIN,
                     json={"name": "Fuzz", "postcode_prefixes": ["75"], "time_zone": "Europe/Paris"})
    await _put_agent(client, staff, AGENT)
    cases = [{"external_ref": f"FZ-{i}", "first_name": "Léa", "last_name": "Martin", "phone": "06 12 34 56 78",
              "address": {"line1": "1 rue de la Paix", "postcode": "75011", "city": "Paris"},
              "amount_due": "120,50", "debt_since": "2026-01-15"} for i in range(6)]
    cases.append({"external_ref": "FZ-bad", "first_name": "", "amount_due": "abc"})
    report = _ok(await client.post(f"{intake}/v1/campaigns/{world.campaign_id}/cases", json={"cases": cases},
                                   headers=ADMIN))
    world.submission_id = report["submission_id"]
    world.case_ids = [r["case_id"] for r in report["results"] if r["case_id"]]
    handlers = {c.topic: batch_handler(outcomes, c) for c in CONSUMERS}
    await relay("intake", Topics.CASES_OPENED, cases_opened_handler(campaigns), handlers[Topics.CASES_OPENED])
    await relay(CAMPAIGNS_SCHEMA, Topics.ASSIGNMENTS, handlers[Topics.ASSIGNMENTS])
    await _put_agent(client, staff, OTHER_AGENT)  # after the assignment: every case is AGENT's
    first, second = world.case_ids[:2]
    agent = auth_header("agent", agent_id=AGENT)
    attempt = await client.post(f"{staff}/v1/cases/{first}/attempts", json={"result": "reached"}, headers=agent)
    assert attempt.status_code in (201, 409), attempt.text  # 409: the contact rules' hours (it is night, a Sunday)
    _ok(await client.post(f"{results}/v1/cases/{second}/outcome", json={"type": "paid"}, headers=agent))
    _ok(await client.put(f"{results}/v1/partners/{PARTNER}/tariff", headers=auth_header("finance"),
                         json={"effective_from": "2026-01-01", "vat_rate_bp": 2000,
                               "fees": {"case_closed_cents": 4500, "successful_contact_cents": 1200}}))
    if attempt.status_code == 201:
        await relay(CAMPAIGNS_SCHEMA, Topics.ATTEMPTS, handlers[Topics.ATTEMPTS])
    await relay(OUTCOMES_SCHEMA, Topics.OUTCOMES_RESOLVED, outcomes_resolved_handler(campaigns),
                handlers[Topics.OUTCOMES_RESOLVED])
    return world


async def _put_agent(client: httpx.AsyncClient, staff: str, agent_id: str) -> None:
    _ok(await client.put(f"{staff}/v1/agents/{agent_id}", headers=ADMIN,
                         json={"site_id": SITE, "display_name": agent_id, "channels": ["phone", "door_to_door"],
                               "daily_capacity": 50}))


Handler = Callable[[list[bytes]], Awaitable[None]]


async def relay(schema: str, topic: str, *handlers: Handler) -> None:
    """Hand the values `schema`'s outbox holds for `topic` to the consumers' batch handlers, in outbox order."""
    pool = await pool_on(TEST_DATABASE_URL, schema)
    try:
        values = [bytes(r["value"]) for r in
                  await pool.fetch("SELECT value FROM outbox_events WHERE topic = $1 ORDER BY seq, ordinal", topic)]
    finally:
        await pool.close()
    assert values, f"nothing in the {schema} outbox for {topic}"
    for handler in handlers:
        await handler(values)
