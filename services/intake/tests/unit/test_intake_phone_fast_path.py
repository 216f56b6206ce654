"""The fast reading of plain mainland mobiles agrees with libphonenumber on every number it accepts."""

from __future__ import annotations

import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st

from relais_intake.domain import phones

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


@settings(max_examples=3000)
@given(st.sampled_from("0123456789"), st.text("0123456789", min_size=8, max_size=8), st.sampled_from(_FORMS))
def test_fast_path_agrees_with_libphonenumber(second: str, rest: str, form) -> None:
    text = form(f"0{second}{rest}")
    fast = phones._mainland_fast(text)
    if fast is not None:
        assert (fast.e164, fast.kind, fast.department) == _full_reading(text)


def test_fast_path_leaves_overseas_and_landlines_to_libphonenumber() -> None:
    for text in ("06 92 12 34 56", "0696123456", "0639123456", "01 42 68 53 00", "0709312345", "07 00 12 34 56"):
        assert phones._mainland_fast(text) is None
    assert phones.parse_phone("06 92 12 34 56").e164 == "+262692123456"
