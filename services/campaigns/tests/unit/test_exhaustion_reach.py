"""The housekeeping's SQL filter trusts two bounds: the calendar alone never pushes the next window further
than CALENDAR_REACH, and past attempts never hold a person longer than `longest_hold`."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from relais_campaigns.domain.contact_rules import (
    CALENDAR_REACH,
    ContactPolicy,
    PastAttempt,
    Person,
    longest_hold,
    next_allowed,
    window_opening,
)
from relais_platform.contracts import AttemptResult, Channel

PLACES = [("Europe/Paris", "75"), ("Europe/Paris", "57"), ("Europe/Paris", "67"), ("America/Guadeloupe", "971"),
          ("America/Cayenne", "973"), ("Indian/Reunion", "974"), ("Indian/Mayotte", "976")]
POLICIES = [ContactPolicy(), *(ContactPolicy(phone_days=frozenset({d})) for d in range(5))]


@pytest.mark.parametrize("zone, department", PLACES)
def test_the_calendar_alone_opens_a_window_within_its_reach(zone: str, department: str) -> None:
    person = Person(time_zone=zone, department=department)
    day = date(2026, 1, 1)
    while day < date(2028, 1, 1):
        start = datetime.combine(day, time(0), ZoneInfo(zone)).astimezone(UTC)
        for policy in POLICIES:
            opening = window_opening(policy, person, channel=Channel.PHONE, at=start)
            assert opening is not None and opening - start < CALENDAR_REACH, (day, sorted(policy.phone_days))
        day += timedelta(days=1)


def test_past_attempts_hold_a_person_no_longer_than_the_longest_hold() -> None:
    policy = ContactPolicy(max_attempts=2, refusal_cooldown=timedelta(days=45))
    at = datetime(2026, 3, 2, 9, tzinfo=UTC)  # a Monday, 10:00 in Paris
    history = (PastAttempt(at, AttemptResult.NO_ANSWER, Channel.PHONE),
               PastAttempt(at + timedelta(hours=4), AttemptResult.REFUSED, Channel.PHONE))
    person = Person(time_zone="Europe/Paris", department="75", history=history)
    found = next_allowed(policy, person, channel=Channel.PHONE, after=at + timedelta(hours=5))
    assert longest_hold(policy) == timedelta(days=45)
    assert found is not None and found - history[-1].attempted_at < longest_hold(policy) + CALENDAR_REACH
