"""The fast CaseOpened codec agrees with the contract model: it keeps what the model keeps, with the same
values, and every value it does not take itself goes to the model (poison is skipped and logged)."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relais_campaigns.adapters import opened_codec
from relais_campaigns.adapters.opened_codec import OpenedCase, decode_opened
from relais_platform.contracts import Address, CaseOpened, Channel, Customer
from relais_platform.events import POISON_EVENTS, decode_batch, encode, envelope
from relais_platform.ids import case_id_for

CONSUMER = "test.cases_opened"


def opened(**changes: Any) -> dict[str, Any]:
    """A CaseOpened event as intake encodes it, as a dict."""
    address = Address(line1="1 rue de la Paix", postcode="75011", city="Paris", latitude=48.85, longitude=2.37)
    customer = Customer(first_name="Léa", last_name="Martin", phone_e164="+33612345678", phone_kind="mobile",
                        address=address, time_zone="Europe/Paris", department="75")
    campaign = uuid.uuid4()
    data = CaseOpened(case_id=case_id_for(partner_id="edf", campaign_id=campaign, external_ref="r1"),
                      partner_id="edf", campaign_id=campaign, external_ref="r1", customer=customer,
                      amount_due_cents=12_345, debt_since=date(2025, 1, 31), campaign_priority=3,
                      campaign_ends_on=date(2026, 12, 31), channel_preference=Channel.PHONE,
                      opened_at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
    event = orjson.loads(encode(envelope(data, source="/relais/intake")))
    for path, value in changes.items():
        *parents, last = path.split(".")
        target = event
        for key in parents:
            target = target[key]
        target[last] = value
    return event


def expected(raw: bytes) -> OpenedCase | None:
    """What the contract model makes of `raw`, in the codec's shape (None: poison)."""
    events = decode_batch([raw], CaseOpened, consumer=CONSUMER)
    if not events:
        return None
    d, c = events[0].data, events[0].data.customer
    return OpenedCase(str(events[0].id), d.case_id, d.partner_id, d.campaign_id, d.external_ref, c.first_name,
                      c.last_name, c.phone_e164, c.phone_kind, c.address.model_dump(mode="json") if c.address else None,
                      c.address.postcode if c.address else None, c.department, c.time_zone, d.amount_due_cents,
                      d.campaign_priority, d.debt_since, d.campaign_ends_on, d.channel_preference, d.opened_at)


def test_a_canonical_event_takes_the_fast_path_with_the_contract_models_values() -> None:
    raw = orjson.dumps(opened())
    fast = opened_codec._fast(raw)
    assert fast is not None and fast == expected(raw)


def test_an_event_without_an_address_nor_optional_fields_is_read_alike() -> None:
    raw = orjson.dumps(opened(**{"data.customer.address": None, "data.debt_since": None,
                                 "data.campaign_ends_on": None, "data.channel_preference": None}))
    fast = opened_codec._fast(raw)
    assert fast is not None and fast == expected(raw) and fast.postcode is None


MUTATIONS = [
    ("data.customer.address.postcode", "7501"), ("data.customer.address.postcode", "75011\n"),
    ("data.customer.address.postcode", "７５０１１"), ("data.customer.department", "2C"),
    ("data.customer.department", "971"), ("data.customer.department", "978"), ("data.partner_id", "EDF"),
    ("data.partner_id", "-edf"), ("data.partner_id", "e" * 65), ("data.external_ref", ""),
    ("data.external_ref", "x" * 65), ("data.amount_due_cents", -1), ("data.amount_due_cents", 1.0),
    ("data.amount_due_cents", "100"), ("data.amount_due_cents", True), ("data.campaign_priority", 10),
    ("data.campaign_priority", 9), ("data.campaign_priority", None), ("data.channel_preference", "sms"),
    ("data.channel_preference", "door_to_door"), ("data.debt_since", "2025-02-30"),
    ("data.debt_since", "2025-1-31"), ("data.opened_at", "2026-03-02T09:30:00"),
    ("data.opened_at", "2026-03-02T09:30:00+02:00"), ("data.opened_at", "2026-03-02 09:30:00Z"),
    ("data.opened_at", 1767225600), ("data.case_id", "not-a-uuid"), ("data.case_id", "{" + "0" * 32 + "}"),
    ("data.campaign_id", str(uuid.uuid4()).upper()), ("data.customer.first_name", ""),
    ("data.customer.first_name", "x" * 101), ("data.customer.phone_e164", "0612345678"),
    ("data.customer.phone_e164", None), ("data.customer.phone_kind", "fax"), ("data.customer.phone_kind", None),
    ("data.customer.address.latitude", 91), ("data.customer.address.latitude", True),
    ("data.customer.address.longitude", None), ("data.customer.address.line2", "bât. B"),
    ("data.customer.address.city", ""), ("data.customer.time_zone", 1), ("type", "relais.case.recalled.v1"),
    ("id", "x"), ("time", "yesterday"), ("time", "2026-02-30T09:30:00Z"), ("specversion", 1), ("data.customer", []),
    ("data.customer.address", "x"),
]


