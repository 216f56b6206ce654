"""The Kafka-native channel: raw partner records validated like uploaded rows, dead letters for the rest, a
redelivered batch changes nothing, and records produced by kcat (not our client) reach the real worker."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from relais_intake.service_layer.partner_records import RawRecord, take_records
from relais_platform.contracts import CaseRejected, Topics
from relais_platform.events import decode
from relais_platform.kafka import delete_namespace, ensure_topics, namespaced

pytestmark = pytest.mark.integration

VENV_BIN = Path(sys.executable).parent


def _record(offset: int, value: Any, *, key: str | None = None, partner: str | None = None,
            campaign: str | None = None, partition: int = 0) -> RawRecord:
    headers = [(n, v.encode()) for n, v in (("relais-partner-id", partner), ("relais-campaign-id", campaign)) if v]
    raw = value if isinstance(value, bytes) else orjson.dumps(value)
    return RawRecord(topic=Topics.INTAKE_SUBMISSIONS, partition=partition, offset=offset,
                     key=key.encode() if key else None, value=raw, headers=headers)


def _case(**overrides: Any) -> dict[str, Any]:
    return {"first_name": "Léa", "last_name": "Dupont", "phone": "06 12 34 56 78", "postcode": "69003",
            "amount_due": "12,50", **overrides}


async def _take(pool, records: list[RawRecord]) -> int:
    async with pool.acquire() as conn, conn.transaction():
        return await take_records(conn=conn, records=records, now=datetime.now(UTC))


async def test_records_are_validated_like_rows_and_bad_ones_dead_lettered(intake_client, intake_campaign,
                                                                          intake_pool) -> None:
    campaign = await intake_campaign(partner_id="acme")
    cid = campaign["campaign_id"]
    closed = await intake_campaign(partner_id="acme")
    await intake_pool.execute("UPDATE campaigns SET status = 'closed' WHERE campaign_id = $1",
                              uuid.UUID(closed["campaign_id"]))
    records = [
        _record(1, _case(), key="K1", partner="acme", campaign=cid),                      # routed by headers
        _record(2, _case(external_ref="K2", partner_id="acme", campaign_id=cid)),         # routed by body
        _record(3, _case(amount_due="-3"), key="K3", partner="acme", campaign=cid),       # invalid row
        _record(4, _case(), key="K1", partner="acme", campaign=cid),                      # duplicate
        _record(5, b"not json", key="K5", partner="acme", campaign=cid),                  # not JSON
        _record(6, _case(), key="K6", partner="acme", campaign=str(uuid.uuid4())),        # unknown campaign
        _record(7, _case(), key="K7", partner="beta", campaign=cid),                      # someone else's campaign
        _record(8, _case(), key="K8", partner="acme", campaign=closed["campaign_id"]),     # closed campaign
        _record(9, _case(), key="K9"),                                                    # no partner at all
    ]
    assert await _take(intake_pool, records) == 9
    assert {r["external_ref"] for r in await intake_pool.fetch("SELECT external_ref FROM cases")} == {"K1", "K2"}
    submission = await intake_pool.fetchrow("SELECT * FROM submissions WHERE channel = 'kafka'")
    assert (submission["rows_read"], submission["accepted"], submission["rejected"], submission["duplicates"]) == (
        4, 2, 1, 1)
    dead = [decode(r["value"], CaseRejected).data for r in
            await intake_pool.fetch("SELECT value FROM outbox_events WHERE topic = $1", Topics.INTAKE_REJECTIONS)]
    codes = {d.external_ref: d.reasons[0].code for d in dead}
    assert codes == {"K3": "negative", "K5": "invalid_json", "K6": "campaign_unknown", "K7": "campaign_unknown",
                     "K8": "campaign_not_taking_cases"}
    assert all(d.channel == "kafka" for d in dead)
    assert next(d for d in dead if d.external_ref == "K7").partner_id == "beta"  # told to its producer, not acme


async def test_a_malformed_partner_id_neither_crashes_the_batch_nor_reaches_a_dead_letter(
        intake_client, intake_campaign, intake_pool) -> None:
    campaign = await intake_campaign()
    records = [
        _record(1, b"not json", key="P1", partner="Not A Slug"),                           # bad header, no JSON
        _record(2, _case(partner_id="acme\n", campaign_id="42"), key="P2"),               # trailing newline
        _record(3, _case(), key="P3", partner="acme", campaign=campaign["campaign_id"]),  # still taken
    ]
    assert await _take(intake_pool, records) == 3
    assert [r["external_ref"] for r in await intake_pool.fetch("SELECT external_ref FROM cases")] == ["P3"]
    assert await intake_pool.fetchval("SELECT count(*) FROM outbox_events "
                                      "WHERE topic = $1", Topics.INTAKE_REJECTIONS) == 0


async def test_a_redelivered_batch_changes_nothing(intake_client, intake_campaign, intake_pool) -> None:
    campaign = await intake_campaign()
    batch = [_record(i, _case(), key=f"R{i}", partner="acme", campaign=campaign["campaign_id"]) for i in range(5)]
    batch.append(_record(5, _case(amount_due="0"), key="BAD", partner="acme", campaign=campaign["campaign_id"]))
    assert await _take(intake_pool, batch) == 6
    before = [await intake_pool.fetchval(f"SELECT count(*) FROM {t}") for t in ("cases", "outbox_events", "rejections")]
    counts = await intake_pool.fetchrow("SELECT rows_read, accepted, rejected, duplicates FROM submissions")
    assert await _take(intake_pool, batch) == 0
    tables = ("cases", "outbox_events", "rejections")
    assert [await intake_pool.fetchval(f"SELECT count(*) FROM {t}") for t in tables] == before
    assert await intake_pool.fetchrow("SELECT rows_read, accepted, rejected, duplicates FROM submissions") == counts
    assert tuple(counts) == (6, 5, 1, 0)


def _kcat() -> str | None:
    found = shutil.which("kcat") or shutil.which("kafkacat")
    if found is None and os.geteuid() == 0:
        subprocess.run([str(Path(__file__).parents[4] / "deploy" / "local" / "tools.sh"), "install"], check=False)
        found = shutil.which("kcat")
    return found


async def test_records_produced_with_kcat_reach_the_worker(intake_client, intake_campaign, intake_pool,
                                                           test_database_url: str, kafka_bootstrap: str,
                                                           tmp_path: Path) -> None:
    kcat = _kcat()
    if kcat is None:
        pytest.skip("kcat is not installed and cannot be (not root): run deploy/local/tools.sh install as root")
    campaign = await intake_campaign(partner_id="acme")
    namespace = f"test-{uuid.uuid4().hex[:8]}"  # a private copy of the topics: the running stack never sees it
    await ensure_topics(kafka_bootstrap, [namespaced(t, namespace) for t in Topics.ALL])
    env = {**os.environ, "RELAIS_ENV": "test", "RELAIS_DATABASE_URL": test_database_url,
           "RELAIS_TOPIC_NAMESPACE": namespace, "RELAIS_CONSUMER_GROUP": f"relais-intake-{namespace}",
           "RELAIS_KAFKA_BOOTSTRAP": kafka_bootstrap, "RELAIS_FAUST_DATADIR": str(tmp_path),
           "RELAIS_LOG_LEVEL": "WARNING"}
    worker = subprocess.Popen([VENV_BIN / "relais-intake", "worker"], env=env, stdout=subprocess.DEVNULL,
                              stderr=(tmp_path / "worker.log").open("wb"), start_new_session=True)
    try:
        lines = [f"KC{i}\t{orjson.dumps(_case(phone=f'06 12 34 56 {i:02d}')).decode()}" for i in range(3)]
        lines.append("KC-BAD\t" + orjson.dumps(_case(amount_due="beaucoup")).decode())
        produce = subprocess.run(
            [kcat, "-b", kafka_bootstrap, "-P", "-t", namespaced(Topics.INTAKE_SUBMISSIONS, namespace), "-K", "\t",
             "-H", "relais-partner-id=acme", "-H", f"relais-campaign-id={campaign['campaign_id']}"],
            input="\n".join(lines).encode(), capture_output=True, timeout=30, check=False)
        assert produce.returncode == 0, produce.stderr.decode()
        async with asyncio.timeout(60):
            while await intake_pool.fetchval("SELECT coalesce(sum(rows_read), 0) FROM submissions "
                                             "WHERE channel = 'kafka'") < 4:
                assert worker.poll() is None, (tmp_path / "worker.log").read_text()
                await asyncio.sleep(0.3)
    finally:
        os.killpg(worker.pid, 15)
        worker.wait(timeout=30)
        await delete_namespace(kafka_bootstrap, namespace)
    assert {r["external_ref"] for r in await intake_pool.fetch("SELECT external_ref FROM cases")} == {
        "KC0", "KC1", "KC2"}
    reasons = await intake_pool.fetchval("SELECT reasons FROM rejections WHERE external_ref = 'KC-BAD'")
    assert reasons[0]["code"] == "invalid_amount"
