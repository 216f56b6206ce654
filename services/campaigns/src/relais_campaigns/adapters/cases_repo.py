"""The case projection in PostgreSQL: insertion, the site queues, who holds what."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

import asyncpg

from relais_campaigns.domain.model import CaseSnapshot, CaseStatus, Holding, QueuedCase
from relais_platform.contracts import Channel
from relais_platform.db import insert_new_rows

HOLDING = "case_id, partner_id, campaign_id, status, site_id, agent_id, assignment_version"
_QUEUED = "case_id, site_id, channel, campaign_priority, amount_due_cents, opened_at"


class NewCase(NamedTuple):
    """One new row of the case projection (field order = insert order)."""

    case_id: uuid.UUID
    partner_id: str
    campaign_id: uuid.UUID
    external_ref: str
    first_name: str
    last_name: str
    phone_e164: str | None
    phone_kind: str | None
    address: dict[str, Any] | None  # as CaseOpened gives it (the pool's codec writes its JSON)
    postcode: str | None
    department: str
    time_zone: str
    amount_due_cents: int
    campaign_priority: int
    debt_since: date | None
    campaign_ends_on: date | None
    channel: Channel
    status: CaseStatus
    site_id: str | None
    agent_id: str | None
    assignment_version: int  # 2 when assigned on arrival: arrival then assignment, as if queued first
    assigned_at: datetime | None
    opened_at: datetime
    resolved_at: datetime | None
    outcome: str | None
    person_key: str  # domain.person.person_key: the contact limits count the person across cases


# The columns of a new case: NewCase's fields, in order (a unit test holds it), with the type each has in staging.
_ARRIVALS = (("case_id", "uuid"), ("partner_id", "text"), ("campaign_id", "uuid"), ("external_ref", "text"),
             ("first_name", "text"), ("last_name", "text"), ("phone_e164", "text"), ("phone_kind", "text"),
             ("address", "json"), ("postcode", "text"), ("department", "text"), ("time_zone", "text"),
             ("amount_due_cents", "bigint"), ("campaign_priority", "smallint"), ("debt_since", "date"),
             ("campaign_ends_on", "date"), ("channel", "text"), ("status", "text"), ("site_id", "text"),
             ("agent_id", "text"), ("assignment_version", "integer"), ("assigned_at", "timestamptz"),
             ("opened_at", "timestamptz"), ("resolved_at", "timestamptz"), ("outcome", "text"), ("person_key", "text"))


def holding_of(row: asyncpg.Record) -> Holding:
    """Who holds the case of a row."""
    return Holding(case_id=row["case_id"], partner_id=row["partner_id"], campaign_id=row["campaign_id"],
                   status=CaseStatus(row["status"]), site_id=row["site_id"], agent_id=row["agent_id"],
                   version=row["assignment_version"])


def queued_of(row: asyncpg.Record) -> QueuedCase:
    """The assignment view of a row."""
    return QueuedCase(case_id=row["case_id"], site_id=row["site_id"], channel=Channel(row["channel"]),
                      campaign_priority=row["campaign_priority"], amount_due_cents=row["amount_due_cents"],
                      opened_at=row["opened_at"])


async def insert_new(conn: asyncpg.Connection, *, cases: Sequence[NewCase]) -> set[uuid.UUID]:
    """Insert new cases (found unknown just before), in case_id order so that concurrent inserters never deadlock;
    returns the ids inserted: all of them unless a second worker racing on the same event inserted one meanwhile."""
    ordered = sorted(cases, key=lambda c: c.case_id.int)
    # The open-case counters' statement trigger reads the inserted rows from a transition table, kept in work_mem:
    # a batch's rows (~400 bytes each) outgrew the default 4 MB and went through a temporary file.
    await conn.execute("SET LOCAL work_mem = '64MB'")
    inserted = await insert_new_rows(conn, "cases", _ARRIVALS, ordered, returning="case_id")
    return {c.case_id for c in ordered} if inserted is None else inserted


async def get_case(conn: asyncpg.Connection, *, case_id: uuid.UUID, lock: str | None = None) -> CaseSnapshot | None:
    """One case, optionally locked (`share` or `update`), or None."""
    clause = {None: "", "share": " FOR SHARE", "update": " FOR NO KEY UPDATE"}[lock]
    row = await conn.fetchrow(
        f"SELECT {HOLDING}, channel, campaign_priority, amount_due_cents, opened_at, "
        "phone_e164 IS NOT NULL AS has_phone, address IS NOT NULL AS has_address, time_zone, department, "
        "campaign_ends_on, person_key "
        f"FROM cases WHERE case_id = $1{clause}", case_id)
    if row is None:
        return None
    return CaseSnapshot(holding=holding_of(row), queued=queued_of(row), has_phone=row["has_phone"],
                        has_address=row["has_address"], time_zone=row["time_zone"], department=row["department"],
                        campaign_ends_on=row["campaign_ends_on"], person_key=row["person_key"])


async def sites_holding(conn: asyncpg.Connection, *, case_ids: Sequence[uuid.UUID]) -> list[str]:
    """The sites whose agents hold some of these cases."""
    rows = await conn.fetch("SELECT DISTINCT site_id FROM cases WHERE case_id = ANY($1::uuid[]) "
                            "AND status = 'assigned' ORDER BY site_id", list(case_ids))
    return [r["site_id"] for r in rows]


@dataclass(frozen=True, slots=True)
class Resolution:
    """An outcome to apply to a case."""

    case_id: uuid.UUID
    outcome: str
    resolved_at: datetime


async def mark_resolved(conn: asyncpg.Connection, *, resolutions: Sequence[Resolution]) -> list[Holding]:
    """Close cases with their outcome (a later correction overwrites it); returns each case as it was
    before, so the caller knows whose capacity was freed. A `recalled` outcome withdraws the case (the
    partner took it back: nobody may contact the person for it any more). Withdrawn cases stay withdrawn."""
    ordered = sorted(resolutions, key=lambda r: r.case_id)
    rows = await conn.fetch(
        f"WITH before AS (SELECT {HOLDING} FROM cases WHERE case_id = ANY($1::uuid[]) AND status <> 'withdrawn' "
        "ORDER BY case_id FOR NO KEY UPDATE), "
        "changed AS (UPDATE cases c "
        "SET status = CASE WHEN r.outcome = 'recalled' THEN 'withdrawn' ELSE 'resolved' END, "
        "outcome = r.outcome, resolved_at = r.resolved_at "
        "FROM unnest($1::uuid[], $2::text[], $3::timestamptz[]) AS r(case_id, outcome, resolved_at), before b "
        "WHERE c.case_id = r.case_id AND b.case_id = r.case_id RETURNING c.case_id) "
        f"SELECT {HOLDING} FROM before WHERE case_id IN (SELECT case_id FROM changed)",
        [r.case_id for r in ordered], [r.outcome for r in ordered], [r.resolved_at for r in ordered])
    return [holding_of(r) for r in rows]


async def known_case_ids(conn: asyncpg.Connection, *, case_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """Those of `case_ids` the projection holds."""
    rows = await conn.fetch("SELECT case_id FROM cases WHERE case_id = ANY($1::uuid[])", list(case_ids))
    return {r["case_id"] for r in rows}


async def lock_arrivals(conn: asyncpg.Connection, *, shared: bool) -> None:
    """Until commit: shared while projecting new cases, exclusive while keeping outcomes of unknown cases,
    so a case and its early outcome, handled at the same moment, never miss each other."""
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    await conn.execute(f"SELECT {function}(hashtextextended('campaigns.case_arrivals', 0))")


async def store_early_outcomes(conn: asyncpg.Connection, *, resolutions: Sequence[Resolution]) -> None:
    """Keep outcomes of cases not seen yet, for when their CaseOpened arrives."""
    if resolutions:
        await conn.execute(
            "INSERT INTO early_outcomes (case_id, outcome, resolved_at) "
            "SELECT * FROM unnest($1::uuid[], $2::text[], $3::timestamptz[]) ON CONFLICT (case_id) DO UPDATE "
            "SET outcome = EXCLUDED.outcome, resolved_at = EXCLUDED.resolved_at",
            [r.case_id for r in resolutions], [r.outcome for r in resolutions], [r.resolved_at for r in resolutions])


async def take_early_outcomes(conn: asyncpg.Connection, *,
                              case_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Resolution]:
    """Remove and return the early outcomes of these cases."""
    rows = await conn.fetch("DELETE FROM early_outcomes WHERE case_id = ANY($1::uuid[]) "
                            "RETURNING case_id, outcome, resolved_at", list(case_ids))
    return {r["case_id"]: Resolution(r["case_id"], r["outcome"], r["resolved_at"]) for r in rows}
