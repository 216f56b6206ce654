"""Phone numbers as partners write them, to E.164 with their kind, overseas departments included."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, NamedTuple

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


# Every mainland form of a French number ("06 12 34 56 78", "01 42...", "+33 6...", "0033 6...", "06.12..."), read
# without libphonenumber's text parsing (most of a row's validation time, ten times a mobile's for a landline): the
# national digits are typed by `_number_type`, libphonenumber's own rules over its own metadata; the overseas blocks
# written the same way ("06 92...") are typed under their own country code. A number of such a form that these rules
# refuse is refused as the full path refuses it; every other form takes the full path. Property tests check that
# both paths agree on every number of these forms.
_MAINLAND = re.compile(r"^(?:0|\+33 ?(?:\(0\))?|0033 ?)([1-9])(?:[ .\-]?\d{2}){4}$")
_DIGITS_ONLY = re.compile(r"\D")


def _mainland_fast(text: str) -> Phone | None:
    """The phone of a plain mainland form, None for any other form; FieldProblem for an invalid number."""
    match = _MAINLAND.match(text)
    if match is None:
        return None
    national = _DIGITS_ONLY.sub("", text[match.start(1):])
    if national[:3] in _OVERSEAS_PREFIXES or national[:4] in _OVERSEAS_PREFIXES:
        phone = _overseas_fast(national)
    else:
        phone = _typed(33, national)
    if phone is None:
        raise _invalid(text)
    return phone


def _overseas_fast(national: str) -> Phone | None:
    """What `_overseas_reading` makes of a +33 national number in an overseas block, without parsing text: the
    number under each candidate country code, the first valid one; None when none is."""
    prefix = national[:4] if national[:4] in _OVERSEAS_PREFIXES else national[:3]
    rest = national[len(prefix):] if prefix in _PREFIX_NOT_IN_NUMBER else national
    for region in _OVERSEAS_PREFIXES[prefix]:
        if (phone := _typed(phonenumbers.country_code_for_region(region), rest)) is not None:
            return phone
    return None


def _typed(country_code: int, national: str) -> Phone | None:
    number_type, region = _number_type(country_code, national)
    if number_type == PhoneNumberType.UNKNOWN:
        return None
    return Phone(e164=f"+{country_code}{national}", kind=_KINDS.get(number_type, "other"),
                 department=DEPARTMENT_OF_REGION.get(region or ""))


class _RegionRules(NamedTuple):
    """libphonenumber's number types of one region as one regex: the region's general description, then an
    alternative per type in the order phonenumberutil._number_type_helper tries them, each held to its possible
    lengths: a fullmatch gives the first type the number is of."""

    typed: re.Pattern[str]
    mobile: re.Pattern[str] | None  # a fixed line that is also a mobile is FIXED_LINE_OR_MOBILE
    same_mobile_and_fixed_line: bool
    leading_digits: re.Pattern[str] | None


_ORDERED_TYPES = (("premium_rate", PhoneNumberType.PREMIUM_RATE), ("toll_free", PhoneNumberType.TOLL_FREE),
                  ("shared_cost", PhoneNumberType.SHARED_COST), ("voip", PhoneNumberType.VOIP),
                  ("personal_number", PhoneNumberType.PERSONAL_NUMBER), ("pager", PhoneNumberType.PAGER),
                  ("uan", PhoneNumberType.UAN), ("voicemail", PhoneNumberType.VOICEMAIL),
                  ("fixed_line", PhoneNumberType.FIXED_LINE), ("mobile", PhoneNumberType.MOBILE))
_TYPE_OF_GROUP = {name: number_type for name, number_type in _ORDERED_TYPES}


def _desc_pattern(desc: Any) -> str | None:
    """A number description as a regex (phonenumberutil._is_number_matching_desc: its possible lengths, when it
    has any, then its national pattern), or None when nothing matches it."""
    if desc is None or not desc.national_number_pattern:
        return None
    lengths = "|".join(f"\\d{{{n}}}" for n in sorted(desc.possible_length or ()))
    return (f"(?=(?:{lengths})\\Z)" if lengths else "") + f"(?:{desc.national_number_pattern})"


@functools.cache
def _rules(region: str) -> _RegionRules:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if metadata is None:  # a non-geographic code ("001"): never one of the fast path's
        return _RegionRules(re.compile("(?!)"), None, False, None)
    same = bool(metadata.same_mobile_and_fixed_line_pattern)
    alternatives = [f"(?P<{name}>{pattern})" for name, _ in _ORDERED_TYPES
                    if (pattern := _desc_pattern(getattr(metadata, name))) is not None
                    and not (name == "mobile" and same)]  # then only a fixed line is typed, and as both
    general, mobile = _desc_pattern(metadata.general_desc), _desc_pattern(metadata.mobile)
    typed = f"(?=(?:{general})\\Z)(?:{'|'.join(alternatives)})" if general and alternatives else "(?!)"
    return _RegionRules(re.compile(typed), re.compile(mobile) if mobile else None, same,
                        re.compile(metadata.leading_digits) if metadata.leading_digits else None)


def _type_in(rules: _RegionRules, national: str) -> PhoneNumberType:
    """phonenumberutil._number_type_helper over the compiled rules of a region."""
    typed = rules.typed.fullmatch(national)
    if typed is None:
        return PhoneNumberType.UNKNOWN
    number_type = _TYPE_OF_GROUP[typed.lastgroup or ""]
    if number_type == PhoneNumberType.FIXED_LINE and (
            rules.same_mobile_and_fixed_line or (rules.mobile is not None and rules.mobile.fullmatch(national))):
        return PhoneNumberType.FIXED_LINE_OR_MOBILE
    return number_type


def _number_type(country_code: int, national: str) -> tuple[PhoneNumberType, str | None]:
    """`phonenumbers.number_type` and `region_code_for_number` of +country_code national (no leading zero), read
    from the same metadata without building and re-reading a PhoneNumber (a landline: 35 µs → 3 µs)."""
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(country_code, ())
    region = regions[0] if len(regions) == 1 else next((r for r in regions if _is_region_of(_rules(r), national)), None)
    return (_type_in(_rules(region), national) if region else PhoneNumberType.UNKNOWN), region


def _is_region_of(rules: _RegionRules, national: str) -> bool:
    """phonenumberutil._region_code_for_number_from_list's test of one region."""
    if rules.leading_digits is not None:
        return rules.leading_digits.match(national) is not None
    return _type_in(rules, national) != PhoneNumberType.UNKNOWN


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
        raise _invalid(text)
    return Phone(
        e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        kind=_KINDS.get(number_type, "other"),
        department=DEPARTMENT_OF_REGION.get(phonenumbers.region_code_for_number(number) or ""),
    )


def _invalid(text: str) -> FieldProblem:
    return FieldProblem("invalid_phone", f"{text!r} is not a valid phone number")


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
