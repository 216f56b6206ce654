"""Billing rules: which events are billable work, how they are priced, and their billing month."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from relais_outcomes.domain.billing import (
    billable_lines_for_attempt,
    billable_lines_for_resolution,
    line_id_for,
)
from relais_outcomes.domain.calendar import last_day_of, period_bounds, period_of
from relais_outcomes.domain.tariffs import Tariff
from relais_platform.contracts import (
    AttemptRecorded,
    AttemptResult,
    BillingKind,
    CaseResolved,
    Channel,
    OutcomeType,
    PaymentPlan,
    Referral,
    ReferralStatus,
    ReferralTarget,
)
from relais_platform.events import decode, encode, envelope
from relais_platform.ids import derived_id

CASE, CAMPAIGN = uuid.uuid4(), uuid.uuid4()
TARIFF = Tariff(
    tariff_version_id=uuid.uuid4(), partner_id="acme", effective_from=date(2026, 1, 1), vat_rate_bp=2000,
    fees={BillingKind.CASE_CLOSED: 4500, BillingKind.SUCCESSFUL_CONTACT: 1200, BillingKind.VISIT: 2500,
          BillingKind.PAYMENT_PLAN: 1500, BillingKind.REFERRAL_TAKEN_UP: 2000},
)


def attempt(result: AttemptResult, channel: Channel, at: datetime = datetime(2026, 3, 10, 9, tzinfo=UTC)):
    return envelope(AttemptRecorded(attempt_id=uuid.uuid4(), case_id=CASE, partner_id="acme", campaign_id=CAMPAIGN,
                                    agent_id="a1", site_id="s1", channel=channel, result=result, attempted_at=at),
                    source="/test")


def resolution(outcome: OutcomeType, *, referral: Referral | None = None, plan: PaymentPlan | None = None,
               at: datetime = datetime(2026, 3, 12, 15, tzinfo=UTC)):
    return envelope(CaseResolved(outcome_id=uuid.uuid4(), case_id=CASE, partner_id="acme", campaign_id=CAMPAIGN,
                                 external_ref="R1", outcome=outcome, resolved_at=at, referral=referral,
                                 payment_plan=plan), source="/test")


def kinds(lines) -> list[str]:
    return [str(line.kind) for line in lines]


@pytest.mark.parametrize("result", list(AttemptResult))
def test_a_phone_attempt_is_billed_only_when_the_person_was_reached(result: AttemptResult) -> None:
    lines = billable_lines_for_attempt(attempt(result, Channel.PHONE), TARIFF)
    assert kinds(lines) == (["successful_contact"] if result == AttemptResult.REACHED else [])


@pytest.mark.parametrize("result", list(AttemptResult))
def test_every_door_to_door_attempt_is_a_visit_and_reaching_someone_adds_a_contact(result: AttemptResult) -> None:
    lines = billable_lines_for_attempt(attempt(result, Channel.DOOR_TO_DOOR), TARIFF)
    expected = ["successful_contact", "visit"] if result == AttemptResult.REACHED else ["visit"]
    assert kinds(lines) == expected


def test_attempt_lines_are_priced_by_the_tariff_and_cite_the_event() -> None:
    event = attempt(AttemptResult.REACHED, Channel.DOOR_TO_DOOR)
    contact, visit = billable_lines_for_attempt(event, TARIFF)
    assert (contact.amount_cents, visit.amount_cents) == (1200, 2500)
    assert contact.tariff_version_id == TARIFF.tariff_version_id and not contact.unpriced
    assert contact.evidence_event_ids == (event.id,)
    assert contact.line_id == derived_id("successful_contact", event.id) == line_id_for(contact.kind, event.id)
    assert visit.line_id != contact.line_id
    assert (contact.partner_id, contact.case_id, contact.campaign_id) == ("acme", CASE, CAMPAIGN)


def test_the_same_event_always_yields_the_same_line_ids() -> None:
    event = attempt(AttemptResult.REACHED, Channel.PHONE)
    redelivered = decode(encode(event), AttemptRecorded)
    assert billable_lines_for_attempt(event, TARIFF) == billable_lines_for_attempt(redelivered, TARIFF)


def test_without_a_tariff_work_is_still_recorded_at_zero_and_flagged_unpriced() -> None:
    (line,) = billable_lines_for_attempt(attempt(AttemptResult.REACHED, Channel.PHONE), None)
    assert (line.amount_cents, line.tariff_version_id, line.unpriced) == (0, None, True)


def test_a_fee_the_tariff_leaves_out_costs_nothing_but_is_priced() -> None:
    sparse = Tariff(tariff_version_id=uuid.uuid4(), partner_id="acme", effective_from=date(2026, 1, 1),
                    fees={}, vat_rate_bp=0)
    (line,) = billable_lines_for_attempt(attempt(AttemptResult.REACHED, Channel.PHONE), sparse)
    assert (line.amount_cents, line.unpriced) == (0, False)


@pytest.mark.parametrize("outcome", [t for t in OutcomeType if t not in (OutcomeType.RECALLED,)])
def test_every_final_outcome_but_a_recall_closes_the_case(outcome: OutcomeType) -> None:
    assert "case_closed" in kinds(billable_lines_for_resolution(resolution(outcome), TARIFF))


def test_a_recall_is_not_mediation_work() -> None:
    assert billable_lines_for_resolution(resolution(OutcomeType.RECALLED), TARIFF) == []


def test_a_payment_plan_is_billed_on_top_of_the_closure() -> None:
    plan = PaymentPlan(instalments=2, first_due_date=date(2026, 4, 1), instalment_amounts_cents=[100, 100])
    lines = billable_lines_for_resolution(resolution(OutcomeType.PAYMENT_PLAN, plan=plan), TARIFF)
    assert {str(x.kind): x.amount_cents for x in lines} == {"case_closed": 4500, "payment_plan": 1500}


@pytest.mark.parametrize(("status", "billed"), [(ReferralStatus.PROPOSED, False), (ReferralStatus.ACCEPTED, False),
                                                (ReferralStatus.TAKEN_UP, True)])
def test_only_a_referral_taken_up_is_billed(status: ReferralStatus, billed: bool) -> None:
    referral = Referral(target=ReferralTarget.FSL, status=status)
    lines = billable_lines_for_resolution(resolution(OutcomeType.REFERRED, referral=referral), TARIFF)
    assert ("referral_taken_up" in kinds(lines)) is billed


def test_a_line_belongs_to_the_paris_month_of_the_work() -> None:
    late = datetime(2026, 3, 31, 22, 30, tzinfo=UTC)  # 00:30 on 1 April in Paris (summer time)
    (line,) = billable_lines_for_attempt(attempt(AttemptResult.REACHED, Channel.PHONE, at=late), TARIFF)
    assert line.period == "2026-04"
    assert period_of(datetime(2026, 1, 31, 22, 59, tzinfo=UTC)) == "2026-01"  # 23:59 Paris, winter time
    assert period_of(datetime(2026, 1, 31, 23, 0, tzinfo=UTC)) == "2026-02"


def test_billing_needs_aware_datetimes() -> None:
    with pytest.raises(ValueError):
        period_of(datetime(2026, 3, 1))


def test_billing_month_boundaries() -> None:
    assert last_day_of("2024-02") == date(2024, 2, 29)
    assert last_day_of("2026-12") == date(2026, 12, 31)
    start, end = period_bounds("2026-03")
    assert (period_of(start), period_of(end)) == ("2026-03", "2026-04")
    with pytest.raises(ValueError):
        last_day_of("2026-13")


def test_the_published_line_is_a_valid_contract_event() -> None:
    event = attempt(AttemptResult.REACHED, Channel.PHONE)
    (line,) = billable_lines_for_attempt(event, TARIFF)
    published = line.to_event()
    assert published.line_id == line.line_id and published.evidence_event_ids == [event.id]
    assert published.subject() == str(CASE)
