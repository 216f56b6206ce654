"""Canonical events off Kafka without pydantic, for the bulk consumers' hot paths.

A consumer reading hundreds of thousands of events of one type may take the ones in the exact canonical
form our services publish with one regex over their compact JSON (`event_pattern`), the ones in another layout
with orjson and plain checks (`canonical_event`), and leave every other value to the contract model
(`events.decode_batch`), which keeps it or skips and logs it as poison. The checks here are a strict subset
of what the contract models accept, giving the same values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

import orjson

ENVELOPE_KEYS = frozenset({"id", "source", "type", "specversion", "time", "datacontenttype", "subject", "data"})
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")  # str(uuid.UUID)
SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")  # contracts.Slug
MOMENT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?"
                    r"(?:Z|[+-][0-9]{2}:[0-9]{2})")
# A JSON string of printable ASCII without escapes: what an envelope's free-text attributes hold when canonical.
_PLAIN_TEXT = r'"[\x20\x21\x23-\x5b\x5d-\x7e]*"'


def matches(pattern: re.Pattern[str], value: Any) -> bool:
    """`value` is a string that `pattern` matches whole."""
    return type(value) is str and pattern.fullmatch(value) is not None


def all_match(pattern: re.Pattern[str], *values: Any) -> bool:
    """Every value is a string without a newline that `pattern` matches whole, checked in one regex pass over
    them all (a call per value was a tenth of a bulk consumer's Python): the values joined by newlines against
    `pattern` repeated once per value, newline-separated."""
    try:
        joined = "\n".join(values)
    except TypeError:  # not all strings
        return False
    return joined.count("\n") == len(values) - 1 and _repeated(pattern, len(values)).fullmatch(joined) is not None


@cache
def _repeated(pattern: re.Pattern[str], count: int) -> re.Pattern[str]:
    return re.compile("\n".join([f"(?:{pattern.pattern})"] * count), pattern.flags)


def is_moment(value: Any) -> bool:
    """An ISO 8601 date-time with its UTC offset (an aware datetime) that exists on the calendar."""
    try:
        return matches(MOMENT, value) and datetime.fromisoformat(value) is not None
    except ValueError:  # 2026-02-30T…
        return False


def one_of(values: Iterable[str]) -> re.Pattern[str]:
    """A pattern matching exactly one of `values` (an enum's, say)."""
    return re.compile("|".join(map(re.escape, values)))


class Json(NamedTuple):
    """The pattern of a JSON value as orjson writes it, its capturing groups included (see `event_pattern`)."""

    regex: str


def text(pattern: re.Pattern[str]) -> Json:
    """A JSON string whose value `pattern` matches whole, captured; no escape (the pattern must not take a quote, a
    backslash nor a control character: the captured text is then the string's value)."""
    return Json(f'"({_ungrouped(pattern)})"')


def nullable(value: Json) -> Json:
    """`value` or null (its groups are then None)."""
    return Json(f"(?:null|{value.regex})")


def json_object(fields: Sequence[tuple[str, Json]]) -> Json:
    """An object with exactly `fields` (name, value), in that order."""
    return Json("\\{" + ",".join(f'"{re.escape(name)}":{value.regex}' for name, value in fields) + "\\}")


NATURAL = Json("(0|[1-9][0-9]*)")  # a non-negative integer, captured
DECIMAL = Json(r"(-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?)")  # a number without exponent, captured: int if no point


def event_pattern(event_type: str, data: Sequence[tuple[str, Json]]) -> re.Pattern[str]:
    """The JSON orjson gives for a CloudEvent of `event_type` as the contract models serialise it — compact, the
    envelope's keys in their order, `data` holding exactly `data`'s fields in that order — as one pattern to
    `fullmatch` the decoded value with: a single regex pass instead of a JSON parse and a check per value. Its
    groups: the event id, its time, then those of `data`'s values in order.

    Every value it takes is one `canonical_event` would take (strings of a restricted alphabet: no escape can hide
    in them), so a match reads the same as the contract model when the caller checks what no pattern can: that
    dates exist on the calendar, that numbers are in range.
    """
    return re.compile(
        f'\\{{"id":"({_ungrouped(UUID_TEXT)})","source":{_PLAIN_TEXT},"type":"{re.escape(event_type)}",'
        f'"specversion":{_PLAIN_TEXT},"time":"({_ungrouped(MOMENT)})","datacontenttype":{_PLAIN_TEXT},'
        f'"subject":{_PLAIN_TEXT},"data":{json_object(data).regex}\\}}')


def pattern_groups(pattern: re.Pattern[str], raw: bytes) -> tuple[str | None, ...] | None:
    """The groups of an `event_pattern` matching all of `raw` (UTF-8); None when it does not (nor when `raw` is no
    UTF-8 at all: the parse that follows refuses that too)."""
    try:
        match = pattern.fullmatch(raw.decode())
    except UnicodeDecodeError:
        return None
    return None if match is None else match.groups()


def _ungrouped(pattern: re.Pattern[str]) -> str:
    if pattern.groups or not pattern.pattern.isascii():
        raise ValueError(f"{pattern.pattern!r}: an event pattern's values are ASCII without capturing groups")
    return f"(?:{pattern.pattern})"


def canonical_event(raw: bytes, event_type: str, data_keys: frozenset[str]) -> dict[str, Any] | None:
    """The decoded event when `raw` is a canonical CloudEvent of `event_type` whose `data` has exactly
    `data_keys` (their values are the caller's to check); None when the contract model must decide."""
    try:
        event = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if type(event) is not dict or event.keys() != ENVELOPE_KEYS or event["type"] != event_type:
        return None
    data = event["data"]
    if not (matches(UUID_TEXT, event["id"]) and type(event["source"]) is str and type(event["specversion"]) is str
            and is_moment(event["time"]) and type(event["datacontenttype"]) is str
            and type(event["subject"]) is str and type(data) is dict and data.keys() == data_keys):
        return None
    return event
