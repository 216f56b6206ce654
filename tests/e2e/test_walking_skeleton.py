"""One case, end to end, through the running processes: partner -> intake -> campaigns -> agent ->
outcomes -> finance. Then the same events are delivered again and nothing is counted twice."""

from __future__ import annotations

import time as clock
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import httpx
import pytest

from relais_platform.contracts import Topics
from tests.e2e.conftest import (
    CAMPAIGNS,
    E2E_AGENT,
    INTAKE,
    OUTCOMES,
    Actors,
    current_period,
    e164,
    eventually,
    fresh_mobile,
)
from tests.e2e.kafka_tools import records_since, redeliver, wait_caught_up

pytestmark = pytest.mark.e2e

PHONE = fresh_mobile()  # a person of this run only
CASES = [
    {"external_ref": "E2E-1", "first_name": "Hélène", "last_name": "de La Tour-Dupin", "phone": PHONE,
     "amount_due": "1 234,56 €", "address": {"line1": "12 cours de l'Intendance", "postcode": "33000",
                                            "city": "Bordeaux"}},
    {"external_ref": "E2E-2", "first_name": "Yanis", "last_name": "Benali", "phone": fresh_mobile(),
     "amount_due": "89.90", "address": {"line1": "4 rue Sainte-Catherine", "postcode": "33000", "city": "Bordeaux"}},
    {"external_ref": "E2E-3", "first_name": "Sans", "last_name": "Contact", "phone": "12", "amount_due": "-5"},
]


async def _open_campaign(http: httpx.AsyncClient, a: Actors) -> dict:
    r = await http.post(f"{INTAKE}/v1/campaigns", headers=a.partner,
                        json={"name": "Relance e2e", "starts_on": "2026-01-01", "ends_on": "2027-12-31",
                              "legal_basis": "Convention de partenariat, art. 4"})
    assert r.status_code == 201, r.text
    return r.json()


async def _submit(http: httpx.AsyncClient, a: Actors, campaign_id: str) -> dict:
    r = await http.post(f"{INTAKE}/v1/campaigns/{campaign_id}/cases", headers={**a.partner, "Idempotency-Key": "b1"},
                        json={"cases": CASES})
    assert r.status_code == 200, r.text
    return r.json()


async def _worklist_case(http: httpx.AsyncClient, a: Actors, case_id: str) -> dict | None:
    """The case on the agent's list of the next working day: today's holds only what may still be done today (none
    at night, on a weekend, or within 4 hours of a call made after 16:00), so the test reads the same at any hour."""
    day = next_working_day(datetime.now(UTC))
    r = await http.get(f"{CAMPAIGNS}/v1/agents/{E2E_AGENT}/worklist", headers=a.agent,
                       params={"date": day.isoformat()})
    assert r.status_code == 200, r.text
    return next((c for c in r.json()["calls"] + r.json()["visits"] if c["case_id"] == case_id), None)


def next_working_day(now: datetime) -> date:
    """The first day after today (Paris) that is a working day and no public holiday in France."""
    day = now.astimezone(ZoneInfo("Europe/Paris")).date() + timedelta(days=1)
    closed = holidays.France(years=range(day.year, day.year + 2))
    while day.weekday() >= 5 or day in closed:
        day += timedelta(days=1)
    return day


def last_lawful_call_moment(now: datetime) -> datetime:
    """The latest moment before `now` (at most 7 days back) when calling someone in Gironde is allowed:
    a working day that is no public holiday, 10:00-13:00 or 14:00-20:00 Paris time."""
    paris = ZoneInfo("Europe/Paris")
    moment = now.astimezone(paris).replace(second=0, microsecond=0) - timedelta(minutes=5)
    closed = holidays.France(years=range(moment.year - 1, moment.year + 1))
    while not (moment.weekday() < 5 and moment.date() not in closed
               and (time(10) <= moment.time() < time(13) or time(14) <= moment.time() < time(20))):
        moment -= timedelta(minutes=15)
    return moment.astimezone(UTC)


