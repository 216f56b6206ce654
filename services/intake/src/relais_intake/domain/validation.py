"""One partner case, as received, checked field by field: a case ready to open, or every reason it is not."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from relais_intake.domain.address import Address, is_blank, parse_address
from relais_intake.domain.dates import parse_past_date
from relais_intake.domain.money import parse_amount_cents
from relais_intake.domain.names import clean_name
from relais_intake.domain.phones import Phone, parse_phone
from relais_intake.domain.postcodes import department_for_postcode, normalise_postcode, time_zone_for_department
from relais_intake.domain.problems import FieldError, FieldProblem

KNOWN_FIELDS = frozenset(
    {"external_ref", "first_name", "last_name", "phone", "address", "postcode", "amount_due", "debt_since", "extra"}
)
_EXTERNAL_REF = re.compile(r"^[A-Za-z0-9._/-]{1,64}$")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ValidCase:
    """A case whose every field is clean: ready to be opened."""

    line: int
    external_ref: str
    first_name: str
    last_name: str
    phone: Phone | None
    address: Address | None
    postcode: str | None
    department: str
    time_zone: str
    amount_due_cents: int
    debt_since: date | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[FieldError, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)  # as sent, for reports


@dataclass(frozen=True, slots=True)
class RejectedCase:
    """A case refused, with every reason found and the fields as the partner sent them."""

    line: int
    external_ref: str | None
    reasons: tuple[FieldError, ...]
    raw: Mapping[str, Any]


class _Findings:
    """Errors and warnings gathered while reading one case."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []
        self.warnings: list[FieldError] = []

    def take(self, name: str, parse: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        try:
            return parse(*args, **kwargs)
        except FieldProblem as problem:
            self.errors.append(problem.on(name))
            return None


def parse_external_ref(value: object) -> str:
    """The partner's own reference of the case: 1-64 characters among letters, digits and . _ / -."""
    if is_blank(value):
        raise FieldProblem("required", "external_ref (the partner's reference of the case) is required")
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise FieldProblem("invalid_type", "external_ref must be text")
    text = str(value).strip()
    if len(text) > 64:
        raise FieldProblem("too_long", "external_ref is longer than 64 characters")
    if not _EXTERNAL_REF.match(text):
        raise FieldProblem("invalid_format", "external_ref may hold only letters, digits and . _ / -")
    return text


def validate_case(raw: object, *, line: int, today: date) -> ValidCase | RejectedCase:
    """Check every field of one received case; collect all problems rather than stopping at the first."""
    if not isinstance(raw, Mapping):
        return RejectedCase(line, None, (FieldError("case", "invalid_type", "each case must be an object"),), {})
    found = _Findings()
    ref = found.take("external_ref", parse_external_ref, raw.get("external_ref"))
    first = found.take("first_name", clean_name, raw.get("first_name"), what="the first name")
    last = found.take("last_name", clean_name, raw.get("last_name"), what="the last name")
    cents = found.take("amount_due", parse_amount_cents, raw.get("amount_due"))
    debt_since = None
    if not is_blank(raw.get("debt_since")):
        debt_since = found.take("debt_since", parse_past_date, raw.get("debt_since"), today=today, what="debt_since")
    extra = found.take("extra", _extra_of, raw)
    phone, address, postcode, department = _contact(raw, found)
    if found.errors or ref is None or first is None or last is None or cents is None or department is None:
        return RejectedCase(line, ref or _reference_as_given(raw), tuple(found.errors), storable(dict(raw)))
    return ValidCase(
        line=line, external_ref=ref, first_name=first, last_name=last, phone=phone, address=address,
        postcode=postcode, department=department, time_zone=time_zone_for_department(department),
        amount_due_cents=cents, debt_since=debt_since, extra=storable(extra or {}), warnings=tuple(found.warnings),
        raw=raw,
    )


def _contact(raw: Mapping[str, Any], found: _Findings) -> tuple[Phone | None, Address | None, str | None, str | None]:
    """Phone, address, postcode and department: a phone or a full address is needed; a bad phone next to a
    good address is dropped with a warning (the case can still be visited)."""
    address, address_given = None, not is_blank(raw.get("address"))
    if address_given:
        address, address_errors = parse_address(raw.get("address"))
        found.errors.extend(address_errors)
    phone, phone_error = _phone(raw.get("phone"))
    if phone_error is not None and address is not None:
        found.warnings.append(phone_dropped(phone_error))
    elif phone_error is not None:
        found.errors.append(phone_error)
    elif phone is None and not address_given:
        found.errors.append(FieldError("phone", "contact_required",
                                       "a phone number or a full address (line1, postcode, city) is required"))
    postcode, department = _location(raw, address, phone, found, address_given=address_given)
    return phone, address, postcode, department


def phone_dropped(error: FieldError) -> FieldError:
    """The warning of an invalid phone next to a valid address: the phone is ignored, the case can be visited."""
    return FieldError("phone", error.code, f"{error.reason}; ignored, the case keeps its address for a visit")


def _phone(value: object) -> tuple[Phone | None, FieldError | None]:
    if is_blank(value):
        return None, None
    try:
        return parse_phone(value), None
    except FieldProblem as problem:
        return None, problem.on("phone")


def _location(raw: Mapping[str, Any], address: Address | None, phone: Phone | None, found: _Findings, *,
              address_given: bool) -> tuple[str | None, str | None]:
    """Postcode and department: from the address, else the case's own postcode, else an overseas phone."""
    if address is not None:
        return address.postcode, address.department
    if not is_blank(raw.get("postcode")):
        code = found.take("postcode", normalise_postcode, raw.get("postcode"))
        department = found.take("postcode", department_for_postcode, code) if code else None
        return (code, department) if department else (None, None)
    if phone is not None and phone.department is not None:
        return None, phone.department
    if phone is not None and not address_given:
        found.errors.append(FieldError("postcode", "department_unknown", "without an address, a postcode is needed "
                                       "to know the customer's department and time zone for this phone number"))
    return None, None


def _extra_of(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Fields the partner sent beyond the known ones, kept aside untouched, merged with `extra`."""
    explicit = raw.get("extra")
    if explicit is not None and not isinstance(explicit, Mapping):
        raise FieldProblem("invalid_type", "extra must be an object")
    unknown = {str(k): v for k, v in raw.items() if k not in KNOWN_FIELDS}
    return {**unknown, **(explicit or {})}


def _reference_as_given(raw: Mapping[str, Any]) -> str | None:
    value = raw.get("external_ref")
    if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
        return storable(str(value).strip()[:64])
    return None


def storable(value: Any) -> Any:
    """`value` with NUL characters (which PostgreSQL text and jsonb refuse) replaced by U+FFFD."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, Mapping):
        return {storable(str(k)): storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable(v) for v in value]
    return value
