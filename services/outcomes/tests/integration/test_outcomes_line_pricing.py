"""Property: the pricing of billing lines — COPYed in for a chunk of new lines, inserted skipping the known ones for a
chunk with lines already there — prices every line exactly as the domain function does — the tariff
version in force on the Paris calendar day of the work (effective-dated, past days keep their version, no
version: unpriced at 0), the fee of the line's kind, the Paris billing month — for generated tariffs and
events around month ends and daylight-saving changes, fed in batches with redeliveries."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relais_outcomes.adapters.tariffs_repo import save_version, tariffs_of
from relais_outcomes.bootstrap import SCHEMA
from relais_outcomes.domain.billing import billable_lines_for_attempt, billable_lines_for_resolution
from relais_outcomes.domain.calendar import BILLING_ZONE
from relais_outcomes.domain.tariffs import Tariff, tariff_at
from relais_platform.contracts import (
    AttemptResult,
    BillingKind,
    Channel,
    OutcomeType,
    Referral,
    ReferralStatus,
    ReferralTarget,
)
from relais_platform.testing import truncate_all

PARTNERS = ("acme", "zeta")
# Paris month ends and both daylight-saving changes of 2026 (29 March, 25 October), where the UTC and the
# Paris calendar days differ.
WINDOWS = (datetime(2026, 3, 27, tzinfo=UTC), datetime(2026, 10, 23, tzinfo=UTC), datetime(2026, 12, 30, tzinfo=UTC))
# Mostly within two hours of a Paris midnight (where a day, a month and a tariff version change), some anywhere.
near_midnight = st.builds(
    lambda base, days, minutes: (datetime.combine(base.date() + timedelta(days=days), time(0), BILLING_ZONE)
                                 + timedelta(minutes=minutes)).astimezone(UTC),
    st.sampled_from(WINDOWS), st.integers(0, 3), st.integers(-120, 120))
anywhere = st.builds(lambda base, minutes: base + timedelta(minutes=minutes), st.sampled_from(WINDOWS),
                     st.integers(0, 7 * 24 * 60))
instants = st.one_of(near_midnight, near_midnight, anywhere)
versions = st.lists(st.tuples(st.integers(0, 4), st.sampled_from(WINDOWS),
                              st.fixed_dictionaries({k: st.integers(0, 99_999) for k in BillingKind})),
                    max_size=4, unique_by=lambda v: (v[0], v[1]))


@st.composite
def work(draw: st.DrawFn, world) -> list:
    events = []
    for n in range(draw(st.integers(1, 6))):
        opened = world.opened(f"S-{n}", partner_id=draw(st.sampled_from(PARTNERS)))
        for _ in range(draw(st.integers(0, 3))):
            events.append(world.attempt(opened, draw(instants), result=draw(st.sampled_from(list(AttemptResult))),
                                        channel=draw(st.sampled_from(list(Channel)))))
        if draw(st.booleans()):
            outcome = draw(st.sampled_from([OutcomeType.PAID, OutcomeType.REFERRED, OutcomeType.RECALLED]))
            referral = Referral(target=ReferralTarget.FSL, status=ReferralStatus.TAKEN_UP) \
                if outcome == OutcomeType.REFERRED else None
            events.append(world.resolved(opened, draw(instants), outcome, referral=referral))
    return events


async def _save_tariffs(pool, drawn: dict[str, list]) -> dict[str, list[Tariff]]:
    async with pool.acquire() as conn:
        for partner, partner_versions in drawn.items():
            for offset, window, fees in partner_versions:
                await save_version(conn, tariff=Tariff(
                    tariff_version_id=uuid.uuid4(), partner_id=partner, vat_rate_bp=2000, created_by="test",
                    effective_from=window.date() + timedelta(days=offset), fees=fees))
        return await tariffs_of(conn, partner_ids=list(PARTNERS))


def _expected(events: list, tariffs: dict[str, list[Tariff]]) -> set[tuple]:
    lines = set()
    for e in events:
        if e.type.endswith("attempt_recorded.v1"):
            found = billable_lines_for_attempt(e, tariff_at(tariffs[e.data.partner_id], e.data.attempted_at))
        else:
            found = billable_lines_for_resolution(e, tariff_at(tariffs[e.data.partner_id], e.data.resolved_at))
        lines |= {(x.line_id, str(x.kind), x.amount_cents, x.tariff_version_id, x.period, x.occurred_at,
                   x.evidence_event_ids) for x in found}
    return lines


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), acme=versions, zeta=versions, batch=st.integers(1, 9))
async def test_line_pricing_is_the_domain_pricing(outcomes_pool, outcomes_world, data, acme, zeta, batch) -> None:
    await truncate_all(outcomes_pool, SCHEMA)
    tariffs = await _save_tariffs(outcomes_pool, {"acme": acme, "zeta": zeta})
    events = data.draw(work(outcomes_world))
    delivered = events + events[: len(events) // 2]  # redeliveries, some in the same batch
    for start in range(0, len(delivered), batch):
        await outcomes_world.feed(*delivered[start:start + batch], record=False)
    rows = await outcomes_pool.fetch("SELECT line_id, kind, amount_cents, tariff_version_id, period, occurred_at, "
                                     "evidence_event_ids FROM billing_lines")
    got = {(r["line_id"], r["kind"], r["amount_cents"], r["tariff_version_id"], r["period"], r["occurred_at"],
            tuple(r["evidence_event_ids"])) for r in rows}
    assert got == _expected(events, tariffs)
    usage = await outcomes_pool.fetch("SELECT tariff_version_id, sum(lines) AS n FROM tariff_version_lines GROUP BY 1")
    recount = await outcomes_pool.fetch("SELECT tariff_version_id, count(*) AS n FROM billing_lines "
                                        "WHERE tariff_version_id IS NOT NULL GROUP BY 1")
    assert {(r["tariff_version_id"], r["n"]) for r in usage} == {(r["tariff_version_id"], r["n"]) for r in recount}


async def test_a_tariff_version_is_never_deleted_nor_renumbered(outcomes_pool) -> None:
    """Lines name the version that priced them without a foreign key (they are priced where they are inserted):
    the schema keeps every version instead."""
    await truncate_all(outcomes_pool, SCHEMA)
    tariffs = await _save_tariffs(outcomes_pool, {"acme": [(0, WINDOWS[0], {k: 100 for k in BillingKind})]})
    version = tariffs["acme"][0].tariff_version_id
    for statement, args in (("DELETE FROM tariff_versions WHERE tariff_version_id = $1", (version,)),
                            ("UPDATE tariff_versions SET tariff_version_id = $2 WHERE tariff_version_id = $1",
                             (version, uuid.uuid4()))):
        with pytest.raises(asyncpg.RestrictViolationError, match="kept for good"):
            await outcomes_pool.execute(statement, *args)
    assert await outcomes_pool.fetchval("SELECT count(*) FROM tariff_versions") == 1
