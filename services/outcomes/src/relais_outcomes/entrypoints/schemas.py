"""HTTP request and response bodies of the outcomes API, and their mapping to commands and views."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from relais_outcomes.domain.billing import BillingLine
from relais_outcomes.domain.commands import PutTariff, RecordOutcome
from relais_outcomes.domain.outcomes import Outcome, OutcomeDetails
from relais_outcomes.domain.statements import Statement
from relais_outcomes.service_layer.finance import TariffVersionUsage
from relais_platform.contracts import BillingKind, ContactUpdate, OutcomeType, PaymentPlan, Referral, ReferralStatus

# Money from the outside is a JSON integer: no "12", no 12.0, no true.
StrictCents = Annotated[int, Field(strict=True, ge=0, le=100_000_000_000, description="Euro cents")]


class Body(BaseModel):
    """A request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class OutcomeIn(Body):
    """The final outcome of a case, or the correction of the current one."""

    type: OutcomeType
    payment_plan: PaymentPlan | None = None
    referral: Referral | None = None
    contact_update: ContactUpdate | None = None
    note: str | None = Field(default=None, max_length=2000, description="Agent note; never shown to the partner")
    resolved_at: AwareDatetime | None = Field(default=None, description="Defaults to now")
    supersedes_outcome_id: uuid.UUID | None = None
    correction_reason: str | None = Field(default=None, min_length=1, max_length=500)

    def to_command(self, case_id: uuid.UUID) -> RecordOutcome:
        """The command this request asks for."""
        return RecordOutcome(
            case_id=case_id, type=self.type, note=self.note, resolved_at=self.resolved_at,
            details=OutcomeDetails(payment_plan=self.payment_plan, referral=self.referral,
                                   contact_update=self.contact_update),
            supersedes_outcome_id=self.supersedes_outcome_id, correction_reason=self.correction_reason,
        )


class ReferralFollowUpIn(Body):
    """The next step of the case's referral."""

    status: Literal[ReferralStatus.ACCEPTED, ReferralStatus.TAKEN_UP]
    updated_at: AwareDatetime | None = Field(default=None, description="When the step happened; defaults to now")
    note: str | None = Field(default=None, max_length=2000, description="Agent note; never shown to the partner")


class OutcomeOut(BaseModel):
    """A recorded outcome (`note` and `recorded_by` are absent for partners, as in the partner feed)."""

    outcome_id: uuid.UUID
    case_id: uuid.UUID
    partner_id: str
    campaign_id: uuid.UUID
    external_ref: str
    type: OutcomeType
    payment_plan: PaymentPlan | None = None
    referral: Referral | None = None
    contact_update: ContactUpdate | None = None
    note: str | None = None
    resolved_at: datetime
    recorded_by: str | None = None
    supersedes_outcome_id: uuid.UUID | None = None
    correction_reason: str | None = None
    superseded_by: uuid.UUID | None = None
    created_at: datetime | None = None


class CaseOutcomesOut(BaseModel):
    """A case's current outcome (null while unresolved) and its full history, oldest first."""

    case_id: uuid.UUID
    current: OutcomeOut | None
    history: list[OutcomeOut]


def outcome_out(outcome: Outcome, *, external_ref: str, internal: bool) -> dict[str, Any]:
    """The JSON of an outcome; the agent's note and identity only for the network's own staff."""
    body = OutcomeOut(
        outcome_id=outcome.outcome_id, case_id=outcome.case_id, partner_id=outcome.partner_id,
        campaign_id=outcome.campaign_id, external_ref=external_ref, type=outcome.type,
        payment_plan=outcome.details.payment_plan, referral=outcome.details.referral,
        contact_update=outcome.details.contact_update, note=outcome.note, resolved_at=outcome.resolved_at,
        recorded_by=outcome.recorded_by, supersedes_outcome_id=outcome.supersedes_outcome_id,
        correction_reason=outcome.correction_reason, superseded_by=outcome.superseded_by,
        created_at=outcome.created_at,
    ).model_dump(mode="json")
    if not internal:
        del body["note"], body["recorded_by"]
    return body


class FeesIn(Body):
    """Price of one unit of each billing kind, in cents; a kind left out costs 0."""

    case_closed_cents: StrictCents = 0
    successful_contact_cents: StrictCents = 0
    visit_cents: StrictCents = 0
    payment_plan_cents: StrictCents = 0
    referral_taken_up_cents: StrictCents = 0

    def by_kind(self) -> dict[BillingKind, int]:
        """Fees keyed by billing kind."""
        return {kind: getattr(self, f"{kind}_cents") for kind in BillingKind}


