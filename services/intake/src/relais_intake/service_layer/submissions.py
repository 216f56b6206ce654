"""Handlers for submissions: take a batch of cases, open the valid ones, report on every line."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from relais_intake.adapters import cases_repo, submissions_repo
from relais_intake.domain.batch import CaseResult, batch_results, cases_to_open
from relais_intake.domain.campaign import Campaign, ensure_takes_cases
from relais_intake.domain.rejection_report import render_rejections_csv
from relais_intake.domain.submission import Submission, SubmissionChannel
from relais_intake.domain.validation import RejectedCase, ValidCase, validate_case
from relais_intake.service_layer.access import ensure_visible
from relais_intake.service_layer.campaigns import visible_campaign
from relais_intake.service_layer.opened_events import case_opened
from relais_platform import outbox
from relais_platform.auth import Principal
from relais_platform.errors import NotFound
from relais_platform.ids import case_id_for

# Dates the partner writes (debt_since) and campaign end dates are French calendar dates.
BUSINESS_ZONE = ZoneInfo("Europe/Paris")


@dataclass(frozen=True, slots=True)
class SubmitCases:
    """Command: open these cases (as received, one mapping per case) in a campaign."""

    campaign_id: uuid.UUID
    cases: Sequence[Mapping[str, Any]]
    channel: SubmissionChannel = SubmissionChannel.JSON


@dataclass(frozen=True, slots=True)
class SubmissionReport:
    """The stored submission and the outcome of each of its lines."""

    submission: Submission
    results: list[CaseResult]


async def submit_cases(*, conn: asyncpg.Connection, principal: Principal, command: SubmitCases,
                       now: datetime) -> SubmissionReport:
    """Validate every case, open the new valid ones with one CaseOpened each (same transaction), keep the
    rejected lines, and count duplicates; the campaign must be active."""
    campaign = await visible_campaign(conn=conn, principal=principal, campaign_id=command.campaign_id, lock="share")
    today = now.astimezone(BUSINESS_ZONE).date()
    ensure_takes_cases(campaign.status, ends_on=campaign.ends_on, today=today)
    checked = [validate_case(raw, line=i + 1, today=today) for i, raw in enumerate(command.cases)]
    submission_id = uuid.uuid4()
    await submissions_repo.start_submission(conn=conn, submission_id=submission_id, campaign_id=campaign.campaign_id,
                                            partner_id=campaign.partner_id, channel=command.channel,
                                            rows_read=len(checked), now=now)
    opened, case_ids = await _open_new_cases(conn=conn, campaign=campaign, submission_id=submission_id,
                                             checked=checked, now=now)
    rejected = [c for c in checked if isinstance(c, RejectedCase)]
    await submissions_repo.store_rejections(conn=conn, submission_id=submission_id, rejected=rejected)
    results = batch_results(checked, opened=opened, case_ids=case_ids)
    submission = await submissions_repo.finish_submission(
        conn=conn, submission_id=submission_id, accepted=len(opened), rejected=len(rejected),
        duplicates=len(checked) - len(opened) - len(rejected),
    )
    return SubmissionReport(submission=submission, results=results)


async def _open_new_cases(*, conn: asyncpg.Connection, campaign: Campaign, submission_id: uuid.UUID,
                          checked: Sequence[ValidCase | RejectedCase],
                          now: datetime) -> tuple[set[str], dict[str, uuid.UUID]]:
    """Insert the valid cases not yet in the campaign and enqueue one CaseOpened per case actually opened."""
    candidates = cases_to_open(checked)
    case_ids = {c.external_ref: _case_id(campaign, c.external_ref) for c in candidates}
    opened = await cases_repo.open_cases(conn=conn, campaign_id=campaign.campaign_id, partner_id=campaign.partner_id,
                                         submission_id=submission_id, cases=candidates, case_ids=case_ids,
                                         opened_at=now)
    await outbox.enqueue(conn, [case_opened(c, campaign=campaign, case_id=case_ids[c.external_ref], opened_at=now)
                                for c in candidates if c.external_ref in opened])
    return opened, case_ids


def _case_id(campaign: Campaign, external_ref: str) -> uuid.UUID:
    return case_id_for(partner_id=campaign.partner_id, campaign_id=campaign.campaign_id, external_ref=external_ref)


async def visible_submission(*, conn: asyncpg.Connection, principal: Principal,
                             submission_id: uuid.UUID) -> Submission:
    """The submission if it exists and the caller may see it; NotFound otherwise."""
    submission = await submissions_repo.get_submission(conn=conn, submission_id=submission_id)
    if submission is None:
        raise NotFound("submission not found", field="submission_id")
    ensure_visible(principal, partner_id=submission.partner_id, what="submission")
    return submission


async def rejections_csv(*, conn: asyncpg.Connection, principal: Principal, submission_id: uuid.UUID) -> str:
    """The rejected lines of a submission as a `;`-separated CSV."""
    await visible_submission(conn=conn, principal=principal, submission_id=submission_id)
    rejections = await submissions_repo.rejections_of(conn=conn, submission_id=submission_id)
    return render_rejections_csv(rejections)
