"""Billing rules: which published events are billable work, and at what price.

Lines are derived from the partner-facing events (attempts, resolutions), never from an HTTP
transaction, so replaying the topics reproduces the same lines: a line's id is
`derived_id(kind, evidence event id)`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from relais_outcomes.domain.calendar import period_of
from relais_outcomes.domain.tariffs import Tariff
from relais_platform.contracts import (
    AttemptRecorded,
    AttemptResult,
    BillingKind,
    BillingLineRecorded,
    CaseResolved,
    Channel,
    OutcomeType,
    ReferralStatus,
)
from relais_platform.events import Envelope
from relais_platform.ids import derived_id, derived_name, name_id_text


@dataclass(frozen=True, slots=True)
class BillingLine:
    """One billable unit of mediation work with the event(s) that prove it."""

    line_id: uuid.UUID
    partner_id: str
    case_id: uuid.UUID
    campaign_id: uuid.UUID
    kind: BillingKind
    amount_cents: int
    tariff_version_id: uuid.UUID | None
    period: str
    occurred_at: datetime
    evidence_event_ids: tuple[uuid.UUID, ...]

    @property
    def unpriced(self) -> bool:
        """No tariff was in force for the partner when the work happened: finance must price it."""
        return self.tariff_version_id is None

    def to_event(self) -> BillingLineRecorded:
        """The published form of this line."""
        return BillingLineRecorded(
            line_id=self.line_id, partner_id=self.partner_id, case_id=self.case_id, campaign_id=self.campaign_id,
            kind=self.kind, amount_cents=self.amount_cents, tariff_version_id=self.tariff_version_id,
            period=self.period, occurred_at=self.occurred_at, evidence_event_ids=list(self.evidence_event_ids),
        )


def line_id_for(kind: BillingKind, evidence_event_id: uuid.UUID) -> uuid.UUID:
    """The deterministic id of the line of `kind` proven by one event."""
    return derived_id(str(kind), evidence_event_id)


def line_id_text(kind: str, evidence_event_id: str) -> str:
    """`str(line_id_for(kind, evidence))` for a canonical event id string, without building UUID objects (the hot
    path computes one per billing line)."""
    return name_id_text(derived_name(kind, evidence_event_id))


class BillableWork(NamedTuple):
    """One line a consumed event earns, before pricing: the database prices it with the tariff in force
    (adapters/billing_repo.py), exactly as `billable_lines_for_*` would (a test holds them equal)."""

    line_id: str
    kind: BillingKind
    evidence_event_id: str  # ids as canonical text (str(uuid.UUID)): the hot path never builds UUID objects
    partner_id: str
    case_id: str
    campaign_id: str
    occurred_at: datetime


def billable_work(kinds: list[BillingKind], *, evidence: str, partner_id: str, case_id: str, campaign_id: str,
                  occurred_at: datetime) -> list[BillableWork]:
    """The unpriced lines of `kinds` proven by one event (ids as canonical text; same line ids as
    `billable_lines_for_*`); like them, refuses (ValueError) a time without a zone: its Paris day, so its
    tariff and month, would be a guess."""
    if not kinds:
        return []
    if occurred_at.tzinfo is None:
        raise ValueError("billing needs an aware datetime")
    return [BillableWork(line_id_text(kind, evidence), kind, evidence, partner_id, case_id, campaign_id, occurred_at)
            for kind in kinds]


def attempt_work(event: Envelope[AttemptRecorded]) -> list[BillableWork]:
    """The lines an attempt earns, unpriced."""
    a = event.data
    return billable_work(attempt_kinds(a), evidence=str(event.id), partner_id=a.partner_id, case_id=str(a.case_id),
                         campaign_id=str(a.campaign_id), occurred_at=a.attempted_at)


def resolution_work(event: Envelope[CaseResolved]) -> list[BillableWork]:
    """The lines a resolution earns, unpriced."""
    r = event.data
    return billable_work(resolution_kinds(r), evidence=str(event.id), partner_id=r.partner_id,
                         case_id=str(r.case_id), campaign_id=str(r.campaign_id), occurred_at=r.resolved_at)


def _line(kind: BillingKind, *, evidence: uuid.UUID, partner_id: str, case_id: uuid.UUID,
          campaign_id: uuid.UUID, occurred_at: datetime, tariff: Tariff | None) -> BillingLine:
    return BillingLine(
        line_id=line_id_for(kind, evidence), partner_id=partner_id, case_id=case_id, campaign_id=campaign_id,
        kind=kind, amount_cents=tariff.fee(kind) if tariff else 0,
        tariff_version_id=tariff.tariff_version_id if tariff else None,
        period=period_of(occurred_at), occurred_at=occurred_at, evidence_event_ids=(evidence,),
    )


def attempt_kinds(attempt: AttemptRecorded) -> list[BillingKind]:
    """What an attempt earns (see `kinds_of_attempt`)."""
    return kinds_of_attempt(attempt.result, attempt.channel)


def kinds_of_attempt(result: str, channel: str) -> list[BillingKind]:
    """A reached person is a successful contact; every door-to-door attempt is a visit (the trip is work)."""
    kinds: list[BillingKind] = []
    if result == AttemptResult.REACHED:
        kinds.append(BillingKind.SUCCESSFUL_CONTACT)
    if channel == Channel.DOOR_TO_DOOR:
        kinds.append(BillingKind.VISIT)
    return kinds


def resolution_kinds(resolved: CaseResolved) -> list[BillingKind]:
    """Every final outcome closes the case except a recall (the partner withdrew it: no mediation work);
    an agreed payment plan and a referral taken up are billed on top."""
    if resolved.outcome == OutcomeType.RECALLED:
        return []
    kinds = [BillingKind.CASE_CLOSED]
    if resolved.outcome == OutcomeType.PAYMENT_PLAN:
        kinds.append(BillingKind.PAYMENT_PLAN)
    if resolved.referral is not None and resolved.referral.status == ReferralStatus.TAKEN_UP:
        kinds.append(BillingKind.REFERRAL_TAKEN_UP)
    return kinds


def billable_lines_for_attempt(event: Envelope[AttemptRecorded], tariff: Tariff | None) -> list[BillingLine]:
    """The lines an attempt earns, priced with `tariff` (the partner's version at the attempt time)."""
    a = event.data
    return [_line(kind, evidence=event.id, partner_id=a.partner_id, case_id=a.case_id, campaign_id=a.campaign_id,
                  occurred_at=a.attempted_at, tariff=tariff) for kind in attempt_kinds(a)]


def billable_lines_for_resolution(event: Envelope[CaseResolved], tariff: Tariff | None) -> list[BillingLine]:
    """The lines a resolution earns, priced with `tariff` (the partner's version at the resolution time).

    A correction yields the same kinds; the store keeps one line per case for case_closed,
    payment_plan and referral_taken_up, so a correction bills only what the case had not earned yet.
    """
    r = event.data
    return [_line(kind, evidence=event.id, partner_id=r.partner_id, case_id=r.case_id, campaign_id=r.campaign_id,
                  occurred_at=r.resolved_at, tariff=tariff) for kind in resolution_kinds(r)]


ONCE_PER_CASE: frozenset[BillingKind] = frozenset(
    {BillingKind.CASE_CLOSED, BillingKind.PAYMENT_PLAN, BillingKind.REFERRAL_TAKEN_UP}
)
