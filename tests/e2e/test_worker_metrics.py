"""Workers and relays serve no API: each serves its Prometheus metrics on a port of its own (the API's + 1100 for a
worker, + 1200 for a relay; `deploy/local/services.sh status` lists them), and what they count reaches it — an
event nobody can decode, an event published from the outbox."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from relais_platform.contracts import Topics
from tests.e2e.conftest import CAMPAIGNS, INTAKE, OUTCOMES, Actors, eventually, fresh_mobile
from tests.e2e.kafka_tools import BOOTSTRAP

pytestmark = pytest.mark.e2e


def _metrics_url(api: str, offset: int) -> str:
    parts = urlsplit(api)
    return f"{parts.scheme}://{parts.hostname}:{(parts.port or 80) + offset}/metrics"


def _count(text: str, name: str, label: str, value: str) -> float:
    """The value of a labelled sample in Prometheus text (0 when it has none yet)."""
    found = re.search(rf'^{name}\{{{label}="{re.escape(value)}"\}} (\S+)$', text, re.MULTILINE)
    return float(found[1]) if found else 0.0


async def _scrape(http: httpx.AsyncClient, url: str) -> str:
    r = await http.get(url)
    assert r.status_code == 200, url
    return r.text


@pytest.mark.parametrize("api", [INTAKE, CAMPAIGNS, OUTCOMES])
async def test_each_worker_and_relay_serves_its_metrics(e2e_http: httpx.AsyncClient, api: str) -> None:
    worker = await _scrape(e2e_http, _metrics_url(api, 1100))
    assert "# TYPE relais_consumer_poison_events_total counter" in worker
    relay = await _scrape(e2e_http, _metrics_url(api, 1200))
    assert "# TYPE relais_outbox_published_total counter" in relay


async def test_an_undecodable_case_opened_is_counted_by_the_worker_that_skipped_it(
        e2e_http: httpx.AsyncClient) -> None:
    url = _metrics_url(CAMPAIGNS, 1100)
    before = _count(await _scrape(e2e_http, url), "relais_consumer_poison_events_total", "consumer",
                    "campaigns.cases_opened")
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(Topics.CASES_OPENED, b'{"not": "a CaseOpened"}', key=uuid.uuid4().bytes)
    finally:
        await producer.stop()

    async def counted() -> bool:
        text = await _scrape(e2e_http, url)
        return _count(text, "relais_consumer_poison_events_total", "consumer", "campaigns.cases_opened") > before

    await eventually(counted, what="the campaigns worker's poison count to grow")


async def test_the_events_a_relay_publishes_are_counted_where_it_is_scraped(e2e_http: httpx.AsyncClient,
                                                                           actors: Actors) -> None:
    url = _metrics_url(INTAKE, 1200)
    before = _count(await _scrape(e2e_http, url), "relais_outbox_published_total", "schema", "intake")
    r = await e2e_http.post(f"{INTAKE}/v1/campaigns", headers=actors.partner,
                            json={"name": "Métriques e2e", "starts_on": "2026-01-01", "ends_on": "2027-12-31",
                                  "legal_basis": "Convention de partenariat, art. 4"})
    assert r.status_code == 201, r.text
    r = await e2e_http.post(f"{INTAKE}/v1/campaigns/{r.json()['campaign_id']}/cases", headers=actors.partner,
                            json={"cases": [{"external_ref": "M-1", "first_name": "Inès", "last_name": "Morel",
                                             "phone": fresh_mobile(), "amount_due": "42,00"}]})
    assert r.status_code == 200, r.text

    async def published() -> bool:
        text = await _scrape(e2e_http, url)
        return _count(text, "relais_outbox_published_total", "schema", "intake") > before

    await eventually(published, what="the intake relay's published count to grow")
