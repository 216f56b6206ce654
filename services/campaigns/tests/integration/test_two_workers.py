"""Two real campaign worker processes (one consumer group, a private topic namespace) assign 20,000
opened cases: every case is assigned at most once, exactly once when an agent had room, and no agent
ever holds more than their capacity. `RELAIS_CAMPAIGNS_TWO_WORKERS_CASES` changes the number of cases."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from relais_platform.contracts import AssignmentChanged, AssignmentStatus, Topics
from relais_platform.events import decode, encode
from relais_platform.kafka import delete_namespace, ensure_topics, make_producer, namespaced

pytestmark = pytest.mark.integration
CASES = int(os.environ.get("RELAIS_CAMPAIGNS_TWO_WORKERS_CASES", "20000"))
SITES = 10
AGENTS_PER_SITE = 5
WORKER = Path(sys.executable).parent / "relais-campaigns"
BOOTSTRAP = os.environ.get("RELAIS_KAFKA_BOOTSTRAP", "127.0.0.1:9092")


def spawn_worker(name: str, *, namespace: str, database_url: str, tmp: Path) -> subprocess.Popen[bytes]:
    """One `relais-campaigns worker` in the namespace, with its own consumer group (never the demo's)."""
    env = {**os.environ, "RELAIS_ENV": "test", "RELAIS_DATABASE_URL": database_url,
           "RELAIS_TOPIC_NAMESPACE": namespace, "RELAIS_CONSUMER_GROUP": f"relais-campaigns-{namespace}",
           "RELAIS_FAUST_DATADIR": str(tmp / name), "RELAIS_WORKER_READY_FILE": str(tmp / f"{name}.ready"),
           "RELAIS_OUTBOX_RELAY_IN_WORKER": "false",  # the assertions read the AssignmentChanged rows in the outbox
           "RELAIS_LOG_LEVEL": "WARNING", "RELAIS_KAFKA_BOOTSTRAP": BOOTSTRAP}
    log = (tmp / f"{name}.log").open("ab")
    return subprocess.Popen([str(WORKER), "worker"], env=env, stdout=log, stderr=log, start_new_session=True)


async def wait_for(predicate, *, timeout: float, what: str, workers) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        assert all(w.poll() is None for w in workers), f"a worker exited while waiting for {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.5)


async def test_two_worker_processes_assign_every_case_once_and_never_overfill(campaigns_kit, campaigns_settings,
                                                                               tmp_path) -> None:
    kit = campaigns_kit
    capacity = {}
    for s in range(SITES):
        await kit.put_site(f"site-{s}", [f"{10 + s}"])
        for a in range(AGENTS_PER_SITE):
            capacity[f"agent-{s}-{a}"] = max(1, CASES * (5 + 2 * a) // 1000)  # 9,000 slots for 20,000 cases, unevenly
            await kit.put_agent(f"agent-{s}-{a}", f"site-{s}", capacity=capacity[f"agent-{s}-{a}"])
    namespace = f"t-{uuid.uuid4().hex[:10]}"
    await ensure_topics(BOOTSTRAP, [namespaced(t, namespace) for t in Topics.ALL])
    workers = [spawn_worker(f"w{i}", namespace=namespace, database_url=campaigns_settings.database_url, tmp=tmp_path)
               for i in range(2)]
    try:
        await wait_for(lambda: _ready(tmp_path), timeout=90, what="both workers ready", workers=workers)
        # the bulk consumer of a topic has its own group: <worker app id>.<contract topic>
        group = f"relais-campaigns-{namespace}.{Topics.CASES_OPENED}"
        topic = namespaced(Topics.CASES_OPENED, namespace)
        await wait_for(lambda: _both_consume(group, topic), timeout=60, what="both workers in the group",
                       workers=workers)
        events = [kit.opened(postcode=f"{10 + i % SITES}{i % 1000:03d}", priority=i % 10, amount=1000 + i)
                  for i in range(CASES)]
        started = time.monotonic()
        producer = make_producer(BOOTSTRAP)
        await producer.start()
        try:
            for chunk in range(0, CASES, 2000):
                await asyncio.gather(*[producer.send(topic, encode(e), key=e.data.case_id.bytes)
                                       for e in events[chunk:chunk + 2000]])
            await producer.flush()
        finally:
            await producer.stop()

        async def all_projected() -> bool:
            return await kit.pool.fetchval("SELECT count(*) FROM cases") == CASES

        await wait_for(all_projected, timeout=600, what=f"{CASES} cases projected", workers=workers)
        print(f"\n{CASES} cases through two workers in {time.monotonic() - started:.1f} s")
    finally:
        for w in workers:
            os.killpg(w.pid, signal.SIGTERM)
        for w in workers:
            w.wait(timeout=30)
        await delete_namespace(BOOTSTRAP, namespace)
    await _assert_each_case_once_and_no_agent_over_capacity(kit, capacity)


async def _both_consume(group: str, topic: str) -> bool:
    """True when the consumer group has two members, each assigned partitions of `topic`."""
    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    await admin.start()
    try:
        [described] = await admin.describe_consumer_groups([group])
        [(_err, _group, state, _ptype, _proto, members)] = described.groups
    finally:
        await admin.close()
    return state == "Stable" and len(members) == 2 and all(topic.encode() in m[4] for m in members)


async def _ready(tmp: Path) -> bool:
    return all((tmp / f"w{i}.ready").exists() for i in range(2))


async def _assert_each_case_once_and_no_agent_over_capacity(kit, capacity: dict[str, int]) -> None:
    rows = await kit.pool.fetch("SELECT value FROM outbox_events WHERE topic = $1", Topics.ASSIGNMENTS)
    changes = [decode(r["value"], AssignmentChanged).data for r in rows]
    assigned = Counter(c.case_id for c in changes if c.status is AssignmentStatus.ASSIGNED)
    assert max(assigned.values()) == 1  # never assigned twice
    held = await kit.loads()
    assert all(held[a] <= capacity[a] for a in held), "an agent is over capacity"
    statuses = dict(await kit.pool.fetch("SELECT status, count(*) FROM cases GROUP BY status"))
    assert statuses.get("assigned", 0) == len(assigned) == sum(held.values())
    waiting_sites = {r["site_id"] for r in await kit.pool.fetch("SELECT DISTINCT site_id FROM cases "
                                                                "WHERE status = 'waiting'")}
    for site in waiting_sites:  # a case waits only when every agent of its site is full
        site_agents = [a for a in capacity if a.startswith(site.replace("site", "agent") + "-")]
        assert all(held.get(a, 0) == capacity[a] for a in site_agents), site
    assert statuses.get("assigned", 0) + statuses.get("waiting", 0) == await kit.pool.fetchval(
        "SELECT count(*) FROM cases")
