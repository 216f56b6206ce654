"""CloudEvents 1.0 envelope, structured mode: the Kafka value is the whole event as JSON.

Every Relais event is one JSON object carrying the CloudEvents attributes (`id`, `source`, `type`,
`time`, `specversion`, `datacontenttype`, `subject`) and the payload under `data`. The Kafka key is
the `subject` (the case_id for case events); the header `content-type` is
`application/cloudevents+json`. One choice, everywhere: consumers never look at other headers.
"""

from __future__ import annotations

import functools
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, Field

CONTENT_TYPE = "application/cloudevents+json"


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


def decode(raw: bytes | str | dict[str, Any], data_type: type[D]) -> Envelope[D]:
    """Parse Kafka bytes into a typed envelope; raises pydantic.ValidationError on a bad event."""
    obj = orjson.loads(raw) if isinstance(raw, (bytes, str)) else raw
    return envelope_type(data_type).model_validate(obj)


def event_type_of(raw: bytes) -> str | None:
    """The CloudEvents `type` of raw bytes, without validating the payload (for routing)."""
    try:
        return orjson.loads(raw).get("type")
    except (orjson.JSONDecodeError, AttributeError):
        return None
