"""The CaseOpened integration event, built from a validated case and its campaign."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from relais_intake import SOURCE
from relais_intake.domain.campaign import Campaign
from relais_intake.domain.validation import ValidCase
from relais_platform.contracts import CaseOpened
from relais_platform.events import Envelope, envelope
from relais_platform.ids import derived_id


def case_opened(case: ValidCase, *, campaign: Campaign, case_id: uuid.UUID, opened_at: datetime) -> Envelope[Any]:
    """The event announcing an opened case; its id derives from the case, so re-enqueueing it is a no-op."""
    customer = {
        "first_name": case.first_name, "last_name": case.last_name,
        "phone_e164": case.phone.e164 if case.phone else None, "phone_kind": case.phone.kind if case.phone else None,
        "address": case.address.as_dict() if case.address else None,
        "time_zone": case.time_zone, "department": case.department,
    }
    # One validation of the whole payload against the published contract (nested models included).
    data = CaseOpened.model_validate({
        "case_id": case_id, "partner_id": campaign.partner_id, "campaign_id": campaign.campaign_id,
        "external_ref": case.external_ref, "customer": customer, "amount_due_cents": case.amount_due_cents,
        "debt_since": case.debt_since, "channel_preference": campaign.channel_preference,
        "campaign_priority": campaign.priority, "campaign_ends_on": campaign.ends_on, "opened_at": opened_at,
    })
    return envelope(data, source=SOURCE, event_id=derived_id("case-opened", case_id), time=opened_at)
