"""Handlers that turn published work (attempts, resolutions) into priced billing lines."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson
import structlog

from relais_outcomes import SOURCE
from relais_outcomes.adapters.billing_repo import insert_new_lines
from relais_outcomes.adapters.tariffs_repo import tariffs_of
from relais_outcomes.domain.billing import BillingLine, billable_lines_for_attempt, billable_lines_for_resolution
from relais_outcomes.domain.tariffs import Tariff, tariff_at
from relais_platform.contracts import AttemptRecorded, BillingLineRecorded, CaseResolved
from relais_platform.events import Envelope
from relais_platform.outbox import EncodedEvent, enqueue_encoded

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
    unpriced = Counter((line.partner_id, str(line.kind)) for line in added if line.unpriced)
    for (partner_id, kind), count in unpriced.items():  # one line per partner and kind, not one per event
        log.warning("unpriced billing lines: the partner had no tariff in force", partner_id=partner_id, kind=kind,
                    lines=count)
    now = datetime.now(UTC)
    await enqueue_encoded(conn, [published(line, now) for line in added])
    return added


def published(line: BillingLine, now: datetime) -> EncodedEvent:
    """The BillingLineRecorded CloudEvent of a new line (event id = line id).

    Built as plain JSON rather than through pydantic: every field comes from validated events and the tariff,
    and this is the hot path of a million lines (the stream tests decode what lands in the outbox with the
    contract model, so a drift would fail them).
    """
    body = {"line_id": str(line.line_id), "partner_id": line.partner_id, "case_id": str(line.case_id),
            "campaign_id": str(line.campaign_id), "kind": str(line.kind), "amount_cents": line.amount_cents,
            "tariff_version_id": str(line.tariff_version_id) if line.tariff_version_id else None,
            "period": line.period, "occurred_at": line.occurred_at.isoformat(),
            "evidence_event_ids": [str(e) for e in line.evidence_event_ids]}
    event = {"id": str(line.line_id), "source": SOURCE, "type": BillingLineRecorded.event_type, "specversion": "1.0",
             "time": now.isoformat(), "datacontenttype": "application/json", "subject": str(line.case_id),
             "data": body}
    return EncodedEvent(line.line_id, BillingLineRecorded.topic, str(line.case_id), orjson.dumps(event))
