"""The fast reading of plain mainland forms agrees with libphonenumber on every number it accepts, and its typing of
national numbers is libphonenumber's own."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relais_intake.domain import phones
from relais_intake.domain.problems import FieldProblem

_FORMS = (
    lambda d: d, lambda d: " ".join([d[:2], d[2:4], d[4:6], d[6:8], d[8:]]),
    lambda d: ".".join([d[:2], d[2:4], d[4:6], d[6:8], d[8:]]),
    lambda d: "-".join([d[:2], d[2:4], d[4:6], d[6:8], d[8:]]),
    lambda d: f"+33 {d[1:]}", lambda d: f"+33{d[1:]}", lambda d: f"0033{d[1:]}", lambda d: f"+33(0){d[1:]}",
)


def _full_reading(text: str) -> tuple[str, str, str | None] | None:
    number = phones._overseas_reading(phonenumbers.parse(text, "FR"))
    kind = phonenumbers.number_type(number)
    if kind == phonenumbers.PhoneNumberType.UNKNOWN:
        return None
    region = phonenumbers.region_code_for_number(number) or ""
    return (phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), phones._KINDS.get(kind, "other"),
            phones.DEPARTMENT_OF_REGION.get(region))


def _fast_reading(text: str) -> tuple[str, str, str | None] | None:
    """The fast path's reading; None when it refuses the number; AssertionError when it leaves it to the full path."""
    try:
        fast = phones._mainland_fast(text)
    except FieldProblem as problem:
        assert problem.code == "invalid_phone"
        return None
    assert fast is not None, f"{text!r} is a plain mainland form"
    return fast.e164, fast.kind, fast.department


@settings(max_examples=3000)
@given(st.sampled_from("123456789"), st.text("0123456789", min_size=8, max_size=8), st.sampled_from(_FORMS))
def test_fast_path_agrees_with_libphonenumber(second: str, rest: str, form) -> None:
    text = form(f"0{second}{rest}")
    assert _fast_reading(text) == _full_reading(text)


@settings(max_examples=3000)
@given(st.sampled_from(sorted(phones._OVERSEAS_PREFIXES)),
       st.text("0123456789", min_size=5, max_size=6), st.sampled_from(_FORMS))
def test_overseas_blocks_read_as_libphonenumber_reads_them(prefix: str, rest: str, form) -> None:
    text = form(f"0{prefix}{rest}"[:10].ljust(10, "0"))
    assert _fast_reading(text) == _full_reading(text)


@given(st.text(max_size=20))
def test_other_forms_are_left_to_the_full_path_or_read_alike(text: str) -> None:
    try:
        fast = phones._mainland_fast(text)
    except FieldProblem:
        fast = None
        with pytest.raises(FieldProblem):
            phones.parse_phone(text)
    if fast is not None:
        assert phones.parse_phone(text) == fast


def test_fast_path_reads_landlines_and_refuses_unassigned_blocks() -> None:
    for text in ("07 00 12 34 56", "0712345678"):
        with pytest.raises(FieldProblem, match="is not a valid phone number"):
            phones._mainland_fast(text)
    assert phones._mainland_fast("01 00") is None and phones._mainland_fast("+44 20 7946 0000") is None
    paris = phones._mainland_fast("01 42 68 53 00")
    assert paris is not None and (paris.e164, paris.kind, paris.department) == ("+33142685300", "landline", None)
    reunion = phones._mainland_fast("06 92 12 34 56")
    assert reunion is not None and (reunion.e164, reunion.department) == ("+262692123456", "974")
    assert phones.parse_phone("06 92 12 34 56") == reunion
    assert phones.parse_phone("01 42 68 53 00") == paris


_COUNTRY_CODES = (33, 262, 269, 590, 594, 596, 508, 44, 1)


@settings(max_examples=5000)
@given(st.sampled_from(_COUNTRY_CODES), st.sampled_from("123456789"), st.text("0123456789", min_size=4, max_size=11))
def test_number_type_is_libphonenumbers(country_code: int, first: str, rest: str) -> None:
    national = first + rest
    number = phonenumbers.PhoneNumber(country_code=country_code, national_number=int(national))
    assert phones._number_type(country_code, national) == (phonenumbers.number_type(number),
                                                           phonenumbers.region_code_for_number(number))


@settings(max_examples=3000)
@given(st.sampled_from(_COUNTRY_CODES), st.data())
def test_number_type_of_valid_numbers_is_libphonenumbers(country_code: int, data) -> None:
    """Random digits are mostly invalid: the numbers libphonenumber gives as examples of each type, edited."""
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE[country_code]
    region = data.draw(st.sampled_from(regions))
    kind = data.draw(st.sampled_from(list(phonenumbers.PhoneNumberType.values())))
    example = phonenumbers.example_number_for_type(region, kind)
    if example is None:
        return
    national = str(example.national_number)
    last = data.draw(st.text("0123456789", min_size=0, max_size=3))
    national = national[:len(national) - len(last)] + last
    number = phonenumbers.PhoneNumber(country_code=country_code, national_number=int(national))
    assert phones._number_type(country_code, national) == (phonenumbers.number_type(number),
                                                           phonenumbers.region_code_for_number(number))
