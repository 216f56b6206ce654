"""Repository of system-recorded outcomes (recalls, exhausted cases): kept, then applied to known cases."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

import asyncpg

from relais_outcomes.domain.system_outcomes import SystemOutcome, SystemOutcomeState
from relais_platform.contracts import OutcomeType


class KnownCase(NamedTuple):
    """What applying a system outcome needs of its case."""

    partner_id: str
    campaign_id: uuid.UUID
    opened_at: datetime
    external_ref: str


async def keep(conn: asyncpg.Connection, *, items: Sequence[SystemOutcome]) -> None:
    """Store system outcomes as pending (an event already stored is left as it is)."""
    if not items:
        return
    await conn.execute(
        "INSERT INTO system_outcomes (event_id, outcome_id, case_id, type, reason, occurred_at) "
        "SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::timestamptz[]) "
        "ON CONFLICT (event_id) DO NOTHING",
        [i.event_id for i in items], [i.outcome_id for i in items], [i.case_id for i in items],
        [str(i.type) for i in items], [i.reason for i in items], [i.occurred_at for i in items],
    )


async def pending_for_known_cases(conn: asyncpg.Connection, *, case_ids: Sequence[uuid.UUID],
                                  ) -> tuple[list[SystemOutcome], dict[uuid.UUID, KnownCase]]:
    """Pending outcomes of the given cases that outcomes knows, and those cases, row-locked so an agent's
    outcome for the same case waits."""
    rows = await conn.fetch(
        "SELECT s.event_id, s.case_id, s.type, s.reason, s.occurred_at, c.partner_id, c.campaign_id, c.opened_at, "
        "c.external_ref "
        "FROM system_outcomes s JOIN cases c USING (case_id) "
        "WHERE s.state = 'pending' AND s.case_id = ANY($1::uuid[]) ORDER BY s.case_id FOR UPDATE OF c, s",
        list(set(case_ids)),
    )
    items = [SystemOutcome(event_id=r["event_id"], case_id=r["case_id"], type=OutcomeType(r["type"]),
                           reason=r["reason"], occurred_at=r["occurred_at"]) for r in rows]
    cases = {r["case_id"]: KnownCase(r["partner_id"], r["campaign_id"], r["opened_at"], r["external_ref"])
             for r in rows}
    return items, cases


async def current_types(conn: asyncpg.Connection, *, case_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, OutcomeType]:
    """The current outcome type of each given case that has one."""
    rows = await conn.fetch(
        "SELECT case_id, type FROM outcomes WHERE case_id = ANY($1::uuid[]) AND superseded_by IS NULL",
        list(case_ids),
    )
    return {r["case_id"]: OutcomeType(r["type"]) for r in rows}


async def mark(conn: asyncpg.Connection, *, states: dict[uuid.UUID, tuple[SystemOutcomeState, str | None]]) -> None:
    """Record what became of each system outcome (applied, or ignored with the reason)."""
    if not states:
        return
    ids = list(states)
    await conn.execute(
        "UPDATE system_outcomes s SET state = x.state, state_reason = x.reason "
        "FROM unnest($1::uuid[], $2::text[], $3::text[]) AS x(event_id, state, reason) "
        "WHERE s.event_id = x.event_id",
        ids, [str(states[i][0]) for i in ids], [states[i][1] for i in ids],
    )
