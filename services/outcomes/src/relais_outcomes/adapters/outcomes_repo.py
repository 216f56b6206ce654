"""Repository of outcomes: the current one per case and the history of corrections."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg

from relais_outcomes.domain.outcomes import Outcome, details_from_json
from relais_platform.contracts import OutcomeType

_COLUMNS = ("outcome_id, case_id, partner_id, campaign_id, type, details, note, recorded_by, resolved_at, "
            "supersedes_outcome_id, correction_reason, superseded_by, created_at")


def _outcome(row: asyncpg.Record) -> Outcome:
    return Outcome(
        outcome_id=row["outcome_id"], case_id=row["case_id"], partner_id=row["partner_id"],
        campaign_id=row["campaign_id"], type=OutcomeType(row["type"]), details=details_from_json(row["details"]),
        note=row["note"], recorded_by=row["recorded_by"], resolved_at=row["resolved_at"],
        supersedes_outcome_id=row["supersedes_outcome_id"], correction_reason=row["correction_reason"],
        superseded_by=row["superseded_by"], created_at=row["created_at"],
    )


async def current_outcome(conn: asyncpg.Connection, *, case_id: uuid.UUID) -> Outcome | None:
    """The outcome of the case that nothing supersedes, if any."""
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM outcomes WHERE case_id = $1 AND superseded_by IS NULL", case_id)
    return _outcome(row) if row else None


async def history(conn: asyncpg.Connection, *, case_id: uuid.UUID) -> list[Outcome]:
    """Every outcome recorded for the case, oldest first."""
    rows = await conn.fetch(f"SELECT {_COLUMNS} FROM outcomes WHERE case_id = $1 ORDER BY created_at, outcome_id",
                            case_id)
    return [_outcome(r) for r in rows]


async def add_outcome(conn: asyncpg.Connection, *, outcome: Outcome) -> Outcome:
    """Store a new current outcome; the one it supersedes (if any) stops being current."""
    if outcome.supersedes_outcome_id is not None:
        await conn.execute("UPDATE outcomes SET superseded_by = $1 WHERE outcome_id = $2",
                           outcome.outcome_id, outcome.supersedes_outcome_id)
    row = await conn.fetchrow(
        f"INSERT INTO outcomes ({_COLUMNS.replace(', superseded_by', '')}) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, now()) "
        f"RETURNING {_COLUMNS}",
        outcome.outcome_id, outcome.case_id, outcome.partner_id, outcome.campaign_id, str(outcome.type),
        outcome.details.as_json(), outcome.note, outcome.recorded_by, outcome.resolved_at,
        outcome.supersedes_outcome_id, outcome.correction_reason,
    )
    return _outcome(row)


async def insert_outcomes(conn: asyncpg.Connection, *, outcomes: list[Outcome]) -> None:
    """Store first outcomes of unresolved cases in one round trip (an outcome id already stored is skipped)."""
    if not outcomes:
        return
    await conn.execute(
        "INSERT INTO outcomes (outcome_id, case_id, partner_id, campaign_id, type, details, note, recorded_by, "
        "resolved_at) SELECT o, c, p, cp, t, '{}'::jsonb, n, r, a FROM unnest($1::uuid[], $2::uuid[], $3::text[], "
        "$4::uuid[], $5::text[], $6::text[], $7::text[], $8::timestamptz[]) AS x(o, c, p, cp, t, n, r, a) "
        "ON CONFLICT (outcome_id) DO NOTHING",
        [o.outcome_id for o in outcomes], [o.case_id for o in outcomes], [o.partner_id for o in outcomes],
        [o.campaign_id for o in outcomes], [str(o.type) for o in outcomes], [o.note for o in outcomes],
        [o.recorded_by for o in outcomes], [o.resolved_at for o in outcomes],
    )


async def campaign_partner(conn: asyncpg.Connection, *, campaign_id: uuid.UUID) -> str | None:
    """The partner owning a campaign outcomes knows of (from its cases), or None."""
    return await conn.fetchval("SELECT partner_id FROM cases WHERE campaign_id = $1 LIMIT 1", campaign_id)


async def stream_campaign_outcomes(conn: asyncpg.Connection, *, campaign_id: uuid.UUID,
                                   chunk: int = 2000) -> AsyncIterator[list[tuple[Outcome, str]]]:
    """Every outcome of a campaign with its case's external_ref, oldest first, in chunks (a server-side
    cursor: a campaign of a million cases is never held in memory). Needs an open transaction."""
    cursor = conn.cursor(
        f"SELECT {', '.join('o.' + c for c in _COLUMNS.split(', '))}, c.external_ref FROM outcomes o "
        "JOIN cases c USING (case_id) WHERE o.campaign_id = $1 ORDER BY o.created_at, o.outcome_id",
        campaign_id, prefetch=chunk,
    )
    batch: list[tuple[Outcome, str]] = []
    async for row in cursor:
        batch.append((_outcome(row), row["external_ref"]))
        if len(batch) >= chunk:
            yield batch
            batch = []
    if batch:
        yield batch
