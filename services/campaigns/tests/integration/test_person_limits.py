"""The contact limits count the person, not the case: two cases of one phone number (two campaigns, two
partners) share the 4-per-30-days limit, the refusal cooldown and the minimum gap, at the gate and in the
worklist."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, time, timedelta

import pytest

from relais_campaigns.bootstrap import MIGRATIONS
from relais_campaigns.service_layer.attempts import record_attempt
from relais_campaigns.service_layer.commands import RecordAttempt
from relais_platform.auth import Principal, Role
from relais_platform.contracts import AttemptResult
from relais_platform.errors import Conflict

from .conftest import PARIS

pytestmark = pytest.mark.integration
PHONE = "+33698765432"


@pytest.fixture
async def twins(campaigns_kit):
    """ana (phone, capacity 3) holds two cases of one person, in two campaigns (edf, then a transport
    operator), and one case of somebody else; the clock reads 16:00 on the first of two working days."""
    kit = campaigns_kit
    await kit.put_site("paris", ["75"])
    await kit.put_agent("ana", "paris", capacity=3, channels=["phone"])
    first, second = kit.opened(phone=PHONE), kit.opened(phone=PHONE, partner_id="ratp", campaign_id=uuid.uuid4())
    other = kit.opened()
    await kit.feed_opened([first, second, other])
    kit.first, kit.second, kit.other = first.data.case_id, second.data.case_id, other.data.case_id
    assert {(await kit.case(c))["agent_id"] for c in (kit.first, kit.second, kit.other)} == {"ana"}
    kit.ana = kit.auth("agent", agent_id="ana")
    kit.first_day = kit.now.astimezone(PARIS).date()
    return kit


def local(kit, days: int, hour: int, minute: int = 0) -> datetime:
    """`hour`:`minute` in Paris, `days` after the test's first day."""
    day = kit.first_day + timedelta(days=days)
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS).astimezone(UTC)


async def attempt(kit, case_id: uuid.UUID, result: str = "no_answer", at: datetime | None = None):
    body = {"result": result} | ({"attempted_at": at.isoformat()} if at else {})
    return await kit.client.post(f"/v1/cases/{case_id}/attempts", headers=kit.ana, json=body)


async def test_the_fifth_attempt_across_two_cases_of_one_person_is_refused(twins) -> None:
    kit = twins
    plan = [(kit.first, 0, 10), (kit.second, 0, 14), (kit.first, 0, 18), (kit.second, 1, 10)]
    for case_id, days, hour in plan:  # 4 h apart, inside the windows, on two working days
        kit.clock.set_now(local(kit, days, hour))
        assert (await attempt(kit, case_id)).status_code == 201
    kit.clock.set_now(local(kit, 1, 15))
    r = await attempt(kit, kit.first)
    assert (r.status_code, r.json()["rule"]) == (409, "max_attempts")
    assert r.json()["next_allowed_at"] >= (local(kit, 0, 10) + timedelta(days=30)).isoformat()
    assert (await attempt(kit, kit.other)).status_code == 201  # somebody else: their own count


async def test_a_refusal_on_one_case_blocks_the_persons_other_cases(twins) -> None:
    kit = twins
    refused_at = kit.now - timedelta(hours=5)
    assert (await attempt(kit, kit.first, "refused", at=refused_at)).status_code == 201
    r = await attempt(kit, kit.second, "reached")
    assert (r.status_code, r.json()["rule"]) == (409, "refusal_cooldown")
    assert r.json()["next_allowed_at"] >= (refused_at + timedelta(days=60)).isoformat()
    assert await kit.pool.fetchval("SELECT count(*) FROM attempts WHERE case_id = $1", kit.second) == 0


async def test_the_minimum_gap_spans_cases(twins) -> None:
    kit = twins
    assert (await attempt(kit, kit.first, at=kit.now - timedelta(hours=1))).status_code == 201
    r = await attempt(kit, kit.second)
    assert (r.status_code, r.json()["rule"]) == (409, "min_gap")


async def test_an_attempt_on_another_site_waits_for_the_persons_attempt_in_progress(campaigns_kit) -> None:
    """Two cases of one person at two sites: their agents' locks do not serialise the two attempts, the
    person's lock does; the second then sees the first and breaks the minimum gap."""
    kit = campaigns_kit
    await kit.put_site("paris", ["75"])
    await kit.put_site("lyon", ["69"])
    await kit.put_agent("ana", "paris", channels=["phone"])
    await kit.put_agent("leo", "lyon", channels=["phone"])
    cases = [kit.opened(phone=PHONE, postcode="75011"), kit.opened(phone=PHONE, postcode="69001")]
    await kit.feed_opened(cases)
    admin = Principal(sub="admin", role=Role.ADMIN)

    async def record(conn, event) -> None:
        cmd = RecordAttempt(case_id=event.data.case_id, result=AttemptResult.BUSY)
        await record_attempt(conn=conn, cmd=cmd, principal=admin, now=kit.now)

    async with kit.pool.acquire() as first, kit.pool.acquire() as second:
        tx = first.transaction()
        await tx.start()
        await record(first, cases[0])  # not committed yet

        async def later() -> None:
            async with second.transaction():
                await record(second, cases[1])

        waiting = asyncio.ensure_future(later())
        await asyncio.sleep(0.3)
        assert not waiting.done()  # it waits for the person
        await tx.commit()
        with pytest.raises(Conflict) as refused:
            await waiting
    assert refused.value.details["rule"] == "min_gap"
    assert await kit.pool.fetchval("SELECT count(*) FROM attempts") == 1


async def test_the_worklist_shows_each_case_the_persons_next_moment(twins) -> None:
    kit = twins
    assert (await attempt(kit, kit.first, at=local(kit, 0, 14, 30))).status_code == 201
    r = await kit.client.get("/v1/agents/ana/worklist", headers=kit.ana)
    assert r.status_code == 200
    moments = {uuid.UUID(e["case_id"]): datetime.fromisoformat(e["next_allowed_at"]) for e in r.json()["calls"]}
    assert moments == {kit.first: local(kit, 0, 18, 30), kit.second: local(kit, 0, 18, 30), kit.other: kit.now}


def _backfill_statements() -> list[str]:
    """The migration's SQL definition of the key: its helper function and the back-fill of cases."""
    text = (MIGRATIONS / "0008_person_key.sql").read_text()
    sql = "\n".join(line for line in text.splitlines() if not line.startswith("--"))
    wanted = ("CREATE FUNCTION pg_temp.normalised", "UPDATE cases SET person_key")
    return [s.strip() for s in sql.split(";\n") if s.strip().startswith(wanted)]


async def test_the_migrations_back_fill_computes_the_domains_key(campaigns_kit) -> None:
    kit = campaigns_kit
    events = [kit.opened(), kit.opened(phone=False, line1="12, Rue de l'Église — Bât. Œ"),
              kit.opened(phone=False, postcode=None, department="75")]
    await kit.feed_opened(events)
    keys = dict(await kit.pool.fetch("SELECT case_id, person_key FROM cases"))
    assert len(set(keys.values())) == 3
    statements = _backfill_statements()
    assert len(statements) == 2
    async with kit.pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        try:
            for statement in statements:
                await conn.execute(statement)
            assert dict(await conn.fetch("SELECT case_id, person_key FROM cases")) == keys
        finally:
            await tx.rollback()
