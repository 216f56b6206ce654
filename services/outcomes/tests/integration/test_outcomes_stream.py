"""The worker's handlers fed with real encoded events on the real PostgreSQL: projections, billing lines
and their prices, effective dating, redelivery and full replay, and the BillingLineRecorded outbox."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from relais_outcomes.adapters import tariffs_repo
from relais_outcomes.bootstrap import SCHEMA
from relais_platform.contracts import (
    AttemptResult,
    BillingLineRecorded,
    Channel,
    OutcomeType,
    PaymentPlan,
    Referral,
    ReferralStatus,
    ReferralTarget,
    Topics,
)
from relais_platform.events import decode
from relais_platform.ids import derived_id

pytestmark = pytest.mark.integration

OLD = {"case_closed_cents": 4000, "successful_contact_cents": 1000, "visit_cents": 2000, "payment_plan_cents": 1500,
       "referral_taken_up_cents": 1800}
NEW = {"case_closed_cents": 5000, "successful_contact_cents": 1100, "visit_cents": 2600, "payment_plan_cents": 1700,
       "referral_taken_up_cents": 2100}


def at(day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


async def lines(pool, partner_id: str = "acme") -> list[tuple]:
    rows = await pool.fetch(
        "SELECT line_id, kind, amount_cents, tariff_version_id, period, occurred_at, evidence_event_ids, case_id "
        "FROM billing_lines WHERE partner_id = $1 ORDER BY occurred_at, kind", partner_id)
    return [tuple(r.values()) for r in rows]


async def tariff_usage(pool) -> dict:
    async with pool.acquire() as conn:
        versions = [r[0] for r in await conn.fetch("SELECT tariff_version_id FROM tariff_versions")]
        return await tariffs_repo.lines_priced_with(conn, tariff_version_ids=versions)


async def published_lines(pool) -> list:
    rows = await pool.fetch("SELECT event_id, key, value FROM outbox_events WHERE topic = $1 ORDER BY seq, ordinal",
                            Topics.BILLING_LINES)
    return [(r["event_id"], r["key"], decode(r["value"], BillingLineRecorded)) for r in rows]


@pytest.fixture
async def march(outcomes_world, outcomes_tariff):
    """Two tariff versions (the second from 15 March) and a month of work on two cases."""
    v1 = (await outcomes_tariff("2026-03-01", **OLD))["versions"][0]["tariff_version_id"]
    v2 = (await outcomes_tariff("2026-03-15", **NEW))["versions"][1]["tariff_version_id"]
    w = outcomes_world
    a, b = w.opened("R-A"), w.opened("R-B")
    plan = PaymentPlan(instalments=2, first_due_date=date(2026, 4, 5), instalment_amounts_cents=[5000, 5000])
    events = [
        a, b, w.assigned(a), w.assigned(b),
        w.attempt(a, at(3), result=AttemptResult.NO_ANSWER),                          # nothing
        w.attempt(a, at(10)),                                                          # contact, old
        w.attempt(b, at(14, 22, 59), result=AttemptResult.NOT_HOME, channel=Channel.DOOR_TO_DOOR),  # 23:59 Paris: old
        w.attempt(b, at(14, 23, 0), result=AttemptResult.BUSY),                        # nothing
        w.attempt(b, at(14, 23, 30), result=AttemptResult.NOT_HOME, channel=Channel.DOOR_TO_DOOR),  # 00:30 the 15th
        w.attempt(b, at(20), channel=Channel.DOOR_TO_DOOR),                            # contact + visit, new
        w.resolved(a, at(12), OutcomeType.PAYMENT_PLAN, payment_plan=plan),            # closed + plan, old
        w.resolved(b, at(21), OutcomeType.REFERRED,
                   referral=Referral(target=ReferralTarget.FSL, status=ReferralStatus.TAKEN_UP)),  # closed + referral
    ]
    await w.feed(*events)
    return {"v1": v1, "v2": v2, "a": a, "b": b, "events": events}


async def test_a_month_of_work_becomes_priced_lines_and_a_statement(outcomes_pool, outcomes_client, outcomes_as,
                                                                    march) -> None:
    got = {(kind, str(case)[:8], str(occurred)[:13]): (amount, str(tv)) for _, kind, amount, tv, _, occurred, _, case
           in await lines(outcomes_pool)}
    a, b, v1, v2 = str(march["a"].data.case_id)[:8], str(march["b"].data.case_id)[:8], march["v1"], march["v2"]
    assert got == {
        ("successful_contact", a, "2026-03-10 10"): (1000, v1),
        ("case_closed", a, "2026-03-12 10"): (4000, v1),
        ("payment_plan", a, "2026-03-12 10"): (1500, v1),
        ("visit", b, "2026-03-14 22"): (2000, v1),
        ("visit", b, "2026-03-14 23"): (2600, v2),
        ("successful_contact", b, "2026-03-20 10"): (1100, v2),
        ("visit", b, "2026-03-20 10"): (2600, v2),
        ("case_closed", b, "2026-03-21 10"): (5000, v2),
        ("referral_taken_up", b, "2026-03-21 10"): (2100, v2),
    }
    s = (await outcomes_client.get("/v1/partners/acme/statements/2026-03", headers=outcomes_as("finance"))).json()
    assert s["subtotal_cents"] == 1000 + 4000 + 1500 + 2000 + 2600 + 1100 + 2600 + 5000 + 2100 == 21900
    assert (s["vat_rate_bp"], s["vat_cents"], s["total_cents"]) == (2000, 4380, 26280)
    assert s["counts_by_kind"] == {"case_closed": 2, "payment_plan": 1, "referral_taken_up": 1,
                                   "successful_contact": 2, "visit": 3}
    assert sum(x["amount_cents"] for x in s["lines"]) == s["subtotal_cents"] and s["unpriced_count"] == 0
    first = s["lines"][0]
    contact_event = march["events"][5]
    assert first["kind"] == "successful_contact" and first["evidence_event_ids"] == [str(contact_event.id)]
    assert first["line_id"] == str(derived_id("successful_contact", contact_event.id)) and first["unpriced"] is False


async def test_every_new_line_is_published_once_with_its_line_id_as_event_id(outcomes_pool, march) -> None:
    stored = await lines(outcomes_pool)
    published = await published_lines(outcomes_pool)
    assert sorted(e for e, _, _ in published) == sorted(row[0] for row in stored)
    for event_id, key, event in published:
        assert event.id == event_id == event.data.line_id and key == str(event.data.case_id) == event.subject
        assert event.type == "relais.billing.line_recorded.v1" and event.source == "/relais/outcomes"
        assert event.data.period == "2026-03" and len(event.data.evidence_event_ids) == 1


async def test_redelivery_changes_nothing(outcomes_pool, outcomes_world, march) -> None:
    before, outbox_before = await lines(outcomes_pool), await published_lines(outcomes_pool)
    await outcomes_world.feed(*march["events"], record=False)                   # the whole lot again, one batch
    for event in march["events"]:
        await outcomes_world.feed(event, record=False)                          # and one by one
    assert await lines(outcomes_pool) == before
    assert [e for e, _, _ in await published_lines(outcomes_pool)] == [e for e, _, _ in outbox_before]
    claimed = dict(await outcomes_pool.fetch("SELECT consumer, count(*) FROM processed_events GROUP BY consumer"))
    # The projections claim their events; billing needs no claim: a line's id derives from its evidence event.
    assert claimed == {"outcomes.cases.opened": 2, "outcomes.campaigns.assignments": 2}


async def test_a_full_replay_reproduces_the_same_lines_and_totals(outcomes_pool, outcomes_client, outcomes_as,
                                                                  outcomes_world, march) -> None:
    before = await lines(outcomes_pool)
    statement = (await outcomes_client.get("/v1/partners/acme/statements/2026-03",
                                           headers=outcomes_as("finance"))).json()
    usage = await tariff_usage(outcomes_pool)
    assert usage and usage == dict(await outcomes_pool.fetch(  # counted as the lines went in, line for line
        "SELECT tariff_version_id, count(*) FROM billing_lines WHERE tariff_version_id IS NOT NULL GROUP BY 1"))
    # Everything but the tariffs is forgotten, as if the worker were rebuilt from the topics.
    await outcomes_pool.execute(f"TRUNCATE {SCHEMA}.billing_lines, {SCHEMA}.tariff_version_lines, "
                                f"{SCHEMA}.invoice_lines, {SCHEMA}.system_outcomes, "
                                f"{SCHEMA}.processed_events, {SCHEMA}.outbox, {SCHEMA}.holders, {SCHEMA}.outcomes, "
                                f"{SCHEMA}.cases CASCADE")
    for topic, raw in outcomes_world.fed:                                       # one event per batch this time
        await outcomes_world.feed((topic, raw), record=False)
    assert await lines(outcomes_pool) == before
    replayed = (await outcomes_client.get("/v1/partners/acme/statements/2026-03",
                                          headers=outcomes_as("finance"))).json()
    assert replayed == statement
    assert await tariff_usage(outcomes_pool) == usage
    assert len(await published_lines(outcomes_pool)) == len(before)


async def test_a_correction_bills_only_what_the_case_had_not_earned(outcomes_pool, outcomes_world,
                                                                   outcomes_tariff) -> None:
    await outcomes_tariff("2026-03-01", **OLD)
    w = outcomes_world
    c = w.opened("R-C")
    refused = w.resolved(c, at(5), OutcomeType.REFUSED)
    plan = PaymentPlan(instalments=1, first_due_date=date(2026, 4, 1), instalment_amounts_cents=[100])
    corrected = w.resolved(c, at(6), OutcomeType.PAYMENT_PLAN, payment_plan=plan,
                           supersedes_outcome_id=refused.data.outcome_id, correction_reason="plan agreed after all")
    await w.feed(c, refused)
    await w.feed(corrected)
    got = [(kind, amount, evidence) for _, kind, amount, _, _, _, evidence, _ in await lines(outcomes_pool)]
    assert got == [("case_closed", 4000, [refused.id]), ("payment_plan", 1500, [corrected.id])]
    assert len(await published_lines(outcomes_pool)) == 2


async def test_a_recall_bills_nothing(outcomes_pool, outcomes_world, outcomes_tariff) -> None:
    await outcomes_tariff("2026-03-01", **OLD)
    c = outcomes_world.opened("R-R")
    await outcomes_world.feed(c, outcomes_world.resolved(c, at(5), OutcomeType.RECALLED))
    assert await lines(outcomes_pool) == [] and await published_lines(outcomes_pool) == []


async def test_work_without_a_tariff_is_recorded_unpriced(outcomes_pool, outcomes_client, outcomes_as,
                                                          outcomes_world, outcomes_tariff) -> None:
    c = outcomes_world.opened("R-U", partner_id="newco")
    await outcomes_world.feed(c, outcomes_world.attempt(c, at(2), channel=Channel.DOOR_TO_DOOR))
    rows = await lines(outcomes_pool, "newco")
    assert [(kind, amount, tv) for _, kind, amount, tv, *_ in rows] == [("successful_contact", 0, None),
                                                                        ("visit", 0, None)]
    await outcomes_tariff("2026-03-10", partner_id="newco", **OLD)             # signed later: no repricing
    s = (await outcomes_client.get("/v1/partners/newco/statements/2026-03", headers=outcomes_as("finance"))).json()
    assert [x["unpriced"] for x in s["lines"]] == [True, True] and s["unpriced_count"] == 2
    assert (s["subtotal_cents"], s["vat_rate_bp"], s["total_cents"]) == (0, 2000, 0)
    assert all(e.data.tariff_version_id is None for _, _, e in await published_lines(outcomes_pool))


async def test_poison_in_a_batch_is_skipped_and_the_rest_applied(outcomes_pool, outcomes_world,
                                                                 outcomes_tariff) -> None:
    await outcomes_tariff("2026-03-01", **OLD)
    c = outcomes_world.opened("R-P")
    good = outcomes_world.attempt(c, at(4))
    await outcomes_world.feed((Topics.ATTEMPTS, b"\x00garbage"), (Topics.ATTEMPTS, b'{"id": 1}'), good)
    assert [kind for _, kind, *_ in await lines(outcomes_pool)] == ["successful_contact"]
    assert len(await published_lines(outcomes_pool)) == 1


async def test_a_line_at_paris_midnight_goes_to_the_next_month(outcomes_pool, outcomes_world, outcomes_tariff) -> None:
    await outcomes_tariff("2026-03-01", **OLD)
    c = outcomes_world.opened("R-M")
    await outcomes_world.feed(c, outcomes_world.attempt(c, datetime(2026, 3, 31, 22, 30, tzinfo=UTC)))
    ((_, _, _, _, period, *_),) = await lines(outcomes_pool)
    assert period == "2026-04"


async def test_an_outcome_recorded_over_http_is_billed_from_its_published_event(
        outcomes_pool, outcomes_client, outcomes_as, outcomes_world, outcomes_tariff) -> None:
    await outcomes_tariff("2026-03-01", **OLD)
    c = outcomes_world.opened("R-H")
    await outcomes_world.feed(c, outcomes_world.assigned(c))
    r = await outcomes_client.post(f"/v1/cases/{c.data.case_id}/outcome", headers=outcomes_as("agent"),
                                   json={"type": "paid", "resolved_at": "2026-03-18T09:00:00Z", "note": "n"})
    assert r.status_code == 201, r.text
    raw = await outcomes_pool.fetchval("SELECT value FROM outbox_events WHERE topic = $1", Topics.OUTCOMES_RESOLVED)
    await outcomes_world.feed((Topics.OUTCOMES_RESOLVED, raw))
    await outcomes_world.feed((Topics.OUTCOMES_RESOLVED, raw))
    ((line_id, kind, amount, _, period, _, evidence, _),) = await lines(outcomes_pool)
    assert (kind, amount, period) == ("case_closed", 4000, "2026-03")
    assert [str(e) for e in evidence] == [r.json()["outcome_id"]]
    assert line_id == derived_id("case_closed", r.json()["outcome_id"])


async def test_an_attempt_without_a_time_zone_is_skipped_and_the_batch_goes_on(outcomes_pool, outcomes_world,
                                                                                outcomes_tariff) -> None:
    await outcomes_tariff("2026-03-01", **OLD)
    c = outcomes_world.opened("R-Z")
    naive = outcomes_world.attempt(c, datetime(2026, 3, 4, 10))  # the contract accepts it; its Paris day is unknown
    good = outcomes_world.attempt(c, at(4))
    await outcomes_world.feed(naive, good)
    assert [evidence for *_, evidence, _ in await lines(outcomes_pool)] == [[good.id]]
