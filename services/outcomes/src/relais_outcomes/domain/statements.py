"""Monthly statements: the sum of a partner's billing lines, the contractual monthly bounds, VAT.

    subtotal   = sum of the lines' amounts
    adjustment = max(minimum - subtotal, 0)       when the tariff has a monthly minimum
               = min(cap - subtotal, 0)           when the tariff has a monthly cap
    net        = subtotal + adjustment            (the taxable base; an adjustment is itself a line)
    vat        = net * vat_rate_bp / 10000, rounded half-up to the cent (integers only)
    total      = net + vat
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from relais_outcomes.domain.billing import BillingLine
from relais_outcomes.domain.tariffs import Tariff
from relais_platform.contracts import BillingKind

BASIS_POINTS = 10_000


class AdjustmentKind(StrEnum):
    MONTHLY_MINIMUM = "monthly_minimum"
    MONTHLY_CAP = "monthly_cap"


@dataclass(frozen=True, slots=True)
class Adjustment:
    """The statement line that brings the subtotal up to the minimum or down to the cap."""

    kind: AdjustmentKind
    amount_cents: int


@dataclass(frozen=True, slots=True)
class Statement:
    """A partner's draft statement for one billing month."""

    partner_id: str
    period: str
    lines: tuple[BillingLine, ...]
    tariff: Tariff | None
    subtotal_cents: int
    adjustment: Adjustment | None
    vat_rate_bp: int
    vat_cents: int

    @property
    def adjustment_cents(self) -> int:
        """Signed amount of the minimum/cap adjustment (0 when none applies)."""
        return self.adjustment.amount_cents if self.adjustment else 0

    @property
    def net_cents(self) -> int:
        """The taxable base: subtotal plus adjustment."""
        return self.subtotal_cents + self.adjustment_cents

    @property
    def total_cents(self) -> int:
        """What the partner owes for the month, VAT included."""
        return self.net_cents + self.vat_cents

    @property
    def counts_by_kind(self) -> dict[str, int]:
        """How many lines of each billing kind (every kind listed, 0 when none)."""
        counts = Counter(line.kind for line in self.lines)
        return {str(kind): counts.get(kind, 0) for kind in BillingKind}

    @property
    def unpriced_count(self) -> int:
        """Lines of work done while the partner had no tariff (amount 0 until finance prices them)."""
        return sum(1 for line in self.lines if line.unpriced)


def vat_half_up(net_cents: int, vat_rate_bp: int) -> int:
    """VAT in cents: net * rate / 10000 rounded half-up to the cent, in integer arithmetic only.

    Half-up means a remainder of exactly half a cent rounds away from zero: 0.5 → 1, 2.5 → 3, and for
    a negative base (a credit) -0.5 → -1. Computed as (|net| * bp * 2 + 10000) // 20000 with the sign
    put back, so no float ever touches money.
    """
    if not 0 <= vat_rate_bp <= BASIS_POINTS:
        raise ValueError("vat_rate_bp must be within 0..10000")
    magnitude = (abs(net_cents) * vat_rate_bp * 2 + BASIS_POINTS) // (2 * BASIS_POINTS)
    return magnitude if net_cents >= 0 else -magnitude


def monthly_adjustment(subtotal_cents: int, tariff: Tariff | None) -> Adjustment | None:
    """The minimum or cap line the tariff imposes on a month's subtotal, or None."""
    if tariff is None:
        return None
    minimum, cap = tariff.monthly_minimum_cents, tariff.monthly_cap_cents
    if minimum is not None and subtotal_cents < minimum:
        return Adjustment(AdjustmentKind.MONTHLY_MINIMUM, minimum - subtotal_cents)
    if cap is not None and subtotal_cents > cap:
        return Adjustment(AdjustmentKind.MONTHLY_CAP, cap - subtotal_cents)
    return None


def build_statement(*, partner_id: str, period: str, lines: Sequence[BillingLine],
                    tariff_at_month_end: Tariff | None) -> Statement:
    """Total a month's lines with the tariff in force at the end of the month (its VAT rate and bounds).

    Without a tariff at the end of the month there is no VAT rate and no bound: VAT is 0.
    """
    totals = statement_of_subtotal(partner_id=partner_id, period=period,
                                   subtotal_cents=sum(line.amount_cents for line in lines),
                                   tariff_at_month_end=tariff_at_month_end)
    return replace(totals, lines=tuple(lines))


def statement_of_subtotal(*, partner_id: str, period: str, subtotal_cents: int,
                          tariff_at_month_end: Tariff | None) -> Statement:
    """The totals of a month whose lines summed to `subtotal_cents` (the lines themselves left out: a month
    being finalised is summed by the database)."""
    adjustment = monthly_adjustment(subtotal_cents, tariff_at_month_end)
    rate = tariff_at_month_end.vat_rate_bp if tariff_at_month_end else 0
    net = subtotal_cents + (adjustment.amount_cents if adjustment else 0)
    return Statement(partner_id=partner_id, period=period, lines=(), tariff=tariff_at_month_end,
                     subtotal_cents=subtotal_cents, adjustment=adjustment, vat_rate_bp=rate,
                     vat_cents=vat_half_up(net, rate))
