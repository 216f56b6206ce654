"""The CloudEvents envelope: structured mode, typed payloads, bad events refused."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from relais_platform.contracts import AssignmentChanged, AttemptRecorded
from relais_platform.events import EnvelopeFrame, decode, encode, envelope


def _assignment() -> AssignmentChanged:
    return AssignmentChanged(case_id=uuid.uuid4(), partner_id="p", campaign_id=uuid.uuid4(), status="waiting",
                             changed_at=datetime(2026, 11, 30, tzinfo=UTC))


def test_envelope_carries_cloudevents_attributes_and_subject_is_the_case_id() -> None:
    data = _assignment()
    raw = orjson.loads(encode(envelope(data, source="/relais/campaigns")))
    assert raw["specversion"] == "1.0" and raw["type"] == "relais.case.assignment_changed.v1"
    assert raw["subject"] == str(data.case_id) and raw["datacontenttype"] == "application/json"
    assert raw["time"].endswith("Z") and uuid.UUID(raw["id"])


def test_a_given_event_id_is_kept() -> None:
    event_id = uuid.uuid4()
    assert envelope(_assignment(), source="/x", event_id=event_id).id == event_id


def test_decode_refuses_a_payload_of_another_shape() -> None:
    raw = encode(envelope(_assignment(), source="/x"))
    with pytest.raises(ValidationError):
        decode(raw, AttemptRecorded)


def test_money_and_slugs_are_constrained() -> None:
    with pytest.raises(ValidationError, match="partner_id"):
        AssignmentChanged(case_id=uuid.uuid4(), partner_id="Bad Partner!", campaign_id=uuid.uuid4(),
                          status="waiting", changed_at=datetime.now(UTC))


@given(st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2099, 1, 1),
                    timezones=st.sampled_from([UTC, timezone(timedelta(hours=-4))])),
       st.uuids(), st.sampled_from(["/relais/campaigns", "/relais/intake"]))
def test_an_envelope_frame_writes_the_bytes_encode_writes(time, event_id, source) -> None:
    data = AssignmentChanged(case_id=uuid.uuid4(), partner_id="edf", campaign_id=uuid.uuid4(), status="waiting",
                             site_id="paris", changed_at=time)
    reference = encode(envelope(data, source=source, event_id=event_id, time=time))
    frame = EnvelopeFrame(event_type=AssignmentChanged.event_type, source=source, time=time)
    payload = orjson.dumps(data.model_dump(mode="json"))
    assert frame.encode(str(event_id), data.subject(), payload) == reference
