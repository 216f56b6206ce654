"""Intake end to end: a generated 1,000,000-row French CSV (~2% bad rows, written to disk before the clock starts)
streamed to the upload endpoint of an isolated intake (API + worker), timed until every accepted case is on the
namespaced relais.cases.opened.v1; peak RSS of the intake processes; and, in the same run, the raw baseline:
aiokafka producing as many pre-serialised records of the same size.

`RELAIS_BENCH_INTAKE_ROWS` changes the number of rows (default 1,000,000).
"""

from __future__ import annotations

import asyncio
import os
import random
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from bench.stack import BOOTSTRAP, BenchStack, CpuMeter, children, peak_rss_mib
from relais_platform.contracts import Topics
from relais_platform.kafka import delete_namespace, ensure_topics, make_producer, namespaced
from relais_platform.testing import auth_header

ROWS = int(os.environ.get("RELAIS_BENCH_INTAKE_ROWS", "1000000"))
BAD_SHARE = 0.02
HEADER = "Référence client;Nom;Prénom;Téléphone;Adresse;Code postal;Ville;Montant dû;Date impayé;Agence\r\n"
FIRST = ("Léa", "Amadou", "Chloé", "Noé", "Zoë", "Jean-Pierre", "Anaïs", "Thị", "Mehdi", "Hélène", "Loïc", "Maëlle")
LAST = ("Dupont-Moreau", "N'Diaye", "Le Goff", "de La Fontaine", "Martin", "Nguyễn", "Bernard", "Lefèvre",
        "Da Silva", "Müller", "O'Connor", "Benali")
PLACES = (("69003", "Lyon"), ("75011", "Paris"), ("13001", "Marseille"), ("20000", "Ajaccio"), ("20200", "Bastia"),
          ("97400", "Saint-Denis"), ("97200", "Fort-de-France"), ("59000", "Lille"), ("33000", "Bordeaux"),
          ("01000", "Bourg-en-Bresse"))
STREETS = ("rue des Lilas", "avenue Jean Jaurès", "place de l'Église", "chemin du Moulin", "boulevard Victor Hugo")


def _row(i: int, rng: random.Random) -> str:
    postcode, city = rng.choice(PLACES)
    phone = f"06 {rng.randrange(10, 99)} {rng.randrange(10, 99)} {rng.randrange(10, 99)} {rng.randrange(10, 99)}"
    euros = rng.randrange(1, 5000)
    amount = f"{euros // 1000} {euros % 1000:03d},{rng.randrange(100):02d} €" if euros >= 1000 else f"{euros},50"
    since = (date(2024, 1, 1) + timedelta(days=rng.randrange(500))).strftime("%d/%m/%Y")
    first, last = rng.choice(FIRST), rng.choice(LAST)
    if rng.random() < BAD_SHARE:  # the usual faults: a negative amount, no name, an impossible phone + no address
        fault = rng.randrange(3)
        amount = "-12,50" if fault == 0 else amount
        last = "" if fault == 1 else last
        phone, postcode, city = ("06 12", "", "") if fault == 2 else (phone, postcode, city)
    street = f"{rng.randrange(1, 200)} {rng.choice(STREETS)}" if city else ""
    return f"P{i:08d};{last};{first};{phone};{street};{postcode};{city};{amount};{since};Agence {i % 37}\r\n"


def _write_csv(path: Path, rows: int) -> None:
    """The partner's file, written before the clock starts (a partner uploads a file it has): ~1 MiB pieces."""
    rng = random.Random(42)
    with path.open("wb") as out:
        out.write("\ufeff".encode() + HEADER.encode())  # UTF-8 with a BOM, as Excel saves it
        for start in range(0, rows, 8000):
            out.write("".join(_row(i, rng) for i in range(start, min(rows, start + 8000))).encode())


async def _streamed(path: Path) -> AsyncIterator[bytes]:
    """The file read as it is uploaded (never held whole)."""
    with path.open("rb") as source:
        while piece := source.read(1 << 20):
            yield piece
            await asyncio.sleep(0)


async def _count_opened(consumer: AIOKafkaConsumer, target: asyncio.Future[int], counted: list[int]) -> None:
    """Poll the end offsets of the bench's own opened topic until they hold every accepted case (known once the
    file is done): nothing is consumed while the pipeline runs, as nothing is while the baseline produces."""
    partitions = sorted(consumer.assignment())
    while True:
        counted[0] = sum((await consumer.end_offsets(partitions)).values())
        if target.done() and counted[0] >= target.result():
            return
        await asyncio.sleep(0.2)


async def _consumer(bootstrap: str, topic: str) -> AIOKafkaConsumer:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_bytes=64 << 20)
    await consumer.start()
    probe = make_producer(bootstrap)
    await probe.start()
    partitions = [TopicPartition(topic, p) for p in sorted(await probe.partitions_for(topic))]
    await probe.stop()
    consumer.assign(partitions)
    await consumer.seek_to_beginning(*partitions)
    return consumer


