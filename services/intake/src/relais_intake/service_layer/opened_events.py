"""The CaseOpened integration events of newly opened cases, serialised straight to their CloudEvents JSON.

Tens of thousands of cases a second go through here, so the bytes are built with orjson from the validated case
instead of through the pydantic models: they are the bytes `relais_platform.events.encode` gives for the contract
model (a unit test decodes them with `CaseOpened` and compares them with the pydantic-built event). A ValidCase
already holds every contract constraint (names, E.164 phone, postcode, department, positive cents).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import orjson

from relais_intake import SOURCE
from relais_intake.adapters.case_ids import case_opened_event_id
from relais_intake.domain.campaign import Campaign
from relais_intake.domain.validation import ValidCase
from relais_platform.contracts import CaseOpened
from relais_platform.events import EnvelopeFrame
from relais_platform.outbox import EncodedEvent


def opened_events(cases: Sequence[ValidCase], *, campaign: Campaign, case_ids: Mapping[str, str],
                  opened_at: datetime) -> list[EncodedEvent]:
    """One CaseOpened per case; an event's id derives from its case. Only the cases the chunk's statement really
    inserts have theirs enqueued, so each is a one-off for the outbox (`dedupe=False`).

    What every event of the call shares (the envelope's fixed fields: `EnvelopeFrame`; the campaign, the time) is
    serialised once; each case adds its ids and one orjson call for its own fields, spliced in where the contract
    model puts them.
    """
    frame = EnvelopeFrame(event_type=CaseOpened.event_type, source=SOURCE, time=opened_at)
    shared = {"partner_id": campaign.partner_id, "campaign_id": str(campaign.campaign_id)}
    campaign_part = {"channel_preference": campaign.channel_preference, "campaign_priority": campaign.priority,
                     "campaign_ends_on": campaign.ends_on, "opened_at": opened_at}
    # data: {"case_id":"CASE", SHARED , OWN , CAMPAIGN }
    shared_part = b'",' + _dumps(shared)[1:-1] + b","
    tail = b"," + _dumps(campaign_part)[1:-1] + b"}"
    events: list[EncodedEvent] = []
    for case in cases:
        subject = case_ids[case.external_ref]  # the case id as text
        event_id = case_opened_event_id(subject)
        data = b"".join((b'{"case_id":"', subject.encode(), shared_part, _dumps(_own(case))[1:-1], tail))
        events.append(EncodedEvent(event_id, CaseOpened.topic, subject, frame.encode(event_id, subject, data),
                                   dedupe=False))
    return events


def _dumps(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_UTC_Z)


def _own(case: ValidCase) -> dict[str, Any]:
    """A case's own fields, in the contract model's order (the order pydantic writes them in)."""
    phone = case.phone
    customer = {
        "first_name": case.first_name, "last_name": case.last_name,
        "phone_e164": phone.e164 if phone else None, "phone_kind": phone.kind if phone else None,
        "address": case.address.as_dict() if case.address else None,
        "time_zone": case.time_zone, "department": case.department,
    }
    return {"external_ref": case.external_ref, "customer": customer, "amount_due_cents": case.amount_due_cents,
            "debt_since": case.debt_since}
