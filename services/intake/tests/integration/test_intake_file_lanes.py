"""A big file taken by two lanes (the worker and a child process, each taking every other chunk) on the real
PostgreSQL: the same result as one lane, line for line (chunks commit in the file's order), and a lane that fails
stops the other, the file resuming after the last committed chunk without duplicates."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import uuid
from collections.abc import AsyncIterator
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import orjson
import pytest

from relais_intake.bootstrap import SCHEMA
from relais_intake.service_layer import file_processing
from relais_intake.service_layer.file_lanes import FileLanes
from relais_intake.service_layer.file_processing import process_next_file

pytestmark = pytest.mark.integration

CHUNK = 5  # rows a chunk: the 49 rows below make ten chunks, five a lane


@pytest.fixture(scope="session")
async def intake_lanes(test_database_url: str, intake_schema: str) -> AsyncIterator[FileLanes]:
    lanes = FileLanes(dsn=test_database_url, schema=intake_schema, count=2, min_bytes=0, log_json=False)
    await lanes.start()
    yield lanes
    lanes.close()


def _file() -> bytes:
    """49 rows: a refused amount every 7th, a quoted address with a separator and a newline every 5th, and C8
    given again by row 31 (line 38: another chunk, the other lane) with another first name: the first one wins."""
    lines = ["ref;nom;prenom;telephone;adresse;code postal;ville;montant"]
    for i in range(1, 50):
        ref, first = ("C8", "Second") if i == 31 else (f"C{i}", "Léa")
        address = f'"{i} rue des Lilas; bât. B\r\nappt {i}"' if i % 5 == 0 else f"{i} rue des Lilas"
        amount = "-1" if i % 7 == 0 else "12,50"
        lines.append(f"{ref};Nom{i};{first};06 12 34 {i // 100 % 100:02d} {i % 100:02d};{address};75011;Paris;{amount}")
    return "\r\n".join(lines).encode()


async def _upload(client, intake_as, campaign: dict[str, Any]) -> str:
    response = await client.post(f"/v1/campaigns/{campaign['campaign_id']}/cases/upload", content=_file(),
                                 headers={"Content-Type": "text/csv",
                                          **intake_as("partner", partner_id=campaign["partner_id"])})
    assert response.status_code == 202, response.text
    return response.json()["submission_id"]


async def _outcome(pool, submission_id: str) -> dict[str, Any]:
    """What a partner and the other services see of a processed file, campaign and ids aside."""
    sid = uuid.UUID(submission_id)
    counts = await pool.fetchrow("SELECT status, rows_read, accepted, rejected, duplicates FROM submissions "
                                 "WHERE submission_id = $1", sid)
    refused = await pool.fetch("SELECT line, external_ref, kind, reasons FROM rejections WHERE submission_id = $1 "
                               "ORDER BY line", sid)
    opened = await pool.fetch("SELECT external_ref, first_name, address FROM cases WHERE submission_id = $1 "
                              "ORDER BY external_ref", sid)
    events = await pool.fetch("SELECT value FROM outbox_events WHERE topic LIKE '%cases.opened%'")
    return {"counts": dict(counts), "refused": [dict(r) for r in refused], "opened": [dict(r) for r in opened],
            # queued before their chunk's turn: the cases of two lanes' chunks interleave in the outbox
            "published": sorted(orjson.loads(e["value"])["data"]["external_ref"] for e in events)}


async def test_two_lanes_take_a_file_exactly_as_one(intake_client, intake_as, intake_campaign, intake_pool,
                                                    intake_lanes, monkeypatch) -> None:
    monkeypatch.setattr(file_processing, "ROWS_PER_CHUNK", CHUNK)
    one = await _upload(intake_client, intake_as, await intake_campaign(partner_id="acme"))
    assert await process_next_file(pool=intake_pool, owner=uuid.uuid4()) is not None
    by_one = await _outcome(intake_pool, one)
    await intake_pool.execute("DELETE FROM outbox")
    two = await _upload(intake_client, intake_as, await intake_campaign(partner_id="globex"))
    assert await process_next_file(pool=intake_pool, owner=uuid.uuid4(), lanes=intake_lanes) is not None
    by_two = await _outcome(intake_pool, two)

    assert by_two == by_one
    assert by_one["counts"] == {"status": "done", "rows_read": 49, "accepted": 41, "rejected": 7, "duplicates": 1}
    assert [r["line"] for r in by_one["refused"] if r["kind"] == "duplicate"] == [38]  # lines: quoted ones hold two
    assert next(c for c in by_one["opened"] if c["external_ref"] == "C8")["first_name"] == "Léa"
    assert by_one["published"] == sorted(f"C{i}" for i in range(1, 50) if i % 7 and i != 31)


async def test_a_failing_lane_stops_the_other_and_the_file_resumes(intake_client, intake_as, intake_campaign,
                                                                   intake_pool, intake_lanes, monkeypatch) -> None:
    monkeypatch.setattr(file_processing, "ROWS_PER_CHUNK", CHUNK)
    submission = uuid.UUID(await _upload(intake_client, intake_as, await intake_campaign()))
    real_take = file_processing.take_prepared
    calls = {"n": 0}

    async def fail_in_turn_on_the_worker_lanes_third_chunk(**kwargs: Any) -> Any:  # chunk 4; the child's are real
        calls["n"] += 1
        if calls["n"] == 3:
            take_turn = kwargs["before_insert"]

            async def then_fail() -> None:  # once chunk 3 (the child's) is committed
                await take_turn()
                raise ConnectionResetError("worker lost its database mid-file")

            kwargs["before_insert"] = then_fail
        return await real_take(**kwargs)

    monkeypatch.setattr(file_processing, "take_prepared", fail_in_turn_on_the_worker_lanes_third_chunk)
    with pytest.raises(ConnectionResetError):
        await asyncio.wait_for(process_next_file(pool=intake_pool, owner=uuid.uuid4(), lanes=intake_lanes), 60)
    halfway = await intake_pool.fetchrow("SELECT status, rows_done, accepted FROM submissions "
                                         "WHERE submission_id = $1", submission)
    assert (halfway["status"], halfway["rows_done"]) == ("validating", 4 * CHUNK)  # chunks 0-3, in order
    assert await intake_pool.fetchval("SELECT count(*) FROM cases") == halfway["accepted"]
    assert await process_next_file(pool=intake_pool, owner=uuid.uuid4()) is None  # abandoned, its lease holds

    await intake_pool.execute("UPDATE submissions SET lease_until = now() - interval '1 second'")
    monkeypatch.setattr(file_processing, "take_prepared", real_take)
    assert await process_next_file(pool=intake_pool, owner=uuid.uuid4(), lanes=intake_lanes) == submission
    done = await intake_pool.fetchrow("SELECT status, rows_read, accepted, rejected, duplicates FROM submissions "
                                      "WHERE submission_id = $1", submission)
    assert dict(done) == {"status": "done", "rows_read": 49, "accepted": 41, "rejected": 7, "duplicates": 1}
    assert await intake_pool.fetchval("SELECT count(*) FROM cases") == 41
    assert await intake_pool.fetchval("SELECT count(*) FROM outbox_events") == 41 + 7  # once each, dead letters too


def test_only_a_big_file_takes_several_lanes() -> None:
    lanes = FileLanes(dsn="postgresql://unused", schema=SCHEMA, count=3, min_bytes=1 << 20)
    assert (lanes.lanes_for(1 << 20), lanes.lanes_for((1 << 20) - 1)) == (3, 1)


async def test_a_lane_process_killed_mid_file_loses_nothing(intake_client, intake_as, intake_campaign, intake_pool,
                                                            test_database_url, intake_schema, monkeypatch) -> None:
    monkeypatch.setattr(file_processing, "ROWS_PER_CHUNK", CHUNK)
    lines = ["ref;nom;prenom;telephone;code postal;montant"]
    lines += [f"K{i};Nom{i};Léa;06 12 {i // 10000 % 100:02d} {i // 100 % 100:02d} {i % 100:02d};75011;12,50"
              for i in range(1, 2001)]
    campaign = await intake_campaign()
    response = await intake_client.post(f"/v1/campaigns/{campaign['campaign_id']}/cases/upload",
                                        content="\n".join(lines).encode(),
                                        headers={"Content-Type": "text/csv", **intake_as("partner")})
    submission = uuid.UUID(response.json()["submission_id"])
    lanes = FileLanes(dsn=test_database_url, schema=intake_schema, count=2, min_bytes=0, log_json=False)
    others = {process.pid for process in multiprocessing.active_children()}
    await lanes.start()
    [child] = {process.pid for process in multiprocessing.active_children()} - others
    try:
        processing = asyncio.create_task(process_next_file(pool=intake_pool, owner=uuid.uuid4(), lanes=lanes))
        while await intake_pool.fetchval("SELECT rows_done FROM submissions WHERE submission_id = $1",
                                         submission) < 20 * CHUNK:
            await asyncio.sleep(0.01)
        os.kill(child, signal.SIGKILL)
        with pytest.raises(BrokenProcessPool):
            await asyncio.wait_for(processing, 60)
        halfway = await intake_pool.fetchval("SELECT rows_done FROM submissions WHERE submission_id = $1", submission)
        assert 20 * CHUNK <= halfway < 2000
        assert await intake_pool.fetchval("SELECT count(*) FROM cases") == halfway  # what was counted, no more

        await intake_pool.execute("UPDATE submissions SET lease_until = now() - interval '1 second'")
        assert await process_next_file(pool=intake_pool, owner=uuid.uuid4(), lanes=lanes) == submission  # new child
    finally:
        lanes.close()
    done = await intake_pool.fetchrow("SELECT status, rows_read, accepted FROM submissions WHERE submission_id = $1",
                                      submission)
    assert dict(done) == {"status": "done", "rows_read": 2000, "accepted": 2000}
    assert await intake_pool.fetchval("SELECT count(*) FROM cases") == 2000
    assert await intake_pool.fetchval("SELECT count(*) FROM outbox_events") == 2000


async def test_a_second_file_with_known_references_is_taken_in_turn_too(intake_client, intake_as, intake_campaign,
                                                                       intake_pool, intake_lanes,
                                                                       monkeypatch) -> None:
    """Its chunks meet cases already in the campaign: each is inserted again skipping them, after taking its turn
    anew (the savepoint it first took it in is rolled back)."""
    monkeypatch.setattr(file_processing, "ROWS_PER_CHUNK", CHUNK)
    campaign = await intake_campaign()
    await _upload(intake_client, intake_as, campaign)
    assert await process_next_file(pool=intake_pool, owner=uuid.uuid4(), lanes=intake_lanes) is not None
    more = _file() + "".join(f"\r\nN{i};Nom;Léa;06 13 00 00 {i:02d};{i} rue;75011;Paris;10" for i in range(30)).encode()
    response = await intake_client.post(f"/v1/campaigns/{campaign['campaign_id']}/cases/upload", content=more,
                                        headers={"Content-Type": "text/csv", **intake_as("partner")})
    assert await process_next_file(pool=intake_pool, owner=uuid.uuid4(), lanes=intake_lanes) is not None
    second = await _outcome(intake_pool, response.json()["submission_id"])
    assert second["counts"] == {"status": "done", "rows_read": 79, "accepted": 30, "rejected": 7, "duplicates": 42}
    assert {r["external_ref"] for r in second["refused"] if r["kind"] == "duplicate"} == {
        f"C{i}" for i in range(1, 50) if i % 7 and i != 31}
    assert await intake_pool.fetchval("SELECT count(*) FROM cases") == 41 + 30
