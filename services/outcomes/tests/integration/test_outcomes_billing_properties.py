"""Properties, for any generated tariffs and events fed in random batches with redeliveries: every statement
total = the sum of its lines = a naive recomputation from the raw events (independent code: Decimal VAT, linear
tariff lookup); credit notes taken from the finalised month never exceed what they correct, and what is left
is never refused."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relais_outcomes.bootstrap import SCHEMA
from relais_platform.contracts import (
    AttemptResult,
    Channel,
    OutcomeType,
    PaymentPlan,
    Referral,
    ReferralStatus,
    ReferralTarget,
)
from relais_platform.testing import truncate_all

pytestmark = pytest.mark.integration
PROPERTY = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

PARIS = ZoneInfo("Europe/Paris")
KINDS = ("case_closed", "successful_contact", "visit", "payment_plan", "referral_taken_up")
PERIODS = ("2026-02", "2026-03", "2026-04")


@st.composite
def tariff_versions(draw: st.DrawFn) -> list[dict]:
    """1-3 versions from late January to mid April 2026, sorted by effective date."""
    out = []
    for offset in sorted(draw(st.sets(st.integers(0, 79), min_size=1, max_size=3))):
        minimum = draw(st.none() | st.integers(0, 20_000))
        cap = draw(st.none() | st.integers(0, 60_000).map(lambda extra, m=minimum: (m or 0) + extra))
        out.append({"effective_from": date(2026, 1, 25) + timedelta(days=offset),
                    "vat_rate_bp": draw(st.sampled_from([0, 550, 1000, 2000]) | st.integers(0, 10_000)),
                    "fees": {f"{k}_cents": draw(st.integers(0, 9_999)) for k in KINDS},
                    "monthly_minimum_cents": minimum, "monthly_cap_cents": cap})
    return out


# February to April 2026 in Paris, by the minute.
instants = st.integers(0, 89 * 24 * 60 - 1).map(lambda m: datetime(2026, 2, 1, tzinfo=PARIS) + timedelta(minutes=m))


@st.composite
def activity(draw: st.DrawFn, w) -> list:
    """Cases with attempts of any result and channel, and 0-2 outcomes each (a second one is a correction)."""
    events = []
    for n in range(draw(st.integers(1, 10))):
        opened = w.opened(f"P-{n}", opened_at=datetime(2026, 1, 1, tzinfo=UTC))
        events.append(opened)
        for _ in range(draw(st.integers(0, 4))):
            events.append(w.attempt(opened, draw(instants), result=draw(st.sampled_from(list(AttemptResult))),
                                    channel=draw(st.sampled_from(list(Channel)))))
        for _ in range(draw(st.integers(0, 2))):
            kind = draw(st.sampled_from([OutcomeType.PAID, OutcomeType.PAYMENT_PLAN, OutcomeType.REFERRED,
                                         OutcomeType.RECALLED, OutcomeType.REFUSED]))
            extra = {}
            if kind == OutcomeType.PAYMENT_PLAN:
                extra["payment_plan"] = PaymentPlan(instalments=1, first_due_date=date(2026, 5, 1),
                                                    instalment_amounts_cents=[100])
            if kind == OutcomeType.REFERRED:
                extra["referral"] = Referral(target=ReferralTarget.FSL,
                                             status=draw(st.sampled_from(list(ReferralStatus))))
            events.append(w.resolved(opened, draw(instants), kind, **extra))
    return events


async def _billed(data: st.DataObject, client, finance, pool, world) -> tuple[list[dict], list]:
    """Fresh tables, generated tariffs PUT over HTTP, generated events fed in random batches with redeliveries."""
    await truncate_all(pool, SCHEMA)
    tariffs = data.draw(tariff_versions(), label="tariffs")
    for t in tariffs:
        r = await client.put("/v1/partners/acme/tariff", json={**t, "effective_from": t["effective_from"].isoformat()},
                             headers=finance)
        assert r.status_code == 201, r.text
    events = data.draw(activity(world), label="events")
    delivered = events + data.draw(st.lists(st.sampled_from(events), max_size=len(events) // 2), label="redelivered")
    step = data.draw(st.integers(1, 7), label="batch size")
    for start in range(0, len(delivered), step):
        await world.feed(*delivered[start:start + step], record=False)
    return tariffs, events


def naive_lines(events: list, tariffs: list[dict]) -> dict[str, list[int]]:
    seen, once, by_period = set(), set(), {p: [] for p in PERIODS}
    for e in events:
        if e.id in seen or e.type.endswith("opened.v1"):
            continue
        seen.add(e.id)
        d = e.data
        if e.type.endswith("attempt_recorded.v1"):
            at = d.attempted_at
            kinds = (["successful_contact"] if d.result == "reached" else []) + (
                ["visit"] if d.channel == "door_to_door" else [])
        else:
            at = d.resolved_at
            kinds = [] if d.outcome == "recalled" else ["case_closed"] + (
                ["payment_plan"] if d.outcome == "payment_plan" else []) + (
                ["referral_taken_up"] if d.referral and d.referral.status == "taken_up" else [])
        for kind in kinds:
            if kind in ("case_closed", "payment_plan", "referral_taken_up"):
                if (d.case_id, kind) in once:
                    continue
                once.add((d.case_id, kind))
            day = at.astimezone(PARIS).date()
            version = None
            for t in tariffs:  # sorted by effective_from: the last one started wins
                if t["effective_from"] <= day:
                    version = t
            by_period[f"{day:%Y-%m}"].append(version["fees"][f"{kind}_cents"] if version else 0)
    return by_period


def naive_totals(amounts: list[int], tariffs: list[dict], period: str) -> tuple[int, int, int]:
    month_end = date(2026, int(period[5:]) + 1, 1) - timedelta(days=1)
    version = None
    for t in tariffs:
        if t["effective_from"] <= month_end:
            version = t
    subtotal = sum(amounts)
    net = subtotal
    if version and version["monthly_minimum_cents"] is not None and subtotal < version["monthly_minimum_cents"]:
        net = version["monthly_minimum_cents"]
    elif version and version["monthly_cap_cents"] is not None and subtotal > version["monthly_cap_cents"]:
        net = version["monthly_cap_cents"]
    rate = version["vat_rate_bp"] if version else 0
    vat = int((Decimal(net) * rate / 10_000).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return subtotal, net, net + vat


@PROPERTY
@given(data=st.data())
async def test_statements_match_a_naive_recomputation(data, outcomes_world, outcomes_client, outcomes_as,
                                                      outcomes_pool) -> None:
    finance = outcomes_as("finance")
    tariffs, events = await _billed(data, outcomes_client, finance, outcomes_pool, outcomes_world)
    expected = naive_lines(events, tariffs)
    for period in PERIODS:
        s = (await outcomes_client.get(f"/v1/partners/acme/statements/{period}", headers=finance)).json()
        assert sorted(x["amount_cents"] for x in s["lines"]) == sorted(expected[period]), period
        assert s["subtotal_cents"] == sum(x["amount_cents"] for x in s["lines"])
        assert (s["subtotal_cents"], s["net_cents"], s["total_cents"]) == naive_totals(expected[period], tariffs,
                                                                                       period), period


@PROPERTY
@given(data=st.data())
async def test_credit_notes_never_exceed_what_they_correct(data, outcomes_world, outcomes_client, outcomes_as,
                                                          outcomes_pool) -> None:
    finance = outcomes_as("finance")
    await _billed(data, outcomes_client, finance, outcomes_pool, outcomes_world)
    r = await outcomes_client.post("/v1/partners/acme/statements/2026-03/finalize", headers=finance)
    if r.status_code == 409:  # nothing billed in March (and no minimum): nothing to correct
        return
    assert r.status_code == 201, r.text
    invoice = r.json()
    number, net, vat = invoice["number"], invoice["net_cents"], invoice["vat_cents"]
    lines = {x["line_id"]: x["amount_cents"] for x in invoice["lines"]}
    taken_net = taken_vat = 0
    credited_lines: set[str] = set()
    for _ in range(data.draw(st.integers(1, 6), label="credit notes")):
        by_lines = lines and data.draw(st.booleans())
        if by_lines:
            chosen = data.draw(st.lists(st.sampled_from(sorted(lines)), min_size=1, max_size=3, unique=True))
            body, ask = {"reason": "lignes contestées", "line_ids": chosen}, sum(lines[x] for x in chosen)
        else:
            ask = data.draw(st.integers(1, max(1, 2 * net)), label="net_cents")
            body, chosen = {"reason": "geste commercial", "net_cents": ask}, []
        r = await outcomes_client.post(f"/v1/invoices/{number}/credit-notes", json=body, headers=finance)
        fits = ask <= net - taken_net and not credited_lines & set(chosen)
        if fits and ask > 0:
            assert r.status_code == 201, r.text  # what is left is never refused
            taken_net, taken_vat = taken_net + r.json()["net_cents"], taken_vat + r.json()["vat_cents"]
            credited_lines |= set(chosen)
        else:
            assert r.status_code in (409, 422), r.text
        assert taken_net <= net and taken_vat <= vat
    after = (await outcomes_client.get(f"/v1/invoices/{number}", headers=finance)).json()
    assert sum(c["net_cents"] for c in after["credit_notes"]) == taken_net <= net
    assert sum(c["vat_cents"] for c in after["credit_notes"]) == taken_vat <= vat
    assert after["credited_cents"] == taken_net + taken_vat <= invoice["total_cents"]
