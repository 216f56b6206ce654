"""Request and response bodies of the campaigns HTTP API (validated at the edge, 422 naming the field)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated, Any, Literal

import asyncpg
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from relais_campaigns.adapters.attempts_repo import AttemptRow
from relais_campaigns.domain.availability import Absence
from relais_campaigns.domain.routing import PREFIX_PATTERN
from relais_campaigns.domain.sites import is_valid_time_zone
from relais_platform.contracts import AttemptResult, Channel, Slug

SLUG_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
Prefix = Annotated[str, Field(pattern=PREFIX_PATTERN, description="1-5 postcode digits, or 2A/2B")]
Language = Annotated[str, Field(pattern=r"^[a-z]{2,3}$", description="ISO 639 code")]
Channels = Annotated[list[Channel], Field(min_length=1, max_length=2)]
DayName = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Days = Annotated[list[DayName], Field(min_length=1, max_length=7)]
WEEKDAYS: list[DayName] = ["mon", "tue", "wed", "thu", "fri"]
Department = Annotated[str, Field(pattern=r"^(\d{2}|2A|2B|97[1-6])$", description="French department code")]


class AbsenceBody(BaseModel):
    """An absence, both days included (in the site's calendar)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    starts_on: date = Field(alias="from")
    ends_on: date = Field(alias="to")

    @model_validator(mode="after")
    def _ordered(self) -> AbsenceBody:
        if self.ends_on < self.starts_on:
            raise ValueError("to must not be before from")
        return self

    def as_absence(self) -> Absence:
        """The domain absence."""
        return Absence(self.starts_on, self.ends_on)


Absences = Annotated[list[AbsenceBody], Field(max_length=100)]


class Body(BaseModel):
    """A request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class SiteBody(Body):
    """A mediation point and the postcodes it covers."""

    name: str = Field(min_length=1, max_length=200)
    postcode_prefixes: list[Prefix] = Field(min_length=1, max_length=500)
    time_zone: str = Field(min_length=1, max_length=64, examples=["Europe/Paris"])
    opening_days: Days = Field(default_factory=lambda: list(WEEKDAYS))
    holiday_department: Department | None = Field(
        default=None, description="whose public holidays close the site; default: the department of its prefixes")

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if not is_valid_time_zone(value):
            raise ValueError(f"{value!r} is not an IANA time zone")
        return value


class AgentBody(Body):
    """An agent of a site."""

    site_id: Slug
    display_name: str = Field(min_length=1, max_length=200)
    channels: Channels
    daily_capacity: int = Field(ge=1, le=500, description="Most open cases held at once")
    languages: list[Language] = Field(default_factory=lambda: ["fr"], min_length=1, max_length=20)
    active: bool = True
    working_days: Days = Field(default_factory=lambda: list(WEEKDAYS))
    absences: Absences = Field(default_factory=list, description="away from/to: their open cases go back at once")


class AgentPatchBody(Body):
    """Some fields of an agent; a field left out is unchanged, none may be null."""

    site_id: Slug | None = None
    display_name: str | None = Field(default=None, min_length=1, max_length=200)
    channels: Channels | None = None
    daily_capacity: int | None = Field(default=None, ge=1, le=500)
    languages: list[Language] | None = Field(default=None, min_length=1, max_length=20)
    active: bool | None = None
    working_days: Days | None = None
    absences: Absences | None = Field(default=None, description="replaces the agent's absences")

    @model_validator(mode="after")
    def _no_nulls(self) -> AgentPatchBody:
        if not self.model_fields_set:
            raise ValueError("give at least one field to change")
        nulls = sorted(f for f in self.model_fields_set if getattr(self, f) is None)
        if nulls:
            raise ValueError(f"{', '.join(nulls)} may not be null")
        return self


class AttemptBody(Body):
    """A contact attempt; channel defaults to the case's, attempted_at to now."""

    result: AttemptResult
    channel: Channel | None = None
    attempted_at: AwareDatetime | None = None
    callback_at: AwareDatetime | None = None
    callback_open_to_site: bool = Field(
        default=False, description="callback_requested only: any agent of the site may take the callback when "
                                   "its taker does not work that day (default: reserved to its taker)")
    note: str | None = Field(default=None, max_length=2000, description="Kept for the site, never published")


class ReassignBody(Body):
    """The agent who should hold the case."""

    agent_id: Slug
    reason: str | None = Field(default=None, min_length=1, max_length=150)


class SiteOut(BaseModel):
    """A site."""

    site_id: str
    name: str
    postcode_prefixes: list[str]
    time_zone: str
    opening_days: list[str]
    holiday_department: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: asyncpg.Record) -> SiteOut:
        """From a sites row."""
        return cls(**{k: row[k] for k in cls.model_fields})


class AgentOut(BaseModel):
    """An agent and how many open cases they hold."""

    agent_id: str
    site_id: str
    display_name: str
    channels: list[str]
    daily_capacity: int
    languages: list[str]
    active: bool
    working_days: list[str]
    absences: list[dict[str, date]]
    open_cases: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: asyncpg.Record, *, open_cases: int, absences: Sequence[Absence] = ()) -> AgentOut:
        """From an agents row and the agent's absences."""
        return cls(open_cases=open_cases, absences=[{"from": a.starts_on, "to": a.ends_on} for a in absences],
                   **{k: row[k] for k in cls.model_fields if k not in ("open_cases", "absences")})


class AttemptOut(BaseModel):
    """A recorded attempt (the note is returned to its author, never published)."""

    attempt_id: uuid.UUID
    case_id: uuid.UUID
    agent_id: str
    site_id: str
    channel: str
    result: str
    attempted_at: datetime
    callback_at: datetime | None
    callback_open_to_site: bool
    note: str | None
    recorded_by: str
    recorded_at: datetime

    @classmethod
    def of(cls, attempt: AttemptRow) -> AttemptOut:
        """From a stored attempt."""
        return cls(**{k: getattr(attempt, k) for k in cls.model_fields})


class ReassignOut(BaseModel):
    """Who holds the case now."""

    case_id: uuid.UUID
    status: str = "assigned"
    site_id: str | None
    agent_id: str | None
    previous_agent_id: str | None


def dump(model: BaseModel) -> dict[str, Any]:
    """JSON-ready dict of a response model."""
    return model.model_dump(mode="json")
