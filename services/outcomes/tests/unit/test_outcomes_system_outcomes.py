"""System-recorded outcomes (recall, exhausted), referral follow-up steps and the outcomes CSV row."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relais_outcomes.domain.exports import OUTCOME_COLUMNS, outcome_row
from relais_outcomes.domain.outcomes import Outcome, OutcomeDetails
from relais_outcomes.domain.referrals import referral_step
from relais_outcomes.domain.system_outcomes import (
    SystemOutcome,
    from_assignment,
    from_recall,
    resolve_pending,
)
from relais_platform.contracts import (
    AssignmentChanged,
    AssignmentStatus,
    CaseRecalled,
    OutcomeType,
    Referral,
    ReferralStatus,
    ReferralTarget,
)
from relais_platform.errors import Conflict

T0 = datetime(2026, 3, 1, tzinfo=UTC)
CASES = [uuid.UUID(int=n) for n in range(1, 5)]


def outcome(type_: OutcomeType = OutcomeType.REFERRED, status: ReferralStatus | None = ReferralStatus.PROPOSED,
            note: str | None = "internal") -> Outcome:
    referral = Referral(target=ReferralTarget.CCAS, status=status) if status else None
    details = OutcomeDetails(referral=referral)
    return Outcome(outcome_id=uuid.uuid4(), case_id=CASES[0], partner_id="acme", campaign_id=uuid.uuid4(),
                   type=type_, details=details, note=note, recorded_by="agent:a", resolved_at=T0)


def test_a_recall_is_a_recalled_outcome_with_a_deterministic_id() -> None:
    event_id = uuid.uuid4()
    data = CaseRecalled(case_id=CASES[0], partner_id="acme", campaign_id=uuid.uuid4(), external_ref="R",
                        reason="paid", recalled_at=T0)
    first, again = from_recall(event_id, data), from_recall(event_id, data)
    assert first.type == OutcomeType.RECALLED and first.outcome_id == again.outcome_id != event_id
    assert first.recorded_by == "system:partner-recall" and first.reason == "paid"


@pytest.mark.parametrize("status", list(AssignmentStatus))
def test_only_an_exhausted_assignment_closes_a_case_unreachable(status: AssignmentStatus) -> None:
    change = AssignmentChanged(case_id=CASES[0], partner_id="acme", campaign_id=uuid.uuid4(), status=status,
                               changed_at=T0)
    item = from_assignment(uuid.uuid4(), change)
    assert (item is not None) == (status == AssignmentStatus.EXHAUSTED)
    if item is not None:
        assert item.type == OutcomeType.UNREACHABLE and item.reason


pending_items = st.lists(st.builds(
    SystemOutcome, event_id=st.uuids(), case_id=st.sampled_from(CASES),
    type=st.sampled_from([OutcomeType.RECALLED, OutcomeType.UNREACHABLE]), reason=st.none(),
    occurred_at=st.integers(0, 10_000).map(lambda m: T0 + timedelta(minutes=m))), max_size=20,
    unique_by=lambda p: p.event_id)


@given(pending_items, st.sets(st.sampled_from(CASES)))
def test_each_unresolved_case_gets_its_oldest_system_outcome_and_nothing_else(pending, resolved) -> None:
    applied, ignored = resolve_pending(pending, {c: OutcomeType.PAID for c in resolved})
    assert {p.event_id for p in applied} | set(ignored) == {p.event_id for p in pending}
    assert not {p.event_id for p in applied} & set(ignored)
    assert len({p.case_id for p in applied}) == len(applied)
    assert not {p.case_id for p in applied} & resolved
    for item in applied:
        same_case = [p for p in pending if p.case_id == item.case_id]
        assert item == min(same_case, key=lambda p: (p.occurred_at, str(p.event_id)))


@pytest.mark.parametrize(("before", "after", "ok"), [
    ("proposed", "accepted", True), ("proposed", "taken_up", True), ("accepted", "taken_up", True),
    ("accepted", "accepted", False), ("taken_up", "accepted", False), ("taken_up", "taken_up", False),
    ("accepted", "proposed", False)])
def test_a_referral_only_moves_forward(before: str, after: str, ok: bool) -> None:
    current = outcome(status=ReferralStatus(before))
    if not ok:
        with pytest.raises(Conflict):
            referral_step(current, ReferralStatus(after))
        return
    details, reason = referral_step(current, ReferralStatus(after))
    assert details.referral == Referral(target=ReferralTarget.CCAS, status=ReferralStatus(after))
    assert reason == f"referral follow-up: {before} → {after}"


@pytest.mark.parametrize("current", [None, outcome(OutcomeType.PAID, status=None)])
def test_a_follow_up_needs_a_current_referral(current: Outcome | None) -> None:
    with pytest.raises(Conflict):
        referral_step(current, ReferralStatus.ACCEPTED)


def test_an_outcome_row_has_every_column_and_never_the_note() -> None:
    row = outcome(note="très confidentiel")
    cells = outcome_row(row, external_ref="R-1")
    assert len(cells) == len(OUTCOME_COLUMNS)
    named = dict(zip(OUTCOME_COLUMNS, cells, strict=True))
    assert (named["outcome"], named["referral_target"], named["referral_status"], named["current"]) == (
        "referred", "ccas", "proposed", "true")
    assert "très confidentiel" not in map(str, cells) and "agent:a" not in map(str, cells)
