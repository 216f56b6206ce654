"""Campaign lifecycle, and how a batch's lines become accepted, rejected or duplicate."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from relais_intake.domain.batch import Outcome, batch_results, cases_to_open
from relais_intake.domain.campaign import CampaignStatus, Lifecycle, ensure_takes_cases, next_status
from relais_intake.domain.validation import validate_case
from relais_platform.errors import Conflict

S, L = CampaignStatus, Lifecycle


@pytest.mark.parametrize(
    ("current", "action", "after"),
    [(S.ACTIVE, L.PAUSE, S.PAUSED), (S.PAUSED, L.RESUME, S.ACTIVE), (S.DRAFT, L.RESUME, S.ACTIVE),
     (S.DRAFT, L.CLOSE, S.CLOSED), (S.ACTIVE, L.CLOSE, S.CLOSED), (S.PAUSED, L.CLOSE, S.CLOSED)],
)
def test_allowed_moves(current: CampaignStatus, action: Lifecycle, after: CampaignStatus) -> None:
    assert next_status(current, action) == after


@pytest.mark.parametrize(
    ("current", "action"),
    [(S.DRAFT, L.PAUSE), (S.PAUSED, L.PAUSE), (S.CLOSED, L.PAUSE), (S.ACTIVE, L.RESUME), (S.CLOSED, L.RESUME),
     (S.CLOSED, L.CLOSE)],
)
def test_illegal_moves_name_the_current_status(current: CampaignStatus, action: Lifecycle) -> None:
    with pytest.raises(Conflict) as refused:
        next_status(current, action)
    assert str(current) in refused.value.message and refused.value.details["current_status"] == str(current)


def test_only_an_active_campaign_within_its_dates_takes_cases() -> None:
    ensure_takes_cases(S.ACTIVE, ends_on=date(2025, 1, 31), today=date(2025, 1, 31))
    for status in (S.DRAFT, S.PAUSED, S.CLOSED):
        with pytest.raises(Conflict, match=f"campaign is {status}"):
            ensure_takes_cases(status, ends_on=date(2025, 1, 31), today=date(2025, 1, 1))
    with pytest.raises(Conflict, match="ended on 2025-01-31"):
        ensure_takes_cases(S.ACTIVE, ends_on=date(2025, 1, 31), today=date(2025, 2, 1))


def _case(ref: str, **overrides: object) -> dict[str, object]:
    return {"external_ref": ref, "first_name": "A", "last_name": "B", "phone": "0612345678", "postcode": "75001",
            "amount_due": 10, **overrides}


def test_batch_outcomes_per_line() -> None:
    checked = [validate_case(c, line=i + 1, today=date(2025, 1, 1)) for i, c in enumerate([
        _case("R1"), _case("R2", amount_due=-1), _case("R1"), _case("R3"), _case("R2"), _case("R4"),
    ])]
    candidates = cases_to_open(checked)
    assert [c.external_ref for c in candidates] == ["R1", "R3", "R2", "R4"]
    ids = {c.external_ref: uuid.uuid4() for c in candidates}
    results = batch_results(checked, opened={"R1", "R2", "R4"}, case_ids=ids)  # R3 existed already
    assert [(r.line, r.external_ref, r.status) for r in results] == [
        (1, "R1", Outcome.ACCEPTED), (2, "R2", Outcome.REJECTED), (3, "R1", Outcome.DUPLICATE),
        (4, "R3", Outcome.DUPLICATE), (5, "R2", Outcome.ACCEPTED), (6, "R4", Outcome.ACCEPTED),
    ]
    assert results[1].case_id is None and results[1].reasons[0].code == "negative"
    assert results[2].reasons[0].code == "duplicate_in_batch" and "line 1" in results[2].reasons[0].reason
    assert results[3].reasons[0].code == "already_in_campaign" and results[3].case_id == ids["R3"]
    assert results[0].case_id == results[2].case_id == ids["R1"]
    refused = batch_results(checked, opened={"R1", "R2", "R4"}, case_ids=ids, accepted=False)
    assert refused == [r for r in results if r.status != Outcome.ACCEPTED]
