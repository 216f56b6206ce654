"""CaseOpened events off Kafka, fast: orjson and plain checks for the canonical shape intake publishes,
the contract model (pydantic) only for anything else.

The fast path accepts an event only when every field has the exact canonical form and satisfies the
contract's constraints (a strict subset of what the contract model accepts, with the same values); any
other value goes through `decode_batch` with the contract model, which keeps it or skips and logs it as
poison.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from relais_platform.contracts import CaseOpened
from relais_platform.db import FastUUID
from relais_platform.events import decode_batch
from relais_platform.fastjson import (
    DECIMAL,
    MOMENT,
    NATURAL,
    SLUG,
    UUID_TEXT,
    Json,
    all_match,
    canonical_event,
    event_pattern,
    is_moment,
    json_object,
    matches,
    nullable,
    one_of,
    pattern_groups,
    text,
)
from relais_platform.tuples import maker

_DATA_KEYS = frozenset({"case_id", "partner_id", "campaign_id", "external_ref", "customer", "amount_due_cents",
                        "debt_since", "channel_preference", "campaign_priority", "campaign_ends_on", "opened_at"})
_CUSTOMER_KEYS = frozenset({"first_name", "last_name", "phone_e164", "phone_kind", "address", "time_zone",
                            "department"})
_ADDRESS_KEYS = frozenset({"line1", "line2", "postcode", "city", "latitude", "longitude"})
_PHONE = re.compile(r"\+[1-9][0-9]{6,14}")
_POSTCODE = re.compile(r"[0-9]{5}")
_DEPARTMENT = re.compile(r"[0-9]{2}|2A|2B|97[1-6]")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PHONE_KINDS = frozenset({None, "mobile", "landline", "other"})
_CHANNELS = frozenset({None, "phone", "door_to_door"})
_BIGINT = 1 << 63


class OpenedCase(NamedTuple):
    """A CaseOpened event as the campaigns worker reads it: the event id and the case's own fields."""

    event_id: str  # as str(uuid.UUID) gives it: only compared, within a batch, to keep one event per id
    case_id: uuid.UUID
    partner_id: str
    campaign_id: uuid.UUID
    external_ref: str
    first_name: str
    last_name: str
    phone_e164: str | None
    phone_kind: str | None
    address: dict[str, Any] | None  # as the contract model serialises it
    postcode: str | None
    department: str
    time_zone: str
    amount_due_cents: int
    campaign_priority: int
    debt_since: date | None
    campaign_ends_on: date | None
    channel_preference: str | None
    opened_at: datetime


_opened_case = maker(OpenedCase)


def decode_opened(values: Sequence[bytes], *, consumer: str) -> list[OpenedCase]:
    """The CaseOpened events of a consumed batch, first occurrence of each event id only; poison values
    are skipped and logged (by the contract model's decoder) as for every consumer."""
    events: dict[str, OpenedCase] = {}
    for raw in values:
        case = _fast(raw) or _checked(raw, consumer=consumer)
        if case is not None and case.event_id not in events:
            events[case.event_id] = case
    return list(events.values())


class RoutingKey(NamedTuple):
    """What routes an undecoded CaseOpened to a site: its postcode and department (None when not found)."""

    postcode: str | None
    department: str | None


# A key's quoted name cannot occur inside a JSON string unescaped, so a match is the field itself. The department
# comes after the address in the canonical layout: one search finds both (the greedy gap backtracks from the end,
# where the department is), a second the department alone when there is no postcode.
_ROUTING_FIELDS = re.compile(rb'"postcode":"([0-9]{5})".*"department":"([0-9]{2}|2A|2B|97[1-6])"', re.DOTALL)
_DEPARTMENT_FIELD = re.compile(rb'"department":"([0-9]{2}|2A|2B|97[1-6])"')


