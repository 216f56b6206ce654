"""Poison values never stop a consumer: they are skipped, the rest of the batch goes on."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import orjson

from relais_platform.contracts import CaseOpened, CaseResolved, OutcomeType
from relais_platform.events import decode_batch, encode, envelope


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


def test_a_redelivered_id_in_the_same_batch_is_kept_once() -> None:
    good = resolved()
    assert len(decode_batch([good, good], CaseResolved, consumer="test")) == 1


def test_poison_is_logged_without_its_content(capsys) -> None:
    from relais_platform.logging import configure_logging

    configure_logging(service="test", level="INFO", json=True)
    bad = orjson.loads(resolved())
    bad["data"]["external_ref"] = ""  # invalid, and a value that must not reach the log
    bad["data"]["partner_id"] = "Jean Dupont +33612345678"
    decode_batch([orjson.dumps(bad)], CaseResolved, consumer="test")
    err = capsys.readouterr().err
    assert "data.partner_id" in err and "+33612345678" not in err
