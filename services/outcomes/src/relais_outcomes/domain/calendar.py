"""Billing calendar: tariffs and billing months follow the French business calendar (Europe/Paris)."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

BILLING_ZONE = ZoneInfo("Europe/Paris")
# Years 1900-2999 in ASCII digits: a month whose bounds every date computation (and PostgreSQL) can hold.
PERIOD_PATTERN = r"^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])$"
_PERIOD = re.compile(PERIOD_PATTERN)


def billing_date(moment: datetime) -> date:
    """The calendar day of an aware instant in Europe/Paris (what a tariff's effective date means)."""
    if moment.tzinfo is None:
        raise ValueError("billing needs an aware datetime")
    return moment.astimezone(BILLING_ZONE).date()


def period_of(moment: datetime) -> str:
    """The billing month `YYYY-MM` of an aware instant, in Europe/Paris."""
    return period_of_day(billing_date(moment))


def period_of_day(day: date) -> str:
    """The billing month `YYYY-MM` of a Paris calendar day."""
    return f"{day.year:04d}-{day.month:02d}"


def is_period(text: str) -> bool:
    """True when `text` is a billing month `YYYY-MM`."""
    return bool(_PERIOD.match(text))


def last_day_of(period: str) -> date:
    """The last calendar day of a billing month `YYYY-MM`."""
    if not is_period(period):
        raise ValueError(f"not a billing period: {period!r}")
    year, month = int(period[:4]), int(period[5:])
    first_of_next = date(year + month // 12, month % 12 + 1, 1)
    return first_of_next - timedelta(days=1)


def period_bounds(period: str) -> tuple[datetime, datetime]:
    """[start, end) of a billing month as aware instants (midnight Paris to midnight Paris)."""
    last = last_day_of(period)
    start = datetime.combine(last.replace(day=1), time(0), BILLING_ZONE)
    end = datetime.combine(last + timedelta(days=1), time(0), BILLING_ZONE)
    return start, end
