"""Which days count as working days for a customer: weekdays of the policy, minus the public holidays of
the customer's department (mainland France, plus Alsace-Moselle's and each overseas department's own)."""

from __future__ import annotations

from datetime import date
from functools import cache

import holidays

# French department code -> `holidays` France subdivision. 67/68 (Alsace) and 57 (Moselle) add Good Friday
# and St Stephen's Day; each overseas department adds its abolition-of-slavery day (and more).
_SUBDIVISIONS = {"57": "57", "67": "6AE", "68": "6AE", "971": "971", "972": "972", "973": "973",
                 "974": "974", "975": "PM", "976": "976"}


def subdivision_for(department: str) -> str | None:
    """The `holidays` subdivision whose calendar applies to `department`; None = mainland calendar."""
    return _SUBDIVISIONS.get(department)


@cache
def _holidays(subdivision: str | None, year: int) -> frozenset[date]:
    return frozenset(holidays.France(subdiv=subdivision, years=year).keys())


def is_public_holiday(day: date, department: str) -> bool:
    """True when `day` is a public holiday in `department`."""
    return day in _holidays(subdivision_for(department), day.year)


def holiday_name(day: date, department: str) -> str | None:
    """The name of the holiday on `day` in `department`, or None."""
    names = holidays.France(subdiv=subdivision_for(department), years=day.year)
    return names.get(day)
