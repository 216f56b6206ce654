"""Taking one chunk of checked cases into a campaign, whatever the channel (JSON, file, Kafka): open the new
valid ones, report duplicates (in the batch, in the campaign, open in another active campaign of the partner),
keep the rejected lines and publish them as dead letters, all in the caller's transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from relais_intake.adapters import cases_repo, oppositions_repo, submissions_repo
from relais_intake.domain.batch import CaseResult, Outcome, batch_results, cases_to_open
from relais_intake.domain.campaign import Campaign
from relais_intake.domain.opposition import refuse_opposed
from relais_intake.domain.validation import RejectedCase, ValidCase
from relais_intake.service_layer.opened_events import case_opened
from relais_intake.service_layer.rejected_events import case_rejected
from relais_platform import outbox
from relais_platform.ids import case_id_for


@dataclass(frozen=True, slots=True)
class ChunkTaken:
    """The per-line results of a chunk and its counts."""

    results: list[CaseResult]
    accepted: int
    rejected: int
    duplicates: int


async def take_cases(*, conn: asyncpg.Connection, campaign: Campaign, submission_id: uuid.UUID, channel: str,
                     checked: Sequence[ValidCase | RejectedCase], now: datetime) -> ChunkTaken:
    """Open, report and dead-letter one chunk; every write is idempotent (deterministic ids, ON CONFLICT)."""
    checked = await _refuse_opposed(conn=conn, partner_id=campaign.partner_id, checked=checked)
    candidates = cases_to_open(checked)
    case_ids = {c.external_ref: _case_id(campaign, c.external_ref) for c in candidates}
    elsewhere = await cases_repo.open_in_other_campaigns(conn=conn, partner_id=campaign.partner_id,
                                                         campaign_id=campaign.campaign_id, refs=list(case_ids))
    to_open = [c for c in candidates if c.external_ref not in elsewhere]
    opened = await cases_repo.open_cases(conn=conn, campaign_id=campaign.campaign_id, partner_id=campaign.partner_id,
                                         submission_id=submission_id, cases=to_open, case_ids=case_ids,
                                         opened_at=now)
    rejected = [c for c in checked if isinstance(c, RejectedCase)]
    events = [case_opened(c, campaign=campaign, case_id=case_ids[c.external_ref], opened_at=now)
              for c in to_open if c.external_ref in opened]
    events += [case_rejected(r, submission_id=submission_id, partner_id=campaign.partner_id,
                             campaign_id=campaign.campaign_id, channel=channel, rejected_at=now) for r in rejected]
    await outbox.enqueue(conn, events)
    results = batch_results(checked, opened=opened, case_ids=case_ids, open_elsewhere=elsewhere)
    refused = [r for r in results if r.status != Outcome.ACCEPTED]
    await submissions_repo.store_refused(conn=conn, submission_id=submission_id, refused=refused, checked=checked)
    duplicates = sum(r.status == Outcome.DUPLICATE for r in refused)
    return ChunkTaken(results=results, accepted=len(opened), rejected=len(rejected), duplicates=duplicates)


async def _refuse_opposed(*, conn: asyncpg.Connection, partner_id: str,
                          checked: Sequence[ValidCase | RejectedCase]) -> Sequence[ValidCase | RejectedCase]:
    valid = [c for c in checked if isinstance(c, ValidCase)]
    phones, refs = await oppositions_repo.opposed(conn=conn, partner_id=partner_id,
                                                  phones=[c.phone.e164 for c in valid if c.phone],
                                                  refs=[c.external_ref for c in valid])
    return refuse_opposed(checked, phones=phones, refs=refs) if phones or refs else checked


def _case_id(campaign: Campaign, external_ref: str) -> uuid.UUID:
    return case_id_for(partner_id=campaign.partner_id, campaign_id=campaign.campaign_id, external_ref=external_ref)
