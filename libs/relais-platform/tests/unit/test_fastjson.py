"""The canonical-event reader takes only what the contract models would read the same way; anything else is left
to them (None), and nothing it is given raises."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from relais_platform.contracts import AssignmentChanged
from relais_platform.events import encode, envelope
from relais_platform.fastjson import (
    DECIMAL,
    MOMENT,
    NATURAL,
    SLUG,
    UUID_TEXT,
    all_match,
    canonical_event,
    event_pattern,
    is_moment,
    matches,
    nullable,
    one_of,
    pattern_groups,
    text,
)

KEYS = frozenset(AssignmentChanged.model_fields)


def _event() -> dict:
    data = AssignmentChanged(case_id=uuid.uuid4(), partner_id="acme", campaign_id=uuid.uuid4(), agent_id="a1",
                             site_id="s1", status="assigned", reason="routed",
                             changed_at=datetime(2026, 3, 1, 9, tzinfo=UTC))
    return orjson.loads(encode(envelope(data, source="/relais/campaigns")))


def test_a_canonical_event_is_read_as_is() -> None:
    event = _event()
    assert canonical_event(orjson.dumps(event), AssignmentChanged.event_type, KEYS) == event


@pytest.mark.parametrize("change", [
    {"type": "relais.case.opened.v1"}, {"id": str(uuid.uuid4()).upper()}, {"time": "2026-03-01T09:00:00"},
    {"time": "2026-02-30T09:00:00Z"}, {"extra": 1}, {"data": []}, {"subject": 3},
])
def test_anything_unusual_is_left_to_the_contract_model(change: dict) -> None:
    event = {**_event(), **change}
    assert canonical_event(orjson.dumps(event), AssignmentChanged.event_type, KEYS) is None


def test_a_payload_with_other_fields_is_left_to_the_contract_model() -> None:
    event = _event()
    del event["data"]["reason"]
    assert canonical_event(orjson.dumps(event), AssignmentChanged.event_type, KEYS) is None


@given(st.binary(max_size=200))
def test_no_bytes_make_it_raise(raw: bytes) -> None:
    assert canonical_event(raw, AssignmentChanged.event_type, KEYS) is None


@pytest.mark.parametrize(("value", "expected"), [
    ("2026-03-01T09:00:00Z", True), ("2026-03-01T09:00:00.123456+01:00", True), ("2026-03-01T09:00:00", False),
    ("2026-02-29T09:00:00Z", False), ("2026-03-01 09:00:00Z", False), (20260301, False), (None, False),
])
def test_a_moment_is_an_existing_aware_iso_datetime(value: object, expected: bool) -> None:
    assert is_moment(value) is expected


ids_or_not = st.one_of(st.uuids().map(str), st.text(max_size=40), st.none(), st.integers(),
                       st.lists(st.uuids().map(str), min_size=2, max_size=2).map("\n".join))


@given(st.lists(ids_or_not, min_size=1, max_size=5))
def test_all_match_is_matches_of_each_value(values: list) -> None:
    assert all_match(UUID_TEXT, *values) == all(matches(UUID_TEXT, v) for v in values)


@pytest.mark.parametrize("values", [["acme", "agent-1"], ["acme", "acme\nagent-1"], ["acme", ""], ["acme\n", "a"]])
def test_all_match_counts_its_values(values: list[str]) -> None:
    assert all_match(SLUG, *values) == all(matches(SLUG, v) for v in values)


def test_all_match_takes_no_value_with_a_newline_even_when_the_pattern_would() -> None:
    anything = re.compile(r".*", re.DOTALL)
    assert all_match(anything, "a", "b c") and not all_match(anything, "a\nb", "c")
    assert all_match(MOMENT, "2026-10-01T08:00:00+02:00", "2026-10-01T08:00:00.5Z")


def test_an_event_pattern_matches_the_contract_models_bytes_and_captures_the_values() -> None:
    fields = [("case_id", text(UUID_TEXT)), ("partner_id", text(SLUG)), ("campaign_id", text(UUID_TEXT)),
              ("status", text(one_of(["assigned", "waiting"]))), ("site_id", nullable(text(SLUG))),
              ("agent_id", nullable(text(SLUG))), ("channel", nullable(text(SLUG))),
              ("reason", nullable(text(re.compile("[a-z ]*")))), ("changed_at", text(MOMENT))]
    assert [name for name, _ in fields] == list(AssignmentChanged.model_fields)
    pattern = event_pattern(AssignmentChanged.event_type, fields)
    event = _event()
    match = pattern.fullmatch(orjson.dumps(event).decode())
    assert match is not None
    d = event["data"]
    assert list(match.groups()) == [event["id"], event["time"], *(d[f] for f, _ in fields)]
    assert pattern.fullmatch(orjson.dumps(event, option=orjson.OPT_INDENT_2).decode()) is None  # parsed instead
    assert pattern.fullmatch(orjson.dumps({**event, "subject": "é"}).decode()) is None  # only plain ASCII text
    assert pattern_groups(pattern, orjson.dumps(event)) == match.groups()
    assert pattern_groups(pattern, orjson.dumps(event).replace(b"acme", b"\xffcme")) is None  # no UTF-8


def test_an_event_pattern_refuses_values_it_cannot_embed() -> None:
    with pytest.raises(ValueError, match="ASCII without capturing groups"):
        text(re.compile("(x)"))


@given(st.one_of(st.integers(-(2**63), 2**64 - 1), st.floats(allow_nan=False, allow_infinity=False)))
def test_numbers_are_read_as_orjson_reads_them_or_left_to_it(number: float) -> None:
    raw = orjson.dumps(number).decode()
    natural, decimal = re.fullmatch(NATURAL.regex, raw), re.fullmatch(DECIMAL.regex, raw)
    # every integer orjson writes is read (the natural ones by NATURAL too), every number without an exponent
    assert (natural is not None) == (type(number) is int and number >= 0)
    assert (decimal is not None) == ("e" not in raw)
    if natural:
        assert int(natural[1]) == orjson.loads(raw) and number >= 0
    if decimal:
        value = float(decimal[1]) if "." in raw else int(decimal[1])
        assert value == orjson.loads(raw) and type(value) is type(orjson.loads(raw))