async def _statement(http: httpx.AsyncClient, a: Actors) -> dict:
    """This month's statement; when the lawful call fell in the previous month, its lines are merged in."""
    r = await http.get(f"{OUTCOMES}/v1/partners/{a.partner_id}/statements/{current_period()}", headers=a.finance)
    assert r.status_code == 200, r.text
    statement = r.json()
    previous = last_lawful_call_moment(datetime.now(UTC)).astimezone(ZoneInfo("Europe/Paris")).strftime("%Y-%m")
    if previous != current_period():
        earlier = await http.get(f"{OUTCOMES}/v1/partners/{a.partner_id}/statements/{previous}", headers=a.finance)
        assert earlier.status_code == 200, earlier.text
        for key in ("subtotal_cents", "vat_cents", "total_cents"):
            statement[key] += earlier.json()[key]
        statement["lines"] += earlier.json()["lines"]
    return statement


async def test_one_case_end_to_end_then_redelivery_counts_nothing_twice(e2e_http: httpx.AsyncClient,
                                                                         actors: Actors) -> None:
    http, a = e2e_http, actors
    started_ms = int(clock.time() * 1000) - 1000

    # 1. The partner creates a campaign and submits a batch: two good cases, one refused with reasons.
    campaign = await _open_campaign(http, a)
    submission = await _submit(http, a, campaign["campaign_id"])
    assert (submission["accepted"], submission["rejected"]) == (2, 1)
    refused = submission["results"][2]
    assert refused["status"] == "rejected" and {r["field"] for r in refused["reasons"]} >= {"amount_due"}
    replay = await _submit(http, a, campaign["campaign_id"])
    assert replay["submission_id"] == submission["submission_id"]
    case_id, other_case_id = (r["case_id"] for r in submission["results"][:2])

    # 2-3. The campaigns worker assigns both to the Gironde agent, who sees name, phone and amount.
    item = await eventually(lambda: _worklist_case(http, a, case_id), what="the case in the agent's worklist")
    assert item["customer"]["last_name"] == "de La Tour-Dupin"
    assert item["customer"]["phone_e164"] == e164(PHONE)
    assert item["amount_due_cents"] == 123456
    await eventually(lambda: _worklist_case(http, a, other_case_id), what="the second case in the worklist")
    foreign = await http.get(f"{CAMPAIGNS}/v1/agents/{E2E_AGENT}/worklist", headers=a.partner)
    assert foreign.status_code in (403, 404)

    # Calls are only lawful at certain hours: the agent's device records when the call happened, at the
    # last lawful moment before now (an agent syncing a call made earlier), so the test passes at any hour.
    called_at = last_lawful_call_moment(datetime.now(UTC)).isoformat()
    reached = {"result": "reached", "channel": "phone", "attempted_at": called_at}
    r = await http.post(f"{CAMPAIGNS}/v1/cases/{case_id}/attempts", headers={**a.agent, "Idempotency-Key": "a1"},
                        json=reached)
    assert r.status_code == 201, r.text
    again = await http.post(f"{CAMPAIGNS}/v1/cases/{case_id}/attempts", headers={**a.agent, "Idempotency-Key": "a1"},
                            json=reached)
    assert again.json() == r.json()
    r = await http.post(f"{CAMPAIGNS}/v1/cases/{other_case_id}/attempts", headers=a.agent,
                        json={"result": "no_answer", "channel": "phone", "attempted_at": called_at})
    assert r.status_code == 201, r.text

    # 4. The outcome: a payment plan agreed with the partner (after the attempt reached outcomes).
    outcome_body = {"type": "payment_plan", "note": "agent note, never shown to the partner",
                    "payment_plan": {"instalments": 3, "first_due_date": "2027-01-10",
                                     "instalment_amounts_cents": [41152, 41152, 41152]}}

    async def record_outcome() -> httpx.Response | None:
        resp = await http.post(f"{OUTCOMES}/v1/cases/{case_id}/outcome", headers={**a.agent, "Idempotency-Key": "o1"},
                               json=outcome_body)
        return resp if resp.status_code != 404 else None  # outcomes learns the holder from Kafka

    r = await eventually(record_outcome, what="outcomes to know the case and its holder")
    assert r.status_code == 201, r.text
    seen = await http.get(f"{OUTCOMES}/v1/cases/{case_id}/outcome", headers=a.partner)
    assert seen.status_code == 200 and "never shown" not in seen.text
    assert (await http.get(f"{OUTCOMES}/v1/cases/{case_id}/outcome", headers=a.other_partner)).status_code == 404

    # The resolved case leaves the worklist (campaigns consumed the partner-facing feed).
    async def gone() -> bool:
        return await _worklist_case(http, a, case_id) is None

    await eventually(gone, what="the resolved case to leave the worklist")

    # 5. Finance reads the month's statement: contact 12.00 + closure 45.00 + plan 15.00, VAT 20 %.
    expected = {"successful_contact": 1200, "case_closed": 4500, "payment_plan": 1500}

    async def statement_complete() -> dict | None:
        s = await _statement(http, a)
        return s if len(s["lines"]) == len(expected) else None

    statement = await eventually(statement_complete, what="three billing lines")
    assert {line["kind"]: line["amount_cents"] for line in statement["lines"]} == expected
    assert (statement["subtotal_cents"], statement["vat_cents"], statement["total_cents"]) == (7200, 1440, 8640)
    assert all(line["evidence_event_ids"] for line in statement["lines"])
    for who in (a.agent, a.supervisor):
        denied = await http.get(f"{OUTCOMES}/v1/partners/{a.partner_id}/statements/{current_period()}", headers=who)
        assert denied.status_code == 403
    own = await http.get(f"{OUTCOMES}/v1/partners/{a.partner_id}/statements/{current_period()}", headers=a.partner)
    assert own.status_code == 200 and own.json()["partner_id"] == a.partner_id and own.json()["lines"]
    other = await http.get(f"{OUTCOMES}/v1/partners/{a.partner_id}/statements/{current_period()}",
                           headers=a.other_partner)
    assert other.status_code == 404

    # Redelivery: every event this scenario produced is delivered once more, byte for byte.
    keys = {case_id.encode(), other_case_id.encode()}
    topics = [Topics.CASES_OPENED, Topics.ASSIGNMENTS, Topics.ATTEMPTS, Topics.OUTCOMES_RESOLVED]
    records = [r for t in topics for r in await records_since(t, started_ms, keys=keys)]
    assert {r.topic for r in records} == set(topics)
    assert await redeliver(records) == len(records)
    await wait_caught_up("relais-campaigns", [Topics.CASES_OPENED, Topics.OUTCOMES_RESOLVED])
    await wait_caught_up("relais-outcomes", topics)

    after = await _statement(http, a)
    assert sorted(line["line_id"] for line in after["lines"]) == sorted(line["line_id"] for line in statement["lines"])
    assert after["total_cents"] == 8640
    still = await _worklist_case(http, a, other_case_id)
    assert still is not None and still["attempts_count"] == 1
    assert await _worklist_case(http, a, case_id) is None
    history = (await http.get(f"{OUTCOMES}/v1/cases/{case_id}/outcome", headers=a.finance)).json()
    assert len(history["history"]) == 1
    published = await records_since(Topics.BILLING_LINES, started_ms, keys=keys)
    assert len(published) == 3, "each billing line is published exactly once"

    # The second case ends as refused, which also frees the e2e agent's capacity for the next run.
    r = await http.post(f"{OUTCOMES}/v1/cases/{other_case_id}/outcome", headers=a.agent, json={"type": "refused"})
    assert r.status_code == 201, r.text
