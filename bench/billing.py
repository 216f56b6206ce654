"""Billing end to end: 1,000,000 billable events (reached phone calls, each one `successful_contact` line)
on the namespaced relais.campaigns.attempts.v1 of an isolated outcomes service, consumed by its worker into
priced billing lines (claimed exactly once, each line written to the outbox and published), then the month
finalised into an invoice. In the same run, the raw baseline: an aiokafka consumer reading the same records,
parsing the JSON and COPYing one row per event into PostgreSQL, with no checks at all.

`RELAIS_BENCH_BILLING_EVENTS` changes the number of events (default 1,000,000).
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import orjson
from aiokafka import AIOKafkaConsumer

from bench.stack import BOOTSTRAP, BenchStack, CpuMeter, peak_rss_mib, wait_committed
from relais_platform.auth import mint_token
from relais_platform.config import DEFAULT_JWT_SECRET
from relais_platform.contracts import Topics
from relais_platform.kafka import make_producer, namespaced

EVENTS = int(os.environ.get("RELAIS_BENCH_BILLING_EVENTS", "1000000"))
PERIOD = "2026-10"  # a closed month: its grace period is over, finance finalises it without forcing
PARTNERS = ("bench-eau", "bench-gaz", "bench-rail", "bench-poste")
FEES = {"case_closed_cents": 4500, "successful_contact_cents": 1200, "visit_cents": 2500}


def _attempt(n: int) -> bytes:
    """One AttemptRecorded CloudEvent as the campaigns service publishes it (built without pydantic: speed)."""
    partner = PARTNERS[n % len(PARTNERS)] if n % 10 else PARTNERS[0]
    at = datetime(2026, 10, 1, 8, tzinfo=UTC) + timedelta(seconds=n % (29 * 86400))
    case_id, campaign_id = str(uuid.UUID(int=n + 1)), "00000000-0000-4000-8000-0000000000b1"
    return orjson.dumps({
        "id": str(uuid.uuid4()), "source": "/relais/campaigns", "type": "relais.case.attempt_recorded.v1",
        "specversion": "1.0", "time": at.isoformat(), "datacontenttype": "application/json", "subject": case_id,
        "data": {"attempt_id": str(uuid.uuid4()), "case_id": case_id, "partner_id": partner,
                 "campaign_id": campaign_id, "agent_id": "bench-agent", "site_id": "bench-site", "channel": "phone",
                 "result": "reached", "attempted_at": at.isoformat(), "callback_at": None}})


async def _produce(bootstrap: str, topic: str) -> float:
    producer = make_producer(bootstrap, linger_ms=20)
    await producer.start()
    started = time.perf_counter()
    try:
        pending = []
        for n in range(EVENTS):
            pending.append(await producer.send(topic, _attempt(n), key=str(uuid.UUID(int=n + 1)).encode()))
            if len(pending) >= 20_000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return time.perf_counter() - started


async def _baseline(bootstrap: str, topic: str, dsn: str) -> float:
    """Raw consume + COPY: what moving the bytes into PostgreSQL costs with no logic at all."""
    conn = await asyncpg.connect(dsn)
    await conn.execute("DROP TABLE IF EXISTS bench_billing_baseline; CREATE UNLOGGED TABLE bench_billing_baseline "
                       "(event_id uuid, partner_id text, case_id uuid, attempted_at timestamptz)")
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                group_id=f"bench-baseline-{uuid.uuid4().hex[:6]}", enable_auto_commit=False,
                                max_partition_fetch_bytes=8 * 1024 * 1024)
    await consumer.start()
    started, seen = time.perf_counter(), 0
    try:
        while seen < EVENTS:
            batches = await consumer.getmany(timeout_ms=1000, max_records=5000)
            rows = []
            for records in batches.values():
                for record in records:
                    event = orjson.loads(record.value)
                    data = event["data"]
                    rows.append((uuid.UUID(event["id"]), data["partner_id"], uuid.UUID(data["case_id"]),
                                 datetime.fromisoformat(data["attempted_at"])))
            if rows:
                await conn.copy_records_to_table("bench_billing_baseline", records=rows)
                await consumer.commit()
                seen += len(rows)
        return time.perf_counter() - started
    finally:
        await consumer.stop()
        await conn.close()


async def _wait_lines(dsn: str, namespace: str, topic: str) -> tuple[float, int]:
    """Until every event is committed by the worker, every line is in and the outbox is empty (published)."""
    started = time.perf_counter()
    await wait_committed(namespace, topic, EVENTS)
    conn = await asyncpg.connect(dsn, server_settings={"search_path": "outcomes"})
    try:
        while True:
            count = await conn.fetchval("SELECT count(*) FROM billing_lines")
            if count >= EVENTS and not await conn.fetchval("SELECT EXISTS (SELECT 1 FROM outbox)"):
                return time.perf_counter() - started, count
            await asyncio.sleep(0.25)
    finally:
        await conn.close()


async def run() -> list[str]:
    """Produce, measure the baseline, run the worker, finalise; return the figures."""
    stack = BenchStack(services=("outcomes",), database="relais_bench_billing")
    topic = namespaced(Topics.ATTEMPTS, stack.namespace)
    finance = {"Authorization": f"Bearer {mint_token(secret=DEFAULT_JWT_SECRET, role='finance', sub='bench')}"}
    try:
        await stack.start(workers=())
        async with httpx.AsyncClient(base_url=stack.url("outcomes"), timeout=1800, headers=finance) as client:
            for partner in PARTNERS:
                r = await client.put(f"/v1/partners/{partner}/tariff", json={
                    "effective_from": "2026-01-01", "vat_rate_bp": 2000, "fees": FEES})
                r.raise_for_status()
            produced = await _produce(BOOTSTRAP, topic)
            await stack.checkpoint()
            meter = CpuMeter.start(stack)
            baseline = await _baseline(BOOTSTRAP, topic, stack.database_url)
            baseline_cpu = meter.per_item(EVENTS)
            # The worker starts only now, on its own consumer group, so the demo stack's group never rebalances.
            await stack.checkpoint()
            started = time.perf_counter()
            await stack.start_worker("outcomes",
                                     RELAIS_LOG_LEVEL=os.environ.get("RELAIS_BENCH_WORKER_LOG_LEVEL", "WARNING"))
            ready = time.perf_counter() - started
            meter = CpuMeter.start(stack)
            pipeline, lines = await _wait_lines(stack.database_url, stack.namespace, topic)
            pipeline_cpu = meter.per_item(EVENTS)
            rss = peak_rss_mib(stack.processes["outcomes-worker"].pid)
            started = time.perf_counter()
            r = await client.post(f"/v1/partners/{PARTNERS[0]}/statements/{PERIOD}/finalize")
            r.raise_for_status()
            finalize = time.perf_counter() - started
            invoice = r.json()
    finally:
        await stack.stop()
    base_rate, rate = EVENTS / baseline, EVENTS / pipeline
    return [
        f"events: {EVENTS:,} reached calls on {topic} (produced in {produced:.1f} s)",
        f"baseline raw consume + COPY: {baseline:.1f} s = {base_rate:,.0f} events/s",
        f"  {baseline_cpu}",
        f"outcomes worker to priced lines (+ outbox, published): {pipeline:.1f} s after ready ({ready:.1f} s to "
        f"start) = {rate:,.0f} events/s = {100 * rate / base_rate:.0f} % of baseline (goal >= 40 %)",
        f"  {pipeline_cpu}",
        f"billing lines: {lines:,}; worker peak RSS {rss:.0f} MiB",
        f"finalise {PARTNERS[0]} {PERIOD}: {invoice['number']} with {invoice['line_count']:,} lines, total "
        f"{invoice['total_cents']:,} cents TTC, in {finalize:.1f} s",
    ]
