"""A customer's postal address: every part checked, the department and time zone derived from the postcode."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from relais_intake.domain.names import clean_text
from relais_intake.domain.postcodes import department_for_postcode, normalise_postcode
from relais_intake.domain.problems import FieldError, FieldProblem

ADDRESS_FIELDS = frozenset({"line1", "line2", "postcode", "city", "latitude", "longitude"})


@dataclass(frozen=True, slots=True)
class Address:
    """A valid French address (mainland, Corsica or overseas)."""

    line1: str
    postcode: str
    city: str
    department: str
    line2: str | None = None
    latitude: float | None = None
    longitude: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """The address as stored and published (the department travels separately)."""
        return {"line1": self.line1, "line2": self.line2, "postcode": self.postcode, "city": self.city,
                "latitude": self.latitude, "longitude": self.longitude}


def is_blank(value: object) -> bool:
    """True for a missing value: None, empty or whitespace-only text, or an empty object."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, Mapping) and not value


def parse_address(value: object) -> tuple[Address | None, list[FieldError]]:
    """The address, or None with every problem found (each named `address.<part>`)."""
    if not isinstance(value, Mapping):
        return None, [FieldError("address", "invalid_type", "the address must be an object with line1, postcode, city")]
    errors = [FieldError(f"address.{key}", "unknown_field", f"the address has no part named {key!r}")
              for key in value if key not in ADDRESS_FIELDS]
    parts: dict[str, Any] = {}
    for part, parse in _PART_PARSERS.items():
        try:
            parts[part] = parse(value.get(part))
        except FieldProblem as problem:
            errors.append(problem.on(f"address.{part}"))
    if "postcode" in parts:
        try:
            parts["department"] = department_for_postcode(parts["postcode"])
        except FieldProblem as problem:
            errors.append(problem.on("address.postcode"))
    return (None, errors) if errors else (Address(**parts), [])


_PART_PARSERS: dict[str, Callable[[object], Any]] = {
    "line1": lambda v: clean_text(v, max_length=200, what="the address line 1"),
    "line2": lambda v: None if is_blank(v) else clean_text(v, max_length=200, what="the address line 2"),
    "postcode": normalise_postcode,
    "city": lambda v: clean_text(v, max_length=100, what="the city"),
    "latitude": lambda v: _coordinate(v, limit=90, what="latitude"),
    "longitude": lambda v: _coordinate(v, limit=180, what="longitude"),
}


def _coordinate(value: object, *, limit: float, what: str) -> float | None:
    """An optional latitude/longitude in degrees, as a number or numeric text."""
    if is_blank(value):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise FieldProblem("invalid_coordinate", f"the {what} must be a number of degrees")
    try:
        number = float(value.replace(",", ".")) if isinstance(value, str) else float(value)
    except ValueError as exc:
        raise FieldProblem("invalid_coordinate", f"the {what} {str(value)[:20]!r} is not a number") from exc
    if not math.isfinite(number) or abs(number) > limit:
        raise FieldProblem("invalid_coordinate", f"the {what} must be between -{limit:g} and {limit:g} degrees")
    return number
