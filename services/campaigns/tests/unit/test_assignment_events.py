"""AssignmentChanged events serialised by hand (orjson) are what the contract model builds, field by field
and byte for byte."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from relais_campaigns import SOURCE
from relais_campaigns.adapters.cases_repo import NewCase
from relais_campaigns.domain.model import CaseStatus, Holding
from relais_campaigns.service_layer.assignment import AssignmentLog, assignment_event_id
from relais_platform.contracts import AssignmentChanged, AssignmentStatus, Channel
from relais_platform.db import FastUUID
from relais_platform.events import decode, encode, envelope
from relais_platform.ids import derived_id

slugs = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,20}", fullmatch=True)
moments = st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2099, 1, 1),
                       timezones=st.sampled_from([UTC, timezone(timedelta(hours=2))]))


def model_built(holding: Holding, status: AssignmentStatus, reason: str | None, channel: Channel | None,
                now: datetime):
    """The event as the contract model builds it."""
    data = AssignmentChanged(
        case_id=holding.case_id, partner_id=holding.partner_id, campaign_id=holding.campaign_id, status=status,
        site_id=holding.site_id, agent_id=holding.agent_id if status is AssignmentStatus.ASSIGNED else None,
        channel=channel, reason=reason, changed_at=now)
    event_id = derived_id("assignment", holding.case_id, holding.version, status)
    return envelope(data, source=SOURCE, event_id=event_id, time=now)


@given(slugs, st.one_of(st.none(), slugs), st.one_of(st.none(), slugs), st.integers(1, 50),
       st.sampled_from(list(AssignmentStatus)), st.one_of(st.none(), st.text(max_size=200)),
       st.one_of(st.none(), st.sampled_from(list(Channel))), moments, st.sampled_from([uuid.UUID, FastUUID]))
def test_hand_serialised_events_decode_to_the_model_built_event(partner, site, agent, version, status, reason,
                                                                  channel, now, ids) -> None:
    """Whatever the ids' class: Python's, or asyncpg's (the ids of every holding read from the database)."""
    holding = Holding(case_id=ids(str(uuid.uuid4())), partner_id=partner, campaign_id=ids(str(uuid.uuid4())),
                      status=CaseStatus.ASSIGNED, site_id=site, agent_id=agent, version=version)
    log = AssignmentLog(now=now)
    log.record(holding, status, reason, channel)
    [event] = log.events
    built = model_built(holding, status, reason, channel, now)
    decoded = decode(event.value, AssignmentChanged)
    assert decoded == built
    for field in AssignmentChanged.model_fields:
        assert getattr(decoded.data, field) == getattr(built.data, field), field
    assert (event.event_id, event.topic, event.key) == (str(built.id), AssignmentChanged.topic, built.subject)
    assert event.value == encode(built)
    assert event.dedupe  # a change of state: checked against the queued events


# Few values each, so that changes of one transaction share most of them (as a batch's do).
changes = st.tuples(st.sampled_from(["edf", "sncf"]), st.sampled_from([None, "paris"]), st.sampled_from([None, "ana"]),
                    st.integers(1, 2), st.sampled_from([AssignmentStatus.ASSIGNED, AssignmentStatus.RELEASED]),
                    st.sampled_from([None, "absent"]), st.sampled_from([None, *Channel]))


@given(st.lists(changes, min_size=2, max_size=30), moments, st.sampled_from([uuid.UUID, FastUUID]))
def test_a_transactions_changes_sharing_values_are_each_the_model_built_event(drawn, now, ids) -> None:
    """A log writes what its changes share once (`AssignmentLog._encoded`): changes that share some of their
    values but not all (another channel, reason, agent …) must still each be their own event."""
    campaigns = [ids(str(uuid.uuid4())) for _ in range(2)]
    log = AssignmentLog(now=now)
    holdings = []
    for n, (partner, site, agent, version, status, reason, channel) in enumerate(drawn):
        holding = Holding(case_id=ids(str(uuid.uuid4())), partner_id=partner, campaign_id=campaigns[n % 3 == 0],
                          status=CaseStatus.ASSIGNED, site_id=site, agent_id=agent, version=version)
        log.record(holding, status, reason, channel)
        holdings.append((holding, status, reason, channel))
    for event, (holding, status, reason, channel) in zip(log.events, holdings, strict=True):
        assert event.value == encode(model_built(holding, status, reason, channel, now))


def new_row(*, status: CaseStatus, site: str | None, agent: str | None, version: int) -> NewCase:
    """A new case row with what its arrival event reads (the rest does not matter here)."""
    blank = NewCase(*[None] * len(NewCase._fields))
    return blank._replace(case_id=uuid.uuid4(), partner_id="edf", campaign_id=uuid.uuid4(), status=status,
                          site_id=site, agent_id=agent, assignment_version=version)


@given(moments)
def test_an_arrival_is_the_model_built_event_of_the_new_row_and_a_one_off(now) -> None:
    log = AssignmentLog(now=now)
    rows = {AssignmentStatus.ASSIGNED: new_row(status=CaseStatus.ASSIGNED, site="paris", agent="ana", version=2),
            AssignmentStatus.WAITING: new_row(status=CaseStatus.WAITING, site="paris", agent=None, version=1),
            AssignmentStatus.UNROUTED: new_row(status=CaseStatus.UNROUTED, site=None, agent=None, version=1)}
    for status, row in rows.items():
        event = log.arrival(row)
        holding = Holding(case_id=row.case_id, partner_id=row.partner_id, campaign_id=row.campaign_id,
                          status=row.status, site_id=row.site_id, agent_id=row.agent_id, version=row.assignment_version)
        assert event is not None and event.value == encode(model_built(holding, status, None, None, now))
        assert not event.dedupe  # only the insert that adds a case announces it (case_events._insert_announced)
    closed = new_row(status=CaseStatus.RESOLVED, site="paris", agent=None, version=1)  # an outcome came first
    assert log.arrival(closed) is None


def test_queue_states_are_published_for_waiting_and_unrouted_cases_only() -> None:
    now = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    waiting, unrouted, assigned = (
        Holding(case_id=uuid.uuid4(), partner_id="edf", campaign_id=uuid.uuid4(), status=s, site_id=site,
                agent_id=agent, version=1)
        for s, site, agent in ((CaseStatus.WAITING, "paris", None), (CaseStatus.UNROUTED, None, None),
                               (CaseStatus.ASSIGNED, "paris", "ana")))
    log = AssignmentLog(now=now)
    log.record_state([waiting, unrouted, assigned], except_ids=set(), reason="released")
    decoded = [decode(e.value, AssignmentChanged).data for e in log.events]
    assert [(d.case_id, d.status, d.reason) for d in decoded] == [
        (waiting.case_id, AssignmentStatus.WAITING, "released"), (unrouted.case_id, AssignmentStatus.UNROUTED,
                                                                  "released")]


@given(st.uuids(), st.integers(1, 10**6), st.sampled_from(list(AssignmentStatus)))
def test_the_hot_path_event_id_is_the_derived_one(case_id, version, status) -> None:
    expected = derived_id("assignment", case_id, version, status)
    assert assignment_event_id(str(case_id), version, status) == str(expected)
