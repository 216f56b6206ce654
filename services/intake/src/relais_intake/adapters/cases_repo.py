"""Cases in PostgreSQL: opened in bulk, a whole chunk COPYed into a staging table and inserted by one statement."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import asyncpg
import orjson

from relais_intake.domain.validation import ValidCase
from relais_platform.db import copy_to_scratch

STAGING = "intake_cases_staging"
# The session's staging table: a chunk of cases is COPied in (binary, no per-value array encoding) and inserted
# from there in one statement. JSON travels as text, cast once on the server.
_STAGING_COLUMNS = (("case_id", "uuid"), ("external_ref", "text"), ("first_name", "text"), ("last_name", "text"),
                    ("phone_e164", "text"), ("phone_kind", "text"), ("address", "text"), ("postcode", "text"),
                    ("department", "text"), ("time_zone", "text"), ("amount_due_cents", "bigint"),
                    ("debt_since", "date"), ("extra", "text"))
_INSERT = f"""
INSERT INTO cases (case_id, campaign_id, partner_id, external_ref, first_name, last_name, phone_e164, phone_kind,
                   address, postcode, department, time_zone, amount_due_cents, debt_since, extra,
                   submission_id, opened_at)
SELECT c.case_id, $1, $2, c.external_ref, c.first_name, c.last_name, c.phone_e164, c.phone_kind,
       c.address::jsonb, c.postcode, c.department, c.time_zone, c.amount_due_cents, c.debt_since, c.extra::jsonb,
       $3, $4
FROM {STAGING} c
"""
_INSERT_NEW = _INSERT + "ON CONFLICT DO NOTHING RETURNING external_ref"


async def stage_cases(*, conn: asyncpg.Connection, records: Sequence[tuple[object, ...]]) -> None:
    """COPY a chunk's cases (`case_record`s) into the session's staging table, emptied first."""
    await copy_to_scratch(conn, STAGING, _STAGING_COLUMNS, records)


async def insert_staged(*, conn: asyncpg.Connection, campaign_id: uuid.UUID, partner_id: str,
                        submission_id: uuid.UUID, opened_at: datetime) -> None:
    """Insert the staged cases, all expected new (in `relais_platform.db.as_new`): no ON CONFLICT probe of both
    unique indexes before each row (a third of the statement); a unique violation when one is there already."""
    await conn.execute(_INSERT, campaign_id, partner_id, submission_id, opened_at)


async def insert_staged_skipping_known(*, conn: asyncpg.Connection, campaign_id: uuid.UUID, partner_id: str,
                                       submission_id: uuid.UUID, opened_at: datetime) -> set[str]:
    """Insert the staged cases not in the campaign already; the external_refs actually opened (a reference sent
    by a concurrent submission is thus a duplicate rather than an error)."""
    rows = await conn.fetch(_INSERT_NEW, campaign_id, partner_id, submission_id, opened_at)
    return {r["external_ref"] for r in rows}


def case_record(case: ValidCase, case_id: str) -> tuple[object, ...]:
    """The row of a case to open (without what the whole batch shares: campaign, submission, time)."""
    phone, address = case.phone, case.address
    return (case_id, case.external_ref, case.first_name, case.last_name, phone.e164 if phone else None,
            phone.kind if phone else None, orjson.dumps(address.as_dict()).decode() if address else None,
            case.postcode, case.department, case.time_zone, case.amount_due_cents, case.debt_since,
            orjson.dumps(case.extra).decode())


async def open_in_other_campaigns(*, conn: asyncpg.Connection, partner_id: str, campaign_id: uuid.UUID,
                                  refs: Sequence[str]) -> dict[str, str]:
    """Of `refs`, those open in another active or paused campaign of the partner, with that campaign's id."""
    if not refs:
        return {}
    rows = await conn.fetch(  # through the partner's other live campaigns: no case is read when there are none
        "SELECT DISTINCT ON (c.external_ref) c.external_ref, c.campaign_id FROM campaigns k "
        "JOIN cases c ON c.campaign_id = k.campaign_id AND c.external_ref = ANY($2::text[]) "
        "WHERE k.partner_id = $1 AND k.campaign_id <> $3 AND k.status IN ('active', 'paused') AND c.status = 'open' "
        "ORDER BY c.external_ref, c.campaign_id",
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
