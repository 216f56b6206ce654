"""Who may record/read outcomes, request-body rules, batch decoding and the projections' ordering rule."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from relais_outcomes.bootstrap import MIGRATIONS
from relais_outcomes.domain.access import CaseScope, may_read_outcome, may_record_outcome, sees_internals
from relais_outcomes.domain.billing import ONCE_PER_CASE
from relais_outcomes.domain.projections import latest_change_per_case
from relais_outcomes.entrypoints.schemas import OutcomeIn, TariffIn
from relais_outcomes.entrypoints.stream import CONSUMERS
from relais_outcomes.service_layer.consumers import decode_batch
from relais_platform.auth import Principal, Role
from relais_platform.contracts import AssignmentChanged, AssignmentStatus, CaseOpened, Topics
from relais_platform.events import encode, envelope

HELD = CaseScope(partner_id="acme", holder_agent_id="agent-1", holder_site_id="site-1", holder_status="assigned")
RELEASED = CaseScope(partner_id="acme", holder_agent_id="agent-1", holder_site_id="site-1", holder_status="released")
UNHELD = CaseScope(partner_id="acme")

ADMIN = Principal(sub="a", role=Role.ADMIN)
FINANCE = Principal(sub="f", role=Role.FINANCE)
HOLDER = Principal(sub="h", role=Role.AGENT, agent_id="agent-1")
OTHER_AGENT = Principal(sub="o", role=Role.AGENT, agent_id="agent-2")
SUPERVISOR = Principal(sub="s", role=Role.SUPERVISOR, site_id="site-1")
OTHER_SUPERVISOR = Principal(sub="t", role=Role.SUPERVISOR, site_id="site-2")
PARTNER = Principal(sub="p", role=Role.PARTNER, partner_id="acme")
OTHER_PARTNER = Principal(sub="q", role=Role.PARTNER, partner_id="other")


@pytest.mark.parametrize(("principal", "case", "allowed"), [
    (ADMIN, UNHELD, True), (HOLDER, HELD, True), (HOLDER, RELEASED, False), (HOLDER, UNHELD, False),
    (OTHER_AGENT, HELD, False), (SUPERVISOR, HELD, True), (OTHER_SUPERVISOR, HELD, False),
    (SUPERVISOR, UNHELD, False), (PARTNER, HELD, False), (FINANCE, HELD, False),
])
def test_who_may_record_an_outcome(principal: Principal, case: CaseScope, allowed: bool) -> None:
    assert may_record_outcome(principal, case) is allowed


@pytest.mark.parametrize(("principal", "case", "allowed"), [
    (ADMIN, UNHELD, True), (FINANCE, UNHELD, True), (PARTNER, HELD, True), (OTHER_PARTNER, HELD, False),
    (HOLDER, HELD, True), (HOLDER, RELEASED, True), (OTHER_AGENT, HELD, False), (HOLDER, UNHELD, False),
    (SUPERVISOR, HELD, True), (OTHER_SUPERVISOR, HELD, False), (SUPERVISOR, UNHELD, False),
])
def test_who_may_read_an_outcome(principal: Principal, case: CaseScope, allowed: bool) -> None:
    assert may_read_outcome(principal, case) is allowed


def test_only_partners_never_see_agent_notes_or_names() -> None:
    assert [sees_internals(p) for p in (PARTNER, HOLDER, SUPERVISOR, FINANCE, ADMIN)] == [False, True, True, True, True]


def fields_of(exc: ValidationError) -> set[str]:
    return {".".join(str(p) for p in e["loc"]) for e in exc.errors()}


@pytest.mark.parametrize(("body", "field"), [
    ({"effective_from": "2026-01-01", "vat_rate_bp": 10001}, "vat_rate_bp"),
    ({"effective_from": "2026-01-01", "vat_rate_bp": True}, "vat_rate_bp"),
    ({"effective_from": "2026-01-01"}, "vat_rate_bp"),
    ({"effective_from": "2026-02-30", "vat_rate_bp": 0}, "effective_from"),
    ({"effective_from": "2026-01-01", "vat_rate_bp": 0, "fees": {"visit_cents": -1}}, "fees.visit_cents"),
    ({"effective_from": "2026-01-01", "vat_rate_bp": 0, "fees": {"visit_cents": "12"}}, "fees.visit_cents"),
    ({"effective_from": "2026-01-01", "vat_rate_bp": 0, "fees": {"visit_cents": 12.5}}, "fees.visit_cents"),
    ({"effective_from": "2026-01-01", "vat_rate_bp": 0, "fees": {"hug_cents": 1}}, "fees.hug_cents"),
    ({"effective_from": "2026-01-01", "vat_rate_bp": 0, "monthly_minimum_cents": 10, "monthly_cap_cents": 9},
     "monthly_cap_cents"),
    ({"effective_from": "2026-01-01", "vat_rate_bp": 0, "currency": "USD"}, "currency"),
])
def test_bad_tariff_bodies_name_the_field(body: dict, field: str) -> None:
    with pytest.raises(ValidationError) as exc:
        TariffIn.model_validate(body)
    assert field in fields_of(exc.value)


def test_missing_fees_cost_nothing() -> None:
    body = TariffIn.model_validate({"effective_from": "2026-01-01", "vat_rate_bp": 2000,
                                    "fees": {"visit_cents": 2500}})
    assert {str(k): v for k, v in body.fees.by_kind().items()} == {
        "case_closed": 0, "successful_contact": 0, "visit": 2500, "payment_plan": 0, "referral_taken_up": 0}


@pytest.mark.parametrize(("body", "field"), [
    ({"type": "won"}, "type"),
    ({"type": "paid", "resolved_at": "2026-03-01T10:00:00"}, "resolved_at"),
    ({"type": "paid", "note": "x" * 2001}, "note"),
    ({"type": "paid", "correction_reason": ""}, "correction_reason"),
    ({"type": "paid", "outcome": "paid"}, "outcome"),
    ({"type": "referred", "referral": {"target": "bank"}}, "referral.target"),
])
def test_bad_outcome_bodies_name_the_field(body: dict, field: str) -> None:
    with pytest.raises(ValidationError) as exc:
        OutcomeIn.model_validate(body)
    assert field in fields_of(exc.value)


def test_consumer_names_follow_the_topic() -> None:
    assert {c.name: c.topic for c in CONSUMERS} == {
        "outcomes.cases.opened": Topics.CASES_OPENED,
        "outcomes.cases.recalled": Topics.CASES_RECALLED,
        "outcomes.campaigns.assignments": Topics.ASSIGNMENTS,
        "outcomes.campaigns.attempts": Topics.ATTEMPTS,
        "outcomes.outcomes.resolved": Topics.OUTCOMES_RESOLVED,
    }


def change(case_id: uuid.UUID, minutes: int, status: AssignmentStatus = AssignmentStatus.ASSIGNED,
           agent: str | None = "agent-1") -> AssignmentChanged:
    return AssignmentChanged(case_id=case_id, partner_id="acme", campaign_id=uuid.uuid4(), status=status,
                             site_id="site-1", agent_id=agent,
                             changed_at=datetime(2026, 3, 1, tzinfo=UTC) + timedelta(minutes=minutes))


def test_decode_batch_skips_poison_and_foreign_events_and_duplicate_ids() -> None:
    consumer = next(c for c in CONSUMERS if c.topic == Topics.ASSIGNMENTS)
    good = envelope(change(uuid.uuid4(), 1), source="/test")
    foreign_payload = encode(good).replace(b"relais.case.assignment_changed.v1", b"relais.case.other.v1")
    batch = [b"not json", b"{}", b"[1]", encode(good), encode(good), foreign_payload]
    assert [e.id for e in decode_batch(batch, consumer=consumer)] == [good.id]


def test_wrong_payload_on_a_topic_is_poison() -> None:
    consumer = next(c for c in CONSUMERS if c.topic == Topics.CASES_OPENED)
    assert decode_batch([encode(envelope(change(uuid.uuid4(), 1), source="/t"))], consumer=consumer) == []
    assert CaseOpened.event_type == "relais.case.opened.v1"


def test_the_latest_assignment_change_of_each_case_wins_whatever_the_arrival_order() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    newest = change(a, 10, AssignmentStatus.RELEASED, agent=None)
    kept = latest_change_per_case([change(a, 5), newest, change(a, 7), change(b, 1)])
    assert {c.case_id: c for c in kept}[a] is newest and len(kept) == 2


def test_the_once_per_case_index_covers_exactly_the_once_per_case_kinds() -> None:
    sql = (MIGRATIONS / "0001_outcomes.sql").read_text()
    index = re.search(r"billing_lines_once_per_case.*?WHERE kind IN \(([^)]*)\)", sql, re.S)
    assert index is not None
    assert set(re.findall(r"'([a-z_]+)'", index.group(1))) == {str(k) for k in ONCE_PER_CASE}
