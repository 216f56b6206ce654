"""Billable work read off the raw values: the orjson fast path gives exactly what the contract model and the
domain rule give, takes only canonical attempts, and never lets a poison value through or stop a chunk."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relais_outcomes.adapters.billing_codec import _CANONICAL_ATTEMPT, _fast_attempt, attempts_work, resolutions_work
from relais_outcomes.domain.billing import attempt_work, resolution_work
from relais_platform.contracts import AttemptRecorded, AttemptResult, Channel
from relais_platform.events import decode_batch, encode, envelope

from .test_outcomes_billing_hot_path import attempts, resolutions

CONSUMER = "outcomes.test"


@given(event=attempts())
def test_a_canonical_attempt_takes_the_fast_path_and_bills_what_the_domain_bills(event) -> None:
    raw = encode(event)
    assert _CANONICAL_ATTEMPT.fullmatch(raw.decode()) is not None  # the bytes the contract model gives: one regex pass
    assert _fast_attempt(raw) is not None
    assert attempts_work([raw], consumer=CONSUMER) == attempt_work(event)


@given(event=attempts())
def test_another_json_layout_is_parsed_and_bills_the_same(event) -> None:
    raw = orjson.dumps(orjson.loads(encode(event)), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
    assert _CANONICAL_ATTEMPT.fullmatch(raw.decode()) is None and _fast_attempt(raw) is not None
    assert attempts_work([raw], consumer=CONSUMER) == attempt_work(event)


def _contract_work(raw: bytes) -> list:
    """What the contract model and the domain rule alone make of a value (a poison or zoneless one: nothing)."""
    work = []
    for event in decode_batch([raw], AttemptRecorded, consumer=CONSUMER):
        try:
            work.extend(attempt_work(event))
        except ValueError:
            pass
    return work


@settings(max_examples=300)
@given(event=attempts(), at=st.integers(0, 10_000), cut=st.integers(0, 3), insert=st.binary(max_size=3))
def test_any_edited_attempt_bills_what_the_contract_model_reads(event, at: int, cut: int, insert: bytes) -> None:
    raw = encode(event)
    at %= len(raw)
    edited = raw[:at] + insert + raw[at + cut:]
    assert attempts_work([edited], consumer=CONSUMER) == _contract_work(edited)


@given(event=resolutions())
def test_resolutions_bill_what_the_domain_bills(event) -> None:
    assert resolutions_work([encode(event)], consumer=CONSUMER) == resolution_work(event)


def _attempt(**changes: object) -> dict:
    data = AttemptRecorded(attempt_id=uuid.uuid4(), case_id=uuid.uuid4(), partner_id="acme",
                           campaign_id=uuid.uuid4(), agent_id="a1", site_id="s1", channel=Channel.DOOR_TO_DOOR,
                           result=AttemptResult.REACHED, attempted_at=datetime(2026, 3, 1, 9, tzinfo=UTC))
    event = orjson.loads(encode(envelope(data, source="/relais/campaigns")))
    for path, value in changes.items():
        *parents, leaf = path.split("__")
        target = event
        for parent in parents:
            target = target[parent]
        if value is _DROP:
            del target[leaf]
        else:
            target[leaf] = value
    return event


_DROP = object()
_CASE = "6F1C2D3E-0000-4000-8000-00000000000A"


@pytest.mark.parametrize(("changes", "lines"), [
    ({}, 2),  # canonical: a visit that reached the person
    ({"data__case_id": _CASE}, 2),  # upper-case uuid: the contract model reads it, the same lines
    ({"data__attempted_at": "2026-03-01T10:00:00+01:00"}, 2),
    ({"data__attempted_at": "2026-03-01T09:00:00Z"}, 2),
    ({"data__callback_at": _DROP}, 2),  # an optional field left out
    ({"data__result": "no_answer"}, 1),  # a visit, not reached: the trip only
    ({"data__channel": "phone", "data__result": "busy"}, 0),
    ({"data__attempted_at": "2026-03-01T09:00:00"}, 0),  # no zone: unbillable, skipped
    ({"data__attempted_at": "2026-02-30T09:00:00+00:00"}, 0),  # no such day: poison
    ({"data__callback_at": "2026-03-02T09:00:00Z"}, 2),
    ({"data__callback_at": "2026-02-30T09:00:00Z"}, 0),
    ({"time": "2026-02-30T09:00:00Z"}, 0),
    ({"source": "/relais/campagnes-été"}, 2),  # not plain ASCII: parsed, the same lines
    ({"data__result": "exploded"}, 0),  # poison
    ({"data__partner_id": "Not A Slug"}, 0),  # poison
    ({"data__extra": 1}, 0),  # the contract forbids unknown fields
    ({"type": "relais.case.resolved.v1"}, 0),  # another type on the topic
    ({"id": "not-a-uuid"}, 0),
])
def test_every_value_is_read_as_the_contract_model_reads_it(changes: dict, lines: int) -> None:
    event = _attempt(**changes)
    assert len(attempts_work([orjson.dumps(event)], consumer=CONSUMER)) == lines


def test_poison_never_stops_the_chunk_and_a_repeated_event_bills_once() -> None:
    good = orjson.dumps(_attempt())
    work = attempts_work([b"not json", good, b"[]", b'{"id": 1}', good], consumer=CONSUMER)
    assert [w.kind for w in work] == ["successful_contact", "visit"]


def test_the_fast_path_reads_zoned_times_as_the_contract_model_does() -> None:
    at = datetime(2026, 10, 25, 2, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
    raw = orjson.dumps(_attempt(data__attempted_at=at.isoformat()))
    contact, _visit = attempts_work([raw], consumer=CONSUMER)
    assert contact.occurred_at == at and contact.occurred_at.utcoffset() == timedelta(hours=2)