@pytest.mark.parametrize(("path", "value"), MUTATIONS)
def test_the_fast_path_never_keeps_what_the_contract_model_refuses_nor_reads_it_otherwise(path, value) -> None:
    raw = orjson.dumps(opened(**{path: value}))
    fast, model = opened_codec._fast(raw), expected(raw)
    if fast is not None:
        assert fast == model
    assert decode_opened([raw], consumer=CONSUMER) == ([model] if model else [])


@settings(max_examples=300)
@given(st.sampled_from([p for p, _ in MUTATIONS]), st.one_of(st.none(), st.booleans(), st.integers(-5, 10**19),
                                                              st.floats(allow_nan=False), st.text(max_size=70)))
def test_any_value_anywhere_is_read_as_the_contract_model_reads_it(path, value) -> None:
    raw = orjson.dumps(opened(**{path: value}))
    fast, model = opened_codec._fast(raw), expected(raw)
    assert fast is None or fast == model
    assert decode_opened([raw], consumer=CONSUMER) == ([model] if model else [])


def test_extra_or_missing_fields_go_to_the_contract_model() -> None:
    extra = opened()
    extra["data"]["surprise"] = 1
    missing = opened()
    del missing["data"]["debt_since"]  # optional: the model still takes it
    no_address_keys = opened()
    del no_address_keys["data"]["customer"]["address"]["line2"]
    for event in (extra, missing, no_address_keys):
        raw = orjson.dumps(event)
        assert opened_codec._fast(raw) is None
        assert decode_opened([raw], consumer=CONSUMER) == ([expected(raw)] if expected(raw) else [])
    assert decode_opened([orjson.dumps(extra)], consumer=CONSUMER) == []
    assert len(decode_opened([orjson.dumps(missing)], consumer=CONSUMER)) == 1


def test_poison_is_skipped_counted_and_the_rest_kept_once_per_event_id() -> None:
    good = orjson.dumps(opened())
    later = orjson.dumps(opened(**{"data.opened_at": (datetime.now(UTC) - timedelta(days=1)).isoformat()}))
    before = POISON_EVENTS.labels(CONSUMER)._value.get()
    cases = decode_opened([b"{broken", good, b'{"id": 1}', good, later, b"[]"], consumer=CONSUMER)
    assert [c.event_id for c in cases] == [expected(good).event_id, expected(later).event_id]
    assert POISON_EVENTS.labels(CONSUMER)._value.get() == before + 3


def test_an_event_the_model_accepts_in_another_form_is_read_from_the_model() -> None:
    event = copy.deepcopy(opened())
    event["data"]["amount_due_cents"] = 100.0  # a whole float: the model takes it as an int
    raw = orjson.dumps(event)
    assert opened_codec._fast(raw) is None
    [case] = decode_opened([raw], consumer=CONSUMER)
    assert case == expected(raw) and case.amount_due_cents == 100 and type(case.amount_due_cents) is int


def test_the_contract_models_bytes_are_read_in_one_regex_pass_and_other_layouts_parsed() -> None:
    event = opened()
    raw = orjson.dumps(event)
    assert opened_codec._CANONICAL.fullmatch(raw.decode()) is not None
    spaced = orjson.dumps(event, option=orjson.OPT_INDENT_2)
    escaped = orjson.dumps(opened(**{"data.customer.last_name": 'Martin "dit" Léon'}))
    for other in (spaced, escaped):
        assert opened_codec._CANONICAL.fullmatch(other.decode()) is None
        assert opened_codec._fast(other) == expected(other) is not None


@settings(max_examples=300)
@given(at=st.integers(0, 10_000), cut=st.integers(0, 3), insert=st.binary(max_size=3))
def test_any_edited_event_is_read_as_the_contract_model_reads_it(at: int, cut: int, insert: bytes) -> None:
    raw = orjson.dumps(opened())
    at %= len(raw)
    edited = raw[:at] + insert + raw[at + cut:]
    fast, model = opened_codec._fast(edited), expected(edited)
    assert fast is None or fast == model
    assert decode_opened([edited], consumer=CONSUMER) == ([model] if model else [])


postcodes = st.text(alphabet="0123456789", min_size=5, max_size=5)
departments = st.sampled_from(["01", "13", "2A", "2B", "57", "75", "971", "974", "976"])
names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=30)


@settings(max_examples=300)
@given(postcode=st.one_of(st.none(), postcodes), department=departments, name=names,
       spaced=st.booleans())
def test_the_routing_key_is_the_postcode_and_department_the_event_decodes_to(postcode, department, name,
                                                                             spaced) -> None:
    """Read without decoding, whatever the names hold (a quoted `"postcode":"…"` in a name is escaped); in another
    layout the key is not found, which only costs the batch its best split."""
    address = {"line1": f'{name} "postcode":"99999"', "line2": None, "postcode": postcode, "city": name,
               "latitude": None, "longitude": None} if postcode else None
    raw = orjson.dumps(opened(**{"data.customer.address": address, "data.customer.department": department,
                                 "data.customer.last_name": name}),
                       option=orjson.OPT_INDENT_2 if spaced else None)
    [case] = decode_opened([raw], consumer=CONSUMER)
    key = opened_codec.routing_key(raw)
    if spaced:
        assert key == (None, None)
    else:
        assert key == (case.postcode, case.department) == (postcode, department)