class TariffIn(Body):
    """A tariff version: fees, VAT and optional monthly bounds, in force from `effective_from` (Paris)."""

    effective_from: date
    fees: FeesIn = Field(default_factory=FeesIn)
    vat_rate_bp: int = Field(strict=True, ge=0, le=10_000, description="VAT in basis points: 2000 = 20 %")
    monthly_minimum_cents: StrictCents | None = None
    monthly_cap_cents: StrictCents | None = None

    @field_validator("monthly_cap_cents")
    @classmethod
    def _cap_not_below_minimum(cls, cap: int | None, info: ValidationInfo) -> int | None:
        minimum = info.data.get("monthly_minimum_cents")
        if cap is not None and minimum is not None and cap < minimum:
            raise ValueError("monthly_cap_cents must be >= monthly_minimum_cents")
        return cap

    def to_command(self, partner_id: str) -> PutTariff:
        """The command this request asks for."""
        return PutTariff(partner_id=partner_id, effective_from=self.effective_from, fees=self.fees.by_kind(),
                         vat_rate_bp=self.vat_rate_bp, monthly_minimum_cents=self.monthly_minimum_cents,
                         monthly_cap_cents=self.monthly_cap_cents)


class TariffVersionOut(BaseModel):
    """One version of a partner's tariff and how many billing lines it priced."""

    tariff_version_id: uuid.UUID
    effective_from: date
    fees: dict[str, int]
    vat_rate_bp: int
    monthly_minimum_cents: int | None
    monthly_cap_cents: int | None
    created_at: datetime | None
    created_by: str
    lines_priced: int


class TariffOut(BaseModel):
    """Every version of a partner's tariff, oldest first."""

    partner_id: str
    versions: list[TariffVersionOut]


def tariff_out(partner_id: str, versions: list[TariffVersionUsage]) -> TariffOut:
    """The JSON of a partner's tariff versions."""
    return TariffOut(partner_id=partner_id, versions=[TariffVersionOut(
        tariff_version_id=v.tariff.tariff_version_id, effective_from=v.tariff.effective_from,
        fees={f"{k}_cents": v.tariff.fee(k) for k in BillingKind}, vat_rate_bp=v.tariff.vat_rate_bp,
        monthly_minimum_cents=v.tariff.monthly_minimum_cents, monthly_cap_cents=v.tariff.monthly_cap_cents,
        created_at=v.tariff.created_at, created_by=v.tariff.created_by, lines_priced=v.lines_priced,
    ) for v in versions])


class StatementLineOut(BaseModel):
    """A billing line on a statement; `unpriced` when no tariff was in force for the work."""

    line_id: uuid.UUID
    kind: BillingKind
    case_id: uuid.UUID
    campaign_id: uuid.UUID
    amount_cents: int
    occurred_at: datetime
    tariff_version_id: uuid.UUID | None
    evidence_event_ids: list[uuid.UUID]
    unpriced: bool
    period: str = Field(description="The month of the work; earlier than the statement's when carried forward")
    carried_forward: bool = Field(default=False, description="A late line of an already invoiced month")


def line_out(x: BillingLine, *, statement_period: str) -> StatementLineOut:
    """The JSON of a billing line on the statement of `statement_period` (carried forward when earlier)."""
    return StatementLineOut(
        line_id=x.line_id, kind=x.kind, case_id=x.case_id, campaign_id=x.campaign_id, amount_cents=x.amount_cents,
        occurred_at=x.occurred_at, tariff_version_id=x.tariff_version_id,
        evidence_event_ids=list(x.evidence_event_ids), unpriced=x.unpriced, period=x.period,
        carried_forward=x.period != statement_period)


class AdjustmentOut(BaseModel):
    """The line that lifts the month to the tariff's minimum (positive) or down to its cap (negative)."""

    kind: Literal["monthly_minimum", "monthly_cap"]
    amount_cents: int


class StatementOut(BaseModel):
    """A monthly statement, draft or finalised: lines, subtotal, min/cap adjustment, VAT (half-up), total in cents."""

    partner_id: str
    period: str
    status: Literal["draft", "finalized"] = "draft"
    invoice_number: str | None = Field(default=None, description="Set once the month is finalised")
    currency: Literal["EUR"] = "EUR"
    tariff_version_id: uuid.UUID | None = Field(description="The version in force on the month's last day")
    lines: list[StatementLineOut]
    counts_by_kind: dict[str, int]
    unpriced_count: int
    subtotal_cents: int
    adjustment: AdjustmentOut | None
    adjustment_cents: int
    net_cents: int
    vat_rate_bp: int
    vat_cents: int
    total_cents: int


def statement_out(s: Statement, invoice_number: str | None = None) -> StatementOut:
    """The JSON of a statement (draft, or finalised under `invoice_number`)."""
    return StatementOut(
        partner_id=s.partner_id, period=s.period, status="finalized" if invoice_number else "draft",
        invoice_number=invoice_number,
        tariff_version_id=s.tariff.tariff_version_id if s.tariff else None,
        lines=[line_out(x, statement_period=s.period) for x in s.lines],
        counts_by_kind=s.counts_by_kind, unpriced_count=s.unpriced_count, subtotal_cents=s.subtotal_cents,
        adjustment=AdjustmentOut(kind=s.adjustment.kind, amount_cents=s.adjustment.amount_cents)
        if s.adjustment else None,
        adjustment_cents=s.adjustment_cents, net_cents=s.net_cents, vat_rate_bp=s.vat_rate_bp,
        vat_cents=s.vat_cents, total_cents=s.total_cents,
    )
