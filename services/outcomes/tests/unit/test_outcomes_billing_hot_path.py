"""The billing hot path builds what the domain and the contract models would, only faster: the same line ids
(UUIDv5 without UUID objects), the same unpriced lines, and BillingLineRecorded bytes that decode with the
contract model into the event pydantic would have built, field by field."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from relais_outcomes import SOURCE
from relais_outcomes.adapters.billing_repo import PricedLine
from relais_outcomes.domain.billing import (
    BillingLine,
    attempt_work,
    billable_lines_for_attempt,
    billable_lines_for_resolution,
    line_id_for,
    line_id_text,
    resolution_work,
)
from relais_outcomes.domain.tariffs import Tariff
from relais_outcomes.service_layer.billing import published
from relais_platform.contracts import (
    AttemptRecorded,
    AttemptResult,
    BillingKind,
    BillingLineRecorded,
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
from relais_platform.outbox import EncodedEvent

TARIFF = Tariff(tariff_version_id=uuid.uuid4(), partner_id="acme", effective_from=date(2026, 1, 1), vat_rate_bp=2000,
                fees={k: 100 * (n + 1) for n, k in enumerate(BillingKind)})
instants = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31),
                        timezones=st.sampled_from([UTC, None])).map(lambda d: d if d.tzinfo else d.replace(tzinfo=UTC))
partners = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,20}", fullmatch=True)


@st.composite
def attempts(draw: st.DrawFn) -> object:
    data = AttemptRecorded(attempt_id=draw(st.uuids()), case_id=draw(st.uuids()), partner_id=draw(partners),
                           campaign_id=draw(st.uuids()), agent_id="a1", site_id="s1",
                           channel=draw(st.sampled_from(list(Channel))),
                           result=draw(st.sampled_from(list(AttemptResult))), attempted_at=draw(instants),
                           callback_at=draw(st.none() | instants))
    return envelope(data, source="/relais/campaigns", event_id=draw(st.uuids()))


@st.composite
def resolutions(draw: st.DrawFn) -> object:
    outcome = draw(st.sampled_from(list(OutcomeType)))
    plan = PaymentPlan(instalments=1, first_due_date=date(2026, 5, 1), instalment_amounts_cents=[100]) \
        if outcome == OutcomeType.PAYMENT_PLAN else None
    referral = Referral(target=ReferralTarget.CCAS, status=draw(st.sampled_from(list(ReferralStatus)))) \
        if outcome == OutcomeType.REFERRED else None
    data = CaseResolved(outcome_id=draw(st.uuids()), case_id=draw(st.uuids()), partner_id=draw(partners),
                        campaign_id=draw(st.uuids()), external_ref="R1", outcome=outcome, resolved_at=draw(instants),
                        payment_plan=plan, referral=referral)
    return envelope(data, source="/relais/outcomes", event_id=data.outcome_id)


@given(kind=st.sampled_from(list(BillingKind)), event_id=st.uuids())
def test_the_fast_line_id_is_the_derived_id(kind: BillingKind, event_id: uuid.UUID) -> None:
    assert line_id_text(kind, str(event_id)) == str(derived_id(str(kind), event_id)) == str(line_id_for(kind, event_id))


def _same_lines(work: list, lines: list[BillingLine]) -> None:
    assert [(uuid.UUID(w.line_id), w.kind, (uuid.UUID(w.evidence_event_id),), w.partner_id, uuid.UUID(w.case_id),
             uuid.UUID(w.campaign_id), w.occurred_at) for w in work] == [
        (x.line_id, x.kind, x.evidence_event_ids, x.partner_id, x.case_id, x.campaign_id, x.occurred_at)
        for x in lines]


@given(event=attempts())
def test_attempt_work_is_what_the_domain_bills(event) -> None:
    _same_lines(attempt_work(event), billable_lines_for_attempt(event, TARIFF))


@given(event=resolutions())
def test_resolution_work_is_what_the_domain_bills(event) -> None:
    _same_lines(resolution_work(event), billable_lines_for_resolution(event, TARIFF))


def _pydantic_built(line: BillingLine, time: datetime) -> BillingLineRecorded:
    return envelope(line.to_event(), source=SOURCE, event_id=line.line_id, time=time)


@given(event=st.one_of(attempts(), resolutions()), priced=st.booleans(),
       now=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2090, 1, 1)).map(
           lambda d: d.replace(tzinfo=UTC)))
def test_published_bytes_decode_into_the_event_pydantic_builds(event, priced: bool, now: datetime) -> None:
    rule = attempt_work if isinstance(event.data, AttemptRecorded) else resolution_work
    reference = (billable_lines_for_attempt if rule is attempt_work else billable_lines_for_resolution)(
        event, TARIFF if priced else None)
    work = rule(event)
    added = [PricedLine(str(x.line_id), x.amount_cents,
                        str(x.tariff_version_id) if x.tariff_version_id else None, x.period) for x in reference]
    built = published(added, work, now)
    assert len(built) == len(reference)
    for encoded, line in zip(built, reference, strict=True):
        assert isinstance(encoded, EncodedEvent) and not encoded.dedupe  # only the line's insert returns it
        expected = _pydantic_built(line, now)
        got = decode(encoded.value, BillingLineRecorded)
        assert (encoded.event_id, encoded.topic, encoded.key) == (str(line.line_id), BillingLineRecorded.topic,
                                                                   str(line.case_id))
        for name in type(expected).model_fields:
            assert getattr(got, name) == getattr(expected, name), name
        for name in BillingLineRecorded.model_fields:
            assert getattr(got.data, name) == getattr(expected.data, name), name
        assert got == decode(encode(expected), BillingLineRecorded)


def test_published_lines_keep_the_batch_order_and_skip_what_was_not_added() -> None:
    at = datetime(2026, 3, 1, 9, tzinfo=UTC)
    events = [envelope(AttemptRecorded(attempt_id=uuid.uuid4(), case_id=uuid.uuid4(), partner_id="acme",
                                       campaign_id=uuid.uuid4(), agent_id="a1", site_id="s1",
                                       channel=Channel.DOOR_TO_DOOR, result=AttemptResult.REACHED,
                                       attempted_at=at + timedelta(minutes=n)), source="/t") for n in range(3)]
    work = [w for e in events for w in attempt_work(e)]
    kept = [work[4], work[0], work[3]]  # what the database returned, in whatever order
    added = [PricedLine(w.line_id, 7, None, "2026-03") for w in kept]
    assert [e.event_id for e in published(added, work, at)] == [w.line_id for w in work if w in kept]
