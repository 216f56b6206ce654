"""Handlers for submissions: take a batch of cases, open the valid ones, report on every line."""

from __future__ import annotations

import codecs
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from relais_intake.adapters import submissions_repo
from relais_intake.domain.batch import CaseResult
from relais_intake.domain.campaign import ensure_takes_cases
from relais_intake.domain.file_format import http_charset
from relais_intake.domain.rejection_report import RejectionsLayout, StoredRejection, field_names
from relais_intake.domain.submission import Submission, SubmissionChannel
from relais_intake.domain.validation import validate_case
from relais_intake.service_layer.access import ensure_visible
from relais_intake.service_layer.campaigns import visible_campaign
from relais_intake.service_layer.case_intake import take_cases
from relais_platform.auth import Principal
from relais_platform.errors import NotFound

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
    taken = await take_cases(conn=conn, campaign=campaign, submission_id=submission_id, channel=str(command.channel),
                             checked=checked, now=now)
    submission = await submissions_repo.finish_submission(
        conn=conn, submission_id=submission_id, accepted=taken.accepted, rejected=taken.rejected,
        duplicates=taken.duplicates,
    )
    return SubmissionReport(submission=submission, results=taken.results)


async def visible_submission(*, conn: asyncpg.Connection, principal: Principal,
                             submission_id: uuid.UUID) -> Submission:
    """The submission if it exists and the caller may see it; NotFound otherwise."""
    submission = await submissions_repo.get_submission(conn=conn, submission_id=submission_id)
    if submission is None:
        raise NotFound("submission not found", field="submission_id")
    ensure_visible(principal, partner_id=submission.partner_id, what="submission")
    return submission


@dataclass(frozen=True, slots=True)
class RejectionsDownload:
    """The rejections CSV of a submission, to stream: its charset, and its encoded pieces (`chunks()`)."""

    pool: asyncpg.Pool
    submission: Submission
    batch: int = 2000  # lines read (and written) at a time

    @property
    def charset(self) -> str:
        """The IANA name of the charset the CSV is written in (the file's own; UTF-8 for JSON batches)."""
        return http_charset(self._codec())

    async def chunks(self) -> AsyncIterator[bytes]:
        """Header then rows, read twice from a cursor (first the columns, then the lines) on one snapshot."""
        fmt = self.submission.file_format or {}
        of_file = "header" in fmt
        encoder = codecs.getincrementalencoder(self._codec())(errors="replace")  # one BOM, at the start only
        async with self.pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            keys: set[str] = set()
            async for batch in self._batches(conn):
                keys.update(k for r in batch for k in field_names(r, of_file=of_file))
            layout = (RejectionsLayout.for_file(keys, header=fmt["header"], separator=fmt.get("separator") or ";")
                      if of_file else RejectionsLayout.for_json(keys))
            yield encoder.encode(layout.header())
            async for batch in self._batches(conn):
                yield encoder.encode(layout.rows(batch))
        yield encoder.encode("", final=True)

    def _batches(self, conn: asyncpg.Connection) -> AsyncIterator[list[StoredRejection]]:
        return submissions_repo.rejections_in_batches(conn=conn, submission_id=self.submission.submission_id,
                                                      batch=self.batch)

    def _codec(self) -> str:
        fmt = self.submission.file_format or {}
        return (fmt.get("charset") or "utf-8") if "header" in fmt else "utf-8"


async def rejections_csv(*, pool: asyncpg.Pool, principal: Principal, submission_id: uuid.UUID) -> RejectionsDownload:
    """The refused lines of a submission: a file's in its own columns, separator and charset (so the partner can
    fix them and send them again); a JSON batch's as a `;`-separated UTF-8 CSV. NotFound before anything streams."""
    async with pool.acquire() as conn:
        submission = await visible_submission(conn=conn, principal=principal, submission_id=submission_id)
    return RejectionsDownload(pool=pool, submission=submission)
