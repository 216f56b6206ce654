"""The contact rules: the single gate every attempt passes, and the next moment a person may be contacted.

Defaults follow the French rules on unsolicited calls (décret 2022-1313): Monday to Friday, 10:00-13:00
and 14:00-20:00 in the customer's own time zone, never on a public holiday of their department, at most
4 attempts per rolling 30 days across phone and door-to-door, nothing for 60 days after a refusal. Every
limit is a field of ContactPolicy, which a partner's contract may override.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from relais_campaigns.domain.calendar import is_public_holiday
from relais_platform.contracts import AttemptResult, Channel

Window = tuple[time, time]  # [start, end) in the customer's local time
WEEKDAYS = frozenset(range(5))  # Monday (0) .. Friday (4)
FAILED_CALL_RESULTS = frozenset({AttemptResult.NO_ANSWER, AttemptResult.BUSY, AttemptResult.VOICEMAIL})
_SEARCH_DAYS = 60  # no calendar has 60 days in a row without a working day
_MAX_STEPS = 2000


class Rule(StrEnum):
    """The name of a contact rule, as a 409 names it."""

    OPPOSITION = "opposition"
    WORKING_DAY = "working_day"
    PUBLIC_HOLIDAY = "public_holiday"
    PHONE_WINDOW = "phone_window"
    VISIT_WINDOW = "visit_window"
    MIN_GAP = "min_gap"
    MAX_ATTEMPTS = "max_attempts"
    REFUSAL_COOLDOWN = "refusal_cooldown"


@dataclass(frozen=True, slots=True)
class ContactPolicy:
    """Every limit of the contact rules; the defaults are the network's, a partner contract may override."""

    phone_windows: tuple[Window, ...] = ((time(10), time(13)), (time(14), time(20)))
    visit_windows: tuple[Window, ...] = ((time(9), time(19)),)
    phone_days: frozenset[int] = WEEKDAYS
    visit_days: frozenset[int] = WEEKDAYS
    max_attempts: int = 4
    attempts_period: timedelta = timedelta(days=30)
    refusal_cooldown: timedelta = timedelta(days=60)
    min_gap: timedelta = timedelta(hours=4)
    escalate_after_failed_calls: int = 3

    def __post_init__(self) -> None:
        for windows in (self.phone_windows, self.visit_windows):
            if any(start >= end for start, end in windows):
                raise ValueError("a contact window must start before it ends")
            ordered = sorted(windows)
            if any(a[1] > b[0] for a, b in itertools.pairwise(ordered)):
                raise ValueError("contact windows must not overlap")
        if self.max_attempts < 1 or self.escalate_after_failed_calls < 1:
            raise ValueError("limits must be at least 1")
        if min(self.attempts_period, self.refusal_cooldown, self.min_gap) < timedelta(0):
            raise ValueError("durations must not be negative")

    def windows(self, channel: Channel) -> tuple[Window, ...]:
        """The daily windows of a channel, in order."""
        return tuple(sorted(self.phone_windows if channel is Channel.PHONE else self.visit_windows))

    def days(self, channel: Channel) -> frozenset[int]:
        """The weekdays (Monday = 0) a channel may be worked."""
        return self.phone_days if channel is Channel.PHONE else self.visit_days


@dataclass(frozen=True, slots=True)
class PastAttempt:
    """An attempt already recorded for the person (on `case_id`, one of their cases, when known)."""

    attempted_at: datetime
    result: AttemptResult
    channel: Channel
    case_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class Person:
    """Whom the rules protect: where they live (zone, department) and what they already went through, on
    every case of theirs (the limits count the person, not the case)."""

    time_zone: str
    department: str
    history: tuple[PastAttempt, ...] = field(default=())
    opposed: bool = False


@dataclass(frozen=True, slots=True)
class RuleBreak:
    """Why an attempt may not happen at a moment."""

    rule: Rule
    message: str


def rule_broken(policy: ContactPolicy, person: Person, *, channel: Channel, at: datetime) -> RuleBreak | None:
    """The first rule an attempt on `channel` at `at` would break, or None when every rule allows it."""
    if person.opposed:
        return RuleBreak(Rule.OPPOSITION, "the person may not be contacted (opposition or withdrawn case)")
    return (_calendar_break(policy, person, channel=channel, at=at)
            or _refusal_break(policy, person.history, at)
            or _gap_break(policy, person.history, at)
            or _count_break(policy, person.history, at))


def may_contact(policy: ContactPolicy, person: Person, *, channel: Channel, at: datetime) -> bool:
    """True when an attempt on `channel` at `at` breaks no rule."""
    return rule_broken(policy, person, channel=channel, at=at) is None


def _local(at: datetime, zone: str) -> datetime:
    return at.astimezone(ZoneInfo(zone))


def _calendar_break(policy: ContactPolicy, person: Person, *, channel: Channel, at: datetime) -> RuleBreak | None:
    local = _local(at, person.time_zone)
    if local.weekday() not in policy.days(channel):
        return RuleBreak(Rule.WORKING_DAY, f"{local:%A} is not a working day for {channel}")
    if is_public_holiday(local.date(), person.department):
        return RuleBreak(Rule.PUBLIC_HOLIDAY, f"{local.date()} is a public holiday in {person.department}")
    clock = local.time().replace(tzinfo=None)
    if not any(start <= clock < end for start, end in policy.windows(channel)):
        rule = Rule.PHONE_WINDOW if channel is Channel.PHONE else Rule.VISIT_WINDOW
        hours = ", ".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in policy.windows(channel))
        return RuleBreak(rule, f"{clock:%H:%M} in {person.time_zone} is outside {hours}")
    return None


