"""Repository of billing lines: idempotent inserts keyed by line_id, and a month's lines per partner."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple

import asyncpg

from relais_outcomes.domain.billing import BillableWork, BillingLine
from relais_outcomes.domain.tariffs import Price, TariffIndex
from relais_platform.contracts import BillingKind
from relais_platform.db import insert_new_rows

# A billing line's columns, with the type each has in staging.
_LINE_COLUMNS = (("line_id", "uuid"), ("partner_id", "text"), ("case_id", "uuid"), ("campaign_id", "uuid"),
                 ("kind", "text"), ("amount_cents", "bigint"), ("tariff_version_id", "uuid"), ("period", "text"),
                 ("occurred_at", "timestamptz"), ("evidence_event_ids", "uuid[]"))
COLUMNS = ", ".join(column for column, _ in _LINE_COLUMNS)
_COUNT_LINES = ("INSERT INTO tariff_version_lines (tariff_version_id, lines) "
                "SELECT * FROM unnest($1::uuid[], $2::integer[])")


class PricedLine(NamedTuple):
    """What pricing gave a line that was really added (the rest is its BillableWork)."""

    line_id: str  # as text, as its BillableWork holds it
    amount_cents: int
    tariff_version_id: str | None
    period: str


@functools.lru_cache(maxsize=1024)
def _version_text(price: Price) -> str | None:  # a few prices serve a whole batch
    return str(price.tariff_version_id) if price.tariff_version_id else None


async def insert_lines(conn: asyncpg.Connection, *, work: Sequence[BillableWork],
                       tariffs: TariffIndex) -> list[PricedLine]:
    """Price `work` with `tariffs` (the partners' versions, share-locked by the caller: none can be replaced while
    it prices lines), insert the lines not there yet in `work`'s order and count them into tariff_version_lines
    (what `lines_priced` sums); returns the lines really added.

    A chunk of new lines is COPYed straight in. A line already there — a redelivered or replayed event (a line's id
    derives from its evidence event), a second once-per-case line (billing_lines_once_per_case) — is skipped, as
    domain/billing.py says: the lines dedupe themselves, so the billing consumers keep no processed_events rows."""
    if not work:
        return []
    prices = [tariffs.price(w.partner_id, w.kind, w.occurred_at) for w in work]
    rows = [(w.line_id, w.partner_id, w.case_id, w.campaign_id, w.kind, p.amount_cents, p.tariff_version_id,
             p.period, w.occurred_at, [w.evidence_event_id]) for w, p in zip(work, prices, strict=True)]
    inserted = await insert_new_rows(conn, "billing_lines", _LINE_COLUMNS, rows, returning="line_id::text")
    added = [(w, p) for w, p in zip(work, prices, strict=True) if inserted is None or w.line_id in inserted]
    counts = Counter(p.tariff_version_id for _, p in added if p.tariff_version_id is not None)
    if counts:
        await conn.execute(_COUNT_LINES, list(counts), list(counts.values()))
    return [PricedLine(w.line_id, p.amount_cents, _version_text(p), p.period) for w, p in added]


def line_of(row: asyncpg.Record) -> BillingLine:
    return BillingLine(
        line_id=row["line_id"], partner_id=row["partner_id"], case_id=row["case_id"],
        campaign_id=row["campaign_id"], kind=BillingKind(row["kind"]), amount_cents=row["amount_cents"],
        tariff_version_id=row["tariff_version_id"], period=row["period"], occurred_at=row["occurred_at"],
        evidence_event_ids=tuple(row["evidence_event_ids"]),
    )
