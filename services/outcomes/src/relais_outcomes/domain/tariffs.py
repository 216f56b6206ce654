"""Partner tariffs: versions by effective date, and which one prices a piece of work."""

from __future__ import annotations

import bisect
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import NamedTuple

from relais_outcomes.domain.calendar import billing_date, period_of_day
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


class Price(NamedTuple):
    """What a line of work is billed: its amount, the version that priced it (None: unpriced, at 0), its month."""

    amount_cents: int
    tariff_version_id: uuid.UUID | None
    period: str


class TariffIndex:
    """Each partner's tariff versions, for pricing many lines: `tariff_in_force` by bisection, and each price
    kept for the partner, kind and Paris day it holds for (work comes in time order, many lines a day)."""

    def __init__(self, versions: Mapping[str, Sequence[Tariff]] | None = None) -> None:
        self._starts: dict[str, list[date]] = {}
        self._versions: dict[str, list[Tariff]] = {}
        self._prices: dict[tuple[str, str, date], Price] = {}
        self._days: dict[tuple[int, int, int, int], date] = {}  # Paris day of a UTC hour (offsets change on hours)
        self.add(versions or {})

    def add(self, versions: Mapping[str, Sequence[Tariff]]) -> None:
        """Index (or re-index) the versions of these partners."""
        for partner_id, partner_versions in versions.items():
            ordered = sorted(partner_versions, key=lambda v: v.effective_from)
            self._versions[partner_id] = ordered
            self._starts[partner_id] = [v.effective_from for v in ordered]
        self._prices.clear()

    def __contains__(self, partner_id: str) -> bool:
        return partner_id in self._versions

    def in_force(self, partner_id: str, on: date) -> Tariff | None:
        """`tariff_in_force(versions of partner_id, on)`."""
        starts = self._starts.get(partner_id)
        if not starts:
            return None
        at = bisect.bisect_right(starts, on)
        return self._versions[partner_id][at - 1] if at else None

    def price(self, partner_id: str, kind: BillingKind, moment: datetime) -> Price:
        """The price of one unit of `kind` for work at an aware instant: the fee of the version in force on its
        Paris day (0 and no version before the first one), in its Paris month."""
        day = self._paris_day(moment)
        key = (partner_id, kind, day)
        price = self._prices.get(key)
        if price is None:
            version = self.in_force(partner_id, day)
            price = self._prices[key] = Price(version.fee(kind) if version else 0,
                                              version.tariff_version_id if version else None,
                                              period_of_day(day))
        return price

    def _paris_day(self, moment: datetime) -> date:
        if moment.tzinfo is not UTC:
            return billing_date(moment)
        hour = (moment.year, moment.month, moment.day, moment.hour)
        day = self._days.get(hour)
        if day is None:
            day = self._days[hour] = billing_date(moment)
        return day


def tariff_at(versions: Iterable[Tariff], moment: datetime) -> Tariff | None:
    """The version in force at an aware instant, judged on its Europe/Paris calendar day."""
    return tariff_in_force(versions, billing_date(moment))


def validate_bounds(minimum: int | None, cap: int | None) -> None:
    """A monthly cap below the monthly minimum cannot be honoured."""
    if minimum is not None and cap is not None and cap < minimum:
        raise ValueError("monthly_cap_cents must be >= monthly_minimum_cents")
