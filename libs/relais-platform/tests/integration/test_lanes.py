"""Lanes: work run in child processes that keep their loop and pool, survive a failing call, and are replaced
when killed."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import signal
import sys
import time
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import asyncpg
import pytest

from relais_platform.events import POISON_EVENTS
from relais_platform.lanes import ProcessLanes
from relais_platform.testing import lane_failing, lane_identity, lane_poisoned, lane_sleeping

pytestmark = pytest.mark.integration


async def test_a_lane_keeps_its_pool_fails_alone_and_is_replaced_when_killed(test_database_url: str) -> None:
    lanes = ProcessLanes(service="relais-test", dsn=test_database_url, schema="public", count=2, pool_size=1,
                         log_json=False)
    await lanes.start()
    try:
        first = await lanes.run(lane_identity)
        assert first[0] != os.getpid()
        assert await lanes.run(lane_identity) == first  # the same child, the same connection: nothing rebuilt
        with pytest.raises(ValueError, match="bad share"):
            await lanes.run(lane_failing, "bad share")
        assert await lanes.run(lane_identity) == first  # a failing call leaves the child and its pool as they were

        os.kill(first[0], signal.SIGKILL)
        with pytest.raises(BrokenProcessPool):
            await lanes.run(lane_identity)
        replaced = await lanes.run(lane_identity)
        assert replaced[0] not in (first[0], os.getpid())
    finally:
        lanes.close()
    conn = await asyncpg.connect(test_database_url)
    try:  # once stopped, nothing of the children stays connected
        for _ in range(50):
            if not await conn.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", replaced[1]):
                break
            await asyncio.sleep(0.1)
        assert not await conn.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", replaced[1])
    finally:
        await conn.close()


async def test_what_a_lane_counts_is_counted_by_its_worker(test_database_url: str) -> None:
    """A child's counters are its own copy, which no scrape reaches: each call's increments are added to the
    worker's (the process serving /metrics), once per call."""
    lanes = ProcessLanes(service="relais-test", dsn=test_database_url, schema="public", count=2, pool_size=1,
                         log_json=False)
    await lanes.start()
    counted = POISON_EVENTS.labels("lanes-test")
    before = counted._value.get()
    try:
        assert await lanes.run(lane_poisoned, "lanes-test", 3) != os.getpid()
        assert counted._value.get() == before + 3
        await lanes.run(lane_poisoned, "lanes-test", 2)
        await lanes.run(lane_identity)  # a call that counts nothing adds nothing
        assert counted._value.get() == before + 5
    finally:
        lanes.close()


async def test_closing_stops_a_child_in_the_middle_of_a_call_at_once(test_database_url: str) -> None:
    """A worker shutting down does not wait for a call (an intake lane may have a long file to go): the call is
    abandoned as in a crash, its transaction rolled back, and the caller's work resumed by the next worker."""
    lanes = ProcessLanes(service="relais-test", dsn=test_database_url, schema="public", count=2, pool_size=1,
                         log_json=False)
    await lanes.start()
    child, _ = await lanes.run(lane_identity)
    busy = asyncio.ensure_future(lanes.run(lane_sleeping, 30))
    await asyncio.sleep(0.5)
    await asyncio.wait_for(asyncio.to_thread(lanes.close), 5)
    for _ in range(50):
        if not _alive(child):
            break
        await asyncio.sleep(0.1)
    assert not _alive(child)
    with pytest.raises(BrokenProcessPool):  # the abandoned call fails, it is not left pending
        await asyncio.wait_for(busy, 5)


async def test_one_lane_runs_no_child() -> None:
    lanes = ProcessLanes(service="relais-test", dsn="postgresql://unused", schema="public", count=1)
    before = multiprocessing.active_children()
    await lanes.start()
    assert multiprocessing.active_children() == before
    lanes.close()


WORKER = """
import asyncio, sys, time
from relais_platform.lanes import ProcessLanes
from relais_platform.testing import lane_identity, lane_sleeping

async def main():
    lanes = ProcessLanes(service="relais-test", dsn=sys.argv[1], schema="public", count=2, pool_size=1,
                         log_json=False)
    await lanes.start()
    child, backend = await lanes.run(lane_identity)
    with open(sys.argv[2], "w") as out:
        out.write(f"{child} {backend}")
    await lanes.run(lane_sleeping, 600)

asyncio.run(main())
"""


async def test_a_lane_process_stops_when_its_worker_is_killed(test_database_url: str, tmp_path: Path) -> None:
    """Even in the middle of a call: nothing waits for its result any more, and it holds a connection."""
    started = tmp_path / "started"
    worker = await asyncio.create_subprocess_exec(sys.executable, "-c", WORKER, test_database_url, str(started))
    try:
        for _ in range(600):
            if (started.exists() and started.read_text()) or worker.returncode is not None:
                break
            await asyncio.sleep(0.1)
        assert worker.returncode is None, "the worker stopped before its lane ran"
        child, backend = map(int, started.read_text().split())
    finally:
        with contextlib.suppress(ProcessLookupError):
            worker.kill()
        await worker.wait()
    conn = await asyncpg.connect(test_database_url)
    try:
        for _ in range(50):
            if not _alive(child) and not await conn.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = $1",
                                                             backend):
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"lane process {child} (backend {backend}) outlived its worker")
    finally:
        await conn.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie (exited, not yet reaped by init) counts as gone
        return stat.read().split(") ")[-1][0] != "Z"


async def test_a_call_is_handed_to_its_child_before_the_callers_next_await(test_database_url: str) -> None:
    """A worker hands its children their shares, then computes its own without awaiting: the children must be at work
    meanwhile, not waiting for the worker's loop to turn."""
    lanes = ProcessLanes(service="relais-test", dsn=test_database_url, schema="public", count=2, pool_size=1,
                         log_json=False)
    await lanes.start()
    try:
        await lanes.run(lane_identity)  # the child's pool made
        call = lanes.run(lane_sleeping, 1.0)
        time.sleep(1.2)  # the caller busy, its loop not turning
        started = time.monotonic()
        await call
        assert time.monotonic() - started < 0.5  # the child slept while the caller was busy
    finally:
        lanes.close()
