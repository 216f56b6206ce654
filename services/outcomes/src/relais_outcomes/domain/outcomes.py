"""Outcome rules: what details each outcome type needs, and how a final outcome is corrected."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from relais_platform.contracts import CaseResolved, ContactUpdate, OutcomeType, PaymentPlan, Referral
from relais_platform.errors import Conflict, Unprocessable

# How far in the past a plan's first due date may be: a plan agreed late in the month may start
# on an already-passed due date of the partner's billing cycle, but not on a stale one.
MAX_FIRST_DUE_DATE_AGE = timedelta(days=31)

# The one details field each type carries; other types carry none.
DETAILS_FIELD: dict[OutcomeType, str] = {
    OutcomeType.PAYMENT_PLAN: "payment_plan",
    OutcomeType.REFERRED: "referral",
    OutcomeType.CONTACT_UPDATED: "contact_update",
}
DETAILS_FIELDS = ("payment_plan", "referral", "contact_update")


@dataclass(frozen=True, slots=True)
class OutcomeDetails:
    """The type-specific part of an outcome (at most one field set, the one its type needs)."""

    payment_plan: PaymentPlan | None = None
    referral: Referral | None = None
    contact_update: ContactUpdate | None = None

    def as_json(self) -> dict[str, object]:
        """The details as stored and published (only the field that is set)."""
        return {name: getattr(self, name).model_dump(mode="json")
                for name in DETAILS_FIELDS if getattr(self, name) is not None}


@dataclass(frozen=True, slots=True)
class CurrentOutcome:
    """What the correction rule needs to know about a case's current outcome."""

    outcome_id: uuid.UUID
    type: OutcomeType


def validate_details(outcome_type: OutcomeType, details: OutcomeDetails, *, today: date) -> None:
    """Refuse missing, inconsistent or foreign details, naming the field (422)."""
    expected = DETAILS_FIELD.get(outcome_type)
    for name in DETAILS_FIELDS:
        if name != expected and getattr(details, name) is not None:
            raise Unprocessable(f"{name} is only accepted with type {_type_needing(name)}", field=name)
    if expected is not None and getattr(details, expected) is None:
        raise Unprocessable(f"type {outcome_type} requires {expected}", field=expected)
    if details.payment_plan is not None:
        _check_plan(details.payment_plan, today=today)
    if details.contact_update is not None and not (details.contact_update.phone_e164 or details.contact_update.address):
        raise Unprocessable("contact_update needs phone_e164 or address", field="contact_update")


def _type_needing(name: str) -> str:
    return next(str(t) for t, field in DETAILS_FIELD.items() if field == name)


def _check_plan(plan: PaymentPlan, *, today: date) -> None:
    if len(plan.instalment_amounts_cents) != plan.instalments:
        raise Unprocessable(f"{plan.instalments} instalments need as many amounts, got "
                            f"{len(plan.instalment_amounts_cents)}", field="payment_plan.instalment_amounts_cents")
    for index, amount in enumerate(plan.instalment_amounts_cents):
        if amount <= 0:
            raise Unprocessable("every instalment must be more than 0 cents",
                                field=f"payment_plan.instalment_amounts_cents.{index}")
    if plan.first_due_date < today - MAX_FIRST_DUE_DATE_AGE:
        raise Unprocessable(f"first_due_date is more than {MAX_FIRST_DUE_DATE_AGE.days} days in the past",
                            field="payment_plan.first_due_date")


def check_correction(current: CurrentOutcome | None, *, supersedes_outcome_id: uuid.UUID | None,
                     correction_reason: str | None) -> None:
    """An outcome is final: a new one for a resolved case must name the current outcome and say why."""
    if current is None:
        if supersedes_outcome_id is not None:
            raise Unprocessable("the case has no outcome to correct", field="supersedes_outcome_id")
        if correction_reason is not None:
            raise Unprocessable("correction_reason is only accepted with supersedes_outcome_id",
                                field="correction_reason")
        return
    if supersedes_outcome_id is None and correction_reason is None:
        raise Conflict("outcome is final; send supersedes_outcome_id and correction_reason to correct it",
                       current_outcome_id=str(current.outcome_id))
    if supersedes_outcome_id != current.outcome_id:
        raise Unprocessable(f"a correction must supersede the current outcome {current.outcome_id}",
                            field="supersedes_outcome_id")
    if not correction_reason or not correction_reason.strip():
        raise Unprocessable("a correction needs a correction_reason", field="correction_reason")


def check_resolved_at(resolved_at: datetime, *, opened_at: datetime, now: datetime,
                      tolerance: timedelta = timedelta(minutes=5)) -> None:
    """An outcome cannot predate the case nor lie in the future (beyond a little clock skew)."""
    if resolved_at > now + tolerance:
        raise Unprocessable("resolved_at is in the future", field="resolved_at")
    if resolved_at < opened_at:
        raise Unprocessable("resolved_at is before the case was opened", field="resolved_at")


@dataclass(frozen=True, slots=True)
class Outcome:
    """A recorded outcome of a case (current when nothing supersedes it)."""

    outcome_id: uuid.UUID
    case_id: uuid.UUID
    partner_id: str
    campaign_id: uuid.UUID
    type: OutcomeType
    details: OutcomeDetails
    note: str | None
    recorded_by: str
    resolved_at: datetime
    supersedes_outcome_id: uuid.UUID | None = None
    correction_reason: str | None = None
    superseded_by: uuid.UUID | None = None
    created_at: datetime | None = None

    @property
    def is_current(self) -> bool:
        """Nothing supersedes this outcome."""
        return self.superseded_by is None

    def to_event(self, *, external_ref: str) -> CaseResolved:
        """The partner-facing event: everything but the agent's note."""
        return CaseResolved(
            outcome_id=self.outcome_id, case_id=self.case_id, partner_id=self.partner_id,
            campaign_id=self.campaign_id, external_ref=external_ref, outcome=self.type,
            resolved_at=self.resolved_at, payment_plan=self.details.payment_plan, referral=self.details.referral,
            contact_update=self.details.contact_update, supersedes_outcome_id=self.supersedes_outcome_id,
            correction_reason=self.correction_reason,
        )


def details_from_json(data: dict[str, object] | None) -> OutcomeDetails:
    """Rebuild stored details."""
    data = data or {}
    return OutcomeDetails(
        payment_plan=PaymentPlan.model_validate(data["payment_plan"]) if data.get("payment_plan") else None,
        referral=Referral.model_validate(data["referral"]) if data.get("referral") else None,
        contact_update=ContactUpdate.model_validate(data["contact_update"]) if data.get("contact_update") else None,
    )
