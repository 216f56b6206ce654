"""Site calendars, agents' working days and absences, untouched cases, a site's default holiday calendar."""

from __future__ import annotations

from datetime import date

import pytest

from relais_campaigns.domain.availability import (
    Absence,
    SiteCalendar,
    holiday_department_for,
    is_stale,
    overlapping,
    weekday_numbers,
    works_on,
)

PARIS = SiteCalendar(weekday_numbers(["mon", "tue", "wed", "thu", "fri"]), "75")
METZ = SiteCalendar(weekday_numbers(["mon", "tue", "wed", "thu", "fri", "sat"]), "57")


def test_open_days_follow_the_weekdays_and_the_departments_holidays() -> None:
    assert PARIS.is_open(date(2026, 4, 2)) and PARIS.is_open(date(2026, 4, 3))  # Good Friday: open in Paris
    assert not METZ.is_open(date(2026, 4, 3))  # closed in Moselle
    assert METZ.is_open(date(2026, 4, 4)) and not PARIS.is_open(date(2026, 4, 4))  # a Saturday
    assert not PARIS.is_open(date(2026, 5, 1))


def test_working_days_between_counts_open_days_after_the_start() -> None:
    assert PARIS.working_days_between(date(2026, 3, 6), date(2026, 3, 9)) == 1  # Friday -> Monday
    assert PARIS.working_days_between(date(2026, 4, 30), date(2026, 5, 11)) == 5  # 1 and 8 May are holidays
    assert PARIS.working_days_between(date(2026, 3, 9), date(2026, 3, 9)) == 0


def test_an_agent_works_on_their_days_when_the_site_opens_and_they_are_not_away() -> None:
    away = [Absence(date(2026, 3, 10), date(2026, 3, 12))]
    days = weekday_numbers(["mon", "tue", "thu"])
    assert works_on(date(2026, 3, 9), site=PARIS, working_days=days, absences=away)
    assert not works_on(date(2026, 3, 10), site=PARIS, working_days=days, absences=away)  # away
    assert not works_on(date(2026, 3, 11), site=PARIS, working_days=days, absences=[])  # not a day of theirs
    assert works_on(date(2026, 3, 16), site=PARIS, working_days=days, absences=away)


def test_a_case_is_stale_after_n_open_days_untouched() -> None:
    assert not is_stale(last_touched=date(2026, 3, 6), today=date(2026, 3, 10), site=PARIS, after_working_days=3)
    assert is_stale(last_touched=date(2026, 3, 6), today=date(2026, 3, 11), site=PARIS, after_working_days=3)


@pytest.mark.parametrize(("prefixes", "department"), [
    (["75011"], "75"), (["974"], "974"), (["2B", "75"], "2B"), (["57", "67"], "57"), (["6"], "75"), (["20"], "75")])
def test_a_sites_default_holiday_calendar(prefixes: list[str], department: str) -> None:
    assert holiday_department_for(prefixes) == department


def test_overlapping_absences() -> None:
    assert overlapping([Absence(date(2026, 3, 1), date(2026, 3, 5)), Absence(date(2026, 3, 5), date(2026, 3, 6))])
    assert not overlapping([Absence(date(2026, 3, 1), date(2026, 3, 4)), Absence(date(2026, 3, 5), date(2026, 3, 6))])
