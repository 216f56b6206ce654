"""The billing pipeline overlaps Python with the database without ever reordering round trips or leaving one
running when something fails (the transaction would then be rolled back under a busy connection)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime

import pytest

from relais_outcomes.adapters.pipeline import overlapped
from relais_outcomes.domain.billing import billable_work
from relais_platform.contracts import BillingKind


async def test_items_are_prepared_ahead_and_sent_in_order() -> None:
    log: list[str] = []

    async def send(x: int) -> int:
        log.append(f"send {x}")
        await asyncio.sleep(0.01)
        log.append(f"done {x}")
        return x * 10

    def prepare(x: int) -> int:
        log.append(f"prepare {x}")
        return x

    assert await overlapped([1, 2, 3], prepare, send) == [(1, 10), (2, 20), (3, 30)]
    assert log == ["prepare 1", "send 1", "prepare 2", "done 1", "send 2", "prepare 3", "done 2", "send 3", "done 3"]


async def test_a_failing_preparation_waits_for_the_round_trip_in_flight() -> None:
    finished: list[int] = []

    async def send(x: int) -> int:
        await asyncio.sleep(0.01)
        finished.append(x)
        return x

    def prepare(x: int) -> int:
        if x == 2:
            raise RuntimeError("poison")
        return x

    with pytest.raises(RuntimeError):
        await overlapped([1, 2, 3], prepare, send)
    assert finished == [1]


def test_work_without_a_time_zone_is_refused() -> None:
    with pytest.raises(ValueError):
        billable_work([BillingKind.VISIT], evidence=uuid.uuid4(), partner_id="acme", case_id=uuid.uuid4(),
                      campaign_id=uuid.uuid4(), occurred_at=datetime(2026, 3, 1, 10))
