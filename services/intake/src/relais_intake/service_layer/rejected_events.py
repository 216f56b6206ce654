"""The CaseRejected dead letter, built from a refused line, so that nothing a partner sent disappears."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from relais_intake import SOURCE
from relais_intake.domain.rejection_report import flatten
from relais_intake.domain.validation import RejectedCase
from relais_platform.contracts import CaseRejected
from relais_platform.events import Envelope, encode, envelope
from relais_platform.ids import derived_id
from relais_platform.outbox import EncodedEvent


def case_rejected(case: RejectedCase, *, submission_id: uuid.UUID, partner_id: str, campaign_id: uuid.UUID | None,
                  channel: str, rejected_at: datetime, event_id: uuid.UUID | None = None) -> Envelope[Any]:
    """The dead letter of one refused line; its id derives from (submission, line) unless given, so a retry adds
    nothing. A line number 0 means the record had none in a submission."""
    fields = flatten(case.raw) if isinstance(case.raw, Mapping) else {"value": case.raw}
    data = CaseRejected(
        submission_id=submission_id, partner_id=partner_id, campaign_id=campaign_id, channel=channel,
        line=case.line or None, external_ref=(case.external_ref or None) and case.external_ref[:200],
        raw={str(k)[:200]: _text(v) for k, v in fields.items()},
        reasons=[{"field": r.field[:100], "code": r.code[:64], "reason": r.reason[:500]} for r in case.reasons],
        rejected_at=rejected_at,
    )
    return envelope(data, source=SOURCE, event_id=event_id or derived_id("case-rejected", submission_id, case.line),
                    time=rejected_at)


def encoded(event: Envelope[Any]) -> EncodedEvent:
    """A dead letter serialised for the outbox, next to the events built as bytes."""
    return EncodedEvent(event.id, event.data.topic, event.subject, encode(event))


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
