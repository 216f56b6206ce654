"""Partner tariffs: versions by effective date, and which one prices a piece of work."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from relais_outcomes.domain.calendar import billing_date
from relais_platform.contracts import BillingKind


@dataclass(frozen=True, slots=True)
class Tariff:
    """One version of a partner's tariff: a fee per billing kind (cents), VAT and monthly bounds."""

    tariff_version_id: uuid.UUID
    partner_id: str
    effective_from: date
    fees: Mapping[BillingKind, int]
    vat_rate_bp: int
    monthly_minimum_cents: int | None = None
    monthly_cap_cents: int | None = None
    created_by: str = ""
    created_at: datetime | None = field(default=None, compare=False)

    def fee(self, kind: BillingKind) -> int:
        """The price of one unit of `kind`; a kind the tariff does not name costs 0."""
        return int(self.fees.get(kind, 0))

    def same_terms(self, other: Tariff) -> bool:
        """True when both versions would price and bound work identically."""
        kinds = list(BillingKind)
        return ([self.fee(k) for k in kinds] == [other.fee(k) for k in kinds]
                and (self.vat_rate_bp, self.monthly_minimum_cents, self.monthly_cap_cents)
                == (other.vat_rate_bp, other.monthly_minimum_cents, other.monthly_cap_cents))


def tariff_in_force(versions: Iterable[Tariff], on: date) -> Tariff | None:
    """The version with the latest `effective_from` on or before `on`, or None before the first one."""
    candidates = [v for v in versions if v.effective_from <= on]
    return max(candidates, key=lambda v: v.effective_from, default=None)


def tariff_at(versions: Iterable[Tariff], moment: datetime) -> Tariff | None:
    """The version in force at an aware instant, judged on its Europe/Paris calendar day."""
    return tariff_in_force(versions, billing_date(moment))


def validate_bounds(minimum: int | None, cap: int | None) -> None:
    """A monthly cap below the monthly minimum cannot be honoured."""
    if minimum is not None and cap is not None and cap < minimum:
        raise ValueError("monthly_cap_cents must be >= monthly_minimum_cents")
