"""The campaigns domain's entities and value objects: sites, agents, and cases as assignment sees them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import NamedTuple

from relais_campaigns.domain.availability import Absence
from relais_platform.contracts import Channel


class CaseStatus(StrEnum):
    """Where a case stands in the network."""

    WAITING = "waiting"  # routed to a site, nobody holds it yet
    UNROUTED = "unrouted"  # no site covers its postcode
    ASSIGNED = "assigned"  # an agent holds it
    RESOLVED = "resolved"  # an outcome was recorded (by the outcomes service)
    WITHDRAWN = "withdrawn"  # taken back by the partner
    EXHAUSTED = "exhausted"  # no allowed contact left before the campaign ends; outcomes closes it unreachable

    @property
    def is_closed(self) -> bool:
        """Closed cases take no more attempts and hold no capacity."""
        return self in (CaseStatus.RESOLVED, CaseStatus.WITHDRAWN, CaseStatus.EXHAUSTED)


@dataclass(frozen=True, slots=True)
class Site:
    """A mediation point and the postcodes it covers."""

    site_id: str
    postcode_prefixes: tuple[str, ...]
    time_zone: str = "Europe/Paris"
    name: str = ""
    opening_days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    holiday_department: str = "75"


@dataclass(frozen=True, slots=True)
class Agent:
    """A mediation agent of one site."""

    agent_id: str
    site_id: str
    channels: frozenset[Channel]
    daily_capacity: int
    active: bool = True


@dataclass(frozen=True, slots=True)
class AgentProfile:
    """Everything a supervisor sets about an agent."""

    site_id: str
    display_name: str
    channels: tuple[Channel, ...]
    daily_capacity: int
    languages: tuple[str, ...] = ("fr",)
    active: bool = True
    working_days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    absences: tuple[Absence, ...] = ()

    def as_agent(self, agent_id: str) -> Agent:
        """The agent as assignment sees them."""
        return Agent(agent_id=agent_id, site_id=self.site_id, channels=frozenset(self.channels),
                     daily_capacity=self.daily_capacity, active=self.active)


@dataclass(frozen=True, slots=True)
class AgentLoad:
    """An agent with the number of open cases they hold right now."""

    agent: Agent
    load: int

    @property
    def has_room(self) -> bool:
        """True while the agent holds fewer cases than their capacity."""
        return self.load < self.agent.daily_capacity


class QueuedCase(NamedTuple):
    """What assignment needs to know about a case: where it is, how it is worked, how urgent it is (a NamedTuple:
    one is built for every case that arrives, at a third of a frozen dataclass's cost)."""

    case_id: uuid.UUID
    site_id: str | None
    channel: Channel
    campaign_priority: int
    amount_due_cents: int
    opened_at: datetime


@dataclass(frozen=True, slots=True)
class HeldCase:
    """A case an agent holds, with whether work on it has started."""

    case: QueuedCase
    attempted: bool


@dataclass(frozen=True, slots=True)
class Holding:
    """Who holds a case after a change; `version` counts the changes of holder."""

    case_id: uuid.UUID
    partner_id: str
    campaign_id: uuid.UUID
    status: CaseStatus
    site_id: str | None
    agent_id: str | None
    version: int


@dataclass(frozen=True, slots=True)
class CaseSnapshot:
    """A case as casework sees it: who holds it, how it is worked, what contact details exist."""

    holding: Holding
    queued: QueuedCase
    has_phone: bool
    has_address: bool
    time_zone: str
    department: str
    campaign_ends_on: date | None = None
    person_key: str = ""  # whose attempts the contact rules count (domain.person)


def channel_for(*, has_phone: bool, has_address: bool, preference: Channel | None) -> Channel:
    """How a case is worked: the partner's preference when the contact details allow it, else phone
    when there is a number, else a door-to-door visit."""
    if preference is Channel.DOOR_TO_DOOR and has_address:
        return Channel.DOOR_TO_DOOR
    if preference is Channel.PHONE and has_phone:
        return Channel.PHONE
    return Channel.PHONE if has_phone else Channel.DOOR_TO_DOOR


def priority_key(case: QueuedCase) -> tuple[int, int, datetime, uuid.UUID]:
    """Sort key of the work order: campaign priority desc, amount due desc, oldest first, then id (UUIDs
    order as their text does)."""
    return (-case.campaign_priority, -case.amount_due_cents, case.opened_at, case.case_id)
