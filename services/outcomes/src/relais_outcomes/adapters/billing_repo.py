"""Repository of billing lines: idempotent inserts keyed by line_id, and a month's lines per partner."""

from __future__ import annotations

import functools
import uuid
from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple

import asyncpg

from relais_outcomes.adapters.tariffs_repo import FEE_COLUMNS
from relais_outcomes.domain.billing import BillableWork, BillingLine
from relais_outcomes.domain.calendar import BILLING_ZONE
from relais_outcomes.domain.tariffs import Price, TariffIndex
from relais_platform.contracts import BillingKind
from relais_platform.db import copy_if_new

COLUMNS = ("line_id, partner_id, case_id, campaign_id, kind, amount_cents, tariff_version_id, period, "
            "occurred_at, evidence_event_ids")


class PricedLine(NamedTuple):
    """What pricing gave a line that was really added (the rest is its BillableWork)."""

    line_id: str  # as text, as its BillableWork holds it
    amount_cents: int
    tariff_version_id: str | None
    period: str


_FEE_OF_KIND = "CASE w.kind " + " ".join(f"WHEN '{k}' THEN v.{c}" for k, c in FEE_COLUMNS.items()) + " END"
_PARIS_TIME = f"(w.occurred_at AT TIME ZONE '{BILLING_ZONE.key}')"

# A chunk with a line already there (`insert_new_lines` COPYs the others) takes one statement (its lines as arrays,
# one per BillableWork field): share-lock the tariffs of the chunk's partners (a version cannot be replaced while it
# prices lines), price each line with the version in force on its Paris calendar day (the latest effective_from on
# or before it; none: unpriced at 0), insert in batch order, count the lines each version priced
# (tariff_version_lines) and return what was really added.
# ON CONFLICT DO NOTHING skips a redelivered or replayed line (its line_id derives from the evidence event) and a
# second once-per-case line (billing_lines_once_per_case), as domain/billing.py says: the lines dedupe themselves,
# so the billing consumers keep no processed_events rows (a fifth of the database's work per event).
PRICE_AND_INSERT = f"""
WITH work AS (
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::uuid[], $6::uuid[], $7::timestamptz[])
        WITH ORDINALITY AS w(line_id, kind, evidence_event_id, partner_id, case_id, campaign_id, occurred_at, n)
), locked AS MATERIALIZED (
    SELECT tariff_version_id, partner_id, effective_from, {", ".join(FEE_COLUMNS.values())} FROM tariff_versions
    WHERE partner_id IN (SELECT partner_id FROM work) FOR SHARE
), versions AS (
    SELECT *, lead(effective_from) OVER (PARTITION BY partner_id ORDER BY effective_from) AS until FROM locked
), added AS (
    INSERT INTO billing_lines ({COLUMNS})
    SELECT w.line_id, w.partner_id, w.case_id, w.campaign_id, w.kind, coalesce({_FEE_OF_KIND}, 0),
           v.tariff_version_id, to_char({_PARIS_TIME}, 'YYYY-MM'), w.occurred_at, ARRAY[w.evidence_event_id]
    FROM work w
    LEFT JOIN versions v ON v.partner_id = w.partner_id AND v.effective_from <= {_PARIS_TIME}::date
                        AND (v.until IS NULL OR {_PARIS_TIME}::date < v.until)
    ORDER BY w.n
    ON CONFLICT DO NOTHING RETURNING line_id, amount_cents, tariff_version_id, period
), counted AS (
    INSERT INTO tariff_version_lines (tariff_version_id, lines)
    SELECT tariff_version_id, count(*) FROM added WHERE tariff_version_id IS NOT NULL GROUP BY tariff_version_id
)
SELECT line_id::text, amount_cents, tariff_version_id::text, period FROM added
"""


async def price_and_insert(conn: asyncpg.Connection, *, work: Sequence[BillableWork]) -> list[PricedLine]:
    """Insert the priced lines of `work` that are not there yet; returns the lines really added."""
    if not work:
        return []
    return [PricedLine(*r) for r in await conn.fetch(PRICE_AND_INSERT, *zip(*work, strict=True))]


_COLUMN_NAMES = [column.strip() for column in COLUMNS.split(",")]
_COUNT_LINES = ("INSERT INTO tariff_version_lines (tariff_version_id, lines) "
                "SELECT * FROM unnest($1::uuid[], $2::integer[])")


@functools.lru_cache(maxsize=1024)
def _version_text(price: Price) -> str | None:  # a few prices serve a whole batch
    return str(price.tariff_version_id) if price.tariff_version_id else None


async def insert_new_lines(conn: asyncpg.Connection, *, work: Sequence[BillableWork],
                           tariffs: TariffIndex) -> list[PricedLine]:
    """`price_and_insert` for work whose lines are expected new (a first delivery): priced here with `tariffs`
    (the partners' versions, share-locked by the caller) exactly as PRICE_AND_INSERT prices them, COPYed straight
    into billing_lines, then counted into tariff_version_lines. When one of the lines exists (a redelivery, a
    replay, a second once-per-case line) the COPY is undone and the chunk goes through PRICE_AND_INSERT, which
    skips the lines already there."""
    if not work:
        return []
    rows, priced, counts = [], [], Counter[uuid.UUID]()
    for w in work:
        amount, version_id, period = price = tariffs.price(w.partner_id, w.kind, w.occurred_at)
        if version_id is not None:
            counts[version_id] += 1
        rows.append((w.line_id, w.partner_id, w.case_id, w.campaign_id, w.kind, amount, version_id, period,
                     w.occurred_at, [w.evidence_event_id]))
        priced.append(PricedLine(w.line_id, amount, _version_text(price), period))
    if not await copy_if_new(conn, "billing_lines", _COLUMN_NAMES, rows):
        return await price_and_insert(conn, work=work)
    if counts:
        await conn.execute(_COUNT_LINES, list(counts), list(counts.values()))
    return priced


def line_of(row: asyncpg.Record) -> BillingLine:
    return BillingLine(
        line_id=row["line_id"], partner_id=row["partner_id"], case_id=row["case_id"],
        campaign_id=row["campaign_id"], kind=BillingKind(row["kind"]), amount_cents=row["amount_cents"],
        tariff_version_id=row["tariff_version_id"], period=row["period"], occurred_at=row["occurred_at"],
        evidence_event_ids=tuple(row["evidence_event_ids"]),
    )