def _refusal_break(policy: ContactPolicy, history: Sequence[PastAttempt], at: datetime) -> RuleBreak | None:
    for past in history:
        if _in_cooldown(policy, past, at):
            return RuleBreak(Rule.REFUSAL_COOLDOWN, f"the person refused on {past.attempted_at:%Y-%m-%d}")
    return None


def _in_cooldown(policy: ContactPolicy, past: PastAttempt, at: datetime) -> bool:
    cooldown_ends = past.attempted_at + policy.refusal_cooldown
    return past.result is AttemptResult.REFUSED and past.attempted_at <= at < cooldown_ends


def _gap_break(policy: ContactPolicy, history: Sequence[PastAttempt], at: datetime) -> RuleBreak | None:
    if any(abs(at - past.attempted_at) < policy.min_gap for past in history):
        return RuleBreak(Rule.MIN_GAP, f"another attempt lies within {policy.min_gap} of this one")
    return None


def _count_break(policy: ContactPolicy, history: Sequence[PastAttempt], at: datetime) -> RuleBreak | None:
    """No rolling period (s - period, s] may hold more than max_attempts, `at` included."""
    times = sorted([p.attempted_at for p in history] + [at])
    for end in (t for t in times if t >= at):
        if sum(1 for t in times if end - policy.attempts_period < t <= end) > policy.max_attempts:
            return RuleBreak(Rule.MAX_ATTEMPTS,
                             f"more than {policy.max_attempts} attempts within {policy.attempts_period.days} days")
    return None


def next_allowed(policy: ContactPolicy, person: Person, *, channel: Channel, after: datetime,
                 until: datetime | None = None) -> datetime | None:
    """The earliest moment at or after `after` (and before `until`, if given) an attempt may happen."""
    if person.opposed:
        return None
    moment = after
    for _ in range(_MAX_STEPS):
        if until is not None and moment >= until:
            return None
        pushed = _pushed_by_history(policy, person.history, moment)
        if pushed != moment:
            moment = pushed
            continue
        opening = window_opening(policy, person, channel=channel, at=moment)
        if opening is None:
            return None
        if opening != moment:
            moment = opening
            continue
        if rule_broken(policy, person, channel=channel, at=moment) is None:
            return moment
        moment += timedelta(minutes=15)  # a later-recorded attempt blocks this moment: step past it
    return None


def _pushed_by_history(policy: ContactPolicy, history: Sequence[PastAttempt], moment: datetime) -> datetime:
    """The earliest moment >= `moment` that attempts at or before it (refusal, gap, count) allow."""
    for past in history:
        if _in_cooldown(policy, past, moment):
            return past.attempted_at + policy.refusal_cooldown
        if abs(moment - past.attempted_at) < policy.min_gap:
            return past.attempted_at + policy.min_gap
    recent = sorted(p.attempted_at for p in history if moment - policy.attempts_period < p.attempted_at <= moment)
    if len(recent) >= policy.max_attempts:
        return recent[len(recent) - policy.max_attempts] + policy.attempts_period
    return moment


def window_opening(policy: ContactPolicy, person: Person, *, channel: Channel, at: datetime) -> datetime | None:
    """`at` when it lies in a window on a working day, else the start of the next such window (UTC)."""
    zone = ZoneInfo(person.time_zone)
    first = at.astimezone(zone).date()
    for offset in range(min(_SEARCH_DAYS, (date.max - first).days - 1)):  # the calendar's last days have no window
        day = first + timedelta(days=offset)
        if not is_working_day(policy, person, channel=channel, day=day):
            continue
        for start, end in policy.windows(channel):
            opens = datetime.combine(day, start, tzinfo=zone).astimezone(UTC)
            closes = datetime.combine(day, end, tzinfo=zone).astimezone(UTC)
            if opens <= at < closes:
                return at
            if opens > at:
                return opens
    return None


def is_working_day(policy: ContactPolicy, person: Person, *, channel: Channel, day: date) -> bool:
    """True when `channel` may be worked for `person` on their local `day`."""
    return day.weekday() in policy.days(channel) and not is_public_holiday(day, person.department)


def is_exhausted(policy: ContactPolicy, person: Person, *, channel: Channel, after: datetime,
                 campaign_ends_on: date | None) -> bool:
    """True when no attempt the rules allow remains before the campaign's last day ends (customer's zone)."""
    if campaign_ends_on is None:
        return person.opposed
    until = datetime.combine(campaign_ends_on + timedelta(days=1), time(0), tzinfo=ZoneInfo(person.time_zone))
    return next_allowed(policy, person, channel=channel, after=after, until=until) is None


# How far the calendar alone can push the next window: every channel works at least one weekday a week, and
# public holidays can take that day twice in a row (1 and 8 May): three weeks, plus the day in progress.
CALENDAR_REACH = timedelta(days=22)


def longest_hold(policy: ContactPolicy) -> timedelta:
    """How long past attempts can keep a person from being contacted: the longest of the refusal cooldown,
    the rolling count's period and the minimum gap."""
    return max(policy.refusal_cooldown, policy.attempts_period, policy.min_gap)


def should_escalate(policy: ContactPolicy, history: Sequence[PastAttempt], *, has_address: bool,
                    case_id: uuid.UUID | None = None) -> bool:
    """True when a phone case should become a door-to-door visit: a wrong number, or N failed calls (on
    `case_id` only, when given: the person's other cases escalate on their own)."""
    if not has_address:
        return False
    calls = [p for p in history if p.channel is Channel.PHONE and (case_id is None or p.case_id == case_id)]
    if any(p.result is AttemptResult.WRONG_NUMBER for p in calls):
        return True
    return sum(1 for p in calls if p.result in FAILED_CALL_RESULTS) >= policy.escalate_after_failed_calls
