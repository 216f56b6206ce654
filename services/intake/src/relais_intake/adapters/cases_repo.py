"""Cases in PostgreSQL: opened in bulk, one statement for a whole batch."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime

import asyncpg

from relais_intake.domain.validation import ValidCase

_INSERT = """
INSERT INTO cases (case_id, campaign_id, partner_id, external_ref, first_name, last_name, phone_e164, phone_kind,
                   address, postcode, department, time_zone, amount_due_cents, debt_since, extra,
                   submission_id, opened_at)
SELECT c.case_id, $1, $2, c.external_ref, c.first_name, c.last_name, c.phone_e164, c.phone_kind,
       c.address, c.postcode, c.department, c.time_zone, c.amount_due_cents, c.debt_since, c.extra, $3, $4
FROM unnest($5::uuid[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::jsonb[],
            $12::text[], $13::text[], $14::text[], $15::bigint[], $16::date[], $17::jsonb[])
     AS c(case_id, external_ref, first_name, last_name, phone_e164, phone_kind, address,
          postcode, department, time_zone, amount_due_cents, debt_since, extra)
ON CONFLICT DO NOTHING
RETURNING external_ref
"""


async def open_cases(*, conn: asyncpg.Connection, campaign_id: uuid.UUID, partner_id: str, submission_id: uuid.UUID,
                     cases: Sequence[ValidCase], case_ids: Mapping[str, uuid.UUID], opened_at: datetime) -> set[str]:
    """Insert the cases not already in the campaign; returns the external_refs actually opened.

    ON CONFLICT makes a concurrent submission of the same reference a duplicate rather than an error.
    """
    if not cases:
        return set()
    columns: list[list[object]] = [[] for _ in range(13)]
    for case in cases:
        values = (
            case_ids[case.external_ref], case.external_ref, case.first_name, case.last_name,
            case.phone.e164 if case.phone else None, case.phone.kind if case.phone else None,
            case.address.as_dict() if case.address else None, case.postcode, case.department, case.time_zone,
            case.amount_due_cents, case.debt_since, case.extra,
        )
        for column, value in zip(columns, values, strict=True):
            column.append(value)
    rows = await conn.fetch(_INSERT, campaign_id, partner_id, submission_id, opened_at, *columns)
    return {r["external_ref"] for r in rows}


async def open_in_other_campaigns(*, conn: asyncpg.Connection, partner_id: str, campaign_id: uuid.UUID,
                                  refs: Sequence[str]) -> dict[str, str]:
    """Of `refs`, those open in another active or paused campaign of the partner, with that campaign's id."""
    if not refs:
        return {}
    rows = await conn.fetch(
        "SELECT DISTINCT ON (c.external_ref) c.external_ref, c.campaign_id FROM cases c "
        "JOIN campaigns k ON k.campaign_id = c.campaign_id "
        "WHERE c.partner_id = $1 AND c.external_ref = ANY($2::text[]) AND c.campaign_id <> $3 "
        "  AND c.status = 'open' AND k.status IN ('active', 'paused')",
        partner_id, list(refs), campaign_id,
    )
    return {r["external_ref"]: str(r["campaign_id"]) for r in rows}


async def recall_case(*, conn: asyncpg.Connection, campaign_id: uuid.UUID, external_ref: str, reason: str | None,
                      now: datetime) -> asyncpg.Record | None:
    """Mark the case recalled (a second recall keeps the first's time and reason); None if there is no such case."""
    return await conn.fetchrow(
        "UPDATE cases SET status = 'recalled', recalled_at = coalesce(recalled_at, $3), "
        " recall_reason = CASE WHEN recalled_at IS NULL THEN $4 ELSE recall_reason END "
        "WHERE campaign_id = $1 AND external_ref = $2 "
        "RETURNING case_id, partner_id, campaign_id, external_ref, status, recalled_at, recall_reason",
        campaign_id, external_ref, now, reason,
    )
