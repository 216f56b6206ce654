"""Records partners produce to relais.intake.submissions.v1: validated exactly like uploaded rows, one submission
per partner, campaign and (Paris) day; a record that cannot be routed or taken becomes a dead letter."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import asyncpg
import structlog

from relais_intake.adapters import campaigns_repo, kafka_submissions_repo
from relais_intake.domain.campaign import Campaign, ensure_takes_cases
from relais_intake.domain.partner_record import PartnerRecord, UnroutableRecord, read_record
from relais_intake.domain.problems import FieldError
from relais_intake.domain.validation import RejectedCase, validate_case
from relais_intake.service_layer.case_intake import take_cases
from relais_intake.service_layer.rejected_events import case_rejected
from relais_intake.service_layer.submissions import BUSINESS_ZONE
from relais_platform import outbox
from relais_platform.db import claim_events
from relais_platform.errors import Conflict
from relais_platform.ids import derived_id
from relais_platform.kafka import KafkaRecord

log = structlog.get_logger(__name__)
CONSUMER = "intake.partner-records"


RawRecord = KafkaRecord  # a record as consumed: where it sits in the log, and what the partner sent


async def take_records(*, conn: asyncpg.Connection, records: Sequence[RawRecord], now: datetime) -> int:
    """Take a batch in the caller's transaction; records seen before are skipped. Returns how many were new."""
    new = await claim_events(conn, consumer=CONSUMER, event_ids=[r.record_id for r in records])
    groups: dict[tuple[str, uuid.UUID], list[tuple[uuid.UUID, PartnerRecord]]] = defaultdict(list)
    dead: list[Any] = []
    day = now.astimezone(BUSINESS_ZONE).date()
    for record in (r for r in records if r.record_id in new):
        routed = read_record(record.key, record.value, record.headers)
        if isinstance(routed, UnroutableRecord):
            dead += _unroutable(routed, record, day=day, now=now)
        else:
            groups[(routed.partner_id, routed.campaign_id)].append((record.record_id, routed))
    for (partner_id, campaign_id), batch in groups.items():
        campaign = await campaigns_repo.get_campaign(conn=conn, campaign_id=campaign_id, lock="share")
        dead += await _take_group(conn=conn, partner_id=partner_id, campaign=campaign, batch=batch, day=day, now=now)
    await outbox.enqueue(conn, dead)
    return len(new)


async def _take_group(*, conn: asyncpg.Connection, partner_id: str, campaign: Campaign | None,
                      batch: list[tuple[uuid.UUID, PartnerRecord]], day: date, now: datetime) -> list[Any]:
    """Validate and take one campaign's records; returns the dead letters of records the campaign cannot take."""
    if campaign is None or campaign.partner_id != partner_id:
        error = FieldError("campaign_id", "campaign_unknown", "no such campaign for this partner")
        return _dead_letters(batch, error, partner_id=partner_id, campaign_id=None, day=day, now=now)
    try:
        ensure_takes_cases(campaign.status, ends_on=campaign.ends_on, today=day)
    except Conflict as refused:
        error = FieldError("campaign_id", "campaign_not_taking_cases", refused.message)
        return _dead_letters(batch, error, partner_id=partner_id, campaign_id=campaign.campaign_id, day=day, now=now)
    submission_id = derived_id("kafka-submission", partner_id, campaign.campaign_id, day)
    read = await kafka_submissions_repo.open_day_submission(conn=conn, submission_id=submission_id,
                                                            campaign_id=campaign.campaign_id, partner_id=partner_id,
                                                            now=now)
    checked = [validate_case(r.case, line=read + i + 1, today=day) for i, (_, r) in enumerate(batch)]
    taken = await take_cases(conn=conn, campaign=campaign, submission_id=submission_id, channel="kafka",
                             checked=checked, now=now)
    await kafka_submissions_repo.count_records(conn=conn, submission_id=submission_id, rows=len(batch),
                                               accepted=taken.accepted, rejected=taken.rejected,
                                               duplicates=taken.duplicates)
    return []


def _dead_letters(batch: list[tuple[uuid.UUID, PartnerRecord]], error: FieldError, *, partner_id: str,
                  campaign_id: uuid.UUID | None, day: date, now: datetime) -> list[Any]:
    return [_dead_letter(record_id, RejectedCase(0, _ref(r.case.get("external_ref")), (error,), r.case),
                         partner_id=partner_id, campaign_id=campaign_id, day=day, now=now)
            for record_id, r in batch]


def _unroutable(routed: UnroutableRecord, record: RawRecord, *, day: date, now: datetime) -> list[Any]:
    if routed.partner_id is None:  # a dead letter needs a partner to belong to: the log line is all we can do
        log.warning("partner record with no partner dropped", topic=record.topic, partition=record.partition,
                    offset=record.offset, reason=routed.reason)
        return []
    rejected = RejectedCase(0, _ref(routed.external_ref), (FieldError(routed.field, routed.code, routed.reason),),
                            routed.raw)
    return [_dead_letter(record.record_id, rejected, partner_id=routed.partner_id, campaign_id=None, day=day, now=now)]


def _dead_letter(record_id: uuid.UUID, rejected: RejectedCase, *, partner_id: str, campaign_id: uuid.UUID | None,
                 day: date, now: datetime) -> Any:
    """The CaseRejected of one record, in the partner's day submission of unrouted records; one per record."""
    return case_rejected(rejected, submission_id=derived_id("kafka-unrouted", partner_id, day), partner_id=partner_id,
                         campaign_id=campaign_id, channel="kafka", rejected_at=now,
                         event_id=derived_id("kafka-dead", record_id))


def _ref(value: object) -> str | None:
    return str(value)[:200] if value not in (None, "") else None
