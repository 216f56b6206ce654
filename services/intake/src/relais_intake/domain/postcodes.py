"""French postcodes to the department and time zone that decide when a person may be contacted."""

from __future__ import annotations

import re

from relais_intake.domain.problems import FieldProblem

_FIVE_DIGITS = re.compile(r"^[0-9]{5}$")

OVERSEAS_TIME_ZONES: dict[str, str] = {
    "971": "America/Guadeloupe",
    "972": "America/Martinique",
    "973": "America/Cayenne",
    "974": "Indian/Reunion",
    "975": "America/Miquelon",
    "976": "Indian/Mayotte",
}
MAINLAND_TIME_ZONE = "Europe/Paris"


def normalise_postcode(value: object) -> str:
    """The postcode as 5 ASCII digits (surrounding spaces dropped); FieldProblem otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise FieldProblem("required", "a postcode is required")
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise FieldProblem("invalid_postcode", "the postcode must be 5 digits")
    text = str(value).strip()
    if not _FIVE_DIGITS.match(text):
        hint = " (a leading zero lost by a spreadsheet?)" if text.isdigit() and len(text) == 4 else ""
        raise FieldProblem("invalid_postcode", f"the postcode {text[:20]!r} is not 5 digits{hint}")
    return text


def department_for_postcode(postcode: str) -> str:
    """Department code ('01'..'95', '2A', '2B', '971'..'976') of a 5-digit postcode; FieldProblem if none."""
    code = normalise_postcode(postcode)
    number = int(code)
    if 20000 <= number <= 20199:
        return "2A"
    if 20200 <= number <= 20699:
        return "2B"
    if 97100 <= number <= 97699:
        return code[:3]
    two = int(code[:2])
    if 1 <= two <= 95 and two != 20:
        return code[:2]
    raise FieldProblem("invalid_postcode", f"the postcode {code} belongs to no French department")


def time_zone_for_department(department: str) -> str:
    """IANA time zone in which the department's residents are contacted."""
    return OVERSEAS_TIME_ZONES.get(department, MAINLAND_TIME_ZONE)
