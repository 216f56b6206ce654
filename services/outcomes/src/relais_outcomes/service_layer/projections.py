"""Handlers that keep the cases and holders projections from other services' events."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from relais_outcomes.adapters import projections
from relais_outcomes.domain.projections import latest_change_per_case
from relais_outcomes.domain.system_outcomes import from_assignment
from relais_outcomes.service_layer.system_outcomes import apply_pending, keep_and_apply
from relais_platform.contracts import AssignmentChanged, CaseOpened
from relais_platform.events import Envelope


async def project_cases_opened(*, conn: asyncpg.Connection, events: Sequence[Envelope[CaseOpened]]) -> None:
    """Remember the cases outcomes may later resolve, and apply a recall that arrived before its case."""
    await projections.insert_cases(conn, cases=[e.data for e in events])
    await apply_pending(conn=conn, case_ids=[e.data.case_id for e in events])


async def project_assignments(*, conn: asyncpg.Connection, events: Sequence[Envelope[AssignmentChanged]]) -> None:
    """Track who holds each case (an older change never overwrites a newer one); an `exhausted` case closes
    as `unreachable`."""
    await projections.upsert_holders(conn, changes=latest_change_per_case(e.data for e in events))
    exhausted = [item for e in events if (item := from_assignment(e.id, e.data)) is not None]
    await keep_and_apply(conn=conn, items=exhausted)
