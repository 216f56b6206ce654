"""Commands: what a caller asks the campaigns service to do, already parsed and typed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime

from relais_campaigns.domain.availability import Absence
from relais_campaigns.domain.model import AgentProfile
from relais_platform.contracts import AttemptResult, Channel


@dataclass(frozen=True, slots=True)
class PutSite:
    """Create or replace a site."""

    site_id: str
    name: str
    postcode_prefixes: tuple[str, ...]
    time_zone: str
    opening_days: tuple[str, ...]
    holiday_department: str


@dataclass(frozen=True, slots=True)
class PutAgent:
    """Create or replace an agent."""

    agent_id: str
    profile: AgentProfile


@dataclass(frozen=True, slots=True)
class PatchAgent:
    """Change some fields of an agent; None leaves a field as it is."""

    agent_id: str
    site_id: str | None = None
    display_name: str | None = None
    channels: tuple[Channel, ...] | None = None
    daily_capacity: int | None = None
    languages: tuple[str, ...] | None = None
    active: bool | None = None
    working_days: tuple[str, ...] | None = None
    absences: tuple[Absence, ...] | None = None

    def applied_to(self, profile: AgentProfile) -> AgentProfile:
        """The profile with this patch's changes."""
        changes = {f: getattr(self, f) for f in ("site_id", "display_name", "channels", "daily_capacity",
                                                 "languages", "active", "working_days", "absences")
                   if getattr(self, f) is not None}
        return replace(profile, **changes)


@dataclass(frozen=True, slots=True)
class RecordAttempt:
    """Record a contact attempt on a case."""

    case_id: uuid.UUID
    result: AttemptResult
    channel: Channel | None = None
    attempted_at: datetime | None = None
    callback_at: datetime | None = None
    note: str | None = None
    callback_open_to_site: bool = False


@dataclass(frozen=True, slots=True)
class ReassignCase:
    """Give a case to a named agent of its site."""

    case_id: uuid.UUID
    agent_id: str
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ShowWorklist:
    """An agent's calls and visits for one day (today in the site's zone when `day` is None)."""

    agent_id: str
    day: date | None = None
