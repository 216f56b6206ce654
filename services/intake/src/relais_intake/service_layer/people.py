"""Handlers about people rather than files: the opposition list, and recalling a case the customer settled."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from relais_intake import SOURCE
from relais_intake.adapters import cases_repo, oppositions_repo
from relais_intake.domain.opposition import Opposition
from relais_intake.service_layer.access import ensure_visible
from relais_intake.service_layer.campaigns import visible_campaign
from relais_platform import outbox
from relais_platform.auth import Principal
from relais_platform.contracts import CaseRecalled
from relais_platform.errors import NotFound
from relais_platform.events import envelope
from relais_platform.ids import derived_id


@dataclass(frozen=True, slots=True)
class RecallCase:
    """Command: withdraw the case of this reference from the campaign (the customer paid meanwhile)."""

    campaign_id: uuid.UUID
    external_ref: str
    reason: str | None = None


async def record_opposition(*, conn: asyncpg.Connection, principal: Principal, partner_id: str,
                            opposition: Opposition, note: str | None, now: datetime) -> dict[str, Any]:
    """Put a person on the partner's opposition list: from now on their rows are refused with `opposition`."""
    ensure_visible(principal, partner_id=partner_id, what="partner")
    row = await oppositions_repo.record(conn=conn, partner_id=partner_id, opposition=opposition, note=note,
                                        recorded_by=principal.sub, now=now)
    return dict(row)


async def recall_case(*, conn: asyncpg.Connection, principal: Principal, command: RecallCase,
                      now: datetime) -> dict[str, Any]:
    """Mark the case recalled and announce it (CaseRecalled, once: its id derives from the case)."""
    campaign = await visible_campaign(conn=conn, principal=principal, campaign_id=command.campaign_id)
    row = await cases_repo.recall_case(conn=conn, campaign_id=campaign.campaign_id, external_ref=command.external_ref,
                                       reason=command.reason, now=now)
    if row is None:
        raise NotFound("no case with this external_ref in the campaign", field="external_ref")
    data = CaseRecalled(case_id=row["case_id"], partner_id=row["partner_id"], campaign_id=row["campaign_id"],
                        external_ref=row["external_ref"], reason=row["recall_reason"], recalled_at=row["recalled_at"])
    await outbox.enqueue(conn, [envelope(data, source=SOURCE, event_id=derived_id("case-recalled", row["case_id"]),
                                         time=row["recalled_at"])])
    return dict(row)
