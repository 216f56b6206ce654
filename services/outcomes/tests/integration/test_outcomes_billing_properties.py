"""Property: for generated events and tariffs, every statement total = the sum of its lines = a naive
recomputation from the raw events (independent code: Decimal VAT, linear tariff lookup). Scenarios come
from a seeded generator so a failure names its seed; events are fed in random batches with redeliveries."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest

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

PARIS = ZoneInfo("Europe/Paris")
KINDS = ("case_closed", "successful_contact", "visit", "payment_plan", "referral_taken_up")
PERIODS = ("2026-02", "2026-03", "2026-04")


def random_tariffs(rng: random.Random) -> list[dict]:
    starts = sorted(rng.sample(range(0, 80), rng.randint(1, 3)))
    out = []
    for offset in starts:
        minimum = rng.choice([None, rng.randint(0, 20_000)])
        cap = rng.choice([None, (minimum or 0) + rng.randint(0, 60_000)])
        out.append({"effective_from": date(2026, 1, 25) + timedelta(days=offset), "vat_rate_bp": rng.choice(
            [0, 550, 1000, 2000, rng.randint(0, 10_000)]), "fees": {f"{k}_cents": rng.randint(0, 9_999) for k in KINDS},
            "monthly_minimum_cents": minimum, "monthly_cap_cents": cap})
    return out


def random_instant(rng: random.Random) -> datetime:
    return datetime(2026, 2, 1, tzinfo=PARIS) + timedelta(minutes=rng.randint(0, 89 * 24 * 60 - 1))


def random_events(rng: random.Random, w) -> list:
    events = []
    for n in range(rng.randint(1, 12)):
        opened = w.opened(f"P-{n}", opened_at=datetime(2026, 1, 1, tzinfo=UTC))
        events.append(opened)
        for _ in range(rng.randint(0, 4)):
            events.append(w.attempt(opened, random_instant(rng), result=rng.choice(list(AttemptResult)),
                                    channel=rng.choice(list(Channel))))
        for _ in range(rng.choice([0, 1, 1, 2])):
            kind = rng.choice([OutcomeType.PAID, OutcomeType.PAYMENT_PLAN, OutcomeType.REFERRED,
                               OutcomeType.RECALLED, OutcomeType.REFUSED])
            extra = {}
            if kind == OutcomeType.PAYMENT_PLAN:
                extra["payment_plan"] = PaymentPlan(instalments=1, first_due_date=date(2026, 5, 1),
                                                    instalment_amounts_cents=[100])
            if kind == OutcomeType.REFERRED:
                extra["referral"] = Referral(target=ReferralTarget.FSL, status=rng.choice(list(ReferralStatus)))
            events.append(w.resolved(opened, random_instant(rng), kind, **extra))
    return events


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


@pytest.mark.parametrize("seed", range(12))
async def test_statements_match_a_naive_recomputation(seed, outcomes_world, outcomes_client, outcomes_as,
                                                      outcomes_pool) -> None:
    rng = random.Random(seed)
    await truncate_all(outcomes_pool, SCHEMA)
    tariffs = random_tariffs(rng)
    for t in tariffs:
        body = {**t, "effective_from": t["effective_from"].isoformat()}
        r = await outcomes_client.put("/v1/partners/acme/tariff", json=body, headers=outcomes_as("finance"))
        assert r.status_code == 201, r.text
    events = random_events(rng, outcomes_world)
    delivered = events + rng.sample(events, k=len(events) // 3)  # redeliveries after the fact
    for start in range(0, len(delivered), step := rng.randint(1, 7)):
        await outcomes_world.feed(*delivered[start:start + step])
    expected = naive_lines(events, tariffs)
    for period in PERIODS:
        s = (await outcomes_client.get(f"/v1/partners/acme/statements/{period}",
                                       headers=outcomes_as("finance"))).json()
        assert sorted(x["amount_cents"] for x in s["lines"]) == sorted(expected[period]), (seed, period)
        assert s["subtotal_cents"] == sum(x["amount_cents"] for x in s["lines"])
        assert (s["subtotal_cents"], s["net_cents"], s["total_cents"]) == naive_totals(expected[period], tariffs,
                                                                                       period), (seed, period)
