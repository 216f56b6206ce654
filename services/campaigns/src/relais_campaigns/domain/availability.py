"""When sites open and agents work: opening days, the site's holiday calendar, working days, absences,
and which held cases were left untouched for too many working days."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from relais_campaigns.domain.calendar import is_public_holiday

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES = DAY_NAMES[:5]


def weekday_numbers(names: Iterable[str]) -> frozenset[int]:
    """{"mon", "wed"} -> {0, 2}."""
    return frozenset(DAY_NAMES.index(n) for n in names)


@dataclass(frozen=True, slots=True)
class Absence:
    """An agent is away from `starts_on` to `ends_on`, both included."""

    starts_on: date
    ends_on: date

    def covers(self, day: date) -> bool:
        """True when the agent is away on `day`."""
        return self.starts_on <= day <= self.ends_on


@dataclass(frozen=True, slots=True)
class SiteCalendar:
    """The days a site opens: its opening weekdays minus its department's public holidays."""

    opening_days: frozenset[int]
    holiday_department: str

    def is_open(self, day: date) -> bool:
        """True when the site works on `day`."""
        return day.weekday() in self.opening_days and not is_public_holiday(day, self.holiday_department)

    def working_days_between(self, start: date, end: date) -> int:
        """Open days after `start` up to and including `end` (0 when end <= start)."""
        return sum(1 for i in range(1, (end - start).days + 1) if self.is_open(start + timedelta(days=i)))


def works_on(day: date, *, site: SiteCalendar, working_days: frozenset[int], absences: Iterable[Absence]) -> bool:
    """True when the agent works on `day`: the site opens, it is one of their days, and they are not away."""
    return site.is_open(day) and day.weekday() in working_days and not any(a.covers(day) for a in absences)


def is_stale(*, last_touched: date, today: date, site: SiteCalendar, after_working_days: int) -> bool:
    """True when a held case saw no attempt for `after_working_days` open days of its site."""
    return site.working_days_between(last_touched, today) >= after_working_days


def holiday_department_for(prefixes: Iterable[str]) -> str:
    """The department whose holidays a site keeps by default: that of its first prefix naming one
    (75011 -> 75, 974 -> 974, 2A -> 2A); mainland (75) when none does."""
    for prefix in sorted(prefixes):
        if prefix in ("2A", "2B"):
            return prefix
        if prefix.startswith("97") and len(prefix) >= 3:
            return prefix[:3]
        if len(prefix) >= 2 and prefix[:2] != "20":
            return prefix[:2]
    return "75"


def overlapping(absences: Iterable[Absence]) -> bool:
    """True when two absences share a day (a supervisor's typo to refuse)."""
    ordered = sorted(absences, key=lambda a: a.starts_on)
    return any(b.starts_on <= a.ends_on for a, b in itertools.pairwise(ordered))
