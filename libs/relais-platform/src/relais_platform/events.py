"""CloudEvents 1.0 envelope, structured mode: the Kafka value is the whole event as JSON.

Every Relais event is one JSON object carrying the CloudEvents attributes (`id`, `source`, `type`,
`time`, `specversion`, `datacontenttype`, `subject`) and the payload under `data`. The Kafka key is
the `subject` (the case_id for case events); the header `content-type` is
`application/cloudevents+json`. One choice, everywhere: consumers never look at other headers.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, TypeVar

import orjson
import structlog
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from relais_platform.metrics import counter

CONTENT_TYPE = "application/cloudevents+json"
log = structlog.get_logger(__name__)


class EventData(BaseModel):
    """Base of every integration-event payload. Subclasses name their topic and CloudEvents type."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    topic: ClassVar[str]
    event_type: ClassVar[str]

    def subject(self) -> str:
        """The Kafka key and CloudEvents subject: the case_id for case events."""
        return str(self.case_id)  # type: ignore[attr-defined]


D = TypeVar("D", bound=EventData)


class Envelope(BaseModel, Generic[D]):
    """A CloudEvents 1.0 event in structured mode."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: uuid.UUID
    source: str = Field(description="URI-reference of the producing service, e.g. /relais/intake")
    type: str
    specversion: str = "1.0"
    time: datetime
    datacontenttype: str = "application/json"
    subject: str
    data: D


@functools.cache
def envelope_type(data_type: type[D]) -> type[Envelope[D]]:
    """The envelope class of a payload type (pydantic's generic look-up is slow on hot paths)."""
    return Envelope[data_type]  # type: ignore[valid-type]


def envelope(data: D, *, source: str, event_id: uuid.UUID | None = None, time: datetime | None = None) -> Envelope[D]:
    """Wrap a payload; pass `event_id` when the id must be deterministic (derived events)."""
    return envelope_type(type(data))(
        id=event_id or uuid.uuid4(),
        source=source,
        type=data.event_type,
        time=time or datetime.now(UTC),
        subject=data.subject(),
        data=data,
    )


def encode(event: Envelope[Any]) -> bytes:
    """Serialise an envelope to the bytes put on Kafka."""
    return orjson.dumps(event.model_dump(mode="json"))


_MOMENT = TypeAdapter(datetime)


def moment_json(moment: datetime) -> str:
    """A moment's JSON value as the contract models write it (e.g. "2026-03-02T09:30:00Z")."""
    return orjson.dumps(_MOMENT.dump_python(moment, mode="json")).decode()


class EnvelopeFrame:
    """The bytes `encode` gives, built around each event's id, subject and data: the fields that many events of one
    type, source and time share are serialised once (hot paths write tens of thousands of events a second). The id
    and subject must be JSON-safe text (uuids, slugs) and `data` the payload's JSON, in the contract model's field
    order; each user holds its bytes to `encode` of the model-built event in a test."""

    __slots__ = ("_opening", "_subject")

    def __init__(self, *, event_type: str, source: str, time: datetime) -> None:
        fixed = orjson.dumps({"id": "", "source": source, "type": event_type, "specversion": "1.0",
                              "time": _MOMENT.dump_python(time, mode="json"), "datacontenttype": "application/json",
                              "subject": ""})
        self._opening, self._subject, _ = fixed.split(b'""')  # '{"id":' and ',"source":…,"subject":'

    def encode(self, event_id: str, subject: str, data: bytes) -> bytes:
        """One event's bytes."""
        return b"".join((self._opening, b'"', event_id.encode(), b'"', self._subject, b'"', subject.encode(),
                         b'","data":', data, b"}"))


def decode(raw: bytes | str | dict[str, Any], data_type: type[D]) -> Envelope[D]:
    """Parse Kafka bytes into a typed envelope; raises pydantic.ValidationError on a bad event."""
    obj = orjson.loads(raw) if isinstance(raw, (bytes, str)) else raw
    return envelope_type(data_type).model_validate(obj)


def decode_batch(raws: Sequence[bytes], data_type: type[D], *, consumer: str) -> list[Envelope[D]]:
    """The events of a consumed batch that are `data_type`, first occurrence of each id only.

    A poison value (not JSON, wrong shape, another event type) is counted, logged without its content
    (it may carry personal data: only the names of the offending fields) and skipped, so one bad record
    never stops a consumer.
    """
    model = envelope_type(data_type)
    events: dict[uuid.UUID, Envelope[D]] = {}
    for raw in raws:
        try:
            event = model.model_validate_json(raw)  # straight from the bytes: the hot path of every consumer
        except ValidationError as exc:
            fields = sorted({".".join(map(str, e["loc"])) for e in exc.errors()})
            _poison(consumer, reason="invalid", fields=fields[:20])
            continue
        except (ValueError, TypeError) as exc:
            _poison(consumer, reason=type(exc).__name__)
            continue
        if event.type != data_type.event_type:
            _poison(consumer, reason="unexpected type", event_id=str(event.id), type=event.type)
            continue
        events.setdefault(event.id, event)
    return list(events.values())


POISON_EVENTS = counter("relais_consumer_poison_events_total", "Events that could not be decoded", ["consumer"])


def _poison(consumer: str, **details: Any) -> None:
    POISON_EVENTS.labels(consumer).inc()
    log.warning("undecodable event skipped", consumer=consumer, **details)
