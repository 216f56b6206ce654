"""Integration events: the payloads Relais services publish to one another and to partners.

These models are checked against `schemas/events/*.json` in CI (tests/contract): the JSON Schema
files are the published contract, these classes are how Python speaks it. Internal domain events
live in each service's domain package, never here.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from relais_platform.events import EventData


class ValueObject(BaseModel):
    """A nested, immutable part of an event payload."""

    model_config = ConfigDict(extra="forbid", frozen=True)


Slug = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
Cents = Annotated[int, Field(ge=0, description="Amount in euro cents")]


class Topics:
    """Every Kafka topic of the platform, by name (the names are part of the public contract)."""

    INTAKE_SUBMISSIONS = "relais.intake.submissions.v1"
    INTAKE_REJECTIONS = "relais.intake.rejections.v1"
    CASES_OPENED = "relais.cases.opened.v1"
    CASES_RECALLED = "relais.cases.recalled.v1"
    ASSIGNMENTS = "relais.campaigns.assignments.v1"
    ATTEMPTS = "relais.campaigns.attempts.v1"
    OUTCOMES_RESOLVED = "relais.outcomes.resolved.v1"
    BILLING_LINES = "relais.billing.lines.v1"

    ALL: ClassVar[tuple[str, ...]] = (
        INTAKE_SUBMISSIONS, INTAKE_REJECTIONS, CASES_OPENED, CASES_RECALLED, ASSIGNMENTS, ATTEMPTS,
        OUTCOMES_RESOLVED, BILLING_LINES,
    )


class Channel(StrEnum):
    PHONE = "phone"
    DOOR_TO_DOOR = "door_to_door"


class PhoneKind(StrEnum):
    MOBILE = "mobile"
    LANDLINE = "landline"
    OTHER = "other"


class Address(ValueObject):
    """A postal address in France (mainland, Corsica or overseas)."""

    line1: str = Field(min_length=1, max_length=200)
    line2: str | None = Field(default=None, max_length=200)
    postcode: str = Field(pattern=r"^\d{5}$")
    city: str = Field(min_length=1, max_length=100)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)


class Customer(ValueObject):
    """The person the partner asks the network to reach."""

    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    phone_e164: str | None = Field(default=None, pattern=r"^\+[1-9]\d{6,14}$")
    phone_kind: PhoneKind | None = None
    address: Address | None = None
    time_zone: str = Field(description="IANA zone of the customer, from the postcode or phone prefix")
    department: str = Field(pattern=r"^(\d{2}|2A|2B|97[1-6])$", description="French department code")


class CaseOpened(EventData):
    """A validated case entered the network: a person to reach on behalf of a partner."""

    topic: ClassVar[str] = Topics.CASES_OPENED
    event_type: ClassVar[str] = "relais.case.opened.v1"

    case_id: uuid.UUID
    partner_id: Slug
    campaign_id: uuid.UUID
    external_ref: str = Field(min_length=1, max_length=64)
    customer: Customer
    amount_due_cents: Cents
    debt_since: date | None = None
    channel_preference: Channel | None = None
    campaign_priority: int = Field(default=0, ge=0, le=9)
    campaign_ends_on: date | None = None
    opened_at: datetime


class CaseRecalled(EventData):
    """The partner withdrew a case (the customer paid meanwhile): it leaves every worklist and closes as
    `recalled` through the outcomes service. Never billed."""

    topic: ClassVar[str] = Topics.CASES_RECALLED
    event_type: ClassVar[str] = "relais.case.recalled.v1"

    case_id: uuid.UUID
    partner_id: Slug
    campaign_id: uuid.UUID
    external_ref: str = Field(min_length=1, max_length=64)
    reason: str | None = Field(default=None, max_length=500)
    recalled_at: datetime


class RejectionReason(ValueObject):
    """Why one field of a partner's record was refused."""

    field: str = Field(min_length=1, max_length=100)
    code: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=500)


class CaseRejected(EventData):
    """Dead letter: a partner record intake refused, with every reason, so nothing disappears.
    Keyed by the partner's external_ref when it had one, else by the submission id."""

    topic: ClassVar[str] = Topics.INTAKE_REJECTIONS
    event_type: ClassVar[str] = "relais.intake.case_rejected.v1"

    submission_id: uuid.UUID
    partner_id: Slug
    campaign_id: uuid.UUID | None = None
    channel: str = Field(description="json | csv | xlsx | kafka")
    line: int | None = Field(default=None, ge=1, description="line or record number in the submission")
    external_ref: str | None = Field(default=None, max_length=200)
    raw: dict[str, str | None] = Field(description="the record's fields as received")
    reasons: list[RejectionReason] = Field(min_length=1)
    rejected_at: datetime

    def subject(self) -> str:
        """The external_ref when there is one, else the submission id."""
        return self.external_ref or str(self.submission_id)


