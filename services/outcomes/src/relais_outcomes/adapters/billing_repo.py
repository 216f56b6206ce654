"""Repository of billing lines: idempotent inserts keyed by line_id, and a month's lines per partner."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import asyncpg

from relais_outcomes.domain.billing import BillingLine
from relais_platform.contracts import BillingKind

COLUMNS = ("line_id, partner_id, case_id, campaign_id, kind, amount_cents, tariff_version_id, period, "
            "occurred_at, evidence_event_ids")


async def insert_new_lines(conn: asyncpg.Connection, *, lines: Sequence[BillingLine]) -> list[BillingLine]:
    """Insert lines in the given order; return those actually added.

    A line whose id exists (a replay) is skipped, and so is a second case_closed, payment_plan or
    referral_taken_up line for a case (a correction): ON CONFLICT DO NOTHING covers both unique indexes.
    """
    if not lines:
        return []
    rows = await conn.fetch(
        f"INSERT INTO billing_lines ({COLUMNS}) "
        "SELECT l, p, c, cp, k, a, t, pe, o, string_to_array(e, ',')::uuid[] FROM unnest("
        "$1::uuid[], $2::text[], $3::uuid[], $4::uuid[], $5::text[], $6::bigint[], $7::uuid[], $8::text[], "
        "$9::timestamptz[], $10::text[]) WITH ORDINALITY AS x(l, p, c, cp, k, a, t, pe, o, e, n) ORDER BY n "
        "ON CONFLICT DO NOTHING RETURNING line_id",
        [x.line_id for x in lines], [x.partner_id for x in lines], [x.case_id for x in lines],
        [x.campaign_id for x in lines], [str(x.kind) for x in lines], [x.amount_cents for x in lines],
        [x.tariff_version_id for x in lines], [x.period for x in lines], [x.occurred_at for x in lines],
        [",".join(map(str, x.evidence_event_ids)) for x in lines],
    )
    added = {r["line_id"] for r in rows}
    return [x for x in lines if x.line_id in added]


def line_of(row: asyncpg.Record) -> BillingLine:
    return BillingLine(
        line_id=row["line_id"], partner_id=row["partner_id"], case_id=row["case_id"],
        campaign_id=row["campaign_id"], kind=BillingKind(row["kind"]), amount_cents=row["amount_cents"],
        tariff_version_id=row["tariff_version_id"], period=row["period"], occurred_at=row["occurred_at"],
        evidence_event_ids=tuple(row["evidence_event_ids"]),
    )


async def lines_of_period(conn: asyncpg.Connection, *, partner_id: str, period: str) -> list[BillingLine]:
    """A partner's lines for a billing month, in the order the work happened."""
    rows = await conn.fetch(
        f"SELECT {COLUMNS} FROM billing_lines WHERE partner_id = $1 AND period = $2 ORDER BY occurred_at, line_id",
        partner_id, period,
    )
    return [line_of(r) for r in rows]


async def lines_of_case(conn: asyncpg.Connection, *, case_id: uuid.UUID) -> list[BillingLine]:
    """Every line billed for one case, in the order the work happened."""
    rows = await conn.fetch(
        f"SELECT {COLUMNS} FROM billing_lines WHERE case_id = $1 ORDER BY occurred_at, line_id", case_id,
    )
    return [line_of(r) for r in rows]
