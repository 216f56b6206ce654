"""Phone numbers as partners write them, to E.164 with their kind, overseas departments included."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

from relais_intake.domain.problems import FieldProblem

DEFAULT_REGION = "FR"
_MAX_INPUT_LENGTH = 40

# French national prefixes of the overseas departments (and Saint-Pierre-et-Miquelon). Written "06 92 ..."
# or "+33 692 ...", they belong to another country code: libphonenumber would read them as (invalid, or
# wrongly valid) mainland numbers. Value: the regions to try, in order (the 07 09 3x block is shared).
_OVERSEAS_PREFIXES: dict[str, tuple[str, ...]] = {
    "262": ("RE",), "263": ("RE",), "692": ("RE",), "693": ("RE",), "7092": ("RE",),
    "269": ("YT",), "639": ("YT",), "7093": ("YT", "GF"),
    "590": ("GP",), "690": ("GP",), "691": ("GP",), "7090": ("GP",),
    "596": ("MQ",), "696": ("MQ",), "697": ("MQ",), "7091": ("MQ",),
    "594": ("GF",), "694": ("GF",),
    "508": ("PM",),
}
# Saint-Pierre-et-Miquelon's national numbers do not repeat the 508 prefix; the departments' do (+262 692...).
_PREFIX_NOT_IN_NUMBER = frozenset({"508"})

# Where a phone number alone tells the customer's department (mainland numbers do not).
DEPARTMENT_OF_REGION: dict[str, str] = {
    "GP": "971", "BL": "971", "MF": "971", "MQ": "972", "GF": "973", "RE": "974", "PM": "975", "YT": "976",
}

_KINDS = {PhoneNumberType.MOBILE: "mobile", PhoneNumberType.FIXED_LINE: "landline"}


@dataclass(frozen=True, slots=True)
class Phone:
    """A valid phone number: E.164 text, kind (mobile/landline/other) and, overseas, its department."""

    e164: str
    kind: str
    department: str | None


# The common mainland forms ("06 12 34 56 78", "+33 6...", "0033 6...", "06.12..."), read without libphonenumber
# (a third of a row's validation time): mobiles 06 and 073-078; the overseas mobile blocks written the same way
# ("06 92...") skip its text parsing and only ask it for the type and region. Landlines (with unassigned blocks) and
# every other form take the full path; property tests check that both paths agree.
_MAINLAND = re.compile(r"^(?:0|\+33 ?(?:\(0\))?|0033 ?)([67])(?:[ .\-]?\d{2}){4}$")
_DIGITS_ONLY = re.compile(r"\D")


def _mainland_fast(text: str) -> Phone | None:
    """The phone when it is a plain mainland number outside every overseas or unassigned block, else None."""
    match = _MAINLAND.match(text)
    if match is None:
        return None
    national = _DIGITS_ONLY.sub("", text[match.start(1):])
    if national[:3] in _OVERSEAS_PREFIXES or national[:4] in _OVERSEAS_PREFIXES:
        return _overseas_fast(national)
    if national[:2] in ("70", "71", "72", "79"):
        return None
    return Phone(e164=f"+33{national}", kind="mobile", department=None)


def _overseas_fast(national: str) -> Phone | None:
    """What `_overseas_reading` makes of a +33 national number in an overseas block, without parsing text: the
    number under each candidate country code, the first valid one; None when none is (the full path says why)."""
    prefix = national[:4] if national[:4] in _OVERSEAS_PREFIXES else national[:3]
    for region in _OVERSEAS_PREFIXES[prefix]:
        code = phonenumbers.country_code_for_region(region)
        number = phonenumbers.PhoneNumber(country_code=code, national_number=int(national))
        number_type = phonenumbers.number_type(number)
        if number_type != PhoneNumberType.UNKNOWN:
            return Phone(e164=f"+{code}{national}", kind=_KINDS.get(number_type, "other"),
                         department=DEPARTMENT_OF_REGION.get(phonenumbers.region_code_for_number(number) or ""))
    return None


def parse_phone(value: object, *, region: str = DEFAULT_REGION) -> Phone:
    """Parse national ("06 12 34 56 78", "0692 ...") or international ("+33", "0033") forms; FieldProblem if invalid."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise FieldProblem("invalid_phone", "the phone number must be text such as 06 12 34 56 78")
    text = str(value).strip()
    if region == DEFAULT_REGION and (fast := _mainland_fast(text)) is not None:
        return fast
    if not text or len(text) > _MAX_INPUT_LENGTH:
        raise FieldProblem("invalid_phone", "the phone number is empty or too long")
    try:
        number = _overseas_reading(phonenumbers.parse(text, region))
    except NumberParseException as exc:
        raise FieldProblem("invalid_phone", f"{text!r} is not a phone number") from exc
    number_type = phonenumbers.number_type(number)  # UNKNOWN exactly when is_valid_number() is False
    if number_type == PhoneNumberType.UNKNOWN:
        raise FieldProblem("invalid_phone", f"{text!r} is not a valid phone number")
    return Phone(
        e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        kind=_KINDS.get(number_type, "other"),
        department=DEPARTMENT_OF_REGION.get(phonenumbers.region_code_for_number(number) or ""),
    )


def _overseas_reading(number: phonenumbers.PhoneNumber) -> phonenumbers.PhoneNumber:
    """Re-read a +33 number whose national part starts with an overseas prefix under its own country code."""
    if number.country_code == 269 and len(national := phonenumbers.national_significant_number(number)) == 9 \
            and national[:3] in ("269", "639"):
        return phonenumbers.parse(f"+262{national}", "YT")  # Mayotte's pre-2007 code, still in old files
    if number.country_code != 33:
        return number
    national = phonenumbers.national_significant_number(number)
    prefix = national[:4] if national[:4] in _OVERSEAS_PREFIXES else national[:3]
    regions = _OVERSEAS_PREFIXES.get(prefix)
    if regions is None:
        return number
    rest = national[len(prefix):] if prefix in _PREFIX_NOT_IN_NUMBER else national
    readings = [phonenumbers.parse(f"+{phonenumbers.country_code_for_region(r)}{rest}", r) for r in regions]
    return next((n for n in readings if phonenumbers.number_type(n) != PhoneNumberType.UNKNOWN), readings[0])
