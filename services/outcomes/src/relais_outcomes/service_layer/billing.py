"""Handlers that turn published work (attempts, resolutions) into priced billing lines."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import asyncpg
import structlog

from relais_outcomes import SOURCE
from relais_outcomes.adapters.billing_repo import insert_new_lines
from relais_outcomes.adapters.tariffs_repo import tariffs_of
from relais_outcomes.domain.billing import BillingLine, billable_lines_for_attempt, billable_lines_for_resolution
from relais_outcomes.domain.tariffs import Tariff, tariff_at
from relais_platform.contracts import AttemptRecorded, CaseResolved
from relais_platform.events import Envelope, envelope
from relais_platform.outbox import enqueue

log = structlog.get_logger(__name__)

Rule = Callable[[Envelope[Any], Tariff | None], list[BillingLine]]


async def bill_attempts(*, conn: asyncpg.Connection, events: Sequence[Envelope[AttemptRecorded]]) -> list[BillingLine]:
    """Successful contacts and visits, priced with each partner's tariff at the attempt time."""
    return await _bill(conn, events, billable_lines_for_attempt, lambda e: e.data.attempted_at)


async def bill_resolutions(*, conn: asyncpg.Connection, events: Sequence[Envelope[CaseResolved]]) -> list[BillingLine]:
    """Closed cases, payment plans and referrals taken up, priced at the resolution time."""
    return await _bill(conn, events, billable_lines_for_resolution, lambda e: e.data.resolved_at)


async def _bill(conn: asyncpg.Connection, events: Sequence[Envelope[Any]], rule: Rule,
                occurred_at: Callable[[Envelope[Any]], datetime]) -> list[BillingLine]:
    partner_ids = sorted({e.data.partner_id for e in events})
    tariffs = await tariffs_of(conn, partner_ids=partner_ids, share_lock=True)
    lines = [line for e in events for line in rule(e, tariff_at(tariffs[e.data.partner_id], occurred_at(e)))]
    added = await insert_new_lines(conn, lines=lines)
    for line in added:
        if line.unpriced:
            log.warning("unpriced billing line: the partner had no tariff in force", partner_id=line.partner_id,
                        kind=str(line.kind), occurred_at=line.occurred_at.isoformat(), line_id=str(line.line_id))
    await enqueue(conn, [envelope(line.to_event(), source=SOURCE, event_id=line.line_id) for line in added])
    return added