async def _intake_run(stack: BenchStack, bootstrap: str, path: Path) -> tuple[list[str], int, float]:
    """Upload the file at `path`, wait for the last opened case on Kafka; returns (lines, accepted, event size)."""
    admin = auth_header("admin", sub="bench")
    today = date.today()
    async with httpx.AsyncClient(base_url=stack.url("intake"), timeout=600, headers=admin) as client:
        campaign = (await client.post("/v1/campaigns", json={
            "partner_id": "bench-energie", "name": "Bench", "legal_basis": "Art. 6(1)(f) RGPD",
            "starts_on": today.isoformat(), "ends_on": (today + timedelta(days=90)).isoformat()})).json()
        consumer = await _consumer(bootstrap, namespaced(Topics.CASES_OPENED, stack.namespace))
        target: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        counted = [0]
        counter = asyncio.create_task(_count_opened(consumer, target, counted))
        pids = {n: p.pid for n, p in stack.processes.items()}
        samples: list[tuple[float, float]] = []
        await stack.checkpoint()
        meter = CpuMeter.start(stack)  # the bench client reads the file as it uploads it
        started = time.perf_counter()
        response = await client.post(f"/v1/campaigns/{campaign['campaign_id']}/cases/upload",
                                     content=_streamed(path), headers={"Content-Type": "text/csv"})
        uploaded = time.perf_counter() - started
        submission_url = response.headers["Location"]
        while (sub := (await client.get(submission_url)).json())["status"] not in ("done", "failed"):
            samples.append((sub["progress"], _worker_rss(pids["intake-worker"])))  # the peak so far
            await asyncio.sleep(1)
        validated = time.perf_counter() - started
        target.set_result(sub["accepted"])
        await counter
        elapsed = time.perf_counter() - started
        cpu = meter.per_item(ROWS)
        event_size = await _mean_event_size(consumer)
        await consumer.stop()
    rss = {name: peak_rss_mib(pid) for name, pid in pids.items()}
    lanes = [peak_rss_mib(child) for child in children(pids["intake-worker"])]
    early = [r for p, r in samples if p < 0.25]
    late = [r for p, r in samples if p > 0.75]
    lines = [
        f"rows: {ROWS:,} ({sub['accepted']:,} accepted, {sub['rejected']:,} rejected, {sub['duplicates']:,} duplicates,"
        f" status {sub['status']})",
        f"upload streamed in {uploaded:.1f} s; validated and stored at {validated:.1f} s; "
        f"last CaseOpened on Kafka at {elapsed:.1f} s",
        f"intake end to end: {ROWS / elapsed:,.0f} rows/s",
        f"  {cpu}",
        f"peak RSS: api {rss['intake-api']:.0f} MiB, worker {rss['intake-worker']:.0f} MiB, its child processes "
        f"(file lanes) {' + '.join(f'{r:.0f}' for r in lanes) or 'none'} MiB",
        f"worker and lanes, summed peak RSS by the first quarter of the file: {max(early, default=float('nan')):.0f} "
        f"MiB, "
        f"by its last quarter: {max(late, default=float('nan')):.0f} MiB (flat = memory does not grow with the file)",
    ]
    return lines, ROWS / elapsed, event_size


def _worker_rss(pid: int) -> float:
    """The worker's peak resident memory with its child processes' (file lanes), in MiB."""
    return peak_rss_mib(pid) + sum(peak_rss_mib(child) for child in children(pid))


async def _mean_event_size(consumer: AIOKafkaConsumer) -> float:
    for tp in consumer.assignment():
        consumer.seek(tp, 0)
    batches = await consumer.getmany(timeout_ms=2000, max_records=1000)
    sizes = [len(r.value) for records in batches.values() for r in records]
    return sum(sizes) / len(sizes)


async def _raw_baseline(bootstrap: str, namespace: str, count: int, size: int) -> float:
    """aiokafka alone: `count` pre-serialised records of `size` bytes, same producer settings; records/s."""
    topic = namespaced("relais.bench.raw-baseline.v1", namespace)
    await ensure_topics(bootstrap, [topic])
    producer = make_producer(bootstrap)
    await producer.start()
    payloads = [os.urandom(size // 2).hex().encode()[:size] for _ in range(64)]
    keys = [str(i).encode() for i in range(64)]
    try:
        for partition in await producer.partitions_for(topic):  # leaders elected before the clock starts
            await producer.send_and_wait(topic, b"warm-up", partition=partition)
        started = time.perf_counter()
        pending = []
        for i in range(count):
            pending.append(await producer.send(topic, payloads[i % 64], key=keys[i % 64]))
            if len(pending) >= 20000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
        return count / (time.perf_counter() - started)
    finally:
        await producer.stop()
        await delete_namespace(bootstrap, namespace)  # the stack already stopped and deleted the rest


async def run() -> list[str]:
    """The intake benchmark and its raw baseline, with the ratio."""
    stack = BenchStack(services=("intake",), database="relais_bench_intake")
    with tempfile.TemporaryDirectory(prefix="relais-bench-") as scratch:
        path = Path(scratch) / "impayes.csv"
        await asyncio.to_thread(_write_csv, path, ROWS)
        await stack.start()
        try:
            lines, rate, event_size = await _intake_run(stack, BOOTSTRAP, path)
        finally:
            await stack.stop()
    baseline = await _raw_baseline(BOOTSTRAP, stack.namespace, ROWS, int(event_size))
    lines.append(f"raw baseline: aiokafka producing {ROWS:,} pre-serialised records of {event_size:.0f} B: "
                 f"{baseline:,.0f} records/s")
    lines.append(f"intake / raw produce: {rate / baseline:.0%} (goal >= 35%)")
    return lines