def routing_key(raw: bytes) -> RoutingKey:
    """The postcode and department of a CaseOpened without decoding it (~1 µs): enough to share a batch out by
    site before each share is decoded where it is applied. Not a validation: the decoder still judges the event."""
    if (both := _ROUTING_FIELDS.search(raw)) is not None:
        return RoutingKey(both[1].decode(), both[2].decode())
    department = _DEPARTMENT_FIELD.search(raw)
    return RoutingKey(None, department[1].decode() if department else None)


def _checked(raw: bytes, *, consumer: str) -> OpenedCase | None:
    """The contract model's verdict on a value the fast path did not take."""
    decoded = decode_batch([raw], CaseOpened, consumer=consumer)
    if not decoded:
        return None
    d = decoded[0].data
    c = d.customer
    return OpenedCase(
        str(decoded[0].id), d.case_id, d.partner_id, d.campaign_id, d.external_ref, c.first_name, c.last_name,
        c.phone_e164, c.phone_kind.value if c.phone_kind else None, c.address.model_dump(mode="json") if c.address
        else None, c.address.postcode if c.address else None, c.department, c.time_zone, d.amount_due_cents,
        d.campaign_priority, d.debt_since, d.campaign_ends_on,
        d.channel_preference.value if d.channel_preference else None, d.opened_at)


def _free_text(min_length: int, max_length: int) -> Json:
    """A free-text field without escapes (names, addresses: their JSON text is their value)."""
    return text(re.compile(f'[^"\\\\\\x00-\\x1f]{{{min_length},{max_length}}}'))


# CaseOpened exactly as intake serialises it (the contract model's layout): one regex pass checks every value but
# the dates and coordinates, and captures them all (a JSON parse and a check per value were 12 µs of the
# worker's ~44 a case). Anything else — another layout, an escape in a name — is parsed as before.
_ADDRESS = json_object([("line1", _free_text(1, 200)), ("line2", nullable(_free_text(0, 200))),
                        ("postcode", text(_POSTCODE)), ("city", _free_text(1, 100)),
                        ("latitude", nullable(DECIMAL)), ("longitude", nullable(DECIMAL))])
_CUSTOMER = json_object([("first_name", _free_text(1, 100)), ("last_name", _free_text(1, 100)),
                         ("phone_e164", nullable(text(_PHONE))),
                         ("phone_kind", nullable(text(one_of(k for k in _PHONE_KINDS if k)))),
                         ("address", nullable(_ADDRESS)), ("time_zone", _free_text(0, 10_000)),
                         ("department", text(_DEPARTMENT))])
_CANONICAL = event_pattern(CaseOpened.event_type, [
    ("case_id", text(UUID_TEXT)), ("partner_id", text(SLUG)), ("campaign_id", text(UUID_TEXT)),
    ("external_ref", _free_text(1, 64)), ("customer", _CUSTOMER), ("amount_due_cents", NATURAL),
    ("debt_since", nullable(text(_DATE))), ("channel_preference", nullable(text(one_of(c for c in _CHANNELS if c)))),
    ("campaign_priority", Json("([0-9])")), ("campaign_ends_on", nullable(text(_DATE))),
    ("opened_at", text(MOMENT))])


def _fast(raw: bytes) -> OpenedCase | None:
    """The event when `raw` is a canonical, valid CaseOpened; None when the contract model must decide."""
    groups = pattern_groups(_CANONICAL, raw)
    if groups is None:
        return _parsed(raw)
    (event_id, time, case_id, partner_id, campaign_id, external_ref, first_name, last_name, phone, phone_kind,
     line1, line2, postcode, city, latitude, longitude, time_zone, department, amount, debt_since, channel,
     priority, ends_on, opened_at) = groups
    try:  # what no pattern checks: the dates exist, the numbers are in range
        datetime.fromisoformat(time)
        address = None if line1 is None else {
            "line1": line1, "line2": line2, "postcode": postcode, "city": city,
            "latitude": _degrees(latitude, 90), "longitude": _degrees(longitude, 180)}
        cents = int(amount)
        if cents >= _BIGINT:
            return None
        return _opened_case((
            event_id, FastUUID(case_id), partner_id, _campaign(campaign_id), external_ref, first_name,
            last_name, phone, phone_kind, address, postcode, department, time_zone, cents, int(priority),
            _date(debt_since), _date(ends_on), channel, datetime.fromisoformat(opened_at)))
    except ValueError:
        return None


