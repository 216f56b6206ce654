"""Handlers that turn published work (attempts, resolutions) into priced billing lines.

The hot path of the worker (a million attempts a month): per event the decoding, the line ids and the price (the
version in force on its Paris day, `TariffIndex`) are computed in Python; a chunk's new lines are COPYed in and the
ones already there skipped (adapters/billing_repo.py), so a redelivered or replayed event changes nothing without a
processed_events row. The BillingLineRecorded events are serialised straight to JSON. Python prepares a chunk
while PostgreSQL takes the previous one (adapters/pipeline.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

import asyncpg
import orjson
import structlog

from relais_outcomes import SOURCE
from relais_outcomes.adapters import tariffs_repo
from relais_outcomes.adapters.billing_repo import PricedLine, insert_lines
from relais_outcomes.adapters.pipeline import overlapped
from relais_outcomes.domain.billing import BillableWork
from relais_outcomes.domain.tariffs import TariffIndex
from relais_platform.contracts import BillingLineRecorded
from relais_platform.outbox import EncodedEvent, enqueue_encoded

log = structlog.get_logger(__name__)


async def bill(*, conn: asyncpg.Connection, chunks: Iterable[Sequence[BillableWork]]) -> int:
    """A batch of billable work (adapters/billing_codec.py reads it off the attempts and resolutions) in the
    caller's transaction: price and insert chunk by chunk, then publish the added lines; a line already there
    is skipped. Returns the number of lines added.

    Each chunk is decoded (lazily, by iterating `chunks`) while the database prices the previous one; the
    outbox rows are serialised the same way.
    """
    tariffs = TariffIndex()

    async def insert_chunk(work: Sequence[BillableWork]) -> list[PricedLine]:
        partners = {w.partner_id for w in work if w.partner_id not in tariffs}
        if partners:  # share-locked until commit: a version cannot be replaced while it prices this batch's lines
            tariffs.add(await tariffs_repo.tariffs_of(conn, partner_ids=sorted(partners), share_lock=True))
        return await insert_lines(conn, work=work, tariffs=tariffs)

    priced = await overlapped(chunks, list, insert_chunk)
    now, added = datetime.now(UTC), 0
    for work, lines in priced:
        _warn_unpriced(lines, work)
        added += len(lines)
    await overlapped([(work, lines) for work, lines in priced if lines],
                     lambda item: published(item[1], item[0], now), lambda rows: enqueue_encoded(conn, rows))
    return added


def _warn_unpriced(added: Sequence[PricedLine], work: Sequence[BillableWork]) -> None:
    """One warning per partner and kind of lines recorded without a tariff, not one per line."""
    unpriced = {line.line_id for line in added if line.tariff_version_id is None}
    if not unpriced:
        return
    counts = Counter((w.partner_id, str(w.kind)) for w in work if w.line_id in unpriced)
    for (partner_id, kind), count in counts.items():
        log.warning("unpriced billing lines: the partner had no tariff in force", partner_id=partner_id, kind=kind,
                    lines=count)


def published(added: Sequence[PricedLine], work: Sequence[BillableWork], now: datetime) -> list[EncodedEvent]:
    """The BillingLineRecorded CloudEvents of the added lines (event id = line id), in the batch's order: one-offs
    for the outbox (`dedupe=False`), as only the statement that inserted a line returns it.

    Built as plain JSON in the CloudEvents envelope shape of relais_platform.events.encode rather than
    through pydantic: every field comes from a validated event and the tariff, and this runs once per line
    (tests decode these bytes with the contract model and compare them with the pydantic-built event).
    """
    priced = {line.line_id: line for line in added}
    time = now.isoformat()
    return [_encoded(w, priced[w.line_id], time) for w in work if w.line_id in priced]


def _encoded(w: BillableWork, line: PricedLine, time: str) -> EncodedEvent:
    data = {"line_id": w.line_id, "partner_id": w.partner_id, "case_id": w.case_id, "campaign_id": w.campaign_id,
            "kind": w.kind, "amount_cents": line.amount_cents, "tariff_version_id": line.tariff_version_id,
            "period": line.period, "occurred_at": w.occurred_at, "evidence_event_ids": [w.evidence_event_id]}
    event = {"id": w.line_id, "source": SOURCE, "type": BillingLineRecorded.event_type, "specversion": "1.0",
             "time": time, "datacontenttype": "application/json", "subject": w.case_id, "data": data}
    return EncodedEvent(w.line_id, BillingLineRecorded.topic, w.case_id, orjson.dumps(event), dedupe=False)
