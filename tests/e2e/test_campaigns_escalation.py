"""A case fails three calls on three permitted days, escalates to a visit, appears in its agent's visit
list, is visited and resolved — through the running services. The campaigns service clock is moved by an
admin (`PUT /v1/admin/clock`, local/test stacks only) to lawful moments, then given back."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from relais_campaigns.domain.calendar import is_public_holiday
from tests.e2e.conftest import CAMPAIGNS, E2E_AGENT, INTAKE, OUTCOMES, Actors, eventually, fresh_mobile

pytestmark = pytest.mark.e2e
PARIS = ZoneInfo("Europe/Paris")


def working_days(after: date, count: int, *, department: str = "33") -> list[date]:
    """The next `count` weekdays after `after` that are not public holidays in `department`."""
    days, day = [], after
    while len(days) < count:
        day += timedelta(days=1)
        if day.weekday() < 5 and not is_public_holiday(day, department):
            days.append(day)
    return days


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS).astimezone(UTC)


@pytest.fixture
async def campaigns_e2e_clock(e2e_http: httpx.AsyncClient, actors: Actors) -> AsyncIterator:
    """Set the campaigns clock; always given back to real time afterwards."""

    async def set_clock(moment: datetime) -> None:
        r = await e2e_http.put(f"{CAMPAIGNS}/v1/admin/clock", headers=actors.admin, json={"now": moment.isoformat()})
        assert r.status_code == 200, r.text

    try:
        yield set_clock
    finally:
        await set_clock(datetime.now(UTC))


async def _open_case(http: httpx.AsyncClient, a: Actors) -> str:
    r = await http.post(f"{INTAKE}/v1/campaigns", headers=a.partner,
                        json={"name": "Escalade e2e", "starts_on": "2026-01-01", "ends_on": "2027-12-31",
                              "legal_basis": "Convention de partenariat, art. 4"})
    assert r.status_code == 201, r.text
    case = {"external_ref": f"ESC-{uuid.uuid4().hex[:8]}", "first_name": "Inès", "last_name": "Marchal",
            "phone": fresh_mobile(), "amount_due": "310,00",
            "address": {"line1": "8 rue du Palais Gallien", "postcode": "33000", "city": "Bordeaux"}}
    r = await http.post(f"{INTAKE}/v1/campaigns/{r.json()['campaign_id']}/cases", headers=a.partner,
                        json={"cases": [case]})
    assert r.status_code == 200 and r.json()["accepted"] == 1, r.text
    return r.json()["results"][0]["case_id"]


async def _entry(http: httpx.AsyncClient, a: Actors, case_id: str, kind: str) -> dict | None:
    r = await http.get(f"{CAMPAIGNS}/v1/agents/{E2E_AGENT}/worklist", headers=a.agent)
    assert r.status_code == 200, r.text
    return next((e for e in r.json()[kind] if e["case_id"] == case_id), None)


async def test_three_failed_calls_escalate_to_a_visit_that_resolves_the_case(
        e2e_http: httpx.AsyncClient, actors: Actors, campaigns_e2e_clock) -> None:
    http, a, set_clock = e2e_http, actors, campaigns_e2e_clock
    case_id = await _open_case(http, a)
    d1, d2, d3 = working_days(datetime.now(PARIS).date(), 3)
    await set_clock(at(d1, 10, 30))
    await eventually(lambda: _entry(http, a, case_id, "calls"), what="the case in the agent's calls")
    url = f"{CAMPAIGNS}/v1/cases/{case_id}/attempts"
    for day, result in [(d1, "no_answer"), (d2, "busy"), (d3, "voicemail")]:
        await set_clock(at(day, 10, 30))
        r = await http.post(url, headers={**a.agent, "Idempotency-Key": f"{case_id}-{day}"}, json={"result": result})
        assert r.status_code == 201, r.text
        early = await http.post(url, headers=a.agent, json={"result": "no_answer"})  # the 4-hour gap
        assert early.status_code == 409 and early.json()["rule"] == "min_gap", early.text  # 10:30: both windows open
        assert early.json()["next_allowed_at"].startswith(at(day, 14, 30).strftime("%Y-%m-%dT%H:%M")), early.text

    visit = await _entry(http, a, case_id, "visits")
    assert visit is not None and visit["channel"] == "door_to_door" and visit["area"] == "33000"
    assert visit["next_allowed_at"].startswith(at(d3, 14, 30).strftime("%Y-%m-%dT%H:%M"))
    assert await _entry(http, a, case_id, "calls") is None
    await set_clock(at(d3, 15, 0))
    r = await http.post(url, headers=a.agent, json={"result": "reached", "channel": "door_to_door"})
    assert r.status_code == 201, r.text

    async def record_outcome() -> httpx.Response | None:
        resp = await http.post(f"{OUTCOMES}/v1/cases/{case_id}/outcome", headers=a.agent,
                               json={"type": "paid", "note": "paid on the doorstep"})
        return resp if resp.status_code != 404 else None

    r = await eventually(record_outcome, what="outcomes to know the case and its holder")
    assert r.status_code == 201, r.text
    await eventually(lambda: _gone(http, a, case_id), what="the resolved case to leave the worklist")


async def _gone(http: httpx.AsyncClient, a: Actors, case_id: str) -> bool:
    return await _entry(http, a, case_id, "visits") is None and await _entry(http, a, case_id, "calls") is None
