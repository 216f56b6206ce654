"""Outcome rules: the details each type needs, corrections of a final outcome, resolution time."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from relais_outcomes.domain.outcomes import (
    CurrentOutcome,
    Outcome,
    OutcomeDetails,
    check_correction,
    check_resolved_at,
    details_from_json,
    validate_details,
)
from relais_platform.contracts import (
    Address,
    ContactUpdate,
    OutcomeType,
    PaymentPlan,
    Referral,
    ReferralStatus,
    ReferralTarget,
)
from relais_platform.errors import Conflict, Unprocessable

TODAY = date(2026, 3, 20)
PLAN = PaymentPlan(instalments=3, first_due_date=date(2026, 4, 5), instalment_amounts_cents=[100, 100, 50])
REFERRAL = Referral(target=ReferralTarget.CCAS, status=ReferralStatus.ACCEPTED)
PHONE = ContactUpdate(phone_e164="+33612345678")
ADDRESS = ContactUpdate(address=Address(line1="1 rue de la Paix", postcode="75002", city="Paris"))
NEEDS_NOTHING = [t for t in OutcomeType if t not in (OutcomeType.PAYMENT_PLAN, OutcomeType.REFERRED,
                                                     OutcomeType.CONTACT_UPDATED)]


def refused_field(outcome_type: OutcomeType, details: OutcomeDetails) -> str | None:
    with pytest.raises(Unprocessable) as exc:
        validate_details(outcome_type, details, today=TODAY)
    return exc.value.field


@pytest.mark.parametrize(("outcome_type", "details"), [
    (OutcomeType.PAYMENT_PLAN, OutcomeDetails(payment_plan=PLAN)),
    (OutcomeType.REFERRED, OutcomeDetails(referral=REFERRAL)),
    (OutcomeType.CONTACT_UPDATED, OutcomeDetails(contact_update=PHONE)),
    (OutcomeType.CONTACT_UPDATED, OutcomeDetails(contact_update=ADDRESS)),
    *[(t, OutcomeDetails()) for t in NEEDS_NOTHING],
])
def test_valid_details_pass(outcome_type: OutcomeType, details: OutcomeDetails) -> None:
    validate_details(outcome_type, details, today=TODAY)


@pytest.mark.parametrize(("outcome_type", "field"), [
    (OutcomeType.PAYMENT_PLAN, "payment_plan"), (OutcomeType.REFERRED, "referral"),
    (OutcomeType.CONTACT_UPDATED, "contact_update"),
])
def test_a_type_without_its_details_is_refused_naming_the_field(outcome_type: OutcomeType, field: str) -> None:
    assert refused_field(outcome_type, OutcomeDetails()) == field


@pytest.mark.parametrize("outcome_type", NEEDS_NOTHING)
@pytest.mark.parametrize(("details", "field"), [
    (OutcomeDetails(payment_plan=PLAN), "payment_plan"), (OutcomeDetails(referral=REFERRAL), "referral"),
    (OutcomeDetails(contact_update=PHONE), "contact_update"),
])
def test_details_of_another_type_are_refused_naming_the_field(outcome_type: OutcomeType, details: OutcomeDetails,
                                                              field: str) -> None:
    assert refused_field(outcome_type, details) == field


def test_a_plan_with_a_referral_on_the_side_is_refused() -> None:
    assert refused_field(OutcomeType.PAYMENT_PLAN, OutcomeDetails(payment_plan=PLAN, referral=REFERRAL)) == "referral"


def test_instalment_count_must_match_the_amounts() -> None:
    plan = PaymentPlan(instalments=2, first_due_date=TODAY, instalment_amounts_cents=[100, 100, 100])
    assert refused_field(OutcomeType.PAYMENT_PLAN, OutcomeDetails(payment_plan=plan)) == \
        "payment_plan.instalment_amounts_cents"


def test_an_instalment_of_zero_is_refused_naming_its_index() -> None:
    plan = PaymentPlan(instalments=3, first_due_date=TODAY, instalment_amounts_cents=[100, 0, 100])
    assert refused_field(OutcomeType.PAYMENT_PLAN, OutcomeDetails(payment_plan=plan)) == \
        "payment_plan.instalment_amounts_cents.1"


@pytest.mark.parametrize(("age_days", "ok"), [(0, True), (31, True), (32, False), (-400, True)])
def test_first_due_date_may_be_at_most_31_days_old(age_days: int, ok: bool) -> None:
    plan = PaymentPlan(instalments=1, first_due_date=TODAY - timedelta(days=age_days), instalment_amounts_cents=[1])
    if ok:
        validate_details(OutcomeType.PAYMENT_PLAN, OutcomeDetails(payment_plan=plan), today=TODAY)
    else:
        assert refused_field(OutcomeType.PAYMENT_PLAN, OutcomeDetails(payment_plan=plan)) == \
            "payment_plan.first_due_date"


def test_a_contact_update_needs_a_phone_or_an_address() -> None:
    assert refused_field(OutcomeType.CONTACT_UPDATED, OutcomeDetails(contact_update=ContactUpdate())) == \
        "contact_update"


CURRENT = CurrentOutcome(outcome_id=uuid.uuid4(), type=OutcomeType.REFUSED)


def test_a_first_outcome_needs_no_correction_fields() -> None:
    check_correction(None, supersedes_outcome_id=None, correction_reason=None)


def test_a_resolved_case_refuses_a_second_outcome_with_409() -> None:
    with pytest.raises(Conflict, match="outcome is final; send supersedes_outcome_id and correction_reason"):
        check_correction(CURRENT, supersedes_outcome_id=None, correction_reason=None)


def test_a_correction_names_the_current_outcome_and_a_reason() -> None:
    check_correction(CURRENT, supersedes_outcome_id=CURRENT.outcome_id, correction_reason="wrong type")


@pytest.mark.parametrize(("current", "supersedes", "reason", "field"), [
    (CURRENT, CURRENT.outcome_id, None, "correction_reason"),
    (CURRENT, CURRENT.outcome_id, "   ", "correction_reason"),
    (CURRENT, uuid.uuid4(), "typo", "supersedes_outcome_id"),
    (CURRENT, None, "typo", "supersedes_outcome_id"),
    (None, uuid.uuid4(), "typo", "supersedes_outcome_id"),
    (None, None, "typo", "correction_reason"),
])
def test_a_bad_correction_is_refused_naming_the_field(current, supersedes, reason, field: str) -> None:
    with pytest.raises(Unprocessable) as exc:
        check_correction(current, supersedes_outcome_id=supersedes, correction_reason=reason)
    assert exc.value.field == field


NOW = datetime(2026, 3, 20, 12, tzinfo=UTC)
OPENED = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize(("resolved_at", "ok"), [
    (NOW, True), (OPENED, True), (NOW + timedelta(minutes=4), True),
    (NOW + timedelta(hours=1), False), (OPENED - timedelta(seconds=1), False),
])
def test_resolution_time_lies_between_the_opening_and_now(resolved_at: datetime, ok: bool) -> None:
    if ok:
        check_resolved_at(resolved_at, opened_at=OPENED, now=NOW)
    else:
        with pytest.raises(Unprocessable) as exc:
            check_resolved_at(resolved_at, opened_at=OPENED, now=NOW)
        assert exc.value.field == "resolved_at"


def test_the_published_outcome_never_carries_the_note() -> None:
    outcome = Outcome(outcome_id=uuid.uuid4(), case_id=uuid.uuid4(), partner_id="acme", campaign_id=uuid.uuid4(),
                      type=OutcomeType.PAYMENT_PLAN, details=OutcomeDetails(payment_plan=PLAN),
                      note="secret agent remark", recorded_by="agent-1", resolved_at=NOW)
    event = outcome.to_event(external_ref="R-1")
    assert "secret" not in event.model_dump_json() and event.payment_plan == PLAN
    assert details_from_json(outcome.details.as_json()) == outcome.details
    assert outcome.details.as_json().keys() == {"payment_plan"}
