"""Handlers for campaigns: create, look at, and move through their lifecycle."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from relais_intake.adapters import campaigns_repo
from relais_intake.domain.campaign import Campaign, Lifecycle, NewCampaign, next_status
from relais_intake.service_layer.access import ensure_visible
from relais_platform.auth import Principal
from relais_platform.errors import NotFound


@dataclass(frozen=True, slots=True)
class CampaignOverview:
    """A campaign with how many of its cases are in each status and how many submissions it received."""

    campaign: Campaign
    cases_by_status: dict[str, int]
    submissions: int


async def create_campaign(*, conn: asyncpg.Connection, new: NewCampaign, now: datetime) -> Campaign:
    """Open a campaign for a partner (active unless asked as a draft)."""
    return await campaigns_repo.insert_campaign(conn=conn, campaign_id=uuid.uuid4(), new=new, now=now)


async def visible_campaign(*, conn: asyncpg.Connection, principal: Principal, campaign_id: uuid.UUID,
                           lock: str | None = None) -> Campaign:
    """The campaign if it exists and the caller may see it; NotFound otherwise."""
    campaign = await campaigns_repo.get_campaign(conn=conn, campaign_id=campaign_id, lock=lock)
    if campaign is None:
        raise NotFound("campaign not found", field="campaign_id")
    ensure_visible(principal, partner_id=campaign.partner_id, what="campaign")
    return campaign


async def campaign_overview(*, conn: asyncpg.Connection, principal: Principal,
                            campaign_id: uuid.UUID) -> CampaignOverview:
    """The campaign with its case counts per status and its number of submissions."""
    campaign = await visible_campaign(conn=conn, principal=principal, campaign_id=campaign_id)
    counts = await campaigns_repo.case_counts(conn=conn, campaign_id=campaign_id)
    submissions = await campaigns_repo.submission_count(conn=conn, campaign_id=campaign_id)
    return CampaignOverview(campaign=campaign, cases_by_status=counts, submissions=submissions)


async def change_campaign_status(*, conn: asyncpg.Connection, principal: Principal, campaign_id: uuid.UUID,
                                 action: Lifecycle, now: datetime) -> Campaign:
    """Pause, resume or close a campaign; an illegal move is a Conflict naming the current status."""
    campaign = await visible_campaign(conn=conn, principal=principal, campaign_id=campaign_id, lock="update")
    status = next_status(campaign.status, action)
    return await campaigns_repo.set_status(conn=conn, campaign_id=campaign_id, status=status, now=now)