def _degrees(number: str | None, bound: int) -> float | None:
    """A coordinate as orjson reads it (an int without a decimal point); ValueError out of range."""
    if number is None:
        return None
    value = float(number) if "." in number else int(number)
    if not -bound <= value <= bound:
        raise ValueError(f"{number} is out of range")
    return value


def _parsed(raw: bytes) -> OpenedCase | None:
    """`_fast` for canonical JSON in another layout (key order, spacing, escapes): parsed, then checked."""
    try:
        event = canonical_event(raw, CaseOpened.event_type, _DATA_KEYS)
        if event is None:
            return None
        d = event["data"]
        c = d["customer"]
        if not (_data_ok(d) and _customer_ok(c)):
            return None
        address = c["address"]
        return OpenedCase(
            str(uuid.UUID(event["id"])), uuid.UUID(d["case_id"]), d["partner_id"], _campaign(d["campaign_id"]),
            d["external_ref"],
            c["first_name"], c["last_name"], c["phone_e164"], c["phone_kind"], address,
            address["postcode"] if address is not None else None, c["department"], c["time_zone"],
            d["amount_due_cents"], d["campaign_priority"], _date(d["debt_since"]), _date(d["campaign_ends_on"]),
            d["channel_preference"], datetime.fromisoformat(d["opened_at"]))
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


@functools.lru_cache(maxsize=4096)
def _campaign(text: str) -> uuid.UUID:
    """A campaign's id (a batch holds the cases of a few campaigns: parse each once), as asyncpg's own UUID like
    the case id (COPY writes it without a round through `.bytes`)."""
    return FastUUID(text)


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value is not None else None


def _data_ok(d: dict[str, Any]) -> bool:
    ref, amount, priority = d["external_ref"], d["amount_due_cents"], d["campaign_priority"]
    return (type(ref) is str and 0 < len(ref) <= 64
            and type(amount) is int and 0 <= amount < _BIGINT and type(priority) is int and 0 <= priority <= 9
            and d["channel_preference"] in _CHANNELS and type(d["customer"]) is dict
            and all_match(UUID_TEXT, d["case_id"], d["campaign_id"]) and matches(SLUG, d["partner_id"])
            and _is_date(d["debt_since"]) and _is_date(d["campaign_ends_on"]) and is_moment(d["opened_at"]))


def _customer_ok(c: dict[str, Any]) -> bool:
    first, last, phone, address = c["first_name"], c["last_name"], c["phone_e164"], c["address"]
    return (c.keys() == _CUSTOMER_KEYS and type(first) is str and 0 < len(first) <= 100
            and type(last) is str and 0 < len(last) <= 100 and c["phone_kind"] in _PHONE_KINDS
            and (phone is None or matches(_PHONE, phone)) and type(c["time_zone"]) is str
            and matches(_DEPARTMENT, c["department"]) and (address is None or _address_ok(address)))


def _address_ok(a: Any) -> bool:
    line1, line2, city = a["line1"], a["line2"], a["city"]
    return (type(a) is dict and a.keys() == _ADDRESS_KEYS and type(line1) is str and 0 < len(line1) <= 200
            and (line2 is None or (type(line2) is str and len(line2) <= 200)) and type(city) is str
            and 0 < len(city) <= 100 and matches(_POSTCODE, a["postcode"]) and _is_degrees(a["latitude"], 90)
            and _is_degrees(a["longitude"], 180))


def _is_degrees(value: Any, bound: int) -> bool:
    return value is None or (type(value) in (int, float) and -bound <= value <= bound)


def _is_date(value: Any) -> bool:
    """None (the field is optional) or a valid YYYY-MM-DD."""
    return value is None or (matches(_DATE, value) and date.fromisoformat(value) is not None)
