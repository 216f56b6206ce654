"""Handlers that keep the cases and holders projections from other services' events."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from relais_outcomes.adapters import projections
from relais_outcomes.domain.projections import latest_change_per_case
from relais_platform.contracts import AssignmentChanged, CaseOpened
from relais_platform.events import Envelope


async def project_cases_opened(*, conn: asyncpg.Connection, events: Sequence[Envelope[CaseOpened]]) -> None:
    """Remember the cases outcomes may later resolve."""
    await projections.insert_cases(conn, cases=[e.data for e in events])


async def project_assignments(*, conn: asyncpg.Connection, events: Sequence[Envelope[AssignmentChanged]]) -> None:
    """Track who holds each case; an older change never overwrites a newer one."""
    await projections.upsert_holders(conn, changes=latest_change_per_case(e.data for e in events))
