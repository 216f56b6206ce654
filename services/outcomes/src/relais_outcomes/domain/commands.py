"""Commands the outcomes service accepts (imperative, built at the edge from requests)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from relais_outcomes.domain.outcomes import OutcomeDetails
from relais_platform.contracts import BillingKind, OutcomeType


@dataclass(frozen=True, slots=True)
class RecordOutcome:
    """Record the final outcome of a case, or correct the current one."""

    case_id: uuid.UUID
    type: OutcomeType
    details: OutcomeDetails
    note: str | None = None
    resolved_at: datetime | None = None
    supersedes_outcome_id: uuid.UUID | None = None
    correction_reason: str | None = None


@dataclass(frozen=True, slots=True)
class PutTariff:
    """Define (or, while nothing was priced with it, redefine) a partner's tariff from a date."""

    partner_id: str
    effective_from: date
    fees: Mapping[BillingKind, int]
    vat_rate_bp: int
    monthly_minimum_cents: int | None = None
    monthly_cap_cents: int | None = None
