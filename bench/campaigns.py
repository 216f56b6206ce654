"""Campaigns: 200,000 opened cases produced to Kafka, then an isolated campaigns worker started and timed (from
ready) until every one is assigned (and so visible in a worklist), next to a raw baseline measured in the same
run on the same records: aiokafka consuming them plus `copy_records_to_table` of the same rows. Then worklist
GET latency (p50/p99) with 100 concurrent agents of a site holding 10,000 open cases, next to /healthz on the
same server in the same run.

`RELAIS_BENCH_CAMPAIGNS_CASES` changes the number of cases (default 200,000).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from bench.stack import BOOTSTRAP, BenchStack, CpuMeter, wait_committed
from relais_campaigns.domain.calendar import is_public_holiday
from relais_platform.contracts import Address, CaseOpened, Customer, Topics
from relais_platform.events import encode, envelope
from relais_platform.ids import case_id_for
from relais_platform.kafka import make_producer, namespaced
from relais_platform.testing import auth_header

CASES = int(os.environ.get("RELAIS_BENCH_CAMPAIGNS_CASES", "200000"))
SITES, AGENTS_PER_SITE, CAPACITY = 50, 10, 500  # 250,000 slots
WORKLIST_AGENTS, WORKLIST_CAPACITY, REQUESTS_PER_AGENT = 100, 100, 20  # a site of 10,000 open cases
PARIS = ZoneInfo("Europe/Paris")


def _events(count: int, *, prefix_of: Callable[[int], str], campaign_id: uuid.UUID) -> list[tuple[bytes, bytes]]:
    """Encoded CaseOpened records (key, value), each case in the site of `prefix_of(i)`."""
    records, opened = [], datetime.now(UTC) - timedelta(days=1)
    for i in range(count):
        ref = f"B{i:08d}"
        postcode = f"{prefix_of(i)}{i % 1000:03d}"
        customer = Customer(first_name="Léa", last_name="Martin", phone_e164=f"+336{i:08d}", phone_kind="mobile",
                            address=Address(line1=f"{i % 200} rue des Lilas", postcode=postcode, city="Ville"),
                            time_zone="Europe/Paris", department=postcode[:2])
        data = CaseOpened(case_id=case_id_for(partner_id="bench-energie", campaign_id=campaign_id, external_ref=ref),
                          partner_id="bench-energie", campaign_id=campaign_id, external_ref=ref, customer=customer,
                          amount_due_cents=1000 + i % 50000, campaign_priority=i % 10, opened_at=opened)
        records.append((data.case_id.bytes, encode(envelope(data, source="/relais/intake"))))
    return records


async def _produce(topic: str, records: Sequence[tuple[bytes, bytes]]) -> None:
    producer = make_producer(BOOTSTRAP)
    await producer.start()
    try:
        for start in range(0, len(records), 20000):
            await asyncio.gather(*[await producer.send(topic, v, key=k) for k, v in records[start:start + 20000]])
    finally:
        await producer.stop()


async def _staff(client: httpx.AsyncClient, *, sites: Sequence[tuple[str, str]], agents: int, capacity: int) -> None:
    for site_id, prefix in sites:
        r = await client.put(f"/v1/sites/{site_id}", json={"name": site_id, "postcode_prefixes": [prefix],
                                                           "time_zone": "Europe/Paris"})
        r.raise_for_status()
        for a in range(agents):
            r = await client.put(f"/v1/agents/{site_id}-a{a}", json={
                "site_id": site_id, "display_name": f"Agent {a}", "channels": ["phone", "door_to_door"],
                "daily_capacity": capacity})
            r.raise_for_status()


async def _wait_assigned(pool: asyncpg.Pool, target: int, *, limit_s: float = 1800) -> None:
    deadline = time.monotonic() + limit_s
    while await pool.fetchval("SELECT count(*) FROM campaigns.cases WHERE status = 'assigned'") < target:
        if time.monotonic() > deadline:
            raise RuntimeError("cases not all assigned in time")
        await asyncio.sleep(0.25)


async def _raw_baseline(topic: str, count: int, database_url: str) -> float:
    """aiokafka reading the same records + COPY of the same rows into a scratch table; records/s."""
    consumer = AIOKafkaConsumer(bootstrap_servers=BOOTSTRAP, enable_auto_commit=False, fetch_max_bytes=64 << 20)
    await consumer.start()
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("DROP TABLE IF EXISTS bench_raw_cases; CREATE UNLOGGED TABLE bench_raw_cases "
                           "(LIKE campaigns.cases INCLUDING DEFAULTS)")
        columns = ["case_id", "partner_id", "campaign_id", "external_ref", "first_name", "last_name", "department",
                   "time_zone", "amount_due_cents", "channel", "status", "opened_at", "person_key"]
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or
                                                              await _partitions(topic))]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        started, seen, now = time.perf_counter(), 0, datetime.now(UTC)
        while seen < count:
            batches = await consumer.getmany(timeout_ms=500, max_records=10000)
            rows = [(uuid.UUID(bytes=r.key), "bench", uuid.UUID(int=0), str(seen + i), "x", "y", "75",
                     "Europe/Paris", 1, "phone", "waiting", now, f"p{seen + i}")
                    for i, r in enumerate(r for records in batches.values() for r in records)]
            if rows:
                await conn.copy_records_to_table("bench_raw_cases", records=rows, columns=columns)
            seen += len(rows)
        return count / (time.perf_counter() - started)
    finally:
        await conn.execute("DROP TABLE IF EXISTS bench_raw_cases")
        await conn.close()
        await consumer.stop()


async def _partitions(topic: str) -> set[int]:
    producer = make_producer(BOOTSTRAP)
    await producer.start()
    try:
        return await producer.partitions_for(topic)
    finally:
        await producer.stop()


def _lawful_moment() -> datetime:
    """11:00 Paris on the next weekday that is no public holiday (so every worklist has its calls)."""
    day = date.today() + timedelta(days=1)
    while day.weekday() >= 5 or is_public_holiday(day, "75"):
        day += timedelta(days=1)
    return datetime.combine(day, dtime(11), tzinfo=PARIS)


async def _latencies(base_url: str, paths_and_headers: Sequence[tuple[str, dict[str, str]]],
                     errors: list[str]) -> list[float]:
    """Each (path, headers) client issues REQUESTS_PER_AGENT GETs in a row, all clients at once; seconds
    of the successful ones (failures are counted in `errors`, never hidden)."""
    timings: list[float] = []
    limits = httpx.Limits(max_connections=len(paths_and_headers))
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:
        async def one(path: str, headers: dict[str, str]) -> None:
            for _ in range(REQUESTS_PER_AGENT):
                started = time.perf_counter()
                try:
                    (await client.get(path, headers=headers)).raise_for_status()
                except httpx.HTTPError as exc:
                    errors.append(type(exc).__name__)
                    continue
                timings.append(time.perf_counter() - started)

        await asyncio.gather(*[one(p, h) for p, h in paths_and_headers])
    return timings


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1000


async def _worklist_bench(stack: BenchStack, topic: str, pool: asyncpg.Pool) -> list[str]:
    admin = auth_header("admin")
    async with httpx.AsyncClient(base_url=stack.url("campaigns"), headers=admin, timeout=60) as client:
        await _staff(client, sites=[("bench-w", "60")], agents=WORKLIST_AGENTS, capacity=WORKLIST_CAPACITY)
        (await client.put("/v1/admin/clock", json={"now": _lawful_moment().isoformat()})).raise_for_status()
    held = WORKLIST_AGENTS * WORKLIST_CAPACITY
    before = await pool.fetchval("SELECT count(*) FROM campaigns.cases WHERE status = 'assigned'")
    await _produce(topic, _events(held, prefix_of=lambda _i: "60", campaign_id=uuid.uuid4()))
    await _wait_assigned(pool, before + held)
    agents = [(f"/v1/agents/bench-w-a{a}/worklist", auth_header("agent", agent_id=f"bench-w-a{a}"))
              for a in range(WORKLIST_AGENTS)]
    errors: list[str] = []
    await _latencies(stack.url("campaigns"), agents[:10], [])  # warm-up
    worklist = await _latencies(stack.url("campaigns"), agents, errors)
    trivial = await _latencies(stack.url("campaigns"), [("/healthz", {})] * WORKLIST_AGENTS, errors)
    ratio = _p(worklist, 99) / _p(trivial, 99)
    failed = f"; {len(errors)} failed requests ({', '.join(sorted(set(errors)))})" if errors else ""
    return [f"worklist GET, {WORKLIST_AGENTS} agents at once, site of {held:,} open cases "
            f"({WORKLIST_CAPACITY} each): p50 {_p(worklist, 50):.0f} ms, p99 {_p(worklist, 99):.0f} ms",
            f"/healthz on the same server, same concurrency: p50 {_p(trivial, 50):.0f} ms, "
            f"p99 {_p(trivial, 99):.0f} ms",
            f"worklist p99 / trivial p99: {ratio:.1f}x (goal <= 3x){failed}"]


async def run() -> list[str]:
    """Assignment throughput against its raw baseline, then worklist latency against /healthz."""
    stack = BenchStack(services=("campaigns",), database="relais_bench_campaigns")
    os.environ["RELAIS_CONSUMER_GROUP"] = f"relais-campaigns-{stack.namespace}"  # never the demo's group
    topic = namespaced(Topics.CASES_OPENED, stack.namespace)
    await stack.start(workers=[])  # the worker starts once the records are on Kafka, as the baseline reads them
    pool = await asyncpg.create_pool(stack.database_url, min_size=1, max_size=2)
    try:
        admin = auth_header("admin")
        async with httpx.AsyncClient(base_url=stack.url("campaigns"), headers=admin, timeout=60) as client:
            await _staff(client, sites=[(f"bench-{s}", f"{10 + s}") for s in range(SITES)],
                         agents=AGENTS_PER_SITE, capacity=CAPACITY)
        records = _events(CASES, prefix_of=lambda i: f"{10 + i % SITES}", campaign_id=uuid.uuid4())
        started = time.perf_counter()
        await _produce(topic, records)
        produced = time.perf_counter() - started
        await stack.checkpoint()
        await stack.start_worker("campaigns")
        meter = CpuMeter.start(stack)
        started = time.perf_counter()
        await wait_committed(stack.namespace, topic, CASES)
        await _wait_assigned(pool, CASES)
        elapsed = time.perf_counter() - started
        cpu = meter.per_item(CASES)
        rate = CASES / elapsed
        await stack.checkpoint()
        baseline = await _raw_baseline(topic, CASES, stack.database_url)
        lines = [f"{CASES:,} CaseOpened produced in {produced:.1f} s; the worker, started then, assigned them all "
                 f"in {elapsed:.1f} s after it was ready: {rate:,.0f} cases/s",
                 f"  {cpu}",
                 f"raw baseline: aiokafka consuming the same {CASES:,} records + copy_records_to_table of "
                 f"the same rows: {baseline:,.0f} records/s",
                 f"campaigns / raw: {rate / baseline:.0%} (goal >= 40%)"]
        for line in lines:  # shown at once: the latency part below takes a while
            print(f"  {line}", flush=True)
        return await _worklist_bench(stack, topic, pool)
    finally:
        await pool.close()
        await stack.stop()
        os.environ.pop("RELAIS_CONSUMER_GROUP", None)
