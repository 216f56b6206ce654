"""The contact rules: windows in the customer's zone, holidays per department, gap, cooldown, rolling count."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from relais_campaigns.domain.calendar import is_public_holiday, subdivision_for
from relais_campaigns.domain.contact_rules import (
    ContactPolicy,
    PastAttempt,
    Person,
    Rule,
    is_exhausted,
    next_allowed,
    rule_broken,
    should_escalate,
)
from relais_platform.contracts import AttemptResult, Channel

PARIS = ZoneInfo("Europe/Paris")
POLICY = ContactPolicy()
PHONE, DOOR = Channel.PHONE, Channel.DOOR_TO_DOOR


def paris(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=PARIS).astimezone(UTC)


def person(*history: PastAttempt, zone: str = "Europe/Paris", department: str = "75") -> Person:
    return Person(time_zone=zone, department=department, history=tuple(history))


def past(at: datetime, result: AttemptResult = AttemptResult.NO_ANSWER, channel: Channel = PHONE) -> PastAttempt:
    return PastAttempt(attempted_at=at, result=result, channel=channel)


def broken(p: Person, at: datetime, channel: Channel = PHONE, policy: ContactPolicy = POLICY) -> Rule | None:
    b = rule_broken(policy, p, channel=channel, at=at)
    return b.rule if b else None


@pytest.mark.parametrize(("hh", "mm", "rule"), [
    (9, 59, Rule.PHONE_WINDOW), (10, 0, None), (12, 59, None), (13, 0, Rule.PHONE_WINDOW),
    (13, 30, Rule.PHONE_WINDOW), (14, 0, None), (19, 59, None), (20, 0, Rule.PHONE_WINDOW)])
def test_phone_windows_on_a_tuesday_in_paris(hh: int, mm: int, rule: Rule | None) -> None:
    assert broken(person(), paris(2026, 3, 10, hh, mm)) == rule


def test_visit_window_defaults_to_nine_to_seven() -> None:
    assert broken(person(), paris(2026, 3, 10, 9), DOOR) is None
    assert broken(person(), paris(2026, 3, 10, 13, 30), DOOR) is None
    assert broken(person(), paris(2026, 3, 10, 19), DOOR) is Rule.VISIT_WINDOW


def test_weekends_are_not_working_days() -> None:
    assert broken(person(), paris(2026, 3, 14, 11)) is Rule.WORKING_DAY  # Saturday
    assert broken(person(), paris(2026, 3, 15, 11), DOOR) is Rule.WORKING_DAY  # Sunday


def test_the_window_is_the_customers_not_the_agents() -> None:
    # 11:00 in Paris is 06:00 in Guadeloupe: too early there.
    at = paris(2026, 3, 10, 11)
    assert broken(person(zone="America/Guadeloupe", department="971"), at) is Rule.PHONE_WINDOW
    # 15:00 in Paris is 18:00 in Reunion (UTC+4): still allowed; 17:00 Paris is 20:00 there: not.
    assert broken(person(zone="Indian/Reunion", department="974"), paris(2026, 3, 10, 15)) is None
    assert broken(person(zone="Indian/Reunion", department="974"), paris(2026, 3, 10, 17)) is Rule.PHONE_WINDOW


def test_department_holidays() -> None:
    good_friday = paris(2026, 4, 3, 11)
    assert broken(person(department="75"), good_friday) is None
    assert broken(person(department="57"), good_friday) is Rule.PUBLIC_HOLIDAY
    assert broken(person(department="67"), good_friday) is Rule.PUBLIC_HOLIDAY
    assert broken(person(department="68"), good_friday) is Rule.PUBLIC_HOLIDAY
    assert broken(person(department="75"), paris(2026, 5, 1, 11)) is Rule.PUBLIC_HOLIDAY  # everywhere
    # 27 May: abolition of slavery in Guadeloupe, not in mainland France.
    gp = datetime(2026, 5, 27, 11, tzinfo=ZoneInfo("America/Guadeloupe"))
    assert broken(person(zone="America/Guadeloupe", department="971"), gp) is Rule.PUBLIC_HOLIDAY
    assert broken(person(department="75"), paris(2026, 5, 27, 11)) is None


@pytest.mark.parametrize("department", ["971", "972", "973", "974", "976"])
def test_every_overseas_department_has_its_own_calendar(department: str) -> None:
    assert subdivision_for(department) is not None
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(365)]
    assert sum(is_public_holiday(d, department) for d in days) > sum(is_public_holiday(d, "75") for d in days)


def test_minimum_gap_on_both_sides() -> None:
    p = person(past(paris(2026, 3, 10, 14)))
    assert broken(p, paris(2026, 3, 10, 17, 59)) is Rule.MIN_GAP
    assert broken(p, paris(2026, 3, 10, 18)) is None
    assert broken(p, paris(2026, 3, 10, 11)) is Rule.MIN_GAP  # recorded late, but too close before


def test_refusal_cooldown_sixty_days() -> None:
    p = person(past(paris(2026, 3, 10, 11), AttemptResult.REFUSED))
    assert broken(p, paris(2026, 5, 7, 11)) is Rule.REFUSAL_COOLDOWN  # 58 days later, a Thursday
    assert broken(p, paris(2026, 5, 11, 11)) is None  # 62 days later, a Monday


def test_at_most_four_attempts_per_rolling_thirty_days_across_channels() -> None:
    four = [past(paris(2026, 3, 2, 11)), past(paris(2026, 3, 3, 11), channel=DOOR),
            past(paris(2026, 3, 4, 11)), past(paris(2026, 3, 5, 11), AttemptResult.NOT_HOME, DOOR)]
    p = person(*four)
    assert broken(p, paris(2026, 3, 31, 11)) is Rule.MAX_ATTEMPTS
    assert broken(p, paris(2026, 4, 1, 11)) is Rule.MAX_ATTEMPTS  # 30 x 24 h: DST moved the clock by 1 h
    assert broken(p, paris(2026, 4, 1, 12)) is None  # 2 March 11:00 CET left the window
    assert broken(p, paris(2026, 3, 31, 11), DOOR) is Rule.MAX_ATTEMPTS


def test_a_late_record_cannot_overfill_an_earlier_window() -> None:
    later = [past(paris(2026, 3, d, 11)) for d in (10, 11, 12, 13)]
    assert broken(person(*later), paris(2026, 3, 9, 11)) is Rule.MAX_ATTEMPTS


def test_opposition_wins_over_everything() -> None:
    p = Person(time_zone="Europe/Paris", department="75", opposed=True)
    assert broken(p, paris(2026, 3, 10, 11)) is Rule.OPPOSITION
    assert next_allowed(POLICY, p, channel=PHONE, after=paris(2026, 3, 10, 11)) is None


def test_next_allowed_moments() -> None:
    p = person()
    assert next_allowed(POLICY, p, channel=PHONE, after=paris(2026, 3, 10, 11)) == paris(2026, 3, 10, 11)
    assert next_allowed(POLICY, p, channel=PHONE, after=paris(2026, 3, 10, 13, 5)) == paris(2026, 3, 10, 14)
    assert next_allowed(POLICY, p, channel=PHONE, after=paris(2026, 3, 13, 21)) == paris(2026, 3, 16, 10)
    # Thursday 2 April 21:00 in Moselle: Good Friday is a holiday there, so Monday... Easter Monday too.
    moselle = person(department="57")
    assert next_allowed(POLICY, moselle, channel=PHONE, after=paris(2026, 4, 2, 21)) == paris(2026, 4, 7, 10)
    gap = person(past(paris(2026, 3, 10, 17)))
    assert next_allowed(POLICY, gap, channel=PHONE, after=paris(2026, 3, 10, 17)) == paris(2026, 3, 11, 10)
    assert next_allowed(POLICY, gap, channel=DOOR, after=paris(2026, 3, 10, 17),
                        until=paris(2026, 3, 10, 23)) is None


def test_policy_overrides_and_validation() -> None:
    saturday = ContactPolicy(visit_days=frozenset(range(6)), min_gap=timedelta(hours=1))
    assert broken(person(), paris(2026, 3, 14, 10), DOOR, saturday) is None
    with pytest.raises(ValueError, match="start before"):
        ContactPolicy(phone_windows=((time(14), time(10)),))
    with pytest.raises(ValueError, match="overlap"):
        ContactPolicy(phone_windows=((time(10), time(14)), (time(13), time(15))))
    with pytest.raises(ValueError, match="at least 1"):
        ContactPolicy(max_attempts=0)


def test_escalation_after_three_failed_calls_or_a_wrong_number() -> None:
    calls = [past(paris(2026, 3, d, 11), r) for d, r in ((2, AttemptResult.NO_ANSWER), (3, AttemptResult.BUSY))]
    assert not should_escalate(POLICY, calls, has_address=True)
    third = [*calls, past(paris(2026, 3, 4, 11), AttemptResult.VOICEMAIL)]
    assert should_escalate(POLICY, third, has_address=True)
    assert not should_escalate(POLICY, third, has_address=False)
    assert should_escalate(POLICY, [past(paris(2026, 3, 2, 11), AttemptResult.WRONG_NUMBER)], has_address=True)
    assert not should_escalate(ContactPolicy(escalate_after_failed_calls=4), third, has_address=True)


def test_exhaustion_when_no_allowed_moment_remains_before_the_campaign_ends() -> None:
    refused = person(past(paris(2026, 3, 10, 11), AttemptResult.REFUSED))
    after = paris(2026, 3, 10, 11)
    assert is_exhausted(POLICY, refused, channel=PHONE, after=after, campaign_ends_on=date(2026, 4, 30))
    assert not is_exhausted(POLICY, refused, channel=PHONE, after=after, campaign_ends_on=date(2026, 5, 11))
    assert not is_exhausted(POLICY, refused, channel=PHONE, after=after, campaign_ends_on=None)
    # Thursday 2 April 21:00 in Moselle, campaign ending Monday 6 April (Easter Monday): nothing left.
    assert is_exhausted(POLICY, person(department="57"), channel=PHONE, after=paris(2026, 4, 2, 21),
                        campaign_ends_on=date(2026, 4, 6))
    assert not is_exhausted(POLICY, person(department="75"), channel=PHONE, after=paris(2026, 4, 2, 21),
                            campaign_ends_on=date(2026, 4, 6))


def test_the_last_days_of_the_calendar_have_no_window_and_no_overflow() -> None:
    late = datetime(9999, 12, 30, 12, tzinfo=UTC)
    assert next_allowed(POLICY, person(), channel=PHONE, after=late) is None
    assert next_allowed(POLICY, person(zone="Indian/Reunion", department="974"), channel=DOOR,
                        after=datetime(9999, 12, 29, tzinfo=UTC)) is not None
