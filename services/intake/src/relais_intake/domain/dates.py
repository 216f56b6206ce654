"""Calendar dates as partners write them: ISO 2024-03-15 or French 15/03/2024."""

from __future__ import annotations

import re
from datetime import date

from relais_intake.domain.problems import FieldProblem

_ISO = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")
_FRENCH = re.compile(r"^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})$")
EARLIEST_YEAR = 1900


def parse_past_date(value: object, *, today: date, what: str = "the date") -> date:
    """A date not after `today`, from YYYY-MM-DD or dd/mm/yyyy; FieldProblem otherwise."""
    if not isinstance(value, str):
        raise FieldProblem("invalid_date", f"{what} must be text in the form YYYY-MM-DD or dd/mm/yyyy")
    text = value.strip()
    if iso := _ISO.match(text):
        year, month, day = (int(g) for g in iso.groups())
    elif french := _FRENCH.match(text):
        day, month, year = (int(g) for g in french.groups())
    else:
        raise FieldProblem("invalid_date", f"{what} {text[:20]!r} is not YYYY-MM-DD or dd/mm/yyyy")
    try:
        parsed = date(year, month, day)
    except ValueError as exc:
        raise FieldProblem("invalid_date", f"{what} {text!r} does not exist in the calendar") from exc
    if parsed.year < EARLIEST_YEAR:
        raise FieldProblem("invalid_date", f"{what} {text!r} is before {EARLIEST_YEAR}")
    if parsed > today:
        raise FieldProblem("in_future", f"{what} {parsed.isoformat()} is in the future")
    return parsed
