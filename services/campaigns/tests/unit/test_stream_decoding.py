"""Poison values never stop a consumer: they are skipped, the rest of the batch goes on."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import orjson

from relais_campaigns.entrypoints.stream import decode_batch
from relais_platform.contracts import CaseOpened, CaseResolved, OutcomeType
from relais_platform.events import encode, envelope


def resolved() -> bytes:
    data = CaseResolved(outcome_id=uuid.uuid4(), case_id=uuid.uuid4(), partner_id="p", campaign_id=uuid.uuid4(),
                        external_ref="r1", outcome=OutcomeType.PAID, resolved_at=datetime.now(UTC))
    return encode(envelope(data, source="/relais/outcomes"))


def test_undecodable_values_are_skipped() -> None:
    good = resolved()
    values = [b"not json", b"[1, 2]", b'{"id": "x"}', good, b"\xff\xfe"]
    events = decode_batch(values, CaseResolved, consumer="test")
    assert [e.id for e in events] == [decode_batch([good], CaseResolved, consumer="test")[0].id]


def test_an_event_of_another_type_is_skipped() -> None:
    assert decode_batch([resolved()], CaseOpened, consumer="test") == []
    relabelled = orjson.loads(resolved())
    relabelled["type"] = "relais.case.something_else.v1"
    assert decode_batch([orjson.dumps(relabelled)], CaseResolved, consumer="test") == []
    relabelled["type"] = CaseResolved.event_type
    assert len(decode_batch([orjson.dumps(relabelled)], CaseResolved, consumer="test")) == 1
