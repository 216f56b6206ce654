"""A submission: one batch of cases handed over by a partner, and what became of its lines."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


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
    filename: str | None = None
    file_format: dict[str, Any] | None = None
    bytes_total: int = 0
    bytes_read: int = 0
    error: str | None = None

    @property
    def progress(self) -> float:
        """How far processing got, from 0 to 1 (bytes of the file read; a JSON batch is taken at once)."""
        if self.status == SubmissionStatus.DONE:
            return 1.0
        if not self.bytes_total:
            return 0.0
        return round(min(self.bytes_read / self.bytes_total, 0.999), 3)