class AssignmentStatus(StrEnum):
    ASSIGNED = "assigned"
    UNROUTED = "unrouted"
    WAITING = "waiting"
    RELEASED = "released"
    WITHDRAWN = "withdrawn"
    EXHAUSTED = "exhausted"  # no contact is possible any more within the campaign: outcomes closes it unreachable


class AssignmentChanged(EventData):
    """Who, if anyone, holds a case now; `unrouted` means no site covers the postcode."""

    topic: ClassVar[str] = Topics.ASSIGNMENTS
    event_type: ClassVar[str] = "relais.case.assignment_changed.v1"

    case_id: uuid.UUID
    partner_id: Slug
    campaign_id: uuid.UUID
    status: AssignmentStatus
    site_id: Slug | None = None
    agent_id: Slug | None = None
    channel: Channel | None = Field(default=None, description="phone or door_to_door (changes on escalation)")
    reason: str | None = Field(default=None, max_length=200)
    changed_at: datetime


class AttemptResult(StrEnum):
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    VOICEMAIL = "voicemail"
    WRONG_NUMBER = "wrong_number"
    REACHED = "reached"
    NOT_HOME = "not_home"
    REFUSED = "refused"
    CALLBACK_REQUESTED = "callback_requested"
    MOVED = "moved"
    DECEASED = "deceased"


class AttemptRecorded(EventData):
    """An agent tried to contact the person, by phone or at the door."""

    topic: ClassVar[str] = Topics.ATTEMPTS
    event_type: ClassVar[str] = "relais.case.attempt_recorded.v1"

    attempt_id: uuid.UUID
    case_id: uuid.UUID
    partner_id: Slug
    campaign_id: uuid.UUID
    agent_id: Slug
    site_id: Slug
    channel: Channel
    result: AttemptResult
    attempted_at: datetime
    callback_at: datetime | None = None


class OutcomeType(StrEnum):
    PAYMENT_PLAN = "payment_plan"
    PAID = "paid"
    REFERRED = "referred"
    CONTACT_UPDATED = "contact_updated"
    DISPUTE_FORWARDED = "dispute_forwarded"
    REFUSED = "refused"
    UNREACHABLE = "unreachable"
    MOVED = "moved"
    DECEASED = "deceased"
    RECALLED = "recalled"


class PaymentPlan(ValueObject):
    """Instalments agreed with the partner."""

    instalments: int = Field(ge=1, le=60)
    first_due_date: date
    instalment_amounts_cents: list[Cents] = Field(min_length=1, max_length=60)


class ReferralTarget(StrEnum):
    FSL = "fsl"
    CCAS = "ccas"
    PCB = "pcb"
    OVER_INDEBTEDNESS = "over_indebtedness"
    OTHER = "other"


class ReferralStatus(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    TAKEN_UP = "taken_up"


class Referral(ValueObject):
    """A referral to social aid and how far it went."""

    target: ReferralTarget
    status: ReferralStatus = ReferralStatus.PROPOSED


class ContactUpdate(ValueObject):
    """New contact details for the partner's records."""

    phone_e164: str | None = Field(default=None, pattern=r"^\+[1-9]\d{6,14}$")
    address: Address | None = None


class CaseResolved(EventData):
    """The partner-facing result of a case (no agent notes, nothing the partner may not know)."""

    topic: ClassVar[str] = Topics.OUTCOMES_RESOLVED
    event_type: ClassVar[str] = "relais.case.resolved.v1"

    outcome_id: uuid.UUID
    case_id: uuid.UUID
    partner_id: Slug
    campaign_id: uuid.UUID
    external_ref: str = Field(min_length=1, max_length=64)
    outcome: OutcomeType
    resolved_at: datetime
    payment_plan: PaymentPlan | None = None
    referral: Referral | None = None
    contact_update: ContactUpdate | None = None
    supersedes_outcome_id: uuid.UUID | None = None
    correction_reason: str | None = Field(default=None, max_length=500)


class BillingKind(StrEnum):
    CASE_CLOSED = "case_closed"
    SUCCESSFUL_CONTACT = "successful_contact"
    VISIT = "visit"
    PAYMENT_PLAN = "payment_plan"
    REFERRAL_TAKEN_UP = "referral_taken_up"


class BillingLineRecorded(EventData):
    """One billable unit of mediation work, priced by the partner's tariff, with its evidence."""

    topic: ClassVar[str] = Topics.BILLING_LINES
    event_type: ClassVar[str] = "relais.billing.line_recorded.v1"

    line_id: uuid.UUID
    partner_id: Slug
    case_id: uuid.UUID
    campaign_id: uuid.UUID
    kind: BillingKind
    amount_cents: Cents
    tariff_version_id: uuid.UUID | None = None
    period: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="Billing month YYYY-MM")
    occurred_at: datetime
    evidence_event_ids: list[uuid.UUID] = Field(min_length=1)


ALL_EVENTS: tuple[type[EventData], ...] = (
    CaseOpened, CaseRecalled, CaseRejected, AssignmentChanged, AttemptRecorded, CaseResolved, BillingLineRecorded,
)
