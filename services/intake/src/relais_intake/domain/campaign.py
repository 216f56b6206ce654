"""A partner's campaign: its lifecycle (draft -> active <-> paused, any -> closed) and when it takes cases."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from relais_platform.errors import Conflict


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"
    CLOSED = "closed"


class Lifecycle(StrEnum):
    """What a partner or admin may do to a campaign's status."""

    PAUSE = "pause"
    RESUME = "resume"
    CLOSE = "close"


@dataclass(frozen=True, slots=True)
class NewCampaign:
    """What a partner (or an admin for a partner) asks for when creating a campaign."""

    partner_id: str
    name: str
    legal_basis: str
    starts_on: date
    ends_on: date
    status: CampaignStatus = CampaignStatus.ACTIVE
    channel_preference: str | None = None
    priority: int = 0
    tariff_ref: str | None = None


@dataclass(frozen=True, slots=True)
class Campaign:
    """A campaign as stored."""

    campaign_id: uuid.UUID
    partner_id: str
    name: str
    status: CampaignStatus
    legal_basis: str
    starts_on: date
    ends_on: date
    channel_preference: str | None
    priority: int
    tariff_ref: str | None
    created_at: datetime
    updated_at: datetime


_ALLOWED: dict[Lifecycle, tuple[frozenset[CampaignStatus], CampaignStatus]] = {
    Lifecycle.PAUSE: (frozenset({CampaignStatus.ACTIVE}), CampaignStatus.PAUSED),
    Lifecycle.RESUME: (frozenset({CampaignStatus.DRAFT, CampaignStatus.PAUSED}), CampaignStatus.ACTIVE),
    Lifecycle.CLOSE: (frozenset({CampaignStatus.DRAFT, CampaignStatus.ACTIVE, CampaignStatus.PAUSED}),
                      CampaignStatus.CLOSED),
}


def next_status(current: CampaignStatus, action: Lifecycle) -> CampaignStatus:
    """The status after `action`, or Conflict naming the current status when the move is not allowed."""
    allowed_from, target = _ALLOWED[action]
    if current not in allowed_from:
        raise Conflict(f"cannot {action} a campaign that is {current}", field="status", current_status=str(current))
    return target


def ensure_takes_cases(status: CampaignStatus, *, ends_on: date, today: date) -> None:
    """Refuse new cases unless the campaign is active and not past its end date."""
    if status != CampaignStatus.ACTIVE:
        raise Conflict(f"campaign is {status}; only an active campaign takes new cases", field="status",
                       current_status=str(status))
    if today > ends_on:
        raise Conflict(f"campaign ended on {ends_on.isoformat()}; it takes no new cases", field="ends_on")
