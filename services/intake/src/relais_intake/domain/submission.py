"""A submission: one batch of cases handed over by a partner, and what became of its lines."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class SubmissionChannel(StrEnum):
    JSON = "json"
    CSV = "csv"
    XLSX = "xlsx"
    KAFKA = "kafka"


class SubmissionStatus(StrEnum):
    RECEIVED = "received"
    VALIDATING = "validating"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Submission:
    """A submission as stored, with its counts."""

    submission_id: uuid.UUID
    campaign_id: uuid.UUID
    partner_id: str
    channel: SubmissionChannel
    status: SubmissionStatus
    rows_read: int
    accepted: int
    rejected: int
    duplicates: int
    created_at: datetime
    finished_at: datetime | None
