"""Property tests: no sequence of attempts the gate lets through ever breaks a rule, across the customers'
zones, daylight-saving switches, department holidays and the rolling 30-day window; and the next allowed
moment is allowed and is the first one."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from relais_campaigns.domain.calendar import is_public_holiday
from relais_campaigns.domain.contact_rules import ContactPolicy, PastAttempt, Person, may_contact, next_allowed
from relais_platform.contracts import AttemptResult, Channel

ZONES = {"Europe/Paris": ["75", "13", "57", "67", "68", "2A"], "America/Guadeloupe": ["971"],
         "America/Martinique": ["972"], "America/Cayenne": ["973"], "Indian/Reunion": ["974"],
         "Indian/Mayotte": ["976"]}
# Around the 2026 spring and autumn DST switches, and across a whole year.
STARTS = st.sampled_from([datetime(2026, 3, 27, tzinfo=UTC), datetime(2026, 10, 23, tzinfo=UTC),
                          datetime(2026, 4, 30, tzinfo=UTC), datetime(2026, 12, 20, tzinfo=UTC)])
STEPS = st.lists(st.tuples(st.integers(min_value=0, max_value=3 * 24 * 60),  # minutes to the next try
                           st.sampled_from(list(AttemptResult)), st.sampled_from(list(Channel))),
                 min_size=1, max_size=40)
POLICIES = st.builds(lambda gap, n, refusal: ContactPolicy(min_gap=timedelta(hours=gap), max_attempts=n,
                                                           refusal_cooldown=timedelta(days=refusal)),
                     st.sampled_from([0, 1, 4, 24]), st.integers(1, 6), st.sampled_from([0, 10, 60]))


@st.composite
def people(draw: st.DrawFn) -> Person:
    zone = draw(st.sampled_from(sorted(ZONES)))
    return Person(time_zone=zone, department=draw(st.sampled_from(ZONES[zone])))


def assert_history_is_lawful(policy: ContactPolicy, who: Person, history: list[PastAttempt]) -> None:
    """An independent statement of every rule, over the whole accepted history."""
    for a in history:
        assert_in_calendar(policy, who, a)
    assert_limits_hold(policy, history)


def assert_in_calendar(policy: ContactPolicy, who: Person, a: PastAttempt) -> None:
    """The attempt fell on a working day, no holiday, inside its channel's window, in `who`'s zone."""
    local = a.attempted_at.astimezone(ZoneInfo(who.time_zone))
    assert local.weekday() < 5 and not is_public_holiday(local.date(), who.department)
    windows = policy.windows(a.channel)
    assert any(s <= local.time() < e for s, e in windows), (local, a.channel)


def assert_limits_hold(policy: ContactPolicy, history: list[PastAttempt]) -> None:
    """Gap, rolling count and refusal cooldown hold over all of a person's attempts, whatever the case."""
    times = sorted(a.attempted_at for a in history)
    for earlier, later in itertools.pairwise(times):
        assert later - earlier >= policy.min_gap
    for end in times:
        assert sum(1 for t in times if end - policy.attempts_period < t <= end) <= policy.max_attempts
    for refusal in (a for a in history if a.result is AttemptResult.REFUSED):
        assert not any(refusal.attempted_at < t < refusal.attempted_at + policy.refusal_cooldown for t in times)


@settings(max_examples=150, deadline=None)
@given(policy=POLICIES, who=people(), start=STARTS, steps=STEPS)
def test_no_sequence_the_gate_accepts_breaks_a_rule(policy: ContactPolicy, who: Person, start: datetime,
                                                    steps: list[tuple[int, AttemptResult, Channel]]) -> None:
    history: list[PastAttempt] = []
    moment = start
    for minutes, result, channel in steps:
        moment += timedelta(minutes=minutes)
        current = Person(time_zone=who.time_zone, department=who.department, history=tuple(history))
        if may_contact(policy, current, channel=channel, at=moment):
            history.append(PastAttempt(attempted_at=moment, result=result, channel=channel))
    assert_history_is_lawful(policy, who, history)


@settings(max_examples=150, deadline=None)
@given(policy=POLICIES, who=people(), start=STARTS, steps=STEPS, channel=st.sampled_from(list(Channel)),
       probe=st.integers(min_value=0, max_value=5 * 24 * 60))
def test_next_allowed_is_allowed_and_nothing_earlier_is(policy: ContactPolicy, who: Person, start: datetime,
                                                        steps: list[tuple[int, AttemptResult, Channel]],
                                                        channel: Channel, probe: int) -> None:
    history: list[PastAttempt] = []
    moment = start
    for minutes, result, ch in steps:  # a lawful history, built by following next_allowed
        current = Person(time_zone=who.time_zone, department=who.department, history=tuple(history))
        moment = next_allowed(policy, current, channel=ch, after=moment + timedelta(minutes=minutes))
        assert moment is not None
        history.append(PastAttempt(attempted_at=moment, result=result, channel=ch))
    assert_history_is_lawful(policy, who, history)
    current = Person(time_zone=who.time_zone, department=who.department, history=tuple(history))
    after = start + timedelta(minutes=probe)
    found = next_allowed(policy, current, channel=channel, after=after)
    assert found is not None and found >= after
    assert may_contact(policy, current, channel=channel, at=found)
    probe_at, step = after, timedelta(minutes=5)
    while probe_at < min(found, after + timedelta(days=3)):
        assert not may_contact(policy, current, channel=channel, at=probe_at), probe_at
        probe_at += step


@settings(max_examples=150, deadline=None)
@given(policy=POLICIES, cases=st.lists(people(), min_size=2, max_size=4), start=STARTS,
       steps=st.lists(st.tuples(st.integers(min_value=0, max_value=24 * 60), st.sampled_from(list(AttemptResult)),
                                st.sampled_from(list(Channel)), st.integers(min_value=0, max_value=3)),
                      min_size=1, max_size=40))
def test_attempts_spread_over_several_cases_of_one_person_never_break_a_rule(
        policy: ContactPolicy, cases: list[Person], start: datetime,
        steps: list[tuple[int, AttemptResult, Channel, int]]) -> None:
    """Each case of the person keeps its own calendar (zone, department); the gate of every case judges the
    person's attempts on all their cases, so the limits hold over the merged history."""
    history: list[PastAttempt] = []
    places: list[Person] = []
    moment = start
    for minutes, result, channel, index in steps:
        moment += timedelta(minutes=minutes)
        case = cases[index % len(cases)]
        current = Person(time_zone=case.time_zone, department=case.department, history=tuple(history))
        if may_contact(policy, current, channel=channel, at=moment):
            history.append(PastAttempt(attempted_at=moment, result=result, channel=channel,
                                       case_id=uuid.UUID(int=index % len(cases))))
            places.append(case)
    for attempt, case in zip(history, places, strict=True):
        assert_in_calendar(policy, case, attempt)
    assert_limits_hold(policy, history)
